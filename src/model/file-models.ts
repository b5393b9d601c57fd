/**
 * Which of a file's models a command trains, and how a comparison of them is labelled: the one rule the CLI
 * (`train --model`, `compare --models`) and the editor (Train / Compare lenses) share. Pure.
 *
 * A model is picked by its Keras name (`sequential_2`, an explicit `name=`) or its 1-based position. A comparison
 * trains every way the file sets each chosen model up (its compiles, and optimizers built beside it: ParsedModel's
 * `trainings`), each with its own compile and fit; what cannot train is listed as skipped with the reason.
 */
import { BUILT_APPLICATIONS } from './applications';
import { analyze } from './analyze';
import { effectiveOptimizer, optimizerLabel } from './optimizers';
import type { LayerSpec, ModelDefinition, ParsedModel, Range, TrainingOption, VariantSpec } from './types';

/** One run of a comparison of a file's models. */
export interface FileRun {
  /** 0-based index of the model in the file. */
  model: number;
  modelName: string;
  /** What differs between this run and the others (`sequential_2 · SGD(lr=0.1)`). */
  label: string;
  definition: ModelDefinition;
  /** Where the file sets it up: the compile call, or the optimizer's assignment. */
  range: Range;
}

/** A model, or one of its set-ups, that is not trained, and why (a sentence without a final stop). */
export interface SkippedRun {
  model: number;
  modelName: string;
  reason: string;
  range: Range;
}

export interface FileComparison {
  runs: FileRun[];
  skipped: SkippedRun[];
}

/** What a file without any model Model Lab reads lacks (check's and train's message). */
export const NO_MODEL = `no Keras model Model Lab reads (keras.Sequential, keras.Model, or ${BUILT_APPLICATIONS} of keras.applications)`;

/** The name Keras gives the model (the summary's), for messages and lists. */
export function modelNameOf(parsed: ParsedModel): string {
  return analyze(parsed).summary?.name ?? parsed.definition?.name ?? 'sequential';
}

/** `1 sequential, 2 sequential_1, …`: the models as --model accepts them. */
export function modelList(models: readonly ParsedModel[]): string {
  return models.map((m, i) => `${i + 1} ${modelNameOf(m)}`).join(', ');
}

/** A model by Keras name or 1-based position, or why none matches (a sentence). */
export function findModel(models: readonly ParsedModel[], selector: string): number | { error: string } {
  const s = selector.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= models.length) return n - 1;
    return {
      error: `there is no model ${s}: the file defines ${models.length} (${modelList(models)}).`,
    };
  }
  const i = models.findIndex((m) => modelNameOf(m) === s);
  if (i >= 0) return i;
  return { error: `no model is named '${s.slice(0, 80)}'; the file defines ${modelList(models)}.` };
}

/** Why a model cannot be trained at all, or undefined when it can (compiled or not). */
function unusable(parsed: ParsedModel): string | undefined {
  if (parsed.incomplete) return `it cannot be read whole (${parsed.incomplete})`;
  if (!parsed.definition) return 'it has no definition Model Lab can read';
  if (parsed.untrainable) return parsed.untrainable.reason;
  const error = analyze(parsed).diagnostics.find((d) => d.severity === 'error');
  return error ? `it has an error: ${stripStop(error.message)}` : undefined;
}

const compiled = (parsed: ParsedModel) => !!parsed.definition?.compile || (parsed.trainings?.length ?? 0) > 0;

/**
 * The model `train` uses: the one the selector names, else the first compiled model that can train (else the first
 * that can train), with a note naming the others when the file has several.
 */
export function trainTarget(
  models: readonly ParsedModel[],
  selector?: string,
): { index: number; note?: string } | { error: string } {
  if (models.length === 0) return { error: `the file has ${NO_MODEL}.` };
  if (selector !== undefined) {
    const found = findModel(models, selector);
    return typeof found === 'number' ? { index: found } : found;
  }
  if (models.length === 1) return { index: 0 };
  let index = models.findIndex((m) => compiled(m) && !unusable(m));
  if (index < 0) index = models.findIndex((m) => !unusable(m));
  if (index < 0) index = 0;
  const why = compiled(models[index]) ? 'the first compiled model that can train' : 'the first model that can train';
  return {
    index,
    note: `the file defines ${models.length} models; training ${modelNameOf(models[index])} (${why}); choose another with --model NAME or N: ${modelList(models)}.`,
  };
}

/** The models a `--models` value names: `all`, or names / positions separated by commas. */
export function selectModels(models: readonly ParsedModel[], selector: string): number[] | { error: string } {
  if (selector.trim() === 'all') return models.map((_, i) => i);
  const chosen: number[] = [];
  for (const part of selector.split(',')) {
    if (part.trim() === '') continue;
    const found = findModel(models, part);
    if (typeof found !== 'number') return found;
    if (!chosen.includes(found)) chosen.push(found);
  }
  if (chosen.length === 0)
    return { error: `name the models to compare, or 'all'; the file defines ${modelList(models)}.` };
  return chosen;
}

/** A model's set-ups: its trainings (Python), else its definition's compile. */
function optionsOf(parsed: ParsedModel): TrainingOption[] {
  if (parsed.trainings?.length) return parsed.trainings;
  const def = parsed.definition;
  if (!def?.compile) return [];
  return [{ origin: 'compile', compile: def.compile, fit: def.fit, dataset: def.dataset, range: parsed.range }];
}

/**
 * The runs comparing the chosen models (all when `chosen` is undefined): each model's every set-up, labelled by
 * what differs between the runs. Never compiled, unreadable or invalid models and set-ups are skipped with the
 * reason; a set-up identical to one already listed for the same model is trained once.
 */
