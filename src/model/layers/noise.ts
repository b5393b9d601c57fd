/** Regularising layers active only while training: spatial and alpha dropout, Gaussian noise. No weights. */
import { NO_PARAMS, channelsLastOnlyArg, require3d, seedArg } from './common';
import { Dropout } from './dropout';
import type { Dim, LayerDef } from './layer-def';
import { rateArg, requireSequence } from './layer-shapes';

const same = (input: readonly Dim[]) => ({ shape: [...input] });

export const SpatialDropout1D: LayerDef = {
  type: 'SpatialDropout1D',
  defaultName: 'spatial_dropout1d',
  doc: 'While training, drops whole channels of a (steps, channels) sequence at once, rather than single values; no weights.',
  positionalArgs: ['rate'],
  args: { rate: rateArg('channels'), seed: seedArg },
  required: ['rate'],
  outputShape: (input) => requireSequence('SpatialDropout1D', input, 'conv1d') ?? same(input),
  params: () => NO_PARAMS,
};

export const SpatialDropout2D: LayerDef = {
  type: 'SpatialDropout2D',
  defaultName: 'spatial_dropout2d',
  doc: 'While training, drops whole feature maps (channels) of an image at once, rather than single pixels; no weights.',
  positionalArgs: ['rate'],
  args: { rate: rateArg('channels'), data_format: channelsLastOnlyArg, seed: seedArg },
  required: ['rate'],
  outputShape: (input) => require3d('SpatialDropout2D', input) ?? same(input),
  params: () => NO_PARAMS,
};

export const GaussianNoise: LayerDef = {
  type: 'GaussianNoise',
  defaultName: 'gaussian_noise',
  doc: 'While training, adds zero-mean Gaussian noise of standard deviation stddev; no weights.',
  positionalArgs: ['stddev'],
  args: {
    stddev: { schema: { type: 'number', minimum: 0, description: 'Standard deviation of the noise.' } },
    seed: seedArg,
  },
  required: ['stddev'],
  outputShape: same,
  params: () => NO_PARAMS,
};

export const AlphaDropout: LayerDef = {
  type: 'AlphaDropout',
  defaultName: 'alpha_dropout',
  doc: "While training, sets a fraction `rate` of its inputs to SELU's negative saturation value and rescales so the mean and variance stay those of the input (for self-normalizing networks, with 'selu' and 'lecun_normal'); no weights.",
  positionalArgs: ['rate', 'noise_shape', 'seed'],
  args: {
    rate: rateArg('values'),
    noise_shape: Dropout.args.noise_shape,
    seed: seedArg,
  },
  required: ['rate'],
  outputShape: same,
  params: () => NO_PARAMS,
};

export const GaussianDropout: LayerDef = {
  type: 'GaussianDropout',
  defaultName: 'gaussian_dropout',
  doc: 'While training, multiplies each value by Gaussian noise of mean 1 and variance rate / (1 − rate); no weights.',
  positionalArgs: ['rate'],
  args: { rate: rateArg('values (as a dropout rate)'), seed: seedArg },
  required: ['rate'],
  outputShape: same,
  params: () => NO_PARAMS,
};
