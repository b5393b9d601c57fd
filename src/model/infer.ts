/**
 * Walks the layers in order: resolved names, input and output shapes, parameter counts. Inference stops at the
 * first layer whose shape cannot be known (an invalid or unknown layer, a shape error), because every later shape
 * would be a guess.
 */
import { ACTIVATIONS } from './activations';
import { datasetExampleShape, isNumpyDataset } from './datasets';
import { MAX_PARAMS, declaredInputShape, product } from './layers/common';
import { COMMON_ARGS, layerDef } from './layers/registry';
import type { LayerDef } from './layers/layer-def';
import { keyRangeFor, rangeFor } from './paths';
import { ZERO_RANGE } from './text-lines';
import type { Diagnostic, LayerArgs, LayerSpec, ModelDefinition, Range, Shape, SourceRanges } from './types';

export interface LayerInfo {
  index: number;
  /** The name Keras would give it: the user's `name`, else `dense`, `dense_1`, … */
  name: string;
  type: string;
  /** Absent once inference has stopped (an earlier problem). */
  inputShape?: Shape;
  outputShape?: Shape;
  params: number;
  trainable: number;
  nonTrainable: number;
  /** `784 × 100 weights + 100 biases = 78,500`; empty when unknown. */
  arithmetic: string;
  activation?: string;
  activationDoc?: string;
  /** One line about the layer type. */
  doc: string;
}

export interface Inference {
  layers: LayerInfo[];
  inputShape?: number[];
  /** Every layer has shapes and parameters. */
  complete: boolean;
  diagnostics: Diagnostic[];
}

/** Keras's default names: snake_case type plus a per-type counter, counted only for layers without a `name`. */
export function layerNames(layers: readonly LayerSpec[]): string[] {
  const counters = new Map<string, number>();
  return layers.map((l) => {
    if (l && typeof l.name === 'string' && l.name !== '') return l.name;
    const base = layerDef(String(l?.type))?.defaultName ?? snakeCase(String(l?.type ?? 'layer'));
    const n = counters.get(base) ?? 0;
    counters.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  });
}

