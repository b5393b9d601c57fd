/**
 * IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw: a big-endian int32 magic number
 * (0x00000803 images, 0x00000801 labels), one int32 per dimension, then the unsigned bytes.
 * Every way a file can be wrong becomes a one-sentence DataError naming the file; a short file is never read as a
 * smaller dataset.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { DataError, formatCount } from './errors';
import { BoundedReadError, formatBytes, readFileBounded } from './read-bounded';

const gunzipAsync = promisify(zlib.gunzip);

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, row-major. */
  pixels: Uint8Array;
}

export interface ImageExpectations {
  count?: number;
  rows?: number;
  cols?: number;
}

export interface LabelExpectations {
  count?: number;
  /** Labels must be below this. */
  numClasses?: number;
}

const REDOWNLOAD = 'Delete it and download again.';

/** The file's bytes, gunzipped when they start with the gzip signature (whatever the file is called). */
/**
 * Largest IDX file read, compressed or not: MNIST-style training images are 47 MB; 1 GiB leaves room for bigger
 * sets while a FIFO, /dev/zero or a gzip bomb stops at a bound instead of filling memory.
 */
export const MAX_IDX_BYTES = 1024 * 1024 * 1024;

/** The file's bytes, gunzipped when they start with the gzip signature (whatever the file is called). */
export async function readMaybeGzipped(file: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFileBounded(file, MAX_IDX_BYTES);
  } catch (e) {
    if (!(e instanceof BoundedReadError)) throw e;
    if (e.reason === 'too-large') throw new DataError(`${e.message}; check that this is an IDX file.`);
    if (e.reason === 'folder' || e.reason === 'special') throw new DataError(`${e.message}; an IDX file must be a regular file.`, 'spec');
    throw new DataError(`Cannot read ${file} (${e.code ?? e.message}); check that it exists and is readable.`, 'not-found');
  }
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    // Sync flush: a truncated .gz yields the bytes it has, so the size check below can say how many are missing.
    return await gunzipAsync(raw, {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      maxOutputLength: MAX_IDX_BYTES,
      chunkSize: gunzipChunkSize(raw),
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError(`${file} unpacks to more than ${formatBytes(MAX_IDX_BYTES)}; check that this is an IDX file.`);
    }
    throw new DataError(`${file} is not a valid gzip file (${(e as Error).message}). ${REDOWNLOAD}`);
  }
}

/** zlib's default output chunk, and the largest one asked for (a chunk is allocated whole). */
const [MIN_CHUNK, MAX_CHUNK] = [16 * 1024, 64 * 1024 * 1024];

/**
 * Output chunk for gunzipping `gz`: the whole output in one chunk when the gzip trailer's size (ISIZE, the size mod
 * 2^32) says how big it is, plus one byte for zlib to see the end. With zlib's default 16 KB chunks Node makes one
 * thread-pool round trip per chunk and concatenates them all: the 47 MB Fashion-MNIST training images took 0.8-2.2 s
 * of CPU instead of 0.4 s (half a worker's start-up before its first step). The trailer is only a hint: it is capped
 * by what deflate can expand the file to (1032:1) and by 64 MB, and `maxOutputLength` still bounds the output.
 */
export function gunzipChunkSize(gz: Uint8Array): number {
  if (gz.length < 18) return MIN_CHUNK;
  const isize = new DataView(gz.buffer, gz.byteOffset + gz.length - 4, 4).getUint32(0, true);
  return Math.max(MIN_CHUNK, Math.min(isize + 1, gz.length * 1032, MAX_CHUNK));
}

export async function readIdxImages(file: string, expect: ImageExpectations = {}): Promise<IdxImages> {
  return decodeIdxImages(await readMaybeGzipped(file), file, expect);
}

export async function readIdxLabels(file: string, expect: LabelExpectations = {}): Promise<Uint8Array> {
  return decodeIdxLabels(await readMaybeGzipped(file), file, expect);
}

export function decodeIdxImages(bytes: Uint8Array, file: string, expect: ImageExpectations = {}): IdxImages {
  const { dims, data } = decodeIdx(bytes, file, IDX_IMAGES_MAGIC, 'image');
  const [count, rows, cols] = dims;
  if (expect.count !== undefined && count !== expect.count) {
    throw new DataError(`${file} holds ${formatCount(count)} images, expected ${formatCount(expect.count)}. ${REDOWNLOAD}`);
  }
  if ((expect.rows !== undefined && rows !== expect.rows) || (expect.cols !== undefined && cols !== expect.cols)) {
    throw new DataError(`${file} holds ${rows}×${cols} images, expected ${expect.rows}×${expect.cols}. ${REDOWNLOAD}`);
  }
  return { count, rows, cols, pixels: data };
}

export function decodeIdxLabels(bytes: Uint8Array, file: string, expect: LabelExpectations = {}): Uint8Array {
  const { dims, data } = decodeIdx(bytes, file, IDX_LABELS_MAGIC, 'label');
  const [count] = dims;
  if (expect.count !== undefined && count !== expect.count) {
    throw new DataError(`${file} holds ${formatCount(count)} labels, expected ${formatCount(expect.count)}. ${REDOWNLOAD}`);
  }
  if (expect.numClasses !== undefined) checkLabelRange(data, file, expect.numClasses);
  // Labels are small: copy them so they do not pin the (possibly pooled) read buffer.
  return data.slice();
}

export function checkLabelRange(labels: Uint8Array, file: string, numClasses: number): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new DataError(
        `${file} has label ${labels[i]} at position ${formatCount(i)}, but the dataset has ${numClasses} classes (0–${numClasses - 1}); the file is corrupt or from another dataset. ${REDOWNLOAD}`,
      );
    }
  }
}

/** Checks one of the two IDX kinds Model Lab reads and returns its dimensions and a view of its data. */
function decodeIdx(
  bytes: Uint8Array,
  file: string,
  magic: number,
  kind: 'image' | 'label',
): { dims: number[]; data: Uint8Array } {
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  const dataName = `${kind} data`;
  if (bytes.length < 4) {
    throw new DataError(`${file} is truncated: it has only ${bytes.length} bytes, not even an IDX header. ${REDOWNLOAD}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) {
    const other = found === IDX_IMAGES_MAGIC ? ' (an image file)' : found === IDX_LABELS_MAGIC ? ' (a label file)' : '';
    throw new DataError(
      `${file} is not an IDX ${kind} file: its magic number is ${hex(found)}${other}, expected ${hex(magic)}; check that the file is the right one, or ${REDOWNLOAD.toLowerCase()}`,
    );
  }
  if (bytes.length < headerBytes) {
    throw new DataError(`${file} is truncated: its header needs ${headerBytes} bytes, found ${bytes.length}. ${REDOWNLOAD}`);
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual < expected) {
    throw new DataError(
      `${file} is truncated: expected ${formatCount(expected)} bytes of ${dataName}, found ${formatCount(actual)}. ${REDOWNLOAD}`,
    );
  }
  if (actual > expected) {
    throw new DataError(
      `${file} has ${formatCount(actual - expected)} bytes after its ${formatCount(expected)} bytes of ${dataName}, so its header count is wrong. ${REDOWNLOAD}`,
    );
  }
  // A plain Uint8Array view, not a Buffer: callers copy splits with `new x.constructor(n)`, which Buffer deprecates.
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, expected) };
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

/** An IDX file's bytes (header + data), for writing samples and test fixtures. */
export function encodeIdx(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}
