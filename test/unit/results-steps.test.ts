/** Per-step points folded from the worker's throttled `batch` events: the live curve before an epoch ends. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunSpec, WorkerEvent } from '../../src/protocol';
import { applyEvent, newRunResult, STEP_POINTS_MAX } from '../../src/training/host/run-fold';

const spec = {
  runId: 'r',
  label: 'Adam',
  definition: { layers: [] },
  repeat: 0,
  seed: 1,
  backend: 'wasm',
  baseDir: '.',
  cacheDir: '.',
} as RunSpec;
const batch = (epoch: number, b: number, loss: number, accuracy?: number): WorkerEvent => ({
  type: 'batch',
  runId: 'r',
  epoch,
  batch: b,
  batches: 10,
  loss,
  accuracy,
});

test('each point is the mean over the steps since the previous report, at a fractional epoch', () => {
  const r = newRunResult(spec, 3);
  // Running means of the epoch so far: 1.0 after 2 steps, 0.8 after 4 → the steps 3–4 averaged 0.6.
  for (const e of [batch(1, 2, 1.0, 0.5), batch(1, 4, 0.8, 0.6), batch(2, 5, 0.5)]) applyEvent(r, e);
  assert.deepEqual(
    r.steps?.map((p) => [
      p.x,
      Number(p.loss.toFixed(6)),
      p.accuracy === undefined ? undefined : Number(p.accuracy.toFixed(6)),
    ]),
    [
      [0.2, 1, 0.5],
      [0.4, 0.6, 0.7],
      [1.5, 0.5, undefined],
    ],
  );
});

test('a stop mid-epoch keeps the points; a long run is thinned, never unbounded', () => {
  const r = newRunResult(spec, 1000);
  for (let e = 1; e <= 400; e++) for (let b = 1; b <= 10; b++) applyEvent(r, batch(e, b, 1 / e));
  applyEvent(r, { type: 'finished', runId: 'r', status: 'cancelled', durationMs: 5 });
  assert.ok((r.steps?.length ?? 0) > 100 && (r.steps?.length ?? 0) <= STEP_POINTS_MAX, `${r.steps?.length} points`);
  assert.equal(r.steps?.at(-1)?.x, 400, 'the latest point is kept');
  assert.ok(
    r.steps?.every((p, i, all) => i === 0 || p.x > all[i - 1].x),
    'in order',
  );
});

test('non-finite losses are not plotted', () => {
  const r = newRunResult(spec, 1);
  applyEvent(r, batch(1, 1, NaN));
  assert.equal(r.steps, undefined);
});
