/**
 * Word-index sequence datasets as Keras prepares them: `keras.datasets.imdb.load_data` / `reuters.load_data`
 * (shuffle with NumPy's legacy `RandomState(seed)`, start/OOV characters, `index_from`, `num_words`, `skip_top`,
 * the `maxlen` filter) and `keras.utils.pad_sequences` (pre/post padding and truncation to one length). Each step
 * follows the Keras source line by line, quirks included (e.g. without `num_words` the largest index itself becomes
 * the OOV character, because Keras keeps `w < max`), so the arrays equal what a Keras script trains on.
 */
import { DataError } from './errors';

/** NumPy's MT19937 as `np.random.RandomState(seed)` seeds it (init_genrand). */
export class NumpyRandomState {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError('seed must be an integer in [0, 2**32 - 1]');
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's legacy random_interval: a uniform integer in [0, max] by masked rejection. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (;;) {
      const v = (this.nextUint32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }

  /** `RandomState.shuffle` of a 1-D array, in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

export interface SequenceOptions {
  num_words?: number | null;
  skip_top?: number;
  /** load_data's `maxlen`: keeps only sequences shorter than this (Keras: `len(x) < maxlen`). */
  filter_maxlen?: number | null;
  seed?: number;
  start_char?: number | null;
  oov_char?: number | null;
  index_from?: number;
}

export interface RawSequences {
  x: ArrayLike<number>[];
  y: ArrayLike<number>;
}

/** The same steps on int32 rows: each row is copied once (by `offset`) and then changed in place. */
type Rows = { x: Int32Array[]; y: number[] };

/** `imdb.load_data` from the arrays of imdb.npz. */
export function kerasImdb(train: RawSequences, test: RawSequences, o: SequenceOptions): { train: Rows; test: Rows } {
  const rng = new NumpyRandomState(o.seed ?? 113);
  const shuffled = (s: RawSequences): Rows => {
    const idx = rng.shuffle(Array.from({ length: s.x.length }, (_, i) => i));
    return { x: idx.map((i) => offsetRow(s.x[i], o)), y: idx.map((i) => s.y[i]) };
  };
  let tr = shuffled(train);
  let te = shuffled(test);
  if (o.filter_maxlen) {
    tr = removeLongSeq(o.filter_maxlen, tr);
    te = removeLongSeq(o.filter_maxlen, te);
    if (tr.x.length === 0 || te.x.length === 0) {
      throw new DataError(`After keeping only sequences shorter than filter_maxlen=${o.filter_maxlen}, no sequence was left; increase filter_maxlen.`, 'spec');
    }
  }
  const xs = cutVocabulary([...tr.x, ...te.x], o);
  return { train: { x: xs.slice(0, tr.x.length), y: tr.y }, test: { x: xs.slice(tr.x.length), y: te.y } };
}

/** `reuters.load_data` from the arrays of reuters.npz (one set, split after shuffling). */
export function kerasReuters(all: RawSequences, o: SequenceOptions & { test_split?: number }): { train: Rows; test: Rows } {
  const rng = new NumpyRandomState(o.seed ?? 113);
  const idx = rng.shuffle(Array.from({ length: all.x.length }, (_, i) => i));
  let s: Rows = { x: idx.map((i) => offsetRow(all.x[i], o)), y: idx.map((i) => all.y[i]) };
  if (o.filter_maxlen) s = removeLongSeq(o.filter_maxlen, s);
  const xs = cutVocabulary(s.x, o);
  const cut = Math.trunc(xs.length * (1 - (o.test_split ?? 0.2)));
  return { train: { x: xs.slice(0, cut), y: s.y.slice(0, cut) }, test: { x: xs.slice(cut), y: s.y.slice(cut) } };
}

/** `[start_char] + [w + index_from for w in x]` (or without the start character). */
function offsetRow(x: ArrayLike<number>, o: SequenceOptions): Int32Array {
  const start = o.start_char === undefined ? 1 : o.start_char;
  const from = o.index_from ?? 3;
  const lead = start !== null ? 1 : 0;
  const row = new Int32Array(x.length + lead);
  if (start !== null) row[0] = start;
  for (let k = 0; k < x.length; k++) row[k + lead] = x[k] + from;
  return row;
}

function removeLongSeq(maxlen: number, s: Rows): Rows {
  const x: Int32Array[] = [];
  const y: number[] = [];
  s.x.forEach((seq, i) => {
    if (seq.length < maxlen) {
      x.push(seq);
      y.push(s.y[i]);
    }
  });
  return { x, y };
}

function cutVocabulary(xs: Int32Array[], o: SequenceOptions): Int32Array[] {
  let numWords = o.num_words;
  if (!numWords) {
    numWords = -Infinity;
    for (const x of xs) for (let k = 0; k < x.length; k++) if (x[k] > numWords) numWords = x[k];
  }
  const skipTop = o.skip_top ?? 0;
  const oov = o.oov_char === undefined ? 2 : o.oov_char;
  const limit = numWords as number;
  if (oov !== null) {
    for (const x of xs) for (let k = 0; k < x.length; k++) if (!(skipTop <= x[k] && x[k] < limit)) x[k] = oov;
    return xs;
  }
  return xs.map((x) => x.filter((w) => skipTop <= w && w < limit));
}

export interface PadOptions {
  /** Length of every output row; Keras's default is the longest sequence. */
  maxlen?: number;
  padding?: 'pre' | 'post';
  truncating?: 'pre' | 'post';
  value?: number;
}

/**
 * `keras.utils.pad_sequences(sequences, maxlen, padding, truncating, value)` into one row-major Int32Array:
 * longer rows lose their start ('pre', default) or end ('post'); shorter ones get `value` before ('pre', default)
 * or after ('post').
 */
export function padSequences(sequences: ArrayLike<number>[], o: PadOptions = {}): { data: Int32Array; maxlen: number } {
  let maxlen = o.maxlen;
  if (maxlen === undefined) {
    maxlen = 0;
    for (const s of sequences) maxlen = Math.max(maxlen, s.length);
  }
  if (!Number.isInteger(maxlen) || maxlen < 0) throw new DataError(`maxlen must be a whole number of at least 1, not ${maxlen}.`, 'spec');
  const value = o.value ?? 0;
  const data = new Int32Array(sequences.length * maxlen);
  if (value !== 0) data.fill(value);
  sequences.forEach((s, i) => {
    if (!s.length || maxlen === 0) return;
    const n = Math.min(s.length, maxlen as number);
    const from = (o.truncating ?? 'pre') === 'pre' ? s.length - n : 0;
    const to = i * (maxlen as number) + ((o.padding ?? 'pre') === 'pre' ? (maxlen as number) - n : 0);
    for (let k = 0; k < n; k++) data[to + k] = s[from + k];
  });
  return { data, maxlen };
}
