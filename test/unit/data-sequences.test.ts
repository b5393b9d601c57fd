/**
 * pad_sequences against hand-computed cases (Keras's docstring semantics), NumPy's legacy RandomState shuffle
 * against NumPy itself, and imdb / reuters load_data against Keras's code transcribed into Python and run on the same
 * files (test/fixtures/data/keras-files.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadDataset } from '../../src/data/load';
import { NumpyRandomState, padSequences } from '../../src/data/sequences';
import { kerasReference, python, writeKerasFiles } from '../fixtures/data/keras-files';

const rows = (r: { data: Int32Array; maxlen: number }) =>
  Array.from({ length: r.data.length / r.maxlen }, (_, i) => [...r.data.subarray(i * r.maxlen, (i + 1) * r.maxlen)]);

describe('pad_sequences', () => {
  const seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], []];
  it("pads before and truncates the start by default (padding='pre', truncating='pre', value 0)", () => {
    // [1,2,3] → [0,1,2,3]; [4,5] → [0,0,4,5]; [6..10] keeps its last four; [] is all padding.
    assert.deepEqual(rows(padSequences(seqs, { maxlen: 4 })), [
      [0, 1, 2, 3],
      [0, 0, 4, 5],
      [7, 8, 9, 10],
      [0, 0, 0, 0],
    ]);
  });
  it("pads after and truncates the end with 'post'", () => {
    assert.deepEqual(rows(padSequences(seqs, { maxlen: 4, padding: 'post', truncating: 'post' })), [
      [1, 2, 3, 0],
      [4, 5, 0, 0],
      [6, 7, 8, 9],
      [0, 0, 0, 0],
    ]);
    assert.deepEqual(rows(padSequences(seqs, { maxlen: 4, padding: 'post' })), [
      [1, 2, 3, 0],
      [4, 5, 0, 0],
      [7, 8, 9, 10],
      [0, 0, 0, 0],
    ]);
    assert.deepEqual(rows(padSequences(seqs, { maxlen: 4, truncating: 'post' })), [
      [0, 1, 2, 3],
      [0, 0, 4, 5],
      [6, 7, 8, 9],
      [0, 0, 0, 0],
    ]);
  });
  it('pads with value, and without maxlen to the longest sequence', () => {
    assert.deepEqual(rows(padSequences([[1], [2, 3]], { maxlen: 3, value: 9 })), [
      [9, 9, 1],
      [9, 2, 3],
    ]);
    const r = padSequences(seqs);
    assert.equal(r.maxlen, 5);
    assert.deepEqual(rows(r)[1], [0, 0, 0, 4, 5]);
  });
});

describe("NumPy's RandomState", () => {
  it('draws the same uint32 stream and shuffles exactly as np.random.RandomState(seed).shuffle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-rng-'));
    try {
      const want = JSON.parse(
        python(
          `
out = {}
for seed, n in [(113, 10), (113, 25000), (0, 7), (4294967295, 1000)]:
    r = np.random.RandomState(seed); a = np.arange(n); r.shuffle(a); out['%d-%d' % (seed, n)] = [int(v) for v in a[:50]] + [int(a[-1])]
print(json.dumps(out))`,
          dir,
        ),
      );
      for (const key of ['113-10', '113-25000', '0-7', '4294967295-1000']) {
        const [seed, n] = key.split('-').map(Number);
        const a = new NumpyRandomState(seed).shuffle(Array.from({ length: n }, (_, i) => i));
        assert.deepEqual([...a.slice(0, 50), a[n - 1]], want[key], key);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('imdb and reuters as Keras loads them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-seq-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeKerasFiles(dir);
  const load = (spec: Record<string, unknown>) =>
    loadDataset({ spec: spec as never, baseDir: dir, dataDir: dir, cacheDir: join(dir, 'cache'), systemDirs: [] });

  /** Keras's lists after our pad_sequences(maxlen) must equal our rows. */
  function samePadded(got: Int32Array, maxlen: number, want: number[][]): void {
    assert.equal(got.length, want.length * maxlen);
    assert.deepEqual(rows({ data: got, maxlen }), rows(padSequences(want, { maxlen })));
  }

  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['defaults', {}, {}],
    ['num_words and skip_top', { num_words: 20, skip_top: 6 }, { num_words: 20, skip_top: 6 }],
    [
      'maxlen filter, no start char, oov dropped',
      { filter_maxlen: 9, start_char: null, oov_char: null, num_words: 30 },
      { maxlen: 9, start_char: null, oov_char: null, num_words: 30 },
    ],
    [
      'index_from 0 without start char, another seed',
      { start_char: null, index_from: 0, shuffle_seed: 7 },
      { start_char: null, index_from: 0, seed: 7 },
    ],
  ];
  for (const [title, spec, keras] of cases) {
    it(`imdb: ${title}`, async () => {
      const [[xTrain, yTrain], [xTest, yTest]] = kerasReference(dir, 'imdb', keras);
      const d = await load({ name: 'imdb', maxlen: 8, ...spec });
      assert.deepEqual(d.exampleShape, [8]);
      assert.deepEqual(d.classNames, ['negative', 'positive']);
      samePadded(d.train.x as Int32Array, 8, xTrain);
      samePadded(d.test!.x as Int32Array, 8, xTest);
      assert.deepEqual([...d.train.y], yTrain);
      assert.deepEqual([...d.test!.y], yTest);
    });
  }

  it('reuters: test_split and num_words', async () => {
    const [[xTrain, yTrain], [xTest, yTest]] = kerasReference(dir, 'reuters', { num_words: 25, test_split: 0.3 });
    const d = await load({ name: 'reuters', num_words: 25, test_split: 0.3, maxlen: 6, padding: 'post' });
    assert.equal(d.train.count, 10); // int(15 × 0.7)
    assert.equal(d.test!.count, 5);
    assert.deepEqual(
      rows({ data: d.train.x as Int32Array, maxlen: 6 }),
      rows(padSequences(xTrain, { maxlen: 6, padding: 'post' })),
    );
    assert.deepEqual(
      rows({ data: d.test!.x as Int32Array, maxlen: 6 }),
      rows(padSequences(xTest, { maxlen: 6, padding: 'post' })),
    );
    assert.deepEqual([...d.train.y], yTrain);
    assert.deepEqual([...d.test!.y], yTest);
    assert.equal(d.classNames.length, 46);
  });

  it('without maxlen pads both splits to the longest sequence of either', async () => {
    const [[xTrain], [xTest]] = kerasReference(dir, 'imdb', {});
    const longest = Math.max(...[...xTrain, ...xTest].map((s) => s.length));
    const d = await load({ name: 'imdb' });
    assert.deepEqual(d.exampleShape, [longest]);
  });

  it('says when the maxlen filter leaves nothing', async () => {
    await assert.rejects(
      load({ name: 'imdb', filter_maxlen: 2 }),
      /After keeping only sequences shorter than filter_maxlen=2, no sequence was left; increase filter_maxlen\./,
    );
  });
});
