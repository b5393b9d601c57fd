import { thousands } from '../number-format';
import { lastDim, learnedNormalization, normalizationArgs, requireLastDefined } from './common';
import type { LayerDef } from './layer-def';

export const LayerNormalization: LayerDef = {
  type: 'LayerNormalization',
  defaultName: 'layer_normalization',
  doc: 'Normalises each example over its last axis (mean 0, variance 1), then scales by gamma and shifts by beta; no moving statistics.',
  positionalArgs: ['axis', 'epsilon', 'center', 'scale'],
  args: {
    axis: {
      schema: { type: 'integer', const: -1, description: 'Axis to normalise; Model Lab supports the last axis (-1).' },
      default: -1,
    },
    ...normalizationArgs,
  },
  required: [],
  outputShape: (input) => requireLastDefined('LayerNormalization', input) ?? { shape: [...input] },
  params: (input, args) => {
    const c = lastDim(input);
    const learned = learnedNormalization(args);
    const n = learned.length * c;
    return {
      trainable: n,
      nonTrainable: 0,
      arithmetic: learned.length
        ? `${learned.map((p) => `${thousands(c)} ${p}`).join(' + ')} = ${thousands(n)}`
        : 'no weights',
    };
  },
};
