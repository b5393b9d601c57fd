/**
 * Builds the tf.layers model for a definition: one builder per Keras layer type, translating Keras's snake_case
 * arguments to tfjs's camelCase config. Builders receive the arguments with the core's defaults already filled in
 * (`argsWithDefaults`, from the layer table), so no Keras default is written twice.
 *
 * Weights start from Keras's initialisers, seeded from the run seed and the layer index (plus a per-weight offset),
 * so the same run seed always starts from the same weights. A layer list becomes a tf.Sequential; a graph definition
 * becomes a tf.model over symbolic inputs, built in topological order.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { tfjsActivation } from '../../model/activations';
import { registerKerasActivations } from './keras-activations';
import { isGraph, resolveGraph } from '../../model/graph';
import { layerNames } from '../../model/infer';
import { argsWithDefaults, layerDef } from '../../model/layers/registry';
import { edges } from '../../model/layers/reshaping';
import { nestedInputShape } from '../../model/layers/common';
import type { LayerArgs, LayerSpec, ModelDefinition } from '../../model/types';
import { hasVariableDim } from '../../model/variable-dims';
import { ModelError } from '../model-info';
import type { TF } from './engine';
import { attentionLayer } from './attention-layer';

type Layer = tfjs.layers.Layer;
type Initializer = ReturnType<TF['initializers']['glorotUniform']>;
type Builder = (tf: TF, args: LayerArgs, common: CommonConfig) => Layer;

interface CommonConfig {
  name: string;
  trainable: boolean;
  inputShape?: number[];
  /** The seed of this layer's initializers when the definition gives none (see layerSeed). */
  seed: number;
  /** Keras's glorot_uniform, seeded; `k` picks a different seed for a layer's k-th kernel. */
  glorot(k?: number): Initializer;
  /** Keras's orthogonal (recurrent kernels), seeded. */
  orthogonal(k?: number): Initializer;
  /** Keras's `uniform` (embeddings: ±0.05), seeded. */
  uniform(k?: number): Initializer;
  /** Builds a wrapped layer (Bidirectional, TimeDistributed) from its spec. */
  inner(spec: LayerSpec): Layer;
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' ? v : dflt);
const camel = (s: string) => s.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());

/**
 * A Keras initializer of the definition (`'he_normal'`, `{ type: 'RandomNormal', stddev: 0.05 }`) as tfjs's, with
 * Keras's defaults for omitted arguments and the layer's seed when none is given, so runs stay reproducible.
 */
export function initializer(tf: TF, spec: unknown, fallback: Initializer | string, seed: number): Initializer {
  if (spec === undefined || spec === null)
    return typeof fallback === 'string' ? initializer(tf, fallback, fallback, seed) : fallback;
  const o: Record<string, unknown> = typeof spec === 'string' ? { type: spec } : (spec as Record<string, unknown>);
  const written = String(o.type).replace(/_/g, '').toLowerCase();
  // Keras's aliases: 'uniform' is random_uniform, 'normal' random_normal.
  const type = written === 'uniform' ? 'randomuniform' : written === 'normal' ? 'randomnormal' : written;
  const s = typeof o.seed === 'number' ? o.seed : seed;
  const I = tf.initializers;
  switch (type) {
    case 'glorotuniform':
      return I.glorotUniform({ seed: s });
    case 'glorotnormal':
      return I.glorotNormal({ seed: s });
    case 'henormal':
      return I.heNormal({ seed: s });
    case 'heuniform':
      return I.heUniform({ seed: s });
    case 'lecunnormal':
      return I.leCunNormal({ seed: s });
    case 'lecununiform':
      return I.leCunUniform({ seed: s });
    case 'zeros':
      return I.zeros();
    case 'ones':
      return I.ones();
    case 'constant':
      return I.constant({ value: num(o.value, 0) });
    case 'randomnormal':
      return I.randomNormal({ mean: num(o.mean, 0), stddev: num(o.stddev, 0.05), seed: s });
    case 'randomuniform':
      return I.randomUniform({ minval: num(o.minval, -0.05), maxval: num(o.maxval, 0.05), seed: s });
    case 'truncatednormal':
      return I.truncatedNormal({ mean: num(o.mean, 0), stddev: num(o.stddev, 0.05), seed: s });
    case 'orthogonal':
      return I.orthogonal({ gain: num(o.gain, 1), seed: s });
    case 'identity':
      return I.identity({ gain: num(o.gain, 1) });
    case 'variancescaling': {
      const distribution = String(o.distribution ?? 'truncated_normal');
      return I.varianceScaling({
        scale: num(o.scale, 1),
        mode: camel(String(o.mode ?? 'fan_in')) as 'fanIn',
        distribution:
          distribution === 'uniform'
            ? 'uniform'
            : distribution === 'untruncated_normal' || distribution === 'normal'
              ? 'normal'
              : 'truncatedNormal',
        seed: s,
      });
    }
    default:
      throw new Error(`Model Lab cannot train with the initializer '${String(o.type)}'.`);
  }
}

