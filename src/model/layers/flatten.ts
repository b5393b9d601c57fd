import { NO_PARAMS, dataFormatArg, product } from './common';
import type { LayerDef } from './layer-def';

export const Flatten: LayerDef = {
  type: 'Flatten',
  defaultName: 'flatten',
  doc: 'Unrolls each example into one vector, e.g. a 28×28 image into 784 values; no weights.',
  positionalArgs: ['data_format'],
  args: { data_format: dataFormatArg },
  required: [],
  outputShape: (input) => ({ shape: [product(input)] }),
  params: () => NO_PARAMS,
};
