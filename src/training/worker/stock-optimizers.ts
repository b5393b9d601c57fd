/**
 * Keras 2.x optimizers (TF 2.8 optimizer_v2) as plain update rules over Float32Arrays.
 *
 * The tfjs optimizers differ from Keras in defaults and formulas (rmsprop's epsilon placement, adagrad's missing
 * defaults), so Model Lab implements the Keras rules itself. Working on plain arrays keeps the arithmetic exact,
 * testable without tfjs, and shared by every step engine: one JS loop per weight is also faster on the wasm backend
 * than a dozen small kernels per weight.
 */
import {
  gradientClipping,
  optimizerDef,
  trainingOptimizer,
  type EffectiveOptimizer,
  type GradientClipping,
  type OptimizerName,
} from '../../model/optimizers';
import { clipGradients } from './gradient-clipping';

/** The Keras class name for a name as users write it (`adam`, `Adam`, `rmsprop`), or undefined. */
export function canonicalOptimizerName(name: string): OptimizerName | undefined {
  return optimizerDef(name)?.type;
}

/**
 * One weight's update: changes `w` in place from its gradient `g`. `t` is the step count, starting at 1; `lr` the
 * learning rate of this step (a constant, or a schedule's value at step t - 1, as Keras evaluates it).
 */
type Rule = (w: Float32Array, g: Float32Array, state: Float32Array[], t: number, lr: number) => void;

export interface RuleDef {
  /** Slot arrays per weight, with their initial value. */
  slots: (h: Hyper) => number[];
  rule: (h: Hyper) => Rule;
}

export interface Hyper {
  num(name: string): number;
  bool(name: string): boolean;
}

