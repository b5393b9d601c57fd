/** MaxPooling2D and AveragePooling2D differ only in what they compute, not in shapes or arguments. */
import {
  NO_PARAMS,
  dataFormatArg,
  fromChannelsLast,
  intOrPair,
  pair,
  paddingArg,
  require3d,
  toChannelsLast,
  windowShape,
} from './common';
import type { LayerDef } from './layer-def';

function pooling(type: string, defaultName: string, doc: string): LayerDef {
  return {
    type,
    defaultName,
    doc,
    positionalArgs: ['pool_size', 'strides', 'padding', 'data_format'],
    args: {
      pool_size: { schema: intOrPair('Window size: an integer or [height, width].'), default: 2 },
      strides: {
        schema: intOrPair('Step of the window: an integer or [vertical, horizontal]; pool_size when omitted.', true),
        default: null,
      },
      padding: paddingArg,
      data_format: dataFormatArg,
    },
    required: [],
    outputShape: (input, args) => {
      const size = pair(args.pool_size ?? 2, 2);
      const strides = args.strides === undefined || args.strides === null ? size : pair(args.strides, 1);
      const hwc = toChannelsLast(input, args);
      return (
        require3d(type, input) ??
        fromChannelsLast(
          windowShape(type, hwc, size, strides, String(args.padding ?? 'valid'), hwc[2], 'pool_size'),
          args,
        )
      );
    },
    params: () => NO_PARAMS,
  };
}

export const MaxPooling2D = pooling(
  'MaxPooling2D',
  'max_pooling2d',
  'Keeps the largest value of each pool_size window per channel, shrinking height and width; no weights.',
);
export const AveragePooling2D = pooling(
  'AveragePooling2D',
  'average_pooling2d',
  'Averages each pool_size window per channel, shrinking height and width; no weights.',
);
