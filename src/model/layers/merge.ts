/**
 * The merge layers of Keras's functional API: element-wise (Add, Subtract, Multiply, Average, Maximum, Minimum;
 * shapes must agree, dimensions of 1 broadcast), Concatenate (along an axis) and Dot. None has weights.
 */
import { NO_PARAMS } from './common';
import type { Dim, LayerDef, MergeRule, ShapeResult } from './layer-def';
import { dimText, shown } from './layer-shapes';

const list = (inputs: readonly (readonly Dim[])[]) => inputs.map(shown).join(', ');

/** Keras's _Merge._compute_elemwise_op_output_shape, folded over the inputs. */
function broadcast(type: string, inputs: readonly (readonly Dim[])[]): ShapeResult {
  let out = [...inputs[0]];
  for (const next of inputs.slice(1)) {
    const [long, short] = out.length >= next.length ? [out, next] : [[...next], out];
    const head = long.slice(0, long.length - short.length);
    const tail = long.slice(long.length - short.length);
    const merged: Dim[] = [];
    for (let i = 0; i < short.length; i++) {
      const a = tail[i];
      const b = short[i];
      // Keras: a None on either side leaves the dimension None (it is checked when the model runs).
      if (a === null || b === null) {
        merged.push(null);
        continue;
      }
      if (a !== b && a !== 1 && b !== 1) {
        return {
          error: `${type} needs inputs of the same shape but gets ${list(inputs)}; make them agree (e.g. a Dense or Conv layer with matching units/filters on one branch).`,
          arg: 'inputs',
        };
      }
      merged.push(a === 1 ? b : a);
    }
    out = [...head, ...merged];
  }
  return { shape: out };
}

function elementwise(type: string, defaultName: string, op: string, min = 2, max?: number): LayerDef {
  const rule: MergeRule = {
    min,
    max,
    outputShape: (inputs) => broadcast(type, inputs),
    explain: (inputs) => {
      const r = broadcast(type, inputs);
      return 'shape' in r
        ? `${op} of ${inputs.length} inputs ${list(inputs)}, value by value: the output keeps their shape ${shown(r.shape)}.`
        : r.error;
    },
  };
  return {
    type,
    defaultName,
    doc: `Merges its inputs by ${op}, value by value; the inputs must have the same shape. No weights.`,
    positionalArgs: [],
    args: {},
    required: [],
    outputShape: () => ({ error: notInGraph(type), arg: 'type' }),
    params: () => NO_PARAMS,
    merge: rule,
  };
}

export const notInGraph = (type: string): string =>
  `${type} merges several inputs, so it only works in a graph model: give it "inputs": ["a", "b"] naming the layers it merges.`;

export const Add = elementwise('Add', 'add', 'the sum');
export const Subtract = elementwise('Subtract', 'subtract', 'the difference (first minus second)', 2, 2);
export const Multiply = elementwise('Multiply', 'multiply', 'the product');
export const Average = elementwise('Average', 'average', 'the mean');
export const Maximum = elementwise('Maximum', 'maximum', 'the maximum');
export const Minimum = elementwise('Minimum', 'minimum', 'the minimum');

/** Axis `axis` (negative from the end, batch axis 0) of a shape without its batch dimension, or undefined. */
function axisIndex(axis: number, rank: number): number | undefined {
  const full = axis < 0 ? rank + 1 + axis : axis;
  return full >= 1 && full <= rank ? full - 1 : undefined;
}

function concatenate(inputs: readonly (readonly Dim[])[], axis: number): ShapeResult {
  const rank = inputs[0].length;
  const at = axisIndex(axis, rank);
  if (at === undefined || inputs.some((s) => s.length !== rank)) {
    return {
      error: `Concatenate needs inputs of the same rank with axis ${axis} among their axes, but gets ${list(inputs)}.`,
      arg: 'axis',
    };
  }
  for (const s of inputs) {
    if (s.some((d, i) => i !== at && d !== null && inputs[0][i] !== null && d !== inputs[0][i])) {
      return {
        error: `Concatenate along axis ${axis} needs the other dimensions equal, but gets ${list(inputs)}.`,
        arg: 'inputs',
      };
    }
  }
  // Keras: a None among the joined sizes makes the joined axis None; elsewhere the first known size is kept.
  const out = inputs[0].map((d, i) => d ?? inputs.find((s) => s[i] !== null)?.[i] ?? null);
  out[at] = inputs.some((s) => s[at] === null) ? null : inputs.reduce((a, s) => a + (s[at] as number), 0);
  return { shape: out };
}

