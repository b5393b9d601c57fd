/**
 * Keras's preprocessing layers (Hands-On ML 3 ch. 13-14, keras.io's examples): Normalization; the image layers
 * Resizing and CenterCrop; the random augmentation layers; TextVectorization, StringLookup and IntegerLookup.
 * Rescaling is with the activation layers. Only Normalization has weights: its mean and variance per kept index and
 * a count, all non-trainable (Keras's summary: 2 × features + 1, e.g. 17 for 8 features, 3 for one image channel).
 *
 * `notTrained` says why Model Lab shows a layer's shapes but does not train a model holding it: the random layers
 * augment only while training (training without them would not be the script's run), Normalization's statistics
 * come from adapt() on data Model Lab does not see (given `mean` and `variance`, it trains: constants, no weights),
 * the text layers take strings.
 */
import { thousands } from '../number-format';
import { NO_PARAMS, channelsLastOnlyArg, positiveInt, require3d, seedArg } from './common';
import type { ArgDef, Dim, JsonSchema, LayerDef, ShapeResult } from './layer-def';
import { shown } from './layer-shapes';

const same = (input: readonly Dim[]): ShapeResult => ({ shape: [...input] });
const bool = (description: string, dflt: boolean): ArgDef => ({
  schema: { type: 'boolean', description },
  default: dflt,
});
const oneOf = (values: string[], description: string, dflt: string): ArgDef => ({
  schema: { type: 'string', enum: values, description },
  default: dflt,
});
const numbers = (description: string): JsonSchema => ({
  description,
  oneOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' }, minItems: 1 }, { type: 'null' }],
});
/** A factor of a random layer: x for ±x, or [lower, upper]. */
const factor = (description: string, nullable = false): JsonSchema => ({
  description,
  oneOf: [
    { type: 'number' },
    { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
    ...(nullable ? [{ type: 'null' }] : []),
  ],
});
const interpolation = (values: string[]): ArgDef =>
  oneOf(values, 'How pixel values are computed between input pixels.', 'bilinear');
const fillMode = oneOf(
  ['reflect', 'wrap', 'constant', 'nearest'],
  'How points outside the input are filled.',
  'reflect',
);
const fillValue: ArgDef = { schema: { type: 'number', description: "The fill for fill_mode 'constant'." }, default: 0 };
/** What the rotating, zooming and shifting layers share: how they fill and interpolate. */
const transformArgs: Record<string, ArgDef> = {
  fill_mode: fillMode,
  interpolation: interpolation(['bilinear', 'nearest']),
  fill_value: fillValue,
  data_format: channelsLastOnlyArg,
};

const AUGMENTS = 'it changes the training data at random every epoch, so a run without it would not be the script’s';

/** (height, width, channels) with new height and width, for the image layers that crop or resize. */
function resized(type: string, input: readonly Dim[], args: Record<string, unknown>): ShapeResult {
  const bad = require3d(type, input);
  return bad ?? { shape: [args.height as number, args.width as number, input[2]] };
}

const sizeArgs = (what: string): Record<string, ArgDef> => ({
  height: { schema: positiveInt(`Height of the ${what}.`) },
  width: { schema: positiveInt(`Width of the ${what}.`) },
});

export const Normalization: LayerDef = {
  type: 'Normalization',
  defaultName: 'normalization',
  doc: 'Standardises each feature: (x − mean) / √variance, with the mean and variance adapt() computes from the data (or given); non-trainable weights.',
  positionalArgs: ['axis', 'mean', 'variance', 'invert'],
  args: {
    axis: {
      schema: {
        description:
          'The axis (or axes) with a mean and variance per index, -1 for the last (features, or channels); null for one mean and variance over everything.',
        oneOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' }, minItems: 1 }, { type: 'null' }],
      },
      default: -1,
    },
    mean: { schema: numbers('The mean to subtract, instead of the one adapt() computes.') },
    variance: { schema: numbers('The variance to divide by (its square root), instead of the one adapt() computes.') },
    invert: bool('Undo the normalisation instead: x × √variance + mean.', false),
  },
  required: [],
  outputShape: (input, args) => {
    const kept = keptAxes(input, args.axis);
    if ('error' in kept) return kept;
    if ((args.mean == null) !== (args.variance == null))
      return { error: 'Normalization takes both mean and variance, or neither (adapt() computes them).', arg: 'mean' };
    const n = kept.sizes.reduce((a, b) => a * b, 1);
    for (const arg of ['mean', 'variance'])
      if (Array.isArray(args[arg]) && ![1, n].includes((args[arg] as unknown[]).length))
        return {
          error: `Normalization's ${arg} has ${(args[arg] as unknown[]).length} values; it needs one, or one per kept index (${n}).`,
          arg,
        };
    return same(input);
  },
  params: (input, args) => {
    // Given a mean and variance, Keras keeps them as constants: no weights.
    if (args.mean != null) return { ...NO_PARAMS, arithmetic: 'mean and variance given: constants, no weights' };
    const kept = keptAxes(input, args.axis);
    const n = 'error' in kept ? 0 : kept.sizes.reduce((a, b) => a * b, 1);
    return {
      trainable: 0,
      nonTrainable: 2 * n + 1,
      int64: 1,
      arithmetic: `${thousands(n)} means + ${thousands(n)} variances + 1 count = ${thousands(2 * n + 1)} (non-trainable)`,
    };
  },
  notTrained: (args) =>
    args.mean == null ? 'its mean and variance come from adapt() on data Model Lab does not see' : undefined,
};

/** The sizes of the axes Normalization keeps (one mean and variance per index), or Keras's error. */
function keptAxes(input: readonly Dim[], axis: unknown): { sizes: number[] } | { error: string; arg: string } {
  const axes = axis === null || axis === undefined ? [] : Array.isArray(axis) ? (axis as number[]) : [axis as number];
  const rank = input.length + 1; // with the batch axis, as Keras counts
  const sizes: number[] = [];
  for (const a of axes) {
    const at = a < 0 ? rank + a : a;
    if (at < 1 || at >= rank)
      return {
        error: `Normalization's axis ${a} is not an axis of one example of ${shown(input)}: use 1 to ${rank - 1}, or -1 for the last.`,
        arg: 'axis',
      };
    const d = input[at - 1];
    if (d === null)
      return {
        error: `Normalization keeps axis ${a}, which is None in ${shown(input)}: its mean and variance need a known size there.`,
        arg: 'axis',
      };
    sizes.push(d);
  }
  return { sizes };
}

export const Resizing: LayerDef = {
  type: 'Resizing',
  defaultName: 'resizing',
  doc: 'Resizes each image to height × width (bilinear by default); no weights.',
  positionalArgs: ['height', 'width', 'interpolation', 'crop_to_aspect_ratio'],
  args: {
    ...sizeArgs('output images'),
    interpolation: interpolation(['bilinear', 'nearest', 'bicubic', 'area', 'lanczos3', 'lanczos5', 'gaussian']),
    crop_to_aspect_ratio: bool('Crop to the output’s aspect ratio before resizing, instead of stretching.', false),
    data_format: channelsLastOnlyArg,
  },
  required: ['height', 'width'],
  outputShape: (input, args) => resized('Resizing', input, args),
  params: () => NO_PARAMS,
  notTrained: (args) =>
    args.crop_to_aspect_ratio === true
      ? 'it trains Resizing without crop_to_aspect_ratio only'
      : args.interpolation === 'bilinear' || args.interpolation === 'nearest'
        ? undefined
        : `tfjs resizes with bilinear or nearest interpolation only, not '${String(args.interpolation)}'`,
};

export const CenterCrop: LayerDef = {
  type: 'CenterCrop',
  defaultName: 'center_crop',
  doc: 'Crops the centre height × width of each image (resizing images smaller than that); no weights.',
  positionalArgs: ['height', 'width'],
  args: { ...sizeArgs('crop'), data_format: channelsLastOnlyArg },
  required: ['height', 'width'],
  outputShape: (input, args) => resized('CenterCrop', input, args),
  params: () => NO_PARAMS,
};

const random = (
  type: string,
  defaultName: string,
  doc: string,
  positionalArgs: string[],
  args: Record<string, ArgDef>,
  required: string[] = [],
  outputShape: LayerDef['outputShape'] = (input) => require3d(type, input) ?? same(input),
): LayerDef => ({
  type,
  defaultName,
  doc: `${doc} while training, identity at inference; no weights.`,
  positionalArgs,
  args: { ...args, seed: seedArg },
  required,
  outputShape,
  params: () => NO_PARAMS,
  notTrained: () => AUGMENTS,
});

export const RandomFlip = random('RandomFlip', 'random_flip', 'Flips images at random', ['mode', 'seed'], {
  mode: oneOf(
    ['horizontal', 'vertical', 'horizontal_and_vertical'],
    'Which flips to draw from.',
    'horizontal_and_vertical',
  ),
});

export const RandomRotation = random(
  'RandomRotation',
  'random_rotation',
  'Rotates images by a random fraction of a full turn (factor 0.1: ±36°)',
  ['factor', 'fill_mode', 'interpolation', 'seed', 'fill_value'],
  {
    factor: { schema: factor('The largest rotation as a fraction of 2π: x for ±x, or [lower, upper].') },
    ...transformArgs,
  },
  ['factor'],
);

export const RandomZoom = random(
  'RandomZoom',
  'random_zoom',
  'Zooms images in or out at random',
  ['height_factor', 'width_factor', 'fill_mode', 'interpolation', 'seed', 'fill_value'],
  {
    height_factor: { schema: factor('Vertical zoom as a fraction: x for ±x, or [lower, upper].') },
    width_factor: { schema: factor('Horizontal zoom; null keeps the aspect ratio.', true) },
    ...transformArgs,
  },
  ['height_factor'],
);

export const RandomTranslation = random(
  'RandomTranslation',
  'random_translation',
  'Shifts images at random',
  ['height_factor', 'width_factor', 'fill_mode', 'interpolation', 'seed', 'fill_value'],
  {
    height_factor: { schema: factor('Vertical shift as a fraction of the height: x for ±x, or [lower, upper].') },
    width_factor: { schema: factor('Horizontal shift as a fraction of the width: x for ±x, or [lower, upper].') },
    ...transformArgs,
  },
  ['height_factor', 'width_factor'],
);

export const RandomContrast = random(
  'RandomContrast',
  'random_contrast',
  'Changes each image’s contrast by a random factor',
  ['factor', 'seed'],
  {
    factor: { schema: factor('The contrast change: x for [1 − x, 1 + x], or [lower, upper].') },
    value_range: {
      schema: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, description: 'The pixels’ range.' },
    },
  },
  ['factor'],
);

