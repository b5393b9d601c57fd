/**
 * NumPy's `.npy` and `.npz` formats, written without NumPy: trained weights that Python loads with `np.load` and
 * nothing from Model Lab. An `.npz` is a zip archive (stored, not compressed) of one `.npy` file per array; a `.npy`
 * is a magic string, a version, a Python-dict header and the raw little-endian float32 data.
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */

export interface NamedArray {
  /** Key in the archive (`np.load(f)[name]`): letters, digits and underscores. */
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** One `.npy` file (format 1.0) holding float32 data in C order. */
export function npyBytes(shape: readonly number[], data: Float32Array): Buffer {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new Error(`npy: shape (${shape.join(', ')}) holds ${count} values but the data has ${data.length}`);
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

/** An `.npz` archive of the arrays, in order (`np.load(f).files` lists them in this order). */
export function npzBytes(arrays: readonly NamedArray[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const a of arrays) {
    if (!/^\w+$/.test(a.name) || seen.has(a.name)) throw new Error(`npz: bad or repeated array name '${a.name}'`);
    seen.add(a.name);
    const name = Buffer.from(`${a.name}.npy`, 'latin1');
    const data = npyBytes(a.shape, a.data);
    const crc = crc32(data);
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

let table: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Archive names for a model's weights in Keras's `get_weights()` order: `w00_dense_kernel`, `w01_dense_bias`, …
 * (the index keeps `sorted(np.load(f).files)` in that order too).
 */
export function weightArrayNames(variableNames: readonly string[]): string[] {
  const width = Math.max(2, String(variableNames.length - 1).length);
  return variableNames.map(
    (n, i) => `w${String(i).padStart(width, '0')}_${n.replace(/\W+/g, '_').replace(/^_|_$/g, '')}`,
  );
}

/**
 * Reads an `.npz` of float32 arrays as `npzBytes` writes it (stored entries, C order). Anything else — compressed
 * entries, other dtypes, a truncated file — is refused with one sentence.
 */
export function readNpz(bytes: Buffer): NamedArray[] {
  const out: NamedArray[] = [];
  let at = 0;
  while (at + 30 <= bytes.length && bytes.readUInt32LE(at) === 0x04034b50) {
    const method = bytes.readUInt16LE(at + 8);
    const size = bytes.readUInt32LE(at + 18);
    const nameLength = bytes.readUInt16LE(at + 26);
    const extra = bytes.readUInt16LE(at + 28);
    const name = bytes.toString('latin1', at + 30, at + 30 + nameLength).replace(/\.npy$/, '');
    const start = at + 30 + nameLength + extra;
    if (method !== 0 || start + size > bytes.length)
      throw new Error(`npz: the entry '${name}' is compressed or truncated`);
    out.push({ name, ...readNpy(bytes.subarray(start, start + size), name) });
    at = start + size;
  }
  return out;
}

function readNpy(b: Buffer, name: string): { shape: number[]; data: Float32Array } {
  if (b.length < 10 || b.toString('latin1', 0, 6) !== '\x93NUMPY')
    throw new Error(`npz: '${name}' is not an .npy array`);
  const headerLength = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + headerLength);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header))
    throw new Error(`npz: '${name}' is not float32 in C order`);
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = dims
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '')
    .map(Number);
  const count = shape.reduce((a, d) => a * d, 1);
  const start = 10 + headerLength;
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || start + count * 4 > b.length)
    throw new Error(`npz: '${name}' is truncated`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = b.readFloatLE(start + i * 4);
  return { shape, data };
}