export const Concatenate: LayerDef = {
  type: 'Concatenate',
  defaultName: 'concatenate',
  doc: 'Joins its inputs along one axis (the last by default); the other dimensions must agree. No weights.',
  positionalArgs: ['axis'],
  args: {
    axis: {
      schema: {
        type: 'integer',
        not: { const: 0 },
        minimum: -16,
        maximum: 16,
        description: 'Axis to join along; -1 is the last.',
      },
      default: -1,
    },
  },
  required: [],
  outputShape: () => ({ error: notInGraph('Concatenate'), arg: 'type' }),
  params: () => NO_PARAMS,
  merge: {
    min: 2,
    outputShape: (inputs, args) => concatenate(inputs, args.axis as number),
    explain: (inputs, args) => {
      const r = concatenate(inputs, args.axis as number);
      if (!('shape' in r)) return r.error;
      const at = axisIndex(args.axis as number, inputs[0].length)!;
      return `Joins ${list(inputs)} along axis ${args.axis as number}: ${inputs.map((s) => dimText(s[at])).join(' + ')} = ${dimText(r.shape[at])}, so the output is ${shown(r.shape)}.`;
    },
  },
};

function dot(inputs: readonly (readonly Dim[])[], axes: unknown): ShapeResult {
  const [a, b] = inputs;
  const [xa, xb] = Array.isArray(axes) ? [Number(axes[0]), Number(axes[1])] : [Number(axes), Number(axes)];
  const ia = axisIndex(xa, a.length);
  const ib = axisIndex(xb, b.length);
  if (ia === undefined || ib === undefined)
    return { error: `Dot axes ${JSON.stringify(axes)} are not axes of ${list(inputs)}.`, arg: 'axes' };
  if (a[ia] !== null && b[ib] !== null && a[ia] !== b[ib]) {
    return {
      error: `Dot needs the reduced dimensions equal, but axis ${xa} of ${shown(a)} is ${a[ia]} and axis ${xb} of ${shown(b)} is ${b[ib]}.`,
      arg: 'axes',
    };
  }
  const out = [...a.filter((_, i) => i !== ia), ...b.filter((_, i) => i !== ib)];
  return { shape: out.length === 0 ? [1] : out };
}

export const Dot: LayerDef = {
  type: 'Dot',
  defaultName: 'dot',
  doc: 'Dot product of two inputs along the given axes (with normalize, the cosine similarity). No weights.',
  positionalArgs: ['axes', 'normalize'],
  args: {
    axes: {
      schema: {
        description: 'The axis (or [axis of the first, axis of the second]) to multiply and sum over.',
        oneOf: [
          { type: 'integer', not: { const: 0 }, minimum: -16, maximum: 16 },
          {
            type: 'array',
            items: { type: 'integer', not: { const: 0 }, minimum: -16, maximum: 16 },
            minItems: 2,
            maxItems: 2,
          },
        ],
      },
    },
    normalize: {
      schema: { type: 'boolean', description: 'L2-normalise both inputs first (cosine similarity).' },
      default: false,
    },
  },
  required: ['axes'],
  outputShape: () => ({ error: notInGraph('Dot'), arg: 'type' }),
  params: () => NO_PARAMS,
  merge: {
    min: 2,
    max: 2,
    outputShape: (inputs, args) => dot(inputs, args.axes),
    explain: (inputs, args) => {
      const r = dot(inputs, args.axes);
      return 'shape' in r
        ? `Multiplies ${list(inputs)} along axes ${JSON.stringify(args.axes)} and sums: the reduced axis disappears, leaving ${shown(r.shape)}.`
        : r.error;
    },
  },
};

export const MERGE_LAYERS: readonly LayerDef[] = [Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot];