export const RandomCrop = random(
  'RandomCrop',
  'random_crop',
  'Crops a random height × width window of each image (the centre at inference)',
  ['height', 'width', 'seed'],
  { ...sizeArgs('crop'), data_format: channelsLastOnlyArg },
  ['height', 'width'],
  (input, args) => resized('RandomCrop', input, args),
);

const STRINGS = 'it takes strings, which Model Lab does not train on';
/** Keras's output modes; 'binary' and 'tf-idf' are its older names for multi_hot and tf_idf, which it still takes. */
const OUTPUT_MODES = ['int', 'multi_hot', 'count', 'one_hot', 'tf_idf', 'binary', 'tf-idf'];

/** A lookup's vocabulary size as Keras counts it: max_tokens, else the given vocabulary plus the OOV and mask tokens. */
function vocabularySize(args: Record<string, unknown>, mask: boolean): Dim {
  if (typeof args.max_tokens === 'number') return args.max_tokens;
  if (!Array.isArray(args.vocabulary)) return null;
  const oov = typeof args.num_oov_indices === 'number' ? args.num_oov_indices : 1;
  return args.vocabulary.length + oov + (mask && args.mask_token !== null && args.mask_token !== undefined ? 1 : 0);
}

/** Shape of a lookup's output: indices keep the input's shape, one-hot adds (or replaces a last 1 with) the vocabulary, the others one vector. */
function lookupShape(input: readonly Dim[], mode: unknown, vocabulary: Dim): ShapeResult {
  if (mode === 'int') return same(input);
  if (mode === 'one_hot')
    return { shape: input[input.length - 1] === 1 ? [...input.slice(0, -1), vocabulary] : [...input, vocabulary] };
  return { shape: [vocabulary] };
}

