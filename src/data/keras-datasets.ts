/**
 * The Keras loaders (`keras.datasets.mnist / cifar10 / cifar100 / imdb / reuters`): the files Keras downloads, from
 * the same URLs, checked against the same SHA-256 (`file_hash` in keras/src/datasets/*.py), cached like
 * Fashion-MNIST, and read into what `load_data` returns (imdb and reuters then padded as `pad_sequences` does).
 * Search order: the spec's `path`, the user's data folder (and its `<name>` subfolder), Model Lab's cache, then
 * Keras's own cache (~/.keras/datasets, or $KERAS_HOME/datasets), so a file Keras already downloaded is reused.
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { DataError, formatCount, throwIfAborted } from './errors';
import { downloadFiles, DownloadError } from './download';
import { requireFolder } from './idx-folder';
import { PickledArray, PickleError, unpickle } from './pickle';
import { readNpzFile, readWholeFile, type NpzArchive } from './npz';
import { describeArray, type NpyArray } from './npy';
import { kerasImdb, kerasReuters, padSequences, type RawSequences, type SequenceOptions } from './sequences';
import { readTarGz } from './tar-gz';
import type { DataRequest, FileChecksum, LoadedDataset, Split } from './types';
import type { DatasetObject } from '../model/types';

export const KERAS_DATASETS_MIRROR = 'https://storage.googleapis.com/tensorflow/tf-keras-datasets/';
const TORONTO = 'https://www.cs.toronto.edu/~kriz/';
const REDOWNLOAD = 'Delete it and download again.';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const IMDB_CLASSES = ['negative', 'positive'];
/** keras.datasets.reuters.get_label_names(), in label order. */
export const REUTERS_CLASSES = [
  'cocoa', 'grain', 'veg-oil', 'earn', 'acq', 'wheat', 'copper', 'housing', 'money-supply', 'coffee', 'sugar', 'trade',
  'reserves', 'ship', 'cotton', 'carcass', 'crude', 'nat-gas', 'cpi', 'money-fx', 'interest', 'gnp', 'meal-feed', 'alum',
  'oilseed', 'gold', 'tin', 'strategic-metal', 'livestock', 'retail', 'ipi', 'iron-steel', 'rubber', 'heat', 'jobs', 'lei',
  'bop', 'zinc', 'orange', 'pet-chem', 'dlr', 'gas', 'silver', 'wpi', 'hog', 'lead',
];

export type KerasDatasetName = 'mnist' | 'cifar10' | 'cifar100' | 'imdb' | 'reuters';

export interface KerasDatasetFile {
  label: string;
  /** The file as the server names it (and as Model Lab caches it). */
  file: string;
  /** Where Keras downloads it from (`origin`, without the file name). */
  baseUrl: string;
  /** Keras's `file_hash`: SHA-256 of the file as downloaded. */
  sha256: string;
  /** Approximate size, for messages. */
  approxBytes: number;
  /** Other names the same file has in Keras's cache. */
  aliases?: string[];
  /** An extracted folder that holds the archive's members (CIFAR), as Keras leaves it after `untar`. */
  extractedDir?: string;
}

export const KERAS_DATASET_FILES: Readonly<Record<KerasDatasetName, KerasDatasetFile>> = {
  mnist: {
    label: 'MNIST',
    file: 'mnist.npz',
    baseUrl: KERAS_DATASETS_MIRROR,
    sha256: '731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1',
    approxBytes: 11_490_434,
  },
  imdb: {
    label: 'IMDB',
    file: 'imdb.npz',
    baseUrl: KERAS_DATASETS_MIRROR,
    sha256: '69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f',
    approxBytes: 17_464_789,
  },
  reuters: {
    label: 'Reuters',
    file: 'reuters.npz',
    baseUrl: KERAS_DATASETS_MIRROR,
    sha256: 'd6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916',
    approxBytes: 2_110_848,
  },
  cifar10: {
    label: 'CIFAR-10',
    file: 'cifar-10-python.tar.gz',
    baseUrl: TORONTO,
    sha256: '6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce',
    approxBytes: 170_498_071,
    aliases: ['cifar-10-batches-py.tar.gz'],
    extractedDir: 'cifar-10-batches-py',
  },
  cifar100: {
    label: 'CIFAR-100',
    file: 'cifar-100-python.tar.gz',
    baseUrl: TORONTO,
    sha256: '85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7',
    approxBytes: 169_001_437,
    aliases: ['cifar-100-python-target.tar.gz'],
    extractedDir: 'cifar-100-python',
  },
};

