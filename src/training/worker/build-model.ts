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
import { isGraph, resolveGraph } from '../../model/graph';
import { layerNames } from '../../model/infer';
import { argsWithDefaults, layerDef } from '../../model/layers/registry';
import { edges } from '../../model/layers/reshaping';
import type { LayerArgs, LayerSpec, ModelDefinition } from '../../model/types';
import { ModelError } from '../model-info';
import type { TF } from './engine';

type Layer = tfjs.layers.Layer;
type Initializer = ReturnType<TF['initializers']['glorotUniform']>;
type Builder = (tf: TF, args: LayerArgs, common: CommonConfig) => Layer;

interface CommonConfig {
  name: string;
  trainable: boolean;
  inputShape?: number[];
  /** Keras's glorot_uniform, seeded; `k` picks a different seed for a layer's k-th kernel. */
  glorot(k?: number): Initializer;
  /** Keras's orthogonal (recurrent kernels), seeded. */
  orthogonal(k?: number): Initializer;
  /** Keras's `uniform` (embeddings: ±0.05), seeded. */
  uniform(k?: number): Initializer;
  /** Builds a wrapped layer (Bidirectional, TimeDistributed) from its spec. */
  inner(spec: LayerSpec): Layer;
}

const pair = (v: unknown, dflt: number): [number, number] =>
  typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [Number(v[0]), Number(v[1])] : [dflt, dflt];
const single = (v: unknown): number => (Array.isArray(v) ? Number(v[0]) : Number(v));

// tfjs's activation identifiers are typed as a closed union; the core already validated the Keras name.
const act = (name: unknown) => tfjsActivation(String(name)) as 'linear';
const padding = (a: LayerArgs): 'same' | 'valid' => (a.padding === 'same' ? 'same' : 'valid');

const base = (c: CommonConfig) => ({ name: c.name, trainable: c.trainable, ...(c.inputShape ? { inputShape: c.inputShape } : {}) });

/** Recurrent layers share their arguments; tfjs's recurrent activation default (hard sigmoid) is not Keras's. */
function recurrent(a: LayerArgs, c: CommonConfig) {
  return {
    ...base(c),
    units: Number(a.units),
    activation: act(a.activation),
    useBias: a.use_bias !== false,
    returnSequences: a.return_sequences === true,
    goBackwards: a.go_backwards === true,
    dropout: Number(a.dropout),
    recurrentDropout: Number(a.recurrent_dropout),
    kernelInitializer: c.glorot(),
    recurrentInitializer: c.orthogonal(1),
  };
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
  return { Subtract };
}

