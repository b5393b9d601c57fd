/**
 * Decides whether a model can train on the fused CNN engine (`conv-stack.ts`), and describes it as a list of
 * operations on channels-last tensors when it can.
 *
 * Eligible: a Sequential chain of Conv2D (valid/same, any strides, dilation 1, channels_last, no groups),
 * MaxPooling2D / AveragePooling2D (valid, or same for max pooling), BatchNormalization over the last axis, Reshape,
 * Flatten (channels_last), Dense on a flat input, Dropout (no noise_shape) and Activation (relu / sigmoid / tanh /
 * linear; softmax only at the end), ending in a Dense output layer; all weights trainable, no regularizers or
 * constraints; the losses the Dense engine fuses, with the same pairings (`eligibility.ts`). Reshape and Flatten
 * are free: a row-major tensor keeps its memory. Everything else returns a reason, and the loop trains the model
 * with the stock engine.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { resolveAccuracy } from '../../../model/losses';
import type { Window } from './conv-kernels';
import { fusedLoss, HIDDEN, outputProblem, type AccuracyKind, type Activation, type LossKind } from './eligibility';

/** A channels-last shape per example; a flat vector is [1, 1, size]. */
export interface Dims {
  h: number;
  w: number;
  c: number;
}

export type ConvOp =
  | ({
      kind: 'conv';
      input: Dims;
      output: Dims;
      activation: Activation;
      kernel: tfjs.LayerVariable;
      bias?: tfjs.LayerVariable;
    } & Window)
  | ({ kind: 'maxpool' | 'avgpool'; input: Dims; output: Dims } & Window)
  | {
      kind: 'batchnorm';
      input: Dims;
      output: Dims;
      momentum: number;
      epsilon: number;
      gamma?: tfjs.LayerVariable;
      beta?: tfjs.LayerVariable;
      movingMean: tfjs.LayerVariable;
      movingVariance: tfjs.LayerVariable;
    }
  | {
      kind: 'dense';
      input: Dims;
      output: Dims;
      activation: Activation;
      kernel: tfjs.LayerVariable;
      bias?: tfjs.LayerVariable;
    }
  | { kind: 'dropout'; input: Dims; output: Dims; rate: number }
  | { kind: 'activation'; input: Dims; output: Dims; activation: Activation };

export interface ConvPlan {
  ops: ConvOp[];
  /** Trainable weights in the model's order (`model.trainableWeights`): the optimizer's parameter order. */
  params: tfjs.LayerVariable[];
  loss: LossKind;
  accuracy?: AccuracyKind;
}

/** Layer types this planner knows: a model holding one of the first four is a CNN for the engine's choice. */
export const CONV_LAYERS: ReadonlySet<string> = new Set([
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'BatchNormalization',
  'Reshape',
  'Flatten',
  'Dense',
  'Dropout',
  'Activation',
  'InputLayer',
]);

const size = (d: Dims) => d.h * d.w * d.c;
const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];

/** Output size and leading padding of one spatial axis, as TensorFlow computes them; undefined when empty. */
function axis(input: number, k: number, s: number, padding: string): { out: number; pad: number } | undefined {
  if (padding === 'same') {
    const out = Math.ceil(input / s);
    return { out, pad: Math.floor(Math.max((out - 1) * s + k - input, 0) / 2) };
  }
  const out = Math.ceil((input - k + 1) / s);
  return out > 0 ? { out, pad: 0 } : undefined;
}

/** The window of a convolution or pooling over `input`, or a reason. */
export function windowOf(
  input: Dims,
  k: [number, number],
  s: [number, number],
  padding: string,
  name: string,
): (Window & { oh: number; ow: number }) | string {
  if (padding !== 'same' && padding !== 'valid') return `layer ${name} has padding ${padding}`;
  if (![...k, ...s].every((v) => Number.isInteger(v) && v >= 1)) return `layer ${name} has an unusual window`;
  const y = axis(input.h, k[0], s[0], padding);
  const x = axis(input.w, k[1], s[1], padding);
  if (!y || !x) return `layer ${name} has an empty output`;
  return { kh: k[0], kw: k[1], sh: s[0], sw: s[1], top: y.pad, left: x.pad, oh: y.out, ow: x.out };
}

