/**
 * Keras's MultiHeadAttention: a layer called on a query and a value (and optionally a key; the value by default),
 * in a graph model only. Its four projections are EinsumDense layers: query, key and value each map their input's last
 * axis to (num_heads, key_dim) or (num_heads, value_dim), the output maps (num_heads, value_dim) back to the query's
 * last axis (or `output_shape`). Trained by Model Lab's own tfjs layer (`training/worker/attention-layer.ts`) over the
 * steps of (steps, features) inputs.
 */
import { thousands } from '../number-format';
import type { LayerArgs } from '../types';
import { dimItem, MAX_SIZE, positiveInt, product, weightArgs } from './common';
import type { Dim, LayerDef, ParamCount, ShapeResult } from './layer-def';
import { dimText, shown } from './layer-shapes';
import { notInGraph } from './merge';

const TYPE = 'MultiHeadAttention';

/** The output's trailing dimensions: `output_shape` (an int or a tuple), else the query's last axis. */
function outputDims(query: readonly Dim[], args: LayerArgs): number[] {
  const o = args.output_shape;
  if (typeof o === 'number') return [o];
  if (Array.isArray(o)) return o as number[];
  return [query[query.length - 1] as number];
}

function check(inputs: readonly (readonly Dim[])[]): ShapeResult | undefined {
  const [query, value, key = value] = inputs;
  for (const [role, s] of [
    ['query', query],
    ['value', value],
    ['key', key],
  ] as const) {
    if (s.length < 2)
      return {
        error: `${TYPE} needs its ${role} as (steps, features) or longer, but gets ${shown(s)}; attention runs over a sequence (or image) axis, so give it a sequence.`,
        arg: 'inputs',
      };
    if (s[s.length - 1] === null)
      return {
        error: `${TYPE} needs the last dimension of its ${role} to be known (its projection's kernel has that many rows), but gets ${shown(s)}.`,
        arg: 'inputs',
      };
  }
  const agree = (a: readonly Dim[], b: readonly Dim[]) =>
    a.length === b.length && a.slice(0, -1).every((d, i) => d === null || b[i] === null || d === b[i]);
  if (!agree(key, value))
    return {
      error: `${TYPE}'s key and value must have the same shape but for the last axis (one key per value), but get ${shown(key)} and ${shown(value)}.`,
      arg: 'inputs',
    };
  if (query.length !== value.length)
    return {
      error: `${TYPE}'s query and value must have the same rank, but get ${shown(query)} and ${shown(value)}.`,
      arg: 'inputs',
    };
  return undefined;
}

function outputShape(inputs: readonly (readonly Dim[])[], args: LayerArgs): ShapeResult {
  return check(inputs) ?? { shape: [...inputs[0].slice(0, -1), ...outputDims(inputs[0], args)] };
}

function params(inputs: readonly (readonly Dim[])[], args: LayerArgs): ParamCount {
  const [query, value, key = value] = inputs;
  const last = (s: readonly Dim[]) => s[s.length - 1] as number;
  const heads = args.num_heads as number;
  const keyDim = args.key_dim as number;
  const valueDim = (args.value_dim as number | undefined) ?? keyDim;
  const bias = args.use_bias !== false;
  const out = outputDims(query, args);
  const outSize = product(out);
  const parts: [string, number, string][] = [
    [
      'query',
      last(query) * heads * keyDim + (bias ? heads * keyDim : 0),
      `${thousands(last(query))} × ${heads} × ${keyDim}`,
    ],
    ['key', last(key) * heads * keyDim + (bias ? heads * keyDim : 0), `${thousands(last(key))} × ${heads} × ${keyDim}`],
    [
      'value',
      last(value) * heads * valueDim + (bias ? heads * valueDim : 0),
      `${thousands(last(value))} × ${heads} × ${valueDim}`,
    ],
    [
      'output',
      heads * valueDim * outSize + (bias ? outSize : 0),
      `${heads} × ${valueDim} × ${out.map(thousands).join(' × ')}`,
    ],
  ];
  const total = parts.reduce((a, [, n]) => a + n, 0);
  const biasText = (role: string) =>
    !bias
      ? ''
      : role === 'output'
        ? ` + ${thousands(outSize)}`
        : ` + ${heads} × ${role === 'value' ? valueDim : keyDim}`;
  return {
    trainable: total,
    nonTrainable: 0,
    arithmetic: `${parts.map(([role, n, w]) => `${role} ${w}${biasText(role)} = ${thousands(n)}`).join('; ')}: ${thousands(total)}`,
  };
}

