/**
 * Every message that crosses a process or webview boundary in Model Lab, in one place.
 *
 *   extension host / CLI  --WorkerRequest-->  training worker (child_process.fork of dist/worker.js)
 *   extension host / CLI  <--WorkerEvent----  training worker
 *   extension host        --HostToWebview-->  results panel (webview) and the standalone HTML report
 *   extension host        <--WebviewToHost--  results panel
 *
 * Messages arriving from another process or the webview are untrusted: check them with the validators in
 * `protocol-validate.ts` before acting on them.
 */
import type { VariantInfo } from './model/compare';
import type { EffectiveOptimizer } from './model/optimizers';
import type { ModelDefinition, ModelSummary } from './model/types';

// Defined by the core (which must not import the protocol), re-exported for the protocol's users.
export type { EffectiveOptimizer, VariantInfo };

export type BackendName = 'auto' | 'tensorflow' | 'tensorflow-gpu' | 'wasm' | 'cpu';

export type RunStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

export interface DatasetInfo {
  name: string;
  /** Where the data came from: a folder, a CSV file, `bundled sample`, or a download URL. */
  source: string;
  train: number;
  validation: number;
  test: number;
  classNames: string[];
  /** Shape of one example as stored, e.g. [28, 28]. */
  exampleShape: number[];
  task: 'classification' | 'regression';
}

export interface Evaluation {
  /** Which split was evaluated. */
  split: 'validation' | 'test';
  loss: number;
  accuracy?: number;
  /** confusionMatrix[actual][predicted]; classification only. */
  confusionMatrix?: number[][];
  perClassAccuracy?: { className: string; accuracy: number; count: number }[];
  /** What the model predicted for individual examples (classification only): the examples gallery reads them. */
  examples?: ExamplePredictions;
}

/**
 * Per-example predictions of one evaluation, kept compactly as parallel arrays (entry i is one example) and capped:
 * at most `perCell` examples of each confusion-matrix cell (the most confident ones, so a cell's gallery and the
 * "most confidently wrong" view are exact up to that many) and at most EXAMPLES_MAX in all. `evaluated` says how
 * many examples the evaluation saw; the arrays hold what was kept.
 */
export interface ExamplePredictions {
  /**
   * The dataset set `index` counts in: the training set as read from the files (the validation split is a seeded
   * part of it) or the test set; `sourceCount` is that set's size, so a dataset changed since the run is noticed.
   */
  source: 'train' | 'test';
  sourceCount: number;
  evaluated: number;
  perCell: number;
  /** Position of each kept example in the source set. */
  index: number[];
  actual: number[];
  predicted: number[];
  /** The output's value for the predicted class (its probability for a softmax or sigmoid output), 4 decimals. */
  confidence: number[];
}

/** What one worker is asked to train. */
export interface RunSpec {
  runId: string;
  label: string;
  /** The definition to train, with the variant's overrides already applied. */
  definition: ModelDefinition;
  variant?: VariantInfo;
  repeat: number;
  seed: number;
  backend: BackendName;
  /** Folder relative paths in the definition (dataset.path, dataset.csv) resolve against. */
  baseDir: string;
  /** The user's data folder (setting or MODEL_LAB_DATA), searched before the cache. */
  dataDir?: string;
  /** Where downloaded datasets are cached. */
  cacheDir: string;
  /** Write the trained weights (tfjs format) into this folder when set. */
  saveWeightsTo?: string;
  /** Who reads the run's messages, so advice names a CLI flag or an editor setting (default: the CLI). */
  audience?: 'cli' | 'editor';
  /** A folder holding `node_modules/@tensorflow/tfjs-node` (the editor's Install Native Backend puts it there). */
  nativeDir?: string;
  /**
   * Continue a finished run ("train N more epochs"): its saved weights and optimizer state are in `from`, it had
   * trained `epochsDone` epochs, and `definition.fit.epochs` is the new total.
   */
  resume?: { from: string; epochsDone: number };
}

/** A Keras callback that ended a run before its last epoch (EarlyStopping, TerminateOnNaN). */
export interface StoppedBy {
  callback: string;
  /** 1-based epoch after (or during, for TerminateOnNaN) which it stopped. */
  epoch: number;
  /** One sentence, as the CLI prints it. */
  message: string;
}

export type WorkerRequest = { type: 'start'; run: RunSpec } | { type: 'stop' };

export type WorkerEvent =
  | {
      type: 'started';
      runId: string;
      backend: string;
      /** Why this backend and not another, one sentence (tfjs-node not installed, asked for by name, …). */
      backendNote?: string;
      /** Which step engine trains the run, and why the fused one does not when it does not. */
      engine?: string;
      dataset: DatasetInfo;
      optimizer: EffectiveOptimizer;
      epochs: number;
    }
  | { type: 'progress'; runId: string; message: string; fraction?: number }
  | { type: 'batch'; runId: string; epoch: number; batch: number; batches: number; loss: number; accuracy?: number }
  | { type: 'epoch'; runId: string; epoch: number; logs: Record<string, number>; epochMs: number }
  | { type: 'evaluation'; runId: string; evaluation: Evaluation }
  | {
      type: 'finished';
      runId: string;
      status: 'completed' | 'cancelled' | 'failed';
      error?: string;
      durationMs: number;
      /** Folder the trained weights were saved into (RunSpec.saveWeightsTo), when they were. */
      weightsPath?: string;
      /** Set when a callback stopped the run early (the run is still `completed`). */
      stoppedBy?: StoppedBy;
      /** EarlyStopping(restore_best_weights): the evaluated and saved weights are those of this 1-based epoch. */
      restoredEpoch?: number;
      /** ModelCheckpoint(save_best_only): the saved weights are those of this 1-based epoch. */
      checkpointEpoch?: number;
    };

