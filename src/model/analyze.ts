/**
 * Everything the core can say about a parsed definition without training it: structural errors, shapes, parameter
 * counts, the Keras summary, loss/output mismatches, and the same for every comparison variant.
 */
import { formatShape } from './number-format';
import type { Graph } from './graph';
import { inferLayers, type LayerInfo } from './infer';
import { defaultLoss, lossMismatch, LOSSES, LOSS_NAMES, normalizeLoss } from './losses';
import { effectiveOptimizer, type EffectiveOptimizer } from './optimizers';
import { rangeFor } from './paths';
import { toModelSummary } from './summary-format';
import { compareRanges, ZERO_RANGE } from './text-lines';
import { validateStructure } from './validate';
import { checkVariants } from './variants';
import type { Diagnostic, ModelDefinition, ModelSummary, ParsedModel, Range, SourceRanges } from './types';

export type { LayerInfo } from './infer';

export interface Analysis {
  definition?: ModelDefinition;
  /** The parse diagnostics and the analysis's own, sorted by position. */
  diagnostics: Diagnostic[];
  /** Present when every layer's shape and parameters are known. */
  summary?: ModelSummary;
  layers: LayerInfo[];
  /** One example's input shape (no batch dimension), when known. */
  inputShape?: number[];
  /** A graph (functional) definition's resolved structure. */
  graph?: Graph;
  /** The loss training uses: the given one (aliases normalised) or the default for the output layer. */
  loss: string;
  optimizer: EffectiveOptimizer;
}

/** Classes of the built-in datasets, to catch an output layer that cannot cover the labels. */
const DATASET_CLASSES: Readonly<Record<string, number>> = { 'fashion-mnist': 10, 'fashion-mnist-sample': 10 };

export function analyze(parsed: ParsedModel): Analysis {
  const def = parsed.definition;
  if (!def) {
    return { diagnostics: sortDiagnostics(parsed.diagnostics), layers: [], loss: defaultLoss(undefined, undefined), optimizer: effectiveOptimizer() };
  }
  const result = analyzeDefinition(def, parsed.ranges, parsed.range);
  const variantDiagnostics = checkVariants(def, parsed.ranges, (d) => analyzeDefinition(d, EMPTY_RANGES, ZERO_RANGE).diagnostics);
  return {
    ...result,
    diagnostics: sortDiagnostics([...parsed.diagnostics, ...result.diagnostics, ...variantDiagnostics]),
  };
}

const EMPTY_RANGES: SourceRanges = { values: new Map(), keys: new Map() };

/** One definition on its own (no variants); exported for the variant checks. */
export function analyzeDefinition(def: ModelDefinition, ranges: SourceRanges, whole: Range): Omit<Analysis, 'definition'> & { definition: ModelDefinition } {
  const diagnostics: Diagnostic[] = [];
  const at = (path: string): Range => rangeFor(ranges, path) ?? ZERO_RANGE;
  const push = (path: string, message: string, code: string, severity: Diagnostic['severity'] = 'error', range = at(path)) =>
    diagnostics.push({ range, severity, message, code, path });

  const structural = validateStructure(def, ranges).filter((d) => !(d.code === 'missing-argument' && d.path === 'layers'));
  diagnostics.push(...structural);

  const layersValue = (def as { layers?: unknown }).layers;
  if (layersValue === undefined) {
    const start = (ranges.values.get('') ?? whole).start;
    push('', 'The definition has no "layers"; add "layers": [ ... ] with at least one layer, e.g. { "type": "Dense", "units": 10 }.', 'no-layers', 'error', { start, end: { line: start.line, character: start.character + 1 } });
  } else if (Array.isArray(layersValue) && layersValue.length === 0) {
    push('layers', '"layers" is empty; add at least one layer, e.g. { "type": "Dense", "units": 10 }.', 'no-layers');
  }

  // Layers with structural errors (or the first layer's input_shape) stop shape inference without a second message.
  const blocked = new Set<number>();
  for (const d of structural) {
    const m = /^layers\[(\d+)\](\.input_shape)?/.exec(d.path ?? '');
    if (m) blocked.add(m[2] && m[1] === '0' ? -1 : Number(m[1]));
  }
  const inference = Array.isArray(layersValue) ? inferLayers(def, ranges, blocked) : { layers: [], complete: false, diagnostics: [], inputShape: undefined };
  diagnostics.push(...inference.diagnostics);

  // The loss and class checks look at the output layer: the last one, or a graph's single output.
  const outputs = inference.graph ? inference.graph.outputs : [inference.layers.length - 1];
  const chain = inference.graph ? outputChain(inference.layers, inference.graph.inbound, outputs[0]) : inference.layers;
  const loss = outputs.length === 1 ? checkLoss(def, chain, inference.complete, push) : defaultLoss(undefined, undefined);
  checkDataset(def, push);

  const layerErrors = diagnostics.some((d) => d.severity === 'error' && (d.path ?? '').startsWith('layers'));
  const summary =
    inference.complete && inference.layers.length > 0 && !layerErrors
      ? toModelSummary(typeof def.name === 'string' && def.name !== '' ? def.name : inference.graph ? 'model' : 'sequential', inference.layers, inference.graph)
      : undefined;
  return {
    definition: def,
    diagnostics,
    summary,
    layers: inference.layers,
    inputShape: inference.inputShape,
    graph: inference.graph,
    loss,
    optimizer: effectiveOptimizer(def.compile?.optimizer),
  };
}

