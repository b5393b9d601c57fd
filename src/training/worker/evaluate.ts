/**
 * Inference-mode evaluation of a split: mean loss (weighted by batch size, as Keras's evaluate), accuracy, and for
 * the final report a confusion matrix [actual][predicted] with per-class accuracy. Values are gathered on the device
 * and read back once per split.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Split } from '../../data/types';
import type { Evaluation } from '../../protocol';
import { keepExamples, type ExampleScores } from '../example-predictions';
import { identityOrder } from '../../data/rng';
import { makeBatch, type BatchShape } from './batches';
import type { TF } from './engine';
import { forward } from './forward';
import { countCorrect, metricInput, outputLoss, type AccuracyKind, type LossName } from './losses';

export interface EvaluateOptions {
  loss: LossName;
  /** How `accuracy` is counted; absent for regression. */
  accuracy?: AccuracyKind;
  shape: BatchShape;
  /** Only predictions are batched; the mean is the same for any batch size in inference mode. */
  batchSize?: number;
  /** Also build the confusion matrix and per-class accuracy (needs class names). */
  classNames?: string[];
  /**
   * Also keep per-example predictions for the gallery (with class names): where the split's examples come from in
   * the dataset as read. `sourceIndex` absent: example i is the source set's example i.
   */
  examplesFrom?: Pick<ExampleScores, 'source' | 'sourceCount' | 'sourceIndex'>;
}

export interface SplitScore {
  loss: number;
  accuracy?: number;
  confusionMatrix?: number[][];
  perClassAccuracy?: Evaluation['perClassAccuracy'];
  examples?: Evaluation['examples'];
}

export function evaluateSplit(tf: TF, model: tfjs.LayersModel, split: Split, opts: EvaluateOptions): SplitScore {
  const batchSize = opts.batchSize ?? 256;
  const order = identityOrder(split.count);
  const lossSums: tfjs.Tensor[] = [];
  const corrects: tfjs.Tensor[] = [];
  const predictions: tfjs.Tensor[] = [];
  const confidences: tfjs.Tensor[] = [];
  try {
    for (let start = 0; start < split.count; start += batchSize) {
      const end = Math.min(split.count, start + batchSize);
      const kept = tf.tidy(() => {
        const { x, y, size } = makeBatch(tf, split, order, start, end, opts.shape);
        // The same loss as training: from the logits of a softmax/sigmoid output, as Keras's evaluate computes it.
        const prediction = forward(tf, model, x, false);
        const p = prediction.output;
        const out: tfjs.Tensor[] = [tf.mul(outputLoss(tf, opts.loss, y, prediction), size)];
        if (opts.accuracy) out.push(countCorrect(tf, opts.accuracy, y, metricInput(prediction)));
        if (opts.accuracy && opts.classNames) {
          out.push(predictedClass(tf, opts.accuracy, p));
          if (opts.examplesFrom) out.push(predictedValue(tf, opts.accuracy, p));
        }
        return out;
      });
      lossSums.push(kept[0]);
      if (kept[1]) corrects.push(kept[1]);
      if (kept[2]) predictions.push(kept[2]);
      if (kept[3]) confidences.push(kept[3]);
    }
    const count = Math.max(1, split.count);
    const score: SplitScore = { loss: sumOf(tf, lossSums) / count };
    if (opts.accuracy) score.accuracy = sumOf(tf, corrects) / count;
    if (opts.accuracy && opts.classNames && predictions.length) {
      const predicted = tf.tidy(() => tf.concat(predictions).dataSync() as Int32Array);
      Object.assign(score, confusion(split, predicted, opts.classNames));
      if (opts.examplesFrom && confidences.length) {
        const confidence = tf.tidy(() => tf.concat(confidences).dataSync() as Float32Array);
        score.examples = keepExamples({ ...opts.examplesFrom, actual: split.y, predicted, confidence });
      }
    }
    return score;
  } finally {
    tf.dispose([...lossSums, ...corrects, ...predictions, ...confidences]);
  }
}

function sumOf(tf: TF, scalars: tfjs.Tensor[]): number {
  if (!scalars.length) return 0;
  return tf.tidy(() => tf.addN(scalars).dataSync()[0]);
}

function predictedClass(tf: TF, kind: AccuracyKind, p: tfjs.Tensor): tfjs.Tensor {
  if (kind === 'binary') return tf.cast(tf.greater(p.flatten(), 0.5), 'int32');
  return tf.cast(tf.argMax(p, -1), 'int32');
}

/** The output's value for the predicted class: the top probability, or for one sigmoid unit p or 1 − p. */
function predictedValue(tf: TF, kind: AccuracyKind, p: tfjs.Tensor): tfjs.Tensor {
  if (kind === 'binary') {
    const flat = p.flatten();
    return tf.where(tf.greater(flat, 0.5), flat, tf.sub(1, flat));
  }
  return tf.max(p, -1);
}

/** confusionMatrix[actual][predicted] and the share of each actual class predicted right. */
export function confusion(
  split: Split,
  predicted: ArrayLike<number>,
  classNames: string[],
): Pick<SplitScore, 'confusionMatrix' | 'perClassAccuracy'> {
  const k = classNames.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < split.count; i++) {
    const actual = split.y[i];
    const guess = predicted[i];
    if (actual >= 0 && actual < k && guess >= 0 && guess < k) matrix[actual][guess] += 1;
  }
  const perClassAccuracy = classNames.map((className, c) => {
    const count = matrix[c].reduce((a, b) => a + b, 0);
    return { className, accuracy: count ? matrix[c][c] / count : 0, count };
  });
  return { confusionMatrix: matrix, perClassAccuracy };
}
