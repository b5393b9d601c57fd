/** Activations as layers (ReLU, LeakyReLU, PReLU, ELU, Softmax) and Rescaling. Only PReLU has weights. */
import { thousands } from '../number-format';
import { NO_PARAMS, product, weightArgs } from './common';
import type { Dim, LayerDef } from './layer-def';
import { shown } from './layer-shapes';

const same = (input: readonly Dim[]) => ({ shape: [...input] });
const num = (description: string, minimum?: number) => ({
  type: 'number',
  description,
  ...(minimum !== undefined ? { minimum } : {}),
});

export const ReLU: LayerDef = {
  type: 'ReLU',
  defaultName: 're_lu',
  doc: 'Rectified linear unit as a layer: max(x, 0), optionally capped at max_value; no weights.',
  positionalArgs: ['max_value', 'negative_slope', 'threshold'],
  args: {
    max_value: { schema: { ...num('Largest output; none when omitted.', 0) } },
    negative_slope: { schema: num('Slope below the threshold.', 0), default: 0 },
    threshold: { schema: num('Inputs below this are scaled by negative_slope.'), default: 0 },
  },
  required: [],
  outputShape: same,
  params: () => NO_PARAMS,
};

export const LeakyReLU: LayerDef = {
  type: 'LeakyReLU',
  defaultName: 'leaky_re_lu',
  doc: 'Leaky ReLU: x for x > 0, alpha · x below (Keras 2 default alpha 0.3); no weights.',
  positionalArgs: ['alpha'],
  args: { alpha: { schema: num('Slope for negative inputs.', 0), default: 0.3 } },
  required: [],
  outputShape: same,
  params: () => NO_PARAMS,
};

export const PReLU: LayerDef = {
  type: 'PReLU',
  defaultName: 'p_re_lu',
  doc: 'Parametric ReLU: like LeakyReLU but the negative slope is learned, one per input value (fewer with shared_axes).',
  positionalArgs: [],
  args: {
    shared_axes: {
      schema: {
        type: 'array',
        items: { type: 'integer', minimum: 1, maximum: 16 },
        minItems: 1,
        description: 'Axes (from 1) that share one slope, e.g. [1, 2] for one slope per channel of an image.',
      },
    },
    ...weightArgs({ alpha: 'zeros' }, false),
  },
  required: [],
  outputShape: (input, args) => {
    const shared = (args.shared_axes as number[] | undefined) ?? [];
    const bad = shared.find((a) => a > input.length);
    if (bad !== undefined)
      return {
        error: `PReLU shared_axes ${bad} does not exist in ${shown(input)} (axes count from 1).`,
        arg: 'shared_axes',
      };
    // One slope per value: every axis not shared must have a size (Keras's build needs them all).
    const variable = input.findIndex((d, i) => d === null && !shared.includes(i + 1));
    if (variable >= 0)
      return {
        error: `PReLU learns one slope per input value, but axis ${variable + 1} of ${shown(input)} is None; share it with shared_axes=[${variable + 1}].`,
        arg: 'shared_axes',
      };
    return same(input);
  },
  params: (input, args) => {
    const shared = new Set((args.shared_axes as number[] | undefined) ?? []);
    const dims = input.map((d, i) => (shared.has(i + 1) ? 1 : (d ?? 1)));
    const n = product(dims);
    return { trainable: n, nonTrainable: 0, arithmetic: `${dims.map(thousands).join(' × ')} slopes = ${thousands(n)}` };
  },
};

export const ELU: LayerDef = {
  type: 'ELU',
  defaultName: 'elu',
  doc: 'Exponential linear unit as a layer: x for x > 0, alpha · (e^x − 1) below; no weights.',
  positionalArgs: ['alpha'],
  args: { alpha: { schema: num('Scale of the negative part.', 0), default: 1 } },
  required: [],
  outputShape: same,
  params: () => NO_PARAMS,
};

export const Softmax: LayerDef = {
  type: 'Softmax',
  defaultName: 'softmax',
  doc: 'Softmax as a layer: turns the last axis into probabilities that sum to 1; no weights.',
  positionalArgs: ['axis'],
  args: {
    axis: {
      schema: { type: 'integer', const: -1, description: 'Axis to normalise; Model Lab supports the last (-1).' },
      default: -1,
    },
  },
  required: [],
  outputShape: same,
  params: () => NO_PARAMS,
  // Loss defaults and the logits check read a layer's activation: a Softmax layer is one.
  activationOf: () => 'softmax',
};

export const Rescaling: LayerDef = {
  type: 'Rescaling',
  defaultName: 'rescaling',
  doc: 'Multiplies the input by `scale` and adds `offset`, e.g. scale 1/255 for pixels; no weights.',
  positionalArgs: ['scale', 'offset'],
  args: {
    scale: { schema: num('Factor applied to every value.') },
    offset: { schema: num('Added after scaling.'), default: 0 },
  },
  required: ['scale'],
  outputShape: same,
  params: () => NO_PARAMS,
};
