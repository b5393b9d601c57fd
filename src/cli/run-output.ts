/**
 * What `train` and `compare` share: their options, the Keras-like epoch line, the evaluation report, the comparison
 * table, where data and the cache live, and writing the run record atomically.
 */
import { constants, existsSync } from 'node:fs';
import { access, mkdir, stat as statFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { analyze } from '../model/analyze';
import { callbackNotes } from '../run-state';
import { compareRepeats } from '../model/compare';
import { thousands } from '../model/number-format';
import { DEFINITION_BOUNDS } from '../model/schema';
import type { ModelDefinition, ModelSummary, ParsedModel } from '../model/types';
import type { BackendName, DatasetInfo, Evaluation, RunRecord, RunResult } from '../protocol';
import { formatEpochLine } from '../training/host/epoch-line';
import { DataError } from '../data/errors';
import { BackendError } from '../training/backend';
import { defaultWorkerPath } from '../training/paths';
import { RunPool } from '../training/host/pool';
import { SessionDriver } from '../training/host/session-driver';
import { isUnfinished, runName } from '../run-state';
import { outputClash, writeOutputFile, type NamedPath } from '../panel/output-file';
import { EXIT, UserError, type CliIO } from './io';
import { diagnosticLine, firstModel, loadModelFile, positionText, type LoadedModels } from './load-model';

// ---- Options ---------------------------------------------------------------------------------------------------

export interface OptionSpec {
  /** Flags taking a value, e.g. `--epochs`. */
  values: readonly string[];
  /** Flags without a value. */
  switches?: readonly string[];
}

export interface ParsedArgs {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

/** `--flag value` and `--flag=value`; anything unknown is a usage error (exit 2). */
export function parseArgs(args: string[], spec: OptionSpec, usage: string): ParsedArgs {
  const out: ParsedArgs = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg === '--') {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (spec.switches?.includes(name)) {
      out.switches.add(name);
    } else if (spec.values.includes(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === '') throw new UserError(`${name} needs a value.\n${usage}`, EXIT.invalid);
      out.values.set(name, value);
    } else {
      throw new UserError(`unknown option '${arg}'.\n${usage}`, EXIT.invalid);
    }
  }
  return out;
}

/** What each numeric flag accepts: the same bounds as the model file's field it overrides. */
export const FLAG_BOUNDS: Record<string, { minimum: number; maximum: number }> = {
  '--epochs': DEFINITION_BOUNDS.epochs,
  '--batch-size': DEFINITION_BOUNDS.batch_size,
  '--repeats': DEFINITION_BOUNDS.repeats,
  '--seed': DEFINITION_BOUNDS.seed,
  // As the modelLab.maxParallelRuns setting.
  '--workers': { minimum: 1, maximum: 64 },
};

/** A whole number from an option, within the flag's bounds (FLAG_BOUNDS). */
export function intOption(parsed: ParsedArgs, name: string): number | undefined {
  const raw = parsed.values.get(name);
  if (raw === undefined) return undefined;
  const { minimum, maximum } = FLAG_BOUNDS[name];
  // Digits only: Number() would also take '0x10', '1e3', ' 5 ' and '' as numbers.
  const n = /^[+-]?\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < minimum || n > maximum) {
    throw new UserError(
      `${name} must be a whole number from ${thousands(minimum)} to ${thousands(maximum)}, not '${raw.slice(0, 40)}'.`,
      EXIT.invalid,
    );
  }
  return n;
}

const BACKENDS: readonly string[] = ['auto', 'tensorflow', 'tensorflow-gpu', 'wasm', 'cpu'] satisfies BackendName[];

export function backendOption(parsed: ParsedArgs): BackendName {
  const raw = parsed.values.get('--backend') ?? 'auto';
  if (!BACKENDS.includes(raw)) {
    throw new UserError(
      `--backend must be one of auto, tensorflow, tensorflow-gpu, wasm, cpu, not '${raw}'.`,
      EXIT.invalid,
    );
  }
  return raw as BackendName;
}

/** The user's data folder: --data, else MODEL_LAB_DATA. */
export function dataDir(parsed: ParsedArgs, io: CliIO): string | undefined {
  const dir = parsed.values.get('--data') ?? io.env.MODEL_LAB_DATA;
  return dir ? resolve(io.cwd, dir) : undefined;
}

