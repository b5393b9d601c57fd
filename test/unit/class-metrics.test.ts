/** Per-class precision/recall/F1 and the normalised confusion matrix, checked against hand-computed values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classMetrics, macroAverage, normalizeRows } from '../../webview/logic/class-metrics';

// actual ↓ predicted →   a  b  c
const m = [
  [5, 1, 0], // a: 6 examples, 5 right
  [2, 3, 1], // b: 6 examples, 3 right
  [0, 0, 0], // c: never present
];

test('precision = TP / predicted, recall = TP / actual, F1 their harmonic mean; empty classes give 0', () => {
  const r = classMetrics(m, ['a', 'b', 'c']);
  // a: predicted 7 times (5 + 2) → precision 5/7; recall 5/6; F1 = 2·(5/7)(5/6)/((5/7)+(5/6)) = 10/13.
  assert.ok(Math.abs(r[0].precision - 5 / 7) < 1e-12);
  assert.ok(Math.abs(r[0].recall - 5 / 6) < 1e-12);
  assert.ok(Math.abs(r[0].f1 - 10 / 13) < 1e-12);
  // b: predicted 4 times → 3/4; recall 3/6; F1 = 2·0.75·0.5/1.25 = 0.6.
  assert.deepEqual([r[1].precision, r[1].recall, r[1].support], [0.75, 0.5, 6]);
  assert.ok(Math.abs(r[1].f1 - 0.6) < 1e-12);
  // c: predicted once (wrongly), never present.
  assert.deepEqual([r[2].precision, r[2].recall, r[2].f1, r[2].support], [0, 0, 0, 0]);
  const avg = macroAverage(r);
  assert.ok(Math.abs(avg.recall - (5 / 6 + 0.5) / 3) < 1e-12);
});

test('rows normalised to the share of the actual class', () => {
  assert.deepEqual(
    normalizeRows([
      [3, 1],
      [0, 0],
    ]),
    [
      [0.75, 0.25],
      [0, 0],
    ],
  );
});
