/**
 * What the core knows about datasets statically: the built-in names (Fashion-MNIST and the Keras loaders), what
 * each one's examples look like, how many classes it has, which options it takes, and how a Keras
 * `keras.datasets.X.load_data(...)` call (plus `pad_sequences`) becomes a `dataset` definition.
 */
import type { DatasetObject, DatasetSpec } from './types';

export const DATASET_NAMES = ['fashion-mnist', 'fashion-mnist-sample', 'mnist', 'cifar10', 'cifar100', 'imdb', 'reuters'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export const DEFAULT_VALIDATION_SPLIT = 0.2;

/** `load_data` options of the word-index datasets (Keras names; `seed` is `shuffle_seed`, `maxlen` `filter_maxlen`). */
export const SEQUENCE_LOAD_OPTIONS = ['num_words', 'skip_top', 'start_char', 'oov_char', 'index_from', 'shuffle_seed', 'filter_maxlen'] as const;
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
  const name = obj.name ?? (obj.path !== undefined ? 'fashion-mnist' : undefined);
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
export function datasetFromKerasLoadData(module: string, positional: readonly unknown[], keywords: Readonly<Record<string, unknown>>): KerasDatasetResult {
  const name = KERAS_DATASET_MODULES[module];
  if (!name) {
    return { error: `keras.datasets.${module} is not a dataset Model Lab can load; it reads ${Object.keys(KERAS_DATASET_MODULES).join(', ')}.` };
  }
  const params = LOAD_DATA_PARAMS[name];
  if (positional.length > params.length) {
    return { error: `keras.datasets.${module}.load_data takes at most ${params.length} positional argument${params.length === 1 ? '' : 's'}, got ${positional.length}.` };
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
    const problem = checkOption(key, v);
    if (problem) return { error: `keras.datasets.${module}.load_data(${k}=…): ${problem}` };
    // None means the Keras default, except for start_char / oov_char where None switches the character off.
    if (v === null && key !== 'start_char' && key !== 'oov_char') continue;
    (spec as Record<string, unknown>)[key] = v;
  }
  return { spec };
}

/**
 * The dataset after `keras.utils.pad_sequences(x, *positional, **keywords)` (the first argument, the sequences,
 * is the caller's to have traced to `spec`): `maxlen`, `padding`, `truncating` and `value` join the spec.
 */
export function withPadSequences(spec: DatasetObject, positional: readonly unknown[], keywords: Readonly<Record<string, unknown>>): KerasDatasetResult {
  const params = PAD_PARAMS.slice(1);
  if (positional.length > params.length) return { error: `pad_sequences takes at most ${PAD_PARAMS.length} positional arguments.` };
  const args: Record<string, unknown> = {};
  positional.forEach((v, i) => (args[params[i]] = v));
  for (const [k, v] of Object.entries(keywords)) {
    if (!params.includes(k)) return { error: `pad_sequences has no argument ${k}.` };
    args[k] = v;
  }
  if (!isBuiltinDataset(spec.name) || !BUILTIN_DATASETS[spec.name].options.includes('maxlen')) {
    return { error: `pad_sequences applies to word-index sequences (imdb, reuters), not to ${spec.name ?? 'this dataset'}.` };
  }
  const out: DatasetObject = { ...spec };
  for (const [k, v] of Object.entries(args)) {
    if (k === 'dtype') {
      if (v !== null && v !== 'int32' && v !== 'int64') return { error: `pad_sequences(dtype=${JSON.stringify(v)}): Model Lab keeps word indices as int32.` };
      continue;
    }
    if (v === null && k === 'maxlen') continue;
    const problem = checkOption(k, v);
    if (problem) return { error: `pad_sequences(${k}=…): ${problem}` };
    (out as Record<string, unknown>)[k] = v;
  }
  return { spec: out };
}

/** Why a value does not fit a dataset option (undefined when it does). One rule per option, shared with the schema. */
export function checkOption(key: string, v: unknown): string | undefined {
  const wholeAtLeast = (min: number) => (v === null || (Number.isInteger(v) && (v as number) >= min) ? undefined : `must be a whole number of at least ${min}, got ${JSON.stringify(v)}.`);
  switch (key) {
    case 'num_words':
    case 'filter_maxlen':
    case 'maxlen':
      return wholeAtLeast(1);
    case 'skip_top':
    case 'index_from':
    case 'start_char':
    case 'oov_char':
    case 'shuffle_seed':
      return wholeAtLeast(0);
    case 'value':
      return Number.isInteger(v) ? undefined : `must be a whole number (word indices are integers), got ${JSON.stringify(v)}.`;
    case 'test_split':
      return typeof v === 'number' && v >= 0 && v < 1 ? undefined : `must be a number from 0 up to (not including) 1, got ${JSON.stringify(v)}.`;
    case 'padding':
    case 'truncating':
      return v === 'pre' || v === 'post' ? undefined : `must be "pre" or "post", got ${JSON.stringify(v)}.`;
    case 'label_mode':
      return v === 'fine' || v === 'coarse' ? undefined : `must be "fine" or "coarse", got ${JSON.stringify(v)}.`;
    default:
      return undefined;
  }
}
