/**
 * Batch tensors built per step from the dataset's compact arrays: pixels stay uint8 in memory and are scaled into
 * one small Float32Array per batch, so a 48,000-image epoch never holds a float copy of the whole set.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Split } from '../../data/types';
import type { TF } from './engine';
import { pixelBatch } from './wasm-pixels';

export interface BatchShape {
  /** Shape of one example as the model takes it (no batch dimension). */
  inputShape: number[];
  /** Values per example (the product of inputShape, equal to the stored example size). */
  exampleSize: number;
  /** Multiply stored values by this (1/255 for pixels). */
  scale: number;
  labels: 'sparse' | 'onehot' | 'float';
  numClasses: number;
}

/** Examples `order[start … end)` of `split` as model-ready x and loss-ready y tensors. */
export function makeBatch(
  tf: TF,
  split: Split,
  order: ArrayLike<number>,
  start: number,
  end: number,
  shape: BatchShape,
): { x: tfjs.Tensor; y: tfjs.Tensor; size: number } {
  const size = end - start;
  const n = shape.exampleSize;
  const y = labelTensor(tf, split, order, start, end, shape);
  if (split.x instanceof Uint8Array) {
    // Pixels on wasm: converted straight into the tensor's memory by a SIMD loop (same floats as below).
    const x = pixelBatch(tf, split.x, order, start, size, n, shape.scale, [size, ...shape.inputShape]);
    if (x) return { x, y, size };
  }
  const xs = scratch(tf, size * n);
  const src = split.x;
  const scale = shape.scale;
  for (let b = 0; b < size; b++) {
    const from = order[start + b] * n;
    const to = b * n;
    for (let k = 0; k < n; k++) xs[to + k] = src[from + k] * scale;
  }
  const x = tf.tensor(xs, [size, ...shape.inputShape], 'float32');
  return { x, y, size };
}

let reusable: Float32Array | undefined;

/**
 * The batch's float buffer. The wasm backend copies a new tensor's values into its own heap, so one buffer can serve
 * every step there (150 MB less garbage an epoch at batch 32); other backends may keep a reference, so they get a
 * fresh one.
 */
function scratch(tf: TF, length: number): Float32Array {
  if (tf.getBackend() !== 'wasm') return new Float32Array(length);
  if (!reusable || reusable.length < length) reusable = new Float32Array(length);
  return reusable.length === length ? reusable : reusable.subarray(0, length);
}

function labelTensor(
  tf: TF,
  split: Split,
  order: ArrayLike<number>,
  start: number,
  end: number,
  shape: BatchShape,
): tfjs.Tensor {
  const size = end - start;
  const ys = labelValues(split, order, start, end, shape);
  if (shape.labels === 'float') return tf.tensor(ys, [size, 1], 'float32');
  if (shape.labels === 'sparse') return tf.tensor(ys, [size], 'int32');
  return tf.tensor(ys, [size, shape.numClasses], 'float32');
}

/**
 * The labels of examples `order[start … end)` as the loss reads them: class ids (int32) for sparse labels, one-hot
 * rows (float32) for one-hot ones, the values (float32) for float ones. `into`: an array of that type and length to
 * fill instead of a new one (the engines that take batches without tensors reuse one).
 */
export function labelValues(
  split: Split,
  order: ArrayLike<number>,
  start: number,
  end: number,
  shape: BatchShape,
  into?: Float32Array | Int32Array,
): Float32Array | Int32Array {
  const size = end - start;
  if (shape.labels === 'float') {
    const ys = into ?? new Float32Array(size);
    for (let b = 0; b < size; b++) ys[b] = split.y[order[start + b]];
    return ys;
  }
  if (shape.labels === 'sparse') {
    const ys = into ?? new Int32Array(size);
    for (let b = 0; b < size; b++) ys[b] = split.y[order[start + b]];
    return ys;
  }
  const ys = into ? into.fill(0) : new Float32Array(size * shape.numClasses);
  for (let b = 0; b < size; b++) ys[b * shape.numClasses + split.y[order[start + b]]] = 1;
  return ys;
}
