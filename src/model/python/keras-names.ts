/** The Keras names the Python front end reads, in their canonical spelling (see `canonical` in imports.ts). */
import { layerDef } from '../layers/registry';
import { optimizerDef } from '../optimizers';

/** Other class names Keras accepts for the same layer. */
export const CLASS_ALIASES: Readonly<Record<string, string>> = {
  Convolution2D: 'Conv2D',
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
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
