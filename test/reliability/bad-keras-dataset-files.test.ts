/**
 * Broken Keras dataset files and NumPy arrays found through `--data DIR`: a truncated or flipped mnist.npz, an HTML
 * page saved as imdb.npz, a cut CIFAR tarball, a CIFAR batch that names a foreign pickle global, a float16 .npz.
 * The CLI exits 1 with one line naming the file, and a worker run fails with the very same sentence.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import { RunPool } from '../../src/training/host/pool';
import { python, writeKerasFiles } from '../fixtures/data/keras-files';
import {
  assertRefused,
  assertRunFailsWith,
  requireDist,
  runCli,
  runSpec,
  tempDir,
  withTimeout,
  WORKER,
} from '../fixtures/reliability/harness';

const tmp = tempDir('keras-data');
const valid = join(tmp.dir, 'valid');
let pool: RunPool;

const mlp = (dataset: ModelDefinition['dataset'], input?: number[]): ModelDefinition => ({
  dataset,
  layers: [
    { type: 'Flatten', ...(input ? { input_shape: input } : {}) },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy' },
  fit: { epochs: 1, batch_size: 4 },
});

interface Fault {
  name: string;
  file: string;
  definition: ModelDefinition;
  make(dir: string): void;
  says: RegExp;
}

const edit = (name: string, change: (b: Buffer) => Buffer) => (dir: string) =>
  writeFileSync(join(dir, name), change(readFileSync(join(valid, name))));
const FAULTS: Fault[] = [
  {
    name: 'mnist.npz cut in half',
    file: 'mnist.npz',
    definition: mlp('mnist'),
    make: edit('mnist.npz', (b) => b.subarray(0, b.length >> 1)),
    says: /is not a valid \.npz file: its zip directory is missing/,
  },
  {
    name: 'mnist.npz with a flipped byte',
    file: 'mnist.npz',
    definition: mlp('mnist'),
    make: edit('mnist.npz', (b) => {
      const c = Buffer.from(b);
      c[300] ^= 0x10;
      return c;
    }),
    says: /the member x_train (fails its CRC-32 check|does not inflate)/,
  },
  {
    name: 'an HTML page saved as imdb.npz',
    file: 'imdb.npz',
    definition: mlp({ name: 'imdb', maxlen: 8 }),
    make: edit('imdb.npz', () => Buffer.from('<!doctype html><p>Sign in to the network</p>')),
    says: /it is not a zip archive/,
  },
  {
    name: 'a cut CIFAR-10 tarball',
    file: 'cifar-10-python.tar.gz',
    definition: mlp('cifar10'),
    make: edit('cifar-10-python.tar.gz', (b) => b.subarray(0, b.length - 300)),
    says: /is not a valid \.tar\.gz archive/,
  },
  {
    name: 'a CIFAR-10 batch naming os.system',
    file: join('cifar-10-batches-py', 'data_batch_1'),
    definition: mlp('cifar10'),
    make: (dir) => {
      mkdirSync(join(dir, 'cifar-10-batches-py'));
      for (const b of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) {
        writeFileSync(
          join(dir, 'cifar-10-batches-py', b),
          Buffer.from("cos\nsystem\n(S'touch /tmp/pwned'\ntR.", 'latin1'),
        );
      }
    },
    says: /names "os\.system", which a dataset file never needs \(refused\)/,
  },
  {
    name: 'a float16 array in the workspace .npz',
    file: 'half.npz',
    definition: mlp({ npz: 'half.npz' }, [4]),
    make: (dir) =>
      python(`np.savez('half.npz', x=np.zeros((8, 4), dtype=np.float16), y=np.zeros(8, dtype=np.int64))`, dir),
    says: /its dtype is float16, which Model Lab does not read; use uint8, int32, int64, float32 or float64/,
  },
];

before(() => {
  requireDist();
  mkdirSync(valid);
  writeKerasFiles(valid);
  pool = new RunPool({ size: 1, workerPath: WORKER });
});
after(() => {
  pool.dispose();
  tmp.cleanup();
});

describe('a broken Keras dataset file or NumPy array', () => {
  FAULTS.forEach((fault, i) => {
    test(`${fault.name}: CLI exit 1 with one line, and a worker run fails with the same sentence`, async () => {
      const dir = join(tmp.dir, `case-${i}`);
      mkdirSync(dir);
      fault.make(dir);
      writeFileSync(join(dir, 'model.model.json'), JSON.stringify(fault.definition, null, 2));

      const cli = await runCli(['train', 'model.model.json', '--data', dir, '--epochs', '1'], dir, 60_000, {
        HOME: dir,
        KERAS_HOME: join(dir, 'keras'),
      });
      const message = assertRefused(cli, [join(dir, fault.file), fault.says]);
      await assertRunFailsWith(pool, runSpec(`keras-${i}`, fault.definition, dir, { dataDir: dir }), message);
    });
  });

  test('the valid files the faults were made from train (so the failures above are the faults, not the setup)', async () => {
    const dir = join(tmp.dir, 'valid-run');
    mkdirSync(dir);
    for (const f of ['mnist.npz', 'cifar-10-python.tar.gz']) copyFileSync(join(valid, f), join(dir, f));
    for (const [k, definition] of [mlp('mnist'), mlp('cifar10')].entries()) {
      const run = await withTimeout(
        pool.run(runSpec(`keras-valid-${k}`, definition, dir, { dataDir: dir }), () => undefined).result,
        120_000,
        'the valid run hung',
      );
      assert.equal(run.status, 'completed', run.error);
    }
  });
});