export function isKerasDataset(name: string | undefined): name is KerasDatasetName {
  return name !== undefined && Object.prototype.hasOwnProperty.call(KERAS_DATASET_FILES, name);
}

/** Keras's own download cache. */
export function kerasCacheDir(): string {
  return join(process.env.KERAS_HOME ?? join(homedir(), '.keras'), 'datasets');
}

export function kerasDatasetFolders(name: KerasDatasetName, req: DataRequest): string[] {
  const dirs: string[] = [];
  if (req.spec.path) dirs.push(resolve(req.baseDir, req.spec.path));
  if (req.dataDir) dirs.push(resolve(req.dataDir), resolve(req.dataDir, name));
  dirs.push(resolve(req.cacheDir, name));
  dirs.push(...(req.systemDirs ?? [kerasCacheDir()]));
  return [...new Set(dirs)];
}

/** Where a Keras dataset is on disk: its file, or (CIFAR) a folder holding the extracted members. */
export interface KerasLocated {
  file?: string;
  extracted?: string;
}

export async function locateKerasDataset(name: KerasDatasetName, req: DataRequest): Promise<{ found?: KerasLocated; searched: string[] }> {
  const info = KERAS_DATASET_FILES[name];
  const searched = kerasDatasetFolders(name, req);
  const findIn = async (dir: string): Promise<KerasLocated | undefined> => {
    for (const file of [info.file, ...(info.aliases ?? [])]) {
      if (await isFile(join(dir, file))) return { file: join(dir, file) };
    }
    if (info.extractedDir) {
      for (const d of [join(dir, info.extractedDir), dir]) {
        if (await isFile(join(d, name === 'cifar10' ? 'data_batch_1' : 'train'))) return { extracted: d };
      }
    }
    return undefined;
  };
  // A location the user named (dataset.path, then the data folder) is used or refused, never replaced by a copy in
  // the cache or ~/.keras.
  if (req.spec.path) {
    const named = resolve(req.baseDir, req.spec.path);
    // `path` may name the file itself ("data/mnist.npz") rather than a folder holding it.
    if (await isFile(named)) return { found: { file: named }, searched };
    await requireFolder(named, 'dataset.path', "it is relative to the model file's folder");
    const found = await findIn(named);
    if (found) return { found, searched: [named] };
    throw new DataError(`dataset.path ${named} does not hold ${info.file}; put it there, or remove "path" to let Model Lab find or download ${info.label}.`, 'not-found');
  }
  if (req.dataDir) {
    const root = resolve(req.dataDir);
    await requireFolder(root, 'The data folder', 'set --data, MODEL_LAB_DATA or modelLab.dataFolder to a folder');
    for (const dir of [root, join(root, name)]) {
      const found = await findIn(dir);
      if (found) return { found, searched: [root, join(root, name)] };
    }
    throw new DataError(
      `The data folder ${root} does not hold ${info.file}, nor does its ${name} subfolder; put it there, point the data folder elsewhere, or unset it to let Model Lab find or download ${info.label}.`,
      'not-found',
    );
  }
  for (const dir of searched) {
    const found = await findIn(dir);
    if (found) return { found, searched };
  }
  return { searched };
}

export async function loadKerasDataset(name: KerasDatasetName, req: DataRequest): Promise<LoadedDataset> {
  const info = KERAS_DATASET_FILES[name];
  throwIfAborted(req.signal, `Loading ${info.label}`);
  const located = await locateKerasDataset(name, req);
  let found = located.found;
  const searched = located.searched;
  let source: string;
  if (found) {
    source = found.file ?? found.extracted!;
    req.onProgress?.(`Reading ${info.label} from ${source}`);
  } else {
    if (req.offline)
      throw new DataError(`${info.label} (${info.file}) is no longer in ${listFolders(searched)}.`, 'not-found');
    const mirror = req.mirror ?? process.env.MODEL_LAB_MIRROR ?? info.baseUrl;
    const cache = resolve(req.cacheDir, name);
    const checksums: Record<string, FileChecksum> = req.checksums ?? { [info.file]: { sha256File: info.sha256 } };
    const otherWays = `put ${info.file} (from ${info.baseUrl}${info.file}) in a folder and set modelLab.dataFolder or MODEL_LAB_DATA to it`;
    try {
      await downloadFiles({
        baseUrl: mirror,
        files: [info.file],
        destDir: cache,
        checksums,
        label: info.label,
        otherWay: otherWays,
        onProgress: req.onProgress,
        signal: req.signal,
        stallTimeoutMs: req.stallTimeoutMs,
      });
    } catch (e) {
      if (!(e instanceof DownloadError)) throw e;
      throw new DataError(
        `${info.label} (${info.file}, ${Math.round(info.approxBytes / 1e6)} MB) is not in ${listFolders(searched)}, and downloading it failed (${e.reason} for ${e.url}); ${otherWays}, or connect to the internet so Model Lab can download it.`,
        'not-found',
      );
    }
    found = { file: join(cache, info.file) };
    source = mirror;
    req.onProgress?.(`Reading ${info.label}`);
  }
  return readKerasDataset(name, found, req.spec, source, req.signal);
}