/** `'l2'` → l2(0.01) as Keras; `{ l1, l2 }` → tfjs's l1l2. */
function regularizer(tf: TF, spec: unknown) {
  if (spec === undefined || spec === null) return undefined;
  const o =
    typeof spec === 'string'
      ? { l1: spec.includes('l1') ? 0.01 : 0, l2: spec.includes('l2') ? 0.01 : 0 }
      : (spec as { l1?: number; l2?: number });
  return tf.regularizers.l1l2({ l1: o.l1 ?? 0, l2: o.l2 ?? 0 });
}

/** Keras's constraints with Keras's defaults (MaxNorm(2, axis=0), UnitNorm(axis=0), MinMaxNorm(0, 1, 1, axis=0)). */
function constraint(tf: TF, spec: unknown) {
  if (spec === undefined || spec === null) return undefined;
  const o: Record<string, unknown> = typeof spec === 'string' ? { type: spec } : (spec as Record<string, unknown>);
  const axis = (o.axis ?? 0) as number;
  switch (String(o.type).replace(/_/g, '').toLowerCase()) {
    case 'maxnorm':
      return tf.constraints.maxNorm({ maxValue: num(o.max_value, 2), axis });
    case 'nonneg':
      return tf.constraints.nonNeg();
    case 'unitnorm':
      return tf.constraints.unitNorm({ axis });
    case 'minmaxnorm':
      return tf.constraints.minMaxNorm({
        minValue: num(o.min_value, 0),
        maxValue: num(o.max_value, 1),
        rate: num(o.rate, 1),
        axis,
      });
    default:
      throw new Error(`Model Lab cannot train with the constraint '${String(o.type)}'.`);
  }
}

