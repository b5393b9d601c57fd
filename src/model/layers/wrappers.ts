/**
 * Bidirectional and TimeDistributed: layers that run another layer (given as a layer object in `layer`). Their
 * shapes and weights are the wrapped layer's, doubled or applied per time step.
 */
import { thousands } from '../number-format';
import type { LayerArgs, LayerSpec } from '../types';
import type { JsonSchema, LayerDef, ParamCount, ShapeResult } from './layer-def';
import { shown } from './layer-shapes';
import { RECURRENT_TYPES } from './recurrent';
// registry.ts lists these wrappers; the lookups below run only when a model is analysed, after both modules load.
import { argsWithDefaults, layerDef } from './registry';

const layerArg = (description: string): { schema: JsonSchema } => ({
  schema: { $ref: '#/definitions/layer', description },
});

/** The wrapped layer's definition and its arguments with defaults, or why there is none. */
function inner(args: LayerArgs): { def: LayerDef; args: LayerArgs } | undefined {
  const spec = args.layer as LayerSpec | undefined;
  const def = spec && typeof spec === 'object' ? layerDef(String(spec.type)) : undefined;
  return def ? { def, args: argsWithDefaults(def, spec!) } : undefined;
}

const NO_INNER: ShapeResult = {
  error: 'The wrapped layer is missing or unknown; give "layer": { "type": "LSTM", "units": 64 }.',
  arg: 'layer',
};

export const Bidirectional: LayerDef = {
  type: 'Bidirectional',
  defaultName: 'bidirectional',
  doc: 'Runs a recurrent layer forwards and a copy backwards over the sequence and merges the two outputs (concatenated by default).',
  positionalArgs: ['layer', 'merge_mode'],
  args: {
    layer: layerArg('The recurrent layer to run both ways: SimpleRNN, LSTM or GRU.'),
    merge_mode: {
      schema: {
        type: 'string',
        enum: ['concat', 'sum', 'mul', 'ave'],
        description: "How the two directions combine: 'concat' doubles the units; 'sum', 'mul', 'ave' keep them.",
      },
      default: 'concat',
    },
  },
  required: ['layer'],
  wraps: 'layer',
  outputShape: (input, args) => {
    const w = inner(args);
    if (!w) return NO_INNER;
    if (!RECURRENT_TYPES.includes(w.def.type)) {
      return {
        error: `Bidirectional wraps a recurrent layer (SimpleRNN, LSTM or GRU), not ${w.def.type}.`,
        arg: 'layer',
      };
    }
    const r = w.def.outputShape(input, w.args);
    if ('error' in r) return { error: r.error.replace(w.def.type, `Bidirectional(${w.def.type})`), arg: 'layer' };
    const out = [...r.shape];
    const last = out[out.length - 1];
    if (args.merge_mode === 'concat' && last !== null) out[out.length - 1] = last * 2;
    return { shape: out };
  },
  params: (input, args): ParamCount => {
    const w = inner(args)!;
    const p = w.def.params(input, w.args);
    const n = 2 * (p.trainable + p.nonTrainable);
    return {
      trainable: 2 * p.trainable,
      nonTrainable: 2 * p.nonTrainable,
      arithmetic: `2 directions × (${w.def.type}: ${p.arithmetic}) = ${thousands(n)}`,
    };
  },
};

export const TimeDistributed: LayerDef = {
  type: 'TimeDistributed',
  defaultName: 'time_distributed',
  doc: 'Applies the same layer (same weights) to every time step of a sequence.',
  positionalArgs: ['layer'],
  args: { layer: layerArg('The layer applied at each time step, e.g. { "type": "Dense", "units": 10 }.') },
  required: ['layer'],
  wraps: 'layer',
  outputShape: (input, args) => {
    const w = inner(args);
    if (!w) return NO_INNER;
    if (input.length < 2)
      return { error: `TimeDistributed needs a sequence (batch, timesteps, …) but gets ${shown(input)}.`, arg: 'type' };
    const r = w.def.outputShape(input.slice(1), w.args);
    if ('error' in r)
      return {
        error: `TimeDistributed(${w.def.type}) on each step ${shown(input.slice(1))}: ${r.error}`,
        arg: 'layer',
      };
    return { shape: [input[0], ...r.shape] };
  },
  params: (input, args) => {
    const w = inner(args)!;
    const p = w.def.params(input.slice(1), w.args);
    return { ...p, arithmetic: `${w.def.type} on each step (shared): ${p.arithmetic}` };
  },
};
