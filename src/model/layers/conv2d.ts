import {
  activationArg,
  activationOf,
  dataFormatArg,
  fromChannelsLast,
  intOrPair,
  pair,
  paddingArg,
  positiveInt,
  require3d,
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
    kernel_size: { schema: intOrPair('Height and width of the convolution window: an integer or [height, width].') },
    strides: { schema: intOrPair('Step of the window: an integer or [vertical, horizontal].'), default: 1 },
    padding: paddingArg,
    activation: activationArg('Activation applied to the output; none (linear) when omitted.', 'linear'),
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
    const groups = Number(args.groups ?? 1);
    const filters = args.filters as number;
    if (input.length === 3 && (hwc[2] % groups !== 0 || filters % groups !== 0)) {
      return {
        error: `Conv2D with groups=${groups} needs the input channels (${hwc[2]}) and filters (${filters}) to be multiples of ${groups}.`,
        arg: 'groups',
      };
    }
    // A dilated kernel covers (k - 1) × dilation + 1 input positions.
    const [kh, kw] = pair(args.kernel_size, 1);
    const [dh, dw] = pair(args.dilation_rate ?? 1, 1);
    const window: [number, number] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1];
    return (
      require3d('Conv2D', input) ??
      fromChannelsLast(
        windowShape(
          'Conv2D',
          hwc,
          window,
          pair(args.strides, 1),
          String(args.padding ?? 'valid'),
          filters,
          'kernel_size',
        ),
        args,
      )
    );
  },
  params: (input, args) => {
    const [kh, kw] = pair(args.kernel_size, 1);
    const filters = args.filters as number;
    const channels = toChannelsLast(input, args)[input.length - 1] / Number(args.groups ?? 1);
    return weightsAndBiases([kh, kw, channels, filters], filters, args.use_bias !== false);
  },
  activationOf,
};
