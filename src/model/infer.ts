/**
 * Walks the layers in order (a graph definition: in topological order, see graph.ts): resolved names, input and
 * output shapes, parameter counts. Inference stops at the first layer whose shape cannot be known (an invalid or
 * unknown layer, a shape error) — in a graph, at the layers that depend on it — because every later shape would be a
 * guess.
 */
import { ACTIVATIONS } from './activations';
import { datasetExampleShape, datasetName, isNumpyDataset } from './datasets';
import { MAX_PARAMS, declaredInputShape, product } from './layers/common';
import { argsWithDefaults, layerDef } from './layers/registry';
import type { Dim, ShapeResult } from './layers/layer-def';
import { isGraph, resolveGraph, type Graph } from './graph';
import { notInGraph } from './layers/merge';
import { keyRangeFor, pathDiagnostics } from './paths';
import type { Diagnostic, LayerSpec, ModelDefinition, Shape, SourceRanges } from './types';

/**
 * Keras constructor arguments that Model Lab reads (shapes and summaries are exact) but that training here does
 * not carry, each with why, when its value differs from what training does anyway. Arguments tfjs cannot run at
 * all (grouped or dilated Conv2D, stateful RNNs, activity regularizers) are refused by the trainer with a sentence.
 */
const TRAINING_IGNORES: Readonly<Record<string, (v: unknown) => string | undefined>> = {
  seed: (v) => (v === null ? undefined : "random draws come from the run's seed, so runs stay reproducible"),
  dtype: (v) => (v === 'float32' ? undefined : 'it computes in float32'),
  batch_size: () => "the batch size is fit's batch_size",
};

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
  /** `trainable=False` on the layer (Keras 2's summary prints `N` for it even without weights). */
  frozen?: true;
  /** Non-trainable int64 values among the parameters (ParamCount.int64). */
  int64?: number;
  /** `784 × 100 weights + 100 biases = 78,500`; empty when unknown. */
  arithmetic: string;
  activation?: string;
  activationDoc?: string;
  /** One line about the layer type. */
  doc: string;
  /** Merge layers: every input's shape (inputShape holds the first). */
  inputShapes?: Shape[];
  /** Merge layers: how the output shape follows from the inputs, for the hover. */
  mergeExplain?: string;
}

export interface Inference {
  layers: LayerInfo[];
  /** One example's input shape; null where a dimension is variable (None). */
  inputShape?: Dim[];
  /** Every layer has shapes and parameters. */
  complete: boolean;
  diagnostics: Diagnostic[];
  /** Present for a graph (functional) definition whose references resolve. */
  graph?: Graph;
}

/** Keras's default names: snake_case type plus a per-type counter, counted only for layers without a `name`. */
export function layerNames(layers: readonly LayerSpec[]): string[] {
  const counters = new Map<string, number>();
  return layers.map((l) => {
    if (l && typeof l.name === 'string' && l.name !== '') return l.name;
    const base = layerDef(String(l?.type))?.defaultName ?? snakeCase(String(l?.type ?? 'layer'));
    const n = counters.get(base) ?? 0;
    counters.set(base, n + 1);
    // Keras numbers inputs from 1 (input_1, input_2) and every other layer from none (dense, dense_1).
    if (l?.type === 'InputLayer') return `${base}_${n + 1}`;
    return n === 0 ? base : `${base}_${n}`;
  });
}

