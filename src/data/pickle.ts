/**
 * A minimal, bounded Python unpickler for exactly what Keras's dataset files hold: dicts, lists, tuples, ints,
 * floats, strings and bytes (protocols 0–5, Python 2 and 3 writers), and NumPy arrays and dtypes rebuilt through
 * `numpy.core.multiarray._reconstruct` / `numpy.dtype` (the CIFAR batches, and the object arrays of imdb.npz and
 * reuters.npz). Nothing else is ever called: any other global is refused by name, as Keras's own RestrictedUnpickler
 * does. It runs over bytes already in memory, one pass, no recursion; every length is checked against what is left,
 * so a hostile or truncated stream fails in time linear in its size with a one-line error, never a hang.
 */

/** A NumPy dtype as pickled: `kind` + `size` ('u1', 'i8', 'f4', 'O8'), little-endian unless `bigEndian`. */
export class PickledDtype {
  bigEndian = false;
  constructor(readonly descr: string) {}
}

/** A NumPy array as pickled: raw little-endian bytes, or (dtype object) the list of its Python objects. */
export class PickledArray {
  shape: number[] = [];
  dtype: PickledDtype | undefined;
  fortran = false;
  /** Raw element bytes (numeric dtypes) or the elements (object dtype). */
  data: Uint8Array | unknown[] | undefined;
}

/** `bytes` (and Python 2 `str`, read with encoding='bytes' as Keras does) stay bytes: a view into the input. */
export type PickleBytes = Uint8Array;

export class PickleError extends Error {
  override readonly name = 'PickleError';
}

interface Global {
  global: string;
}

/**
 * Limits no dataset file comes near (imdb.npz holds 50,000 lists, the CIFAR batches a handful), so a hostile stream
 * of one-byte opcodes cannot make millions of objects or marks.
 */
export const MAX_CONTAINERS = 1_000_000;
export const MAX_MARK_DEPTH = 10_000;

/** The globals a Keras dataset pickle may name; anything else is refused (a pickle can call any function). */
const ALLOWED_GLOBALS = new Set([
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.ndarray',
  'numpy.dtype',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  '_codecs.encode',
  'codecs.encode',
  '__builtin__.set',
  'builtins.set',
]);

/**
 * Unpickles `bytes`. Errors are PickleErrors whose message says what is wrong and at which byte offset; the caller
 * adds the file name.
 */
