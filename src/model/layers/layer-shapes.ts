/** Shape rules the sequence, 1-D, transposed-convolution and reshaping layers share (beside common.ts's 2-D ones). */
import { formatShape, thousands } from '../number-format';
import type { ArgDef, Dim, JsonSchema, ParamCount, ShapeResult } from './layer-def';
import { positiveIntItem } from './common';

/** `(None, 28, 28)` for messages. */
export const shown = (input: readonly Dim[]): string => formatShape([null, ...input]);

/** A dimension as Python prints it in a shape: `None` for a variable one. */
export const dimText = (d: Dim): string => (d === null ? 'None' : String(d));

/** Rows × columns as one axis for a Reshape hint: None when either is variable. */
const merged = (a: Dim, b: Dim): string => (a === null || b === null ? '-1' : String(a * b));

/**
 * Requires a (timesteps, features) input, as recurrent and 1-D layers take; the message names the usual fix for
 * the input people actually give them (a flat vector, an image).
 */
export function requireSequence(type: string, input: readonly Dim[], what = 'recurrent'): ShapeResult | undefined {
  if (input.length === 2) return undefined;
  if (input.length === 1) {
    const fix =
      what === 'recurrent'
        ? ` put an Embedding before it for token ids, or a Reshape to [${input[0] ?? -1}, 1] for one feature per step`
        : ` add a Reshape to [${input[0] ?? -1}, 1] before it`;
    return {
      error: `${type} needs a 3-D input (batch, timesteps, features) but gets ${shown(input)};${fix}.`,
      arg: 'type',
    };
  }
  if (input.length === 3) {
    const fix =
      what === 'conv1d'
        ? ` for images use Conv2D, or Reshape to [${input[0] ?? -1}, ${merged(input[1], input[2])}] to treat rows as steps`
        : ` Reshape to [${input[0] ?? -1}, ${merged(input[1], input[2])}] to read the rows as time steps`;
    return {
      error: `${type} takes sequences (batch, timesteps, features) but gets the image-shaped ${shown(input)};${fix}.`,
      arg: 'type',
    };
  }
  return { error: `${type} needs a 3-D input (batch, timesteps, features) but gets ${shown(input)}.`, arg: 'type' };
}

/** Requires an input of exactly `rank` dimensions besides the batch. */
export function requireRank(type: string, input: readonly Dim[], rank: number, what: string): ShapeResult | undefined {
  if (input.length === rank) return undefined;
  return { error: `${type} needs ${what} but gets ${shown(input)}.`, arg: 'type' };
}

/** Keras's conv_utils.deconv_output_length without output_padding. */
export function deconvLength(size: Dim, window: number, stride: number, padding: string): Dim {
  if (size === null) return null;
  return padding === 'same' ? size * stride : size * stride + Math.max(window - stride, 0);
}

/** Keras's `int or tuple of 1 int` (Conv1D's kernel_size, strides, pool_size). */
export const intOrSingle = (description: string, nullable = false): JsonSchema => ({
  description,
  oneOf: [
    positiveIntItem,
    { type: 'array', items: positiveIntItem, minItems: 1, maxItems: 1 },
    ...(nullable ? [{ type: 'null' }] : []),
  ],
});

/** `3` or `[3]` → 3. */
export function single(v: unknown, dflt: number): number {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return dflt;
}

export const rateArg = (what: string): ArgDef => ({
  schema: {
    type: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    description: `Fraction of the ${what} to drop, 0 ≤ rate < 1.`,
  },
});

/** `a + b + … = total` for layers whose weights are several named parts (all trainable). */
export function sumOf(parts: [number, string][]): ParamCount {
  const total = parts.reduce((a, [n]) => a + n, 0);
  return {
    trainable: total,
    nonTrainable: 0,
    arithmetic: `${parts.map(([n, what]) => `${thousands(n)} ${what}`).join(' + ')} = ${thousands(total)}`,
  };
}