/** The initializer, regularizer and constraint of each named weight, in tfjs's config names. */
function weightConfig(
  tf: TF,
  a: LayerArgs,
  c: CommonConfig,
  weights: Record<string, string | Initializer>,
  activity = true,
) {
  const out: Record<string, unknown> = {};
  Object.entries(weights).forEach(([w, dflt], i) => {
    const fallback = w === 'kernel' && dflt === 'glorot_uniform' ? c.glorot() : dflt;
    out[`${w}Initializer`] = initializer(tf, a[`${w}_initializer`], fallback, c.seed + i);
    out[`${w}Regularizer`] = regularizer(tf, a[`${w}_regularizer`]);
    out[`${w}Constraint`] = constraint(tf, a[`${w}_constraint`]);
  });
  // tfjs cannot run a layer that has an activity regularizer ("not supported yet"): refused with a sentence.
  if (activity && a.activity_regularizer != null) {
    throw new Error(
      `Model Lab cannot train an activity_regularizer (layer ${c.name}): tfjs does not run them; remove it to train here.`,
    );
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

const dataFormat = (a: LayerArgs) => (a.data_format === 'channels_first' ? 'channelsFirst' : 'channelsLast');

const pair = (v: unknown, dflt: number): [number, number] =>
  typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [Number(v[0]), Number(v[1])] : [dflt, dflt];
const single = (v: unknown): number => (Array.isArray(v) ? Number(v[0]) : Number(v));

// tfjs's activation identifiers are typed as a closed union; the core already validated the Keras name.
const act = (name: unknown) => tfjsActivation(String(name)) as 'linear';
const activation = (args: LayerArgs) => (typeof args.activation === 'string' ? act(args.activation) : 'linear');
const padding = (a: LayerArgs): 'same' | 'valid' => (a.padding === 'same' ? 'same' : 'valid');

const base = (c: CommonConfig) => ({
  name: c.name,
  trainable: c.trainable,
  ...(c.inputShape ? { inputShape: c.inputShape } : {}),
});

/** The stock engine draws dropout masks over the whole input (forward.ts), so a noise_shape is not trained yet. */
function refuseNoiseShape(type: string, a: LayerArgs, c: CommonConfig): void {
  if (Array.isArray(a.noise_shape))
    throw new Error(
      `Model Lab cannot train ${type} with a noise_shape yet (layer ${c.name}); remove it to train here.`,
    );
}

/** Recurrent layers share their arguments; tfjs's recurrent activation default (hard sigmoid) is not Keras's. */
function recurrent(tf: TF, a: LayerArgs, c: CommonConfig) {
  if (a.stateful === true)
    throw new ModelError(
      `Layer ${c.name}: Model Lab cannot train a stateful recurrent layer (it needs a fixed batch size and state carried across batches); remove stateful to train here.`,
    );
  return {
    ...base(c),
    units: Number(a.units),
    activation: act(a.activation),
    useBias: a.use_bias !== false,
    returnSequences: a.return_sequences === true,
    goBackwards: a.go_backwards === true,
    dropout: Number(a.dropout),
    recurrentDropout: Number(a.recurrent_dropout),
    unroll: a.unroll === true,
    // Keras's recurrent_initializer is tfjs's recurrentInitializer; the same for the regularizers and constraints.
    ...weightConfig(tf, a, c, { kernel: c.glorot(), recurrent: c.orthogonal(1), bias: 'zeros' }),
  };
}

/** tfjs's 1-D global poolings take (steps, channels) only: channels_first is refused with a sentence. */
function channelsLast1d(a: LayerArgs, c: CommonConfig): LayerArgs {
  if (a.data_format === 'channels_first')
    throw new Error(
      `Model Lab cannot train a 1-D global pooling with data_format='channels_first' yet (layer ${c.name}): tfjs pools over steps only.`,
    );
  return a;
}

/** tfjs's global poolings always drop the pooled axes: keepdims=True is refused with a sentence. */
function noKeepdims(a: LayerArgs, c: CommonConfig): CommonConfig {
  if (a.keepdims === true)
    throw new Error(`Model Lab cannot train global pooling with keepdims=True yet (layer ${c.name}).`);
  return c;
}

const pool2d = (a: LayerArgs) => ({
  poolSize: pair(a.pool_size, 2),
  strides: a.strides == null ? pair(a.pool_size, 2) : pair(a.strides, 1),
  padding: padding(a),
});
const pool1d = (a: LayerArgs) => ({
  poolSize: single(a.pool_size),
  strides: a.strides == null ? single(a.pool_size) : single(a.strides),
  padding: padding(a),
});

/** Layers tfjs lacks, defined on the backend's own Layer class (so they are created per tfjs instance). */
function customLayers(tf: TF) {
  class Subtract extends tf.layers.Layer {
    static className = 'Subtract';
    override computeOutputShape(shapes: tfjs.Shape[]): tfjs.Shape {
      return shapes[0];
    }
    override call(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor {
      const [a, b] = inputs as tfjs.Tensor[];
      return tf.sub(a, b);
    }
  }
  /**
   * Keras's Resizing: tf.image.resize, half-pixel centres, no antialiasing (tfjs's own Resizing aligns corners
   * instead, which gives other pixels than Keras).
   */
  class Resize extends tf.layers.Layer {
    static className = 'ModelLabResizing';
    constructor(
      config: ReturnType<typeof base>,
      readonly size: [number, number],
      readonly nearest: boolean,
    ) {
      super(config);
    }
    override computeOutputShape(shape: tfjs.Shape): tfjs.Shape {
      return [shape[0], ...this.size, shape[3]];
    }
    override call(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfjs.Tensor4D;
      return this.nearest
        ? tf.image.resizeNearestNeighbor(x, this.size, false, true)
        : tf.image.resizeBilinear(x, this.size, false, true);
    }
  }
  /** Keras's CenterCrop of an image at least as large as the crop: rows and columns from (size − crop) // 2. */
  class CenterCrop extends tf.layers.Layer {
    static className = 'ModelLabCenterCrop';
    constructor(
      config: ReturnType<typeof base>,
      readonly size: [number, number],
    ) {
      super(config);
    }
    override computeOutputShape(shape: tfjs.Shape): tfjs.Shape {
      const [h, w] = [shape[1], shape[2]];
      if ((h !== null && h < this.size[0]) || (w !== null && w < this.size[1]))
        throw new ModelError(
          `Layer ${this.name}: Model Lab crops images at least ${this.size[0]}×${this.size[1]}; Keras resizes the smaller ${h}×${w} ones instead, which Model Lab does not train yet.`,
        );
      return [shape[0], ...this.size, shape[3]];
    }
    override call(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfjs.Tensor4D;
      const top = Math.floor((x.shape[1] - this.size[0]) / 2);
      const left = Math.floor((x.shape[2] - this.size[1]) / 2);
      return tf.slice(x, [0, top, left, 0], [-1, this.size[0], this.size[1], -1]);
    }
  }
  /**
   * Keras's Normalization given its mean and variance (constants, no weights): (x − mean) / max(√variance, ε), or
   * with `invert` x · max(√variance, ε) + mean, ε = 1e-7, the values shaped along the kept axes.
   */
  class Normalize extends tf.layers.Layer {
    static className = 'ModelLabNormalization';
    constructor(
      config: ReturnType<typeof base>,
      readonly axes: number[],
      readonly stats: { mean: number[]; variance: number[] },
      readonly invert: boolean,
    ) {
      super(config);
    }
    override call(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.tidy(() => {
        const keep = this.axes.map((a) => (a < 0 ? x.rank + a : a));
        const shape = x.shape.map((d, i) => (keep.includes(i) ? d : 1));
        const size = shape.reduce((a, b) => a * b, 1);
        const at = (v: number[]) => tf.tensor(v.length === 1 ? new Array<number>(size).fill(v[0]) : v, shape);
        const scale = tf.maximum(tf.sqrt(at(this.stats.variance)), 1e-7);
        return this.invert
          ? tf.add(tf.mul(x, scale), at(this.stats.mean))
          : tf.div(tf.sub(x, at(this.stats.mean)), scale);
      });
    }
  }
  return { Subtract, Resize, CenterCrop, Normalize };
}

/** The builder of a layer Model Lab shows but does not train: refuses with the core's sentence (`notTrained`). */
const notTrained =
  (type: string): Builder =>
  (_tf, a, c) => {
    throw new ModelError(
      `Layer ${c.name}: Model Lab does not train ${type}: ${layerDef(type)?.notTrained?.(a) ?? 'not yet'}.`,
    );
  };

/** What `notTrained` sometimes refuses, built when it does not. */
const unlessNotTrained =
  (type: string, build: Builder): Builder =>
  (tf, a, c) =>
    layerDef(type)?.notTrained?.(a) ? notTrained(type)(tf, a, c) : build(tf, a, c);

/** What of tfjs's BatchNormalization the training step below reads (its fields, private in the typings). */
interface BatchNormalizationState {
  gamma?: tfjs.LayerVariable;
  beta?: tfjs.LayerVariable;
  movingMean: tfjs.LayerVariable;
  movingVariance: tfjs.LayerVariable;
  momentum: number;
  epsilon: number;
}

/**
 * tfjs's BatchNormalization without gamma or beta (Keras's `scale=False` / `center=False`): tfjs's training step
 * reads both unconditionally (`normalizeBatchInTraining(input, this.gamma.read(), this.beta.read(), …)` in
 * tfjs-layers' normalization.ts) and throws on the first batch. In training this subclass does what that step does
 * (batch mean and biased variance over every axis but the last, then the moving averages moved by 1 − momentum),
 * leaving out the weight the layer does not have; inference, weights and config are tfjs's own.
 */
function partialBatchNormalization(tf: TF) {
  const Stock = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as new (
    config: Parameters<TF['layers']['batchNormalization']>[0],
  ) => tfjs.layers.Layer;
  return class PartialBatchNormalization extends Stock {
    override call(inputs: tfjs.Tensor | tfjs.Tensor[], kwargs: Record<string, unknown>): tfjs.Tensor | tfjs.Tensor[] {
      if (kwargs.training !== true) return super.call(inputs, kwargs);
      const layer = this as unknown as BatchNormalizationState;
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const { mean, variance } = tf.moments(
          x,
          Array.from({ length: x.rank - 1 }, (_, i) => i),
        );
        // Constant 0 and 1 for the absent weight: tfjs's batchNorm gradient saves the scale and cannot save undefined.
        const beta = layer.beta?.read() ?? tf.zerosLike(mean);
        const gamma = layer.gamma?.read() ?? tf.onesLike(mean);
        const y = tf.batchNorm(x, mean, variance, beta, gamma, layer.epsilon);
        for (const [moving, batch] of [
          [layer.movingMean, mean],
          [layer.movingVariance, variance],
        ] as const) {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - layer.momentum)));
        }
        return y;
      });
    }
  };
}

