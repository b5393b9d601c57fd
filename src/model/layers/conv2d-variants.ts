/** SeparableConv2D, DepthwiseConv2D and Conv2DTranspose: Conv2D's arguments, other weights and shapes. */
import { thousands } from '../number-format';
import {
  activationOf,
  channelsLastOnlyArg,
  lastDim,
  requireChannelsDefined,
  kernelPairArg,
  noDilationArg,
  outputActivationArg,
  pair,
  paddingArg,
  positiveInt,
  require3d,
  stridesPairArg,
  useBiasArg,
  weightArgs,
  weightsAndBiases,
  windowShape,
} from './common';
import type { LayerArgs } from '../types';
import type { ArgDef, Dim, LayerDef, ShapeResult } from './layer-def';
import { deconvLength, sumOf } from './layer-shapes';

const depthMultiplier: ArgDef = { schema: positiveInt('Depthwise output channels per input channel.'), default: 1 };
/** The arguments SeparableConv2D and DepthwiseConv2D share, in Keras's order (after SeparableConv2D's filters). */
const depthwiseArgs: Record<string, ArgDef> = {
  kernel_size: kernelPairArg,
  strides: stridesPairArg,
  padding: paddingArg,
  depth_multiplier: depthMultiplier,
  activation: outputActivationArg,
  use_bias: useBiasArg,
  data_format: channelsLastOnlyArg,
  dilation_rate: noDilationArg,
};

/** Height and width of a depthwise layer's output (its kernel_size window, dilation 1) with `channels` channels. */
function depthwiseShape(type: string, input: readonly Dim[], args: LayerArgs, channels: number): ShapeResult {
  return (
    require3d(type, input) ??
    requireChannelsDefined(input, input[2]) ??
    windowShape(
      type,
      input,
      pair(args.kernel_size, 1),
      pair(args.strides, 1),
      String(args.padding),
      channels,
      'kernel_size',
    )
  );
}

export const SeparableConv2D: LayerDef = {
  type: 'SeparableConv2D',
  defaultName: 'separable_conv2d',
  doc: 'A depthwise convolution (one window per input channel) followed by a 1×1 pointwise convolution to `filters` channels.',
  positionalArgs: ['filters', 'kernel_size', 'strides', 'padding'],
  args: {
    filters: { schema: positiveInt('Number of output channels.') },
    ...depthwiseArgs,
    ...weightArgs({ depthwise: 'glorot_uniform', pointwise: 'glorot_uniform', bias: 'zeros' }),
  },
  required: ['filters', 'kernel_size'],
  outputShape: (input, args) => depthwiseShape('SeparableConv2D', input, args, args.filters as number),
  params: (input, args) => {
    const [kh, kw] = pair(args.kernel_size, 1);
    const c = lastDim(input);
    const m = args.depth_multiplier as number;
    const filters = args.filters as number;
    const parts: [number, string][] = [
      [kh * kw * c * m, `depthwise (${kh} × ${kw} × ${thousands(c)} × ${m})`],
      [c * m * filters, `pointwise (${thousands(c * m)} × ${thousands(filters)})`],
    ];
    if (args.use_bias !== false) parts.push([filters, 'biases']);
    return sumOf(parts);
  },
  activationOf,
};

export const DepthwiseConv2D: LayerDef = {
  type: 'DepthwiseConv2D',
  defaultName: 'depthwise_conv2d',
  doc: 'Convolves each input channel with its own depth_multiplier windows; channels do not mix.',
  positionalArgs: ['kernel_size', 'strides', 'padding', 'depth_multiplier'],
  args: {
    ...depthwiseArgs,
    ...weightArgs({ depthwise: 'glorot_uniform', bias: 'zeros' }),
  },
  required: ['kernel_size'],
  outputShape: (input, args) =>
    depthwiseShape('DepthwiseConv2D', input, args, (input[2] ?? 0) * (args.depth_multiplier as number)),
  params: (input, args) => {
    const [kh, kw] = pair(args.kernel_size, 1);
    const m = args.depth_multiplier as number;
    return weightsAndBiases([kh, kw, lastDim(input), m], lastDim(input) * m, args.use_bias !== false);
  },
  activationOf,
};

export const Conv2DTranspose: LayerDef = {
  type: 'Conv2DTranspose',
  defaultName: 'conv2d_transpose',
  doc: 'Transposed convolution ("deconvolution"): grows height and width by the strides, e.g. to upsample in a decoder.',
  positionalArgs: ['filters', 'kernel_size', 'strides', 'padding'],
  args: {
    filters: { schema: positiveInt('Number of output channels.') },
    kernel_size: kernelPairArg,
    strides: stridesPairArg,
    padding: paddingArg,
    activation: outputActivationArg,
    use_bias: useBiasArg,
    output_padding: {
      schema: {
        type: 'null',
        description: "Extra rows/columns on one side of the output: Model Lab computes Keras's default (None) only.",
      },
      default: null,
    },
    data_format: channelsLastOnlyArg,
    dilation_rate: noDilationArg,
    ...weightArgs({ kernel: 'glorot_uniform', bias: 'zeros' }),
  },
  required: ['filters', 'kernel_size'],
  outputShape: (input, args) => {
    const bad = require3d('Conv2DTranspose', input) ?? requireChannelsDefined(input, input[2]);
    if (bad) return bad;
    const [kh, kw] = pair(args.kernel_size, 1);
    const [sh, sw] = pair(args.strides, 1);
    const padding = String(args.padding);
    return {
      shape: [deconvLength(input[0], kh, sh, padding), deconvLength(input[1], kw, sw, padding), args.filters as number],
    };
  },
  params: (input, args) => {
    const [kh, kw] = pair(args.kernel_size, 1);
    const filters = args.filters as number;
    return weightsAndBiases([kh, kw, filters, lastDim(input)], filters, args.use_bias !== false);
  },
  activationOf,
};
