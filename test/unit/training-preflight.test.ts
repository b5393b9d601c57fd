/** The once-per-session checks made before any worker starts: backend and shared dataset. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError } from '../../src/data/errors';
import type { ModelDefinition } from '../../src/model/types';
import type { BackendName, RunSpec } from '../../src/protocol';
import { BackendError } from '../../src/training/backend';
import { preflight } from '../../src/training/host/preflight';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-preflight-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const csvModel = (csv: string): ModelDefinition => ({
  dataset: { csv, label: 'y' },
  layers: [{ type: 'Dense', units: 2, activation: 'softmax', input_shape: [2] }],
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy' },
});

const specs = (n: number, definition: ModelDefinition, backend: BackendName = 'wasm'): RunSpec[] =>
  Array.from({ length: n }, (_, i) => ({
    runId: `r${i}`,
    label: `r${i}`,
    definition,
    repeat: i,
    seed: i,
    backend,
    baseDir: dir,
    cacheDir: join(dir, 'cache'),
  }));

test('a native backend that is not installed is refused with what to do', async () => {
  await assert.rejects(preflight(specs(3, csvModel('x.csv'), 'tensorflow')), (e) => {
    assert.ok(e instanceof BackendError);
    assert.equal(
      e.message,
      "The 'tensorflow' backend needs @tensorflow/tfjs-node, which is not installed: run 'npm install @tensorflow/tfjs-node' next to Model Lab, or use --backend wasm.",
    );
    return true;
  });
});

test('a missing CSV shared by several runs is one DataError before any run', async () => {
  await assert.rejects(
    preflight(specs(4, csvModel('missing.csv'))),
    (e) => e instanceof DataError && /missing\.csv does not exist/.test(e.message),
  );
});

test('a CSV with a bad cell is found once, with its line', async () => {
  writeFileSync(join(dir, 'bad.csv'), 'a,b,y\n1,2,0\n3,oops,1\n');
  await assert.rejects(
    preflight(specs(2, csvModel('bad.csv'))),
    (e) => e instanceof DataError && /bad\.csv:3/.test(e.message),
  );
});

test('a single run finds its own data (not read twice)', async () => {
  await preflight(specs(1, csvModel('missing.csv')));
});

test('a good dataset passes, reporting what it read; the bundled sample needs no check', async () => {
  writeFileSync(join(dir, 'good.csv'), 'a,b,y\n1,2,0\n3,4,1\n');
  const said: string[] = [];
  await preflight(specs(3, csvModel('good.csv')), { onProgress: (m) => said.push(m) });
  assert.deepEqual(said, [`Reading ${join(dir, 'good.csv')}`], 'read once for three runs');
  said.length = 0;
  await preflight(specs(3, { ...csvModel('x'), dataset: 'fashion-mnist-sample' }), { onProgress: (m) => said.push(m) });
  assert.deepEqual(said, []);
});

const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
test(
  'Fashion-MNIST already on disk is only located, not read',
  { skip: !existsSync(DEBIAN_FASHION_MNIST) && 'needs dataset-fashion-mnist' },
  async () => {
    const said: string[] = [];
    const located = specs(2, { ...csvModel('x'), dataset: 'fashion-mnist' }).map((s) => ({
      ...s,
      dataDir: DEBIAN_FASHION_MNIST,
    }));
    await preflight(located, { onProgress: (m) => said.push(m) });
    assert.deepEqual(said, []);
  },
);
