/** The examples gallery's pure parts: what an evaluation keeps, which examples a cell shows, the wrong ones' order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExamplePredictions, RunResult } from '../../src/protocol';
import { EXAMPLES_PER_REQUEST } from '../../src/protocol';
import {
  cellCaption,
  cellPositions,
  checkPositions,
  confidentlyWrong,
  galleryExamples,
  isExamplePredictions,
} from '../../src/results/gallery';
import { EXAMPLES_MAX, EXAMPLES_PER_CELL, keepExamples } from '../../src/training/example-predictions';

const base = { source: 'test' as const, sourceCount: 100 };

test('keepExamples keeps every example when the caps do not bite, in file order, with their source index', () => {
  const kept = keepExamples({
    ...base,
    actual: [0, 1, 1, 0],
    predicted: [0, 0, 1, 1],
    confidence: [0.9, 0.8, 0.7, 0.6],
    sourceIndex: [10, 3, 7, 42],
  });
  assert.deepEqual(kept.index, [10, 3, 7, 42]);
  assert.deepEqual(kept.actual, [0, 1, 1, 0]);
  assert.deepEqual(kept.predicted, [0, 0, 1, 1]);
  assert.deepEqual(kept.confidence, [0.9, 0.8, 0.7, 0.6]);
  assert.equal(kept.evaluated, 4);
  assert.equal(kept.perCell, EXAMPLES_PER_CELL);
  assert.equal(kept.source, 'test');
  assert.equal(kept.sourceCount, 100);
});

test('keepExamples keeps the most confident examples of each cell, at most perCell', () => {
  // Cell (0,0): 5 examples with confidences .1 … .5; cell (1,0): 2 examples.
  const kept = keepExamples(
    {
      ...base,
      actual: [0, 0, 0, 0, 0, 1, 1],
      predicted: [0, 0, 0, 0, 0, 0, 0],
      confidence: [0.1, 0.5, 0.3, 0.4, 0.2, 0.99, 0.01],
    },
    { perCell: 2 },
  );
  assert.deepEqual(kept.index, [1, 3, 5, 6], 'the two surest of (0,0) and both of (1,0)');
});

test('keepExamples under the total cap keeps every cell its top ranks first, so a rare cell is not crowded out', () => {
  // 10 examples in a common cell (0,0), one in a rare cell (2,1) with the lowest confidence of all.
  const actual = [...new Array(10).fill(0), 2];
  const predicted = [...new Array(10).fill(0), 1];
  const confidence = [...Array.from({ length: 10 }, (_, i) => 0.9 - i * 0.01), 0.05];
  const kept = keepExamples({ ...base, actual, predicted, confidence }, { perCell: 10, max: 3 });
  assert.equal(kept.index.length, 3);
  assert.ok(kept.index.includes(10), 'the rare cell keeps its one example');
  assert.deepEqual(kept.index, [0, 1, 10], 'then the common cell its two surest');
});

test('keepExamples is bounded by EXAMPLES_MAX whatever the split size, and stays plain JSON for NaN outputs', () => {
  const n = 50_000;
  const actual = Array.from({ length: n }, (_, i) => i % 100);
  const predicted = Array.from({ length: n }, (_, i) => (i * 7) % 100);
  const confidence = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? NaN : (i % 1000) / 1000));
  const started = performance.now();
  const kept = keepExamples({ ...base, sourceCount: n, actual, predicted, confidence });
  assert.ok(performance.now() - started < 2000, 'fast for a large split');
  assert.equal(kept.index.length, EXAMPLES_MAX);
  assert.equal(kept.evaluated, n);
  assert.ok(kept.confidence.every((c) => Number.isFinite(c)));
  assert.ok(JSON.stringify(kept).length < 80_000, `compact: ${JSON.stringify(kept).length} characters`);
});

test('keepExamples refuses arrays of different lengths', () => {
  assert.throws(() => keepExamples({ ...base, actual: [0, 1], predicted: [0], confidence: [1, 1] }));
});

const ex: ExamplePredictions = {
  source: 'train',
  sourceCount: 1000,
  evaluated: 6,
  perCell: 32,
  index: [5, 9, 12, 40, 41, 77],
  actual: [0, 0, 1, 1, 1, 2],
  predicted: [0, 1, 0, 0, 1, 0],
  confidence: [0.99, 0.7, 0.95, 0.95, 0.6, 0.51],
};

test('cellPositions: the examples of one cell, most confident first (ties in dataset order)', () => {
  assert.deepEqual(cellPositions(ex, 1, 0), [2, 3]);
  assert.deepEqual(cellPositions(ex, 0, 0), [0]);
  assert.deepEqual(cellPositions(ex, 2, 2), []);
});

test('confidentlyWrong: every wrong prediction, surest first, and a limit', () => {
  assert.deepEqual(confidentlyWrong(ex), [2, 3, 1, 5]);
  assert.deepEqual(confidentlyWrong(ex, 2), [2, 3]);
  assert.deepEqual(confidentlyWrong({ ...ex, predicted: ex.actual }), []);
});

test('checkPositions maps positions to dataset indices and refuses what the record did not keep', () => {
  assert.deepEqual(checkPositions(ex, [3, 0]), [40, 5]);
  assert.match(checkPositions(ex, []) as string, /1 to 48/);
  assert.match(checkPositions(ex, [6]) as string, /not one this evaluation kept/);
  assert.match(checkPositions(ex, [-1]) as string, /not one/);
  assert.match(checkPositions(ex, [1.5]) as string, /not one/);
  assert.match(checkPositions(ex, [1, 1]) as string, /not one/);
  assert.match(checkPositions(ex, new Array(EXAMPLES_PER_REQUEST + 1).fill(0)) as string, /at a time/);
  assert.match(checkPositions({ ...ex, sourceCount: 10 }, [1, 2]) as string, /outside its dataset/);
});

test('galleryExamples says why a run has no examples to show', () => {
  const run = { runId: 'r', evaluation: undefined } as unknown as RunResult;
  assert.match((galleryExamples(run, 'validation') as { reason: string }).reason, /no validation evaluation/);
  const regression = { ...run, evaluation: { split: 'validation', loss: 1 } } as RunResult;
  assert.match((galleryExamples(regression, 'validation') as { reason: string }).reason, /classification runs only/);
  const old = { ...run, evaluation: { split: 'validation', loss: 1, confusionMatrix: [[1]] } } as RunResult;
  assert.match((galleryExamples(old, 'validation') as { reason: string }).reason, /recorded before/);
  const now = { ...run, testEvaluation: { split: 'test', loss: 1, confusionMatrix: [[1]], examples: ex } } as RunResult;
  const found = galleryExamples(now, 'test');
  assert.ok('examples' in found && found.examples === ex);
  assert.ok(isExamplePredictions(ex));
  assert.ok(!isExamplePredictions({ ...ex, actual: [0] }), 'arrays of different lengths');
  assert.ok(!isExamplePredictions({ ...ex, index: ['1'] }));
});

test('cellCaption says how much of the cell is shown', () => {
  assert.match(cellCaption(0, 0), /No example/);
  assert.equal(cellCaption(3, 3), 'All 3 examples, most confident first.');
  assert.match(cellCaption(32, 118), /The 32 most confident of 118/);
});
