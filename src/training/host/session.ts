/**
 * A training session: one `train` run or a `compare` (variants × repeats), run on a RunPool as one live RunRecord.
 * `planRuns` is the one rule for labels, seeds and order. The session driver (`session-driver.ts`) runs sessions
 * for the extension and the CLI; the pool folds each worker event into the record's run, once (`run-fold.ts`).
 */
import { analyzeUnplaced, compareRepeats, expandComparison, optimizerLabel } from '../../model';
import type { ModelDefinition, ModelSummary } from '../../model/types';
import type { BackendName, RunRecord, RunResult, RunSpec, WorkerEvent } from '../../protocol';
import type { Audience } from '../advice';
import type { RunHandle, RunPool } from './pool';
import { continueHistory, epochsDone, newRunResult } from './run-fold';

export interface SessionOptions {
  kind: 'train' | 'compare';
  id: string;
  definition: ModelDefinition;
  summary: ModelSummary;
  modelFile?: string;
  baseDir: string;
  backend: BackendName;
  dataDir?: string;
  cacheDir: string;
  /** Where the editor installed tfjs-node (`Model Lab: Install Native Backend`), searched after Model Lab's own. */
  nativeDir?: string;
  /** Overrides of the file's values (CLI flags). */
  epochs?: number;
  repeats?: number;
  seed?: number;
  /** Who reads the runs' messages (advice names a CLI flag or an editor setting). */
  audience?: Audience;
  /** When set, each run saves its weights into `<saveWeightsDir>/<runId>/`. */
  saveWeightsDir?: string;
  /**
   * "Train N more epochs": continue this finished run (its weights were saved) for `epochs` more; the session's
   * one run starts with its history, so the record holds one continuous history.
   */
  continueRun?: RunResult;
  /** Called after every event folded into the record (the caller throttles redraws). */
  onUpdate?: (record: RunRecord, run: RunResult, event: WorkerEvent) => void;
}

export const DEFAULT_SEED = 42;

/** The RunSpecs a session trains, in the order the file lists them (variants, then repeats of each). */
export function planRuns(o: SessionOptions): RunSpec[] {
  const baseSeed = o.seed ?? o.definition.fit?.seed ?? DEFAULT_SEED;
  const withEpochs = (def: ModelDefinition): ModelDefinition =>
    o.epochs === undefined ? def : { ...def, fit: { ...def.fit, epochs: o.epochs } };
  const common = {
    backend: o.backend,
    baseDir: o.baseDir,
    dataDir: o.dataDir,
    cacheDir: o.cacheDir,
    ...(o.audience ? { audience: o.audience } : {}),
    ...(o.nativeDir ? { nativeDir: o.nativeDir } : {}),
  };
  const weights = (runId: string) => (o.saveWeightsDir ? `${o.saveWeightsDir}/${runId}` : undefined);
  if (o.kind === 'train') {
    const runId = `${o.id}-0`;
    const prior = o.continueRun;
    const done = prior ? epochsDone(prior) : 0;
    const definition = prior
      ? { ...o.definition, fit: { ...o.definition.fit, epochs: done + (o.epochs ?? o.definition.fit?.epochs ?? 1) } }
      : withEpochs(o.definition);
    return [
      {
        ...common,
        runId,
        label: prior?.label ?? optimizerLabel(o.definition.compile?.optimizer),
        definition,
        repeat: 0,
        seed: prior?.seed ?? baseSeed,
        saveWeightsTo: weights(runId),
        ...(prior?.weightsPath ? { resume: { from: prior.weightsPath, epochsDone: done } } : {}),
      },
    ];
  }
  const repeats = o.repeats ?? compareRepeats(o.definition);
  const specs: RunSpec[] = [];
  expandComparison(o.definition).forEach((plan, v) => {
    for (let r = 0; r < repeats; r++) {
      const runId = `${o.id}-${v}-${r}`;
      specs.push({
        ...common,
        runId,
        label: plan.label,
        definition: withEpochs(plan.definition),
        variant: plan.variant,
        repeat: r,
        seed: baseSeed + r,
        saveWeightsTo: weights(runId),
      });
    }
  });
  return specs;
}

/**
 * Each run's own model summary where it trains another model than the record's (`record.model`, from `base`): a
 * comparison of a file's models, or a variant that sets layers or the data; undefined where it is the record's.
 * Summarised once per architecture, however many repeats and optimizers share it.
 */
export function runModels(
  base: ModelDefinition,
  definitions: readonly ModelDefinition[],
): (ModelSummary | undefined)[] {
  const baseSummary = JSON.stringify(analyzeUnplaced(base).summary);
  const known = new Map<string, ModelSummary | undefined>([[architecture(base), undefined]]);
  return definitions.map((definition) => {
    const key = architecture(definition);
    if (!known.has(key)) {
      const summary = analyzeUnplaced(definition).summary;
      known.set(key, JSON.stringify(summary) === baseSummary ? undefined : summary);
    }
    return known.get(key);
  });
}

/** What a summary is made of: the name, layers and outputs, and the data (it can give the input shape). */
const architecture = (def: ModelDefinition): string =>
  JSON.stringify({ name: def.name, layers: def.layers, outputs: def.outputs, dataset: def.dataset });

export class TrainingSession {
  readonly record: RunRecord;
  readonly done: Promise<RunRecord>;
  private readonly handles = new Map<string, RunHandle>();

  /** `specs` are the runs already planned from `options` (the driver plans once); default `planRuns(options)`. */
  constructor(
    readonly pool: RunPool,
    options: SessionOptions,
    specs: RunSpec[] = planRuns(options),
  ) {
    const models = runModels(
      options.definition,
      specs.map((spec) => spec.definition),
    );
    this.record = {
      version: 1,
      id: options.id,
      kind: options.kind,
      createdAt: new Date().toISOString(),
      modelFile: options.modelFile,
      definition: options.definition,
      model: options.summary,
      backend: options.backend,
      runs: specs.map((spec, i) => {
        const run = newRunResult(spec, spec.definition.fit?.epochs ?? 1);
        if (models[i]) run.model = models[i];
        // A continued run starts with the earlier epochs; the pool folds the new ones after them.
        if (options.continueRun) continueHistory(run, options.continueRun);
        return run;
      }),
      active: true,
    };
    const results = specs.map((spec, i) => {
      const run = this.record.runs[i];
      // The pool folds every event into `run` itself (crashes included) before telling us: one fold per event.
      const handle = pool.run(
        spec,
        (event) => {
          if (event.type === 'started') {
            this.record.backend = event.backend;
            if (event.backendNote) this.record.backendNote ??= event.backendNote;
            this.record.dataset ??= event.dataset;
          }
          options.onUpdate?.(this.record, run, event);
        },
        run,
      );
      this.handles.set(spec.runId, handle);
      return handle.result;
    });
    this.done = Promise.all(results).then(() => {
      this.record.active = false;
      return this.record;
    });
  }

  /** Stops one run, or every run (queued runs are cancelled before they start). */
  stop(runId?: string): void {
    if (runId) {
      this.handles.get(runId)?.stop();
      return;
    }
    for (const handle of this.handles.values()) handle.stop();
  }
}
