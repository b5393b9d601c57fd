import { thousands } from '../number-format';
import { positiveInt, weightArgs } from './common';
import type { LayerDef } from './layer-def';
import { shown } from './layer-shapes';

export const Embedding: LayerDef = {
  type: 'Embedding',
  defaultName: 'embedding',
  doc: 'Looks up a learned vector of output_dim values for each integer token id (0 ≤ id < input_dim).',
  positionalArgs: ['input_dim', 'output_dim'],
  args: {
    input_dim: { schema: positiveInt('Size of the vocabulary: the largest token id plus one.') },
    output_dim: { schema: positiveInt('Length of each embedding vector.') },
    mask_zero: {
      schema: {
        type: 'boolean',
        description:
          'Treat token id 0 as padding that later layers skip (the vocabulary then needs input_dim + 1 ids).',
      },
      default: false,
    },
    input_length: { schema: positiveInt('Length of the input sequences, when fixed (needed by a Flatten after it).') },
    ...weightArgs({ embeddings: 'uniform' }),
  },
  required: ['input_dim', 'output_dim'],
  outputShape: (input, args) => {
    const length = args.input_length as number | undefined;
    // Keras 2 checks input_length against a known length, and fills a None length with it.
    if (length !== undefined && input[0] === null)
      return { shape: [length, ...input.slice(1), args.output_dim as number] };
    if (length !== undefined && input[0] !== length) {
      return {
        error: `Embedding has input_length ${length} but its input is ${shown(input)}; make them agree.`,
        arg: 'input_length',
      };
    }
    return { shape: [...input, args.output_dim as number] };
  },
  params: (_input, args) => {
    const n = (args.input_dim as number) * (args.output_dim as number);
    return {
      trainable: n,
      nonTrainable: 0,
      arithmetic: `${thousands(args.input_dim as number)} × ${thousands(args.output_dim as number)} vectors = ${thousands(n)}`,
    };
  },
};
