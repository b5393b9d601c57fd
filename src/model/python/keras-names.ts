/** The Keras names the Python front end reads, in their canonical spelling (see `canonical` in imports.ts). */
import { layerDef } from '../layers/registry';
import { optimizerDef } from '../optimizers';

/** Other class names Keras accepts for the same layer (Keras 3's `keras.layers` exports, keras/src/layers/). */
export const CLASS_ALIASES: Readonly<Record<string, string>> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  Convolution1DTranspose: 'Conv1DTranspose',
  Convolution2DTranspose: 'Conv2DTranspose',
  Convolution3DTranspose: 'Conv3DTranspose',
  SeparableConvolution1D: 'SeparableConv1D',
  SeparableConvolution2D: 'SeparableConv2D',
  MaxPool1D: 'MaxPooling1D',
  MaxPool2D: 'MaxPooling2D',
  MaxPool3D: 'MaxPooling3D',
  AvgPool1D: 'AveragePooling1D',
  AvgPool2D: 'AveragePooling2D',
  AvgPool3D: 'AveragePooling3D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  GlobalMaxPool3D: 'GlobalMaxPooling3D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalAvgPool3D: 'GlobalAveragePooling3D',
};

/**
 * Keras 3's names for a layer argument Keras 2 (and the definition) names otherwise: `LeakyReLU(negative_slope=0.2)`
 * is Keras 2's `alpha` (keras.io's DCGAN writes it so; the first positional argument is the same value either way).
 */
export const ARG_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  LeakyReLU: { negative_slope: 'alpha' },
};

/** The string arguments Keras lower-cases before checking them (`padding="VALID"` is 'valid', Keras 2 and 3 alike). */
export const LOWERCASED_ARGS: ReadonlySet<string> = new Set(['padding', 'data_format']);

/** Whether a canonical name is one the front end reads (to place star-imported names). */
export function knownKerasName(name: string): boolean {
  if (name === 'keras.Sequential' || name === 'keras.Input' || name === 'keras.layers.InputLayer') return true;
  const layer = /^keras\.layers\.(\w+)$/.exec(name);
  if (layer) return layerDef(CLASS_ALIASES[layer[1]] ?? layer[1]) !== undefined;
  const opt = /^keras\.optimizers\.(\w+)$/.exec(name);
  return opt ? optimizerDef(opt[1]) !== undefined : false;
}
