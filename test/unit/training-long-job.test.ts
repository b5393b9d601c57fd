/** The estimate before a long job: timed over the first steps, projected over every run, said once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunRecord, RunResult, WorkerEvent } from '../../src/protocol';
import { formatEstimate, LongJobWatch } from '../../src/training/host/long-job';
import { makeRecord, makeRun } from '../helpers/records';

function live(label: string, batches: number, epochs: number, batch = 0): RunResult {
  return makeRun(label, [], {
    runId: label,
    status: 'running',
    epochs,
    history: {},
    progress: { epoch: 1, batch, batches, loss: 1 },
  });
}
const batch = (runId: string, b: number): WorkerEvent => ({
  type: 'batch',
  runId,
  epoch: 1,
  batch: b,
  batches: 1500,
  loss: 1,
});

test('six runs of 1,500 steps × 5 epochs at 10 ms a step on 2 workers: about 4 min, said once', () => {
  let clock = 0;
  const watch = new LongJobWatch({ parallel: 2, now: () => clock });
  const runs = ['a', 'b', 'c', 'd', 'e', 'f'].map((l) => live(l, 1500, 5));
  const record: RunRecord = makeRecord('r', runs);
  assert.equal(watch.observe(record, batch('a', 1)), undefined);
  clock = 100;
  assert.equal(watch.observe(record, batch('a', 11)), undefined, 'too few steps timed');
  clock = 300;
  runs[0].progress!.batch = 31;
  const total = watch.observe(record, batch('a', 31));
  // 6 runs × 7,500 steps × 10 ms / 2 workers = 225 s (less the 31 steps a has done).
  assert.ok(total !== undefined && Math.abs(total - ((6 * 7500 - 31) * 10) / 2) < 1, String(total));
  assert.equal(formatEstimate(total!), 'about 4 min');
  clock = 400;
  assert.equal(watch.observe(record, batch('a', 41)), undefined, 'said once');
});

test('a short job says nothing', () => {
  let clock = 0;
  const watch = new LongJobWatch({ parallel: 1, now: () => clock });
  const record = makeRecord('r', [live('a', 100, 2)]);
  watch.observe(record, batch('a', 1));
  clock = 200;
  assert.equal(watch.observe(record, batch('a', 41)), undefined); // 200 steps × 5 ms = 1 s
  assert.equal(formatEstimate(2 * 3600_000 + 10 * 60_000), 'about 2 h 10 min');
});
