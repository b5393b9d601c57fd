/**
 * What the core knows about datasets statically: the built-in names (Fashion-MNIST and the Keras loaders), what
 * each one's examples look like, how many classes it has, which options it takes, and how a Keras
 * `keras.datasets.X.load_data(...)` call (plus `pad_sequences`) becomes a `dataset` definition.
 */
import type { DatasetObject, DatasetSpec } from './types';

export const DATASET_NAMES = [
  'fashion-mnist',
  'fashion-mnist-sample',
  'mnist',
  'cifar10',
  'cifar100',
  'imdb',
  'reuters',
] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export const DEFAULT_VALIDATION_SPLIT = 0.2;

/** `load_data` options of the word-index datasets (Keras names; `seed` is `shuffle_seed`, `maxlen` `filter_maxlen`). */
export const SEQUENCE_LOAD_OPTIONS = [
  'num_words',
  'skip_top',
  'start_char',
  'oov_char',
  'index_from',
  'shuffle_seed',
  'filter_maxlen',
] as const;
/** `keras.utils.pad_sequences` options, applied after loading. */
export const PAD_OPTIONS = ['maxlen', 'padding', 'truncating', 'value'] as const;
/** Options of the NumPy (`npz` / `.npy`) form. */
export const NUMPY_OPTIONS = ['npz', 'x', 'y', 'x_test', 'y_test', 'scale'] as const;

interface BuiltinDataset {
  /** One line for the schema's enum description and hovers. */
  doc: string;
  /** One example's shape, when fixed. */
  shape?: number[];
  /** Number of classes for the given options. */
  classes(o: DatasetObject): number;
  /** Options beyond the common ones (validation_split, seed, path, evaluate_test). */
  options: readonly string[];
}

const SEQUENCE_OPTIONS = [...SEQUENCE_LOAD_OPTIONS, ...PAD_OPTIONS];

export const BUILTIN_DATASETS: Readonly<Record<DatasetName, BuiltinDataset>> = {
  'fashion-mnist': {
    doc: 'Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28×28, 10 classes.',
    shape: [28, 28],
    classes: () => 10,
    options: [],
  },
  'fashion-mnist-sample': {
    doc: 'A 3,000 / 1,000 image class-balanced subset of Fashion-MNIST shipped with Model Lab, for quick runs.',
    shape: [28, 28],
    classes: () => 10,
    options: [],
  },
  mnist: {
    doc: 'MNIST (keras.datasets.mnist): 60,000 training and 10,000 test handwritten digits, 28×28 grayscale, 10 classes.',
    shape: [28, 28],
    classes: () => 10,
    options: [],
  },
  cifar10: {
    doc: 'CIFAR-10 (keras.datasets.cifar10): 50,000 training and 10,000 test colour images, 32×32×3, 10 classes.',
    shape: [32, 32, 3],
    classes: () => 10,
    options: [],
  },
  cifar100: {
    doc: 'CIFAR-100 (keras.datasets.cifar100): 50,000 training and 10,000 test colour images, 32×32×3, 100 fine or 20 coarse classes.',
    shape: [32, 32, 3],
    classes: (o) => (o.label_mode === 'coarse' ? 20 : 100),
    options: ['label_mode'],
  },
  imdb: {
    doc: 'IMDB reviews (keras.datasets.imdb): 25,000 training and 25,000 test word-index sequences, positive or negative; set maxlen to pad them.',
    classes: () => 2,
    options: SEQUENCE_OPTIONS,
  },
  reuters: {
    doc: 'Reuters newswires (keras.datasets.reuters): 11,228 word-index sequences over 46 topics, 20% kept for test; set maxlen to pad them.',
    classes: () => 46,
    options: [...SEQUENCE_OPTIONS, 'test_split'],
  },
};

export function isBuiltinDataset(name: string | undefined): name is DatasetName {
  return name !== undefined && Object.prototype.hasOwnProperty.call(BUILTIN_DATASETS, name);
}

/**
 * The dataset's name as Model Lab reads it: a built-in's name (or a NumPy dataset's label), `fashion-mnist` for a
 * folder of IDX files without one; undefined for a CSV file or no dataset.
 */
export function datasetName(spec: DatasetSpec | undefined): string | undefined {
  if (typeof spec === 'string') return spec;
  // A malformed definition (null, a number, a list) has its own diagnostic.
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || spec.csv !== undefined) return undefined;
  return spec.name ?? (spec.path !== undefined ? 'fashion-mnist' : undefined);
}