export interface StepPoint {
  x: number;
  loss: number;
  accuracy?: number;
}

/** Everything known about one run: the `runs[]` entries of `--json` output and of run records. */
export interface RunResult {
  runId: string;
  label: string;
  optimizer: EffectiveOptimizer;
  status: RunStatus;
  error?: string;
  variant?: VariantInfo;
  repeat: number;
  seed: number;
  /** Keras epoch logs: loss, accuracy, val_loss, val_accuracy (whatever the loss and metrics give). */
  history: Record<string, number[]>;
  evaluation?: Evaluation;
  testEvaluation?: Evaluation;
  epochMs: number[];
  durationMs: number;
  backend: string;
  /** Why that backend and not another (one sentence). */
  backendNote?: string;
  /** Which step engine trained the run ("fused (wasm-fma products)", "stock: layer type Conv2D is not fused"). */
  engine?: string;
  /** Epochs asked for, to draw progress and the x axis before they finish. */
  epochs: number;
  /**
   * Training loss (and accuracy) per step window, from the throttled `batch` events: x in fractional epochs (epoch 2,
   * batch 750 of 1500 → 1.5), the value the mean over the steps since the previous point. Kept when a run stops
   * mid-epoch; thinned to at most STEP_POINTS_MAX points.
   */
  steps?: StepPoint[];
  /** Live progress of the current epoch; absent once finished. */
  progress?: { epoch: number; batch: number; batches: number; loss: number; accuracy?: number };
  /** Folder of saved tfjs weights, when saving was enabled. */
  weightsPath?: string;
  /** A callback stopped the run before its last epoch (EarlyStopping, TerminateOnNaN). */
  stoppedBy?: StoppedBy;
  /** EarlyStopping restored the weights of this 1-based epoch: the evaluation is theirs. */
  restoredEpoch?: number;
  /** ModelCheckpoint(save_best_only) kept the weights of this 1-based epoch: the saved weights are theirs. */
  checkpointEpoch?: number;
  /** This run continues another ("train N more epochs"): its first `epochs` epochs of history are that run's. */
  continuedFrom?: { runId: string; epochs: number };
  /**
   * This run's own model, when its variant trains another architecture than the record's `model` (a comparison of a
   * file's models, a variant that sets layers); absent when the run trains the record's model.
   */
  model?: ModelSummary;
}

/** A training or comparison session: the `--json` output of the CLI and the record stored under `.model-lab/runs/`. */
export interface RunRecord {
  version: 1;
  id: string;
  /** A name the user gave the record in the history (renaming keeps the id and the file). */
  title?: string;
  kind: 'train' | 'compare';
  createdAt: string;
  /** Workspace-relative (or absolute) path of the model file, when there is one. */
  modelFile?: string;
  definition: ModelDefinition;
  model: ModelSummary;
  dataset?: DatasetInfo;
  backend: string;
  /** Why that backend and not another, from the first run that started. */
  backendNote?: string;
  runs: RunResult[];
  /** True while any run is queued or running. */
  active?: boolean;
}

/** A line of the run history list. */
export interface RecordListItem {
  id: string;
  /** The user's name for the record, when renamed. */
  title?: string;
  kind: 'train' | 'compare';
  createdAt: string;
  modelName: string;
  runs: number;
  bestValAccuracy?: number;
  /** Runs that failed, that the user stopped, and that were interrupted (VS Code closed), when any. */
  failed?: number;
  stopped?: number;
  interrupted?: number;
}

// ---- Results panel -------------------------------------------------------------------------------------------

export type HostToWebview =
  | { type: 'show'; record: RunRecord; history: RecordListItem[]; pinned: RunRecord[] }
  | { type: 'update'; record: RunRecord }
  | { type: 'history'; history: RecordListItem[] }
  | { type: 'notice'; level: 'info' | 'error'; message: string }
  | ExamplesReply;

/** Which examples the gallery asks the host to load from the local dataset (positions in `Evaluation.examples`). */
export interface ExamplesRequest {
  type: 'examples';
  /** Echoed in the reply, so a late answer to an older click is ignored. */
  requestId: number;
  recordId: string;
  runId: string;
  split: 'validation' | 'test';
  /** Positions in the evaluation's `examples` arrays (at most EXAMPLES_PER_REQUEST). */
  positions: number[];
}

/** One example as the gallery draws it: image pixels (uint8, row-major, base64) or a CSV row's feature values. */
export interface ExampleData {
  position: number;
  pixels?: string;
  values?: number[];
}

export type ExamplesReply = {
  type: 'examples';
  requestId: number;
  recordId: string;
  runId: string;
  split: 'validation' | 'test';
} & (
  | {
      kind: 'image';
      /** height, width, channels (1 or 3). */
      shape: [number, number, number];
      items: ExampleData[];
    }
  | { kind: 'row'; columns: string[]; items: ExampleData[] }
  | { kind: 'unavailable'; reason: string }
);

/** Most examples one gallery request loads; the gallery pages through more. */
export const EXAMPLES_PER_REQUEST = 48;
/** Longest record name accepted from the history's Rename. */
export const TITLE_MAX_LENGTH = 120;

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'stop'; runId?: string }
  | { type: 'openRecord'; id: string }
  | { type: 'pinRecord'; id: string; pinned: boolean }
  | { type: 'deleteRecord'; id: string }
  | { type: 'export'; format: 'csv' | 'json' | 'history-csv' }
  | { type: 'savePng'; chart: string; dataUrl: string }
  | ExamplesRequest
  | { type: 'renameRecord'; id: string; title: string }
  | { type: 'repeatComparison'; id: string };
