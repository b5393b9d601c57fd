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

type Initializer = ReturnType<TF['initializers']['glorotUniform']>;

interface CommonConfig {
  name: string;
  trainable: boolean;
  inputShape?: number[];
  /** The seed of this layer's initializers when the definition gives none (see layerSeed). */
  seed: number;
  kernelInitializer: Initializer;
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' ? v : dflt);
const camel = (s: string) => s.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());

/**
 * A Keras initializer of the definition (`'he_normal'`, `{ type: 'RandomNormal', stddev: 0.05 }`) as tfjs's, with
 * Keras's defaults for omitted arguments and the layer's seed when none is given, so runs stay reproducible.
 */
export function initializer(tf: TF, spec: unknown, fallback: Initializer | string, seed: number): Initializer {
  if (spec === undefined || spec === null) return typeof fallback === 'string' ? initializer(tf, fallback, fallback, seed) : fallback;
  const o: Record<string, unknown> = typeof spec === 'string' ? { type: spec } : (spec as Record<string, unknown>);
  const type = String(o.type).replace(/_/g, '').toLowerCase();
  const s = typeof o.seed === 'number' ? o.seed : seed;
  const I = tf.initializers;
  switch (type) {
    case 'glorotuniform': return I.glorotUniform({ seed: s });
    case 'glorotnormal': return I.glorotNormal({ seed: s });
    case 'henormal': return I.heNormal({ seed: s });
    case 'heuniform': return I.heUniform({ seed: s });
    case 'lecunnormal': return I.leCunNormal({ seed: s });
    case 'lecununiform': return I.leCunUniform({ seed: s });
    case 'zeros': return I.zeros();
    case 'ones': return I.ones();
    case 'constant': return I.constant({ value: num(o.value, 0) });
    case 'randomnormal': return I.randomNormal({ mean: num(o.mean, 0), stddev: num(o.stddev, 0.05), seed: s });
    case 'randomuniform': return I.randomUniform({ minval: num(o.minval, -0.05), maxval: num(o.maxval, 0.05), seed: s });
    case 'truncatednormal': return I.truncatedNormal({ mean: num(o.mean, 0), stddev: num(o.stddev, 0.05), seed: s });
    case 'orthogonal': return I.orthogonal({ gain: num(o.gain, 1), seed: s });
    case 'identity': return I.identity({ gain: num(o.gain, 1) });
    case 'variancescaling': {
      const distribution = String(o.distribution ?? 'truncated_normal');
      return I.varianceScaling({
        scale: num(o.scale, 1),
        mode: camel(String(o.mode ?? 'fan_in')) as 'fanIn',
        distribution: (distribution === 'uniform' ? 'uniform' : distribution === 'untruncated_normal' || distribution === 'normal' ? 'normal' : 'truncatedNormal'),
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
  const o = typeof spec === 'string' ? { l1: spec.includes('l1') ? 0.01 : 0, l2: spec.includes('l2') ? 0.01 : 0 } : (spec as { l1?: number; l2?: number });
  return tf.regularizers.l1l2({ l1: o.l1 ?? 0, l2: o.l2 ?? 0 });
}

/** Keras's constraints with Keras's defaults (MaxNorm(2, axis=0), UnitNorm(axis=0), MinMaxNorm(0, 1, 1, axis=0)). */
function constraint(tf: TF, spec: unknown) {
  if (spec === undefined || spec === null) return undefined;
  const o: Record<string, unknown> = typeof spec === 'string' ? { type: spec } : (spec as Record<string, unknown>);
  const axis = (o.axis ?? 0) as number;
  switch (String(o.type).replace(/_/g, '').toLowerCase()) {
    case 'maxnorm': return tf.constraints.maxNorm({ maxValue: num(o.max_value, 2), axis });
    case 'nonneg': return tf.constraints.nonNeg();
    case 'unitnorm': return tf.constraints.unitNorm({ axis });
    case 'minmaxnorm': return tf.constraints.minMaxNorm({ minValue: num(o.min_value, 0), maxValue: num(o.max_value, 1), rate: num(o.rate, 1), axis });
    default: throw new Error(`Model Lab cannot train with the constraint '${String(o.type)}'.`);
  }
}

/** The initializer, regularizer and constraint of each named weight, in tfjs's config names. */
function weightConfig(tf: TF, a: LayerSpec, c: CommonConfig, weights: Record<string, string>, activity = true) {
  const out: Record<string, unknown> = {};
  Object.entries(weights).forEach(([w, dflt], i) => {
    const fallback = w === 'kernel' ? c.kernelInitializer : dflt;
    out[`${w}Initializer`] = initializer(tf, a[`${w}_initializer`], fallback, c.seed + i);
    out[`${w}Regularizer`] = regularizer(tf, a[`${w}_regularizer`]);
    out[`${w}Constraint`] = constraint(tf, a[`${w}_constraint`]);
  });
  // tfjs cannot run a layer that has an activity regularizer ("not supported yet"): refused with a sentence.
  if (activity && a.activity_regularizer != null) {
    throw new Error(`Model Lab cannot train an activity_regularizer (layer ${c.name}): tfjs does not run them; remove it to train here.`);
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

const dataFormat = (a: LayerSpec) => (a.data_format === 'channels_first' ? 'channelsFirst' : 'channelsLast');

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
      ...weightConfig(tf, a, c, { kernel: 'glorot_uniform', bias: 'zeros' }),
    }),
  Flatten: (tf, a, c) => tf.layers.flatten({ ...base(c), dataFormat: dataFormat(a) }),
  // The stock engine draws training masks itself from the run's seeded generator (see stock-engine.ts): a tfjs
  // Dropout with a fixed seed would drop the same units on every batch.
  Dropout: (tf, a, c) => {
    if (Array.isArray(a.noise_shape)) throw new Error(`Model Lab cannot train Dropout with a noise_shape yet (layer ${c.name}); remove it to train here.`);
    return tf.layers.dropout({ ...base(c), rate: Number(a.rate) });
  },
  Activation: (tf, a, c) => tf.layers.activation({ ...base(c), activation: activation(a) }),
  Reshape: (tf, a, c) => tf.layers.reshape({ ...base(c), targetShape: (a.target_shape as number[]).map(Number) }),
  Conv2D: (tf, a, c) => {
    if (Number(a.groups ?? 1) !== 1) throw new Error(`Model Lab cannot train a grouped Conv2D (groups=${String(a.groups)}, layer ${c.name}): tfjs has no grouped convolution.`);
    if (pair(a.dilation_rate ?? 1, 1).some((d) => d !== 1)) {
      throw new Error(`Model Lab cannot train a dilated Conv2D (dilation_rate=${JSON.stringify(a.dilation_rate)}, layer ${c.name}): tfjs has no gradient for dilated convolutions.`);
    }
    return tf.layers.conv2d({
      ...base(c),
      filters: Number(a.filters),
      kernelSize: pair(a.kernel_size, 1),
      strides: pair(a.strides ?? 1, 1),
      padding: padding(a),
      dataFormat: dataFormat(a),
      activation: activation(a),
      useBias: a.use_bias !== false,
      ...weightConfig(tf, a, c, { kernel: 'glorot_uniform', bias: 'zeros' }),
    });
  },
  MaxPooling2D: (tf, a, c) =>
    tf.layers.maxPooling2d({
      ...base(c),
      poolSize: pair(a.pool_size ?? 2, 2),
      strides: a.strides == null ? pair(a.pool_size ?? 2, 2) : pair(a.strides, 1),
      padding: padding(a),
      dataFormat: dataFormat(a),
    }),
  AveragePooling2D: (tf, a, c) =>
    tf.layers.averagePooling2d({
      ...base(c),
      poolSize: pair(a.pool_size ?? 2, 2),
      strides: a.strides == null ? pair(a.pool_size ?? 2, 2) : pair(a.strides, 1),
      padding: padding(a),
      dataFormat: dataFormat(a),
    }),
  GlobalAveragePooling2D: (tf, a, c) => {
    if (a.keepdims === true) throw new Error(`Model Lab cannot train GlobalAveragePooling2D with keepdims=True yet (layer ${c.name}).`);
    return tf.layers.globalAveragePooling2d({ ...base(c), dataFormat: dataFormat(a) });
  },
  BatchNormalization: (tf, a, c) =>
    tf.layers.batchNormalization({
      ...base(c),
      axis: -1,
      momentum: a.momentum === undefined ? 0.99 : Number(a.momentum),
      epsilon: a.epsilon === undefined ? 0.001 : Number(a.epsilon),
      center: a.center !== false,
      scale: a.scale !== false,
      ...weightConfig(tf, a, c, { beta: 'zeros', gamma: 'ones' }, false),
      movingMeanInitializer: initializer(tf, a.moving_mean_initializer, 'zeros', c.seed),
      movingVarianceInitializer: initializer(tf, a.moving_variance_initializer, 'ones', c.seed),
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
      seed: layerSeed(opts.seed, index),
      kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed(opts.seed, index) }),
    });
  });
  return tf.sequential({ name: definition.name ? safeName(definition.name) : undefined, layers });
}

/** tfjs model names may not contain spaces or slashes (they prefix weight names). */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'sequential';
}
