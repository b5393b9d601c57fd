/** Pure logic of the results UI: formatting, repeats' mean ± std, best row, sorting, exports, curves, progress. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EffectiveOptimizer, RunRecord, RunResult } from '../../src/protocol';
import {
  formatDuration,
  formatInt,
  formatMetric,
  formatPercent,
  formatShape,
  runName,
} from '../../webview/logic/display-format';
import { mean, sampleStd, stat } from '../../src/results/stats';
import { formatOptimizerChange, formatVariantSet } from '../../src/results/what-changed';
import { groupStatus, groupStatusText } from '../../src/results/run-groups';
import { bestRowIndex, comparisonRows } from '../../src/results/comparison-rows';
import { nextSort, sortRows } from '../../webview/logic/sort';
import { comparisonCsv, comparisonJson, csvField } from '../../src/results/comparison-files';
import { aggregateCurve, curveSet } from '../../webview/logic/curves';
import { batchFraction, currentEpoch, progressLine } from '../../webview/logic/run-progress';

const adam: EffectiveOptimizer = {
  type: 'adam',
  learning_rate: 0.001,
  beta_1: 0.9,
  beta_2: 0.999,
  epsilon: 1e-7,
  amsgrad: false,
};
const sgd: EffectiveOptimizer = { type: 'sgd', learning_rate: 0.01, momentum: 0, nesterov: false };

function run(over: Partial<RunResult> & Pick<RunResult, 'runId'>): RunResult {
  return {
    label: over.runId,
    optimizer: adam,
    status: 'completed',
    repeat: 0,
    seed: 1,
    history: {},
    epochMs: [],
    durationMs: 0,
    backend: 'cpu',
    epochs: 3,
    ...over,
  };
}

function record(runs: RunResult[], over: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1,
    id: 'rec-1',
    kind: 'compare',
    createdAt: '2026-11-28T19:05:12.000Z',
    definition: { layers: [] },
    model: { name: 'm', layers: [], totalParams: 0, trainableParams: 0, nonTrainableParams: 0 },
    backend: 'cpu',
    runs,
    ...over,
  };
}

const variant = (label: string, set: Record<string, unknown>) => ({ label, set });

describe('format', () => {
  test('thousands separators as Keras prints totals', () => {
    assert.equal(formatInt(79510), '79,510');
    assert.equal(formatInt(0), '0');
    assert.equal(formatInt(999), '999');
    assert.equal(formatInt(1000), '1,000');
    assert.equal(formatInt(1234567), '1,234,567');
    assert.equal(formatInt(-78500), '-78,500');
  });
  test('shapes as Python tuples', () => {
    assert.equal(formatShape([null, 100]), '(None, 100)');
    assert.equal(formatShape([null, 28, 28, 1]), '(None, 28, 28, 1)');
    assert.equal(formatShape([null]), '(None,)');
  });
  test('metrics, percents and durations', () => {
    assert.equal(formatMetric(0.48213), '0.4821');
    assert.equal(formatMetric(undefined), '—');
    assert.equal(formatMetric(NaN), '—');
    assert.equal(formatPercent(0.8766), '87.7%');
    assert.equal(formatPercent(0.05, 2), '5.00%');
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(12_340), '12.3 s');
    assert.equal(formatDuration(245_000), '4 min 05 s');
  });
});

describe('stats', () => {
  test('mean and sample standard deviation (n − 1)', () => {
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    // deviations ±1.5, ±0.5 → squares 2.25+0.25+0.25+2.25 = 5, /3 → √(5/3)
    assert.ok(Math.abs((sampleStd([1, 2, 3, 4]) as number) - Math.sqrt(5 / 3)) < 1e-12);
    assert.equal(sampleStd([7]), undefined);
    assert.deepEqual(stat([undefined, NaN]), undefined);
    assert.deepEqual(stat([2, undefined, 4]), { mean: 3, std: Math.SQRT2, n: 2 });
  });
});

describe('what changed', () => {
  test('variant overrides, strings bare and other values as JSON', () => {
    assert.equal(formatVariantSet({ 'layers[1].activation': 'sigmoid' }), 'layers[1].activation = sigmoid');
    assert.equal(
      formatVariantSet({ 'layers[1].units': 64, 'fit.shuffle': false, 'compile.optimizer': { type: 'sgd' } }),
      'layers[1].units = 64, fit.shuffle = false, compile.optimizer = sgd()',
    );
    assert.equal(
      formatVariantSet({ 'compile.optimizer': { type: 'SGD', momentum: 0.9, nesterov: true, label: 'Nesterov' } }),
      'compile.optimizer = SGD(momentum=0.9, nesterov=true)',
    );
    assert.equal(formatVariantSet({ 'compile.optimizer': 'adagrad' }), 'compile.optimizer = adagrad');
    assert.equal(formatVariantSet({ 'layers[0].input_shape': [28, 28] }), 'layers[0].input_shape = [28,28]');
  });
  test('optimizers: only the hyper-parameters that differ, all of them when alone', () => {
    const fast = { ...adam, learning_rate: 0.01 };
    assert.equal(formatOptimizerChange(fast, [adam, fast]), 'adam: learning_rate = 0.01');
    assert.equal(
      formatOptimizerChange(adam, [adam]),
      'adam: learning_rate = 0.001, beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7, amsgrad = false',
    );
    assert.equal(formatOptimizerChange(sgd, [adam, sgd]), 'sgd: learning_rate = 0.01, momentum = 0, nesterov = false');
    assert.equal(formatOptimizerChange(adam, [adam, { ...adam }]), 'adam');
  });
});

describe('comparison rows', () => {
  // Two variants × 2 repeats; b's second repeat failed.
  const rec = record([
    run({
      runId: 'a1',
      variant: variant('a', { 'layers[1].activation': 'relu' }),
      history: { loss: [0.9, 0.5], val_loss: [0.8, 0.6], val_accuracy: [0.7, 0.8] },
      epochMs: [100, 300],
    }),
    run({
      runId: 'a2',
      variant: variant('a', { 'layers[1].activation': 'relu' }),
      history: { loss: [0.9, 0.7], val_loss: [0.8, 0.4], val_accuracy: [0.7, 0.84] },
      epochMs: [200, 200],
    }),
    run({
      runId: 'b1',
      variant: variant('b', { 'layers[1].activation': 'tanh' }),
      history: { loss: [0.9, 0.6], val_loss: [0.8, 0.3], val_accuracy: [0.7, 0.83] },
      epochMs: [50],
    }),
    run({
      runId: 'b2',
      variant: variant('b', { 'layers[1].activation': 'tanh' }),
      status: 'failed',
      error: 'NaN loss',
      history: { val_accuracy: [0.99] },
    }),
  ]);
  const rows = comparisonRows(rec);

  test('one row per variant with mean ± std of the final epoch', () => {
    assert.equal(rows.length, 2);
    const a = rows[0];
    assert.deepEqual(a.runIds, ['a1', 'a2']);
    assert.equal(a.metrics.loss?.mean, 0.6); // (0.5 + 0.7) / 2
    assert.ok(Math.abs((a.metrics.loss?.std as number) - 0.1 * Math.SQRT2) < 1e-12); // √((0.1² + 0.1²)/1)
    assert.ok(Math.abs((a.metrics.val_accuracy?.mean as number) - 0.82) < 1e-12);
    assert.equal(a.metrics.accuracy, undefined);
    assert.equal(a.epochMs?.mean, 200); // run means 200 and 200
    assert.equal(a.changed, 'layers[1].activation = relu');
    assert.equal(a.status, 'completed');
    assert.equal(a.statusText, '2 completed');
  });

  test("a failed repeat neither counts in the mean nor hides the variant's results", () => {
    const b = rows[1];
    assert.equal(b.reporting, 1);
    assert.equal(b.metrics.val_accuracy?.mean, 0.83);
    assert.equal(b.metrics.val_accuracy?.std, undefined);
    assert.equal(b.status, 'completed');
    assert.equal(b.statusText, '1 completed, 1 failed');
    assert.deepEqual(b.errors, ['NaN loss']);
  });

  test('best by val_accuracy, else by val_loss; failed rows never win', () => {
    assert.equal(bestRowIndex(rows), 1); // 0.83 > 0.82
    const noAcc = comparisonRows(
      record([
        run({ runId: 'x', history: { val_loss: [0.5] } }),
        run({ runId: 'y', history: { val_loss: [0.4] } }),
        run({ runId: 'z', status: 'failed', history: { val_loss: [0.1] } }),
      ]),
    );
    assert.equal(bestRowIndex(noAcc), 1);
    assert.equal(bestRowIndex(comparisonRows(record([run({ runId: 'q', history: { loss: [1] } })]))), -1);
  });

  test('a running or stopped row with better partial numbers never beats a completed one', () => {
    const mixed = comparisonRows(
      record([
        run({ runId: 'done', label: 'sgd', history: { val_accuracy: [0.7] } }),
        run({ runId: 'live', label: 'adam', status: 'running', history: { val_accuracy: [0.9] } }),
        run({ runId: 'stopped', label: 'rms', status: 'cancelled', history: { val_accuracy: [0.95] } }),
      ]),
    );
    assert.equal(bestRowIndex(mixed), 0);
    // With nothing completed yet, the best of what is there still shows.
    const none = comparisonRows(
      record([
        run({ runId: 'a', label: 'a', status: 'running', history: { val_accuracy: [0.6] } }),
        run({ runId: 'b', label: 'b', status: 'running', history: { val_accuracy: [0.8] } }),
      ]),
    );
    assert.equal(bestRowIndex(none), 1);
  });

  test('repeats are named apart: Adam #1, Adam #2; a lone run keeps its label', () => {
    const runs = [
      { label: 'Adam', repeat: 0 },
      { label: 'Adam', repeat: 1 },
      { label: 'SGD', repeat: 0 },
    ];
    assert.deepEqual(
      runs.map((r) => runName(r, runs)),
      ['Adam #1', 'Adam #2', 'SGD'],
    );
  });

  test('pinned records add their own rows, marked as pinned', () => {
    const old = record([run({ runId: 'old', label: 'sgd', optimizer: sgd, history: { val_accuracy: [0.9] } })], {
      id: 'rec-0',
    });
    const single = record([run({ runId: 'now', label: 'adam', history: { val_accuracy: [0.85] } })], { kind: 'train' });
    const both = comparisonRows(single, [old]);
    assert.deepEqual(
      both.map((r) => [r.label, r.pinned, r.recordId]),
      [
        ['adam', false, 'rec-1'],
        ['sgd', true, 'rec-0'],
      ],
    );
    assert.equal(
      both[0].changed,
      'adam: learning_rate = 0.001, beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7, amsgrad = false',
    );
    assert.equal(bestRowIndex(both), 1);
  });

  test('group status: live work first, then results, then failures', () => {
    const s = (...st: RunResult['status'][]) => st.map((status, i) => run({ runId: `r${i}`, status }));
    assert.equal(groupStatus(s('completed', 'running')), 'running');
    assert.equal(groupStatus(s('queued', 'completed')), 'queued');
    assert.equal(groupStatus(s('failed', 'cancelled')), 'cancelled');
    assert.equal(groupStatus(s('failed', 'failed')), 'failed');
    assert.equal(groupStatusText(s('cancelled')), 'Stopped');
  });
});

describe('sorting', () => {
  const rows = comparisonRows(
    record([
      run({ runId: 'a', history: { val_loss: [0.5], val_accuracy: [0.8] } }),
      run({ runId: 'b', history: { val_accuracy: [0.9] } }),
      run({ runId: 'c', history: { val_loss: [0.3], val_accuracy: [0.7] } }),
    ]),
  );
  test('ascending and descending, missing values last either way', () => {
    assert.deepEqual(
      sortRows(rows, { column: 'val_loss', direction: 'ascending' }).map((r) => r.label),
      ['c', 'a', 'b'],
    );
    assert.deepEqual(
      sortRows(rows, { column: 'val_loss', direction: 'descending' }).map((r) => r.label),
      ['a', 'c', 'b'],
    );
    assert.deepEqual(
      sortRows(rows, { column: 'label', direction: 'descending' }).map((r) => r.label),
      ['c', 'b', 'a'],
    );
  });
  test('a header click starts accuracy high-first, loss low-first, and flips on the same column', () => {
    assert.deepEqual(nextSort(undefined, 'val_accuracy'), { column: 'val_accuracy', direction: 'descending' });
    assert.deepEqual(nextSort(undefined, 'loss'), { column: 'loss', direction: 'ascending' });
    assert.deepEqual(nextSort({ column: 'loss', direction: 'ascending' }, 'loss'), {
      column: 'loss',
      direction: 'descending',
    });
  });
});

describe('export', () => {
  test('CSV quoting and formula-injection guard', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField(-0.5), '-0.5');
    assert.equal(csvField(undefined), '');
  });
  test('CSV and JSON of the rows', () => {
    const rows = comparisonRows(
      record([
        run({
          runId: 'r1',
          label: 'adam',
          history: { loss: [0.5, 0.25], val_accuracy: [0.5, 0.75] },
          epochMs: [10, 30],
        }),
      ]),
    );
    const csv = comparisonCsv(rows).split('\r\n');
    assert.equal(
      csv[0],
      'label,status,runs,reporting_runs,loss,loss_std,accuracy,accuracy_std,val_loss,val_loss_std,val_accuracy,val_accuracy_std,epoch_ms,changed,record_id,pinned,run_ids',
    );
    assert.equal(
      csv[1],
      'adam,completed,1,1,0.25,,,,,,0.75,,20,"adam: learning_rate = 0.001, beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7, amsgrad = false",rec-1,false,r1',
    );
    assert.equal(csv[2], '');
    const json = JSON.parse(comparisonJson(rows));
    assert.deepEqual(json[0].metrics.val_accuracy, { mean: 0.75, n: 1 });
    assert.deepEqual(json[0].runIds, ['r1']);
  });
});

describe('curves', () => {
  test('mean and std per epoch over runs of different lengths', () => {
    const { values, std } = aggregateCurve([
      [1, 2, 3],
      [3, 4],
    ]);
    assert.deepEqual(values, [2, 3, 3]);
    assert.deepEqual(std, [Math.SQRT2, Math.SQRT2, null]);
  });
  test('a single run: training dashed and validation solid, one legend entry; points = longest series', () => {
    const rec = record(
      [
        run({
          runId: 'r',
          label: 'Adam',
          history: { loss: [1, 0.8], val_loss: [1.1], accuracy: [0.5, 0.6] },
          epochs: 5,
        }),
      ],
      { kind: 'train' },
    );
    const c = curveSet(rec);
    assert.equal(c.loss.epochs, 5);
    assert.deepEqual(
      c.loss.series.map((s) => [s.label, s.kind, s.dashed, s.values]),
      [
        ['Adam', 'train', true, [1, 0.8]],
        ['Adam', 'val', false, [1.1]],
      ],
    );
    assert.deepEqual(c.loss.legend, [{ group: 0, label: 'Adam' }]);
    assert.equal(c.loss.yTitle, 'loss');
    assert.equal(c.loss.points, 2);
    assert.equal(c.accuracy.points, 2);
    assert.equal(c.accuracy.series.length, 1);
  });
  test('a comparison: one legend entry per group, both curves per group, a ± std band for repeats', () => {
    const rec = record([
      run({ runId: 'a1', variant: variant('a', {}), history: { loss: [1], val_loss: [2], val_accuracy: [0.5, 0.7] } }),
      run({ runId: 'a2', variant: variant('a', {}), history: { loss: [3], val_loss: [2], val_accuracy: [0.7] } }),
      run({ runId: 'b1', variant: variant('b', {}), status: 'failed', history: { val_accuracy: [0.1, 0.1, 0.1] } }),
    ]);
    const c = curveSet(rec);
    assert.deepEqual(
      c.loss.series.map((s) => [s.label, s.kind]),
      [
        ['a', 'train'],
        ['a', 'val'],
      ],
    );
    assert.deepEqual(
      c.loss.legend.map((e) => e.label),
      ['a'],
    );
    assert.deepEqual(
      c.accuracy.legend.map((e) => e.label),
      ['a', 'b'],
    );
    const a = c.accuracy.series[0];
    assert.deepEqual(a.values, [0.6, 0.7]);
    assert.ok(Math.abs((a.std?.[0] as number) - Math.sqrt(0.02)) < 1e-12); // deviations ±0.1 → √(0.02/1)
    // b failed entirely: its partial curve is all there is, so it is drawn.
    assert.deepEqual(c.accuracy.series[1].values, [0.1, 0.1, 0.1]);
    assert.equal(c.accuracy.points, 3);
  });
  test('the Train / Validation / Both filter', () => {
    const rec = record([
      run({ runId: 'x', history: { loss: [1, 0.5], val_loss: [1.2, 0.9] } }),
      run({ runId: 'y', history: { loss: [2], val_loss: [2] } }),
    ]);
    assert.deepEqual(
      curveSet(rec, [], 'train').loss.series.map((s) => [s.label, s.kind]),
      [
        ['x', 'train'],
        ['y', 'train'],
      ],
    );
    assert.deepEqual(
      curveSet(rec, [], 'val').loss.series.map((s) => [s.label, s.dashed]),
      [
        ['x', false],
        ['y', false],
      ],
    );
    assert.equal(curveSet(rec, [], 'both').loss.series.length, 4);
    assert.equal(curveSet(rec, [], 'both').loss.legend.length, 2);
  });
  test('pinned groups are named "model · optimizer" and every name is unique', () => {
    const now = record([run({ runId: 'n', label: 'SGD', history: { loss: [1] } })], {
      definition: { name: 'mlp', layers: [] },
    });
    const old1 = record([run({ runId: 'o1', label: 'SGD', history: { loss: [1] } })], {
      id: 'old1',
      definition: { name: 'mlp', layers: [] },
    });
    const old2 = record([run({ runId: 'o2', label: 'SGD', history: { loss: [1] } })], {
      id: 'old2',
      definition: { name: 'mlp', layers: [] },
    });
    const names = curveSet(now, [old1, old2]).loss.legend.map((e) => e.label);
    assert.deepEqual(names, ['SGD', 'mlp · SGD', 'mlp · SGD (2026-11-28 19:05)']);
  });
});

describe('progress line', () => {
  const running = run({
    runId: 'r',
    status: 'running',
    epochs: 5,
    history: { loss: [0.6] },
    progress: { epoch: 1, batch: 740, batches: 1500, loss: 0.48213 },
  });
  test('"Epoch 2/5 — batch 740/1500 — loss 0.4821"', () => {
    assert.equal(progressLine(running), 'Epoch 2/5 — batch 740/1500 — loss 0.4821');
    assert.equal(currentEpoch(running), 2);
    assert.ok(Math.abs(batchFraction(running) - 740 / 1500) < 1e-12);
  });
  test('queued, finished and before the first batch', () => {
    assert.equal(progressLine({ ...running, status: 'queued' }), 'Waiting to start');
    assert.equal(progressLine({ ...running, status: 'completed', progress: undefined }), '');
    assert.equal(progressLine({ ...running, progress: undefined, history: {} }), 'Epoch 1/5');
    assert.equal(batchFraction({ ...running, progress: undefined }), 0);
  });
});
