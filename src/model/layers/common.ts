/** Argument schemas and shape arithmetic several layers share. */
import { ACTIVATIONS, ACTIVATION_NAMES } from '../activations';
import { formatShape, thousands } from '../number-format';
import type { LayerArgs } from '../types';
import type { ArgDef, Dim, JsonSchema, ParamCount, ShapeResult } from './layer-def';

/**
 * Upper bound of any one size (units, filters, a window side, an input dimension). Far beyond what trains on one
 * machine, yet small enough that shapes and parameter counts of sane models stay exact integers.
 */
export const MAX_SIZE = 1_000_000;

/**
 * Most parameters a model may have: 1e10 float32 weights are 40 GB before the optimizer's slots, far past any
 * machine Model Lab runs on, and still an exact integer.
 */
export const MAX_PARAMS = 1e10;

export const positiveInt = (description: string, maximum = MAX_SIZE): JsonSchema => ({
  type: 'integer',
  minimum: 1,
  maximum,
  description,
});

export const positiveIntItem: JsonSchema = { type: 'integer', minimum: 1, maximum: MAX_SIZE };

/** One dimension of an input shape: a size, or null for a variable one (Keras's None: sequences of any length). */
export const dimItem: JsonSchema = { type: ['integer', 'null'], minimum: 1, maximum: MAX_SIZE };

/** Keras's `int or tuple of 2 ints` (kernel_size, strides, pool_size). */
export const intOrPair = (description: string, nullable = false): JsonSchema => ({
  description,
  oneOf: [
    positiveIntItem,
    { type: 'array', items: positiveIntItem, minItems: 2, maxItems: 2 },
    ...(nullable ? [{ type: 'null' }] : []),
  ],
});

export const activationArg = (description: string, dflt?: string): ArgDef => ({
  schema: {
    type: 'string',
    title: 'activation',
    enum: [...ACTIVATION_NAMES],
    enumDescriptions: ACTIVATION_NAMES.map((a) => ACTIVATIONS[a].doc),
    description,
  },
  default: dflt,
});

/** The activation of the layers with weights (Dense, the convolutions): linear when omitted. */
export const outputActivationArg = activationArg(
  'Activation applied to the output; none (linear) when omitted.',
  'linear',
);

/** kernel_size and strides of the 2-D convolutions (Conv2D and its variants). */
export const kernelPairArg: ArgDef = {
  schema: intOrPair('Height and width of the convolution window: an integer or [height, width].'),
};
export const stridesPairArg: ArgDef = {
  schema: intOrPair('Step of the window: an integer or [vertical, horizontal].'),
  default: 1,
};

export const paddingArg: ArgDef = {
  schema: {
    type: 'string',
    enum: ['valid', 'same'],
    enumDescriptions: [
      'No padding: the output shrinks by the window size minus one.',
      'Zero padding so that output size = ceil(input / strides).',
    ],
    description: "'valid' (no padding) or 'same' (pad so the output is ceil(input / strides)).",
  },
  default: 'valid',
};

export const useBiasArg: ArgDef = {
  schema: { type: 'boolean', description: 'Whether the layer adds a bias vector.' },
  default: true,
};

/** `3` → `[3, 3]`; `[3, 5]` stays. */
export function pair(v: unknown, dflt: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]];
  return [dflt, dflt];
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** The number of values of a shape, or null when a dimension is variable (None): Keras's None for a flattened size. */
export function knownProduct(dims: readonly Dim[]): number | null {
  return dims.some((d) => d === null) ? null : product(dims as number[]);
}

/** Whether every dimension of a shape is a size (no None). */
export const isKnown = (dims: readonly Dim[]): dims is readonly number[] => dims.every((d) => d !== null);

/**
 * Keras's error for a layer whose weights are sized by the input's last axis (Dense's kernel, a convolution's or a
 * normalization's channels, a recurrent layer's features) when that axis is None.
 */
export function requireLastDefined(type: string, input: readonly Dim[]): ShapeResult | undefined {
  if (input.length === 0 || input[input.length - 1] !== null) return undefined;
  return {
    error: `The last dimension of the inputs to a ${type} layer should be defined. Found None. Full input shape received: ${formatShape([null, ...input])}.`,
    arg: 'type',
  };
}

/** Keras's error for a convolution whose channel axis (`axis`, 0-based with the batch, -1 for the last) is None. */
export function requireChannelsDefined(input: readonly Dim[], channels: Dim, axis = -1): ShapeResult | undefined {
  if (channels !== null) return undefined;
  return {
    error: `The channel dimension of the inputs should be defined. The input_shape received is ${formatShape([null, ...input])}, where axis ${axis} (0-based) is the channel dimension, which found to be \`None\`.`,
    arg: 'type',
  };
}

