/**
 * Keras losses and the `accuracy` metric, as tfjs ops. Each loss returns the MEAN over the batch (Keras's default
 * `sum_over_batch_size` reduction); crossentropies clip probabilities to [1e-7, 1 - 1e-7] as Keras's backend does.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { TF } from './engine';

export const EPSILON = 1e-7;

export type LossName =
  | 'sparse_categorical_crossentropy'
  | 'categorical_crossentropy'
  | 'binary_crossentropy'
  | 'mse'
  | 'mae';

const ALIASES: Record<string, LossName> = {
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  binary_crossentropy: 'binary_crossentropy',
  mse: 'mse',
  mean_squared_error: 'mse',
  mae: 'mae',
  mean_absolute_error: 'mae',
};

/** The short Keras name for a loss or its long alias (`mean_squared_error` → `mse`), as the core and engines use. */
export function canonicalLoss(name: string): LossName | undefined {
  return ALIASES[name.toLowerCase()];
}

/** How labels are fed to a loss: class ids, one-hot rows, or float targets of shape [n, 1]. */
export function labelKind(loss: LossName): 'sparse' | 'onehot' | 'float' {
  if (loss === 'sparse_categorical_crossentropy') return 'sparse';
  if (loss === 'categorical_crossentropy') return 'onehot';
  return 'float';
}

export type AccuracyKind = 'sparse_categorical' | 'categorical' | 'binary';

/**
 * Which accuracy Keras means by `accuracy` (compile_utils): a single output unit is binary accuracy (threshold 0.5);
 * otherwise integer labels give sparse categorical accuracy and one-hot labels categorical accuracy.
 */
export function resolveAccuracy(loss: LossName, outputUnits: number): AccuracyKind {
  if (outputUnits === 1) return 'binary';
  return labelKind(loss) === 'sparse' ? 'sparse_categorical' : 'categorical';
}

/** Mean batch loss. `y` is int32 [n] (sparse), float32 [n, k] (one-hot) or float32 [n, units] (float targets). */
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
    }
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
    }
  }) as tfjs.Scalar;
}