/** One entry per layer type the core's registry knows (a unit test keeps the two lists equal). */
export const LAYER_BUILDERS: Readonly<Record<string, Builder>> = {
  Dense: (tf, a, c) =>
    tf.layers.dense({
      ...base(c),
      units: Number(a.units),
      activation: activation(a),
      useBias: a.use_bias !== false,
      ...weightConfig(tf, a, c, { kernel: 'glorot_uniform', bias: 'zeros' }),
    }),
  Flatten: (tf, a, c) => tf.layers.flatten({ ...base(c), dataFormat: dataFormat(a) }),
  // The stock engine draws training masks itself from the run's seeded generator (see stock-engine.ts): a tfjs
  // Dropout with a fixed seed would drop the same units on every batch.
  Dropout: (tf, a, c) => {
    refuseNoiseShape('Dropout', a, c);
    return tf.layers.dropout({ ...base(c), rate: Number(a.rate) });
  },
  Activation: (tf, a, c) => tf.layers.activation({ ...base(c), activation: activation(a) }),
  Reshape: (tf, a, c) => tf.layers.reshape({ ...base(c), targetShape: (a.target_shape as number[]).map(Number) }),
  Conv2D: (tf, a, c) => {
    if (Number(a.groups ?? 1) !== 1)
      throw new Error(
        `Model Lab cannot train a grouped Conv2D (groups=${String(a.groups)}, layer ${c.name}): tfjs has no grouped convolution.`,
      );
    if (pair(a.dilation_rate ?? 1, 1).some((d) => d !== 1)) {
      throw new Error(
        `Model Lab cannot train a dilated Conv2D (dilation_rate=${JSON.stringify(a.dilation_rate)}, layer ${c.name}): tfjs has no gradient for dilated convolutions.`,
      );
    }
    return tf.layers.conv2d({
      ...base(c),
      filters: Number(a.filters),
      kernelSize: pair(a.kernel_size, 1),
      strides: pair(a.strides, 1),
      padding: padding(a),
      dataFormat: dataFormat(a),
      activation: activation(a),
      useBias: a.use_bias !== false,
      ...weightConfig(tf, a, c, { kernel: 'glorot_uniform', bias: 'zeros' }),
    });
  },
  MaxPooling2D: (tf, a, c) => tf.layers.maxPooling2d({ ...base(c), ...pool2d(a), dataFormat: dataFormat(a) }),
  AveragePooling2D: (tf, a, c) => tf.layers.averagePooling2d({ ...base(c), ...pool2d(a), dataFormat: dataFormat(a) }),
  GlobalAveragePooling2D: (tf, a, c) => {
    if (a.keepdims === true)
      throw new Error(`Model Lab cannot train GlobalAveragePooling2D with keepdims=True yet (layer ${c.name}).`);
    return tf.layers.globalAveragePooling2d({ ...base(c), dataFormat: dataFormat(a) });
  },
  BatchNormalization: (tf, a, c) => {
    const config = {
      ...base(c),
      axis: -1,
      momentum: a.momentum === undefined ? 0.99 : Number(a.momentum),
      epsilon: a.epsilon === undefined ? 0.001 : Number(a.epsilon),
      center: a.center !== false,
      scale: a.scale !== false,
      ...weightConfig(tf, a, c, { beta: 'zeros', gamma: 'ones' }, false),
      movingMeanInitializer: initializer(tf, a.moving_mean_initializer, 'zeros', c.seed),
      movingVarianceInitializer: initializer(tf, a.moving_variance_initializer, 'ones', c.seed),
    };
    return config.center && config.scale
      ? tf.layers.batchNormalization(config)
      : new (partialBatchNormalization(tf))(config);
  },
  // A layer list's InputLayer only fixes the shape (buildModel passes it to the next layer); a graph's is tf.input.
  InputLayer: (tf, a, c) =>
    tf.layers.inputLayer({
      name: c.name,
      inputShape: (a.shape as number[] | undefined) ?? c.inputShape,
      dtype: a.dtype === 'int32' ? 'int32' : 'float32',
    }),
  Embedding: (tf, a, c) =>
    tf.layers.embedding({
      ...base(c),
      inputDim: Number(a.input_dim),
      outputDim: Number(a.output_dim),
      maskZero: a.mask_zero === true,
      ...(a.input_length !== undefined ? { inputLength: Number(a.input_length) } : {}),
      ...weightConfig(tf, a, c, { embeddings: c.uniform() }),
    }),
  SimpleRNN: (tf, a, c) => tf.layers.simpleRNN(recurrent(tf, a, c)),
  LSTM: (tf, a, c) =>
    tf.layers.lstm({
      ...recurrent(tf, a, c),
      recurrentActivation: act(a.recurrent_activation),
      unitForgetBias: a.unit_forget_bias !== false,
    }),
  GRU: (tf, a, c) => {
    // tfjs implements only the Keras 1 convention (reset gate before the recurrent matrix, one bias per gate).
    if (a.reset_after !== false) {
      throw new ModelError(
        `Layer ${c.name}: TensorFlow.js's GRU supports only reset_after=False (one bias per gate, Keras's older convention); set "reset_after": false to train it here.`,
      );
    }
    return tf.layers.gru({ ...recurrent(tf, a, c), recurrentActivation: act(a.recurrent_activation) });
  },
  Bidirectional: (tf, a, c) =>
    tf.layers.bidirectional({
      ...base(c),
      layer: c.inner(a.layer as LayerSpec) as tfjs.RNN,
      mergeMode: a.merge_mode as 'concat',
    }),
  TimeDistributed: (tf, a, c) => tf.layers.timeDistributed({ ...base(c), layer: c.inner(a.layer as LayerSpec) }),
  Conv1D: (tf, a, c) => {
    if (Number(a.groups ?? 1) !== 1)
      throw new Error(
        `Model Lab cannot train a grouped Conv1D (groups=${String(a.groups)}, layer ${c.name}): tfjs has no grouped convolution.`,
      );
    return tf.layers.conv1d({
      ...base(c),
      filters: Number(a.filters),
      kernelSize: single(a.kernel_size),
      strides: single(a.strides),
      dilationRate: single(a.dilation_rate ?? 1),
      padding: a.padding === 'causal' ? 'causal' : padding(a),
      activation: act(a.activation),
      useBias: a.use_bias !== false,
      ...weightConfig(tf, a, c, { kernel: 'glorot_uniform', bias: 'zeros' }),
    });
  },
  MaxPooling1D: (tf, a, c) => tf.layers.maxPooling1d({ ...base(c), ...pool1d(a) }),
  AveragePooling1D: (tf, a, c) => tf.layers.averagePooling1d({ ...base(c), ...pool1d(a) }),
  GlobalMaxPooling1D: (tf, a, c) => tf.layers.globalMaxPooling1d(base(noKeepdims(channelsLast1d(a, c), c))),
  GlobalAveragePooling1D: (tf, a, c) => tf.layers.globalAveragePooling1d(base(noKeepdims(channelsLast1d(a, c), c))),
  GlobalMaxPooling2D: (tf, a, c) =>
    tf.layers.globalMaxPooling2d({ ...base(noKeepdims(a, c)), dataFormat: dataFormat(a) }),
  SeparableConv2D: (tf, a, c) =>
    tf.layers.separableConv2d({
      ...base(c),
      filters: Number(a.filters),
      kernelSize: pair(a.kernel_size, 1),
      strides: pair(a.strides, 1),
      padding: padding(a),
      depthMultiplier: Number(a.depth_multiplier),
      activation: act(a.activation),
      useBias: a.use_bias !== false,
      ...weightConfig(tf, a, c, { depthwise: c.glorot(), pointwise: c.glorot(1), bias: 'zeros' }),
    }),
  DepthwiseConv2D: (tf, a, c) =>
    tf.layers.depthwiseConv2d({
      ...base(c),
      kernelSize: pair(a.kernel_size, 1),
      strides: pair(a.strides, 1),
      padding: padding(a),
      depthMultiplier: Number(a.depth_multiplier),
      activation: act(a.activation),
      useBias: a.use_bias !== false,
      ...weightConfig(tf, a, c, { depthwise: c.glorot(), bias: 'zeros' }),
    }),
  Conv2DTranspose: (tf, a, c) =>
    tf.layers.conv2dTranspose({
      ...base(c),
      filters: Number(a.filters),
      kernelSize: pair(a.kernel_size, 1),
      strides: pair(a.strides, 1),
      padding: padding(a),
      activation: act(a.activation),
      useBias: a.use_bias !== false,
      ...weightConfig(tf, a, c, { kernel: 'glorot_uniform', bias: 'zeros' }),
    }),
  UpSampling2D: (tf, a, c) =>
    tf.layers.upSampling2d({
      ...base(c),
      size: pair(a.size, 2),
      interpolation: a.interpolation === 'bilinear' ? 'bilinear' : 'nearest',
    }),
  ZeroPadding2D: (tf, a, c) => tf.layers.zeroPadding2d({ ...base(c), padding: edges(a.padding) }),
  Cropping2D: (tf, a, c) => tf.layers.cropping2D({ ...base(c), cropping: edges(a.cropping) }),
  LayerNormalization: (tf, a, c) => {
    if (a.beta_constraint != null || a.gamma_constraint != null)
      throw new Error(
        `Model Lab cannot train LayerNormalization with a constraint (layer ${c.name}): tfjs's LayerNormalization has none; remove it to train here.`,
      );
    return tf.layers.layerNormalization({
      ...base(c),
      axis: Number(a.axis),
      epsilon: Number(a.epsilon),
      center: a.center !== false,
      scale: a.scale !== false,
      ...weightConfig(tf, a, c, { beta: 'zeros', gamma: 'ones' }, false),
    });
  },
  SpatialDropout1D: (tf, a, c) => tf.layers.spatialDropout1d({ ...base(c), rate: Number(a.rate) }),
  // tfjs has no SpatialDropout2D: a Dropout whose mask is shared over height and width is the same layer.
  SpatialDropout2D: (tf, a, c) =>
    tf.layers.dropout({ ...base(c), rate: Number(a.rate), noiseShape: [null, 1, 1, null] as unknown as number[] }),
  GaussianNoise: (tf, a, c) => tf.layers.gaussianNoise({ ...base(c), stddev: Number(a.stddev) }),
  GaussianDropout: (tf, a, c) => tf.layers.gaussianDropout({ ...base(c), rate: Number(a.rate) }),
  // Its training-time noise is drawn in forward.ts (`noisy`), as Keras computes it; tfjs's own flips the sign of the
  // dropped values' term. Outside training the layer is the identity.
  AlphaDropout: (tf, a, c) => {
    refuseNoiseShape('AlphaDropout', a, c);
    return tf.layers.alphaDropout({ ...base(c), rate: Number(a.rate) });
  },
  RepeatVector: (tf, a, c) => tf.layers.repeatVector({ ...base(c), n: Number(a.n) }),
  Permute: (tf, a, c) => tf.layers.permute({ ...base(c), dims: (a.dims as number[]).map(Number) }),
  ReLU: (tf, a, c) => {
    if (Number(a.negative_slope) !== 0 || Number(a.threshold) !== 0) {
      throw new ModelError(
        `Layer ${c.name}: TensorFlow.js's ReLU has no negative_slope or threshold; use LeakyReLU, or drop them to train.`,
      );
    }
    return tf.layers.reLU({ ...base(c), ...(a.max_value != null ? { maxValue: Number(a.max_value) } : {}) });
  },
  LeakyReLU: (tf, a, c) => tf.layers.leakyReLU({ ...base(c), alpha: Number(a.alpha) }),
  PReLU: (tf, a, c) =>
    tf.layers.prelu({
      ...base(c),
      ...(a.shared_axes ? { sharedAxes: (a.shared_axes as number[]).map(Number) } : {}),
      ...weightConfig(tf, a, c, { alpha: 'zeros' }, false),
    }),
  ELU: (tf, a, c) => tf.layers.elu({ ...base(c), alpha: Number(a.alpha) }),
  Softmax: (tf, a, c) => tf.layers.softmax({ ...base(c), axis: Number(a.axis) }),
  Rescaling: (tf, a, c) => tf.layers.rescaling({ ...base(c), scale: Number(a.scale), offset: Number(a.offset) }),
  Resizing: unlessNotTrained(
    'Resizing',
    (tf, a, c) =>
      new (customLayers(tf).Resize)(base(c), [Number(a.height), Number(a.width)], a.interpolation === 'nearest'),
  ),
  CenterCrop: (tf, a, c) => new (customLayers(tf).CenterCrop)(base(c), [Number(a.height), Number(a.width)]),
  Normalization: unlessNotTrained('Normalization', (tf, a, c) => {
    const axes = a.axis == null ? [] : Array.isArray(a.axis) ? a.axis.map(Number) : [Number(a.axis)];
    const values = (v: unknown) => (Array.isArray(v) ? v.map(Number) : [Number(v)]);
    const stats = { mean: values(a.mean), variance: values(a.variance) };
    return new (customLayers(tf).Normalize)(base(c), axes, stats, a.invert === true);
  }),
  RandomFlip: notTrained('RandomFlip'),
  MultiHeadAttention: unlessNotTrained('MultiHeadAttention', (tf, a, c) => {
    const weights = weightConfig(tf, a, c, { kernel: 'glorot_uniform', bias: 'zeros' });
    const valueDim = Number(a.value_dim ?? a.key_dim);
    return attentionLayer(tf, base(c), {
      numHeads: Number(a.num_heads),
      keyDim: Number(a.key_dim),
      valueDim,
      dropout: Number(a.dropout ?? 0),
      useBias: a.use_bias !== false,
      outputDim: typeof a.output_shape === 'number' ? a.output_shape : undefined,
      useCausalMask: a.use_causal_mask === true,
      weights,
      // Four kernels: each its own seed, as Keras draws each sublayer's kernel afresh.
      kernelInitializers: [0, 1, 2, 3].map((k) =>
        initializer(tf, a.kernel_initializer, c.glorot(k), c.seed + 10 * (k + 1)),
      ),
    });
  }),
  RandomRotation: notTrained('RandomRotation'),
  RandomZoom: notTrained('RandomZoom'),
  RandomTranslation: notTrained('RandomTranslation'),
  RandomContrast: notTrained('RandomContrast'),
  RandomCrop: notTrained('RandomCrop'),
  TextVectorization: notTrained('TextVectorization'),
  StringLookup: notTrained('StringLookup'),
  IntegerLookup: notTrained('IntegerLookup'),
  Add: (tf, _a, c) => tf.layers.add(base(c)),
  Subtract: (tf, _a, c) => new (customLayers(tf).Subtract)(base(c)),
  Multiply: (tf, _a, c) => tf.layers.multiply(base(c)),
  Average: (tf, _a, c) => tf.layers.average(base(c)),
  Maximum: (tf, _a, c) => tf.layers.maximum(base(c)),
  Minimum: (tf, _a, c) => tf.layers.minimum(base(c)),
  Concatenate: (tf, a, c) => tf.layers.concatenate({ ...base(c), axis: Number(a.axis) }),
  Dot: (tf, a, c) =>
    tf.layers.dot({
      ...base(c),
      axes: Array.isArray(a.axes) ? [Number(a.axes[0]), Number(a.axes[1])] : Number(a.axes),
      normalize: a.normalize === true,
    }),
  Sequential: (tf, a, c) => nestedModel(tf, a, c),
  Functional: (tf, a, c) => nestedModel(tf, a, c),
};

