/**
 * The .npy / .npz / pickle readers against files NumPy and Python write (python3 + numpy in the test), and against
 * damaged or hostile bytes: each failure is one sentence naming the file, in bounded time.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataError } from '../../src/data/errors';
import { NpyError, parseNpy } from '../../src/data/npy';
import { parseNpz, readNpzFile } from '../../src/data/npz';
import { MAX_CONTAINERS, MAX_MARK_DEPTH, PickledArray, PickleError, unpickle } from '../../src/data/pickle';
import { python } from '../fixtures/data/keras-files';

const dir = mkdtempSync(join(tmpdir(), 'ml-npy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

python(
  `
np.save('u1.npy', np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
np.save('f4.npy', np.array([[0.5, -1.25], [3e-8, 1e30]], dtype=np.float32))
np.save('f8.npy', np.array([0.1, -2.5, 1e300], dtype=np.float64))
np.save('i8.npy', np.array([-3, 0, 2147483647], dtype=np.int64))
np.save('i4.npy', np.array([[7, -8]], dtype=np.int32))
np.save('i8big.npy', np.array([1, 2**40], dtype=np.int64))
np.save('be.npy', np.array([1.5], dtype='>f4'))
np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save('f2.npy', np.array([1.0], dtype=np.float16))
np.save('bool.npy', np.array([True, False]))
np.save('struct.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))
np.save('scalar.npy', np.float32(2.5))
a = np.empty(3, dtype=object); a[0] = [1, 2, 3]; a[1] = []; a[2] = [70000, 5]
np.save('objects.npy', a, allow_pickle=True)
np.savez('plain.npz', x_train=np.arange(6, dtype=np.float32).reshape(3, 2), y_train=np.array([0, 1, 2], dtype=np.int64))
np.savez_compressed('packed.npz', x=np.arange(1000, dtype=np.uint8).reshape(10, 100), y=np.arange(10, dtype=np.int32))
with open('p2.pickle', 'wb') as f:
    pickle.dump({b'data': np.arange(6, dtype=np.uint8).reshape(2, 3), b'labels': [3, 1], 'name': 'x', 'f': 1.5, 'n': None, 't': (True, False), 'big': 2**40, 'neg': -5}, f, protocol=2)
with open('p0.pickle', 'wb') as f:
    pickle.dump({'a': [1, -2, 3.5], 'b': 'text'}, f, protocol=0)
with open('p5.pickle', 'wb') as f:
    pickle.dump({'a': [1, 2], 'big': list(range(300)), 'u': 'é'}, f, protocol=5)
`,
  dir,
);

const file = (name: string) => readFileSync(join(dir, name));

function npyError(name: string): string {
  try {
    parseNpy(file(name));
  } catch (e) {
    assert.ok(e instanceof NpyError, String(e));
    return e.message;
  }
  assert.fail(`${name} was accepted`);
}

describe('.npy', () => {
  it('reads uint8, float32, float64, int32 and int64 arrays in C order', () => {
    const u1 = parseNpy(file('u1.npy'));
    assert.deepEqual(u1.shape, [2, 3, 4]);
    assert.equal(u1.dtype, 'u1');
    assert.deepEqual(
      [...u1.values!],
      Array.from({ length: 24 }, (_, i) => i),
    );
    assert.deepEqual([...parseNpy(file('f4.npy')).values!], [0.5, -1.25, Math.fround(3e-8), Math.fround(1e30)]);
    assert.deepEqual([...parseNpy(file('f8.npy')).values!], [0.1, -2.5, 1e300]);
    const i8 = parseNpy(file('i8.npy'));
    assert.ok(i8.values instanceof Int32Array);
    assert.deepEqual([...i8.values], [-3, 0, 2147483647]);
    assert.deepEqual([...parseNpy(file('i4.npy')).values!], [7, -8]);
    assert.deepEqual(parseNpy(file('scalar.npy')).shape, []);
  });

  it('refuses what it does not read, with a sentence saying what to save instead', () => {
    assert.match(npyError('be.npy'), /big-endian/);
    assert.match(npyError('fortran.npy'), /Fortran order; use C order/);
    assert.match(
      npyError('f2.npy'),
      /dtype is float16, which Model Lab does not read; use uint8, int32, int64, float32 or float64/,
    );
    assert.match(npyError('bool.npy'), /dtype is bool/);
    assert.match(npyError('struct.npy'), /structured array/);
    assert.match(npyError('i8big.npy'), /int64 element 1 is 1099511627776, beyond/);
    assert.match(
      npyError('objects.npy'),
      /holds Python objects .* use keras\.utils\.pad_sequences to give them one length/,
    );
  });

  it('reads an object array of lists (pickled) only when asked to', () => {
    const a = parseNpy(file('objects.npy'), { allowObjects: true });
    assert.deepEqual(a.objects, [[1, 2, 3], [], [70000, 5]]);
  });

  it('says what is wrong with a truncated, padded or foreign file', () => {
    const u1 = file('u1.npy');
    assert.throws(
      () => parseNpy(u1.subarray(0, u1.length - 1)),
      /truncated: shape \(2, 3, 4\) needs 24 bytes of data, found 23/,
    );
    assert.throws(() => parseNpy(Buffer.concat([u1, Buffer.from([0])])), /1 bytes after the 24/);
    assert.throws(() => parseNpy(Buffer.from('hello world')), /not a NumPy \.npy array/);
    assert.throws(() => parseNpy(u1.subarray(0, 30)), /header is truncated/);
  });
});

describe('.npz', () => {
  it('reads stored and deflated archives written with zip64 local headers', async () => {
    const plain = await readNpzFile(join(dir, 'plain.npz'));
    assert.deepEqual(plain.names.sort(), ['x_train', 'y_train']);
    assert.deepEqual([...plain.array('x_train').values!], [0, 1, 2, 3, 4, 5]);
    const packed = await readNpzFile(join(dir, 'packed.npz'));
    const x = packed.array('x');
    assert.deepEqual(x.shape, [10, 100]);
    assert.equal(x.values![999], 999 % 256);
  });

  it('names the missing array and lists the ones there', async () => {
    const npz = await readNpzFile(join(dir, 'plain.npz'));
    assert.throws(
      () => npz.array('x'),
      (e: unknown) =>
        e instanceof DataError &&
        /has no array "x"; it holds "x_train", "y_train"\. Check that np\.savez wrote it/.test(e.message),
    );
  });

  it('catches a flipped byte by its CRC, a cut file, and a file that is no zip', () => {
    const bytes = Buffer.from(file('plain.npz'));
    const f = join(dir, 'plain.npz');
    // A byte of x_train's data (stored, so it is the array's own byte) flipped: the CRC-32 no longer matches.
    const at = bytes.indexOf(Buffer.from(new Float32Array([5]).buffer));
    bytes[at + 3] ^= 0x40;
    assert.throws(
      () => parseNpz(bytes, f).array('x_train'),
      /plain\.npz is not a valid \.npz file: the member x_train fails its CRC-32 check/,
    );
    const cut = file('packed.npz').subarray(0, 400);
    assert.throws(
      () => parseNpz(cut, f),
      /its zip directory is missing \(the file is truncated or not a zip archive\)/,
    );
    assert.throws(() => parseNpz(file('u1.npy'), f), /it is a single \.npy array/);
    assert.throws(() => parseNpz(Buffer.from('not a zip at all, just text'), f), /it is not a zip archive/);
  });

  it('refuses a directory or a missing file by name', async () => {
    await assert.rejects(
      readNpzFile(dir, 'dataset.npz file'),
      /is not a regular file; point the dataset\.npz file at a file/,
    );
    await assert.rejects(
      readNpzFile(join(dir, 'nope.npz')),
      (e: unknown) => e instanceof DataError && e.code === 'not-found' && /does not exist/.test(e.message),
    );
  });

  it('stops a deflate bomb at the size its directory declares', () => {
    // One member declaring 10 bytes whose deflate stream inflates to 50 MB of zeros.
    const script = `
import zipfile, zlib
data = b'\\0' * 50_000_000
with zipfile.ZipFile('bomb.npz', 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('x.npy', data)
raw = bytearray(open('bomb.npz', 'rb').read())
i = raw.rfind(b'PK\\x01\\x02')
raw[i + 24:i + 28] = (10).to_bytes(4, 'little')
open('bomb.npz', 'wb').write(raw)
`;
    python(script, dir);
    const started = Date.now();
    assert.throws(
      () => parseNpz(file('bomb.npz'), 'bomb.npz').array('x'),
      /the member x (does not inflate|inflates to)/,
    );
    assert.ok(Date.now() - started < 10_000);
  });
});

describe('pickle', () => {
  it('reads a protocol-2 dict with a NumPy array, bytes keys, lists, floats, None, tuples and longs', () => {
    const d = unpickle(file('p2.pickle')) as Map<unknown, unknown>;
    const data = d.get('data') as PickledArray;
    assert.ok(data instanceof PickledArray);
    assert.deepEqual(data.shape, [2, 3]);
    assert.equal(data.dtype?.descr, 'u1');
    assert.deepEqual([...(data.data as Uint8Array)], [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(d.get('labels'), [3, 1]);
    assert.equal(d.get('name'), 'x');
    assert.equal(d.get('f'), 1.5);
    assert.equal(d.get('n'), null);
    assert.deepEqual(d.get('t'), [true, false]);
    assert.equal(d.get('big'), 2 ** 40);
    assert.equal(d.get('neg'), -5);
  });

  it('reads protocol 0 and protocol 5 streams', () => {
    const p0 = unpickle(file('p0.pickle')) as Map<unknown, unknown>;
    assert.deepEqual(p0.get('a'), [1, -2, 3.5]);
    assert.equal(p0.get('b'), 'text');
    const p5 = unpickle(file('p5.pickle')) as Map<unknown, unknown>;
    assert.equal((p5.get('big') as number[]).length, 300);
    assert.equal(p5.get('u'), 'é');
  });

  it("reads Python 2's str (SHORT_BINSTRING / BINSTRING) as bytes, as the CIFAR batches hold them", () => {
    // {'data': 'ab', 'labels': [1]} as cPickle protocol 2 writes it: } q( U\x04data q T\x02\x00\x00\x00ab U\x06labels ] K\x01 a u .
    const bytes = Buffer.concat([
      Buffer.from([0x80, 0x02, 0x7d, 0x28, 0x55, 4]),
      Buffer.from('data'),
      Buffer.from([0x54, 2, 0, 0, 0]),
      Buffer.from('ab'),
      Buffer.from([0x55, 6]),
      Buffer.from('labels'),
      Buffer.from([0x5d, 0x4b, 1, 0x61, 0x75, 0x2e]),
    ]);
    const d = unpickle(bytes) as Map<unknown, unknown>;
    assert.deepEqual([...(d.get('data') as Uint8Array)], [0x61, 0x62]);
    assert.deepEqual(d.get('labels'), [1]);
  });

  it('refuses any global beyond the NumPy array machinery, by name', () => {
    const evil = Buffer.from("cos\nsystem\n(S'echo hi'\ntR.", 'latin1');
    assert.throws(
      () => unpickle(evil),
      (e: unknown) =>
        e instanceof PickleError &&
        /names "os\.system", which a dataset file never needs \(refused\) at byte \d+/.test(e.message),
    );
  });

  it('fails at once, with the offset, on truncated streams and impossible lengths', () => {
    const p2 = file('p2.pickle');
    assert.throws(() => unpickle(p2.subarray(0, p2.length - 10)), /truncated|stack/);
    // BINBYTES8 declaring 2^50 bytes: refused by length, not by trying to allocate it.
    const huge = Buffer.from([0x80, 0x04, 0x8e, 0, 0, 0, 0, 0, 0, 4, 0, 0x2e]);
    assert.throws(() => unpickle(huge), /truncated \(needs 1125899906842624 more bytes\) at byte 11/);
    assert.throws(
      () => unpickle(Buffer.from([0x80, 0x02, 0xff])),
      /opcode 0xff is not one a dataset file uses at byte 2/,
    );
    assert.throws(() => unpickle(Buffer.from([0x61, 0x2e])), /stack is empty/);
  });

  it('refuses a stream of one-byte opcodes that would make millions of objects or marks', () => {
    const lists = Buffer.concat([
      Buffer.from([0x80, 0x02]),
      Buffer.alloc(MAX_CONTAINERS + 1, 0x5d),
      Buffer.from([0x2e]),
    ]);
    const started = Date.now();
    assert.throws(
      () => unpickle(lists),
      /makes more than 1,000,000 lists, tuples and dicts, far beyond any dataset file at byte 1000003/,
    );
    assert.throws(
      () => unpickle(Buffer.alloc(MAX_MARK_DEPTH + 1, 0x28)),
      /nests more than 10,000 levels at byte 10001/,
    );
    // Generous: the shared test machine runs many suites at once; unbounded work would take minutes.
    assert.ok(Date.now() - started < 15_000);
  });

  it('reads a 100,000-element list in linear time', () => {
    const n = 100_000;
    const body = Buffer.alloc(n * 5);
    for (let i = 0; i < n; i++) {
      body[i * 5] = 0x4a;
      body.writeInt32LE(i, i * 5 + 1);
    }
    const started = Date.now();
    const list = unpickle(
      Buffer.concat([Buffer.from([0x80, 0x02, 0x5d, 0x28]), body, Buffer.from([0x65, 0x2e])]),
    ) as number[];
    assert.equal(list.length, n);
    assert.equal(list[n - 1], n - 1);
    assert.ok(Date.now() - started < 5000);
  });
});
