/**
 * Which per-example predictions an evaluation keeps for the examples gallery (pure; the worker calls it once per
 * evaluated split). Every confusion-matrix cell keeps its most confident examples, at most EXAMPLES_PER_CELL; when the
 * whole would exceed EXAMPLES_MAX, every cell keeps the same number of its top examples (rank by rank), so a rare cell
 * is never crowded out by a common one. A run record therefore grows by at most a few tens of kilobytes per
 * evaluation, whatever the size of the split.
 */
import type { ExamplePredictions } from '../protocol';

/** A gallery page of one cell; also what "most confidently wrong" can rank exactly. */
export const EXAMPLES_PER_CELL = 32;
/** Most examples one evaluation keeps in the record. */
export const EXAMPLES_MAX = 2000;

export interface ExampleScores {
  /** True and predicted class of each evaluated example, and the output's value for the predicted class. */
  actual: ArrayLike<number>;
  predicted: ArrayLike<number>;
  confidence: ArrayLike<number>;
  /** Position of evaluated example i in the source set (identity when absent: the test set in file order). */
  sourceIndex?: ArrayLike<number>;
  source: 'train' | 'test';
  sourceCount: number;
}

export function keepExamples(s: ExampleScores, caps: { perCell?: number; max?: number } = {}): ExamplePredictions {
  const perCell = caps.perCell ?? EXAMPLES_PER_CELL;
  const max = caps.max ?? EXAMPLES_MAX;
  const n = s.actual.length;
  if (s.predicted.length !== n || s.confidence.length !== n || (s.sourceIndex && s.sourceIndex.length !== n)) {
    throw new Error('keepExamples: the arrays of actual, predicted, confidence and index differ in length.');
  }
  const conf = (i: number) => (Number.isFinite(s.confidence[i]) ? s.confidence[i] : -Infinity);
  // Most confident first; equal confidences in file order, so the choice is the same on every machine.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => conf(b) - conf(a) || a - b);
  const seen = new Map<string, number>();
  const kept: { i: number; rank: number }[] = [];
  for (const i of order) {
    const cell = `${s.actual[i]},${s.predicted[i]}`;
    const rank = seen.get(cell) ?? 0;
    seen.set(cell, rank + 1);
    if (rank < perCell) kept.push({ i, rank });
  }
  // Stable sort: within a rank, still most confident first.
  const chosen = kept
    .sort((a, b) => a.rank - b.rank)
    .slice(0, max)
    .map((k) => k.i)
    .sort((a, b) => a - b);
  const indexOf = (i: number) => (s.sourceIndex ? s.sourceIndex[i] : i);
  return {
    source: s.source,
    sourceCount: s.sourceCount,
    evaluated: n,
    perCell,
    index: chosen.map(indexOf),
    actual: chosen.map((i) => s.actual[i]),
    predicted: chosen.map((i) => s.predicted[i]),
    // A NaN output (a diverged model) is stored as 0: the record stays plain JSON.
    confidence: chosen.map((i) => (Number.isFinite(s.confidence[i]) ? Math.round(s.confidence[i] * 1e4) / 1e4 : 0)),
  };
}
