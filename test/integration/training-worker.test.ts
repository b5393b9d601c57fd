/**
 * Real worker processes through RunPool on the bundled Fashion-MNIST sample (2,400 train / 600 validation images).
 * Needs the bundle: `node esbuild.config.mjs` first (MODEL_LAB_DIST points elsewhere when set).
 */
import { sampleMlp } from '../helpers/models';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import type { RunSpec, WorkerEvent } from '../../src/protocol';
import { RunPool } from '../../src/training/host/pool';

const root = join(__dirname, '..', '..');
const dist = process.env.MODEL_LAB_DIST ?? join(root, 'dist');
const workerPath = join(dist, 'worker.js');
const scratch = mkdtempSync(join(tmpdir(), 'ml-worker-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const mlp = sampleMlp;

let n = 0;
const spec = (definition: ModelDefinition, extra: Partial<RunSpec> = {}): RunSpec => ({
  runId: `run-${++n}`,
  label: 'Adam',
  definition,
  repeat: 0,
  seed: 42,
  backend: 'wasm',
  baseDir: root,
  cacheDir: join(scratch, 'cache'),
  ...extra,
});

test('the worker bundle exists (run `node esbuild.config.mjs` first)', () => {
  assert.ok(existsSync(workerPath), `${workerPath} is missing`);
});

test('a run in a real worker learns the sample and reports everything', async () => {
  const pool = new RunPool({ size: 1, workerPath });
  const events: WorkerEvent[] = [];
  const weightsDir = join(scratch, 'weights');
  const definition = mlp({ dataset: { name: 'fashion-mnist-sample', evaluate_test: true } });
  const result = await pool.run(spec(definition, { saveWeightsTo: weightsDir }), (e) => events.push(e)).result;
  pool.dispose();
  assert.equal(result.status, 'completed', result.error);
  assert.equal(result.backend, 'wasm');
  assert.deepEqual(Object.keys(result.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  assert.equal(result.history.loss.length, 2);
  assert.ok(result.history.loss[1] < result.history.loss[0], `loss falls: ${result.history.loss}`);
  assert.ok(
    result.history.val_accuracy[1] > 0.5,
    `val_accuracy ${result.history.val_accuracy[1]} well above chance (0.1)`,
  );
  assert.equal(result.epochMs.length, 2);
  const started = events.find((e) => e.type === 'started');
  assert.ok(started && started.type === 'started');
  assert.equal(started.dataset.train + started.dataset.validation, 3000);
  const totalParams = 784 * 32 + 32 + 32 * 10 + 10;
  // The last batch of an epoch is always reported, with the epoch's batch count.
  assert.equal(events.filter((e) => e.type === 'batch').at(-1)?.batches, Math.ceil(2400 / 32));
  const ev = result.evaluation!;
  assert.equal(ev.split, 'validation');
  assert.equal(
    ev.confusionMatrix!.flat().reduce((a, b) => a + b, 0),
    600,
  );
  assert.equal(ev.perClassAccuracy!.length, 10);
  assert.equal(ev.perClassAccuracy![1].className, 'Trouser');
  const test = result.testEvaluation!;
  assert.equal(test.split, 'test');
  assert.equal(
    test.confusionMatrix!.flat().reduce((a, b) => a + b, 0),
    1000,
  );
  // The evaluation repeats the last epoch's validation numbers.
  assert.ok(Math.abs(ev.loss - result.history.val_loss[1]) < 1e-6);
  // Batch progress is throttled: far fewer messages than the 150 batches.
  const batchEvents = events.filter((e) => e.type === 'batch').length;
  assert.ok(batchEvents >= 2 && batchEvents < 150, `${batchEvents} batch messages`);
  assert.equal(result.weightsPath, weightsDir);
  const saved = JSON.parse(readFileSync(join(weightsDir, 'model.json'), 'utf8'));
  assert.equal(saved.format, 'layers-model');
  assert.equal(readFileSync(join(weightsDir, 'weights.bin')).length, totalParams * 4);
});

test('stop after the first epoch keeps it, with status cancelled', async () => {
  // The stock engine and small batches make an epoch long enough for the stop to land inside epoch 2.
  const pool = new RunPool({ size: 1, workerPath, env: { ...process.env, MODEL_LAB_ENGINE: 'stock' } });
  const handle = pool.run(spec(mlp({ fit: { epochs: 5, batch_size: 16 } })), (e) => {
    if (e.type === 'epoch' && e.epoch === 1) handle.stop();
  });
  const result = await handle.result;
  pool.dispose();
  assert.equal(result.status, 'cancelled');
  assert.equal(result.history.loss.length, 1);
  assert.equal(result.error, undefined);
});

test('a SIGKILLed worker fails its run with what it had sent, while another run completes', async () => {
  const pool = new RunPool({ size: 2, workerPath, env: { ...process.env, MODEL_LAB_ENGINE: 'stock' } });
  const victim = pool.run(spec(mlp({ fit: { epochs: 5, batch_size: 16 } })), (e) => {
    if (e.type === 'epoch' && e.epoch === 1 && victim.pid) process.kill(victim.pid, 'SIGKILL');
  });
  const survivor = pool.run(spec(mlp({ fit: { epochs: 1 } })), () => {});
  const [killed, done] = await Promise.all([victim.result, survivor.result]);
  pool.dispose();
  assert.equal(killed.status, 'failed');
  assert.equal(
    killed.error,
    'The training process exited unexpectedly (signal SIGKILL) after 1 of 5 epochs; the finished epochs are kept — run it again, and if it keeps happening see the Model Lab log.',
  );
  assert.equal(killed.history.loss.length, 1);
  assert.equal(done.status, 'completed', done.error);
});

test('a diverging run fails with a clear message and keeps its earlier epochs', async () => {
  // Regression on the class ids with one linear unit: SGD at 0.01 overshoots a little more each step until the
  // loss overflows to infinity, which is what marks divergence.
  const pool = new RunPool({ size: 1, workerPath });
  const result = await pool.run(
    spec(
      mlp({
        layers: [
          { type: 'Flatten', input_shape: [28, 28] },
          { type: 'Dense', units: 1 },
        ],
        compile: { optimizer: { type: 'SGD', learning_rate: 0.01 }, loss: 'mse' },
        fit: { epochs: 6 },
      }),
    ),
    () => {},
  ).result;
  pool.dispose();
  assert.equal(result.status, 'failed');
  assert.match(
    result.error!,
    /^The loss became (NaN|infinite) at epoch [2-6], batch \d+: training diverged\. Try a smaller learning_rate\.$/,
  );
  assert.ok(result.history.loss.length >= 1);
  assert.equal(result.history.loss.length, Number(/epoch (\d)/.exec(result.error!)![1]) - 1);
});

test('queued runs wait for a free slot and a stopped queued run never starts', async () => {
  const pool = new RunPool({ size: 1, workerPath });
  const first = pool.run(spec(mlp({ fit: { epochs: 1 } })), () => {});
  const second = pool.run(spec(mlp({ fit: { epochs: 1 } })), () => {});
  second.stop();
  const [a, b] = await Promise.all([first.result, second.result]);
  pool.dispose();
  assert.equal(a.status, 'completed', a.error);
  assert.equal(b.status, 'cancelled');
  assert.deepEqual(b.history, {});
});

test('SIGINT to a worker (a terminal Ctrl-C reaches it directly) ends its run after the current batch, as a stop', async () => {
  const pool = new RunPool({ size: 1, workerPath, env: { ...process.env, MODEL_LAB_ENGINE: 'stock' } });
  // Batches of 4: an epoch of the sample is some hundreds of ms, so the loop yields (every 100 ms) several times in
  // epoch 2 and hears the signal there; with batches of 16 a fast machine finished epoch 2 before its first yield.
  const handle = pool.run(spec(mlp({ fit: { epochs: 5, batch_size: 4 } })), (e) => {
    // Only the worker hears it: the pool has not been asked to stop.
    if (e.type === 'epoch' && e.epoch === 1 && handle.pid) process.kill(handle.pid, 'SIGINT');
  });
  const result = await handle.result;
  pool.dispose();
  assert.equal(result.status, 'cancelled', result.error);
  assert.equal(result.error, undefined);
  assert.equal(result.history.loss.length, 1, 'epoch 1 is kept, epoch 2 was cut short');
});

test('a worker terminated (SIGTERM) after its stop was asked for is cancelled; a SIGKILL is still a crash', async () => {
  for (const [signal, status] of [
    ['SIGTERM', 'cancelled'],
    ['SIGKILL', 'failed'],
  ] as const) {
    const pool = new RunPool({
      size: 1,
      workerPath,
      env: { ...process.env, MODEL_LAB_ENGINE: 'stock' },
      onStderr: () => undefined,
    });
    const handle = pool.run(spec(mlp({ fit: { epochs: 5, batch_size: 16 } })), (e) => {
      if (e.type === 'epoch' && e.epoch === 1 && handle.pid) {
        handle.stop();
        process.kill(handle.pid, signal);
      }
    });
    const result = await handle.result;
    pool.dispose();
    // SIGKILL is what the kernel's out-of-memory killer sends: never mistaken for the user's stop.
    assert.equal(result.status, status, `${signal}: ${result.error}`);
    assert.equal(result.history.loss.length, 1, `${signal}: the finished epoch is kept`);
  }
});

test('a second SIGINT ends the worker at once, and the run still counts as cancelled with its epochs', async () => {
  const pool = new RunPool({ size: 1, workerPath, env: { ...process.env, MODEL_LAB_ENGINE: 'stock' } });
  const handle = pool.run(spec(mlp({ fit: { epochs: 5, batch_size: 16 } })), (e) => {
    if (e.type === 'epoch' && e.epoch === 1 && handle.pid) {
      process.kill(handle.pid, 'SIGINT');
      process.kill(handle.pid, 'SIGINT');
    }
  });
  const result = await handle.result;
  pool.dispose();
  assert.equal(result.status, 'cancelled', result.error);
  assert.equal(result.history.loss.length, 1);
});