/** Reads a located Keras dataset file (or extracted CIFAR folder). Exported for tests and the preflight. */
export async function readKerasDataset(
  name: KerasDatasetName,
  at: KerasLocated,
  spec: DatasetObject,
  source: string,
  signal?: AbortSignal,
): Promise<LoadedDataset> {
  switch (name) {
    case 'mnist':
      return readMnist(await readNpzFile(at.file!, 'MNIST file', REDOWNLOAD), source);
    case 'imdb':
    case 'reuters':
      return readSequences(name, await readNpzFile(at.file!, `${name} file`, REDOWNLOAD), spec, source);
    case 'cifar10':
    case 'cifar100':
      return readCifar(name, at, spec, source, signal);
  }
}

function readMnist(npz: NpzArchive, source: string): LoadedDataset {
  const split = (x: string, y: string): Split => {
    const images = npz.array(x);
    const labels = npz.array(y);
    const where = `${npz.file}: the array "${x}"`;
    if (images.dtype !== 'u1' || images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
      throw new DataError(`${where} is ${describeArray(images)}, not uint8 images of 28×28 as in MNIST. ${REDOWNLOAD}`);
    }
    checkLabels(npz.file, y, labels, images.shape[0], 10);
    return { x: images.values as Uint8Array, y: toLabels(labels), count: images.shape[0] };
  };
  return {
    name: 'mnist',
    source,
    exampleShape: [28, 28],
    scale: 1 / 255,
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    task: 'classification',
    train: split('x_train', 'y_train'),
    test: split('x_test', 'y_test'),
  };
}

function readSequences(name: 'imdb' | 'reuters', npz: NpzArchive, spec: DatasetObject, source: string): LoadedDataset {
  const seqs = (xName: string, yName: string): RawSequences => {
    const x = npz.array(xName, { allowObjects: true });
    const y = npz.array(yName);
    if (!x.objects || x.shape.length !== 1) {
      throw new DataError(`${npz.file}: the array "${xName}" is ${describeArray(x)}, not the object array of word-index lists ${name}.npz holds. ${REDOWNLOAD}`);
    }
    checkLabels(npz.file, yName, y, x.shape[0], name === 'imdb' ? 2 : REUTERS_CLASSES.length);
    return { x: x.objects.map((o, i) => wordIndices(o, npz.file, xName, i)), y: toLabels(y) };
  };
  const options: SequenceOptions = {
    num_words: spec.num_words,
    skip_top: spec.skip_top,
    filter_maxlen: spec.filter_maxlen,
    seed: spec.shuffle_seed,
    start_char: spec.start_char,
    oov_char: spec.oov_char,
    index_from: spec.index_from,
  };
  const { train, test } = name === 'imdb' ? kerasImdb(seqs('x_train', 'y_train'), seqs('x_test', 'y_test'), options) : kerasReuters(seqs('x', 'y'), { ...options, test_split: spec.test_split });
  // One length for both splits: the spec's maxlen, else (pad_sequences's default) the longest sequence of either.
  let longest = 1;
  for (const s of [...train.x, ...test.x]) longest = Math.max(longest, s.length);
  const maxlen = spec.maxlen ?? longest;
  const pad = { maxlen, padding: spec.padding, truncating: spec.truncating, value: spec.value };
  const asSplit = (s: RawSequences): Split => ({ x: padSequences(s.x, pad).data, y: Int32Array.from(s.y), count: s.x.length });
  return {
    name,
    source,
    exampleShape: [maxlen],
    scale: 1,
    classNames: name === 'imdb' ? IMDB_CLASSES : REUTERS_CLASSES,
    task: 'classification',
    train: asSplit(train),
    test: asSplit(test),
  };
}

