import { NO_PARAMS, require3d } from './common';
import type { LayerDef } from './layer-def';

export const GlobalAveragePooling2D: LayerDef = {
  type: 'GlobalAveragePooling2D',
  defaultName: 'global_average_pooling2d',
  doc: 'Averages each channel over the whole height × width, giving one value per channel; no weights.',
  positionalArgs: [],
  args: {},
  required: [],
  outputShape: (input) => require3d('GlobalAveragePooling2D', input) ?? { shape: [input[2]] },
  params: () => NO_PARAMS,
};
