/**
 * The Keras datasets read from disk (no download): MNIST and CIFAR as `load_data` returns them (CIFAR turned to
 * channels-last), Keras's extracted CIFAR folder, the user's NumPy arrays, and a damaged file of each kind.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../../src/data/load';
import type { DatasetObject } from '../../src/model/types';
import { cifarPixel, python, writeKerasFiles } from '../fixtures/data/keras-files';
import { dataError } from '../helpers/data-error';

const root = mkdtempSync(join(tmpdir(), 'ml-keras-'));
after(() => rmSync(root, { recursive: true, force: true }));
const files = join(root, 'files');
mkdirSync(files);
writeKerasFiles(files);

let n = 0;
/** A request that finds `dataDir` first and never looks at ~/.keras or the network. */
function load(spec: DatasetObject, dataDir = files, loss?: string) {
  const base = join(root, `case-${n++}`);
  return loadDataset({
    spec,
    baseDir: dataDir,
    dataDir,
    cacheDir: join(base, 'cache'),
    systemDirs: [],
    mirror: 'http://127.0.0.1:9/',
    loss,
  });
}

/** A folder holding only a copy of `name` from the fixtures, changed by `edit`. */
function variant(name: string, edit: (b: Buffer) => Buffer): string {
  const dir = join(root, `variant-${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, name), edit(readFileSync(join(files, name))));
  return dir;
}

describe('Keras datasets on disk', () => {
  it('a data folder or dataset.path without the file is refused, naming it, even when the cache has it (issue 14)', async () => {
    const empty = join(root, 'empty-data');
    mkdirSync(empty);
    const cacheDir = join(root, 'cache-with-mnist');
    mkdirSync(join(cacheDir, 'mnist'), { recursive: true });
    writeFileSync(join(cacheDir, 'mnist', 'mnist.npz'), readFileSync(join(files, 'mnist.npz')));
    const request = { baseDir: root, cacheDir, systemDirs: [], mirror: 'http://127.0.0.1:9/' };
    // The cache alone answers.
    assert.equal(
      (await loadDataset({ ...request, spec: { name: 'mnist' } })).source,
      join(cacheDir, 'mnist', 'mnist.npz'),
    );
    const folder = await dataError(loadDataset({ ...request, spec: { name: 'mnist' }, dataDir: empty }));
    assert.equal(
      folder.message,
      `The data folder ${empty} does not hold mnist.npz, nor does its mnist subfolder; put it there, point the data folder elsewhere, or unset it to let Model Lab find or download MNIST.`,
    );
    const path = await dataError(loadDataset({ ...request, spec: { name: 'mnist', path: 'empty-data' } }));
    assert.equal(
      path.message,
      `dataset.path ${empty} does not hold mnist.npz; put it there, or remove "path" to let Model Lab find or download MNIST.`,
    );
    // The data folder's subfolder named after the dataset is searched too.
    mkdirSync(join(empty, 'mnist'));
    writeFileSync(join(empty, 'mnist', 'mnist.npz'), readFileSync(join(files, 'mnist.npz')));
    assert.equal(
      (await loadDataset({ ...request, spec: { name: 'mnist' }, dataDir: empty })).source,
      join(empty, 'mnist', 'mnist.npz'),
    );
  });

  it('mnist: 28×28 uint8 digits scaled by 1/255, ten numbered classes, the test set too', async () => {
    const d = await load({ name: 'mnist' });
    assert.equal(d.source, join(files, 'mnist.npz'));
    assert.deepEqual(d.exampleShape, [28, 28]);
    assert.equal(d.scale, 1 / 255);
    assert.deepEqual(d.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(d.train.count, 12);
    assert.equal(d.test?.count, 5);
    // Image 11, row 2, column 5: (11 × 7 + 2 × 28 + 5) % 256 = 138.
    assert.equal(d.train.x[11 * 784 + 2 * 28 + 5], 138);
    assert.deepEqual([...d.test!.y], [3, 4, 5, 6, 7]);
  });

  it('cifar10: five batches and the test batch, CHW turned to HWC as Keras does, class names', async () => {
    const d = await load({ name: 'cifar10' });
    assert.deepEqual(d.exampleShape, [32, 32, 3]);
    assert.equal(d.train.count, 15);
    assert.equal(d.test?.count, 4);
    assert.equal(d.classNames[0], 'airplane');
    assert.equal(d.classNames[9], 'truck');
    for (const [i, r, c, ch] of [
      [0, 0, 0, 0],
      [7, 3, 17, 2],
      [14, 31, 31, 1],
    ]) {
      assert.equal(d.train.x[i * 3072 + (r * 32 + c) * 3 + ch], cifarPixel(i, r, c, ch), `train ${i} ${r} ${c} ${ch}`);
    }
    assert.equal(d.test!.x[3 * 3072 + (5 * 32 + 6) * 3 + 2], cifarPixel(103, 5, 6, 2));
    assert.deepEqual([...d.train.y].slice(0, 4), [0, 7, 4, 1]); // (i × 7) % 10
  });

  it("cifar100: fine or coarse labels, with the archive's class names", async () => {
    const fine = await load({ name: 'cifar100' });
    assert.equal(fine.classNames.length, 100);
    assert.equal(fine.classNames[3], 'fine3');
    assert.deepEqual([...fine.train.y], [0, 7, 14, 21, 28]);
    const coarse = await load({ name: 'cifar100', label_mode: 'coarse' });
    assert.equal(coarse.classNames.length, 20);
    assert.deepEqual([...coarse.train.y], [0, 7, 14, 1, 8]);
    assert.equal(coarse.test?.count, 3);
  });

  it('takes path naming the file itself', async () => {
    const d = await loadDataset({
      spec: { name: 'mnist', path: 'files/mnist.npz' },
      baseDir: root,
      cacheDir: join(root, 'no-cache'),
      systemDirs: [],
      mirror: 'http://127.0.0.1:9/',
    });
    assert.equal(d.source, join(files, 'mnist.npz'));
  });

  it("reads Keras's extracted cifar-10-batches-py folder as well as the archive", async () => {
    const dir = join(root, 'extracted');
    mkdirSync(dir);
    python(`tarfile.open('${join(files, 'cifar-10-python.tar.gz')}').extractall('${dir}')`, root);
    const d = await load({ name: 'cifar10' }, dir);
    assert.equal(d.source, join(dir, 'cifar-10-batches-py'));
    assert.equal(d.train.x[7 * 3072 + (3 * 32 + 17) * 3 + 2], cifarPixel(7, 3, 17, 2));
  });

  it('a truncated archive, a corrupt npz and a foreign file each fail in one sentence naming the file', async () => {
    const cut = variant('cifar-10-python.tar.gz', (b) => b.subarray(0, b.length >> 1));
    let e = await dataError(load({ name: 'cifar10' }, cut));
    assert.match(
      e.message,
      /cifar-10-python\.tar\.gz is not a valid \.tar\.gz archive: gunzip failed \(unexpected end of file\)\. Delete it and download again\.$/,
    );

    const wrongTar = variant('cifar-10-python.tar.gz', () => gzipSync(Buffer.alloc(2048, 1)));
    e = await dataError(load({ name: 'cifar10' }, wrongTar));
    assert.match(e.message, /is not a valid \.tar\.gz archive: a member header fails its checksum/);

    const flipped = variant('mnist.npz', (b) => {
      const c = Buffer.from(b);
      c[200] ^= 0xff;
      return c;
    });
    e = await dataError(load({ name: 'mnist' }, flipped));
    assert.match(
      e.message,
      /mnist\.npz is not a valid \.npz file: the member x_train (fails its CRC-32 check|does not inflate)/,
    );

    const text = variant('imdb.npz', () => Buffer.from('<html>404</html>'));
    e = await dataError(load({ name: 'imdb', maxlen: 5 }, text));
    assert.match(
      e.message,
      /imdb\.npz is not a valid \.npz file: it is not a zip archive\. Delete it and download again\.$/,
    );
    assert.ok(!e.message.includes('\n'));
  });

  it('a CIFAR batch pickle that names a foreign global is refused', async () => {
    const dir = join(root, 'evil');
    mkdirSync(join(dir, 'cifar-10-batches-py'), { recursive: true });
    for (const b of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
      writeFileSync(join(dir, 'cifar-10-batches-py', b), Buffer.from("cos\nsystem\n(S'true'\ntR.", 'latin1'));
    }
    const e = await dataError(load({ name: 'cifar10' }, dir));
    assert.match(
      e.message,
      /cifar-10-batches-py\/data_batch_\d is not a readable Python pickle \(the pickle names "os\.system", which a dataset file never needs \(refused\) at byte \d+\)/,
    );
  });
});

describe('NumPy arrays in the workspace', () => {
  const dir = join(root, 'workspace');
  mkdirSync(dir);
  python(
    `
np.savez('arrays.npz', x_train=np.arange(40, dtype=np.float64).reshape(10, 4), y_train=np.array([i % 3 for i in range(10)]),
         x_test=np.ones((2, 4), dtype=np.float32), y_test=np.array([0, 2]))
np.savez('custom.npz', inputs=np.zeros((6, 2, 2), dtype=np.uint8), targets=np.linspace(0, 1, 6))
np.save('x.npy', np.arange(12, dtype=np.int32).reshape(6, 2)); np.save('y.npy', np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]])
np.save('y_bad.npy', np.array([0.5, 1, 2, 0, 1, 2]))
np.save('x_f16.npy', np.zeros((6, 2), dtype=np.float16))
`,
    dir,
  );

  it('reads x_train / y_train / x_test / y_test by default, float64 as float32, classes numbered', async () => {
    const d = await load({ npz: 'arrays.npz' }, dir);
    assert.equal(d.name, 'arrays.npz');
    assert.deepEqual(d.exampleShape, [4]);
    assert.ok(d.train.x instanceof Float32Array);
    assert.equal(d.train.x[39], 39);
    assert.deepEqual(d.classNames, ['0', '1', '2']);
    assert.equal(d.task, 'classification');
    assert.equal(d.test?.count, 2);
  });

  it('takes named arrays, a scale, and regression targets for mse', async () => {
    const d = await load({ npz: 'custom.npz', x: 'inputs', y: 'targets', scale: 0.5 }, dir, 'mse');
    assert.deepEqual(d.exampleShape, [2, 2]);
    assert.equal(d.scale, 0.5);
    assert.equal(d.task, 'regression');
    assert.ok(Math.abs(d.train.y[5] - 1) < 1e-7);
  });

  it('reads .npy files, one-hot labels becoming class ids', async () => {
    const d = await load({ x: 'x.npy', y: 'y.npy' }, dir, 'categorical_crossentropy');
    assert.ok(d.train.x instanceof Int32Array);
    assert.deepEqual([...d.train.y], [0, 1, 2, 0, 1, 2]);
    assert.equal(d.classNames.length, 3);
  });

  it('says what is wrong: a missing array, fractional class labels, an unsupported dtype', async () => {
    let e = await dataError(load({ npz: 'custom.npz' }, dir));
    assert.match(
      e.message,
      /custom\.npz holds "inputs", "targets"; name the inputs and labels with dataset\.x and dataset\.y/,
    );
    e = await dataError(load({ npz: 'arrays.npz', x: 'features' }, dir));
    assert.match(
      e.message,
      /arrays\.npz has no array "features" \(dataset\.x\); set it to one it holds: "x_train", "y_train", "x_test", "y_test"\./,
    );
    e = await dataError(load({ x: 'x.npy', y: 'y_bad.npy' }, dir, 'sparse_categorical_crossentropy'));
    assert.match(e.message, /y_bad\.npy: label 0 is 0\.5, not a class id/);
    e = await dataError(load({ x: 'x_f16.npy', y: 'y.npy' }, dir));
    assert.match(
      e.message,
      /x_f16\.npy cannot be read: its dtype is float16, which Model Lab does not read; use uint8, int32, int64, float32 or float64/,
    );
  });
});