/** One element of an object array: a list of ints (or a 1-D integer array) as plain numbers. */
function wordIndices(o: unknown, file: string, array: string, i: number): ArrayLike<number> {
  if (Array.isArray(o)) {
    for (const w of o) if (!Number.isInteger(w)) throw new DataError(`${file}: element ${i} of the array "${array}" holds ${JSON.stringify(w)}, not a word index. ${REDOWNLOAD}`);
    return o as number[];
  }
  if (o instanceof PickledArray && o.shape.length === 1 && o.data instanceof Uint8Array && o.dtype && /^[iu][1248]$/.test(o.dtype.descr)) {
    const size = Number(o.dtype.descr[1]);
    const view = new DataView(o.data.buffer, o.data.byteOffset, o.data.byteLength);
    const out: number[] = [];
    for (let k = 0; k < o.shape[0] && (k + 1) * size <= o.data.length; k++) {
      const at = k * size;
      out.push(size === 1 ? o.data[at] : size === 2 ? view.getInt16(at, true) : size === 4 ? view.getInt32(at, true) : Number(view.getBigInt64(at, true)));
    }
    return out;
  }
  throw new DataError(`${file}: element ${i} of the array "${array}" is not a list of word indices. ${REDOWNLOAD}`);
}

/** CIFAR: the archive (or Keras's extracted folder) of pickled batches, pixels turned to HWC as Keras returns them. */
async function readCifar(name: 'cifar10' | 'cifar100', at: KerasLocated, spec: DatasetObject, source: string, signal?: AbortSignal): Promise<LoadedDataset> {
  const labelKey = name === 'cifar10' ? 'labels' : `${spec.label_mode ?? 'fine'}_labels`;
  const members = name === 'cifar10' ? ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch'] : ['train', 'test'];
  // Keras fills fixed slots: five CIFAR-10 batches of 10,000 (any equal size here), one CIFAR-100 file per split.
  let train: Split | undefined;
  let test: Split | undefined;
  let perBatch = 0;
  const numClasses = name === 'cifar10' ? 10 : labelKey === 'coarse_labels' ? 20 : 100;
  let classNames: string[] | undefined = name === 'cifar10' ? CIFAR10_CLASSES : undefined;
  const seen = new Set<string>();
  const where = at.file ?? at.extracted!;

  const onMember = (path: string, bytes: Uint8Array) => {
    const member = basename(path);
    if (member === 'meta') {
      classNames = labelNames(bytes, labelKey === 'coarse_labels' ? 'coarse_label_names' : 'fine_label_names', numClasses);
      return;
    }
    seen.add(member);
    // A member of the archive is named inside it; an extracted batch is a file of its own.
    const label = at.file ? `${at.file} (${member})` : join(at.extracted!, member);
    const batch = decodeCifarBatch(bytes, label, labelKey, numClasses);
    if (member === 'test_batch' || member === 'test') {
      test = { x: new Uint8Array(batch.count * 3072), y: new Uint8Array(batch.count), count: batch.count };
      batch.copyTo(test, 0);
    } else if (name === 'cifar100') {
      train = { x: new Uint8Array(batch.count * 3072), y: new Uint8Array(batch.count), count: batch.count };
      batch.copyTo(train, 0);
    } else {
      if (!train) {
        perBatch = batch.count;
        train = { x: new Uint8Array(5 * perBatch * 3072), y: new Uint8Array(5 * perBatch), count: 5 * perBatch };
      }
      if (batch.count !== perBatch) {
        throw new DataError(`${label} holds ${formatCount(batch.count)} images but the other batches ${formatCount(perBatch)}; CIFAR-10's five batches are equal. ${REDOWNLOAD}`);
      }
      batch.copyTo(train, (Number(member.slice(-1)) - 1) * perBatch);
    }
  };
  const wanted = new Set([...members, ...(name === 'cifar100' ? ['meta'] : [])]);
  if (at.file) {
    await readTarGz(at.file, {
      wanted: (p) => wanted.has(basename(p)),
      onMember,
      maxMemberBytes: 200_000_000,
      maxTotalBytes: 400_000_000,
      signal,
    });
  } else {
    for (const m of wanted) {
      const file = join(at.extracted!, m);
      if (m === 'meta' && !(await isFile(file))) continue;
      throwIfAborted(signal, `Reading ${info(name).label}`);
      onMember(m, await readWholeFile(file, 200_000_000, `${info(name).label} batch`));
    }
  }
  const missing = members.filter((m) => !seen.has(m));
  if (missing.length) throw new DataError(`${where} has no ${missing.join(', ')}; it is not a complete ${info(name).label} archive. ${REDOWNLOAD}`);
  return {
    name,
    source,
    exampleShape: [32, 32, 3],
    scale: 1 / 255,
    classNames: classNames ?? Array.from({ length: numClasses }, (_, i) => String(i)),
    task: 'classification',
    train: train!,
    test: test!,
  };
}

