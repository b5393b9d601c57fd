import { thousands } from '../number-format';
import { initializerArg, lastDim, learnedNormalization, normalizationArgs, requireLastDefined } from './common';
import type { LayerDef } from './layer-def';

export const BatchNormalization: LayerDef = {
  type: 'BatchNormalization',
  defaultName: 'batch_normalization',
  doc: 'Normalises each channel with the batch mean and variance (moving averages at inference), then scales by gamma and shifts by beta.',
  positionalArgs: ['axis', 'momentum', 'epsilon', 'center', 'scale'],
  args: {
    axis: {
      schema: {
        type: 'integer',
        const: -1,
        description: 'Axis of the channels; Model Lab supports the last axis (-1).',
      },
      default: -1,
    },
    momentum: {
      schema: { type: 'number', minimum: 0, maximum: 1, description: 'Momentum of the moving mean and variance.' },
      default: 0.99,
    },
    ...normalizationArgs,
    moving_mean_initializer: initializerArg('the moving mean', 'zeros'),
    moving_variance_initializer: initializerArg('the moving variance', 'ones'),
  },
  required: [],
  outputShape: (input) => requireLastDefined('BatchNormalization', input) ?? { shape: [...input] },
  params: (input, args) => {
    const c = lastDim(input);
    const learned = learnedNormalization(args);
    const trainable = learned.length * c;
    const nonTrainable = 2 * c;
    const parts = [...learned, 'moving mean', 'moving variance'].map((p) => `${thousands(c)} ${p}`);
    return {
      trainable,
      nonTrainable,
      arithmetic: `${parts.join(' + ')} = ${thousands(trainable + nonTrainable)} (${thousands(nonTrainable)} non-trainable)`,
    };
  },
};
