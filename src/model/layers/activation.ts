import { NO_PARAMS, activationArg, activationOf } from './common';
import type { LayerDef } from './layer-def';

export const Activation: LayerDef = {
  type: 'Activation',
  defaultName: 'activation',
  doc: 'Applies an activation function element-wise; no weights.',
  positionalArgs: ['activation'],
  args: { activation: activationArg('The activation function to apply.') },
  required: ['activation'],
  outputShape: (input) => ({ shape: [...input] }),
  params: () => NO_PARAMS,
  activationOf,
};
