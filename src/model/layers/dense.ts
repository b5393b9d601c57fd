import {
  activationOf,
  lastDim,
  outputActivationArg,
  positiveInt,
  requireLastDefined,
  useBiasArg,
  weightArgs,
  weightsAndBiases,
} from './common';
import type { LayerDef } from './layer-def';

export const Dense: LayerDef = {
  type: 'Dense',
  defaultName: 'dense',
  doc: 'Fully connected layer: every output unit is a weighted sum of all inputs plus a bias, then the activation.',
  // Keras's constructor order: `Dense(64, 'relu')` is valid Keras (courses write it so).
  positionalArgs: [
    'units',
    'activation',
    'use_bias',
    'kernel_initializer',
    'bias_initializer',
    'kernel_regularizer',
    'bias_regularizer',
    'activity_regularizer',
    'kernel_constraint',
    'bias_constraint',
  ],
  args: {
    units: { schema: positiveInt('Number of output units (neurons).') },
    activation: outputActivationArg,
    use_bias: useBiasArg,
    ...weightArgs({ kernel: 'glorot_uniform', bias: 'zeros' }),
  },
  required: ['units'],
  // Keras applies Dense to the last axis, so (None, 28, 28) stays 3-D.
  // Other axes may be None (sequences of any length); the kernel needs the last one's size.
  outputShape: (input, args) =>
    requireLastDefined('Dense', input) ?? { shape: [...input.slice(0, -1), args.units as number] },
  params: (input, args) =>
    weightsAndBiases([lastDim(input), args.units as number], args.units as number, args.use_bias !== false),
  activationOf,
};