function info(name: KerasDatasetName): KerasDatasetFile {
  return KERAS_DATASET_FILES[name];
}

/** One pickled CIFAR batch {data: uint8 (n, 3072) CHW, labels: [n]}, checked, ready to copy into a split as HWC. */
function decodeCifarBatch(bytes: Uint8Array, where: string, labelKey: string, numClasses: number): { count: number; copyTo(into: Split, offset: number): void } {
  const d = unpickleDict(bytes, where);
  const data = d.get('data');
  const labels = d.get(labelKey);
  if (!(data instanceof PickledArray) || !(data.data instanceof Uint8Array) || data.dtype?.descr !== 'u1' || data.shape.length !== 2 || data.shape[1] !== 3072) {
    throw new DataError(`${where}: "data" is not a uint8 array of 3,072 values per image as in CIFAR. ${REDOWNLOAD}`);
  }
  const n = data.shape[0];
  if (data.data.length !== n * 3072) throw new DataError(`${where}: "data" has ${formatCount(data.data.length)} bytes, not the ${formatCount(n * 3072)} of ${formatCount(n)} images. ${REDOWNLOAD}`);
  if (!Array.isArray(labels) || labels.length !== n) throw new DataError(`${where}: "${labelKey}" is not a list of ${formatCount(n)} labels. ${REDOWNLOAD}`);
  labels.forEach((label, i) => {
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new DataError(`${where}: label ${i} is ${JSON.stringify(label)}, outside 0…${numClasses - 1}. ${REDOWNLOAD}`);
    }
  });
  const src = data.data;
  return {
    count: n,
    copyTo(into, offset) {
      const x = into.x as Uint8Array;
      for (let i = 0; i < n; i++) {
        into.y[offset + i] = labels[i] as number;
        // Keras: reshape (n, 3, 32, 32) then transpose (0, 2, 3, 1) → (n, 32, 32, 3).
        const from = i * 3072;
        const to = (offset + i) * 3072;
        for (let p = 0; p < 1024; p++) {
          x[to + 3 * p] = src[from + p];
          x[to + 3 * p + 1] = src[from + 1024 + p];
          x[to + 3 * p + 2] = src[from + 2048 + p];
        }
      }
    },
  };
}

function labelNames(bytes: Uint8Array, key: string, numClasses: number): string[] | undefined {
  try {
    const names = unpickleDict(bytes, 'meta').get(key);
    if (Array.isArray(names) && names.length === numClasses) {
      return names.map((n) => (n instanceof Uint8Array ? Buffer.from(n).toString('utf8') : String(n)));
    }
  } catch {
    // Class names are a nicety: numbered classes do as well.
  }
  return undefined;
}

function unpickleDict(bytes: Uint8Array, where: string): Map<unknown, unknown> {
  let value: unknown;
  try {
    value = unpickle(bytes);
  } catch (e) {
    if (e instanceof PickleError) throw new DataError(`${where} is not a readable Python pickle (${e.message}). ${REDOWNLOAD}`);
    throw e;
  }
  if (!(value instanceof Map)) throw new DataError(`${where} does not hold a dict as CIFAR batches do. ${REDOWNLOAD}`);
  return value;
}

function checkLabels(file: string, name: string, labels: NpyArray, count: number, numClasses: number): void {
  const where = `${file}: the array "${name}"`;
  if (!labels.values || labels.dtype === 'f4' || labels.dtype === 'f8' || labels.shape.length !== 1) {
    throw new DataError(`${where} is ${describeArray(labels)}, not a 1-D integer label array. ${REDOWNLOAD}`);
  }
  if (labels.shape[0] !== count) throw new DataError(`${where} holds ${formatCount(labels.shape[0])} labels for ${formatCount(count)} examples. ${REDOWNLOAD}`);
  const v = labels.values;
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0 || v[i] >= numClasses) throw new DataError(`${where}: label ${i} is ${v[i]}, outside 0…${numClasses - 1}. ${REDOWNLOAD}`);
  }
}

function toLabels(a: NpyArray): Uint8Array | Int32Array {
  return a.values instanceof Uint8Array ? a.values : Int32Array.from(a.values as ArrayLike<number>);
}

function listFolders(dirs: string[]): string {
  return dirs.length <= 1 ? dirs.join('') : `${dirs.slice(0, -1).join(', ')} or ${dirs[dirs.length - 1]}`;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

