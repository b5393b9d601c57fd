import { NO_PARAMS } from './common';
import type { LayerDef } from './layer-def';

export const Dropout: LayerDef = {
  type: 'Dropout',
  defaultName: 'dropout',
  doc: 'During training, sets a random fraction `rate` of its inputs to 0 (and scales the rest up) to curb overfitting; no weights.',
  positionalArgs: ['rate', 'noise_shape', 'seed'],
  args: {
    rate: {
      schema: {
        type: 'number',
        minimum: 0,
        exclusiveMaximum: 1,
        description: 'Fraction of the inputs to drop, 0 ≤ rate < 1.',
      },
    },
    noise_shape: {
      schema: {
        type: ['array', 'null'],
        items: { type: ['integer', 'null'], minimum: 1 },
        description:
          'Shape of the binary mask, with None (null) for the axes taken from the input, e.g. [null, 1, 1, 64] to drop whole channels.',
      },
    },
    seed: { schema: { type: ['integer', 'null'], description: 'Seed of the dropout mask.' } },
  },
  required: ['rate'],
  outputShape: (input) => ({ shape: [...input] }),
  params: () => NO_PARAMS,
};