export function compareFileModels(models: readonly ParsedModel[], chosen?: readonly number[]): FileComparison {
  const runs: Omit<FileRun, 'label'>[] = [];
  const skipped: SkippedRun[] = [];
  const seen = new Map<string, number>();
  const duplicates: { skipped: number; of: number }[] = [];
  for (const index of chosen ?? models.map((_, i) => i)) {
    const parsed = models[index];
    const modelName = modelNameOf(parsed);
    const skip = (reason: string, range: Range) => skipped.push({ model: index, modelName, reason, range });
    const whole = unusable(parsed);
    if (whole) {
      skip(whole, parsed.range);
      continue;
    }
    const options = optionsOf(parsed);
    if (options.length === 0) {
      skip('it is never compiled', parsed.range);
      continue;
    }
    const { compare: _compare, ...base } = parsed.definition!;
    for (const option of options) {
      if (option.incomplete) {
        skip(`this set-up cannot be read (${option.incomplete})`, option.range);
        continue;
      }
      const definition: ModelDefinition = { ...base, compile: option.compile };
      if (option.fit) definition.fit = option.fit;
      else delete definition.fit;
      if (option.dataset !== undefined) definition.dataset = option.dataset;
      else delete definition.dataset;
      const error = analyze({ ...parsed, definition }).diagnostics.find((d) => d.severity === 'error');
      if (error) {
        skip(`it cannot be trained: ${stripStop(error.message)}`, option.range);
        continue;
      }
      const key = `${index}:${setupKey(definition)}`;
      const same = seen.get(key);
      if (same !== undefined) {
        duplicates.push({ skipped: skipped.length, of: same });
        skip('', option.range);
        continue;
      }
      seen.set(key, runs.length);
      runs.push({ model: index, modelName, definition, range: option.range });
    }
  }
  const labelled = labelRuns(runs);
  for (const d of duplicates)
    skipped[d.skipped].reason = `the same set-up as the run '${labelled[d.of].label}', trained once`;
  return { runs: labelled, skipped };
}

/** How many of the file's models a comparison would train (the editor offers "Compare the models" from two). */
export function trainableModelCount(models: readonly ParsedModel[]): number {
  return new Set(compareFileModels(models).runs.map((r) => r.model)).size;
}

/** What makes two set-ups the same training: the optimizer with Keras's defaults filled in, and the rest as given. */
function setupKey(def: ModelDefinition): string {
  const { compile, ...rest } = def;
  return canonicalJson({ ...rest, compile: { ...compile, optimizer: effectiveOptimizer(compile?.optimizer) } });
}

/** JSON with every object's keys sorted, so equal values give equal text whatever order they were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The activations of the layers before the output layer (`relu`, `sigmoid/relu`), where layers have one. */
function hiddenActivations(layers: readonly LayerSpec[]): string {
  return layers
    .slice(0, -1)
    .map((l) => (typeof l.activation === 'string' ? l.activation : undefined))
    .filter((a): a is string => a !== undefined)
    .join('/');
}

/** Label parts, each shown only when it differs between the runs. */
const FACETS: ((r: Omit<FileRun, 'label'>) => string)[] = [
  (r) => r.modelName,
  (r) => hiddenActivations(r.definition.layers) || 'linear',
  (r) => optimizerLabel(r.definition.compile?.optimizer),
  (r) => r.definition.compile?.loss ?? '',
  (r) => `${r.definition.fit?.epochs ?? 1} epochs`,
  (r) => `batch ${r.definition.fit?.batch_size ?? 32}`,
  (r) => {
    const d = r.definition.dataset;
    if (d === undefined) return 'default data';
    if (typeof d === 'string') return d;
    return [
      d.name ?? d.csv ?? d.npz ?? d.x ?? 'data',
      d.validation_split !== undefined ? `split ${d.validation_split}` : '',
    ]
      .filter(Boolean)
      .join(' ');
  },
];

function labelRuns(runs: Omit<FileRun, 'label'>[]): FileRun[] {
  const values = FACETS.map((f) => runs.map(f));
  const differing = values.filter((v) => new Set(v).size > 1);
  const labels = runs.map((r, i) => differing.map((v) => v[i]).join(' · ') || r.modelName);
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const n = new Map<string, number>();
  return runs.map((r, i) => {
    let label = labels[i];
    if ((counts.get(label) ?? 0) > 1) {
      const k = (n.get(label) ?? 0) + 1;
      n.set(label, k);
      label = `${label} #${k}`;
    }
    return { ...r, label };
  });
}

/**
 * The comparison as one definition the session driver trains: the first run's model with one variant per run, each
 * setting the whole model (name, layers, outputs, compile, fit, dataset), so the usual table, curves, records and
 * reports follow.
 */
export function comparisonDefinition(runs: readonly FileRun[]): ModelDefinition {
  if (runs.length === 0) throw new Error('a comparison needs at least one run');
  const variants: VariantSpec[] = runs.map((r) => ({
    label: r.label,
    set: {
      name: r.definition.name,
      layers: r.definition.layers,
      ...(r.definition.outputs !== undefined || runs[0].definition.outputs !== undefined
        ? { outputs: r.definition.outputs }
        : {}),
      compile: r.definition.compile,
      fit: r.definition.fit,
      dataset: r.definition.dataset,
    },
  }));
  return { ...runs[0].definition, compare: { variants } };
}

function stripStop(message: string): string {
  return message.replace(/\.$/, '');
}