/**
 * A whole model used as a layer: the inner definition built as its own tfjs model (a tfjs model is a layer), with
 * the row's name and trainability. A Sequential model needs its input shape where tfjs builds it: its own, or the
 * outer model's when it is the first layer.
 */
function nestedModel(tf: TF, a: LayerArgs, c: CommonConfig): Layer {
  const layers = a.layers as LayerSpec[];
  const declared = nestedInputShape(a);
  const inputShape = Array.isArray(declared) ? (declared as number[]) : c.inputShape;
  if (!inputShape)
    throw new ModelError(
      `Model Lab cannot train the model ${c.name} used as a layer here: give its first layer an input shape (tfjs builds a model inside a model only with one).`,
    );
  // tfjs wants layer names unique across a model and the models inside it (Keras does not): the inner layers get
  // the inner model's name in front (in their references too), which no summary shows.
  const own = layerNames(layers);
  const prefixed = new Map(own.map((n) => [n, `${c.name}_${n}`]));
  const rename = (v: unknown): unknown =>
    typeof v === 'string' ? (prefixed.get(v) ?? v) : Array.isArray(v) ? v.map(rename) : v;
  const inner: ModelDefinition = {
    name: c.name,
    layers: layers.map((l, i) => ({
      ...l,
      name: prefixed.get(own[i]),
      ...('inputs' in l ? { inputs: rename(l.inputs) } : {}),
    })),
    ...(a.type === 'Functional' && a.outputs !== undefined ? { outputs: rename(a.outputs) as string | string[] } : {}),
  };
  const model = buildModel(tf, inner, { names: inner.layers.map((l) => l.name!), inputShape, seed: c.seed });
  // tfjs folds a first-layer model's layers into the outer model: each layer carries the model's trainability.
  if (!c.trainable) for (const layer of model.layers) layer.trainable = false;
  model.trainable = c.trainable;
  return model as unknown as Layer;
}

