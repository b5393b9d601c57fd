import { formatShape } from '../number-format';
import { MAX_SIZE, NO_PARAMS, isKnown, product } from './common';
import type { LayerDef } from './layer-def';

export const Reshape: LayerDef = {
  type: 'Reshape',
  defaultName: 'reshape',
  doc: 'Rearranges each example into `target_shape` (same number of values); no weights.',
  positionalArgs: ['target_shape'],
  args: {
    target_shape: {
      schema: {
        type: 'array',
        items: { type: 'integer', minimum: -1, maximum: MAX_SIZE, not: { const: 0 } },
        minItems: 1,
        description:
          'Shape of one example after the layer, without the batch dimension, e.g. [28, 28, 1]; one -1 is inferred.',
      },
    },
  },
  required: ['target_shape'],
  outputShape: (input, args) => {
    const target = args.target_shape as number[];
    const unknown = target.filter((d) => d === -1).length;
    if (unknown > 1) return { error: 'Reshape target_shape may contain at most one -1.', arg: 'target_shape' };
    // Keras: an input with a None dimension has no size to check against; its -1 becomes None.
    if (!isKnown(input)) return { shape: target.map((d) => (d === -1 ? null : d)) };
    const size = product(input);
    const known = product(target.filter((d) => d !== -1));
    const from = `${formatShape([null, ...input])} holds ${size} values per example`;
    if (unknown === 1) {
      if (size % known !== 0) {
        return {
          error: `Reshape cannot infer the -1 in [${target.join(', ')}]: ${from}, not a multiple of ${known}.`,
          arg: 'target_shape',
        };
      }
      return { shape: target.map((d) => (d === -1 ? size / known : d)) };
    }
    if (known !== size) {
      return {
        error: `Reshape to [${target.join(', ')}] needs ${known} values per example but ${from}; the products must match.`,
        arg: 'target_shape',
      };
    }
    return { shape: [...target] };
  },
  params: () => NO_PARAMS,
};