/** The output layer and, back through single inputs, the layers before it (for the activation and loss checks). */
function outputChain(layers: LayerInfo[], inbound: number[][], output: number | undefined): LayerInfo[] {
  const chain: LayerInfo[] = [];
  for (let i = output; i !== undefined && layers[i] && chain.length < layers.length; i = inbound[i].length === 1 ? inbound[i][0] : undefined) chain.unshift(layers[i]);
  return chain;
}

type Push = (path: string, message: string, code: string, severity?: Diagnostic['severity'], range?: Range) => void;

function checkLoss(def: ModelDefinition, layers: LayerInfo[], complete: boolean, push: Push): string {
  const last = layers[layers.length - 1];
  const out = complete ? last?.outputShape : undefined;
  const units = out && out.length === 2 ? (out[1] as number) : undefined;
  const activation = lastActivation(layers);
  const given = typeof def.compile?.loss === 'string' && LOSS_NAMES.includes(def.compile.loss) ? normalizeLoss(def.compile.loss) : undefined;
  const loss = given ?? defaultLoss(units, activation);
  if (!out) return loss;
  const lossPath = given ? 'compile.loss' : `layers[${last.index}].type`;
  if (out.length !== 2) {
    push(lossPath, `The model outputs ${formatShape(out)} per batch, not one vector per example; end with Flatten (or GlobalAveragePooling2D) and a Dense output layer.`, 'output-shape', 'warning');
    return loss;
  }
  const mismatch = given ? lossMismatch(loss, units as number, activation) : undefined;
  if (mismatch) push('compile.loss', mismatch, 'loss-mismatch');
  const ds = def.dataset;
  const dsName = typeof ds === 'string' ? ds : ds && typeof ds === 'object' && ds.csv === undefined ? (ds.name ?? (ds.path ? 'fashion-mnist' : undefined)) : undefined;
  const classes = dsName ? DATASET_CLASSES[dsName] : undefined;
  if (classes && LOSSES[loss]?.classification && loss !== 'binary_crossentropy' && units !== undefined && units !== classes && !mismatch) {
    const unitsPath = `layers[${last.index}].units`;
    if (units < classes) {
      push(unitsPath, `${dsName} has ${classes} classes but the last layer has ${units} units; give it ${classes}, one per class.`, 'classes-mismatch');
    } else {
      push(unitsPath, `${dsName} has ${classes} classes but the last layer has ${units} units; the extra ${units - classes} are never the right answer.`, 'classes-mismatch', 'warning');
    }
  }
  return loss;
}

/** The activation applied last (a trailing Activation or Dropout layer does not hide the Dense's). */
function lastActivation(layers: LayerInfo[]): string | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (l.activation !== undefined) return l.activation;
    if (l.type !== 'Dropout') return l.type === 'Dense' || l.type === 'Conv2D' ? 'linear' : undefined;
  }
  return undefined;
}

function checkDataset(def: ModelDefinition, push: Push): void {
  const ds = def.dataset;
  if (!ds || typeof ds !== 'object' || Array.isArray(ds)) return;
  if (ds.csv !== undefined && ds.label === undefined) {
    push('dataset.csv', 'A CSV dataset needs "label": the name of the column that holds the label.', 'dataset');
  }
  if (ds.csv !== undefined && ds.name !== undefined) {
    push('dataset.name', `"name" and "csv" both choose the data; keep one (the CSV file wins otherwise).`, 'dataset', 'warning');
  }
  if (ds.label !== undefined && ds.csv === undefined) {
    push('dataset.label', '"label" only applies to a CSV dataset; add "csv" or remove it.', 'dataset', 'warning');
  }
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  const rank = { error: 0, warning: 1, information: 2 } as const;
  return [...diagnostics].sort((a, b) => compareRanges(a.range, b.range) || rank[a.severity] - rank[b.severity]);
}
