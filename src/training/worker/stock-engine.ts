/**
 * The `stock` step engine: forward through the tf.layers model in training mode (`forward.ts`: crossentropies on a
 * softmax or sigmoid output use its logits, as Keras does), gradients by tfjs autodiff (`tf.variableGrads`), then the
 * Keras update rule of `optimizers.ts` on plain arrays. Works for every layer.
 *
 * Trainable weights are mirrored in Float32Arrays: the optimizer updates the mirror and each weight gets a NEW tensor
 * (`assign`) — writing into a weight's memory in place is not seen by the wasm backend's packed matrix copies.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { dropoutRng, type EngineContext, type OptimizerState, type StepEngine, type StepResult } from './engine';
import { forward } from './forward';
import {
  canonicalLoss,
  countCorrect,
  metricInput,
  outputLoss,
  resolveAccuracy,
  type AccuracyKind,
  type LossName,
} from './losses';
import { KerasOptimizer } from './stock-optimizers';

export interface StockOptions {
  /** Seeds the Dropout masks, so the same run seed gives the same training. */
  seed: number;
}

export function createStockEngine(ctx: EngineContext, opts: StockOptions): StepEngine {
  return new StockEngine(ctx, opts);
}

class StockEngine implements StepEngine {
  readonly name = 'stock';
  private readonly tf: EngineContext['tf'];
  private readonly model: tfjs.LayersModel;
  private readonly optimizer: KerasOptimizer;
  private readonly loss: LossName;
  private readonly accuracy?: AccuracyKind;
  private readonly weights: tfjs.LayerVariable[];
  private readonly mirror: Float32Array[];
  private readonly rng: () => number;

  constructor(ctx: EngineContext, opts: StockOptions) {
    this.tf = ctx.tf;
    this.model = ctx.model;
    this.optimizer = new KerasOptimizer(ctx.optimizer);
    const loss = canonicalLoss(ctx.loss);
    if (!loss) throw new Error(`Unknown loss '${ctx.loss}'.`);
    this.loss = loss;
    const units = ctx.model.outputs[0].shape[ctx.model.outputs[0].shape.length - 1] ?? 1;
    this.accuracy = ctx.accuracy ? resolveAccuracy(loss, units) : undefined;
    this.weights = ctx.model.trainableWeights;
    this.mirror = this.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
    this.rng = dropoutRng(opts.seed);
  }

  step(x: tfjs.Tensor, y: tfjs.Tensor, lr?: number): StepResult {
    const { tf } = this;
    const vars = this.weights.map((w) => w.read() as tfjs.Variable);
    let correct: tfjs.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = forward(tf, this.model, x, true, this.rng);
      if (this.accuracy) correct = tf.keep(countCorrect(tf, this.accuracy, y, metricInput(out)));
      const loss = outputLoss(tf, this.loss, y, out);
      // Kernel and bias regularizers add their penalties to the loss, as Keras reports and minimises it.
      const penalties = this.model.layers.flatMap((l) => l.calculateLosses());
      return penalties.length > 0 ? (tf.addN([loss, ...penalties]) as tfjs.Scalar) : loss;
    }, vars);
    const gradArrays = vars.map((v) => grads[v.name].dataSync() as Float32Array);
    this.optimizer.step(this.mirror, gradArrays, lr);
    for (const g of Object.values(grads)) g.dispose();
    vars.forEach((v, i) => {
      const next = tf.tensor(this.mirror[i], v.shape, 'float32');
      const weight = this.weights[i];
      if (weight.constraint) {
        // Keras applies a weight's constraint after each update; the mirror takes the constrained values.
        weight.write(next);
        this.mirror[i].set(weight.read().dataSync() as Float32Array);
      } else v.assign(next);
      next.dispose();
    });
    return { loss: value, correct };
  }

  sync(): void {
    // The variables always hold the mirror's values after a step.
  }

  optimizerState(): OptimizerState {
    return {
      iterations: this.optimizer.iterations,
      learningRate: this.optimizer.learningRate,
      slots: this.optimizer.slots().map((w) => w.map((a) => Float32Array.from(a))),
    };
  }

  loadOptimizerState(s: OptimizerState): void {
    if (
      s.slots.length > this.mirror.length ||
      s.slots.some((w, i) => w.some((a) => a.length !== this.mirror[i].length))
    ) {
      throw new Error('the saved optimizer state does not fit this model');
    }
    this.optimizer.restore(s.iterations, s.slots);
    this.optimizer.learningRate = s.learningRate;
  }

  dispose(): void {
    this.mirror.length = 0;
  }
}