const WEIGHT_EXTRAS = [
  'kernelRegularizer',
  'biasRegularizer',
  'activityRegularizer',
  'kernelConstraint',
  'biasConstraint',
  'gammaRegularizer',
  'betaRegularizer',
  'gammaConstraint',
  'betaConstraint',
];

/** The plan for `model`, or a short reason why the fused CNN engine does not apply. */
export function planConvStack(
  model: tfjs.LayersModel,
  loss: string,
  accuracy: boolean,
  fromLogits = false,
): ConvPlan | string {
  const common = fusedLoss(model, loss);
  if (typeof common === 'string') return common;
  const { lossName, lossKind } = common;
  const inputShape = model.inputs[0].shape.slice(1);
  if (inputShape.some((d) => d == null)) return 'the input shape is not fully known';
  if (inputShape.length < 1 || inputShape.length > 3) return `inputs of rank ${inputShape.length + 1} are not fused`;
  const dims = (shape: (number | null)[]): Dims =>
    shape.length === 3
      ? { h: shape[0]!, w: shape[1]!, c: shape[2]! }
      : { h: 1, w: 1, c: shape.reduce<number>((a, b) => a * b!, 1) };
  let current = dims(inputShape as number[]);
  /** Rank of the current tensor without the batch axis: Conv2D and pooling need 3, Dense 1. */
  let rank = inputShape.length;

  const ops: ConvOp[] = [];
  const params: tfjs.LayerVariable[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const config = layer.getConfig();
    const name = layer.name;
    if (!CONV_LAYERS.has(kind)) return `layer type ${kind} is not fused`;
    if (kind === 'InputLayer') continue;
    if (!layer.trainable && layer.weights.length > 0) return `layer ${name} is frozen`;
    for (const key of WEIGHT_EXTRAS) if (config[key] != null) return `layer ${name} has a ${key}`;
    if (config.dataFormat != null && config.dataFormat !== 'channelsLast') return `layer ${name} is channels-first`;
    const outShape = (layer.outputShape as (number | null)[]).slice(1);

    if (kind === 'Reshape' || kind === 'Flatten') {
      // Row-major memory is the same before and after.
      current = dims(outShape);
      rank = outShape.length;
      continue;
    }
    if (kind === 'Dropout') {
      if (config.noiseShape != null) return `layer ${name} has a noise_shape`;
      const rate = Number(config.rate);
      if (!(rate < 1)) return `layer ${name} cannot be fused`;
      if (rate > 0) ops.push({ kind: 'dropout', input: current, output: current, rate });
      continue;
    }
    if (kind === 'Activation') {
      const activation = String(config.activation);
      if (activation === 'linear') continue;
      const last = ops[ops.length - 1];
      if (activation === 'softmax') {
        // Only as the output: folded into the Dense layer before it, as the stock engine reads its logits.
        if (layer !== model.layers[model.layers.length - 1] || last?.kind !== 'dense' || last.activation !== 'linear')
          return 'softmax is only fused on the output layer';
        last.activation = 'softmax';
        continue;
      }
      if (!HIDDEN.has(activation)) return `activation ${activation} is not fused`;
      ops.push({ kind: 'activation', input: current, output: current, activation: activation as Activation });
      continue;
    }
    if (kind === 'BatchNormalization') {
      const ax = Number(config.axis);
      if (ax !== -1 && ax !== rank) return `layer ${name} normalizes an axis other than the last`;
      // tfjs names a weight `<layer>/gamma`, or `<layer>/gamma_1` when a model built earlier in the process took the
      // name (a second model of the same layers: the bench's repeats, a test's models).
      const byName = (suffix: string) => layer.weights.find((w) => new RegExp(`/${suffix}(_\\d+)?$`).test(w.name));
      const [gamma, beta] = [config.scale ? byName('gamma') : undefined, config.center ? byName('beta') : undefined];
      const [movingMean, movingVariance] = [byName('moving_mean'), byName('moving_variance')];
      if (!movingMean || !movingVariance || (config.scale && !gamma) || (config.center && !beta))
        return `layer ${name} has unexpected weights`;
      params.push(...[gamma, beta].filter((w): w is tfjs.LayerVariable => !!w));
      ops.push({
        kind: 'batchnorm',
        input: current,
        output: current,
        momentum: Number(config.momentum),
        epsilon: Number(config.epsilon),
        gamma,
        beta,
        movingMean,
        movingVariance,
      });
      continue;
    }
    if (kind === 'Dense') {
      if (rank !== 1) return `Dense layer ${name} takes an input of rank above 2`;
      const activation = String(config.activation);
      if (activation !== 'softmax' && !HIDDEN.has(activation)) return `activation ${activation} is not fused`;
      const units = Number(config.units);
      const [kernel, bias] = layer.weights;
      if (!kernel || kernel.shape[0] !== size(current) || layer.weights.length !== (config.useBias ? 2 : 1))
        return `layer ${name} has unexpected weights`;
      params.push(...layer.weights);
      const output = { h: 1, w: 1, c: units };
      ops.push({
        kind: 'dense',
        input: current,
        output,
        activation: activation as Activation,
        kernel,
        bias: config.useBias ? bias : undefined,
      });
      current = output;
      continue;
    }
    // Conv2D and pooling: a channels-last image in, one out.
    if (rank !== 3) return `layer ${name} takes an input of rank ${rank + 1}`;
    if (kind === 'Conv2D') {
      if (pair(config.dilationRate ?? 1).some((d) => d !== 1)) return `layer ${name} is dilated`;
      if (config.groups != null && Number(config.groups) !== 1) return `layer ${name} is grouped`;
      const activation = String(config.activation);
      if (!HIDDEN.has(activation)) return `activation ${activation} is not fused`;
      const win = windowOf(current, pair(config.kernelSize), pair(config.strides), String(config.padding), name);
      if (typeof win === 'string') return win;
      const output = { h: win.oh, w: win.ow, c: Number(config.filters) };
      const [kernel, bias] = layer.weights;
      if (
        !kernel ||
        kernel.shape.join() !== [win.kh, win.kw, current.c, output.c].join() ||
        layer.weights.length !== (config.useBias ? 2 : 1)
      )
        return `layer ${name} has unexpected weights`;
      params.push(...layer.weights);
      ops.push({
        kind: 'conv',
        input: current,
        output,
        activation: activation as Activation,
        kernel,
        bias: config.useBias ? bias : undefined,
        ...win,
      });
      current = output;
    } else {
      const padding = String(config.padding);
      // TensorFlow's average pooling leaves padding out of each window's count; only 'valid' is fused for it.
      if (kind === 'AveragePooling2D' && padding !== 'valid') return `layer ${name} averages over padding`;
      const pool = pair(config.poolSize);
      const win = windowOf(current, pool, config.strides == null ? pool : pair(config.strides), padding, name);
      if (typeof win === 'string') return win;
      const output = { h: win.oh, w: win.ow, c: current.c };
      ops.push({ kind: kind === 'MaxPooling2D' ? 'maxpool' : 'avgpool', input: current, output, ...win });
      current = output;
    }
    if (outShape.join() !== [current.h, current.w, current.c].join()) return `layer ${name} has an unexpected shape`;
  }

  const out = ops[ops.length - 1];
  if (!out || out.kind !== 'dense') return 'the output layer is not Dense';
  if (ops.slice(0, -1).some((o) => o.kind === 'dense' && o.activation === 'softmax'))
    return 'softmax is only fused on the output layer';
  const trainable = model.trainableWeights;
  if (trainable.length !== params.length || trainable.some((w, i) => w !== params[i]))
    return 'the trainable weights are not in layer order';
  const problem = outputProblem(lossKind, out.activation, fromLogits);
  if (problem) return problem;
  return { ops, params, loss: lossKind, accuracy: accuracy ? resolveAccuracy(lossName, out.output.c) : undefined };
}
