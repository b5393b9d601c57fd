/**
 * The model definition and everything the core says about it.
 *
 * A definition is the plain JSON object a `*.model.json` file holds (Keras vocabulary: layer `type` is the Keras
 * class name, arguments are Keras's snake_case constructor arguments). Every front end (JSON today, Keras Python
 * code in `python/`) produces the same `ParsedModel`: the definition, the source range of every value by path, and
 * the diagnostics found while reading. Nothing here imports vscode or tfjs.
 */

/** Zero-based line and UTF-16 character, as VS Code counts them. */
export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'information';

export interface Diagnostic {
  range: Range;
  severity: Severity;
  message: string;
  /** Stable code for tests and quick fixes, e.g. `unknown-layer`, `json-syntax`, `shape`. */
  code: string;
  /** Definition path the diagnostic is about (`layers[1].units`), when there is one. */
  path?: string;
}

export type LayerArgs = Record<string, unknown>;

/** One layer: `type` plus Keras constructor arguments (including `name`, `input_shape`). */
export interface LayerSpec {
  type: string;
  name?: string;
  input_shape?: (number | null)[];
  [arg: string]: unknown;
}

export interface DatasetObject {
  name?: string;
  validation_split?: number;
  seed?: number;
  /** A folder holding the four IDX files (relative to the model file). */
  path?: string;
  /** CSV form: a file (relative to the model file) and its label column. */
  csv?: string;
  label?: string;
  /** Also evaluate on the test set after training. */
  evaluate_test?: boolean;
  /** NumPy form: an .npz archive (relative to the model file); `x`/`y`/`x_test`/`y_test` name its arrays. */
  npz?: string;
  /** The array of inputs: a name inside `npz`, or (without `npz`) an .npy file relative to the model file. */
  x?: string;
  y?: string;
  x_test?: string;
  y_test?: string;
  /** Multiply the NumPy inputs by this (e.g. 1/255 for uint8 pixels); 1 when absent. */
  scale?: number;
  /** Keras sequence loaders (imdb, reuters): `load_data` arguments, Keras names and defaults. */
  num_words?: number;
  skip_top?: number;
  start_char?: number | null;
  oov_char?: number | null;
  index_from?: number;
  /** load_data's `seed`: the shuffle of imdb / reuters (113). */
  shuffle_seed?: number;
  /** load_data's `maxlen`: keeps only sequences shorter than this. */
  filter_maxlen?: number;
  /** reuters: fraction kept as the test set (0.2). */
  test_split?: number;
  /** pad_sequences: every sequence padded or truncated to this length (default: the longest). */
  maxlen?: number;
  padding?: 'pre' | 'post';
  truncating?: 'pre' | 'post';
  value?: number;
  /** cifar100: "fine" (100 classes) or "coarse" (20). */
  label_mode?: 'fine' | 'coarse';
}
export type DatasetSpec = string | DatasetObject;

export interface OptimizerObject {
  type: string;
  label?: string;
  [arg: string]: unknown;
}
export type OptimizerSpec = string | OptimizerObject;

export interface CompileSpec {
  optimizer?: OptimizerSpec;
  loss?: string;
  /**
   * The loss object's `from_logits` (`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`): the model's
   * output is the logits, the crossentropy applies softmax/sigmoid itself. Only with the three crossentropies.
   */
  from_logits?: boolean;
  metrics?: string[];
}

export interface FitSpec {
  epochs?: number;
  batch_size?: number;
  shuffle?: boolean;
  seed?: number;
  /** Keras callbacks (`callbacks.ts`): `{ "type": "EarlyStopping", "patience": 2 }`. */
  callbacks?: { type: string; [arg: string]: unknown }[];
}

export interface VariantSpec {
  label: string;
  /** Overrides by definition path: `{ "layers[1].activation": "sigmoid", "fit.batch_size": 64 }`. */
  set: Record<string, unknown>;
}

export interface CompareSpec {
  optimizers?: OptimizerSpec[];
  variants?: VariantSpec[];
  repeats?: number;
}

export interface ModelDefinition {
  name?: string;
  dataset?: DatasetSpec;
  layers: LayerSpec[];
  /** Graph (functional) models: the layer(s) whose output is the model's output; the last layer when omitted. */
  outputs?: string | string[];
  compile?: CompileSpec;
  fit?: FitSpec;
  compare?: CompareSpec;
}

