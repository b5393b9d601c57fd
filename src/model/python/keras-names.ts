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

/** Whether a canonical name is one the front end reads (to place star-imported names). */
export function knownKerasName(name: string): boolean {
  if (name === 'keras.Sequential' || name === 'keras.Input' || name === 'keras.layers.InputLayer') return true;
  const layer = /^keras\.layers\.(\w+)$/.exec(name);
  if (layer) return layerDef(CLASS_ALIASES[layer[1]] ?? layer[1]) !== undefined;
  const opt = /^keras\.optimizers\.(\w+)$/.exec(name);
  return opt ? optimizerDef(opt[1]) !== undefined : false;
}
