/**
 * Load: two trainings of one file at once share a pool without touching each other's results, and a queue longer
 * than the pool never runs more workers than the pool's size, finishing every run in the order it was submitted.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import type { WorkerEvent } from '../../src/protocol';
import { RunStore } from '../../src/panel/run-store';
import { RunPool } from '../../src/training/host/pool';
import { planRuns, TrainingSession, type SessionOptions } from '../../src/training/host/session';
import {
  requireDist,
  sampleDefinition,
  tempDir,
  WORKER,
  withTimeout,
  workerChildren,
} from '../fixtures/reliability/harness';

const tmp = tempDir('load');
before(requireDist);
after(tmp.cleanup);

const summary = { name: 'm', layers: [], totalParams: 0, trainableParams: 0, nonTrainableParams: 0 };

test('two trainings of the same file at once on one pool: both complete, both records are written, identical results', async () => {
  const pool = new RunPool({ size: 2, workerPath: WORKER });
  const definition = sampleDefinition({ fit: { epochs: 2, batch_size: 64, seed: 5 } });
  const epochEvents = new Map<string, number>();
  const session = (id: string) =>
    new TrainingSession(pool, {
      kind: 'train',
      id,
      definition,
      summary,
      baseDir: tmp.dir,
      backend: 'wasm',
      cacheDir: tmp.dir,
      onUpdate: (_record, run, event) => {
        assert.ok(run.runId.startsWith(`${id}-`), `session ${id} was told about ${run.runId}`);
        if (event.type === 'epoch') epochEvents.set(id, (epochEvents.get(id) ?? 0) + 1);
      },
    });
  try {
    const a = session('twin-a');
    const b = session('twin-b');
    const [ra, rb] = await withTimeout(Promise.all([a.done, b.done]), 120_000, 'the two sessions did not finish');
    const store = new RunStore(join(tmp.dir, 'runs'));
    await Promise.all([store.write(ra), store.write(rb)]);

    for (const r of [ra, rb]) {
      assert.equal(r.runs.length, 1);
      assert.equal(r.runs[0].status, 'completed', r.runs[0].error);
      assert.equal(r.runs[0].history.loss.length, 2);
    }
    assert.deepEqual(
      [epochEvents.get('twin-a'), epochEvents.get('twin-b')],
      [2, 2],
      'each session saw exactly its own epochs',
    );
    // Same definition, same seed, separate processes: the numbers must agree exactly.
    assert.deepEqual(ra.runs[0].history, rb.runs[0].history);
    assert.deepEqual(ra.runs[0].evaluation, rb.runs[0].evaluation);

    const listed = (await store.list()).items.map((i) => i.id).sort();
    assert.deepEqual(listed, ['twin-a', 'twin-b']);
    assert.equal((await store.read('twin-a')).runs[0].runId, 'twin-a-0');
    assert.equal((await store.read('twin-b')).runs[0].runId, 'twin-b-0');
  } finally {
    pool.dispose();
  }
});

test('eight runs queued on a two-worker pool: never more than two workers alive, all complete, results in submission order', async () => {
  // A tiny CSV keeps each run to its start-up cost, so the queue turns over many times.
  writeFileSync(
    join(tmp.dir, 'tiny.csv'),
    ['a,b,label', ...Array.from({ length: 40 }, (_, i) => `${i % 5},${(i * 3) % 7},${i % 2}`)].join('\n'),
  );
  const optimizers = [
    'sgd',
    'adam',
    'rmsprop',
    'adagrad',
    'adamax',
    'adadelta',
    { type: 'SGD', learning_rate: 0.1 },
    { type: 'SGD', momentum: 0.9 },
  ];
  const definition: ModelDefinition = {
    name: 'tiny',
    dataset: { csv: 'tiny.csv', label: 'label', validation_split: 0.25 },
    layers: [{ type: 'Dense', units: 2, activation: 'softmax', input_shape: [2] }],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    fit: { epochs: 2, batch_size: 8 },
    compare: { optimizers },
  };
  const options: SessionOptions = {
    kind: 'compare',
    id: 'queue',
    definition,
    summary,
    baseDir: tmp.dir,
    backend: 'wasm',
    cacheDir: tmp.dir,
  };
  const planned = planRuns(options);
  assert.equal(planned.length, 8);

  const pool = new RunPool({ size: 2, workerPath: WORKER });
  const firstSeen = new Map<string, number>();
  const finishedOrder: string[] = [];
  let maxAlive = 0;
  const watch = setInterval(() => (maxAlive = Math.max(maxAlive, workerChildren().length)), 10);
  try {
    const session = new TrainingSession(pool, {
      ...options,
      onUpdate: (_record, run, event: WorkerEvent) => {
        if (!firstSeen.has(run.runId)) firstSeen.set(run.runId, performance.now());
        if (event.type === 'finished') finishedOrder.push(run.runId);
      },
    });
    const record = await withTimeout(session.done, 180_000, 'the queue did not drain');
    clearInterval(watch);

    assert.ok(maxAlive <= 2, `${maxAlive} worker processes were alive at once`);
    assert.equal(maxAlive, 2, 'the pool used both workers (otherwise this test proves nothing)');
    assert.deepEqual(
      record.runs.map((r) => r.runId),
      planned.map((s) => s.runId),
      'record order = submission order',
    );
    assert.deepEqual(
      record.runs.map((r) => r.label),
      planned.map((s) => s.label),
    );
    for (const r of record.runs) {
      assert.equal(r.status, 'completed', `${r.label}: ${r.error}`);
      assert.equal(r.history.loss.length, 2, r.label);
    }
    assert.equal(finishedOrder.length, 8);
    // FIFO: run k+2 can only start once one of the two before it has finished, so it is seen after run k.
    const seen = planned.map((s) => firstSeen.get(s.runId)!);
    for (let k = 0; k + 2 < seen.length; k++) assert.ok(seen[k + 2] > seen[k], `run ${k + 2} started before run ${k}`);
  } finally {
    clearInterval(watch);
    pool.dispose();
  }
  for (let i = 0; i < 50 && workerChildren().length; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(workerChildren(), [], 'no worker is left behind');
});
