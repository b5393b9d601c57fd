/**
 * The native backend's whole path, as `Model Lab: Install Native Backend` takes it: the real npm installs a stand-in
 * `@tensorflow/tfjs-node` (it registers a tfjs backend named 'tensorflow', as the real one does, from the cpu
 * kernels) from a local registry into a native folder; a session given that folder then trains in a real worker
 * (dist/worker.js) on it, and its record says which backend ran and why. The real package cannot install here (its
 * install downloads libtensorflow from the internet). Needs the bundle: `npm run build` first.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { analyzeDefinition } from '../../src/model/analyze';
import { ZERO_RANGE } from '../../src/model/text-lines';
import { RunStore } from '../../src/panel/run-store';
import { BackendError } from '../../src/training/backend';
import { installNative, nativeFolder, TFJS_VERSION } from '../../src/training/host/native-install';
import { RunPool } from '../../src/training/host/pool';
import { SessionDriver } from '../../src/training/host/session-driver';
import { npmTestEnv, packFakeTfjsNode, startFakeRegistry, type FakeRegistry } from '../helpers/fake-native';
import { sampleMlp } from '../helpers/models';

const root = join(__dirname, '..', '..');
const workerPath = join(process.env.MODEL_LAB_DIST ?? join(root, 'dist'), 'worker.js');
const nativeInstalledHere = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].some((pkg) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
});
const skip = nativeInstalledHere && 'a real tfjs-node is installed next to Model Lab, and it is found first';

let work: string;
let registry: FakeRegistry;
let nativeDir: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'ml-native-run-'));
  const tarball = packFakeTfjsNode(join(work, 'pkg'), TFJS_VERSION);
  registry = await startFakeRegistry([{ name: '@tensorflow/tfjs-node', version: TFJS_VERSION, tarball }]);
  nativeDir = nativeFolder(join(work, 'globalStorage'));
});
after(async () => {
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
});

function session(backend: 'auto' | 'tensorflow', dir: string | undefined, store: RunStore) {
  const definition = sampleMlp({ fit: { epochs: 1, batch_size: 64 } });
  const { summary } = analyzeDefinition(definition, { values: new Map(), keys: new Map() }, ZERO_RANGE);
  return new SessionDriver({
    pool: new RunPool({ size: 1, workerPath, onStderr: () => undefined }),
    kind: 'train',
    definition,
    summary: summary!,
    baseDir: work,
    backend,
    audience: 'editor',
    cacheDir: join(work, 'cache'),
    ...(dir ? { nativeDir: dir } : {}),
    sink: store,
  });
}

test('the worker bundle exists (run `npm run build` first)', () => {
  assert.ok(existsSync(workerPath), `${workerPath} is missing`);
});

test('before the install: auto trains on wasm and its record says tfjs-node is not installed', { skip }, async () => {
  const store = new RunStore(join(work, 'runs-before'));
  const driver = session('auto', nativeDir, store);
  try {
    // A native backend asked for by name is refused before any worker, with the editor's words.
    await assert.rejects(session('tensorflow', nativeDir, store).run(), (e: unknown) => {
      assert.ok(e instanceof BackendError);
      assert.match(
        e.message,
        /needs @tensorflow\/tfjs-node, which is not installed: run 'Model Lab: Install Native Backend'/,
      );
      return true;
    });
    const outcome = await driver.run();
    assert.equal(outcome.state, 'trained');
    if (outcome.state !== 'trained') return;
    const { record } = outcome;
    assert.equal(record.runs[0].status, 'completed', record.runs[0].error);
    assert.equal(record.backend, 'wasm');
    assert.equal(
      record.backendNote,
      "Training on the bundled WebAssembly backend because @tensorflow/tfjs-node is not installed (run 'Model Lab: Install Native Backend' for native TensorFlow speed).",
    );
  } finally {
    driver.pool.dispose();
  }
});

test(
  'installed by the command logic with npm, tfjs-node is what auto trains on, and the record says so',
  { skip, timeout: 240_000 },
  async () => {
    const installed = await installNative({
      backend: 'tensorflow',
      dir: nativeDir,
      env: npmTestEnv(registry.url, join(work, 'npm-cache')),
      timeoutMs: 120_000,
    });
    assert.equal(installed.version, TFJS_VERSION);
    const store = new RunStore(join(work, 'runs-after'));
    for (const backend of ['auto', 'tensorflow'] as const) {
      const driver = session(backend, nativeDir, store);
      try {
        const outcome = await driver.run();
        assert.equal(outcome.state, 'trained');
        if (outcome.state !== 'trained') return;
        const { record, saved } = outcome;
        const run = record.runs[0];
        assert.equal(run.status, 'completed', run.error);
        assert.equal(run.backend, 'tensorflow');
        assert.equal(record.backend, 'tensorflow');
        assert.equal(
          run.backendNote,
          backend === 'auto'
            ? "Training on native TensorFlow rather than WebAssembly: @tensorflow/tfjs-node installed in Model Lab's storage loaded."
            : 'Training on tensorflow as asked (the modelLab.backend setting "tensorflow"), with @tensorflow/tfjs-node installed in Model Lab\'s storage.',
        );
        assert.equal(record.backendNote, run.backendNote);
        assert.ok(Number.isFinite(run.history.loss?.[0]), `a loss: ${run.history.loss}`);
        assert.ok((run.history.val_accuracy?.[0] ?? 0) > 0.3, `it learned: ${run.history.val_accuracy}`);
        // The saved record (what the panel and the history read back) holds the same.
        assert.equal(saved, true);
        const back = await store.read(record.id);
        assert.equal(back?.backend, 'tensorflow');
        assert.equal(back?.backendNote, run.backendNote);
      } finally {
        driver.pool.dispose();
      }
    }
  },
);
