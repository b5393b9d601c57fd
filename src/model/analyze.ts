/**
 * Everything the core can say about a parsed definition without training it: structural errors, shapes, parameter
 * counts, the Keras summary, loss/output mismatches, and the same for every comparison variant.
 */
import {
  BUILTIN_DATASETS,
  datasetClassCount,
  datasetName,
  isBuiltinDataset,
  isImageDataset,
  isNumpyDataset,
  NUMPY_OPTIONS,
  PAD_OPTIONS,
  SEQUENCE_LOAD_OPTIONS,
} from './datasets';
import { formatShape } from './number-format';
import type { Graph } from './graph';
import { inferLayers, type LayerInfo } from './infer';
import {
  defaultLoss,
  fromLogitsProblem,
  fromLogitsWarning,
  lossMismatch,
  lossActivationWarning,
  multiLabelReason,
  LOSSES,
  LOSS_NAMES,
  normalizeLoss,
} from './losses';
import { clippingConflict, effectiveOptimizer, learningRateSchedule, type EffectiveOptimizer } from './optimizers';
import { asksForAccuracy, availableLogs, callbackDef } from './callbacks';
import { pathDiagnostics, rangeFor } from './paths';
import { toModelSummary } from './summary-format';
import { wasmMemoryProblem } from './memory-estimate';
import { compareRanges, ZERO_RANGE } from './text-lines';
import { validateStructure } from './validate';
import { notTrainedLayers } from './layers/registry';
import { checkVariants } from './variants';
import type {
  Diagnostic,
  ModelDefinition,
  ModelSummary,
  ParsedModel,
  Range,
  SourceRanges,
  SummaryPrint,
} from './types';

export type { LayerInfo } from './infer';

export interface Analysis {
  definition?: ModelDefinition;
  /** The parse diagnostics and the analysis's own, sorted by position. */
  diagnostics: Diagnostic[];
  /** Present when every layer's shape and parameters are known. */
  summary?: ModelSummary;
  layers: LayerInfo[];
  /** One example's input shape (no batch dimension), when known. */
  inputShape?: (number | null)[];
  /** A graph (functional) definition's resolved structure. */
  graph?: Graph;
  /** The loss training uses: the given one (aliases normalised) or the default for the output layer. */
  loss: string;
  optimizer: EffectiveOptimizer;
  /** How the script prints the summary (Python): options for formatSummary. */
  summaryPrint?: SummaryPrint;
}

export function analyze(parsed: ParsedModel): Analysis {
  const def = parsed.definition;
  if (!def) {
    return {
      diagnostics: sortDiagnostics(parsed.diagnostics),
      layers: [],
      loss: defaultLoss(undefined, undefined),
      optimizer: effectiveOptimizer(),
    };
  }
  const result = analyzeDefinition(def, parsed.ranges, parsed.range, parsed.language);
  const variantDiagnostics = checkVariants(def, parsed.ranges, (d) => analyzeUnplaced(d).diagnostics);
  // What training would need is no question for a model Model Lab says it does not train (pretrained weights).
  if (parsed.untrainable) result.diagnostics = result.diagnostics.filter((d) => d.code !== 'memory');
  if (parsed.incomplete) {
    // A model cut short ends where reading stopped, not at its output layer: checks of the whole model would be
    // about a model that does not exist. Its summary says it is partial, and where reading stopped.
    result.diagnostics = result.diagnostics.filter((d) => !WHOLE_MODEL_CHECKS.has(d.code ?? ''));
    if (result.summary) {
      const stop =
        parsed.diagnostics.find((d) => d.code === 'python-unreadable' || d.severity === 'error')?.range.start ??
        parsed.range.start;
      result.summary = {
        ...result.summary,
        complete: false,
        incomplete: { reason: parsed.incomplete, line: stop.line + 1, character: stop.character + 1 },
      };
    }
  }
  return {
    ...result,
    diagnostics: sortDiagnostics([...parsed.diagnostics, ...result.diagnostics, ...variantDiagnostics]),
    ...(parsed.summaryPrint ? { summaryPrint: parsed.summaryPrint } : {}),
  };
}

/**
 * Checks that need the model's real output layer, and its input shape (a Python model cut short says why it has
 * none: see python/models.ts `buildsOnData`).
 */
const WHOLE_MODEL_CHECKS = new Set([
  'no-input-shape',
  'output-shape',
  'loss-mismatch',
  'loss-activation',
  'from-logits-activation',
  'classes-mismatch',
  'no-layers',
]);