export function unpickle(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let containers = 0;
  const fail = (what: string): never => {
    throw new PickleError(`${what} at byte ${pos}`);
  };
  const need = (n: number): number => {
    if (!(n >= 0) || pos + n > bytes.length) fail(`the pickle stream is truncated (needs ${n} more bytes)`);
    const at = pos;
    pos += n;
    return at;
  };
  const take = (n: number): Uint8Array => {
    const at = need(n);
    return bytes.subarray(at, at + n);
  };
  const u8 = () => bytes[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const i32 = () => view.getInt32(need(4), true);
  const u64 = (): number => {
    const at = need(8);
    const hi = view.getUint32(at + 4, true);
    if (hi > 0x1fffff) fail('a length does not fit in memory');
    return hi * 2 ** 32 + view.getUint32(at, true);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('the pickle stream is truncated (a text line has no end)');
    const text = latin1(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail('the pickle stack is empty');
    return stack.pop();
  };
  /** Counts a new list, tuple, dict or array against MAX_CONTAINERS. */
  const made = <T>(v: T): T => {
    if (++containers > MAX_CONTAINERS) fail(`the pickle makes more than ${MAX_CONTAINERS.toLocaleString('en-US')} lists, tuples and dicts, far beyond any dataset file`);
    return v;
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('the pickle stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const at = marks.pop();
    if (at === undefined) fail('a MARK is missing');
    return stack.splice(at!);
  };
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const text = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('the pickle protocol is newer than 5');
        break;
      case 0x95: // FRAME: a length prefix only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail('the pickle stream ends with an unbalanced stack');
        return stack[0];
      case 0x28: // MARK
        if (marks.length >= MAX_MARK_DEPTH) fail(`the pickle nests more than ${MAX_MARK_DEPTH.toLocaleString('en-US')} levels`);
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(longBytes(take(u8()), fail));
        break;
      case 0x8b: // LONG4
        stack.push(longBytes(take(u32()), fail));
        break;
      case 0x49: {
        // INT (protocol 0): "01"/"00" are Python 2's True/False
        const t = line();
        stack.push(t === '01' ? true : t === '00' ? false : parseIntText(t, fail));
        break;
      }
      case 0x4c: // LONG (protocol 0): digits with a trailing L
        stack.push(parseIntText(line().replace(/L$/, ''), fail));
        break;
      case 0x47: // BINFLOAT: big-endian double
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x46: {
        // FLOAT (protocol 0)
        const v = Number(line());
        if (Number.isNaN(v)) fail('a FLOAT is not a number');
        stack.push(v);
        break;
      }
      case 0x55: // SHORT_BINSTRING (Python 2 str): bytes, as encoding='bytes' reads it
        stack.push(take(u8()));
        break;
      case 0x54: // BINSTRING
        stack.push(take(i32()));
        break;
      case 0x53: // STRING (protocol 0): a quoted repr; Keras's files never use it for data
        stack.push(quotedString(line(), fail));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(take(u8())));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(take(u32())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(take(u64())));
        break;
      case 0x56: // UNICODE (protocol 0, raw-unicode-escape; plain ASCII in practice)
        stack.push(line());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push(made([]));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(made([]));
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(made(new Map()));
        break;
      case 0x8f: // EMPTY_SET
        stack.push(made([]));
        break;
      case 0x6c: // LIST
      case 0x74: // TUPLE
      case 0x91: // FROZENSET
        stack.push(made(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(made([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(made([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(made([pop(), b, c]));
        break;
      }
      case 0x64: {
        // DICT
        const items = popMark();
        if (items.length % 2) fail('a DICT has a key without a value');
        const d = made(new Map());
        for (let i = 0; i < items.length; i += 2) d.set(dictKey(items[i]), items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top(), fail).push(v);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: {
        // ADDITEMS (to a set, kept as a list)
        const items = popMark();
        const list = asList(top(), fail);
        for (const item of items) list.push(item);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asDict(top(), fail).set(dictKey(k), v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('SETITEMS has a key without a value');
        const d = asDict(top(), fail);
        for (let i = 0; i < items.length; i += 2) d.set(dictKey(items[i]), items[i + 1]);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(allowGlobal(`${module}.${line()}`, fail));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(allowGlobal(`${module}.${name}`, fail));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args)
        const args = pop();
        const fn = pop();
        stack.push(made(call(fn, args, fail)));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        stack.push(made(call(cls, args, fail)));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state)
        const state = pop();
        build(top(), state, fail);
        break;
      }
      case 0x70: // PUT (text index)
        memo.set(parseIntText(line(), fail), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        stack.push(fromMemo(memo, parseIntText(line(), fail), fail));
        break;
      case 0x68: // BINGET
        stack.push(fromMemo(memo, u8(), fail));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(fromMemo(memo, u32(), fail));
        break;
      default:
        pos--;
        fail(`the pickle opcode 0x${op.toString(16).padStart(2, '0')} is not one a dataset file uses`);
    }
  }
}

/** Dict keys: strings stay strings; bytes keys (Python 2 str) become latin-1 strings so lookups are plain. */
function dictKey(k: unknown): unknown {
  return k instanceof Uint8Array ? latin1(k) : k;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

function asList(v: unknown, fail: (w: string) => never): unknown[] {
  if (!Array.isArray(v)) fail('APPEND to something that is not a list');
  return v as unknown[];
}

function asDict(v: unknown, fail: (w: string) => never): Map<unknown, unknown> {
  if (!(v instanceof Map)) fail('SETITEM on something that is not a dict');
  return v as Map<unknown, unknown>;
}

function fromMemo(memo: Map<number, unknown>, i: number, fail: (w: string) => never): unknown {
  if (!memo.has(i)) fail(`the memo has no entry ${i}`);
  return memo.get(i);
}

function allowGlobal(name: string, fail: (w: string) => never): Global {
  if (!ALLOWED_GLOBALS.has(name)) fail(`the pickle names ${JSON.stringify(name.slice(0, 80))}, which a dataset file never needs (refused)`);
  return { global: name.replace(/^numpy\._core\./, 'numpy.core.').replace(/^codecs\./, '_codecs.').replace(/^__builtin__\./, 'builtins.') };
}

function isGlobal(v: unknown): v is Global {
  return typeof v === 'object' && v !== null && typeof (v as Global).global === 'string';
}

function call(fn: unknown, args: unknown, fail: (w: string) => never): unknown {
  if (!isGlobal(fn) || !Array.isArray(args)) return fail('REDUCE needs a callable and an argument tuple');
  switch (fn.global) {
    case 'numpy.core.multiarray._reconstruct': {
      if (!isGlobal(args[0]) || args[0].global !== 'numpy.ndarray') fail('_reconstruct builds something other than an ndarray');
      return new PickledArray();
    }
    case 'numpy.dtype': {
      if (typeof args[0] !== 'string') fail('numpy.dtype needs a type string');
      return new PickledDtype(args[0] as string);
    }
    case '_codecs.encode': {
      // Protocol-2 pickles from Python 3 spell bytes as _codecs.encode('…', 'latin1').
      const [s, encoding] = args;
      if (typeof s !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) fail('_codecs.encode is used with something other than latin1');
      if (/[\u0100-\uffff]/.test(s as string)) fail('_codecs.encode has a character beyond latin1');
      return new Uint8Array(Buffer.from(s as string, 'latin1'));
    }
    case 'numpy.core.multiarray.scalar': {
      // A NumPy scalar: its dtype and its raw bytes.
      const [dtype, raw] = args;
      if (!(dtype instanceof PickledDtype) || !(raw instanceof Uint8Array)) fail('a NumPy scalar needs a dtype and bytes');
      return scalarValue(dtype as PickledDtype, raw as Uint8Array, fail);
    }
    case 'builtins.set':
      return Array.isArray(args[0]) ? [...(args[0] as unknown[])] : [];
    default:
      return fail(`${fn.global} cannot be called`);
  }
}

function build(obj: unknown, state: unknown, fail: (w: string) => never): void {
  if (obj instanceof PickledDtype) {
    // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
    if (Array.isArray(state) && typeof state[1] === 'string') obj.bigEndian = state[1] === '>';
    return;
  }
  if (obj instanceof PickledArray) {
    // (version, shape, dtype, is_fortran, data)
    if (!Array.isArray(state) || state.length !== 5) fail('an ndarray state is not (version, shape, dtype, fortran, data)');
    const [, shape, dtype, fortran, data] = state as unknown[];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) fail('an ndarray shape is not a tuple of sizes');
    if (!(dtype instanceof PickledDtype)) fail('an ndarray has no dtype');
    if (!(data instanceof Uint8Array) && !Array.isArray(data)) fail('an ndarray has no data');
    obj.shape = shape as number[];
    obj.dtype = dtype as PickledDtype;
    obj.fortran = fortran === true;
    obj.data = data as Uint8Array | unknown[];
    return;
  }
  fail('BUILD on an object a dataset file never holds');
}

function scalarValue(dtype: PickledDtype, raw: Uint8Array, fail: (w: string) => never): number {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = !dtype.bigEndian;
  const want = (n: number) => {
    if (raw.length !== n) fail(`a ${dtype.descr} scalar has ${raw.length} bytes`);
  };
  switch (dtype.descr) {
    case 'u1':
      want(1);
      return raw[0];
    case 'i1':
      want(1);
      return v.getInt8(0);
    case 'i4':
      want(4);
      return v.getInt32(0, le);
    case 'u4':
      want(4);
      return v.getUint32(0, le);
    case 'i8': {
      want(8);
      const big = v.getBigInt64(0, le);
      if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) fail('an int64 scalar is too large');
      return Number(big);
    }
    case 'f4':
      want(4);
      return v.getFloat32(0, le);
    case 'f8':
      want(8);
      return v.getFloat64(0, le);
    default:
      return fail(`a NumPy scalar of type ${dtype.descr} is not supported`);
  }
}

/** Two's-complement little-endian integer (LONG1/LONG4); beyond 2^53 it is refused rather than rounded. */
function longBytes(b: Uint8Array, fail: (w: string) => never): number {
  if (b.length === 0) return 0;
  if (b.length > 7) {
    let big = 0n;
    for (let i = b.length - 1; i >= 0; i--) big = (big << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) big -= 1n << BigInt(8 * b.length);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) fail('an integer is too large');
    return Number(big);
  }
  let n = 0;
  for (let i = b.length - 1; i >= 0; i--) n = n * 256 + b[i];
  if (b[b.length - 1] & 0x80) n -= 2 ** (8 * b.length);
  return n;
}

function parseIntText(t: string, fail: (w: string) => never): number {
  if (!/^[+-]?\d{1,15}$/.test(t)) fail(`"${t.slice(0, 20)}" is not an integer`);
  return Number(t);
}

function quotedString(t: string, fail: (w: string) => never): Uint8Array {
  const m = /^(['"])(.*)\1$/.exec(t);
  if (!m || m[2].includes('\\')) return fail('a protocol-0 STRING is not a plain quoted string');
  return Uint8Array.from(m[2], (c) => c.charCodeAt(0) & 0xff);
}
