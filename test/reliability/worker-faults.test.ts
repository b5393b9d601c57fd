/**
 * A worker that dies — killed by the OS, or out of memory — takes only its own run down: that run ends `failed`
 * with the epochs it finished, and every other run keeps training to the end.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunRecord } from '../../src/protocol';
import { RunPool } from '../../src/training/host/pool';
import { TrainingSession } from '../../src/training/host/session';
import { RunStore } from '../../src/panel/run-store';
import {
  assertUserMessage,
  requireDist,
  runSpec,
  sampleDefinition,
  tempDir,
  WORKER,
  withTimeout,
  workerChildren,
  workerPidOf,
} from '../fixtures/reliability/harness';

const tmp = tempDir('worker');
before(requireDist);
after(tmp.cleanup);

const summary = {
  name: 'reliability-mlp',
  layers: [],
  totalParams: 25_450,
  trainableParams: 25_450,
  nonTrainableParams: 0,
};

test('a worker killed with SIGKILL mid-epoch fails with its finished epochs; the other run of the comparison completes', async () => {
  const pool = new RunPool({ size: 2, workerPath: WORKER });
  // Small batches and a wider layer make an epoch last long enough (300 steps) to see progress events inside it.
  const definition = sampleDefinition({
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units: 256, activation: 'relu' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    fit: { epochs: 3, batch_size: 8 },
    compare: { optimizers: ['adam', 'sgd'] },
  });
  let killedAt: { epoch: number; batch: number } | undefined;
  const session = new TrainingSession(pool, {
    kind: 'compare',
    id: 'kill-test',
    definition,
    summary,
    baseDir: tmp.dir,
    backend: 'wasm',
    cacheDir: tmp.dir,
    onUpdate: (_record, run, event) => {
      // Kill the first run partway through its second epoch, while both workers are busy.
      if (
        run.runId === 'kill-test-0-0' &&
        event.type === 'batch' &&
        event.epoch === 2 &&
        event.batch < event.batches &&
        !killedAt
      ) {
        killedAt = { epoch: event.epoch, batch: event.batch };
        process.kill(workerPidOf(pool, run.runId), 'SIGKILL');
      }
    },
  });
  try {
    const record = await withTimeout(session.done, 120_000, 'the comparison did not finish after a worker was killed');
    assert.ok(killedAt, 'the test never saw epoch 2 of the first run, so it could not kill it mid-epoch');
    const [killed, other] = record.runs;
    assert.equal(killed.status, 'failed');
    assert.equal(killed.history.loss?.length, 1, 'the killed run keeps exactly the one epoch it finished');
    assert.equal(killed.history.val_accuracy?.length, 1);
    assert.equal(killed.epochMs.length, 1);
    assert.ok(Number.isFinite(killed.history.loss[0]) && killed.history.loss[0] > 0);
    assert.equal(killed.progress, undefined, 'a finished run shows no live progress bar');
    assert.match(killed.error ?? '', /SIGKILL/);
    assert.match(killed.error ?? '', /after 1 of 3 epochs/);

    assert.equal(other.status, 'completed', `the other run: ${other.error}`);
    assert.equal(other.history.loss.length, 3);
    assert.equal(other.history.val_accuracy.length, 3);
    assert.ok(other.evaluation, 'the surviving run is evaluated');
    assert.equal(record.active, false);
    await assertRecordRoundTrips(record);
    // Last, so the checks above report first: the sentence must also tell the user what to do next.
    assertUserMessage(killed.error, [], "the killed run's error");
  } finally {
    pool.dispose();
  }
  assert.deepEqual(await settleWorkers(), [], 'no worker process is left behind');
});

test('a worker that runs out of memory fails with a clear message while a run in another pool completes', async () => {
  // 8 MB of V8 heap is too little to even load TensorFlow.js: the worker aborts with "heap out of memory".
  const starved = new RunPool({ size: 1, workerPath: WORKER, execArgv: ['--max-old-space-size=8'] });
  const healthy = new RunPool({ size: 1, workerPath: WORKER });
  try {
    const oom = starved.run(runSpec('oom', sampleDefinition(), tmp.dir), () => undefined);
    const ok = healthy.run(runSpec('ok', sampleDefinition(), tmp.dir), () => undefined);
    const [failed, completed] = await withTimeout(Promise.all([oom.result, ok.result]), 120_000, 'runs did not finish');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.history.loss, undefined, 'no epoch finished, so none is invented');
    assert.equal(completed.status, 'completed', `the healthy run: ${completed.error}`);
    assert.equal(completed.history.loss.length, 1);

    // The pool that lost a worker still trains: a later run with enough memory in the same process tree completes.
    const again = healthy.run(runSpec('again', sampleDefinition(), tmp.dir), () => undefined);
    assert.equal((await withTimeout(again.result, 60_000, 'the follow-up run hung')).status, 'completed');
    assert.match(failed.error ?? '', /memory/i, `the error should say the run ran out of memory: ${failed.error}`);
    assertUserMessage(failed.error, [], 'the out-of-memory error');
  } finally {
    starved.dispose();
    healthy.dispose();
  }
  assert.deepEqual(await settleWorkers(), []);
});

async function assertRecordRoundTrips(record: RunRecord): Promise<void> {
  const store = new RunStore(tmp.dir + '/runs');
  const id = 'kill-test';
  const file = await store.write({ ...record, id });
  assert.ok(file.endsWith(`${id}.json`));
  const back = await store.read(id);
  assert.deepEqual(
    back.runs.map((r) => [r.status, r.history.loss?.length]),
    record.runs.map((r) => [r.status, r.history.loss?.length]),
  );
}

/** Worker pids still alive after giving exiting ones a moment. */
async function settleWorkers(): Promise<number[]> {
  for (let i = 0; i < 50 && workerChildren().length; i++) await new Promise((r) => setTimeout(r, 100));
  return workerChildren();
}