/** Whether a dataset's inputs are pixels, which Model Lab multiplies by 1/255 unless `scale` says otherwise. */
export function isImageDataset(obj: DatasetObject): boolean {
  if (obj.csv !== undefined || isNumpyDataset(obj)) return false;
  const name = datasetName(obj);
  return name === undefined || (isBuiltinDataset(name) && BUILTIN_DATASETS[name].shape !== undefined);
}

/** A name becomes `{ name }`; `validation_split` gets its default. */
export function normalizeDataset(spec: DatasetSpec): DatasetObject {
  const obj: DatasetObject = typeof spec === 'string' ? { name: spec } : { ...spec };
  if (obj.validation_split === undefined) obj.validation_split = DEFAULT_VALIDATION_SPLIT;
  return obj;
}

/** Whether the spec reads NumPy arrays from the workspace (`npz`, or `x` naming an .npy file; `name` then only labels it). */
export function isNumpyDataset(obj: DatasetObject): boolean {
  return obj.npz !== undefined || (obj.csv === undefined && obj.x !== undefined && !isBuiltinDataset(obj.name));
}

/** The example shape of a dataset when it is known without reading files. */
export function datasetExampleShape(spec: DatasetSpec | undefined): number[] | undefined {
  if (spec === undefined) return undefined;
  const obj: DatasetObject = typeof spec === 'string' ? { name: spec } : spec;
  if (obj.csv !== undefined || isNumpyDataset(obj)) return undefined;
  // A folder of IDX files is read as Fashion-MNIST-shaped images.
  if (obj.path !== undefined && obj.name === undefined) return [28, 28];
  if (!isBuiltinDataset(obj.name)) return undefined;
  const known = BUILTIN_DATASETS[obj.name];
  if (known.shape) return [...known.shape];
  // Sequences have the padded length, known only when maxlen fixes it.
  return Number.isInteger(obj.maxlen) && (obj.maxlen as number) > 0 ? [obj.maxlen as number] : undefined;
}

/** The number of classes of a built-in dataset (undefined for files, whose labels are only known once read). */
export function datasetClassCount(spec: DatasetSpec | undefined): number | undefined {
  if (spec === undefined) return undefined;
  const obj: DatasetObject = typeof spec === 'string' ? { name: spec } : spec;
  if (obj.csv !== undefined || isNumpyDataset(obj)) return undefined;
  const name = datasetName(obj);
  return isBuiltinDataset(name) ? BUILTIN_DATASETS[name].classes(obj) : undefined;
}

/**
 * What the model's input values are: word indices ('int', for Embedding), or real values ('float': scaled pixels,
 * CSV features). Undefined when only the file can tell (NumPy arrays) or the dataset is unknown.
 */
export function datasetInputKind(spec: DatasetSpec | undefined): 'int' | 'float' | undefined {
  if (spec === undefined) return 'float'; // Fashion-MNIST, the default
  const obj: DatasetObject = typeof spec === 'string' ? { name: spec } : spec;
  if (obj.csv !== undefined) return 'float';
  if (isNumpyDataset(obj)) return undefined;
  if (obj.name === 'imdb' || obj.name === 'reuters') return 'int';
  return isBuiltinDataset(obj.name ?? 'fashion-mnist') ? 'float' : undefined;
}

/** The Keras module names of `keras.datasets.<module>.load_data` and the dataset each one is. */
export const KERAS_DATASET_MODULES: Readonly<Record<string, DatasetName>> = {
  mnist: 'mnist',
  fashion_mnist: 'fashion-mnist',
  cifar10: 'cifar10',
  cifar100: 'cifar100',
  imdb: 'imdb',
  reuters: 'reuters',
};

/** `load_data`'s parameters in order, so positional arguments map too (`path` is Keras's cache name: ignored). */
const LOAD_DATA_PARAMS: Readonly<Record<DatasetName, readonly string[]>> = {
  'fashion-mnist': [],
  'fashion-mnist-sample': [],
  mnist: ['path'],
  cifar10: [],
  cifar100: ['label_mode'],
  imdb: ['path', 'num_words', 'skip_top', 'maxlen', 'seed', 'start_char', 'oov_char', 'index_from'],
  reuters: ['path', 'num_words', 'skip_top', 'maxlen', 'test_split', 'seed', 'start_char', 'oov_char', 'index_from'],
};
/** Keras argument name → dataset key where they differ. */
const RENAMED: Readonly<Record<string, string>> = { maxlen: 'filter_maxlen', seed: 'shuffle_seed' };
const PAD_PARAMS = ['sequences', 'maxlen', 'dtype', 'padding', 'truncating', 'value'];

