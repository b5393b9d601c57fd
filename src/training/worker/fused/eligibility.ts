/**
 * Decides whether a model can train on the fused engine, and describes it as a plain Dense stack when it can.
 *
 * Eligible: a Sequential chain of Flatten, Dense, Activation and Dropout (no noise_shape) on a flat input, every
 * hidden activation one of relu / sigmoid / tanh / linear, softmax only at the very end, all weights trainable,
 * no regularizers or constraints; with sparse or one-hot crossentropy after a softmax output, binary crossentropy
 * after a sigmoid output (both computed from the logits, as Keras does there), either after a linear output with
 * from_logits (the same formulas), or mean squared error.
 * Everything else returns a reason, and the loop trains it with the stock engine.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { canonicalLoss, resolveAccuracy, type AccuracyKind, type LossName } from '../../../model/losses';

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';
export type LossKind = 'sparse_crossentropy' | 'categorical_crossentropy' | 'binary_crossentropy' | 'mse';
export type { AccuracyKind };

export interface DensePlan {
  inputs: number;
  units: number;
  activation: Activation;
  /** Dropout rate applied to this layer's input while training (0: none). */
  dropout: number;
  kernel: tfjs.LayerVariable;
  bias?: tfjs.LayerVariable;
}

export interface StackPlan {
  layers: DensePlan[];
  loss: LossKind;
  /** How `accuracy` counts a correct prediction, when it is tracked (Keras's resolution of `accuracy`). */
  accuracy?: AccuracyKind;
}

/** The fused form of each loss of the core's table (undefined: not fused); `tsc` fails when the table gains one. */
const FUSED_LOSSES: Record<LossName, LossKind | undefined> = {
  sparse_categorical_crossentropy: 'sparse_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  binary_crossentropy: 'binary_crossentropy',
  mse: 'mse',
  mae: undefined,
};
export const HIDDEN: ReadonlySet<string> = new Set(['linear', 'relu', 'sigmoid', 'tanh']);

/**
 * What both fused engines (this Dense stack and `conv-eligibility.ts`) require of a model: a fused loss, one input
 * and one output, a Sequential stack, and nothing after the output layer. The loss, or why the model stays stock.
 */
export function fusedLoss(model: tfjs.LayersModel, loss: string): { lossName: LossName; lossKind: LossKind } | string {
  const lossName = canonicalLoss(loss);
  const lossKind = lossName && FUSED_LOSSES[lossName];
  if (!lossName || !lossKind) return `loss ${loss} is not fused`;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'the model has several inputs or outputs';
  if (model.getClassName() !== 'Sequential') return 'graph (functional) models train on the stock engine';
  // The stock engine takes logits only from the model's very last layer (forward.ts); a trailing identity layer
  // (Dropout, a linear Activation) after the output would make the two engines compute different losses.
  const final = model.layers[model.layers.length - 1];
  if (
    final &&
    (final.getClassName() === 'Dropout' ||
      (final.getClassName() === 'Activation' && final.getConfig().activation === 'linear'))
  ) {
    return `layer ${final.name} follows the output layer`;
  }
  return { lossName, lossKind };
}

/**
 * Why the output layer's activation does not go with the loss in a fused engine, or undefined when it does. Keras
 * computes the crossentropies from logits after their own activation (softmax, sigmoid for binary), or from a
 * linear output with from_logits: the same formulas, the softmax/sigmoid moved into the loss. Other pairings clip
 * probabilities (or, from_logits after a softmax, apply it twice), which the stock engine does.
 */
export function outputProblem(lossKind: LossKind, activation: Activation, fromLogits: boolean): string | undefined {
  if (lossKind === 'mse') return fromLogits ? 'from_logits goes only with a crossentropy' : undefined;
  if (fromLogits) return activation === 'linear' ? undefined : `from_logits after a ${activation} output is not fused`;
  if (lossKind === 'binary_crossentropy')
    return activation === 'sigmoid' ? undefined : 'binary crossentropy is only fused after a sigmoid output';
  return activation === 'softmax' ? undefined : 'crossentropy is only fused after a softmax output';
}

/** The plan for `model`, or a short reason why the fused engine does not apply. */
export function planStack(
  model: tfjs.LayersModel,
  loss: string,
  accuracy: boolean,
  fromLogits = false,
): StackPlan | string {
  const common = fusedLoss(model, loss);
  if (typeof common === 'string') return common;
  const { lossName, lossKind } = common;

  const inputShape = model.inputs[0].shape;
  let flat = inputShape.length === 2;
  let width = inputShape.slice(1).reduce<number>((a, b) => a * (b ?? NaN), 1);
  if (!Number.isInteger(width)) return 'the input shape is not fully known';

  const layers: DensePlan[] = [];
  let pendingDropout = 0;
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const config = layer.getConfig();
    if (kind === 'InputLayer') continue;
    if (!layer.trainable && layer.weights.length > 0) return `layer ${layer.name} is frozen`;
    if (kind === 'Flatten') {
      flat = true;
      continue;
    }
    if (kind === 'Dropout') {
      if (config.noiseShape != null) return `layer ${layer.name} has a noise_shape`;
      const rate = Number(config.rate);
      if (rate <= 0) continue;
      // Two dropouts on the same activation, or one after the output, are unusual enough to leave to stock.
      if (pendingDropout > 0 || rate >= 1) return `layer ${layer.name} cannot be fused`;
      pendingDropout = rate;
      continue;
    }
    if (kind === 'Activation') {
      const name = String(config.activation);
      const last = layers[layers.length - 1];
      if (!last || pendingDropout > 0) return `activation ${layer.name} is not directly after a Dense layer`;
      if (name === 'linear') continue;
      if (last.activation !== 'linear') return `layer ${layer.name} stacks a second activation`;
      if (name !== 'softmax' && !HIDDEN.has(name)) return `activation ${name} is not fused`;
      last.activation = name as Activation;
      continue;
    }
    if (kind !== 'Dense') return `layer type ${kind} is not fused`;
    if (!flat) return `Dense layer ${layer.name} takes an input of rank above 2`;
    for (const key of [
      'kernelRegularizer',
      'biasRegularizer',
      'activityRegularizer',
      'kernelConstraint',
      'biasConstraint',
    ]) {
      if (config[key] != null) return `layer ${layer.name} has a ${key}`;
    }
    const activation = String(config.activation);
    if (activation !== 'softmax' && !HIDDEN.has(activation)) return `activation ${activation} is not fused`;
    const [kernel, bias] = layer.weights;
    if (!kernel || kernel.dtype !== 'float32' || kernel.shape[0] !== width)
      return `layer ${layer.name} has unexpected weights`;
    if (layer.weights.length > (config.useBias ? 2 : 1)) return `layer ${layer.name} has unexpected weights`;
    layers.push({
      inputs: width,
      units: Number(config.units),
      activation: activation as Activation,
      dropout: pendingDropout,
      kernel,
      bias: config.useBias ? bias : undefined,
    });
    pendingDropout = 0;
    width = Number(config.units);
  }
  if (layers.length === 0) return 'the model has no Dense layer';
  if (pendingDropout > 0) return 'a Dropout follows the output layer';
  if (layers.slice(0, -1).some((l) => l.activation === 'softmax')) return 'softmax is only fused on the output layer';

  const out = layers[layers.length - 1];
  const problem = outputProblem(lossKind, out.activation, fromLogits);
  if (problem) return problem;
  return { layers, loss: lossKind, accuracy: accuracy ? resolveAccuracy(lossName, out.units) : undefined };
}
