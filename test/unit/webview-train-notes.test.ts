/** The panel's learning-rate chart data and the callback note under a run's status line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunRecord, RunResult } from '../../src/protocol';
import { callbackSummary } from '../../webview/sections/callback-notes';
import { learningRateChart } from '../../webview/sections/lr-chart';

const run = (over: Partial<RunResult>): RunResult => ({
  runId: 'r',
  label: 'Adam',
  optimizer: { type: 'Adam' },
  status: 'completed',
  repeat: 0,
  seed: 1,
  history: { loss: [1, 0.5, 0.4] },
  epochMs: [1, 1, 1],
  durationMs: 3,
  backend: 'wasm',
  epochs: 3,
  ...over,
});
const record = (runs: RunResult[]) =>
  ({
    version: 1,
    id: 'x',
    kind: 'train',
    createdAt: '',
    definition: { layers: [] },
    model: { name: 'm', layers: [], totalParams: 0, trainableParams: 0, nonTrainableParams: 0 },
    backend: 'wasm',
    runs,
  }) as RunRecord;

test('no lr in the history: no learning-rate chart; with lr: one series of it', () => {
  assert.equal(learningRateChart(record([run({})])), undefined);
  const chart = learningRateChart(record([run({ history: { loss: [1, 1, 1], lr: [0.1, 0.05, 0.05] } })]))!;
  assert.equal(chart.title, 'Learning rate');
  assert.deepEqual(
    chart.series.map((s) => [s.label, s.values]),
    [['learning rate', [0.1, 0.05, 0.05]]],
  );
  assert.equal(chart.points, 3);
});

test('a run stopped by EarlyStopping says so beside its status', () => {
  assert.equal(callbackSummary(run({})), '');
  const text = callbackSummary(
    run({ stoppedBy: { callback: 'EarlyStopping', epoch: 3, message: 'Epoch 3: early stopping.' }, restoredEpoch: 2 }),
  );
  assert.equal(text, ' — Epoch 3: early stopping. Restoring model weights from the end of the best epoch: 2.');
});
