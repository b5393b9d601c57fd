/** Conv1D and the 1-D poolings: windows sliding along the time axis of a (steps, channels) input. */
import {
  NO_PARAMS,
  activationOf,
  outputActivationArg,
  channelsLastOnlyArg,
  channelsFirst,
  dataFormatArg,
  dilatedWindow,
  groupsError,
  lastDim,
  positiveInt,
  requireChannelsDefined,
  useBiasArg,
  weightArgs,
  weightsAndBiases,
  windowShape,
} from './common';
import type { ArgDef, Dim, LayerDef, ShapeResult } from './layer-def';
import { intOrSingle, requireSequence, single } from './layer-shapes';

const padding1d: ArgDef = {
  schema: {
    type: 'string',
    enum: ['valid', 'same', 'causal'],
    enumDescriptions: [
      'No padding: the output shrinks by the window size minus one.',
      'Zero padding so that output length = ceil(input / strides).',
      'Pad on the left only, so step t sees no later steps.',
    ],
    description: "'valid', 'same' or 'causal' (pad on the left, for sequences).",
  },
  default: 'valid',
};

/** A (steps, channels) input's window shape, or why it has none. */
function window1d(
  type: string,
  input: readonly Dim[],
  window: number,
  stride: number,
  padding: string,
  channels: Dim,
  windowArg: string,
  dilation = 1,
): ShapeResult {
  return (
    requireSequence(type, input, 'conv1d') ??
    windowShape(type, input, [window], [stride], padding, channels, windowArg, [dilation])
  );
}

export const Conv1D: LayerDef = {
  type: 'Conv1D',
  defaultName: 'conv1d',
  doc: 'Slides `filters` learned windows of kernel_size steps along a (steps, channels) sequence, one output channel per filter.',
  positionalArgs: ['filters', 'kernel_size', 'strides', 'padding'],
  args: {
    filters: { schema: positiveInt('Number of filters (output channels).') },
    kernel_size: { schema: intOrSingle('Length of the convolution window.') },
    strides: { schema: intOrSingle('Step of the window.'), default: 1 },
    padding: padding1d,
    activation: outputActivationArg,
    use_bias: useBiasArg,
    data_format: channelsLastOnlyArg,
    dilation_rate: {
      schema: intOrSingle('Spacing of the kernel taps: a window of k taps covers (k-1)·d+1 steps.'),
      default: 1,
    },
    groups: {
      schema: positiveInt('Split the input channels into this many groups, each with its own filters.'),
      default: 1,
    },
    ...weightArgs({ kernel: 'glorot_uniform', bias: 'zeros' }),
  },
  required: ['filters', 'kernel_size'],
  outputShape: (input, args) => {
    const filters = args.filters as number;
    const channels = input[input.length - 1];
    const bad =
      requireSequence('Conv1D', input, 'conv1d') ??
      requireChannelsDefined(input, channels) ??
      groupsError('Conv1D', args.groups as number, channels as number, filters);
    if (bad) return bad;
    return window1d(
      'Conv1D',
      input,
      dilatedWindow(single(args.kernel_size, 1), single(args.dilation_rate, 1)),
      single(args.strides, 1),
      String(args.padding),
      filters,
      'kernel_size',
      single(args.dilation_rate, 1),
    );
  },
  params: (input, args) => {
    const filters = args.filters as number;
    const groups = (args.groups as number) || 1;
    return weightsAndBiases(
      [single(args.kernel_size, 1), lastDim(input) / groups, filters],
      filters,
      args.use_bias !== false,
    );
  },
  activationOf,
};

function pooling1d(type: string, defaultName: string, doc: string): LayerDef {
  return {
    type,
    defaultName,
    doc,
    positionalArgs: ['pool_size', 'strides', 'padding'],
    args: {
      pool_size: { schema: intOrSingle('Window length.'), default: 2 },
      strides: { schema: intOrSingle('Step of the window; pool_size when omitted.', true), default: null },
      padding: {
        schema: { type: 'string', enum: ['valid', 'same'], description: "'valid' (no padding) or 'same'." },
        default: 'valid',
      },
      data_format: channelsLastOnlyArg,
    },
    required: [],
    outputShape: (input, args) => {
      const size = single(args.pool_size, 2);
      const stride = args.strides === null || args.strides === undefined ? size : single(args.strides, 1);
      return window1d(type, input, size, stride, String(args.padding), input[1], 'pool_size');
    },
    params: () => NO_PARAMS,
  };
}

export const MaxPooling1D = pooling1d(
  'MaxPooling1D',
  'max_pooling1d',
  'Keeps the largest value of each pool_size window of steps per channel; no weights.',
);
export const AveragePooling1D = pooling1d(
  'AveragePooling1D',
  'average_pooling1d',
  'Averages each pool_size window of steps per channel; no weights.',
);

function global(type: string, defaultName: string, doc: string, rank: 2 | 3): LayerDef {
  return {
    type,
    defaultName,
    doc,
    positionalArgs: ['data_format', 'keepdims'],
    args: {
      data_format: dataFormatArg,
      keepdims: {
        schema: { type: 'boolean', description: 'Keep the pooled axes as size 1 instead of dropping them.' },
        default: false,
      },
    },
    required: [],
    outputShape: (input, args) => {
      const keep = args.keepdims === true;
      // channels_first: the channels are the first axis, the pooled ones follow.
      const first = channelsFirst(args);
      if (rank === 2) {
        const bad = requireSequence(type, input, 'conv1d');
        if (bad) return bad;
        const channels = first ? input[0] : input[1];
        return { shape: keep ? (first ? [channels, 1] : [1, channels]) : [channels] };
      }
      if (input.length !== 3) {
        return {
          error: `${type} needs a 3-D input (height, width, channels) but gets (None, ${input.join(', ')}); for sequences use ${type.replace('2D', '1D')}.`,
          arg: 'type',
        };
      }
      const channels = first ? input[0] : input[2];
      return { shape: keep ? (first ? [channels, 1, 1] : [1, 1, channels]) : [channels] };
    },
    params: () => NO_PARAMS,
  };
}

export const GlobalMaxPooling1D = global(
  'GlobalMaxPooling1D',
  'global_max_pooling1d',
  'Takes the largest value of each channel over all steps, giving one value per channel; no weights.',
  2,
);
export const GlobalAveragePooling1D = global(
  'GlobalAveragePooling1D',
  'global_average_pooling1d',
  'Averages each channel over all steps, giving one value per channel; no weights.',
  2,
);
export const GlobalMaxPooling2D = global(
  'GlobalMaxPooling2D',
  'global_max_pooling2d',
  'Takes the largest value of each channel over the whole height × width; no weights.',
  3,
);