export type KerasDatasetResult = { spec: DatasetObject } | { error: string };

/**
 * `keras.datasets.<module>.load_data(*positional, **keywords)` as a dataset definition, for readers of Keras
 * scripts: `datasetFromKerasLoadData('imdb', [], { num_words: 10000 })` → `{ spec: { name: 'imdb', num_words: 10000 } }`.
 * Arguments must be literal values (numbers, strings, None as null); an unknown module or argument, or a value of
 * the wrong kind, gives `{ error }`: one sentence naming it.
 */
export function datasetFromKerasLoadData(
  module: string,
  positional: readonly unknown[],
  keywords: Readonly<Record<string, unknown>>,
): KerasDatasetResult {
  const name = KERAS_DATASET_MODULES[module];
  if (!name) {
    return {
      error: `keras.datasets.${module} is not a dataset Model Lab can load; it reads ${Object.keys(KERAS_DATASET_MODULES).join(', ')}.`,
    };
  }
  const params = LOAD_DATA_PARAMS[name];
  if (positional.length > params.length) {
    return {
      error: `keras.datasets.${module}.load_data takes at most ${params.length} positional argument${params.length === 1 ? '' : 's'}, got ${positional.length}.`,
    };
  }
  const args: Record<string, unknown> = {};
  positional.forEach((v, i) => (args[params[i]] = v));
  for (const [k, v] of Object.entries(keywords)) {
    if (!params.includes(k)) return { error: `keras.datasets.${module}.load_data has no argument ${k}.` };
    if (k in args) return { error: `keras.datasets.${module}.load_data got ${k} twice.` };
    args[k] = v;
  }
  const spec: DatasetObject = { name };
  for (const [k, v] of Object.entries(args)) {
    if (k === 'path' || v === undefined) continue;
    const key = RENAMED[k] ?? k;
    // None means the Keras default, except for start_char / oov_char where None switches the character off.
    if (v === null && !DATASET_OPTION_RULES[key]?.nullable) continue;
    const problem = checkOption(key, v);
    if (problem) return { error: `keras.datasets.${module}.load_data(${k}=…): ${problem}` };
    (spec as Record<string, unknown>)[key] = v;
  }
  return { spec };
}

/**
 * The dataset after `keras.utils.pad_sequences(x, *positional, **keywords)` (the first argument, the sequences,
 * is the caller's to have traced to `spec`): `maxlen`, `padding`, `truncating` and `value` join the spec.
 */
export function withPadSequences(
  spec: DatasetObject,
  positional: readonly unknown[],
  keywords: Readonly<Record<string, unknown>>,
): KerasDatasetResult {
  const params = PAD_PARAMS.slice(1);
  if (positional.length > params.length)
    return { error: `pad_sequences takes at most ${PAD_PARAMS.length} positional arguments.` };
  const args: Record<string, unknown> = {};
  positional.forEach((v, i) => (args[params[i]] = v));
  for (const [k, v] of Object.entries(keywords)) {
    if (!params.includes(k)) return { error: `pad_sequences has no argument ${k}.` };
    args[k] = v;
  }
  if (!isBuiltinDataset(spec.name) || !BUILTIN_DATASETS[spec.name].options.includes('maxlen')) {
    return {
      error: `pad_sequences applies to word-index sequences (imdb, reuters), not to ${spec.name ?? 'this dataset'}.`,
    };
  }
  const out: DatasetObject = { ...spec };
  for (const [k, v] of Object.entries(args)) {
    if (k === 'dtype') {
      if (v !== null && v !== 'int32' && v !== 'int64')
        return { error: `pad_sequences(dtype=${JSON.stringify(v)}): Model Lab keeps word indices as int32.` };
      continue;
    }
    if (v === null && k === 'maxlen') continue;
    const problem = checkOption(k, v);
    if (problem) return { error: `pad_sequences(${k}=…): ${problem}` };
    (out as Record<string, unknown>)[k] = v;
  }
  return { spec: out };
}