/**
 * The last axis as a size, for parameter counts: only called once `requireLastDefined` passed in the layer's
 * outputShape (params are counted only for a layer whose output shape is known).
 */
export function lastDim(input: readonly Dim[]): number {
  const d = input[input.length - 1];
  if (d === null || d === undefined) throw new Error('internal: parameters counted over a None last dimension');
  return d;
}

/**
 * Output length of a sliding window along one axis, as Keras's conv_utils.conv_output_length (the window already
 * dilated; 'same' and 'causal' keep ceil(size / stride), 'valid' drops the window's overhang).
 */
export function convLength(size: Dim, window: number, stride: number, padding: string): Dim {
  if (size === null) return null;
  const length = padding === 'valid' ? size - window + 1 : size;
  return Math.floor((length + stride - 1) / stride);
}

/** Positions a kernel of `kernel` taps spaced `dilation` apart covers: (k - 1) × d + 1. */
export const dilatedWindow = (kernel: number, dilation: number): number => (kernel - 1) * dilation + 1;

/** Requires (height, width, channels); the error suggests the Reshape that usually fixes it. */
export function require3d(type: string, input: readonly Dim[]): ShapeResult | undefined {
  if (input.length === 3) return undefined;
  const shown = formatShape([null, ...input]);
  const hint =
    input.length === 2
      ? ` add { "type": "Reshape", "target_shape": [${input[0]}, ${input[1]}, 1] } before it`
      : ' reshape the input to (height, width, channels) first';
  return { error: `${type} needs a 3-D input (height, width, channels) but gets ${shown};${hint}.`, arg: 'type' };
}

/**
 * Shape of a sliding-window layer (convolution, pooling) over the first `window.length` axes of a channels-last
 * input (one axis: steps; two: height and width), with the error when an axis would vanish.
 */
export function windowShape(
  type: string,
  input: readonly Dim[],
  window: readonly number[],
  strides: readonly number[],
  padding: string,
  channels: Dim,
  windowArg: string,
  dilation: readonly number[] = window.map(() => 1),
): ShapeResult {
  const sizes = input.slice(0, window.length);
  const out = sizes.map((size, i) => convLength(size, window[i], strides[i], padding));
  // A variable (None) axis stays None, as in Keras; only a known size can shrink to nothing.
  if (out.every((o) => o === null || o >= 1)) return { shape: [...out, channels] };
  const shrunk = out.map((o) => (o === null ? 'None' : Math.max(o, 0))).join('×');
  // A dilated kernel is named as written, with the window it spans: `the kernel_size 3 dilated by 4 (9 steps)`.
  const written = window.map((w, i) => (w - 1) / dilation[i] + 1).join('×');
  const spans = dilation.some((d) => d !== 1)
    ? ` ${written} dilated by ${dilation.join('×')} (${window.join('×')}${window.length === 1 ? ' steps' : ''})`
    : ` ${written}`;
  const what =
    window.length === 1
      ? `its ${sizes[0]} steps to ${shrunk}: the ${windowArg}${spans} is longer than the input`
      : `its ${sizes.map((d) => d ?? 'None').join('×')} input to ${shrunk}: the ${windowArg}${spans} is larger than the input`;
  return {
    error: `${type} would shrink ${what}; use a smaller ${windowArg} or padding 'same'.`,
    arg: windowArg,
  };
}

/** Keras's grouped-convolution rule: `groups` must divide both the input channels and the filters. */
export function groupsError(type: string, groups: number, channels: number, filters: number): ShapeResult | undefined {
  if (groups <= 1 || (channels % groups === 0 && filters % groups === 0)) return undefined;
  return {
    error: `${type} with groups=${groups} needs the input channels (${channels}) and filters (${filters}) to be multiples of ${groups}.`,
    arg: 'groups',
  };
}

export const NO_PARAMS: ParamCount = { trainable: 0, nonTrainable: 0, arithmetic: 'no weights' };

/** `784 × 100 weights + 100 biases = 78,500` (factors as given, with thousands separators). */
export function weightsAndBiases(factors: number[], biases: number, useBias: boolean): ParamCount {
  const weights = product(factors);
  const total = weights + (useBias ? biases : 0);
  const w = `${factors.map(thousands).join(' × ')} weights`;
  const b = useBias ? ` + ${thousands(biases)} biases` : '';
  return { trainable: total, nonTrainable: 0, arithmetic: `${w}${b} = ${thousands(total)}` };
}

export const activationOf = (args: LayerArgs): string | undefined =>
  typeof args.activation === 'string' ? args.activation : undefined;

