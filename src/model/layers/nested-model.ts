/**
 * A whole model used as a layer (`model.add(conv_base)`, `keras.Sequential([encoder, decoder])`, `x = base(inputs)`):
 * `Sequential` holds a layer list, `Functional` a graph (layers naming their `inputs`, and `outputs`), as Keras
 * serialises them. Keras's summary shows it as one row, the inner model's name and class, its output shape and all
 * its parameters; the inner model's frozen layers (or `trainable: false` on the row) count as non-trainable.
 */
import { thousands } from '../number-format';
import type { LayerArgs, LayerSpec, ModelDefinition, Shape } from '../types';
import type { JsonSchema, LayerDef, ParamCount, ShapeResult } from './layer-def';
import { shown } from './layer-shapes';
import { nestedInputShape } from './common';
// infer.ts reaches this module through the registry; the inference below runs only when a model is analysed.
import { inferLayers, type Inference } from '../infer';

const layersArg = (description: string): { schema: JsonSchema } => ({
  schema: { type: 'array', minItems: 1, items: { $ref: '#/definitions/layer' }, description },
});

/** The inner model's inference for one input shape, kept per layer list (a model is analysed many times). */
const cache = new WeakMap<object, Map<string, Inference | string>>();

const EMPTY = { values: new Map(), keys: new Map() };

/** The inner model run on `input`: its inference, or why it cannot take that input. */
function innerModel(input: readonly number[], args: LayerArgs): Inference | string {
  const layers = args.layers;
  if (!Array.isArray(layers) || layers.length === 0) return 'the inner model has no layers';
  const key = `${args.type}|${input.join(',')}|${JSON.stringify(args.outputs ?? null)}`;
  let byShape = cache.get(layers);
  if (!byShape) cache.set(layers, (byShape = new Map()));
  const known = byShape.get(key);
  if (known !== undefined) return known;
  const result = runInner(input, args, layers as LayerSpec[]);
  byShape.set(key, result);
  return result;
}

function runInner(input: readonly number[], args: LayerArgs, layers: LayerSpec[]): Inference | string {
  const declared = nestedInputShape(args);
  if (declared !== undefined && !sameShape(declared, input))
    return `it takes inputs of shape ${shown(declared as number[])} but gets ${shown(input)}`;
  let def: ModelDefinition;
  if (args.type === 'Functional') {
    def = { layers, ...(args.outputs !== undefined ? { outputs: args.outputs as string | string[] } : {}) };
    if (def.outputs === undefined && !layers.some((l) => l && typeof l === 'object' && 'inputs' in l))
      return 'a Functional model needs layers naming their "inputs", or "outputs"';
  } else {
    // A Sequential model without an input shape of its own is built on the shape it is first called on.
    const first = layers[0];
    def = {
      layers:
        declared === undefined && first && typeof first === 'object' && first.type !== 'InputLayer'
          ? [{ ...first, input_shape: [...input] }, ...layers.slice(1)]
          : layers,
    };
  }
  const inference = inferLayers(def, EMPTY, new Set());
  const problem = inference.diagnostics.find((d) => d.severity === 'error');
  if (problem) return `${problem.path ? `${problem.path}: ` : ''}${problem.message}`;
  if (!inference.complete) return 'its layers’ shapes cannot be known';
  if (inference.graph && inference.graph.outputs.length !== 1)
    return 'a model with several outputs is not supported as a layer yet';
  return inference;
}

const sameShape = (a: unknown, b: readonly number[]) =>
  Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

function outputOf(inference: Inference): Shape | undefined {
  const out = inference.graph ? inference.graph.outputs[0] : inference.layers.length - 1;
  return out === undefined ? undefined : inference.layers[out]?.outputShape;
}

function nestedShape(input: readonly number[], args: LayerArgs): ShapeResult {
  const inner = innerModel(input, args);
  if (typeof inner === 'string')
    return { error: `The inner model ${modelName(args)} cannot be used here: ${inner}.`, arg: 'layers' };
  const out = outputOf(inner);
  if (!out) return { error: `The inner model ${modelName(args)} has no output shape.`, arg: 'layers' };
  return { shape: out.slice(1) as number[] };
}

function nestedParams(input: readonly number[], args: LayerArgs): ParamCount {
  const inner = innerModel(input, args);
  if (typeof inner === 'string') return { trainable: 0, nonTrainable: 0, arithmetic: '' };
  const counted = inner.layers.filter((l) => l.outputShape);
  const trainable = counted.reduce((a, l) => a + l.trainable, 0);
  const nonTrainable = counted.reduce((a, l) => a + l.nonTrainable, 0);
  const withWeights = counted.filter((l) => l.params > 0).length;
  return {
    trainable,
    nonTrainable,
    arithmetic: `the ${counted.length} layers of ${modelName(args)} (${withWeights} with weights) = ${thousands(trainable + nonTrainable)}; its own summary lists them`,
  };
}

const modelName = (args: LayerArgs) => (typeof args.name === 'string' ? `'${args.name}'` : `(${String(args.type)})`);

export const NestedSequential: LayerDef = {
  type: 'Sequential',
  defaultName: 'sequential',
  doc: 'A Sequential model used as one layer: its layers run in order, and its output shape and parameters are the whole inner model’s.',
  positionalArgs: ['layers'],
  args: { layers: layersArg('The inner model’s layers, in order, as in a definition’s "layers".') },
  required: ['layers'],
  outputShape: nestedShape,
  params: nestedParams,
};

export const NestedFunctional: LayerDef = {
  type: 'Functional',
  defaultName: 'model',
  doc: 'A functional model (keras.Model, or a keras.applications model) used as one layer: its output shape and parameters are the whole inner model’s.',
  positionalArgs: [],
  args: {
    layers: layersArg(
      'The inner model’s layers: an InputLayer, then layers naming their "inputs", as in a graph definition.',
    ),
    outputs: {
      schema: {
        description: 'The inner model’s output layer (its name); the last layer when omitted.',
        oneOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
        ],
      },
    },
  },
  required: ['layers'],
  outputShape: nestedShape,
  params: nestedParams,
};

/** Whether a layer spec is a whole model used as a layer. */
export const isNestedModel = (spec: unknown): spec is LayerSpec & { layers: LayerSpec[] } =>
  !!spec &&
  typeof spec === 'object' &&
  ((spec as LayerSpec).type === 'Sequential' || (spec as LayerSpec).type === 'Functional');