/** One rule per optimizer of the core's table: `tsc` fails when the table gains an optimizer without one here. */
export const STOCK_RULES: Record<OptimizerName, RuleDef> = {
  SGD: {
    slots: (h) => (h.num('momentum') === 0 ? [] : [0]),
    rule: (h) => {
      const m = h.num('momentum');
      const nesterov = h.bool('nesterov');
      if (m === 0) {
        return (w, g, _s, _t, lr) => {
          for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
        };
      }
      return (w, g, [v], _t, lr) => {
        for (let i = 0; i < w.length; i++) {
          const vi = m * v[i] - lr * g[i];
          v[i] = vi;
          w[i] += nesterov ? m * vi - lr * g[i] : vi;
        }
      };
    },
  },
  RMSprop: {
    // ms, then mom (momentum > 0), then mg (centered).
    slots: (h) => [0, ...(h.num('momentum') > 0 ? [0] : []), ...(h.bool('centered') ? [0] : [])],
    rule: (h) => {
      const rho = h.num('rho');
      const eps = h.num('epsilon');
      const momentum = h.num('momentum');
      const centered = h.bool('centered');
      return (w, g, slots, _t, lr) => {
        const ms = slots[0];
        const mom = momentum > 0 ? slots[1] : undefined;
        const mg = centered ? slots[momentum > 0 ? 2 : 1] : undefined;
        for (let i = 0; i < w.length; i++) {
          const gi = g[i];
          ms[i] = rho * ms[i] + (1 - rho) * gi * gi;
          let denom = ms[i];
          if (mg) {
            mg[i] = rho * mg[i] + (1 - rho) * gi;
            denom -= mg[i] * mg[i];
          }
          if (mom) {
            // TF's ResourceApplyMomentum-style kernel keeps epsilon inside the square root.
            mom[i] = momentum * mom[i] + (lr * gi) / Math.sqrt(denom + eps);
            w[i] -= mom[i];
          } else {
            w[i] -= (lr * gi) / (Math.sqrt(denom) + eps);
          }
        }
      };
    },
  },
  Adam: {
    slots: (h) => (h.bool('amsgrad') ? [0, 0, 0] : [0, 0]),
    rule: (h) => {
      const b1 = h.num('beta_1');
      const b2 = h.num('beta_2');
      const eps = h.num('epsilon');
      const amsgrad = h.bool('amsgrad');
      return (w, g, [m, v, vhat], t, lr) => {
        const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        for (let i = 0; i < w.length; i++) {
          const gi = g[i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          let vi = v[i];
          if (amsgrad) {
            if (vi > vhat[i]) vhat[i] = vi;
            vi = vhat[i];
          }
          w[i] -= (lrT * m[i]) / (Math.sqrt(vi) + eps);
        }
      };
    },
  },
  // Keras 3's (and tf.keras 2.11+'s) Nadam; `nadamSchedule` says why not legacy Keras 2's.
  Nadam: {
    slots: () => [0, 0],
    rule: (h) => {
      const b1 = h.num('beta_1');
      const b2 = h.num('beta_2');
      const eps = h.num('epsilon');
      const schedule = nadamSchedule(b1);
      return (w, g, [m, v], t, lr) => {
        const { gradientRate, momentumRate } = schedule(t);
        const vc = 1 / (1 - b2 ** t);
        for (let i = 0; i < w.length; i++) {
          const gi = g[i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          w[i] -= (lr * (momentumRate * m[i] + gradientRate * gi)) / (Math.sqrt(v[i] * vc) + eps);
        }
      };
    },
  },
  // Adam's rule; its weight decay is applied before it, as for every optimizer (`KerasOptimizer.apply`).
  AdamW: {
    slots: (h) => STOCK_RULES.Adam.slots(h),
    rule: (h) => STOCK_RULES.Adam.rule(h),
  },
  Adagrad: {
    slots: (h) => [h.num('initial_accumulator_value')],
    rule: (h) => {
      const eps = h.num('epsilon');
      return (w, g, [acc], _t, lr) => {
        for (let i = 0; i < w.length; i++) {
          acc[i] += g[i] * g[i];
          w[i] -= (lr * g[i]) / (Math.sqrt(acc[i]) + eps);
        }
      };
    },
  },
  Adamax: {
    slots: () => [0, 0],
    rule: (h) => {
      const b1 = h.num('beta_1');
      const b2 = h.num('beta_2');
      const eps = h.num('epsilon');
      return (w, g, [m, u], t, lr) => {
        const lrT = lr / (1 - b1 ** t);
        for (let i = 0; i < w.length; i++) {
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          u[i] = Math.max(b2 * u[i], Math.abs(g[i]));
          w[i] -= (lrT * m[i]) / (u[i] + eps);
        }
      };
    },
  },
  Adadelta: {
    slots: () => [0, 0],
    rule: (h) => {
      const rho = h.num('rho');
      const eps = h.num('epsilon');
      return (w, g, [acc, accUpd], _t, lr) => {
        for (let i = 0; i < w.length; i++) {
          acc[i] = rho * acc[i] + (1 - rho) * g[i] * g[i];
          const upd = (Math.sqrt(accUpd[i] + eps) / Math.sqrt(acc[i] + eps)) * g[i];
          accUpd[i] = rho * accUpd[i] + (1 - rho) * upd * upd;
          w[i] -= lr * upd;
        }
      };
    },
  },
};

/**
 * Nadam's momentum schedule at step t (from 1), as Keras 3 and tf.keras >= 2.11 compute it: the momentum cache
 * u_t = beta_1 * (1 - 0.5 * 0.96^t), its running product P_t = u_1 * … * u_t, and the two factors of the update
 * m_hat = u_{t+1} * m / (1 - P_{t+1}) + (1 - u_t) * g / (1 - P_t). Legacy Keras 2 (`optimizer_v2`, now
 * `keras.optimizers.legacy.Nadam`) raised 0.96 to 0.004 * t, so its cache stayed near beta_1 / 2; Keras 3's own
 * golden values (nadam_test.py) fix the newer rule, which is what `keras.optimizers.Nadam` is today.
 * P_t is kept between calls (steps come in order); a jump (a resumed run) recomputes it from step 1.
 */
export function nadamSchedule(b1: number): (t: number) => { momentumRate: number; gradientRate: number } {
  const u = (t: number) => b1 * (1 - 0.5 * 0.96 ** t);
  let at = 0;
  let product = 1;
  return (t) => {
    if (t < at) [at, product] = [0, 1];
    while (at < t) product *= u(++at);
    const next = product * u(t + 1);
    return { momentumRate: u(t + 1) / (1 - next), gradientRate: (1 - u(t)) / (1 - product) };
  };
}

/**
 * Keras's decoupled weight decay, `w -= w * weight_decay * lr`, applied before every optimizer's update (Keras 3
 * `_apply_weight_decay`; AdamW's whole difference from Adam). The one place the stock engine applies it.
 */
export function decayWeights(w: Float32Array, rate: number): void {
  for (let i = 0; i < w.length; i++) w[i] -= w[i] * rate;
}

/**
 * A Keras optimizer over a fixed list of weights. Call `step(weights, grads)` once per batch with the weights'
 * current values and the gradients of the mean batch loss; the weights are updated in place.
 */
export class KerasOptimizer {
  readonly type: OptimizerName;
  readonly hyper: Record<string, number | boolean>;
  /** Steps taken so far (Keras `iterations`). */
  iterations = 0;
  /** The learning rate of the current step; `step(…, lr)` and `beginStep(lr)` change it (schedules, ReduceLROnPlateau). */
  learningRate: number;
  private readonly rule: Rule;
  /** `weight_decay`, 0 for none. */
  private readonly weightDecay: number;
  /** `clipnorm` / `clipvalue` / `global_clipnorm`, undefined for none. */
  private readonly clip?: GradientClipping;
  private readonly slotInit: number[];
  private readonly state = new Map<number, Float32Array[]>();

  constructor(spec: EffectiveOptimizer) {
    // Unknown names and ill-typed arguments throw; arguments the optimizer lacks are ignored (analysis reports them).
    const { type, hyper } = trainingOptimizer(spec);
    this.type = type;
    this.hyper = hyper;
    this.learningRate = this.hyper.learning_rate as number;
    const h: Hyper = {
      num: (n) => Number(this.hyper[n]),
      bool: (n) => Boolean(this.hyper[n]),
    };
    this.rule = STOCK_RULES[type].rule(h);
    this.weightDecay = Number(this.hyper.weight_decay ?? 0);
    this.clip = gradientClipping(this.hyper);
    this.slotInit = STOCK_RULES[type].slots(h);
  }

  /**
   * One optimizer step over all weights: `weights[i]` is updated in place from `grads[i]`, which are clipped in place
   * first when the optimizer clips.
   */
  step(weights: Float32Array[], grads: Float32Array[], lr?: number): void {
    this.beginStep(lr);
    if (this.clip) clipGradients(grads, this.clip);
    for (let i = 0; i < weights.length; i++) this.apply(i, weights[i], grads[i]);
  }

  /**
   * Update one weight without counting a step: for engines that update weights one at a time. Call `beginStep()`
   * once before the weights of a step. `g` is used as given: clipping is `step`'s.
   */
  apply(index: number, w: Float32Array, g: Float32Array): void {
    let slots = this.state.get(index);
    if (!slots) {
      slots = this.slotInit.map((v) => new Float32Array(w.length).fill(v));
      this.state.set(index, slots);
    }
    if (this.weightDecay > 0) decayWeights(w, this.weightDecay * this.learningRate);
    this.rule(w, g, slots, this.iterations, this.learningRate);
  }

  beginStep(lr?: number): void {
    this.iterations += 1;
    if (lr !== undefined) this.learningRate = lr;
  }

  /** The slot arrays of every weight, by weight index (for saving the optimizer with the weights). */
  slots(): Float32Array[][] {
    return [...this.state.keys()].sort((a, b) => a - b).map((i) => this.state.get(i)!);
  }

  /** Restores slots saved by `slots()` and the step count, to continue a run where it ended. */
  restore(iterations: number, slots: Float32Array[][]): void {
    this.iterations = iterations;
    slots.forEach((s, i) =>
      this.state.set(
        i,
        s.map((a) => Float32Array.from(a)),
      ),
    );
  }
}