/** The kernel seed of layer `index` for run seed `seed`: distinct per layer, the same for the same run seed. */
export function layerSeed(seed: number, index: number): number {
  return ((Math.trunc(seed) >>> 0) * 31 + (index + 1) * 7919) % 2147483647;
}

export interface BuildOptions {
  /** Layer names as the core resolves them (Keras defaults with counters, or the user's `name`). */
  names: string[];
  /** Shape of one input example, no batch dimension (the dataset's, when no layer fixes it). */
  inputShape: number[];
  seed: number;
}

export function buildModel(tf: TF, definition: ModelDefinition, opts: BuildOptions): tfjs.LayersModel {
  registerKerasActivations(tf);
  return quietOrthogonal(() => {
    const make = (
      spec: LayerSpec,
      index: number,
      inputShape?: number[],
      name = opts.names[index] ?? `${spec.type.toLowerCase()}_${index}`,
    ): Layer => {
      const builder = LAYER_BUILDERS[spec.type];
      const def = layerDef(spec.type);
      if (!builder || !def)
        throw new ModelError(`Layer ${index + 1} has type '${spec.type}', which Model Lab cannot train.`);
      const seed = layerSeed(opts.seed, index);
      return builder(tf, argsWithDefaults(def, spec), {
        name,
        trainable: spec.trainable !== false,
        inputShape,
        seed,
        glorot: (k = 0) => tf.initializers.glorotUniform({ seed: seed + k }),
        orthogonal: (k = 0) => tf.initializers.orthogonal({ seed: seed + k, gain: 1 }),
        uniform: (k = 0) => tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seed + k }),
        // The wrapped layer's own name does not show in Keras's summary; tfjs prefixes it with the wrapper's.
        inner: (innerSpec) => make(innerSpec, index, undefined, layerNames([innerSpec])[0]),
      });
    };
    const name = definition.name ? safeName(definition.name) : undefined;
    if (!isGraph(definition)) {
      // A layer list: an InputLayer first only fixes the shape.
      const specs = definition.layers;
      const skip = specs[0]?.type === 'InputLayer' ? 1 : 0;
      const layers = specs.slice(skip).map((spec, k) => make(spec, k + skip, k === 0 ? opts.inputShape : undefined));
      return tf.sequential({ name, layers });
    }
    return buildGraph(tf, definition, opts, make, name);
  });
}

