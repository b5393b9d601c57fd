/**
 * Steps of a training engine on batches a test makes, as the engine equivalence tests compare them: per step the
 * loss and the correct count (-1 when accuracy is not tracked), every fifth batch smaller like an epoch's last.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { StepEngine, TF } from '../../src/training/worker/engine';

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
