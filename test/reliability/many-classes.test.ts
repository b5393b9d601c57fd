/**
 * Issue 14, lost results: with 400 or more classes the confusion-matrix text overflowed the stack (a spread over
 * every cell) after training, and neither --json nor --html was written. The text now lists the most frequent
 * confusions for large class counts, and takes no time or stack worth mentioning even for 1,000 classes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluationText } from '../../src/cli/run-output';
import type { Evaluation } from '../../src/protocol';

function evaluation(classes: number): Evaluation {
  const matrix = Array.from({ length: classes }, (_, a) =>
    Array.from({ length: classes }, (_, p) => (a === p ? 5 : (a * 7 + p) % 13 === 0 ? 1 + (a % 3) : 0)),
  );
  return {
    split: 'validation',
    loss: 1.5,
    accuracy: 0.5,
    confusionMatrix: matrix,
    perClassAccuracy: matrix.map((row, i) => ({
      className: `class-${i}`,
      accuracy: 0.5,
      count: row.reduce((n, v) => n + v, 0),
    })),
  };
}

test('1,000 classes: the evaluation text is written, lists the top confusions, and no line is a 1,000-column row', () => {
  const started = Date.now();
  const text = evaluationText(evaluation(1000));
  assert.ok(Date.now() - started < 2000);
  assert.match(text, /Most frequent confusions of 1,000 classes \(the full matrix is in --json and --html\)/);
  const confusions = text.split('\n').filter((l) => / → /.test(l));
  assert.equal(confusions.length, 20);
  // Sorted, largest first: the largest off-diagonal cell here is 3.
  assert.match(confusions[0], /^\s+3 {2}\d+ class-\d+ → \d+ class-\d+$/);
  assert.ok(Math.max(...text.split('\n').map((l) => l.length)) < 200);
});

test('up to 30 classes the full matrix is still printed', () => {
  const text = evaluationText(evaluation(30));
  assert.match(text, /Confusion matrix \(rows: actual class, columns: predicted class\)/);
  assert.equal(text.split('\n').filter((l) => /^\d+ class-\d+ /.test(l)).length, 30);
});
