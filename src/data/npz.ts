/**
 * NumPy `.npz` archives (`np.savez`, `np.savez_compressed`, Keras's mnist.npz and imdb.npz): a zip file of `.npy`
 * members. Read from the zip's central directory (NumPy writes zip64 local headers whose sizes are placeholders),
 * stored or deflated, each member inflated only when asked for, to exactly its declared size and CRC-32 checked.
 * The whole file is read once through an opened descriptor after a size check, so a huge or special file is refused
 * before any memory is spent on it. `npzBytes` writes one (stored members of float32 `.npy`s), as Model Lab saves
 * trained weights and optimizer state.
 */
import { open } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { DataError, formatCount } from './errors';
import { NpyError, npyBytes, parseNpy, type NpyArray } from './npy';

/** Keras's largest .npz (imdb) is 17 MB, a user's arrays can be larger; beyond this it is surely not meant. */
export const MAX_NPZ_BYTES = 2 ** 31 - 1;

export interface NpzMember {
  /** The array name: the member's file name without `.npy`. */
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export interface NpzArchive {
  file: string;
  names: string[];
  /** Reads one array; `allowObjects` admits pickled object arrays (Keras's own files only). */
  array(name: string, opts?: { allowObjects?: boolean }): NpyArray;
}

/**
 * The whole of a regular file, refused with a sentence when it is not a regular file, is larger than `maxBytes`,
 * or changes size while read.
 */
export async function readWholeFile(file: string, maxBytes: number, what: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      code === 'ENOENT' ? `${file} does not exist; check the ${what} path (it is relative to the model file's folder).` : `Cannot read ${file} (${code ?? (e as Error).message}); check that it is readable.`,
      'not-found',
    );
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new DataError(`${file} is not a regular file; point the ${what} at a file.`, 'spec');
    if (st.size > maxBytes) throw new DataError(`${file} is ${formatCount(st.size)} bytes, more than Model Lab reads as ${what} (${formatCount(maxBytes)}); use a smaller file.`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const { bytesRead } = await handle.read(buf, got, st.size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got !== st.size) throw new DataError(`${file} shrank while it was read; try again once nothing is writing it.`);
    return buf;
  } finally {
    await handle.close();
  }
}

/** What to do about a damaged workspace file; Keras's downloaded files say "Delete it and download again." */
export const RESAVE = 'Check that np.savez wrote it completely, and save it again.';

export async function readNpzFile(file: string, what = 'dataset', remedy = RESAVE): Promise<NpzArchive> {
  return parseNpz(await readWholeFile(file, MAX_NPZ_BYTES, what), file, remedy);
}

/**
 * Parses the archive's directory; members are decoded lazily by `array()`. Errors are DataErrors naming `file`;
 * damage ends with `remedy`.
 */