/*
 * Constructor arguments that do not change shapes or parameter counts but are part of every Keras layer that has
 * weights: initializers, regularizers and constraints. One helper adds the whole family for each weight, so every
 * layer accepts the same spellings in `.model.json` and in Python.
 */

/** Keras's initializer names (`keras.initializers.get`), snake_case as in configs. */
export const INITIALIZER_NAMES = [
  'glorot_uniform',
  'glorot_normal',
  'he_normal',
  'he_uniform',
  'lecun_normal',
  'lecun_uniform',
  'zeros',
  'ones',
  'random_normal',
  'random_uniform',
  'truncated_normal',
  'orthogonal',
  'identity',
  'variance_scaling',
  'constant',
  // Keras's aliases of random_uniform / random_normal (Embedding's default is 'uniform').
  'uniform',
  'normal',
] as const;

/** An initializer with arguments: `{ "type": "RandomNormal", "stddev": 0.05 }` (Keras class name plus config). */
const INITIALIZER_CLASSES = [
  'GlorotUniform',
  'GlorotNormal',
  'HeNormal',
  'HeUniform',
  'LecunNormal',
  'LecunUniform',
  'Zeros',
  'Ones',
  'RandomNormal',
  'RandomUniform',
  'TruncatedNormal',
  'Orthogonal',
  'Identity',
  'VarianceScaling',
  'Constant',
];

export const initializerArg = (weight: string, dflt: string): ArgDef => ({
  schema: {
    description: `How ${weight} starts before training: a Keras initializer name, or { "type": class, …its arguments }.`,
    oneOf: [
      { type: 'string', enum: [...INITIALIZER_NAMES] },
      {
        type: 'object',
        required: ['type'],
        properties: {
          type: { type: 'string', enum: INITIALIZER_CLASSES },
          seed: { type: ['integer', 'null'] },
          mean: { type: 'number' },
          stddev: { type: 'number', minimum: 0 },
          minval: { type: 'number' },
          maxval: { type: 'number' },
          value: { type: 'number' },
          gain: { type: 'number' },
          scale: { type: 'number', exclusiveMinimum: 0 },
          mode: { type: 'string', enum: ['fan_in', 'fan_out', 'fan_avg'] },
          distribution: { type: 'string', enum: ['truncated_normal', 'untruncated_normal', 'normal', 'uniform'] },
        },
        additionalProperties: false,
      },
    ],
  },
  default: dflt,
});

/** `keras.regularizers.l2(0.01)` is `{ "l2": 0.01 }`; `'l2'` alone is Keras's default factor 0.01. */
export const regularizerArg = (weight: string): ArgDef => ({
  schema: {
    description: `Penalty on ${weight} added to the loss: 'l1', 'l2', 'l1_l2' (factor 0.01) or { "l1": factor, "l2": factor }.`,
    oneOf: [
      { type: 'string', enum: ['l1', 'l2', 'l1_l2'] },
      {
        type: 'object',
        properties: { l1: { type: 'number', minimum: 0 }, l2: { type: 'number', minimum: 0 } },
        additionalProperties: false,
      },
      { type: 'null' },
    ],
  },
});