function snakeCase(type: string): string {
  return type.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** `blocked` holds `layers[i]` paths that already have errors; they stop inference without a second message. */
export function inferLayers(def: ModelDefinition, ranges: SourceRanges, blocked: ReadonlySet<number>): Inference {
  const diagnostics: Diagnostic[] = [];
  const specs = Array.isArray(def.layers) ? def.layers : [];
  const names = layerNames(specs);
  const at = (path: string): Range => rangeFor(ranges, path) ?? ZERO_RANGE;
  const error = (path: string, message: string, code: string, severity: Diagnostic['severity'] = 'error', range = at(path)) =>
    diagnostics.push({ range, severity, message, code, path });

  const seenNames = new Map<string, number>();
  names.forEach((name, i) => {
    const first = seenNames.get(name);
    if (first !== undefined) {
      error(`layers[${i}]`, `Layer name '${name}' is already used by layers[${first}]; Keras needs unique layer names.`, 'duplicate-name', 'error', at(specs[i]?.name !== undefined ? `layers[${i}].name` : `layers[${i}].type`));
    } else seenNames.set(name, i);
  });

  specs.forEach((spec, i) => {
    for (const key of ['input_shape', 'batch_input_shape', 'input_dim']) {
      if (i > 0 && spec && typeof spec === 'object' && key in spec) {
        error(`layers[${i}].${key}`, `${key} only counts on the first layer; Keras ignores it on layers[${i}], so remove it.`, 'input-shape-ignored', 'warning', keyRangeFor(ranges, `layers[${i}].${key}`));
      }
    }
  });

  let shape = firstInputShape(def, specs, blocked, error);
  const inputShape = shape ? [...shape] : undefined;
  const layers: LayerInfo[] = [];
  let complete = shape !== undefined;
  let totalParams = 0;
  /** The layer whose parameters take the model past what can be trained, and the argument to blame. */
  let overLimit: { index: number; path: string } | undefined;
  specs.forEach((spec, i) => {
    const type = spec && typeof spec === 'object' ? String(spec.type ?? '') : '';
    const d = layerDef(type);
    const args = d ? withDefaults(d, spec) : {};
    const activation = d?.activationOf?.(args);
    const info: LayerInfo = {
      index: i,
      name: names[i],
      type,
      params: 0,
      trainable: 0,
      nonTrainable: 0,
      arithmetic: '',
      doc: d?.doc ?? '',
      activation,
      activationDoc: activation ? ACTIVATIONS[activation]?.doc : undefined,
    };
    layers.push(info);
    if (!shape || !d || blocked.has(i)) {
      shape = undefined;
      complete = false;
      return;
    }
    const result = d.outputShape(shape, args);
    if ('error' in result) {
      error(`layers[${i}].${result.arg ?? 'type'}`, result.error, 'shape');
      shape = undefined;
      complete = false;
      return;
    }
    const out = result.shape;
    const values = product(out);
    if (!Number.isSafeInteger(values) || values > MAX_PARAMS) {
      error(sizePath(spec, i), `Layer '${names[i]}' would output ${countText(values)} values per example, far beyond what can be trained here; reduce ${sizeHint(spec)}.`, 'too-large');
      shape = undefined;
      complete = false;
      return;
    }
    const params = d.params(shape, args);
    info.inputShape = [null, ...shape];
    info.outputShape = [null, ...out];
    const frozen = spec.trainable === false;
    info.trainable = frozen ? 0 : params.trainable;
    info.nonTrainable = params.nonTrainable + (frozen ? params.trainable : 0);
    info.params = params.trainable + params.nonTrainable;
    info.arithmetic = params.arithmetic;
    if (activation === 'softmax' && out[out.length - 1] === 1) {
      error(`layers[${i}].activation`, `softmax over a single unit always outputs 1, so this layer cannot learn; use 'sigmoid' for one output unit, or give it one unit per class.`, 'softmax-single-unit', 'warning');
    }
    totalParams += info.params;
    if (!overLimit && !(Number.isSafeInteger(totalParams) && totalParams <= MAX_PARAMS)) overLimit = { index: i, path: sizePath(spec, i) };
    shape = out;
  });
  if (overLimit) {
    // Reported once, at the layer that crosses the limit, with the whole model's count (as a summary would total it).
    error(overLimit.path, `This model would have ${countText(totalParams)} parameters, far beyond what can be trained here; reduce ${sizeHint(specs[overLimit.index])}.`, 'too-large');
    complete = false;
  }
  return { layers, inputShape, complete, diagnostics };
}

const SIZE_ARGS = ['units', 'filters', 'kernel_size'];

/** Where a too-large layer is underlined: the first argument that sets its size, else its input_shape or type. */
function sizePath(spec: LayerSpec, i: number): string {
  const arg = SIZE_ARGS.find((a) => spec[a] !== undefined);
  if (arg) return `layers[${i}].${arg}`;
  if (i === 0 && spec.input_shape !== undefined) return 'layers[0].input_shape';
  return `layers[${i}].type`;
}

/** The settings that make a layer that large: "filters, kernel_size or input_shape". */
function sizeHint(spec: LayerSpec | undefined): string {
  const args = [...SIZE_ARGS.filter((a) => spec?.[a] !== undefined), 'input_shape'];
  return args.length === 1 ? args[0] : `${args.slice(0, -1).join(', ')} or ${args[args.length - 1]}`;
}

/** `1.2e+13`; a count past float range has no digits to show. */
function countText(n: number): string {
  return Number.isFinite(n) ? n.toExponential(1) : 'more than 1e+308';
}

function withDefaults(d: LayerDef, spec: LayerSpec): LayerArgs {
  const args: LayerArgs = {};
  for (const [k, a] of Object.entries({ ...d.args, ...COMMON_ARGS })) if (a.default !== undefined) args[k] = a.default;
  return { ...args, ...spec };
}

function firstInputShape(
  def: ModelDefinition,
  specs: readonly LayerSpec[],
  blocked: ReadonlySet<number>,
  error: (path: string, message: string, code: string) => void,
): number[] | undefined {
  const first = specs[0];
  if (!first || typeof first !== 'object') return undefined;
  const given = declaredInputShape(first);
  if (given !== undefined) {
    // A malformed input_shape already has its schema error.
    const ok = Array.isArray(given) && given.length > 0 && given.every((d) => Number.isInteger(d) && d > 0);
    return ok && !blocked.has(-1) ? [...given] : undefined;
  }
  const fromData = datasetExampleShape(def.dataset);
  if (fromData) return fromData;
  if (blocked.has(0)) return undefined; // the first layer's own error comes first
  const typePath = 'layers[0].type';
  const ds = def.dataset;
  const dsName = typeof ds === 'string' ? ds : ds && typeof ds === 'object' ? ds.name : undefined;
  if (ds && typeof ds === 'object' && ds.csv !== undefined) {
    error(typePath, `The first layer needs "input_shape": a CSV dataset's shape is only known once the file is read; add e.g. "input_shape": [4] for four feature columns.`, 'no-input-shape');
  } else if (ds && typeof ds === 'object' && isNumpyDataset(ds)) {
    error(typePath, `The first layer needs "input_shape": a NumPy dataset's shape is only known once the file is read; add the shape of one example, e.g. "input_shape": [28, 28] for x of shape (n, 28, 28).`, 'no-input-shape');
  } else if (dsName === 'imdb' || dsName === 'reuters') {
    error(typePath, `The first layer needs "input_shape", or the dataset "maxlen": ${dsName}'s sequences are padded to that length (e.g. { "name": "${dsName}", "num_words": 10000, "maxlen": 200 }).`, 'no-input-shape');
  } else {
    error(typePath, `The first layer needs "input_shape" (e.g. [28, 28]), or the definition a "dataset" such as "fashion-mnist" that fixes it.`, 'no-input-shape');
  }
  return undefined;
}