export function parseNpz(bytes: Uint8Array, file: string, remedy = RESAVE): NpzArchive {
  const bad = (what: string) => new DataError(`${file} is not a valid .npz file: ${what}. ${remedy}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const members = readDirectory(bytes, view, bad);
  const byName = new Map(members.map((m) => [m.name, m]));
  return {
    file,
    names: members.map((m) => m.name),
    array(name, opts = {}) {
      const m = byName.get(name);
      if (!m) {
        throw new DataError(`${file} has no array "${name}"; it holds ${members.map((x) => `"${x.name}"`).join(', ') || 'no arrays'}. ${remedy}`);
      }
      const data = memberBytes(bytes, view, m, bad);
      try {
        return parseNpy(data, opts);
      } catch (e) {
        if (e instanceof NpyError) throw new DataError(`${file}: the array "${name}" cannot be read: ${e.message}.${e.damaged ? ` ${remedy}` : ''}`);
        throw e;
      }
    },
  };
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function readDirectory(bytes: Uint8Array, view: DataView, bad: (w: string) => DataError): NpzMember[] {
  if (bytes.length >= 4 && view.getUint32(0, true) !== LOCAL && view.getUint32(0, true) !== EOCD) {
    throw bad(bytes[0] === 0x93 ? 'it is a single .npy array (use "npy" for it)' : 'it is not a zip archive');
  }
  // The end record is in the last 22 + 65,535 (comment) bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('its zip directory is missing (the file is truncated or not a zip archive)');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== ZIP64_LOCATOR) throw bad('its zip64 directory locator is missing');
    const at = u64(view, loc + 8, bad);
    if (at + 56 > bytes.length || view.getUint32(at, true) !== ZIP64_EOCD) throw bad('its zip64 directory record is missing');
    count = u64(view, at + 32, bad);
    cdSize = u64(view, at + 40, bad);
    cdOffset = u64(view, at + 48, bad);
  }
  if (cdOffset + cdSize > bytes.length) throw bad('its zip directory points past the end of the file (truncated)');
  if (count > cdSize / 46) throw bad('its zip directory counts more members than it holds');
  const members: NpzMember[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdOffset + cdSize || view.getUint32(p, true) !== CENTRAL) throw bad(`its zip directory entry ${k + 1} is damaged`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize) throw bad(`its zip directory entry ${k + 1} is damaged`);
    const rawName = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // Zip64 sizes live in extra field 0x0001, in this order, for those that are 0xFFFFFFFF above.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let f = e + 4;
        const next = () => {
          if (f + 8 > e + 4 + len) throw bad(`its zip64 sizes for ${rawName} are damaged`);
          const v = u64(view, f, bad);
          f += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      e += 4 + len;
    }
    if (flags & 1) throw bad(`${rawName} is encrypted`);
    if (!rawName.endsWith('/')) members.push({ name: rawName.replace(/\.npy$/, ''), method, crc, compressedSize, size, localOffset });
    p = end;
  }
  return members;
}

function memberBytes(bytes: Uint8Array, view: DataView, m: NpzMember, bad: (w: string) => DataError): Uint8Array {
  const at = m.localOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL) throw bad(`the member ${m.name} is damaged`);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + m.compressedSize > bytes.length) throw bad(`the member ${m.name} is truncated`);
  const stored = bytes.subarray(start, start + m.compressedSize);
  let out: Uint8Array;
  if (m.method === 0) {
    if (m.compressedSize !== m.size) throw bad(`the member ${m.name} has inconsistent sizes`);
    out = stored;
  } else if (m.method === 8) {
    try {
      // Never more than the declared size: a deflate bomb stops at the limit and fails the size check below.
      out = zlib.inflateRawSync(stored, { maxOutputLength: Math.max(1, m.size) });
    } catch (e) {
      throw bad(`the member ${m.name} does not inflate (${(e as Error).message.replace(/\.$/, '')})`);
    }
  } else {
    throw bad(`the member ${m.name} uses zip compression method ${m.method}; NumPy writes stored or deflated members only`);
  }
  if (out.length !== m.size) throw bad(`the member ${m.name} inflates to ${out.length} bytes, not the ${m.size} its directory says`);
  if (zlib.crc32(out) >>> 0 !== m.crc) throw bad(`the member ${m.name} fails its CRC-32 check (the file is corrupt)`);
  return out;
}

function u64(view: DataView, at: number, bad: (w: string) => DataError): number {
  if (at < 0 || at + 8 > view.byteLength) throw bad('a zip64 field points past the end of the file');
  const hi = view.getUint32(at + 4, true);
  if (hi > 0x1fffff) throw bad('a zip64 field is too large');
  return hi * 2 ** 32 + view.getUint32(at, true);
}

/** A float32 array to save under a name (`np.load(f)[name]`): letters, digits and underscores. */
export interface NamedArray {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** An `.npz` archive of the arrays, in order (`np.load(f).files` lists them in this order). */
export function npzBytes(arrays: readonly NamedArray[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const a of arrays) {
    if (!/^\w+$/.test(a.name) || seen.has(a.name)) throw new RangeError(`npz: bad or repeated array name '${a.name}'`);
    seen.add(a.name);
    const name = Buffer.from(`${a.name}.npy`, 'latin1');
    const data = npyBytes(a.shape, a.data);
    const crc = zlib.crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(arrays.length, 8);
  end.writeUInt16LE(arrays.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
