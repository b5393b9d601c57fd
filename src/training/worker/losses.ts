/**
 * Keras losses and the `accuracy` metric, as tfjs ops. Each loss returns the MEAN over the batch (Keras's default
 * `sum_over_batch_size` reduction).
 *
 * Crossentropies come in two forms, as in Keras 2.x's backend. A softmax or sigmoid output carries its logits
 * (`_keras_logits`), and every crossentropy then works on those logits with no clipping (`crossentropyFromLogits`):
 * a confidently wrong prediction keeps a large loss and a gradient that pulls it back. Any other output is taken as
 * probabilities clipped to [1e-7, 1 - 1e-7] (`computeLoss`), where the gradient past the clip is zero.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { lossInfo, unreachable, type AccuracyKind, type LossName } from '../../model/losses';
import type { TF } from './engine';

export const EPSILON = 1e-7;

// The loss and accuracy tables live in the core (one place for the editor, the CLI and both engines).
export { canonicalLoss, resolveAccuracy, type AccuracyKind, type LossName } from '../../model/losses';

/** How labels are fed to a loss: class ids, one-hot rows, or float targets of shape [n, 1]. */
export function labelKind(loss: LossName): 'sparse' | 'onehot' | 'float' {
  return lossInfo(loss).labels;
}

/** Mean batch loss from the output as predicted (probabilities, clipped for crossentropies). `y` is int32 [n] (sparse), float32 [n, k] (one-hot) or float32 [n, units] (float targets). */
export function computeLoss(tf: TF, loss: LossName, y: tfjs.Tensor, p: tfjs.Tensor): tfjs.Scalar {
  return tf.tidy(() => {
    switch (loss) {
      case 'sparse_categorical_crossentropy': {
        const clipped = tf.clipByValue(p, EPSILON, 1 - EPSILON);
        const oneHot = tf.oneHot(tf.cast(y, 'int32').flatten(), p.shape[p.shape.length - 1]!);
        return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(clipped)), -1)));
      }
      case 'categorical_crossentropy': {
        // Keras rescales each row to sum to one before clipping.
        const scaled = tf.div(p, tf.sum(p, -1, true));
        const clipped = tf.clipByValue(scaled, EPSILON, 1 - EPSILON);
        return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(clipped)), -1)));
      }
      case 'binary_crossentropy': {
        // TF 2.8 backend.binary_crossentropy: clip, then log(p + eps) and log(1 - p + eps).
        const clipped = tf.clipByValue(p, EPSILON, 1 - EPSILON);
        const yy = tf.reshape(y, clipped.shape);
        const pos = tf.mul(yy, tf.log(tf.add(clipped, EPSILON)));
        const neg = tf.mul(tf.sub(1, yy), tf.log(tf.add(tf.sub(1, clipped), EPSILON)));
        return tf.neg(tf.mean(tf.mean(tf.add(pos, neg), -1)));
      }
      case 'mse':
        return tf.mean(tf.mean(tf.square(tf.sub(tf.reshape(y, p.shape), p)), -1));
      case 'mae':
        return tf.mean(tf.mean(tf.abs(tf.sub(tf.reshape(y, p.shape), p)), -1));
      default:
        return unreachable(loss, 'loss');
    }
  }) as tfjs.Scalar;
}

/** A model's output for a batch: `output` as the model predicts it, `logits` when its last activation caches them. */
export interface ModelOutput {
  output: tfjs.Tensor;
  /** Pre-activation of a softmax or sigmoid output layer (Keras's `_keras_logits`), or a from_logits model's output. */
  logits?: tfjs.Tensor;
  /** With from_logits: the model's own output (the logits), which `output` is the softmax/sigmoid of. */
  modelOutput?: tfjs.Tensor;
}

/**
 * What Keras's `accuracy` metric is given: the model's output as it is. With from_logits that is the logits
 * (Keras 2's metrics do not know of from_logits): argmax is the same, but binary accuracy thresholds the logit
 * itself at 0.5 (`binary_accuracy(y_true, y_pred, threshold=0.5)`), not its sigmoid.
 */
export function metricInput(out: ModelOutput): tfjs.Tensor {
  return out.modelOutput ?? out.output;
}

/** The Keras loss of a model output: crossentropies use the logits when there are any, everything else the output. */
export function outputLoss(tf: TF, loss: LossName, y: tfjs.Tensor, out: ModelOutput): tfjs.Scalar {
  return out.logits && isCrossentropy(loss)
    ? crossentropyFromLogits(tf, loss, y, out.logits)
    : computeLoss(tf, loss, y, out.output);
}

export type CrossentropyName = Extract<LossName, `${string}crossentropy`>;

export function isCrossentropy(loss: LossName): loss is CrossentropyName {
  return loss.endsWith('crossentropy');
}

/**
 * Mean batch crossentropy from the pre-activation output `z`, as Keras computes it when the output layer is softmax
 * or sigmoid: sparse/categorical = logsumexp(z) − z·y (tf.nn.softmax_cross_entropy_with_logits: labels are not
 * rescaled), binary = max(z, 0) − z·y + log(1 + exp(−|z|)) averaged over the last axis. Keras picks the formula by
 * the loss, not by the activation, so a sigmoid output with a categorical loss gets the softmax formula too.
 */
export function crossentropyFromLogits(tf: TF, loss: CrossentropyName, y: tfjs.Tensor, z: tfjs.Tensor): tfjs.Scalar {
  return tf.tidy(() => {
    if (loss === 'binary_crossentropy') {
      const yy = tf.reshape(y, z.shape);
      // TF's sigmoid_cross_entropy_with_logits selects with `where` (not relu/abs) so the gradient at z = 0 is
      // sigmoid(0) − y; relu's and abs's zero subgradients would make it −y.
      const positive = tf.greaterEqual(z, 0);
      const reluZ = tf.where(positive, z, tf.zerosLike(z));
      const negAbsZ = tf.where(positive, tf.neg(z), z);
      const perUnit = tf.add(tf.sub(reluZ, tf.mul(z, yy)), tf.log1p(tf.exp(negAbsZ)));
      return tf.mean(tf.mean(perUnit, -1));
    }
    const k = z.shape[z.shape.length - 1]!;
    const target = loss === 'sparse_categorical_crossentropy' ? tf.oneHot(tf.cast(y, 'int32').flatten(), k) : y;
    // logSoftmax subtracts the row maximum first, so large logits do not overflow exp.
    return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(z, -1)), -1)));
  }) as tfjs.Scalar;
}

/** Number of correct predictions in the batch, as a float32 scalar (kept on the device). */
export function countCorrect(tf: TF, kind: AccuracyKind, y: tfjs.Tensor, p: tfjs.Tensor): tfjs.Scalar {
  return tf.tidy(() => {
    switch (kind) {
      case 'sparse_categorical':
        return tf.sum(tf.cast(tf.equal(tf.argMax(p, -1), tf.cast(y, 'int32').flatten()), 'float32'));
      case 'categorical':
        return tf.sum(tf.cast(tf.equal(tf.argMax(p, -1), tf.argMax(y, -1)), 'float32'));
      case 'binary': {
        const predicted = tf.cast(tf.greater(p, 0.5), 'float32');
        return tf.sum(tf.cast(tf.equal(predicted, tf.reshape(y, p.shape)), 'float32'));
      }
      default:
        return unreachable(kind, 'accuracy kind');
    }
  }) as tfjs.Scalar;
}