/** Downloads are cached in $XDG_CACHE_HOME/model-lab, else ~/.cache/model-lab. */
export function cacheDir(io: CliIO): string {
  const base = io.env.XDG_CACHE_HOME || join(io.env.HOME || homedir(), '.cache');
  return join(base, 'model-lab');
}

// ---- Output files --------------------------------------------------------------------------------------------

/** Writes through a flushed temporary file and a rename, so a reader never sees half a file (even after Ctrl-C). */

/** The output files asked for, as given and resolved. */
function outputFiles(parsed: ParsedArgs, io: CliIO): { flag: '--json' | '--html'; given: string; path: string }[] {
  return (['--json', '--html'] as const).flatMap((flag) => {
    const given = parsed.values.get(flag);
    return given ? [{ flag, given, path: resolve(io.cwd, given) }] : [];
  });
}

/**
 * Makes sure every output file can be written before training starts (its folder exists or can be made, and is
 * writable), so an hour of training is never lost to a typo in --json.
 */
export async function prepareOutputs(parsed: ParsedArgs, io: CliIO, inputs: readonly NamedPath[] = []): Promise<void> {
  const outputs = outputFiles(parsed, io);
  const clash = await outputClash(
    outputs.map((o) => ({ what: `${o.flag} ${o.given}`, path: o.path })),
    inputs,
  );
  if (clash) throw new UserError(`${clash}.`, EXIT.invalid);
  for (const { flag, given, path } of outputs) {
    const refuse = (reason: string) =>
      new UserError(
        `${flag} ${given} cannot be written (${reason}); choose a file in a writable folder.`,
        EXIT.invalid,
      );
    if ((await statFile(path).catch(() => undefined))?.isDirectory()) throw refuse(`${path} is a folder`);
    const dir = dirname(path);
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    } catch (e) {
      throw refuse(describeFsError(e, dir));
    }
  }
}

export async function writeOutputs(
  record: RunRecord,
  parsed: ParsedArgs,
  io: CliIO,
  render?: RenderReport,
): Promise<void> {
  // Every file is attempted: a failed --json must not also cost the --html report (or the other way round).
  const failed: string[] = [];
  for (const { flag, given, path } of outputFiles(parsed, io)) {
    if (flag === '--html' && !render) continue;
    try {
      await writeOutputFile(path, flag === '--json' ? JSON.stringify(record, null, 2) + '\n' : render!(record));
      io.err(`Wrote ${given}\n`);
    } catch (e) {
      failed.push(`${flag} ${given} could not be written (${describeFsError(e, path)})`);
    }
  }
  if (failed.length) {
    throw new UserError(`${failed.join('; ')}; the results printed above are kept there.`, EXIT.runtime);
  }
}

