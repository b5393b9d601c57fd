/** UpSampling2D, ZeroPadding2D, Cropping2D, RepeatVector and Permute: they move values, they have no weights. */
import { NO_PARAMS, channelsLastOnlyArg, intOrPair, pair, positiveInt, require3d } from './common';
import type { Dim, JsonSchema, LayerDef } from './layer-def';
import { dimText, shown } from './layer-shapes';
import { MAX_SIZE } from './common';

const nonNegative: JsonSchema = { type: 'integer', minimum: 0, maximum: MAX_SIZE };
const nonNegativePair: JsonSchema = { type: 'array', items: nonNegative, minItems: 2, maxItems: 2 };

/** Keras's padding/cropping forms: n, [sym_height, sym_width] or [[top, bottom], [left, right]]. */
const edgesSchema = (description: string): JsonSchema => ({
  description,
  oneOf: [nonNegative, nonNegativePair, { type: 'array', items: nonNegativePair, minItems: 2, maxItems: 2 }],
});

/** A size scaled or grown; a variable (None) size stays None, as Keras computes it. */
const times = (d: Dim, k: number): Dim => (d === null ? null : d * k);
const plus = (d: Dim, k: number): Dim => (d === null ? null : d + k);

/** [[top, bottom], [left, right]] from any of the three forms. */
export function edges(v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number')
    return [
      [v, v],
      [v, v],
    ];
  if (Array.isArray(v) && v.length === 2) {
    if (Array.isArray(v[0]) && Array.isArray(v[1]))
      return [
        [Number(v[0][0]), Number(v[0][1])],
        [Number(v[1][0]), Number(v[1][1])],
      ];
    return [
      [Number(v[0]), Number(v[0])],
      [Number(v[1]), Number(v[1])],
    ];
  }
  return [
    [0, 0],
    [0, 0],
  ];
}

export const UpSampling2D: LayerDef = {
  type: 'UpSampling2D',
  defaultName: 'up_sampling2d',
  doc: 'Repeats each row and column `size` times (nearest neighbour), growing height and width; no weights.',
  positionalArgs: ['size'],
  args: {
    size: { schema: intOrPair('Upsampling factors: an integer or [rows, columns].'), default: [2, 2] },
    interpolation: {
      schema: { type: 'string', enum: ['nearest', 'bilinear'], description: "'nearest' or 'bilinear'." },
      default: 'nearest',
    },
    data_format: channelsLastOnlyArg,
  },
  required: [],
  outputShape: (input, args) => {
    const [a, b] = pair(args.size, 2);
    return require3d('UpSampling2D', input) ?? { shape: [times(input[0], a), times(input[1], b), input[2]] };
  },
  params: () => NO_PARAMS,
};

export const ZeroPadding2D: LayerDef = {
  type: 'ZeroPadding2D',
  defaultName: 'zero_padding2d',
  doc: 'Adds rows and columns of zeros around each image; no weights.',
  positionalArgs: ['padding'],
  args: {
    padding: {
      schema: edgesSchema(
        'Zeros to add: n on every side, [height, width] symmetric, or [[top, bottom], [left, right]].',
      ),
      default: [1, 1],
    },
    data_format: channelsLastOnlyArg,
  },
  required: [],
  outputShape: (input, args) => {
    const [[t, b], [l, r]] = edges(args.padding);
    return require3d('ZeroPadding2D', input) ?? { shape: [plus(input[0], t + b), plus(input[1], l + r), input[2]] };
  },
  params: () => NO_PARAMS,
};

export const Cropping2D: LayerDef = {
  type: 'Cropping2D',
  defaultName: 'cropping2d',
  doc: 'Cuts rows and columns off the edges of each image; no weights.',
  positionalArgs: ['cropping'],
  args: {
    cropping: {
      schema: edgesSchema(
        'What to cut: n from every side, [height, width] symmetric, or [[top, bottom], [left, right]].',
      ),
      default: [
        [0, 0],
        [0, 0],
      ],
    },
    data_format: channelsLastOnlyArg,
  },
  required: [],
  outputShape: (input, args) => {
    const bad = require3d('Cropping2D', input);
    if (bad) return bad;
    const [[t, b], [l, r]] = edges(args.cropping);
    const h = plus(input[0], -t - b);
    const w = plus(input[1], -l - r);
    if ((h !== null && h < 1) || (w !== null && w < 1))
      return {
        error: `Cropping2D would cut its ${dimText(input[0])}×${dimText(input[1])} input down to ${dimText(h === null ? h : Math.max(h, 0))}×${dimText(w === null ? w : Math.max(w, 0))}; crop less.`,
        arg: 'cropping',
      };
    return { shape: [h, w, input[2]] };
  },
  params: () => NO_PARAMS,
};

export const RepeatVector: LayerDef = {
  type: 'RepeatVector',
  defaultName: 'repeat_vector',
  doc: 'Repeats a vector n times, turning (features) into (n, features), e.g. to feed a decoder RNN; no weights.',
  positionalArgs: ['n'],
  args: { n: { schema: positiveInt('How many times to repeat the input.') } },
  required: ['n'],
  outputShape: (input, args) =>
    input.length === 1
      ? { shape: [args.n as number, input[0]] }
      : {
          error: `RepeatVector needs a 2-D input (batch, features) but gets ${shown(input)}; add Flatten before it.`,
          arg: 'type',
        },
  params: () => NO_PARAMS,
};

export const Permute: LayerDef = {
  type: 'Permute',
  defaultName: 'permute',
  doc: 'Reorders the axes of each example (batch axis excluded; axes count from 1); no weights.',
  positionalArgs: ['dims'],
  args: {
    dims: {
      schema: {
        type: 'array',
        items: { type: 'integer', minimum: 1, maximum: 16 },
        minItems: 1,
        description: 'The new order of the axes, counting from 1, e.g. [2, 1] swaps steps and features.',
      },
    },
  },
  required: ['dims'],
  outputShape: (input, args) => {
    const dims = args.dims as number[];
    const sorted = [...dims].sort((a, b) => a - b);
    if (dims.length !== input.length || sorted.some((d, i) => d !== i + 1)) {
      const all = input.map((_, i) => i + 1).join(', ');
      return {
        error: `Permute dims [${dims.join(', ')}] must order the ${input.length} axes of ${shown(input)}: each of ${all} once.`,
        arg: 'dims',
      };
    }
    return { shape: dims.map((d) => input[d - 1]) };
  },
  params: () => NO_PARAMS,
};