/** The constraint of one loader option: the schema property is generated from it, and Keras calls are checked by it. */
export interface DatasetOptionRule {
  kind: 'integer' | 'number' | 'choice';
  minimum?: number;
  exclusiveMaximum?: number;
  /** `null` is a value of its own (start_char / oov_char: none). */
  nullable?: boolean;
  choices?: readonly string[];
  default?: unknown;
  description: string;
}

export const DATASET_OPTION_RULES: Readonly<Record<string, DatasetOptionRule>> = {
  num_words: {
    kind: 'integer',
    minimum: 1,
    description:
      'imdb / reuters (load_data num_words): keep the most frequent words; rarer ones become oov_char. All words when absent.',
  },
  skip_top: {
    kind: 'integer',
    minimum: 0,
    default: 0,
    description: 'imdb / reuters (load_data skip_top): the most frequent words to replace with oov_char.',
  },
  start_char: {
    kind: 'integer',
    minimum: 0,
    nullable: true,
    default: 1,
    description: 'imdb / reuters (load_data start_char): marks the start of each sequence; null for none.',
  },
  oov_char: {
    kind: 'integer',
    minimum: 0,
    nullable: true,
    default: 2,
    description: 'imdb / reuters (load_data oov_char): replaces words cut by num_words or skip_top; null drops them.',
  },
  index_from: {
    kind: 'integer',
    minimum: 0,
    default: 3,
    description: 'imdb / reuters (load_data index_from): word indices start here.',
  },
  shuffle_seed: {
    kind: 'integer',
    minimum: 0,
    default: 113,
    description: "imdb / reuters: load_data's seed, the shuffle Keras applies (np.random.RandomState).",
  },
  filter_maxlen: {
    kind: 'integer',
    minimum: 1,
    description:
      "imdb / reuters: load_data's maxlen, which drops sequences of this many words or more (Keras keeps len < maxlen).",
  },
  test_split: {
    kind: 'number',
    minimum: 0,
    exclusiveMaximum: 1,
    default: 0.2,
    description: 'reuters (load_data test_split): the fraction kept as the test set.',
  },
  maxlen: {
    kind: 'integer',
    minimum: 1,
    description:
      'imdb / reuters: pad or truncate every sequence to this length, as keras.utils.pad_sequences(x, maxlen) does; fixes the input shape to [maxlen].',
  },
  padding: {
    kind: 'choice',
    choices: ['pre', 'post'],
    default: 'pre',
    description: "pad_sequences padding: add the padding value before ('pre') or after ('post') a short sequence.",
  },
  truncating: {
    kind: 'choice',
    choices: ['pre', 'post'],
    default: 'pre',
    description: "pad_sequences truncating: drop the start ('pre') or the end ('post') of a long sequence.",
  },
  value: { kind: 'integer', default: 0, description: 'pad_sequences value: the padding index.' },
  label_mode: {
    kind: 'choice',
    choices: ['fine', 'coarse'],
    default: 'fine',
    description: 'cifar100 (load_data label_mode): 100 fine classes or 20 coarse ones.',
  },
};

/** Why a value does not fit a dataset option (undefined when it does, or when the option has no rule). */
export function checkOption(key: string, v: unknown): string | undefined {
  const rule = DATASET_OPTION_RULES[key];
  if (!rule || (v === null && rule.nullable)) return undefined;
  const got = JSON.stringify(v);
  if (rule.kind === 'choice')
    return rule.choices!.includes(v as string)
      ? undefined
      : `must be ${rule.choices!.map((c) => `"${c}"`).join(' or ')}, got ${got}.`;
  const whole = rule.kind === 'integer';
  const ok =
    typeof v === 'number' &&
    (!whole || Number.isInteger(v)) &&
    Number.isFinite(v) &&
    (rule.minimum === undefined || v >= rule.minimum) &&
    (rule.exclusiveMaximum === undefined || v < rule.exclusiveMaximum);
  if (ok) return undefined;
  if (rule.exclusiveMaximum !== undefined)
    return `must be a number from ${rule.minimum ?? 0} up to (not including) ${rule.exclusiveMaximum}, got ${got}.`;
  return `must be ${whole ? 'a whole number' : 'a number'}${rule.minimum !== undefined ? ` of at least ${rule.minimum}` : ''}, got ${got}.`;
}
