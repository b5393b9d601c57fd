/**
 * Builds the tf.layers Sequential model for a definition: one builder per Keras layer type, translating Keras's
 * snake_case arguments to tfjs's camelCase config. Kernels use seeded glorot_uniform (Keras's default) with a seed
 * derived from the run seed and the layer index, so the same run seed always starts from the same weights.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { tfjsActivation } from '../../model/activations';
import type { LayerSpec, ModelDefinition } from '../../model/types';
import type { TF } from './engine';

type Layer = tfjs.layers.Layer;
type Builder = (tf: TF, args: LayerSpec, common: CommonConfig) => Layer;

interface CommonConfig {
  name: string;
  trainable: boolean;
  inputShape?: number[];
  kernelInitializer: ReturnType<TF['initializers']['glorotUniform']>;
}

const pair = (v: unknown, dflt: number): [number, number] =>
  typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [Number(v[0]), Number(v[1])] : [dflt, dflt];

// tfjs's activation identifiers are typed as a closed union; the core already validated the Keras name.
const activation = (args: LayerSpec) =>
  (typeof args.activation === 'string' ? tfjsActivation(args.activation) : 'linear') as 'linear';

const padding = (args: LayerSpec) => (args.padding === 'same' ? 'same' : 'valid');

const base = (c: CommonConfig) => ({ name: c.name, trainable: c.trainable, ...(c.inputShape ? { inputShape: c.inputShape } : {}) });

/** One entry per layer type the core's registry knows (a unit test keeps the two lists equal). */
export const LAYER_BUILDERS: Readonly<Record<string, Builder>> = {
  Dense: (tf, a, c) =>
    tf.layers.dense({
      ...base(c),
      units: Number(a.units),
      activation: activation(a),
      useBias: a.use_bias !== false,
      kernelInitializer: c.kernelInitializer,
    }),
  Flatten: (tf, _a, c) => tf.layers.flatten(base(c)),
  // The stock engine draws training masks itself from the run's seeded generator (see stock-engine.ts): a tfjs
  // Dropout with a fixed seed would drop the same units on every batch.
  Dropout: (tf, a, c) => tf.layers.dropout({ ...base(c), rate: Number(a.rate) }),
  Activation: (tf, a, c) => tf.layers.activation({ ...base(c), activation: activation(a) }),
  Reshape: (tf, a, c) => tf.layers.reshape({ ...base(c), targetShape: (a.target_shape as number[]).map(Number) }),
  Conv2D: (tf, a, c) =>
    tf.layers.conv2d({
      ...base(c),
      filters: Number(a.filters),
      kernelSize: pair(a.kernel_size, 1),
      strides: pair(a.strides ?? 1, 1),
      padding: padding(a),
      activation: activation(a),
      useBias: a.use_bias !== false,
      kernelInitializer: c.kernelInitializer,
    }),
  MaxPooling2D: (tf, a, c) =>
    tf.layers.maxPooling2d({
      ...base(c),
      poolSize: pair(a.pool_size ?? 2, 2),
      strides: a.strides == null ? pair(a.pool_size ?? 2, 2) : pair(a.strides, 1),
      padding: padding(a),
    }),
  AveragePooling2D: (tf, a, c) =>
    tf.layers.averagePooling2d({
      ...base(c),
      poolSize: pair(a.pool_size ?? 2, 2),
      strides: a.strides == null ? pair(a.pool_size ?? 2, 2) : pair(a.strides, 1),
      padding: padding(a),
    }),
  GlobalAveragePooling2D: (tf, _a, c) => tf.layers.globalAveragePooling2d(base(c)),
  BatchNormalization: (tf, a, c) =>
    tf.layers.batchNormalization({
      ...base(c),
      axis: -1,
      momentum: a.momentum === undefined ? 0.99 : Number(a.momentum),
      epsilon: a.epsilon === undefined ? 0.001 : Number(a.epsilon),
      center: a.center !== false,
      scale: a.scale !== false,
    }),
};

/** The kernel seed of layer `index` for run seed `seed`: distinct per layer, the same for the same run seed. */
export function layerSeed(seed: number, index: number): number {
  return ((Math.trunc(seed) >>> 0) * 31 + (index + 1) * 7919) % 2147483647;
}

export interface BuildOptions {
  /** Layer names as the core resolves them (Keras defaults with counters, or the user's `name`). */
  names: string[];
  /** Shape of one input example, no batch dimension. */
  inputShape: number[];
  seed: number;
}

export function buildModel(tf: TF, definition: ModelDefinition, opts: BuildOptions): tfjs.Sequential {
  const layers = definition.layers.map((spec, index) => {
    const builder = LAYER_BUILDERS[spec.type];
    if (!builder) throw new Error(`Layer ${index + 1} has type '${spec.type}', which Model Lab cannot train.`);
    return builder(tf, spec, {
      name: opts.names[index] ?? `${spec.type.toLowerCase()}_${index}`,
      trainable: spec.trainable !== false,
      inputShape: index === 0 ? opts.inputShape : undefined,
      kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed(opts.seed, index) }),
    });
  });
  return tf.sequential({ name: definition.name ? safeName(definition.name) : undefined, layers });
}

/** tfjs model names may not contain spaces or slashes (they prefix weight names). */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'sequential';
}