/** The code of the information that a script's model is multi-label (see `multiLabelReason`). */
export const MULTI_LABEL = 'multi-label';
/** What that information adds to the reason (`multiLabelReason`) the model is not trained for. */
export const MULTI_LABEL_TAIL = '; its shapes and parameter counts are exact.';

const EMPTY_RANGES: SourceRanges = { values: new Map(), keys: new Map() };

/**
 * A definition that has no source text to point into (a variant, a run's plan, a record's definition): its
 * diagnostics carry paths but no positions.
 */
export const analyzeUnplaced = (def: ModelDefinition): ReturnType<typeof analyzeDefinition> =>
  analyzeDefinition(def, EMPTY_RANGES, ZERO_RANGE);

/** One definition on its own (no variants); exported for the variant checks. */
export function analyzeDefinition(
  def: ModelDefinition,
  ranges: SourceRanges,
  whole: Range,
  language?: ParsedModel['language'],
): Omit<Analysis, 'definition'> & { definition: ModelDefinition } {
  const { diagnostics, push } = pathDiagnostics(ranges);

  const structural = validateStructure(def, ranges).filter(
    (d) => !(d.code === 'missing-argument' && d.path === 'layers'),
  );
  diagnostics.push(...structural);

  const layersValue = (def as { layers?: unknown }).layers;
  if (layersValue === undefined) {
    const start = (ranges.values.get('') ?? whole).start;
    push(
      '',
      'The definition has no "layers"; add "layers": [ ... ] with at least one layer, e.g. { "type": "Dense", "units": 10 }.',
      'no-layers',
      'error',
      { start, end: { line: start.line, character: start.character + 1 } },
    );
  } else if (Array.isArray(layersValue) && layersValue.length === 0) {
    push('layers', '"layers" is empty; add at least one layer, e.g. { "type": "Dense", "units": 10 }.', 'no-layers');
  }

  for (const { index, type, reason } of notTrainedLayers(layersValue)) {
    push(
      `layers[${index}].type`,
      `Model Lab shows ${type}'s shapes but does not train a model holding it: ${reason}.`,
      'not-trained',
      'information',
      rangeFor(ranges, `layers[${index}]`),
    );
  }

  // Layers with structural errors (or the first layer's input_shape) stop shape inference without a second message.
  const blocked = new Set<number>();
  for (const d of structural) {
    const m = /^layers\[(\d+)\](\.input_shape)?/.exec(d.path ?? '');
    if (m) blocked.add(m[2] && m[1] === '0' ? -1 : Number(m[1]));
  }
  const inference = Array.isArray(layersValue)
    ? inferLayers(def, ranges, blocked)
    : { layers: [], complete: false, diagnostics: [], inputShape: undefined };
  diagnostics.push(...inference.diagnostics);

  // The loss and class checks look at the output layer: the last one, or a graph's single output.
  const outputs = inference.graph ? inference.graph.outputs : [inference.layers.length - 1];
  const chain = inference.graph ? outputChain(inference.layers, inference.graph.inbound, outputs[0]) : inference.layers;
  const loss =
    outputs.length === 1
      ? checkLoss(def, chain, inference.complete, push, language)
      : defaultLoss(undefined, undefined);
  checkDataset(def, push);
  checkTraining(def, push, structural);

  const layerErrors = diagnostics.some((d) => d.severity === 'error' && (d.path ?? '').startsWith('layers'));
  const summary =
    inference.complete && inference.layers.length > 0 && !layerErrors
      ? toModelSummary(
          typeof def.name === 'string' && def.name !== '' ? def.name : inference.graph ? 'model' : 'sequential',
          inference.layers,
          inference.graph,
        )
      : undefined;
  if (summary) {
    // A warning here (native TensorFlow may have the memory); preflight refuses it on the wasm and cpu backends.
    const batch = typeof def.fit?.batch_size === 'number' ? def.fit.batch_size : 32;
    const tooBig = wasmMemoryProblem(summary, batch, effectiveOptimizer(def.compile?.optimizer));
    if (tooBig) push('layers', tooBig, 'memory', 'warning', rangeFor(ranges, 'layers') ?? whole);
  }
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
  for (
    let i = output;
    i !== undefined && layers[i] && chain.length < layers.length;
    i = inbound[i].length === 1 ? inbound[i][0] : undefined
  )
    chain.unshift(layers[i]);
  return chain;
}

type Push = (path: string, message: string, code: string, severity?: Diagnostic['severity'], range?: Range) => void;