/** A file-system error in a few words: "permission denied on /x", "no space left on the device". */
function describeFsError(e: unknown, where: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${where}`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `a part of ${where} is a file, not a folder`;
    case 'EROFS':
      return `${where} is on a read-only file system`;
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EISDIR':
      return `${where} is a folder`;
    default:
      return (e instanceof Error ? e.message : String(e)).split('\n')[0];
  }
}

type RenderReport = (record: RunRecord) => string;

/**
 * The standalone HTML report renderer when --html is given, checked before training so a build without the results
 * UI bundle fails in a second rather than after an hour of training.
 */
export async function reportRenderer(parsed: ParsedArgs): Promise<RenderReport | undefined> {
  if (!parsed.values.has('--html')) return undefined;
  const { findWebviewBundle, renderReport } = await import('../panel/report');
  let bundlePath: string;
  try {
    bundlePath = findWebviewBundle();
  } catch (e) {
    throw new UserError(`--html cannot be written: ${e instanceof Error ? e.message : String(e)}`, EXIT.runtime);
  }
  return (record) => renderReport(record, { bundlePath });
}

// ---- Text ----------------------------------------------------------------------------------------------------

export function startedLine(definitionName: string, dataset: DatasetInfo, optimizer: string, backend: string): string {
  const sizes = `${thousands(dataset.train)} train / ${thousands(dataset.validation)} validation`;
  return `Training ${definitionName} on ${dataset.name} (${sizes}) with ${optimizer}, backend ${backend}`;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Accuracy, the per-class table and the confusion matrix [actual][predicted]. */
export function evaluationText(e: Evaluation): string {
  const lines: string[] = [];
  const total = e.perClassAccuracy?.reduce((n, c) => n + c.count, 0);
  const head = `Evaluation on the ${e.split} set${total ? ` (${thousands(total)} examples)` : ''}: loss ${e.loss.toFixed(4)}`;
  lines.push(e.accuracy !== undefined ? `${head} - accuracy ${e.accuracy.toFixed(4)}` : head);
  const perClass = e.perClassAccuracy;
  if (perClass?.length) {
    // Loops, not Math.max(...array): a spread of a few hundred thousand values overflows the stack.
    const width = maxOf(perClass, (c) => c.className.length, 5);
    lines.push('', `${'Class'.padEnd(width)}  Accuracy    Count`);
    for (const c of perClass)
      lines.push(`${c.className.padEnd(width)}  ${pct(c.accuracy).padStart(8)}  ${thousands(c.count).padStart(7)}`);
  }
  const matrix = e.confusionMatrix;
  if (matrix?.length && perClass?.length === matrix.length && matrix.length > MAX_MATRIX_CLASSES) {
    lines.push(
      '',
      ...topConfusions(
        matrix,
        perClass.map((c) => c.className),
      ),
    );
  } else if (matrix?.length && perClass?.length === matrix.length) {
    const names = perClass.map((c, i) => `${i} ${c.className}`);
    const width = maxOf(names, (n) => n.length, 0);
    const cell = maxOf(matrix, (row) => maxOf(row, (v) => String(v).length + 1, 4), 4);
    lines.push('', 'Confusion matrix (rows: actual class, columns: predicted class)');
    lines.push(`${''.padEnd(width)} ${matrix.map((_, i) => String(i).padStart(cell)).join('')}`);
    matrix.forEach((row, i) =>
      lines.push(`${names[i].padEnd(width)} ${row.map((v) => String(v).padStart(cell)).join('')}`),
    );
  }
  return lines.join('\n') + '\n';
}

/** Above this many classes a matrix does not fit a terminal: the most frequent confusions are listed instead. */
const MAX_MATRIX_CLASSES = 30;
const TOP_CONFUSIONS = 20;

function maxOf<T>(items: readonly T[], value: (item: T) => number, start: number): number {
  let max = start;
  for (const item of items) max = Math.max(max, value(item));
  return max;
}

/** The largest off-diagonal cells of a confusion matrix, as lines. */
function topConfusions(matrix: number[][], names: string[]): string[] {
  const top: { actual: number; predicted: number; count: number }[] = [];
  for (let a = 0; a < matrix.length; a++) {
    for (let p = 0; p < matrix[a].length; p++) {
      const count = matrix[a][p];
      if (a === p || !(count > 0)) continue;
      if (top.length === TOP_CONFUSIONS && count <= top[top.length - 1].count) continue;
      top.push({ actual: a, predicted: p, count });
      top.sort((x, y) => y.count - x.count);
      if (top.length > TOP_CONFUSIONS) top.pop();
    }
  }
  const lines = [
    `Most frequent confusions of ${thousands(matrix.length)} classes (the full matrix is in --json and --html)`,
  ];
  if (!top.length) lines.push('  none: every example was classified correctly');
  for (const t of top)
    lines.push(
      `  ${thousands(t.count).padStart(7)}  ${t.actual} ${names[t.actual]} → ${t.predicted} ${names[t.predicted]}`,
    );
  return lines;
}

// ---- Comparison table ------------------------------------------------------------------------------------------

/** The printed comparison table lives with the panel's comparison logic, so both name the same best run. */
export { comparisonTable } from '../results/comparison-text';

// ---- Running a session from the command line -------------------------------------------------------------------

export interface SessionInputs {
  kind: 'train' | 'compare';
  file: string;
  absolutePath: string;
  baseDir: string;
  definition: ModelDefinition;
  summary: ModelSummary;
  backend: BackendName;
  dataDir?: string;
  cacheDir: string;
  epochs?: number;
  seed?: number;
  repeats?: number;
  workers?: number;
  parsed: ParsedArgs;
  /** `--save-weights DIR`: each run's weights (tfjs, .npz, optimizer state, a Keras script) go under DIR. */
  saveWeightsDir?: string;
  /** `train --resume`: the recorded run this session continues (resume-run.ts). */
  continueRun?: RunResult;
}

/**
 * Reads the options every training command shares and the model file. A file with errors prints them as `check`
 * does and ends the command with exit 2.
 */
/** Which model of a loaded file a session trains; `definition` replaces the model's own (a comparison of models). */
export type ChooseModel = (loaded: LoadedModels) => { model: ParsedModel; note?: string; definition?: ModelDefinition };

export async function sessionInputs(
  kind: 'train' | 'compare',
  parsed: ParsedArgs,
  io: CliIO,
  usage: string,
  override: (def: ModelDefinition) => ModelDefinition = (d) => d,
  choose: ChooseModel = firstModel,
): Promise<SessionInputs> {
  if (parsed.positional.length !== 1) throw new UserError(`give exactly one model file.\n${usage}`, EXIT.invalid);
  const backend = backendOption(parsed);
  const epochs = intOption(parsed, '--epochs');
  const seed = intOption(parsed, '--seed');
  const repeats = intOption(parsed, '--repeats');
  const workers = intOption(parsed, '--workers');
  const loaded = await loadModelFile(parsed.positional[0], io);
  const { model, note, definition } = choose(loaded);
  if (note) io.err(note + '\n');
  const analysis = analyze(model);
  for (const d of analysis.diagnostics) io.err(diagnosticLine(loaded.file, d, loaded.cells) + '\n');
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  if (model.untrainable && !errors) {
    // Read whole and exact, but not trainable as the script does (pretrained weights Model Lab does not load).
    const at = positionText(loaded.file, model.untrainable.range.start, loaded.cells);
    throw new UserError(`${at}: cannot train this model: ${model.untrainable.reason}.`, EXIT.invalid);
  }
  if (errors || !analysis.definition || !analysis.summary) {
    throw new UserError(
      `${loaded.file} has ${errors || 'unresolved'} error${errors === 1 ? '' : 's'}; fix ${errors === 1 ? 'it' : 'them'} (see 'model-lab check ${loaded.file}') and try again.`,
      EXIT.invalid,
    );
  }
  return {
    kind,
    file: loaded.file,
    absolutePath: loaded.absolutePath,
    baseDir: loaded.baseDir,
    definition: override(definition ?? analysis.definition),
    summary: analysis.summary,
    backend,
    dataDir: dataDir(parsed, io),
    cacheDir: cacheDir(io),
    epochs,
    seed,
    repeats,
    workers,
    parsed,
  };
}

export interface SessionOutcome {
  record: RunRecord;
  /** Ctrl-C was pressed. */
  interrupted: boolean;
}

export interface RunSessionOptions {
  prefixLabels: boolean;
  /** Prints the results (evaluation, table) once training ends, before the files are written. */
  report?: (record: RunRecord) => void;
}

/**
 * Trains the session in worker processes, printing a line per finished epoch (prefixed with the run's label when
 * several runs share the screen), then the report, then writes --json / --html. Ctrl-C stops every run after its
 * current batch.
 */
export async function runSession(inputs: SessionInputs, io: CliIO, opts: RunSessionOptions): Promise<SessionOutcome> {
  const workerPath = defaultWorkerPath();
  if (!existsSync(workerPath)) {
    throw new UserError(
      `the training worker ${workerPath} is missing; build Model Lab first with 'npm run build'.`,
      EXIT.runtime,
    );
  }
  const render = await reportRenderer(inputs.parsed);
  await prepareOutputs(inputs.parsed, io, sessionFiles(inputs));
  const repeats = inputs.kind === 'compare' ? (inputs.repeats ?? compareRepeats(inputs.definition)) : 1;
  const said = new Set<string>();
  const say = (text: string) => {
    // Each worker reports the same data-loading steps; once is enough.
    if (said.has(text)) return;
    said.add(text);
    io.err(text + '\n');
  };
  const progress = progressPrinter(say);
  const prefix = (run: RunResult) => (opts.prefixLabels ? `[${runName(run, driver.specs)}] ` : '');
  const pool = new RunPool({
    workerPath,
    size: inputs.kind === 'train' ? 1 : inputs.workers,
    env: io.env,
    audience: 'cli',
    onStderr: workerStderr(io),
  });
  const driver = new SessionDriver({
    pool,
    signal: io.signal,
    kind: inputs.kind,
    definition: inputs.definition,
    summary: inputs.summary,
    modelFile: inputs.file,
    baseDir: inputs.baseDir,
    backend: inputs.backend,
    audience: 'cli',
    dataDir: inputs.dataDir,
    cacheDir: inputs.cacheDir,
    epochs: inputs.epochs,
    weightsFolder: inputs.saveWeightsDir,
    continueRun: inputs.continueRun,
    repeats: inputs.kind === 'compare' ? repeats : undefined,
    seed: inputs.seed,
    reporter: {
      preparing: progress,
      event: (record, run, event) => {
        switch (event.type) {
          case 'progress':
            progress(event.message, event.fraction);
            break;
          case 'started':
            // Why auto chose this backend (tfjs-node missing, say): a sentence for the session, not one per run.
            if (inputs.backend === 'auto' && event.backendNote) say(event.backendNote);
            if (!said.has('started')) {
              said.add('started');
              const what = inputs.kind === 'train' ? run.label : `${record.runs.length} runs`;
              io.out(
                startedLine(inputs.definition.name ?? inputs.summary.name, event.dataset, what, event.backend) + '\n',
              );
            }
            break;
          case 'epoch':
            io.out(prefix(run) + formatEpochLine(event.epoch, run.epochs, event.epochMs, event.logs) + '\n');
            break;
          case 'finished':
            if (event.status === 'failed' && inputs.kind === 'compare')
              io.err(`${prefix(run)}failed: ${event.error}\n`);
            for (const note of callbackNotes(event)) io.out(`${prefix(run)}${note}\n`);
            break;
        }
      },
    },
  });
  // A second signal ends the process now: the workers are killed and the files hold what had arrived.
  const unhook = io.onHardExit?.(async () => {
    pool.dispose();
    const record = driver.record;
    if (!record) return;
    for (const run of record.runs.filter(isUnfinished)) {
      run.status = 'cancelled';
      run.error = 'Interrupted before it finished (the command was told to quit now); finished epochs are kept.';
      delete run.progress;
    }
    record.active = false;
    await writeOutputs(record, inputs.parsed, io, render).catch((e) =>
      io.err(`${e instanceof Error ? e.message : String(e)}\n`),
    );
  });
  try {
    const outcome = await driver.run().catch((e: unknown) => {
      // What fails every run alike (backend, dataset) fails the command once, before any worker starts.
      if (e instanceof DataError || e instanceof BackendError) throw new UserError(e.message, EXIT.runtime);
      throw e;
    });
    unhook?.();
    if (outcome.state === 'stopped') throw new UserError('interrupted before training started.', EXIT.interrupted);
    // Files first: a result that fails to print (a closed terminal, a huge table) is still kept.
    let written: unknown;
    await writeOutputs(outcome.record, inputs.parsed, io, render).catch((e) => (written = e));
    opts.report?.(outcome.record);
    if (written) throw written;
    return { record: outcome.record, interrupted: io.signal.aborted };
  } finally {
    unhook?.();
    pool.dispose();
  }
}

/** The files a session reads, which no output may overwrite: the model file and its CSV. */
function sessionFiles(inputs: SessionInputs): NamedPath[] {
  const files: NamedPath[] = [{ what: `the model file ${inputs.file}`, path: inputs.absolutePath }];
  const ds = inputs.definition.dataset;
  if (ds && typeof ds === 'object' && typeof ds.csv === 'string')
    files.push({ what: `the dataset ${ds.csv}`, path: resolve(inputs.baseDir, ds.csv) });
  return files;
}

/**
 * Where the CLI sends what a worker writes to stderr: nowhere, unless MODEL_LAB_DEBUG is set, as for the CLI's own
 * stack traces. A worker's unexpected failure reaches the user as its run's one-line error, and a crash as the pool's
 * sentence built from the same stderr (pool.ts keeps its tail); the stack behind them is for debugging.
 */
export function workerStderr(io: Pick<CliIO, 'env' | 'err'>): (text: string) => void {
  return (text) => {
    if (io.env.MODEL_LAB_DEBUG) io.err(text);
  };
}

/**
 * Progress lines: plain messages once each; a download's progress (a fraction) as a line at every tenth, so a
 * log or a terminal shows it moving without a line per chunk.
 */
export function progressPrinter(say: (text: string) => void): (message: string, fraction?: number) => void {
  let lastTenth = -1;
  return (message, fraction) => {
    if (fraction === undefined) return say(message);
    const tenth = Math.min(10, Math.floor(fraction * 10 + 1e-9));
    if (tenth <= lastTenth) return;
    lastTenth = tenth;
    say(`${message} - ${tenth * 10}%`);
  };
}
