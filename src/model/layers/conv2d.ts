import { activationArg, activationOf, intOrPair, pair, paddingArg, positiveInt, require3d, useBiasArg, weightsAndBiases, windowShape } from './common';
import type { LayerDef } from './layer-def';

export const Conv2D: LayerDef = {
  type: 'Conv2D',
  defaultName: 'conv2d',
  doc: 'Slides `filters` learned kernel_size windows over a (height, width, channels) input, one output channel per filter.',
  positionalArgs: ['filters', 'kernel_size', 'strides', 'padding'],
  args: {
    filters: { schema: positiveInt('Number of filters (output channels).') },
    kernel_size: { schema: intOrPair('Height and width of the convolution window: an integer or [height, width].') },
    strides: { schema: intOrPair('Step of the window: an integer or [vertical, horizontal].'), default: 1 },
    padding: paddingArg,
    activation: activationArg('Activation applied to the output; none (linear) when omitted.', 'linear'),
    use_bias: useBiasArg,
  },
  required: ['filters', 'kernel_size'],
  outputShape: (input, args) =>
    require3d('Conv2D', input) ??
    windowShape('Conv2D', input, pair(args.kernel_size, 1), pair(args.strides, 1), String(args.padding ?? 'valid'), args.filters as number, 'kernel_size'),
  params: (input, args) => {
    const [kh, kw] = pair(args.kernel_size, 1);
    const filters = args.filters as number;
    return weightsAndBiases([kh, kw, input[input.length - 1], filters], filters, args.use_bias !== false);
  },
  activationOf,
};
