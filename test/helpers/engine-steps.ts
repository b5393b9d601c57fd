/**
 * Steps of a training engine on batches a test makes, as the engine equivalence tests compare them: per step the
 * loss and the correct count (-1 when accuracy is not tracked), every fifth batch smaller like an epoch's last.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { EffectiveOptimizer } from '../../src/protocol';
import type { StepEngine, TF } from '../../src/training/worker/engine';

/** Keras 3's optimizers and weight decay, which every engine equivalence test holds the fused engines to as well. */
export const KERAS3_OPTIMIZERS: readonly EffectiveOptimizer[] = [
  { type: 'Nadam', learning_rate: 0.002, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  {
    type: 'AdamW',
    learning_rate: 0.002,
    weight_decay: 0.004,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
  },
  { type: 'SGD', learning_rate: 0.02, momentum: 0.9, nesterov: false, weight_decay: 0.01 },
  // Plain SGD's update is folded into the gradient product (`plainRate`) unless the weights decay first.
  { type: 'SGD', learning_rate: 0.05, momentum: 0, nesterov: false, weight_decay: 0.02 },
];

/**
 * Gradient clipping (any optimizer's `clipnorm`, `clipvalue`, `global_clipnorm`), with thresholds low enough that the
 * equivalence tests' small models are clipped at every step (`fused-equivalence.test.ts` checks that they are).
 */
export const CLIPPING_OPTIMIZERS: readonly EffectiveOptimizer[] = [
  // Plain SGD: the Dense engine must not fold this update into its gradient product.
  { type: 'SGD', learning_rate: 0.05, momentum: 0, nesterov: false, clipnorm: 0.05 },
  { type: 'Adam', learning_rate: 0.01, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false, clipvalue: 0.002 },
  { type: 'SGD', learning_rate: 0.05, momentum: 0.9, nesterov: true, global_clipnorm: 0.1 },
  // tf.keras 2 takes clipvalue with a norm: by value first.
  { type: 'SGD', learning_rate: 0.1, momentum: 0.9, nesterov: false, clipvalue: 0.01, clipnorm: 0.02 },
];

export function trainSteps(
  tf: TF,
  engine: StepEngine,
  steps: number,
  batch: (size: number, step: number) => { x: tfjs.Tensor; y: tfjs.Tensor },
): { losses: number[]; correct: number[] } {
  const losses: number[] = [];
  const correct: number[] = [];
  for (let s = 0; s < steps; s++) {
    const r = tf.tidy(() => {
      const { x, y } = batch(s % 5 === 4 ? 5 : 12, s);
      const out = engine.step(x, y);
      return [out.loss, out.correct ?? tf.scalar(-1)];
    });
    losses.push(r[0].dataSync()[0]);
    correct.push(r[1].dataSync()[0]);
    tf.dispose(r);
  }
  return { losses, correct };
}