/** A path into a definition, as keys and indices: `['layers', 1, 'units']`. */
export type DefPath = (string | number)[];

/**
 * Source ranges of a definition's values, keyed by `pathKey(path)` (`layers[1].units`; the root is `''`).
 * `values` holds the range of the value itself; `keys` the range of the property name where the front end has one.
 */
export interface SourceRanges {
  values: Map<string, Range>;
  keys: Map<string, Range>;
}

export interface ParsedModel {
  /** Absent when the text could not be read as a definition at all. */
  definition?: ModelDefinition;
  ranges: SourceRanges;
  /** Problems found while reading (syntax, structure). Analysis adds its own. */
  diagnostics: Diagnostic[];
  /** Range of the whole model in its source (the whole file for JSON; the Sequential call for Python). */
  range: Range;
  /**
   * Set when a front end could read only part of the model (a Python layer built in a loop, a custom loss): why,
   * in a few words. The definition then holds what was read, so it can be shown but must not be trained.
   */
  incomplete?: string;
  /**
   * Python: every way the script sets this model up to train, in program order (`trainings.ts` in src/model/python).
   * The definition holds what one run of the script trains (the last compile before the first fit); these are what
   * a comparison of the file's models trains side by side.
   */
  trainings?: TrainingOption[];
  /** Python: how the script's `model.summary()` prints this model (its arguments, the session's names). */
  summaryPrint?: SummaryPrint;
  /**
   * Set when the model reads whole but Model Lab cannot train it as the script does (a keras.applications model
   * with pretrained weights it does not load): why, and where.
   */
  untrainable?: { reason: string; range: Range };
  /**
   * The front end that read it. Python code is the user's model as Keras runs it, so what a `.model.json` gets as
   * advice to change (an output that is not one vector per example) is information there: what Model Lab cannot train.
   */
  language?: 'python';
}

/** What of a model's printed summary depends on the script rather than the model: see ParsedModel.summaryPrint. */
export interface SummaryPrint {
  /** `model.summary(show_trainable=True)`: the "Trainable" column. */
  showTrainable?: boolean;
  /**
   * Keras 3's names for layers it names differently from Keras 2 in this script's session (by Keras 2 name): its
   * `input_layer` counter also counts the InputLayer each Sequential model makes (`input_layer_1` after one).
   */
  keras3Names?: Record<string, string>;
  /** Keras 2's class for the layers an operator made (`x + y`: `TFOpLambda`), by name; Keras 3 prints the layer's. */
  keras2Types?: Record<string, string>;
}

/**
 * One way a script trains a model: a `model.compile(...)` with the fit it is used with (the first after it, else the
 * latest before it), or an optimizer the script builds while the model is current and never compiles
 * (`sgd = keras.optimizers.SGD(learning_rate=0.1)` in a tutorial's optimizer cells), with the model's compile
 * settings around it.
 */
export interface TrainingOption {
  origin: 'compile' | 'optimizer';
  compile: CompileSpec;
  fit?: FitSpec;
  dataset?: DatasetSpec;
  /** The compile call, or the optimizer's assignment. */
  range: Range;
  /** Why it cannot be trained as written (an optimizer or loss Model Lab cannot read). */
  incomplete?: string;
}

/** Output shape with the batch dimension first as null, as Keras prints `(None, 100)`. */
export type Shape = (number | null)[];

export interface LayerSummary {
  name: string;
  type: string;
  inputShape: Shape;
  outputShape: Shape;
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Set when the layer has `trainable=False`, weights or not (Keras 2's show_trainable column prints `N`). */
  frozen?: true;
  /** Non-trainable int64 values among the parameters (Normalization's count): Keras 3 sizes them at 8 bytes. */
  int64Params?: number;
  /** Graph models: the layers it takes its input from, as Keras's "Connected to" column (`dense[0][0]`). */
  connectedTo?: string[];
}

/** The summary JSON of `model-lab summary --json` and of the results panel. */
export interface ModelSummary {
  name: string;
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /**
   * `false` when the front end could read only the first layers of the model (a Python layer it cannot evaluate):
   * the summary then covers those layers, and `incomplete` says why and where (1-based line and column).
   */
  complete?: false;
  incomplete?: { reason: string; line: number; character: number };
  /** Set for graph (functional) models: Keras prints them with InputLayer rows and, unless a plain chain, "Connected to". */
  functional?: { sequentialLike: boolean };
}
