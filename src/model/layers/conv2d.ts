import {
  activationOf,
  channelsFirst,
  lastDim,
  requireChannelsDefined,
  outputActivationArg,
  dataFormatArg,
  dilatedWindow,
  fromChannelsLast,
  groupsError,
  intOrPair,
  kernelPairArg,
  pair,
  paddingArg,
  positiveInt,
  require3d,
  stridesPairArg,
  toChannelsLast,
  useBiasArg,
  weightArgs,
  weightsAndBiases,
  windowShape,
} from './common';
import type { LayerDef } from './layer-def';

export const Conv2D: LayerDef = {
  type: 'Conv2D',
  defaultName: 'conv2d',
  doc: 'Slides `filters` learned kernel_size windows over a (height, width, channels) input, one output channel per filter.',
  positionalArgs: [
    'filters',
    'kernel_size',
    'strides',
    'padding',
    'data_format',
    'dilation_rate',
    'groups',
    'activation',
    'use_bias',
  ],
  args: {
    filters: { schema: positiveInt('Number of filters (output channels).') },
    kernel_size: kernelPairArg,
    strides: stridesPairArg,
    padding: paddingArg,
    activation: outputActivationArg,
    use_bias: useBiasArg,
    data_format: dataFormatArg,
    dilation_rate: {
      schema: intOrPair(
        'Spacing between the kernel’s taps (atrous convolution): an integer or [vertical, horizontal].',
      ),
      default: 1,
    },
    groups: {
      schema: positiveInt(
        'Number of groups the input channels are split into, each convolved with filters / groups filters.',
      ),
      default: 1,
    },
    ...weightArgs({ kernel: 'glorot_uniform', bias: 'zeros' }),
  },
  required: ['filters', 'kernel_size'],
  outputShape: (input, args) => {
    const hwc = toChannelsLast(input, args);
    const filters = args.filters as number;
    const [kh, kw] = pair(args.kernel_size, 1);
    const [dh, dw] = pair(args.dilation_rate ?? 1, 1);
    const window = [dilatedWindow(kh, dh), dilatedWindow(kw, dw)];
    return (
      require3d('Conv2D', input) ??
      requireChannelsDefined(input, hwc[2], channelsFirst(args) ? 1 : -1) ??
      groupsError('Conv2D', Number(args.groups ?? 1), hwc[2] as number, filters) ??
      fromChannelsLast(
        windowShape(
          'Conv2D',
          hwc,
          window,
          pair(args.strides, 1),
          String(args.padding ?? 'valid'),
          filters,
          'kernel_size',
          [dh, dw],
        ),
        args,
      )
    );
  },
  params: (input, args) => {
    const [kh, kw] = pair(args.kernel_size, 1);
    const filters = args.filters as number;
    const channels = lastDim(toChannelsLast(input, args)) / Number(args.groups ?? 1);
    return weightsAndBiases([kh, kw, channels, filters], filters, args.use_bias !== false);
  },
  activationOf,
};
