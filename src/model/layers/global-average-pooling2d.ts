import { NO_PARAMS, dataFormatArg, require3d, toChannelsLast } from './common';
import type { LayerDef } from './layer-def';

export const GlobalAveragePooling2D: LayerDef = {
  type: 'GlobalAveragePooling2D',
  defaultName: 'global_average_pooling2d',
  doc: 'Averages each channel over the whole height × width, giving one value per channel; no weights.',
  positionalArgs: ['data_format', 'keepdims'],
  args: {
    data_format: dataFormatArg,
    keepdims: {
      schema: { type: 'boolean', description: 'Keep height and width as 1 × 1 instead of dropping them.' },
      default: false,
    },
  },
  required: [],
  outputShape: (input, args) => {
    const c = toChannelsLast(input, args)[2];
    const kept = args.data_format === 'channels_first' ? [c, 1, 1] : [1, 1, c];
    return require3d('GlobalAveragePooling2D', input) ?? { shape: args.keepdims === true ? kept : [c] };
  },
  params: () => NO_PARAMS,
};
