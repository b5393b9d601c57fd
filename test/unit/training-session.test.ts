/** applyEvent: the one fold of worker events into a RunResult. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSpec, WorkerEvent } from '../../src/protocol';
import { applyEvent, newRunResult } from '../../src/training/host/run-fold';

const spec: RunSpec = {
  runId: 'r1',
  label: 'Adam',
  definition: { layers: [{ type: 'Dense', units: 2, input_shape: [3] }], compile: { optimizer: 'adam' } },
  repeat: 1,
  seed: 43,
  backend: 'auto',
  baseDir: '/tmp',
  cacheDir: '/tmp/cache',
};

test('a new result is queued with the effective optimizer and no history', () => {
  const r = newRunResult(spec, 3);
  assert.equal(r.status, 'queued');
  assert.equal(r.epochs, 3);
  assert.equal(r.seed, 43);
  assert.equal(r.repeat, 1);
  assert.deepEqual(r.optimizer, {
    type: 'Adam',
    learning_rate: 0.001,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
  });
  assert.deepEqual(r.history, {});
});

test('events fold into status, history, progress, evaluation and the final state', () => {
  const r = newRunResult(spec, 2);
  const events: WorkerEvent[] = [
    {
      type: 'started',
      runId: 'r1',
      backend: 'wasm',
      epochs: 2,
      dataset: {
        name: 'd',
        source: 's',
        train: 8,
        validation: 2,
        test: 0,
        classNames: ['a', 'b'],
        exampleShape: [3],
        task: 'classification',
      },
      optimizer: { type: 'Adam', learning_rate: 0.01 },
    },
    { type: 'batch', runId: 'r1', epoch: 1, batch: 2, batches: 4, loss: 0.9, accuracy: 0.5 },
    {
      type: 'epoch',
      runId: 'r1',
      epoch: 1,
      logs: { loss: 0.8, accuracy: 0.6, val_loss: 0.7, val_accuracy: 0.5 },
      epochMs: 120,
    },
    { type: 'epoch', runId: 'other', epoch: 2, logs: { loss: 9 }, epochMs: 1 },
    {
      type: 'epoch',
      runId: 'r1',
      epoch: 2,
      logs: { loss: 0.6, accuracy: 0.7, val_loss: 0.65, val_accuracy: 0.5 },
      epochMs: 100,
    },
    { type: 'evaluation', runId: 'r1', evaluation: { split: 'validation', loss: 0.65, accuracy: 0.5 } },
    { type: 'evaluation', runId: 'r1', evaluation: { split: 'test', loss: 0.7, accuracy: 0.4 } },
  ];
  events.slice(0, 2).forEach((e) => applyEvent(r, e));
  assert.equal(r.status, 'running');
  assert.equal(r.backend, 'wasm');
  assert.deepEqual(r.optimizer, { type: 'Adam', learning_rate: 0.01 });
  assert.deepEqual(r.progress, { epoch: 1, batch: 2, batches: 4, loss: 0.9, accuracy: 0.5 });
  events.slice(2).forEach((e) => applyEvent(r, e));
  assert.deepEqual(r.history, {
    loss: [0.8, 0.6],
    accuracy: [0.6, 0.7],
    val_loss: [0.7, 0.65],
    val_accuracy: [0.5, 0.5],
  });
  assert.deepEqual(r.epochMs, [120, 100]);
  assert.equal(r.evaluation?.loss, 0.65);
  assert.equal(r.testEvaluation?.accuracy, 0.4);
  applyEvent(r, { type: 'finished', runId: 'r1', status: 'completed', durationMs: 250, weightsPath: '/tmp/w' });
  assert.equal(r.status, 'completed');
  assert.equal(r.weightsPath, '/tmp/w');
  assert.equal(r.durationMs, 250);
  assert.equal(r.progress, undefined);
});

test('a resent epoch event overwrites instead of appending', () => {
  const r = newRunResult(spec, 2);
  const e: WorkerEvent = { type: 'epoch', runId: 'r1', epoch: 1, logs: { loss: 0.5 }, epochMs: 10 };
  applyEvent(r, e);
  applyEvent(r, e);
  assert.deepEqual(r.history, { loss: [0.5] });
  assert.deepEqual(r.epochMs, [10]);
});

test('a failure keeps the epochs and records the reason', () => {
  const r = newRunResult(spec, 5);
  applyEvent(r, { type: 'epoch', runId: 'r1', epoch: 1, logs: { loss: 0.5 }, epochMs: 10 });
  applyEvent(r, {
    type: 'finished',
    runId: 'r1',
    status: 'failed',
    error: 'The loss became NaN at epoch 2, batch 3: training diverged. Try a smaller learning_rate.',
    durationMs: 30,
  });
  assert.equal(r.status, 'failed');
  assert.match(r.error!, /epoch 2, batch 3/);
  assert.deepEqual(r.history.loss, [0.5]);
});