/** One entry per layer type the core's registry knows (a unit test keeps the two lists equal). */
export const LAYER_BUILDERS: Readonly<Record<string, Builder>> = {
  Dense: (tf, a, c) => tf.layers.dense({ ...base(c), units: Number(a.units), activation: act(a.activation), useBias: a.use_bias !== false, kernelInitializer: c.glorot() }),
  Flatten: (tf, _a, c) => tf.layers.flatten(base(c)),
  // The stock engine draws training masks itself from the run's seeded generator (see forward.ts): a tfjs
  // Dropout with a fixed seed would drop the same units on every batch.
  Dropout: (tf, a, c) => tf.layers.dropout({ ...base(c), rate: Number(a.rate) }),
  Activation: (tf, a, c) => tf.layers.activation({ ...base(c), activation: act(a.activation) }),
  Reshape: (tf, a, c) => tf.layers.reshape({ ...base(c), targetShape: (a.target_shape as number[]).map(Number) }),
  Conv2D: (tf, a, c) =>
    tf.layers.conv2d({
      ...base(c),
      filters: Number(a.filters),
      kernelSize: pair(a.kernel_size, 1),
      strides: pair(a.strides, 1),
      padding: padding(a),
      activation: act(a.activation),
      useBias: a.use_bias !== false,
      kernelInitializer: c.glorot(),
    }),
  MaxPooling2D: (tf, a, c) => tf.layers.maxPooling2d({ ...base(c), ...pool2d(a) }),
  AveragePooling2D: (tf, a, c) => tf.layers.averagePooling2d({ ...base(c), ...pool2d(a) }),
  GlobalAveragePooling2D: (tf, _a, c) => tf.layers.globalAveragePooling2d(base(c)),
  BatchNormalization: (tf, a, c) =>
    tf.layers.batchNormalization({ ...base(c), axis: Number(a.axis), momentum: Number(a.momentum), epsilon: Number(a.epsilon), center: a.center !== false, scale: a.scale !== false }),
  // A layer list's InputLayer only fixes the shape (buildModel passes it to the next layer); a graph's is tf.input.
  InputLayer: (tf, a, c) => tf.layers.inputLayer({ name: c.name, inputShape: (a.shape as number[] | undefined) ?? c.inputShape, dtype: a.dtype === 'int32' ? 'int32' : 'float32' }),
  Embedding: (tf, a, c) =>
    tf.layers.embedding({
      ...base(c),
      inputDim: Number(a.input_dim),
      outputDim: Number(a.output_dim),
      maskZero: a.mask_zero === true,
      ...(a.input_length !== undefined ? { inputLength: Number(a.input_length) } : {}),
      embeddingsInitializer: c.uniform(),
    }),
  SimpleRNN: (tf, a, c) => tf.layers.simpleRNN(recurrent(a, c)),
  LSTM: (tf, a, c) => tf.layers.lstm({ ...recurrent(a, c), recurrentActivation: act(a.recurrent_activation), unitForgetBias: a.unit_forget_bias !== false }),
  GRU: (tf, a, c) => {
    // tfjs implements only the Keras 1 convention (reset gate before the recurrent matrix, one bias per gate).
    if (a.reset_after !== false) {
      throw new ModelError(`Layer ${c.name}: TensorFlow.js's GRU supports only reset_after=False (one bias per gate, Keras's older convention); set "reset_after": false to train it here.`);
    }
    return tf.layers.gru({ ...recurrent(a, c), recurrentActivation: act(a.recurrent_activation) });
  },
  Bidirectional: (tf, a, c) =>
    tf.layers.bidirectional({ ...base(c), layer: c.inner(a.layer as LayerSpec) as tfjs.RNN, mergeMode: a.merge_mode as 'concat' }),
  TimeDistributed: (tf, a, c) => tf.layers.timeDistributed({ ...base(c), layer: c.inner(a.layer as LayerSpec) }),
  Conv1D: (tf, a, c) =>
    tf.layers.conv1d({
      ...base(c),
      filters: Number(a.filters),
      kernelSize: single(a.kernel_size),
      strides: single(a.strides),
      padding: a.padding === 'causal' ? 'causal' : padding(a),
      activation: act(a.activation),
      useBias: a.use_bias !== false,
      kernelInitializer: c.glorot(),
    }),
  MaxPooling1D: (tf, a, c) => tf.layers.maxPooling1d({ ...base(c), ...pool1d(a) }),
  AveragePooling1D: (tf, a, c) => tf.layers.averagePooling1d({ ...base(c), ...pool1d(a) }),
  GlobalMaxPooling1D: (tf, _a, c) => tf.layers.globalMaxPooling1d(base(c)),
  GlobalAveragePooling1D: (tf, _a, c) => tf.layers.globalAveragePooling1d(base(c)),
  GlobalMaxPooling2D: (tf, _a, c) => tf.layers.globalMaxPooling2d(base(c)),
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
      depthwiseInitializer: c.glorot(),
      pointwiseInitializer: c.glorot(1),
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
      depthwiseInitializer: c.glorot(),
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
      kernelInitializer: c.glorot(),
    }),
  UpSampling2D: (tf, a, c) => tf.layers.upSampling2d({ ...base(c), size: pair(a.size, 2), interpolation: a.interpolation === 'bilinear' ? 'bilinear' : 'nearest' }),
  ZeroPadding2D: (tf, a, c) => tf.layers.zeroPadding2d({ ...base(c), padding: edges(a.padding) }),
  Cropping2D: (tf, a, c) => tf.layers.cropping2D({ ...base(c), cropping: edges(a.cropping) }),
  LayerNormalization: (tf, a, c) => tf.layers.layerNormalization({ ...base(c), axis: Number(a.axis), epsilon: Number(a.epsilon), center: a.center !== false, scale: a.scale !== false }),
  SpatialDropout1D: (tf, a, c) => tf.layers.spatialDropout1d({ ...base(c), rate: Number(a.rate) }),
  // tfjs has no SpatialDropout2D: a Dropout whose mask is shared over height and width is the same layer.
  SpatialDropout2D: (tf, a, c) => tf.layers.dropout({ ...base(c), rate: Number(a.rate), noiseShape: [null, 1, 1, null] as unknown as number[] }),
  GaussianNoise: (tf, a, c) => tf.layers.gaussianNoise({ ...base(c), stddev: Number(a.stddev) }),
  GaussianDropout: (tf, a, c) => tf.layers.gaussianDropout({ ...base(c), rate: Number(a.rate) }),
  RepeatVector: (tf, a, c) => tf.layers.repeatVector({ ...base(c), n: Number(a.n) }),
  Permute: (tf, a, c) => tf.layers.permute({ ...base(c), dims: (a.dims as number[]).map(Number) }),
  ReLU: (tf, a, c) => {
    if (Number(a.negative_slope) !== 0 || Number(a.threshold) !== 0) {
      throw new ModelError(`Layer ${c.name}: TensorFlow.js's ReLU has no negative_slope or threshold; use LeakyReLU, or drop them to train.`);
    }
    return tf.layers.reLU({ ...base(c), ...(a.max_value != null ? { maxValue: Number(a.max_value) } : {}) });
  },
  LeakyReLU: (tf, a, c) => tf.layers.leakyReLU({ ...base(c), alpha: Number(a.alpha) }),
  PReLU: (tf, a, c) => tf.layers.prelu({ ...base(c), ...(a.shared_axes ? { sharedAxes: (a.shared_axes as number[]).map(Number) } : {}), alphaInitializer: 'zeros' }),
  ELU: (tf, a, c) => tf.layers.elu({ ...base(c), alpha: Number(a.alpha) }),
  Softmax: (tf, a, c) => tf.layers.softmax({ ...base(c), axis: Number(a.axis) }),
  Rescaling: (tf, a, c) => tf.layers.rescaling({ ...base(c), scale: Number(a.scale), offset: Number(a.offset) }),
  Add: (tf, _a, c) => tf.layers.add(base(c)),
  Subtract: (tf, _a, c) => new (customLayers(tf).Subtract)(base(c)),
  Multiply: (tf, _a, c) => tf.layers.multiply(base(c)),
  Average: (tf, _a, c) => tf.layers.average(base(c)),
  Maximum: (tf, _a, c) => tf.layers.maximum(base(c)),
  Minimum: (tf, _a, c) => tf.layers.minimum(base(c)),
  Concatenate: (tf, a, c) => tf.layers.concatenate({ ...base(c), axis: Number(a.axis) }),
  Dot: (tf, a, c) => tf.layers.dot({ ...base(c), axes: Array.isArray(a.axes) ? [Number(a.axes[0]), Number(a.axes[1])] : Number(a.axes), normalize: a.normalize === true }),
};

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
  return quietOrthogonal(() => {
    const make = (spec: LayerSpec, index: number, inputShape?: number[], name = opts.names[index] ?? `${spec.type.toLowerCase()}_${index}`): Layer => {
      const builder = LAYER_BUILDERS[spec.type];
      const def = layerDef(spec.type);
      if (!builder || !def) throw new ModelError(`Layer ${index + 1} has type '${spec.type}', which Model Lab cannot train.`);
      const seed = layerSeed(opts.seed, index);
      return builder(tf, argsWithDefaults(def, spec), {
        name,
        trainable: spec.trainable !== false,
        inputShape,
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

function buildGraph(tf: TF, definition: ModelDefinition, opts: BuildOptions, make: (spec: LayerSpec, index: number) => Layer, name?: string): tfjs.LayersModel {
  const { graph, problems } = resolveGraph(definition, opts.names);
  if (!graph) throw new ModelError(problems[0]?.message ?? 'The graph model cannot be built.');
  const specs = definition.layers;
  const tensors = new Map<number, tfjs.SymbolicTensor>();
  for (const i of graph.topological) {
    const spec = specs[i];
    if (spec.type === 'InputLayer') {
      const shape = (spec.shape ?? spec.input_shape ?? opts.inputShape) as number[];
      tensors.set(i, tf.input({ shape, name: opts.names[i], dtype: spec.dtype === 'int32' ? 'int32' : 'float32' }));
      continue;
    }
    const inputs = graph.inbound[i].map((j) => tensors.get(j)!);
    const out = make(spec, i).apply(inputs.length === 1 ? inputs[0] : inputs);
    tensors.set(i, out as tfjs.SymbolicTensor);
  }
  return tf.model({ name, inputs: graph.inputs.map((i) => tensors.get(i)!), outputs: graph.outputs.map((i) => tensors.get(i)!) });
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