function snakeCase(type: string): string {
  return type.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** `blocked` holds `layers[i]` paths that already have errors; they stop inference without a second message. */
export function inferLayers(def: ModelDefinition, ranges: SourceRanges, blocked: ReadonlySet<number>): Inference {
  const { diagnostics, at, push: error } = pathDiagnostics(ranges);
  const specs = Array.isArray(def.layers) ? def.layers : [];
  const names = layerNames(specs);

  const seenNames = new Map<string, number>();
  names.forEach((name, i) => {
    const first = seenNames.get(name);
    if (first !== undefined) {
      error(
        `layers[${i}]`,
        `Layer name '${name}' is already used by layers[${first}]; Keras needs unique layer names.`,
        'duplicate-name',
        'error',
        at(specs[i]?.name !== undefined ? `layers[${i}].name` : `layers[${i}].type`),
      );
    } else seenNames.set(name, i);
  });

  specs.forEach((spec, i) => {
    if (!spec || typeof spec !== 'object') return;
    for (const [key, ignored] of Object.entries(TRAINING_IGNORES)) {
      const v = (spec as Record<string, unknown>)[key];
      const why = v !== undefined ? ignored(v) : undefined;
      if (why)
        error(
          `layers[${i}].${key}`,
          `Model Lab ignores ${key} when it trains here: ${why}.`,
          'ignored-in-training',
          'information',
          keyRangeFor(ranges, `layers[${i}].${key}`),
        );
    }
  });

  specs.forEach((spec, i) => {
    for (const key of ['input_shape', 'batch_input_shape', 'input_dim']) {
      // An Embedding's input_dim is its vocabulary size, an argument of its own.
      if (key === 'input_dim' && spec?.type === 'Embedding') continue;
      if (i > 0 && spec && typeof spec === 'object' && key in spec) {
        error(
          `layers[${i}].${key}`,
          `${key} only counts on the first layer; Keras ignores it on layers[${i}], so remove it.`,
          'input-shape-ignored',
          'warning',
          keyRangeFor(ranges, `layers[${i}].${key}`),
        );
      }
    }
  });

  const layers: LayerInfo[] = specs.map((spec, i) => {
    const type = spec && typeof spec === 'object' ? String(spec.type ?? '') : '';
    const d = layerDef(type);
    const activation = d ? d.activationOf?.(argsWithDefaults(d, spec)) : undefined;
    return {
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
  });
  let totalParams = 0;
  /** The layer whose parameters take the model past what can be trained, and the argument to blame. */
  let overLimit: { index: number; path: string } | undefined;

  /** Shapes and parameters of layer i from its input shapes; undefined (and a diagnostic) when they cannot be known. */
  const step = (i: number, ins: Dim[][]): Dim[] | undefined => {
    const spec = specs[i];
    const info = layers[i];
    const d = layerDef(info.type);
    if (!d || blocked.has(i)) return undefined;
    const args = argsWithDefaults(d, spec);
    let result: ShapeResult;
    if (d.merge) {
      if (ins.length < d.merge.min || (d.merge.max !== undefined && ins.length > d.merge.max)) {
        const want = d.merge.max === d.merge.min ? `exactly ${d.merge.min}` : `at least ${d.merge.min}`;
        error(
          `layers[${i}].inputs`,
          `${info.type} merges ${want} inputs but gets ${ins.length}; list them in "inputs".`,
          'merge-inputs',
        );
        return undefined;
      }
      result = d.merge.outputShape(ins, args);
      if ('shape' in result) info.mergeExplain = d.merge.explain(ins, args);
    } else if (ins.length !== 1) {
      error(
        `layers[${i}].inputs`,
        `${info.type} takes one input but "inputs" names ${ins.length}; merge them first with a layer such as Add or Concatenate.`,
        'merge-inputs',
      );
      return undefined;
    } else {
      result = d.outputShape(ins[0], args);
    }
    if ('error' in result) {
      error(`layers[${i}].${result.arg ?? 'type'}`, result.error, 'shape');
      return undefined;
    }
    const out = result.shape;
    // A None dimension has no size to count; the known ones still bound what one example holds.
    const values = product(out.filter((d): d is number => d !== null));
    if (!Number.isSafeInteger(values) || values > MAX_PARAMS) {
      error(
        sizePath(spec, i),
        `Layer '${names[i]}' would output ${countText(values)} values per example, far beyond what can be trained here; reduce ${sizeHint(spec)}.`,
        'too-large',
      );
      return undefined;
    }
    // A merge's weights (if any) come from all its inputs; other layers' from their one input.
    const params = d.merge?.params ? d.merge.params(ins, args) : d.params(ins[0], args);
    info.inputShape = [null, ...ins[0]];
    if (ins.length > 1) info.inputShapes = ins.map((s) => [null, ...s]);
    info.outputShape = [null, ...out];
    const frozen = spec.trainable === false;
    info.trainable = frozen ? 0 : params.trainable;
    info.nonTrainable = params.nonTrainable + (frozen ? params.trainable : 0);
    info.params = params.trainable + params.nonTrainable;
    if (frozen) info.frozen = true;
    info.arithmetic = params.arithmetic;
    if (params.int64) info.int64 = params.int64;
    if (info.activation === 'softmax' && out[out.length - 1] === 1) {
      error(
        `layers[${i}].${spec.activation !== undefined ? 'activation' : 'type'}`,
        `softmax over a single unit always outputs 1, so this layer cannot learn; use 'sigmoid' for one output unit, or give it one unit per class.`,
        'softmax-single-unit',
        'warning',
      );
    }
    totalParams += info.params;
    if (!overLimit && !(Number.isSafeInteger(totalParams) && totalParams <= MAX_PARAMS))
      overLimit = { index: i, path: sizePath(spec, i) };
    return out;
  };

  let complete: boolean;
  let inputShape: Dim[] | undefined;
  let graph: Graph | undefined;
  if (isGraph(def)) {
    const resolved = resolveGraph(def, names);
    for (const p of resolved.problems) error(p.path, p.message, p.code, p.severity);
    graph = resolved.graph;
    complete = graph !== undefined;
    if (graph) {
      const outs = new Map<number, Dim[]>();
      for (const i of graph.topological) {
        let out: Dim[] | undefined;
        if (specs[i]?.type === 'InputLayer') {
          out = inputLayerShape(def, specs[i], i, blocked, error);
          if (out) {
            layers[i].inputShape = [null, ...out];
            layers[i].outputShape = [null, ...out];
            layers[i].arithmetic = 'no weights';
          }
        } else {
          const ins = graph.inbound[i].map((j) => outs.get(j));
          out = ins.every((x): x is Dim[] => x !== undefined) ? step(i, ins) : undefined;
        }
        if (out) outs.set(i, out);
        else complete = false;
      }
      checkEmbeddingInputs(def, specs, graph.inbound, error);
      const first = graph.inputs[0];
      inputShape = first !== undefined ? outs.get(first) : undefined;
    }
  } else {
    let shape = firstInputShape(def, specs, blocked, error);
    inputShape = shape ? [...shape] : undefined;
    complete = shape !== undefined;
    specs.forEach((spec, i) => {
      if (i > 0 && spec?.type === 'InputLayer') {
        error(
          `layers[${i}].type`,
          'An InputLayer can only be the first layer of a layer list; for a model with several inputs, use the graph form ("inputs" on the layers that take them).',
          'graph-input',
        );
        shape = undefined;
      }
      if (!shape) {
        complete = false;
        return;
      }
      if (i === 0 && spec?.type === 'InputLayer') {
        layers[0].inputShape = [null, ...shape];
        layers[0].outputShape = [null, ...shape];
        layers[0].arithmetic = 'no weights';
        return;
      }
      if (layerDef(layers[i].type)?.merge) {
        error(`layers[${i}].type`, notInGraph(layers[i].type), 'merge-inputs');
        shape = undefined;
      } else shape = step(i, [shape]);
      if (!shape) complete = false;
    });
    checkEmbeddingInputs(
      def,
      specs,
      specs.map((_, i) => (i === 0 ? [] : [i - 1])),
      error,
    );
  }
  if (overLimit) {
    // Reported once, at the layer that crosses the limit, with the whole model's count (as a summary would total it).
    error(
      overLimit.path,
      `This model would have ${countText(totalParams)} parameters, far beyond what can be trained here; reduce ${sizeHint(specs[overLimit.index])}.`,
      'too-large',
    );
    complete = false;
  }
  return { layers, inputShape, complete, diagnostics, graph };
}

/** Datasets whose examples are pixel values, not token ids. */
const IMAGE_DATASETS: ReadonlySet<string> = new Set(['fashion-mnist', 'fashion-mnist-sample', 'mnist', 'cifar10']);

const TOKEN_ID_LAYERS = new Set(['TextVectorization', 'StringLookup', 'IntegerLookup']);

const givesTokenIds = (spec: LayerSpec | undefined): boolean =>
  !!spec && TOKEN_ID_LAYERS.has(String(spec.type)) && (spec.output_mode ?? 'int') === 'int';

/**
 * An Embedding looks up integer token ids. Fed the float output of another layer, or pixel values scaled to [0, 1],
 * it truncates every value to an id (nearly all 0) and learns nothing, without any error from Keras.
 */
function checkEmbeddingInputs(
  def: ModelDefinition,
  specs: readonly LayerSpec[],
  inbound: number[][],
  error: (path: string, message: string, code: string, severity?: Diagnostic['severity']) => void,
): void {
  const ds = def.dataset;
  const dsName = datasetName(ds);
  specs.forEach((spec, i) => {
    if (spec?.type !== 'Embedding') return;
    // The text and lookup layers give token ids (their default output_mode 'int'), as an Embedding wants.
    const from = inbound[i].filter((j) => specs[j]?.type !== 'InputLayer' && !givesTokenIds(specs[j]));
    if (from.length > 0) {
      const source = specs[from[0]];
      error(
        `layers[${i}].type`,
        `Embedding looks up integer token ids, but here it is fed the float output of ${String(source?.type)}; put the Embedding first, right after the input.`,
        'embedding-floats',
        'warning',
      );
    } else if (dsName && IMAGE_DATASETS.has(dsName)) {
      error(
        `layers[${i}].type`,
        `Embedding looks up integer token ids, but '${dsName}' gives pixel values scaled to [0, 1] (all ids would be 0); use a text dataset of token ids, or Flatten/Conv2D for images.`,
        'embedding-floats',
        'warning',
      );
    }
  });
}

/** An InputLayer's shape: `shape`, `input_shape`, or the dataset's. */
function inputLayerShape(
  def: ModelDefinition,
  spec: LayerSpec,
  i: number,
  blocked: ReadonlySet<number>,
  error: (path: string, message: string, code: string) => void,
): Dim[] | undefined {
  if (blocked.has(i)) return undefined;
  const given = (spec.shape ?? spec.input_shape) as unknown;
  if (Array.isArray(given)) return validShape(given) ? [...given] : undefined;
  const fromData = datasetExampleShape(def.dataset);
  if (fromData) return fromData;
  error(
    `layers[${i}].type`,
    'The InputLayer needs "shape" (e.g. [28, 28]), or the definition a "dataset" that fixes it.',
    'no-input-shape',
  );
  return undefined;
}

/** An input shape's dimensions: positive sizes, or null for a variable one (None). */
function validShape(dims: unknown[]): dims is Dim[] {
  return dims.every((d) => d === null || (Number.isInteger(d) && (d as number) > 0));
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

/** The input shape the first layer (or InputLayer) is given, as written. */
const givenInputShape = (first: LayerSpec): unknown =>
  first.type === 'InputLayer' ? (first.shape ?? first.input_shape) : declaredInputShape(first);

/** A first layer without one takes the dataset's example shape; Keras 2's Embedding any length: `(None,)`. */
const impliedInputShape = (def: ModelDefinition, first: LayerSpec): Dim[] | undefined =>
  datasetExampleShape(def.dataset) ?? (first.type === 'Embedding' ? [null] : undefined);

/**
 * Nothing gives the model its input shape (code 'no-input-shape'): Keras builds such a model on the data it is
 * first called on, which a `.model.json` does not have (an error there) and a Python front end may not follow.
 */
export function lacksInputShape(def: ModelDefinition): boolean {
  const first = Array.isArray(def.layers) ? def.layers[0] : undefined;
  if (!first || typeof first !== 'object' || isGraph(def)) return false;
  return givenInputShape(first) === undefined && !impliedInputShape(def, first);
}

function firstInputShape(
  def: ModelDefinition,
  specs: readonly LayerSpec[],
  blocked: ReadonlySet<number>,
  error: (path: string, message: string, code: string) => void,
): Dim[] | undefined {
  const first = specs[0];
  if (!first || typeof first !== 'object') return undefined;
  const given = givenInputShape(first);
  if (given !== undefined) {
    // A malformed input_shape already has its schema error.
    const ok = Array.isArray(given) && given.length > 0 && validShape(given);
    return ok && !blocked.has(-1) ? [...given] : undefined;
  }
  const implied = impliedInputShape(def, first);
  if (implied) return implied;
  if (blocked.has(0)) return undefined; // the first layer's own error comes first
  const typePath = 'layers[0].type';
  const ds = def.dataset;
  const dsName = datasetName(ds);
  if (ds && typeof ds === 'object' && ds.csv !== undefined) {
    error(
      typePath,
      `The first layer needs "input_shape": a CSV dataset's shape is only known once the file is read; add e.g. "input_shape": [4] for four feature columns.`,
      'no-input-shape',
    );
  } else if (ds && typeof ds === 'object' && isNumpyDataset(ds)) {
    error(
      typePath,
      `The first layer needs "input_shape": a NumPy dataset's shape is only known once the file is read; add the shape of one example, e.g. "input_shape": [28, 28] for x of shape (n, 28, 28).`,
      'no-input-shape',
    );
  } else if (dsName === 'imdb' || dsName === 'reuters') {
    error(
      typePath,
      `The first layer needs "input_shape", or the dataset "maxlen": ${dsName}'s sequences are padded to that length (e.g. { "name": "${dsName}", "num_words": 10000, "maxlen": 200 }).`,
      'no-input-shape',
    );
  } else {
    error(
      typePath,
      `The first layer needs "input_shape" (e.g. [28, 28]), or the definition a "dataset" such as "fashion-mnist" that fixes it.`,
      'no-input-shape',
    );
  }
  return undefined;
}
