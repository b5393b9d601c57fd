/**
 * NumPy `.npy` arrays (the format of `np.save`, and each member of an `.npz`): the magic `\x93NUMPY`, a version,
 * a Python-dict header `{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }`, then the data.
 * Numeric arrays must be C order and little-endian in one of the dtypes people save data in (uint8, int32, int64,
 * float32, float64); object arrays (`|O`, ragged sequences in imdb.npz) are a pickle, read by the bounded
 * unpickler. Every problem is a PickleError-free one-line NpyError the caller prefixes with the file name.
 * `npyBytes` writes the one kind Model Lab saves (float32, C order; trained weights for `np.load`).
 */
import { PickledArray, PickleError, unpickle } from './pickle';

export class NpyError extends Error {
  override readonly name = 'NpyError';
  /** True when the bytes are damaged (truncated, malformed) rather than a valid array of a kind not read. */
  constructor(
    message: string,
    readonly damaged = false,
  ) {
    super(message);
  }
}

export type NpyValues = Uint8Array | Int32Array | Float32Array | Float64Array;

export interface NpyArray {
  shape: number[];
  /** NumPy's type string without byte order: 'u1', 'i4', 'i8', 'f4', 'f8' or 'O'. */
  dtype: string;
  /** Numeric arrays: values in C order (int64 as Int32Array, refused when a value does not fit). */
  values?: NpyValues;
  /** Object arrays: the pickled elements (lists of numbers for sequence datasets). */
  objects?: unknown[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_HEADER = 1 << 16;

const DTYPE_NAMES: Record<string, string> = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  O: 'object',
};
const ITEM_SIZE: Record<string, number> = { u1: 1, i4: 4, i8: 8, f4: 4, f8: 8 };

export const SUPPORTED_DTYPES = 'uint8, int32, int64, float32 or float64';

/** Parses one .npy file's bytes. `allowObjects`: read `|O` arrays (Keras's own files only). */
export function parseNpy(bytes: Uint8Array, opts: { allowObjects?: boolean } = {}): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyError('it is not a NumPy .npy array (it does not start with \\x93NUMPY)', true);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError('its .npy header is truncated', true);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyError(`its .npy format version ${major} is not one NumPy writes (1, 2 or 3)`, true);
  }
  if (headerLen > MAX_HEADER || start + headerLen > bytes.length) throw new NpyError('its .npy header is truncated or too long', true);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const { descr, fortran, shape } = parseHeader(header);
  const data = bytes.subarray(start + headerLen);

  const m = /^([<>|=]?)([a-zA-Z]\d*)$/.exec(descr);
  if (!m) throw new NpyError(`its dtype ${descr} is a structured or unusual type; use a plain ${SUPPORTED_DTYPES} array`);
  const [, order, type] = m;
  const count = shape.reduce((a, b) => a * b, 1);
  if (type === 'O') {
    if (!opts.allowObjects) {
      throw new NpyError(
        'it holds Python objects (dtype object, e.g. lists of different lengths); use keras.utils.pad_sequences to give them one length, then save the numeric array',
      );
    }
    return { shape, dtype: 'O', objects: objectElements(data, shape, count) };
  }
  const size = ITEM_SIZE[type];
  if (size === undefined) {
    throw new NpyError(`its dtype is ${DTYPE_NAMES[type] ?? descr}, which Model Lab does not read; use ${SUPPORTED_DTYPES} (e.g. save x.astype("float32"))`);
  }
  if (order === '>' && size > 1) throw new NpyError('it is big-endian; use little-endian values (e.g. save x.astype("<f4"))');
  if (fortran && shape.length > 1) throw new NpyError('it is in Fortran order; use C order (e.g. save np.ascontiguousarray(x))');
  if (data.length !== count * size) {
    throw new NpyError(
      data.length < count * size
        ? `it is truncated: shape (${shape.join(', ')}) needs ${count * size} bytes of data, found ${data.length}`
        : `it has ${data.length - count * size} bytes after the ${count * size} its shape (${shape.join(', ')}) needs`,
      true,
    );
  }
  return { shape, dtype: type, values: numericValues(type, data, count) };
}

function parseHeader(header: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) throw new NpyError('it is a structured array (named fields); use one plain array per field');
    throw new NpyError('its .npy header has no descr', true);
  }
  if (fortran === undefined || shapeText === undefined) throw new NpyError('its .npy header has no fortran_order or shape', true);
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.every((p) => /^\d{1,12}$/.test(p))) throw new NpyError(`its shape (${shapeText.trim()}) is not a tuple of sizes`, true);
  const shape = parts.map(Number);
  if (shape.reduce((a, b) => a * b, 1) > 2 ** 32) throw new NpyError(`its shape (${shape.join(', ')}) is too large to load`);
  return { descr, fortran: fortran === 'True', shape };
}

function numericValues(type: string, data: Uint8Array, count: number): NpyValues {
  if (type === 'u1') return new Uint8Array(data.buffer, data.byteOffset, count);
  // Copy into an aligned buffer (a member of a zip starts at any offset), then view it.
  const aligned = new Uint8Array(data.length);
  aligned.set(data);
  if (type === 'i4') return new Int32Array(aligned.buffer, 0, count);
  if (type === 'f4') return new Float32Array(aligned.buffer, 0, count);
  if (type === 'f8') return new Float64Array(aligned.buffer, 0, count);
  const big = new BigInt64Array(aligned.buffer, 0, count);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = big[i];
    if (v > 2147483647n || v < -2147483648n) {
      throw new NpyError(`its int64 element ${i} is ${v}, beyond what Model Lab reads (±2,147,483,647); use float64 values or smaller integers`);
    }
    out[i] = Number(v);
  }
  return out;
}

function objectElements(data: Uint8Array, shape: number[], count: number): unknown[] {
  let value: unknown;
  try {
    value = unpickle(data);
  } catch (e) {
    if (e instanceof PickleError) throw new NpyError(`its object array is not a readable pickle (${e.message})`, true);
    throw e;
  }
  if (!(value instanceof PickledArray) || !Array.isArray(value.data) || !/^O\d*$/.test(value.dtype?.descr ?? '')) {
    throw new NpyError('its object array pickle does not hold a NumPy object array', true);
  }
  if (value.data.length !== count || value.shape.join() !== shape.join()) {
    throw new NpyError(`its object array holds ${value.data.length} elements but its header says shape (${shape.join(', ')})`, true);
  }
  return value.data;
}

/** "uint8 of shape (60000, 28, 28)", for messages. */
export function describeArray(a: NpyArray): string {
  return `${DTYPE_NAMES[a.dtype] ?? a.dtype} of shape (${a.shape.join(', ')}${a.shape.length === 1 ? ',' : ''})`;
}

/** One `.npy` file (format 1.0) holding float32 data in C order. */
export function npyBytes(shape: readonly number[], data: Float32Array): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new RangeError(`npy: shape (${shape.join(', ')}) holds ${count} values but the data has ${data.length}`);
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces and a newline to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], i * 4);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}
