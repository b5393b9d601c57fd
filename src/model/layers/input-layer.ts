import { NO_PARAMS, dimItem } from './common';
import type { LayerDef } from './layer-def';

/**
 * The model's input (`keras.Input(shape=…)`). In a layer list it fixes the input shape as `input_shape` does and
 * Keras leaves it out of a Sequential summary; in a graph model it is a row of its own and the start of a branch.
 */
export const InputLayer: LayerDef = {
  type: 'InputLayer',
  defaultName: 'input',
  doc: 'The model input: the shape of one example without the batch dimension; no weights.',
  positionalArgs: ['shape'],
  args: {
    shape: {
      schema: {
        type: 'array',
        items: dimItem,
        minItems: 1,
        description:
          'Shape of one example without the batch dimension, e.g. [28, 28]; null for a variable size (None).',
      },
    },
    dtype: {
      schema: {
        type: 'string',
        enum: ['float32', 'int32'],
        description: "'float32' (values) or 'int32' (token ids for an Embedding).",
      },
      default: 'float32',
    },
  },
  required: [],
  outputShape: (input) => ({ shape: [...input] }),
  params: () => NO_PARAMS,
};