export const MultiHeadAttention: LayerDef = {
  type: TYPE,
  defaultName: 'multi_head_attention',
  doc: 'Attention of each query position over the value positions, in num_heads heads of key_dim each: learned query, key, value and output projections (called as layer(query, value) or layer(query, value, key)).',
  positionalArgs: ['num_heads', 'key_dim', 'value_dim', 'dropout', 'use_bias', 'output_shape', 'attention_axes'],
  args: {
    num_heads: { schema: positiveInt('Number of attention heads.', 4096) },
    key_dim: { schema: positiveInt('Size of each head for query and key.') },
    value_dim: { schema: positiveInt('Size of each head for value; key_dim when not given.') },
    dropout: {
      schema: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'Dropout rate on the attention scores.' },
      default: 0,
    },
    use_bias: {
      schema: { type: 'boolean', description: 'Whether the four projections add biases.' },
      default: true,
    },
    output_shape: {
      schema: {
        description: "The output's last dimension(s); the query's last dimension when not given.",
        oneOf: [
          { type: 'integer', minimum: 1, maximum: MAX_SIZE },
          { type: 'array', items: { ...dimItem, type: 'integer' }, minItems: 1, maxItems: 4 },
        ],
      },
    },
    attention_axes: {
      schema: {
        description:
          'Axes attention runs over (all but batch, heads and features when not given); shapes do not depend on it.',
        oneOf: [
          { type: 'integer', minimum: -16, maximum: 16 },
          { type: 'array', items: { type: 'integer', minimum: -16, maximum: 16 }, minItems: 1, maxItems: 8 },
        ],
      },
    },
    seed: { schema: { type: 'integer', description: 'Seed of the attention dropout.' } },
    use_causal_mask: {
      schema: {
        type: 'boolean',
        description:
          'Each query step attends only to the steps up to its own (a decoder). Keras takes it when the layer is called; Model Lab keeps it with the layer.',
      },
      default: false,
    },
    flash_attention: {
      schema: {
        type: 'boolean',
        description: 'Keras 3: use flash attention where the backend has it; no effect on shapes.',
      },
    },
    ...weightArgs({ kernel: 'glorot_uniform', bias: 'zeros' }),
  },
  required: ['num_heads', 'key_dim'],
  callInputs: ['query', 'value', 'key'],
  callArgs: ['use_causal_mask'],
  outputShape: () => ({ error: notInGraph(TYPE), arg: 'type' }),
  params: () => ({ trainable: 0, nonTrainable: 0, arithmetic: '' }),
  merge: {
    min: 2,
    max: 3,
    outputShape,
    params,
    explain: (inputs, args) => {
      const r = outputShape(inputs, args);
      if (!('shape' in r)) return r.error;
      const [query, value] = inputs;
      const positions = (s: readonly Dim[]) => s.slice(0, -1).map(dimText).join(' × ');
      const features = r.shape
        .slice(query.length - 1)
        .map(dimText)
        .join(' × ');
      return `Each of the query's ${positions(query)} positions attends over the value's ${positions(value)} in ${args.num_heads as number} heads of ${args.key_dim as number}; the output keeps the query's positions, with ${features} features each: ${shown(r.shape)}.`;
    },
  },
  notTrained: (args) =>
    args.attention_axes != null
      ? 'Model Lab trains attention over the steps of a (steps, features) sequence only, not over attention_axes'
      : Array.isArray(args.output_shape)
        ? 'Model Lab trains an output_shape of one dimension only'
        : undefined,
};