function checkLoss(
  def: ModelDefinition,
  layers: LayerInfo[],
  complete: boolean,
  push: Push,
  language: ParsedModel['language'],
): string {
  const last = layers[layers.length - 1];
  const out = complete ? last?.outputShape : undefined;
  const units = out && out.length === 2 ? (out[1] as number) : undefined;
  const activation = lastActivation(layers);
  const given =
    typeof def.compile?.loss === 'string' && LOSS_NAMES.includes(def.compile.loss)
      ? normalizeLoss(def.compile.loss)
      : undefined;
  const fromLogits = def.compile?.from_logits === true;
  const loss = given ?? defaultLoss(units, activation, fromLogits);
  // A given loss is checked on its own; a default one only once the output layer it is chosen from is known.
  const notCrossentropy = fromLogits && (given || out) ? fromLogitsProblem(loss) : undefined;
  if (notCrossentropy) push('compile.from_logits', notCrossentropy, 'from-logits-loss');
  if (!out) return loss;
  const lossPath = given ? 'compile.loss' : `layers[${last.index}].type`;
  if (out.length !== 2) {
    // Flatten cannot reduce a None axis (it would give (None, None)): a global pooling or a last recurrent step can.
    const reduce = out.slice(1).includes(null)
      ? 'GlobalAveragePooling1D (or a recurrent layer without return_sequences)'
      : 'Flatten (or GlobalAveragePooling2D)';
    if (language === 'python') {
      // The script's model is what it is (an autoencoder, a sequence-to-sequence model): say what Model Lab does.
      push(
        lossPath,
        `This model outputs ${formatShape(out)} per batch, not one vector per example; Model Lab shows its shapes but trains only models with one output vector per example (classes or values).`,
        'output-shape',
        'information',
      );
      return loss;
    }
    push(
      lossPath,
      `The model outputs ${formatShape(out)} per batch, not one vector per example; end with ${reduce} and a Dense output layer.`,
      'output-shape',
      'warning',
    );
    return loss;
  }
  const multiLabel = given && language === 'python' ? multiLabelReason(loss, units as number) : undefined;
  if (multiLabel) {
    // The script's targets are one yes/no per unit: Keras trains it; Model Lab says it does not (python/index.ts
    // marks the model untrainable with this reason).
    push('compile.loss', `${multiLabel}${MULTI_LABEL_TAIL}`, MULTI_LABEL, 'information');
    return loss;
  }
  const mismatch = given ? lossMismatch(loss, units as number) : undefined;
  if (mismatch) push('compile.loss', mismatch, 'loss-mismatch');
  const notProbability =
    given && !mismatch && units === 1 ? lossActivationWarning(loss, activation, fromLogits) : undefined;
  if (notProbability) push('compile.loss', notProbability, 'loss-activation', 'warning');
  const twice = fromLogits && !mismatch && !notCrossentropy ? fromLogitsWarning(loss, activation) : undefined;
  if (twice) push('compile.from_logits', twice, 'from-logits-activation', 'warning');
  const ds = def.dataset;
  const dsName = datasetName(ds);
  // Class counts from a valid dataset only (an unknown name or a malformed object has its own diagnostic).
  const classes =
    ds && (typeof ds === 'string' || (typeof ds === 'object' && !Array.isArray(ds)))
      ? datasetClassCount(ds)
      : undefined;
  if (
    classes &&
    LOSSES[loss]?.classification &&
    loss !== 'binary_crossentropy' &&
    units !== undefined &&
    units !== classes &&
    !mismatch
  ) {
    const unitsPath = `layers[${last.index}].units`;
    if (units < classes) {
      push(
        unitsPath,
        `${dsName} has ${classes} classes but the last layer has ${units} units; give it ${classes}, one per class.`,
        'classes-mismatch',
      );
    } else {
      push(
        unitsPath,
        `${dsName} has ${classes} classes but the last layer has ${units} units; the extra ${units - classes} are never the right answer.`,
        'classes-mismatch',
        'warning',
      );
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
    push(
      'dataset.name',
      `"name" and "csv" both choose the data; keep one (the CSV file wins otherwise).`,
      'dataset',
      'warning',
    );
  }
  if (ds.label !== undefined && ds.csv === undefined) {
    push('dataset.label', '"label" only applies to a CSV dataset; add "csv" or remove it.', 'dataset', 'warning');
  }
  const numpy = isNumpyDataset(ds);
  if (ds.npz !== undefined && (ds.csv !== undefined || isBuiltinDataset(ds.name))) {
    push(
      'dataset.npz',
      `"npz" and "${ds.csv !== undefined ? 'csv' : 'name'}" both choose the data; keep one${ds.csv !== undefined ? '' : ' (the .npz file wins otherwise)'}.`,
      'dataset',
      'warning',
    );
  }
  if (!numpy) {
    for (const key of NUMPY_OPTIONS) {
      // Pixels take a scale too (1 for the raw 0–255 values a script trains on without dividing by 255).
      if (key === 'scale' && isImageDataset(ds)) continue;
      if (key !== 'npz' && (ds as Record<string, unknown>)[key] !== undefined) {
        push(
          `dataset.${key}`,
          `"${key}" only applies to NumPy arrays${key === 'scale' ? ' and images' : ''} ("npz", or "x" and "y" naming .npy files); remove it.`,
          'dataset',
          'warning',
        );
      }
    }
  }
  // Loader options a dataset does not take (num_words on mnist, label_mode on imdb).
  const name = numpy || ds.csv !== undefined ? undefined : ds.name;
  const takes: readonly string[] = isBuiltinDataset(name) ? BUILTIN_DATASETS[name].options : [];
  for (const key of [...SEQUENCE_LOAD_OPTIONS, ...PAD_OPTIONS, 'test_split', 'label_mode']) {
    if ((ds as Record<string, unknown>)[key] === undefined || takes.includes(key)) continue;
    const owners = Object.entries(BUILTIN_DATASETS)
      .filter(([, d]) => d.options.includes(key))
      .map(([n]) => n);
    push(
      `dataset.${key}`,
      `"${key}" only applies to ${owners.join(' and ')}${name ? `; ${name} ignores it` : ''}.`,
      'dataset',
      'warning',
    );
  }
}

/** What the schema cannot say about callbacks and schedules: list lengths, monitors this model logs, combinations. */
function checkTraining(def: ModelDefinition, push: Push, structural: Diagnostic[]): void {
  const opt = def.compile?.optimizer;
  const schedule = learningRateSchedule(opt);
  if (typeof schedule === 'string') {
    const path =
      typeof opt === 'object' && opt !== null && opt.learning_rate === undefined
        ? 'compile.optimizer.lr'
        : 'compile.optimizer.learning_rate';
    // The schema already names a missing or mistyped argument where it is; this adds what it cannot see.
    if (!structural.some((d) => (d.path ?? '').startsWith(path))) push(path, schedule, 'schedule');
  }
  const conflict = typeof opt === 'object' && opt !== null ? clippingConflict(opt) : undefined;
  if (conflict) {
    const severity = conflict.error ? 'error' : 'warning';
    push(`compile.optimizer.${conflict.key}`, conflict.message, 'optimizer-clipping', severity);
  }
  const callbacks = def.fit?.callbacks;
  if (!Array.isArray(callbacks)) return;
  const ds = def.dataset;
  const split = ds && typeof ds === 'object' && !Array.isArray(ds) ? ds.validation_split : undefined;
  const validated = split === undefined || split > 0;
  const logs = availableLogs(asksForAccuracy(def.compile?.metrics), validated);
  callbacks.forEach((cb, i) => {
    if (typeof cb !== 'object' || cb === null) return;
    // Without save_best_only, ModelCheckpoint saves every epoch and watches nothing (Keras's and Model Lab's).
    const watches = cb.type !== 'ModelCheckpoint' || cb.save_best_only === true;
    const monitor = !watches
      ? undefined
      : (cb.monitor ?? (callbackDef(String(cb.type))?.args.some((a) => a.name === 'monitor') ? 'val_loss' : undefined));
    if (typeof monitor === 'string' && !logs.includes(monitor)) {
      const why =
        monitor.startsWith('val_') && !validated
          ? ' (validation_split is 0, so there are no val_ logs)'
          : monitor.includes('acc')
            ? ' (add "accuracy" to compile.metrics to log it)'
            : '';
      push(
        cb.monitor !== undefined ? `fit.callbacks[${i}].monitor` : `fit.callbacks[${i}]`,
        `${cb.type} watches '${monitor}', which this model does not log${why}; it will do nothing. Logged: ${logs.join(', ')}.`,
        'callback-monitor',
        'warning',
      );
    }
    if (cb.type === 'ReduceLROnPlateau' && schedule !== undefined) {
      push(
        `fit.callbacks[${i}]`,
        'ReduceLROnPlateau cannot change a learning rate that is a schedule (Keras refuses it too); use a number as learning_rate or remove the callback.',
        'callback-schedule',
      );
    }
  });
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  const rank = { error: 0, warning: 1, information: 2 } as const;
  return [...diagnostics].sort((a, b) => compareRanges(a.range, b.range) || rank[a.severity] - rank[b.severity]);
}