const lookupArgs = (item: JsonSchema, what: string): Record<string, ArgDef> => ({
  max_tokens: {
    schema: { ...positiveInt('Largest vocabulary, with the OOV and mask tokens.'), type: ['integer', 'null'] },
  },
  num_oov_indices: {
    schema: { type: 'integer', minimum: 0, description: 'Indices for out-of-vocabulary tokens.' },
    default: 1,
  },
  mask_token: {
    schema: { ...item, type: [item.type as string, 'null'], description: `The ${what} that masks (index 0).` },
  },
  oov_token: { schema: { ...item, description: `The ${what} out-of-vocabulary tokens map to.` } },
  vocabulary: {
    schema: { type: 'array', items: item, description: `The ${what}s, instead of the ones adapt() finds.` },
  },
  invert: bool('Map indices back to tokens.', false),
  output_mode: oneOf(
    OUTPUT_MODES,
    "Indices (int), or one vector per example (multi_hot, count, one_hot, tf_idf; 'binary' and 'tf-idf' are older names).",
    'int',
  ),
  sparse: bool('Return a sparse tensor (multi_hot, count, tf_idf).', false),
  pad_to_max_tokens: bool('Pad multi_hot/count/tf_idf vectors to max_tokens.', false),
});

export const StringLookup: LayerDef = {
  type: 'StringLookup',
  defaultName: 'string_lookup',
  doc: 'Maps strings to integer indices of a vocabulary (or to one-hot/multi-hot vectors); no trainable weights.',
  positionalArgs: ['max_tokens', 'num_oov_indices', 'mask_token', 'oov_token', 'vocabulary'],
  args: lookupArgs({ type: 'string' }, 'string'),
  required: [],
  outputShape: (input, args) => lookupShape(input, args.output_mode, vocabularySize(args, true)),
  params: () => NO_PARAMS,
  notTrained: () => STRINGS,
};