function buildGraph(
  tf: TF,
  definition: ModelDefinition,
  opts: BuildOptions,
  make: (spec: LayerSpec, index: number) => Layer,
  name?: string,
): tfjs.LayersModel {
  const { graph, problems } = resolveGraph(definition, opts.names);
  if (!graph) throw new ModelError(problems[0]?.message ?? 'The graph model cannot be built.');
  const specs = definition.layers;
  const tensors = new Map<number, tfjs.SymbolicTensor>();
  for (const i of graph.topological) {
    const spec = specs[i];
    if (spec.type === 'InputLayer') {
      // A None dimension (`keras.Input(shape=(None, 28))`) is built with the size the data gave it.
      const declared = (spec.shape ?? spec.input_shape) as (number | null)[] | undefined;
      const shape = declared && !hasVariableDim(declared) ? (declared as number[]) : opts.inputShape;
      tensors.set(i, tf.input({ shape, name: opts.names[i], dtype: spec.dtype === 'int32' ? 'int32' : 'float32' }));
      continue;
    }
    const inputs = graph.inbound[i].map((j) => tensors.get(j)!);
    const out = make(spec, i).apply(inputs.length === 1 ? inputs[0] : inputs);
    tensors.set(i, out as tfjs.SymbolicTensor);
  }
  return tf.model({
    name,
    inputs: graph.inputs.map((i) => tensors.get(i)!),
    outputs: graph.outputs.map((i) => tensors.get(i)!),
  });
}

/**
 * tfjs's orthogonal initialiser (Keras's default for recurrent kernels) warns on stdout for any matrix over 2,000
 * values — every LSTM past 22 units — and the worker's stdout is the user's terminal. Only that warning is dropped.
 */
function quietOrthogonal<T>(build: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Orthogonal initializer')) return;
    warn(...args);
  };
  try {
    return build();
  } finally {
    console.warn = warn;
  }
}

/** tfjs model names may not contain spaces or slashes (they prefix weight names). */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'sequential';
}
