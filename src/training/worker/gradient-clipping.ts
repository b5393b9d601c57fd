/**
 * Keras's gradient clipping (`clipnorm`, `clipvalue`, `global_clipnorm` on any optimizer), in place on the step's
 * gradients before weight decay and the update: the one place both engines apply it (the stock engine's optimizer
 * over its gradient arrays, the fused engines over their wasm gradient buffers). tf.keras 2's order: by value, then
 * each weight's norm, then the global norm; Keras 3 takes only one of them.
 *
 * The norms are summed in double precision; Keras sums float32 squares, so a clipped gradient can differ from
 * Keras's in its last float32 bits. Keras's formulas: `g * c / max(norm(g), c)` (a zero gradient stays zero) and
 * `clip(g, -c, c)`.
 */
import type { GradientClipping } from '../../model/optimizers';

/** Sum of squares of one gradient. */
function squares(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

function scale(g: Float32Array, k: number): void {
  for (let i = 0; i < g.length; i++) g[i] *= k;
}

/** Clips every gradient of one step in place. */
export function clipGradients(grads: readonly Float32Array[], clip: GradientClipping): void {
  const { value, norm, globalNorm } = clip;
  for (const g of grads) {
    if (value) {
      for (let i = 0; i < g.length; i++) {
        const v = g[i];
        // NaN stays NaN, as in tf.clip_by_value.
        if (v > value) g[i] = value;
        else if (v < -value) g[i] = -value;
      }
    }
    if (norm) {
      const n = Math.sqrt(squares(g));
      if (n > norm) scale(g, norm / n);
    }
  }
  if (globalNorm) {
    let total = 0;
    for (const g of grads) total += squares(g);
    const n = Math.sqrt(total);
    // An infinite or NaN global norm makes every gradient NaN, as tf.clip_by_global_norm does.
    if (!Number.isFinite(n)) for (const g of grads) g.fill(NaN);
    else if (n > globalNorm) for (const g of grads) scale(g, globalNorm / n);
  }
}
