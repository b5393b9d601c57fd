/**
 * The examples gallery's questions, pure over a run's recorded per-example predictions (`Evaluation.examples`):
 * which examples a confusion-matrix cell holds, which are most confidently wrong, and whether a run has any to show.
 * The webview draws with these; the host checks a request against the same record with `checkPositions`.
 */
import type { Evaluation, ExamplePredictions, RunResult } from '../protocol';
import { EXAMPLES_PER_REQUEST } from '../protocol';

/** Positions (in the arrays of `ex`) of the examples of class `actual` predicted as `predicted`, most confident first. */
export function cellPositions(ex: ExamplePredictions, actual: number, predicted: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ex.actual.length; i++) if (ex.actual[i] === actual && ex.predicted[i] === predicted) out.push(i);
  return byConfidence(ex, out);
}

/** Positions of the wrong predictions, most confident first (ties: the earlier example), at most `limit`. */
export function confidentlyWrong(ex: ExamplePredictions, limit = EXAMPLES_PER_REQUEST): number[] {
  const out: number[] = [];
  for (let i = 0; i < ex.actual.length; i++) if (ex.actual[i] !== ex.predicted[i]) out.push(i);
  return byConfidence(ex, out).slice(0, Math.max(0, limit));
}

function byConfidence(ex: ExamplePredictions, positions: number[]): number[] {
  return positions.sort((a, b) => ex.confidence[b] - ex.confidence[a] || ex.index[a] - ex.index[b]);
}

/** The evaluation of a run's split, and its kept examples or one sentence saying why there are none. */
export function galleryExamples(
  run: RunResult,
  split: 'validation' | 'test',
): { evaluation: Evaluation; examples: ExamplePredictions } | { reason: string } {
  const evaluation = split === 'test' ? run.testEvaluation : run.evaluation;
  if (!evaluation) return { reason: `This run has no ${split} evaluation.` };
  if (!evaluation.confusionMatrix)
    return { reason: 'Examples are kept for classification runs only (this run predicts numbers).' };
  if (!isExamplePredictions(evaluation.examples))
    return {
      reason:
        'This run was recorded before Model Lab kept per-example predictions; train it again to see its examples.',
    };
  return { evaluation, examples: evaluation.examples };
}

/** "The 32 most confident of 118": what a cell's gallery shows of the cell, from the confusion matrix's count. */
export function cellCaption(shown: number, total: number): string {
  if (total === 0) return 'No example of the evaluated set falls in this cell.';
  if (shown >= total) return `All ${total} example${total === 1 ? '' : 's'}, most confident first.`;
  return `The ${shown} most confident of ${total} examples (the record keeps at most that many of a cell).`;
}

/**
 * A request's positions checked against the record: whole numbers, in range, distinct, at most
 * EXAMPLES_PER_REQUEST. Returns the source-set indices to load, or a sentence saying what is wrong.
 */
export function checkPositions(ex: ExamplePredictions, positions: readonly number[]): number[] | string {
  if (positions.length === 0 || positions.length > EXAMPLES_PER_REQUEST)
    return `Ask for 1 to ${EXAMPLES_PER_REQUEST} examples at a time.`;
  const seen = new Set<number>();
  const indices: number[] = [];
  for (const p of positions) {
    if (!Number.isInteger(p) || p < 0 || p >= ex.index.length || seen.has(p))
      return `Example position ${p} is not one this evaluation kept.`;
    seen.add(p);
    const index = ex.index[p];
    if (!Number.isInteger(index) || index < 0 || index >= ex.sourceCount)
      return `The record's example index ${index} is outside its dataset.`;
    indices.push(index);
  }
  return indices;
}

/** The shape a record read from disk must have before the gallery trusts its arrays. */
export function isExamplePredictions(v: unknown): v is ExamplePredictions {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  const arrays = [e.index, e.actual, e.predicted, e.confidence];
  if (!arrays.every((a) => Array.isArray(a) && a.every((x) => typeof x === 'number'))) return false;
  const n = (e.index as number[]).length;
  return (
    (e.source === 'train' || e.source === 'test') &&
    typeof e.sourceCount === 'number' &&
    typeof e.evaluated === 'number' &&
    typeof e.perCell === 'number' &&
    arrays.every((a) => (a as number[]).length === n)
  );
}
