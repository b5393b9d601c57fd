import { NO_PARAMS, dataFormatArg, knownProduct } from './common';
import type { LayerDef } from './layer-def';

export const Flatten: LayerDef = {
  type: 'Flatten',
  defaultName: 'flatten',
  doc: 'Unrolls each example into one vector, e.g. a 28×28 image into 784 values; no weights.',
  positionalArgs: ['data_format'],
  args: { data_format: dataFormatArg },
  required: [],
  // A None dimension makes the flattened size None, as Keras computes it (a Dense after it then needs a fixed size).
  outputShape: (input) => ({ shape: [knownProduct(input)] }),
  params: () => NO_PARAMS,
};