export const constraintArg = (weight: string): ArgDef => ({
  schema: {
    description: `Constraint applied to ${weight} after each update: 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm' or { "type": class, …arguments }.`,
    oneOf: [
      { type: 'string', enum: ['max_norm', 'non_neg', 'unit_norm', 'min_max_norm'] },
      {
        type: 'object',
        required: ['type'],
        properties: {
          type: { type: 'string', enum: ['MaxNorm', 'NonNeg', 'UnitNorm', 'MinMaxNorm'] },
          max_value: { type: 'number', minimum: 0 },
          min_value: { type: 'number', minimum: 0 },
          rate: { type: 'number', minimum: 0, maximum: 1 },
          axis: { oneOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' } }] },
        },
        additionalProperties: false,
      },
      { type: 'null' },
    ],
  },
});

/**
 * `<w>_initializer`, `<w>_regularizer` and `<w>_constraint` for each weight (`kernel`, `bias`; `gamma`, `beta`),
 * with Keras's default initializer of each, plus `activity_regularizer` when the layer has one.
 */
export function weightArgs(weights: Readonly<Record<string, string>>, activity = true): Record<string, ArgDef> {
  const out: Record<string, ArgDef> = {};
  for (const [w, init] of Object.entries(weights)) {
    out[`${w}_initializer`] = initializerArg(`the ${w}`, init);
    out[`${w}_regularizer`] = regularizerArg(`the ${w}`);
    out[`${w}_constraint`] = constraintArg(`the ${w}`);
  }
  if (activity) out.activity_regularizer = regularizerArg("the layer's output");
  return out;
}

export const dataFormatArg: ArgDef = {
  schema: {
    type: 'string',
    enum: ['channels_last', 'channels_first'],
    enumDescriptions: ['(height, width, channels), Keras’s default.', '(channels, height, width).'],
    description: "Order of the axes of one example: 'channels_last' (height, width, channels) or 'channels_first'.",
  },
  default: 'channels_last',
};

/**
 * `data_format` of a layer whose shapes Model Lab computes for channels_last only: the argument is accepted as
 * Keras spells it, and channels_first is a positioned schema error rather than a wrong shape.
 */
export const channelsLastOnlyArg: ArgDef = {
  schema: {
    type: 'string',
    enum: ['channels_last'],
    description:
      "Order of the axes of one example: 'channels_last' (Keras's default). Model Lab does not compute this layer for 'channels_first'.",
  },
  default: 'channels_last',
};

/** `dilation_rate` of a layer Model Lab computes without dilation: 1 (Keras's default) is accepted, nothing else. */
export const noDilationArg: ArgDef = {
  schema: {
    description: "Spacing of the kernel's taps: Model Lab computes this layer for 1 (Keras's default) only.",
    oneOf: [
      { type: 'integer', const: 1 },
      { type: 'array', items: { type: 'integer', const: 1 }, minItems: 1, maxItems: 2 },
    ],
  },
  default: 1,
};

/** `seed` of a layer that draws random numbers (dropout and noise layers). */
export const seedArg: ArgDef = {
  schema: {
    type: ['integer', 'null'],
    description: "Seed of the layer's random draws; Model Lab draws them from the run's seed instead.",
  },
};

export const channelsFirst = (args: LayerArgs): boolean => args.data_format === 'channels_first';

/** A (channels, height, width) input as (height, width, channels) when `data_format` is channels_first. */
export function toChannelsLast(input: readonly Dim[], args: LayerArgs): Dim[] {
  return channelsFirst(args) && input.length === 3 ? [input[1], input[2], input[0]] : [...input];
}

/** The reverse of `toChannelsLast` for an output shape. */
export function fromChannelsLast(result: ShapeResult, args: LayerArgs): ShapeResult {
  if (!('shape' in result) || !channelsFirst(args) || result.shape.length !== 3) return result;
  const [h, w, c] = result.shape;
  return { shape: [c, h, w] };
}

/** The input shape a layer declares: `input_shape`, else `batch_input_shape` without the batch, else `(input_dim,)`. */
export function declaredInputShape(args: LayerArgs): unknown {
  // A model used as the first layer holds its own input shape, else takes the one given before it (`keras.Input`).
  if (args.type === 'Sequential' || args.type === 'Functional') return nestedInputShape(args) ?? args.input_shape;
  if (args.input_shape !== undefined) return args.input_shape;
  if (Array.isArray(args.batch_input_shape)) return args.batch_input_shape.slice(1);
  // Embedding's own input_dim is its vocabulary size, not the input's shape; Keras 2's Embedding takes its
  // input_length as the input shape (`kwargs['input_shape'] = (input_length,)`).
  if (args.type === 'Embedding') return args.input_length !== undefined ? [args.input_length] : undefined;
  if (args.input_dim !== undefined) return [args.input_dim];
  return undefined;
}

/**
 * The input shape a whole model used as a layer declares itself (nested-model.ts): a Functional model's InputLayer,
 * else a Sequential model's first layer's declared shape; undefined when it takes the shape it is first called on.
 */
export function nestedInputShape(args: LayerArgs): unknown {
  const layers = Array.isArray(args.layers) ? (args.layers as LayerArgs[]) : [];
  const input = layers.find((l) => l && typeof l === 'object' && l.type === 'InputLayer');
  if (input) return input.shape ?? input.input_shape;
  const first = layers[0];
  return args.type === 'Sequential' && first && typeof first === 'object' ? declaredInputShape(first) : undefined;
}

/** epsilon, center, scale and the beta and gamma weights: the arguments BatchNormalization and LayerNormalization share. */
export const normalizationArgs: Record<string, ArgDef> = {
  epsilon: {
    schema: { type: 'number', exclusiveMinimum: 0, description: 'Added to the variance to avoid dividing by zero.' },
    default: 0.001,
  },
  center: { schema: { type: 'boolean', description: 'Learn the offset beta.' }, default: true },
  scale: { schema: { type: 'boolean', description: 'Learn the scale gamma.' }, default: true },
  ...weightArgs({ beta: 'zeros', gamma: 'ones' }, false),
};

/** The weights a normalization layer learns per channel, in Keras's order: gamma (scale), then beta (center). */
export const learnedNormalization = (args: LayerArgs): string[] =>
  [args.scale !== false ? 'gamma' : '', args.center !== false ? 'beta' : ''].filter(Boolean);