export const IntegerLookup: LayerDef = {
  type: 'IntegerLookup',
  defaultName: 'integer_lookup',
  doc: 'Maps integers to indices of a vocabulary (or to one-hot/multi-hot vectors); no trainable weights.',
  positionalArgs: ['max_tokens', 'num_oov_indices', 'mask_token', 'oov_token', 'vocabulary'],
  args: lookupArgs({ type: 'integer' }, 'integer'),
  required: [],
  outputShape: (input, args) => lookupShape(input, args.output_mode, vocabularySize(args, true)),
  params: () => NO_PARAMS,
  notTrained: () => 'its vocabulary comes from adapt() or a list Model Lab does not carry to training',
};

export const TextVectorization: LayerDef = {
  type: 'TextVectorization',
  defaultName: 'text_vectorization',
  doc: 'Turns strings into token indices (padded to output_sequence_length) or one vector per text; no trainable weights.',
  positionalArgs: ['max_tokens', 'standardize', 'split', 'ngrams', 'output_mode', 'output_sequence_length'],
  args: {
    max_tokens: {
      schema: { ...positiveInt('Largest vocabulary, with the OOV and mask tokens.'), type: ['integer', 'null'] },
    },
    standardize: {
      schema: {
        type: ['string', 'null'],
        description:
          "How text is cleaned: 'lower_and_strip_punctuation' (default), 'lower', 'strip_punctuation' or null.",
      },
      default: 'lower_and_strip_punctuation',
    },
    split: {
      schema: {
        type: ['string', 'null'],
        description: "How text is split into tokens: 'whitespace' (default), 'character' or null.",
      },
      default: 'whitespace',
    },
    ngrams: {
      schema: {
        oneOf: [{ type: 'integer', minimum: 1 }, { type: 'array', items: { type: 'integer' } }, { type: 'null' }],
        description: 'n-grams to add.',
      },
    },
    output_mode: oneOf(
      OUTPUT_MODES.filter((m) => m !== 'one_hot'),
      "Token indices (int) or one vector per text (multi_hot, count, tf_idf; 'binary' and 'tf-idf' are older names).",
      'int',
    ),
    output_sequence_length: {
      schema: {
        ...positiveInt('Pad or cut each text to this many tokens (output_mode int).'),
        type: ['integer', 'null'],
      },
    },
    pad_to_max_tokens: bool('Pad multi_hot/count/tf_idf vectors to max_tokens.', false),
    vocabulary: {
      schema: {
        type: 'array',
        items: { type: 'string' },
        description: 'The tokens, instead of the ones adapt() finds.',
      },
    },
    sparse: bool('Return a sparse tensor (multi_hot, count, tf_idf).', false),
    ragged: bool('Return ragged sequences (output_mode int).', false),
  },
  required: [],
  outputShape: (input, args) => {
    if (args.output_mode !== 'int') return { shape: [vocabularySize(args, true)] };
    const length = typeof args.output_sequence_length === 'number' ? args.output_sequence_length : null;
    // One string per example ((), or (1,)) becomes one sequence of tokens.
    if (input.length > 1 || (input.length === 1 && input[0] !== 1))
      return {
        error: `TextVectorization takes one string per example, shape (None,) or (None, 1), but gets ${shown(input)}.`,
        arg: 'type',
      };
    return { shape: [length] };
  },
  params: () => NO_PARAMS,
  notTrained: () => STRINGS,
};

export const PREPROCESSING_LAYERS: readonly LayerDef[] = [
  Normalization,
  Resizing,
  CenterCrop,
  RandomFlip,
  RandomRotation,
  RandomZoom,
  RandomTranslation,
  RandomContrast,
  RandomCrop,
  TextVectorization,
  StringLookup,
  IntegerLookup,
];
