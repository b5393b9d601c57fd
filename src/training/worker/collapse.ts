/**
 * Recognises a network that a too-large learning rate has killed without any NaN.
 *
 * Crossentropy on logits (as Keras computes it) never saturates, so an exploding run usually does reach NaN or
 * infinity. But a ReLU network can also blow up for a few batches and then die: the huge updates push every hidden
 * unit below zero for every input, the output becomes the last layer's bias alone, and from then on the loss sits at
 * chance level with accuracy at chance — Keras would print that as a finished run at 10%. Two facts together mark it
 * as divergence and nothing healthy:
 *  - a batch loss far above the chance level (`EXPLODED_TIMES` × ln k): the initial glorot weights give about ln k,
 *    so an order of magnitude above it means the updates overshot; and
 *  - afterwards the model gives exactly the same output for different inputs: no gradient reaches a layer behind
 *    units that are zero (ReLU) or saturated (sigmoid) for every input, so such a network cannot recover.
 * A run that overshoots early and then learns (unscaled features with Adam) still tells its inputs apart, so it is
 * never stopped by this; one that merely learns slowly never has the explosion.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Split } from '../../data/types';
import { makeBatch, type BatchShape } from './batches';
import type { TF } from './engine';
import { forward } from './forward';

/** How many times the chance-level loss a batch must exceed to count as an explosion. */
export const EXPLODED_TIMES = 10;

/** Examples the constant-output check looks at. */
const PROBE_SIZE = 256;

/**
 * Whether `model` (inference mode) gives one and the same output for examples spread over `split`, while their
 * inputs differ. Identical inputs (a constant CSV column set) prove nothing, so they answer false.
 *
 * The logits are compared, not the probabilities: a confident healthy model saturates float32 probabilities (a
 * sigmoid is exactly 1 above z ≈ 17), which on a file sorted by label would look constant. The probe is spread over
 * the whole split, not its first rows, for the same reason.
 */
export function outputIsConstant(tf: TF, model: tfjs.LayersModel, split: Split, shape: BatchShape): boolean {
  const count = Math.min(PROBE_SIZE, split.count);
  if (count < 2) return false;
  const order = Uint32Array.from({ length: count }, (_, i) => Math.floor((i * split.count) / count));
  const [inputSpread, outputSpread] = tf.tidy(() => {
    const { x } = makeBatch(tf, split, order, 0, count, shape);
    const out = forward(tf, model, x, false);
    return [spread(tf, x), spread(tf, out.logits ?? out.output)].map((t) => t.dataSync()[0]);
  });
  return inputSpread > 0 && outputSpread === 0;
}

/** The largest difference between any example and the first one. */
function spread(tf: TF, t: tfjs.Tensor): tfjs.Scalar {
  const rows = tf.reshape(t, [t.shape[0], -1]);
  return tf.max(tf.abs(tf.sub(rows, tf.slice(rows, [0, 0], [1, -1])))) as tfjs.Scalar;
}
