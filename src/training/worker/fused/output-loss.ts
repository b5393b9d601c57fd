/**
 * The loss of a fused engine's output layer and its gradient dL/dz, as the stock engine defines the losses (Keras's
 * formulas), for both fused engines (`dense-stack.ts`, `conv-stack.ts`).
 *
 *  - sparse / categorical crossentropy from the logits z of a softmax output: logsumexp(z) - z·t per example,
 *    dz = (softmax(z) - t) / batch;
 *  - binary crossentropy from the logits z of a sigmoid output: max(z, 0) - z·t + log(1 + exp(-|z|)) per unit,
 *    averaged over units, dz = (sigmoid(z) - t) / (batch · units);
 *  - mse on the output activation (`out` holds z for a softmax output, whose softmax is applied here).
 * Accuracy counts on the probabilities, in float32, as the stock engine's metric sees them; after a linear output
 * (from_logits) on the logits, which is what Keras's metric is given then.
 */
import type { AccuracyKind, Activation, LossKind } from './eligibility';

export interface LossResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Correct predictions in the batch (0 when accuracy is not tracked). */
  correct: number;
}

/**
 * Mean loss, correct count, and dL/dz of the output layer into `dz` (which must be zeroed: a sparse label outside
 * the classes leaves its row untouched). `out`: the output layer's values, row-major [batch, units] (logits for the
 * crossentropies); `probs`: scratch of batch·units floats.
 */
export function outputLossAndGradient(
  loss: LossKind,
  accuracy: AccuracyKind | undefined,
  out: Float32Array,
  labels: Float32Array | Int32Array,
  batch: number,
  units: number,
  activation: Activation,
  dz: Float32Array,
  probs: Float32Array,
): LossResult {
  const size = batch * units;
  const inv = 1 / batch;
  let total = 0;
  let p = probs;
  if (loss === 'sparse_crossentropy' || loss === 'categorical_crossentropy') {
    const lse = softmaxRows(out, batch, units, probs);
    for (let b = 0; b < batch; b++) {
      const row = b * units;
      if (loss === 'sparse_crossentropy') {
        const label = Math.trunc(labels[b]);
        // A label outside the classes has an all-zero one-hot row (as tf.oneHot makes it): no loss, no gradient.
        if (label < 0 || label >= units) continue;
        total += lse[b] - out[row + label];
        for (let j = 0; j < units; j++) dz[row + j] = probs[row + j] * inv;
        dz[row + label] -= inv;
      } else {
        for (let j = 0; j < units; j++) {
          const t = labels[row + j];
          if (t !== 0) total += t * (lse[b] - out[row + j]);
          dz[row + j] = (probs[row + j] - t) * inv;
        }
      }
    }
  } else if (loss === 'binary_crossentropy') {
    const scale = 1 / size;
    for (let i = 0; i < size; i++) {
      const z = out[i];
      const t = labels[i];
      total += (Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)))) / units;
      probs[i] = 1 / (1 + Math.exp(-z));
      dz[i] = (probs[i] - t) * scale;
    }
  } else {
    if (activation === 'softmax') softmaxRows(out, batch, units, probs);
    else p = out;
    const scale = 2 / size;
    for (let i = 0; i < size; i++) {
      const d = p[i] - labels[i];
      total += (d * d) / units;
      dz[i] = d * scale;
    }
    outputActivationBackward(p, activation, batch, units, dz);
  }
  // Keras's metric sees the model's output: after a linear output layer (from_logits) the logits themselves.
  const seen = activation === 'linear' ? out : p;
  return { loss: total / batch, correct: accuracy ? countCorrect(accuracy, seen, labels, batch, units) : 0 };
}

/** Row-wise softmax of z into `p` (float32), exp(z - max) / sum; returns each row's logsumexp (in double). */
function softmaxRows(z: Float32Array, batch: number, units: number, p: Float32Array): Float64Array {
  if (lseScratch.length < batch) lseScratch = new Float64Array(batch);
  const lse = lseScratch;
  for (let b = 0; b < batch; b++) {
    const row = b * units;
    let max = -Infinity;
    for (let j = 0; j < units; j++) if (z[row + j] > max) max = z[row + j];
    let sum = 0;
    for (let j = 0; j < units; j++) {
      const e = Math.exp(z[row + j] - max);
      p[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < units; j++) p[row + j] /= sum;
    lse[b] = max + Math.log(sum);
  }
  return lse;
}

/** Reused from step to step: the row logsumexps are read before the next call. */
let lseScratch = new Float64Array(0);

/** dL/dz from dL/da for the output layer under mse, in place in `d`. */
function outputActivationBackward(
  a: Float32Array,
  activation: Activation,
  batch: number,
  units: number,
  d: Float32Array,
): void {
  if (activation === 'softmax') {
    for (let b = 0; b < batch; b++) {
      const row = b * units;
      let dot = 0;
      for (let j = 0; j < units; j++) dot += d[row + j] * a[row + j];
      for (let j = 0; j < units; j++) d[row + j] = a[row + j] * (d[row + j] - dot);
    }
    return;
  }
  const size = batch * units;
  if (activation === 'relu') for (let i = 0; i < size; i++) d[i] = a[i] > 0 ? d[i] : 0;
  else if (activation === 'sigmoid') for (let i = 0; i < size; i++) d[i] *= a[i] * (1 - a[i]);
  else if (activation === 'tanh') for (let i = 0; i < size; i++) d[i] *= 1 - a[i] * a[i];
}

function countCorrect(
  kind: AccuracyKind,
  p: Float32Array,
  labels: Float32Array | Int32Array,
  batch: number,
  units: number,
): number {
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    const row = b * units;
    if (kind === 'binary') {
      if ((p[row] > 0.5 ? 1 : 0) === labels[b]) correct++;
      continue;
    }
    const predicted = argMax(p, row, units);
    const actual = kind === 'sparse_categorical' ? Math.trunc(labels[b]) : argMax(labels, row, units);
    if (predicted === actual) correct++;
  }
  return correct;
}

function argMax(values: Float32Array | Int32Array, start: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[start + j] > values[start + best]) best = j;
  return best;
}
