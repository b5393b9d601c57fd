/** Argument schemas and shape arithmetic several layers share. */
import { ACTIVATIONS, ACTIVATION_NAMES } from '../activations';
import { formatShape, thousands } from '../number-format';
import type { LayerArgs } from '../types';
import type { ArgDef, JsonSchema, ParamCount, ShapeResult } from './layer-def';

/**
 * Upper bound of any one size (units, filters, a window side, an input dimension). Far beyond what trains on one
 * machine, yet small enough that shapes and parameter counts of sane models stay exact integers.
 */
export const MAX_SIZE = 1_000_000;

/**
 * Most parameters a model may have: 1e10 float32 weights are 40 GB before the optimizer's slots, far past any
 * machine Model Lab runs on, and still an exact integer.
 */
export const MAX_PARAMS = 1e10;

export const positiveInt = (description: string, maximum = MAX_SIZE): JsonSchema => ({ type: 'integer', minimum: 1, maximum, description });

export const positiveIntItem: JsonSchema = { type: 'integer', minimum: 1, maximum: MAX_SIZE };

/** Keras's `int or tuple of 2 ints` (kernel_size, strides, pool_size). */
export const intOrPair = (description: string, nullable = false): JsonSchema => ({
  description,
  oneOf: [
    positiveIntItem,
    { type: 'array', items: positiveIntItem, minItems: 2, maxItems: 2 },
    ...(nullable ? [{ type: 'null' }] : []),
  ],
});

export const activationArg = (description: string, dflt?: string): ArgDef => ({
  schema: {
    type: 'string',
    title: 'activation',
    enum: [...ACTIVATION_NAMES],
    enumDescriptions: ACTIVATION_NAMES.map((a) => ACTIVATIONS[a].doc),
    description,
  },
  default: dflt,
});

export const paddingArg: ArgDef = {
  schema: {
    type: 'string',
    enum: ['valid', 'same'],
    enumDescriptions: ['No padding: the output shrinks by the window size minus one.', 'Zero padding so that output size = ceil(input / strides).'],
    description: "'valid' (no padding) or 'same' (pad so the output is ceil(input / strides)).",
  },
  default: 'valid',
};

export const useBiasArg: ArgDef = {
  schema: { type: 'boolean', description: 'Whether the layer adds a bias vector.' },
  default: true,
};

/** `3` → `[3, 3]`; `[3, 5]` stays. */
export function pair(v: unknown, dflt: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]];
  return [dflt, dflt];
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Output length of a sliding window along one axis, as Keras's conv_utils.conv_output_length (dilation 1). */
export function windowOutput(size: number, window: number, stride: number, padding: string): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

/** Requires (height, width, channels); the error suggests the Reshape that usually fixes it. */
export function require3d(type: string, input: readonly number[]): ShapeResult | undefined {
  if (input.length === 3) return undefined;
  const shown = formatShape([null, ...input]);
  const hint =
    input.length === 2
      ? ` add { "type": "Reshape", "target_shape": [${input[0]}, ${input[1]}, 1] } before it`
      : ' reshape the input to (height, width, channels) first';
  return { error: `${type} needs a 3-D input (height, width, channels) but gets ${shown};${hint}.`, arg: 'type' };
}

/** Shape of a 2-D sliding-window layer (Conv2D, pooling) with the error when a side would vanish. */
export function windowShape(
  type: string,
  input: readonly number[],
  window: [number, number],
  strides: [number, number],
  padding: string,
  channels: number,
  windowArg: string,
): ShapeResult {
  const [h, w] = input;
  const oh = windowOutput(h, window[0], strides[0], padding);
  const ow = windowOutput(w, window[1], strides[1], padding);
  if (oh < 1 || ow < 1) {
    return {
      error:
        `${type} would shrink its ${h}×${w} input to ${Math.max(oh, 0)}×${Math.max(ow, 0)}: ` +
        `the ${windowArg} ${window[0]}×${window[1]} is larger than the input; use a smaller ${windowArg} or padding 'same'.`,
      arg: windowArg,
    };
  }
  return { shape: [oh, ow, channels] };
}

export const NO_PARAMS: ParamCount = { trainable: 0, nonTrainable: 0, arithmetic: 'no weights' };

/** `784 × 100 weights + 100 biases = 78,500` (factors as given, with thousands separators). */
export function weightsAndBiases(factors: number[], biases: number, useBias: boolean): ParamCount {
  const weights = product(factors);
  const total = weights + (useBias ? biases : 0);
  const w = `${factors.map(thousands).join(' × ')} weights`;
  const b = useBias ? ` + ${thousands(biases)} biases` : '';
  return { trainable: total, nonTrainable: 0, arithmetic: `${w}${b} = ${thousands(total)}` };
}

export const activationOf = (args: LayerArgs): string | undefined =>
  typeof args.activation === 'string' ? args.activation : undefined;
