import { DataError, formatCount } from './errors';
import { createRng, identityOrder } from './rng';
import type { Split } from './types';

export { createRng, type Rng } from './rng';

export interface SplitOptions {
  /**
   * Reorder `split`'s own arrays (training examples first, then validation, each in file order) and return views of
   * them instead of copies: for a caller that drops the full set at once (a worker), so that the copies and the
   * full set are never held together (47 MB more at the peak for Fashion-MNIST; the parts' contents are the same
   * either way). `split` itself then holds the examples in that order.
   */
  inPlace?: boolean;
}

/**
 * Holds out `fraction` of the examples for validation, chosen by a seeded shuffle (Keras's `validation_split`
 * takes the last examples instead; a seeded pick keeps classes mixed when a file is sorted by class).
 * Validation gets round(count × fraction) examples: 12,000 of 60,000 for 0.2. Both parts keep file order, so
 * the same seed gives the same split on every machine and `shuffle: false` still means "in file order".
 */
export function splitValidation(
  split: Split,
  exampleSize: number,
  fraction: number,
  seed: number,
  opts: SplitOptions = {},
): { train: Split; validation: Split; validationIndices: Uint32Array } {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new DataError(`validation_split must be at least 0 and below 1, not ${fraction}; 0.2 keeps a fifth for validation.`, 'spec');
  }
  const n = split.count;
  const validationCount = Math.round(n * fraction);
  const trainCount = n - validationCount;
  if (trainCount < 1) {
    throw new DataError(
      `The dataset has only ${formatCount(n)} example${n === 1 ? '' : 's'}, too few to keep any for training after a validation split of ${fraction}; add data or lower validation_split.`,
      'spec',
    );
  }
  const order = createRng(seed).shuffle(identityOrder(n));
  const trainIdx = order.subarray(0, trainCount).sort();
  const validationIdx = order.subarray(trainCount).sort();
  if (opts.inPlace) {
    reorderInPlace(split, exampleSize, order);
    const cut = trainCount * exampleSize;
    return {
      train: { x: split.x.subarray(0, cut), y: split.y.subarray(0, trainCount), count: trainCount },
      validation: { x: split.x.subarray(cut, n * exampleSize), y: split.y.subarray(trainCount, n), count: validationCount },
      validationIndices: validationIdx.slice(),
    };
  }
  return {
    train: gather(split, exampleSize, trainIdx),
    validation: gather(split, exampleSize, validationIdx),
    // Where each validation example sits in the training set as read (the examples gallery loads it from there).
    validationIndices: validationIdx.slice(),
  };
}

/** A new split holding the given examples (copied, so the source can be released). */
export function gather(split: Split, exampleSize: number, indices: ArrayLike<number>): Split {
  const count = indices.length;
  const x =
    split.x instanceof Float32Array
      ? new Float32Array(count * exampleSize)
      : split.x instanceof Int32Array
        ? new Int32Array(count * exampleSize)
        : new Uint8Array(count * exampleSize);
  const y =
    split.y instanceof Float32Array ? new Float32Array(count) : split.y instanceof Int32Array ? new Int32Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const src = indices[i];
    x.set(split.x.subarray(src * exampleSize, (src + 1) * exampleSize), i * exampleSize);
    y[i] = split.y[src];
  }
  return { x, y, count };
}

/**
 * Moves example order[p] to position p for every p, in place: each cycle of the permutation is walked once, one
 * example's row and label set aside at its start, every other one moved once (`copyWithin`, so no row buffer).
 */
function reorderInPlace(split: Split, exampleSize: number, order: Uint32Array): void {
  const { x, y } = split;
  const n = split.count;
  const done = new Uint8Array(n);
  const row = x.slice(0, exampleSize);
  for (let start = 0; start < n; start++) {
    if (done[start]) continue;
    done[start] = 1;
    if (order[start] === start) continue;
    row.set(x.subarray(start * exampleSize, (start + 1) * exampleSize));
    const label = y[start];
    let to = start;
    for (let from = order[to]; from !== start; to = from, from = order[to]) {
      x.copyWithin(to * exampleSize, from * exampleSize, (from + 1) * exampleSize);
      y[to] = y[from];
      done[from] = 1;
    }
    x.set(row, to * exampleSize);
    y[to] = label;
  }
}
