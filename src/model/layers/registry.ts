/**
 * Every layer type Model Lab knows, one entry each. To add a layer: write its `LayerDef` next to these and list it
 * here; the schema, diagnostics, shapes, summaries, hovers and the Python front end pick it up.
 */
import { Activation } from './activation';
import { MultiHeadAttention } from './attention';
import { BatchNormalization } from './batch-normalization';
import { Conv2D } from './conv2d';
import { Dense } from './dense';
import { Dropout } from './dropout';
import { Flatten } from './flatten';
import { GlobalAveragePooling2D } from './global-average-pooling2d';
import { dimItem, positiveIntItem } from './common';
import type { ArgDef, LayerDef } from './layer-def';
import { AveragePooling2D, MaxPooling2D } from './pooling2d';
import { Reshape } from './reshape';
import { ELU, LeakyReLU, PReLU, ReLU, Rescaling, Softmax } from './activation-layers';
import {
  AveragePooling1D,
  Conv1D,
  GlobalAveragePooling1D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
} from './conv1d';
import { Conv2DTranspose, DepthwiseConv2D, SeparableConv2D } from './conv2d-variants';
import { Embedding } from './embedding';
import { InputLayer } from './input-layer';
import { LayerNormalization } from './layer-normalization';
import { MERGE_LAYERS } from './merge';
import { PREPROCESSING_LAYERS } from './preprocessing';
import { NestedFunctional, NestedSequential } from './nested-model';
import { AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D } from './noise';
import { GRU, LSTM, SimpleRNN } from './recurrent';
import { Cropping2D, Permute, RepeatVector, UpSampling2D, ZeroPadding2D } from './reshaping';
import { Bidirectional, TimeDistributed } from './wrappers';
import type { LayerArgs, LayerSpec, ParsedModel } from '../types';
import { rangeFor } from '../paths';

export const LAYERS: readonly LayerDef[] = [
  Dense,
  Flatten,
  Dropout,
  Activation,
  Reshape,
  Conv2D,
  MaxPooling2D,
  AveragePooling2D,
  GlobalAveragePooling2D,
  BatchNormalization,
  InputLayer,
  Embedding,
  SimpleRNN,
  LSTM,
  GRU,
  Bidirectional,
  TimeDistributed,
  Conv1D,
  MaxPooling1D,
  AveragePooling1D,
  GlobalMaxPooling1D,
  GlobalAveragePooling1D,
  GlobalMaxPooling2D,
  SeparableConv2D,
  DepthwiseConv2D,
  Conv2DTranspose,
  UpSampling2D,
  ZeroPadding2D,
  Cropping2D,
  LayerNormalization,
  SpatialDropout1D,
  SpatialDropout2D,
  GaussianNoise,
  GaussianDropout,
  AlphaDropout,
  RepeatVector,
  Permute,
  ReLU,
  LeakyReLU,
  PReLU,
  ELU,
  Softmax,
  Rescaling,
  ...PREPROCESSING_LAYERS,
  ...MERGE_LAYERS,
  MultiHeadAttention,
  NestedSequential,
  NestedFunctional,
];

export const LAYER_TYPES: readonly string[] = LAYERS.map((l) => l.type);

const byType = new Map(LAYERS.map((l) => [l.type, l]));

export function layerDef(type: string): LayerDef | undefined {
  return byType.get(type);
}

/** The layers Model Lab shows but does not train (`LayerDef.notTrained`), in order, with why. */
export function notTrainedLayers(layers: unknown): { index: number; type: string; reason: string }[] {
  const out: { index: number; type: string; reason: string }[] = [];
  if (!Array.isArray(layers)) return out;
  layers.forEach((spec: LayerSpec, index) => {
    const d = spec && typeof spec === 'object' ? layerDef(String(spec.type)) : undefined;
    const reason = d?.notTrained?.(argsWithDefaults(d, spec));
    if (d && reason) out.push({ index, type: d.type, reason });
  });
  return out;
}

/** A front end's model holding such a layer cannot be trained: `untrainable` at the first one (JSON and Python alike). */
export function markNotTrained(parsed: ParsedModel): void {
  const [first] = notTrainedLayers(parsed.definition?.layers);
  if (!first || parsed.untrainable) return;
  const range = rangeFor(parsed.ranges, ['layers', first.index]) ?? parsed.range;
  parsed.untrainable = { reason: `Model Lab does not train ${first.type}: ${first.reason}`, range };
}

/** A layer name TensorFlow accepts. */
export const LAYER_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';

/** A layer's arguments with Keras's defaults filled in for the ones not given (shapes, counts and builders read these). */
export function argsWithDefaults(d: LayerDef, spec: LayerSpec): LayerArgs {
  const args: LayerArgs = {};
  for (const [k, a] of Object.entries({ ...d.args, ...COMMON_ARGS })) if (a.default !== undefined) args[k] = a.default;
  return { ...args, ...spec };
}

/** Arguments every Keras layer takes. */
export const COMMON_ARGS: Readonly<Record<string, ArgDef>> = {
  name: {
    schema: {
      type: 'string',
      minLength: 1,
      // TensorFlow's rule for the weight names built from it (tfjs isValidTensorName), without the '/' Keras 3 refuses.
      pattern: LAYER_NAME_PATTERN,
      description:
        "The layer's name in summaries: letters, digits, '_', '.' and '-', starting with a letter or digit; Keras's default is the snake_case type with a counter (dense, dense_1).",
    },
  },
  input_shape: {
    schema: {
      type: 'array',
      items: dimItem,
      minItems: 1,
      description:
        'Shape of one input example without the batch dimension, e.g. [28, 28]; null for a variable size (None), e.g. [null, 10] for sequences of any length; only on the first layer.',
    },
  },
  trainable: {
    schema: { type: 'boolean', description: 'Whether training updates this layer’s weights.' },
    default: true,
  },
  input_dim: {
    schema: {
      ...positiveIntItem,
      description: 'Keras 2 spelling of input_shape [input_dim] for a flat input; only on the first layer.',
    },
  },
  batch_input_shape: {
    schema: {
      type: 'array',
      items: [{ type: ['integer', 'null'], minimum: 1 }],
      additionalItems: dimItem,
      minItems: 2,
      description:
        'input_shape with the batch size in front (null or a number), e.g. [null, 28, 28]; only on the first layer.',
    },
  },
  batch_size: {
    schema: {
      ...positiveIntItem,
      description: 'Fixed batch size of the input; Model Lab trains with fit’s batch_size.',
    },
  },
  dtype: {
    schema: {
      type: 'string',
      enum: [
        'float32',
        'float64',
        'float16',
        'bfloat16',
        'mixed_float16',
        'mixed_bfloat16',
        'uint8',
        'int8',
        'int16',
        'int32',
        'int64',
      ],
      description:
        "The layer's dtype (an integer dtype on a first layer takes raw pixels, as `dtype=tf.uint8`); Model Lab computes in float32.",
    },
    default: 'float32',
  },
  inputs: {
    schema: {
      description:
        'Graph (functional) models: the name of the layer this one takes its input from, or a list of names for a merge. Without it a layer takes the layer before it.',
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      ],
    },
  },
};
