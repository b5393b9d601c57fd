/**
 * The user's own NumPy arrays as a dataset: `{ "npz": "data/arrays.npz" }` (array names `x`/`y`, `x_test`/`y_test`,
 * defaulting to x_train/y_train/x_test/y_test, then x/y) or `{ "x": "data/x.npy", "y": "data/y.npy" }`. The first
 * axis counts examples; the rest is one example's shape. Labels are class ids (any integer dtype, or whole floats),
 * one-hot rows, or regression targets when the loss says so.
 */
import { basename, resolve } from 'node:path';
import { taskFromLoss } from './csv';
import { DataError, formatCount } from './errors';
import { describeArray, NpyError, parseNpy, type NpyArray } from './npy';
import { MAX_NPZ_BYTES, readNpzFile, readWholeFile, RESAVE, type NpzArchive } from './npz';
import type { LoadedDataset, Split } from './types';
import type { DatasetObject } from '../model/types';

interface Source {
  describe(ref: string): string;
  has(ref: string): boolean;
  read(ref: string): Promise<NpyArray>;
}

export async function loadNumpyDataset(spec: DatasetObject, baseDir: string, loss?: string): Promise<LoadedDataset> {
  let source: Source;
  let names: { x: string; y: string; xTest?: string; yTest?: string };
  let where: string;
  if (spec.npz !== undefined) {
    const file = resolve(baseDir, spec.npz);
    const npz = await readNpzFile(file, 'dataset.npz file');
    source = archiveSource(npz);
    where = file;
    const pick = (given: string | undefined, defaults: string[], role: string): string | undefined => {
      if (given !== undefined) {
        if (!npz.names.includes(given)) {
          throw new DataError(`${file} has no array "${given}" (dataset.${role}); set it to one it holds: ${npz.names.map((n) => `"${n}"`).join(', ')}.`, 'spec');
        }
        return given;
      }
      return defaults.find((d) => npz.names.includes(d));
    };
    const x = pick(spec.x, ['x_train', 'x'], 'x');
    const y = pick(spec.y, ['y_train', 'y'], 'y');
    if (!x || !y) {
      throw new DataError(
        `${file} holds ${npz.names.map((n) => `"${n}"`).join(', ') || 'no arrays'}; name the inputs and labels with dataset.x and dataset.y (defaults: "x_train"/"x" and "y_train"/"y").`,
        'spec',
      );
    }
    names = { x, y, xTest: pick(spec.x_test, ['x_test'], 'x_test'), yTest: pick(spec.y_test, ['y_test'], 'y_test') };
  } else {
    if (spec.x === undefined || spec.y === undefined) {
      throw new DataError('A NumPy dataset needs "x" and "y": two .npy files (relative to the model file), or "npz": an .npz archive.', 'spec');
    }
    source = fileSource(baseDir);
    where = resolve(baseDir, spec.x);
    names = { x: spec.x, y: spec.y, xTest: spec.x_test, yTest: spec.y_test };
  }
  if ((names.xTest === undefined) !== (names.yTest === undefined)) {
    throw new DataError(`The test set needs both x_test and y_test; ${where} gives only ${names.xTest !== undefined ? 'x_test' : 'y_test'}.`, 'spec');
  }

  const task = taskFromLoss(loss);
  const train = await readSplit(source, names.x, names.y, task);
  const test = names.xTest && names.yTest ? await readSplit(source, names.xTest, names.yTest, train.task) : undefined;
  if (test && test.shape.join() !== train.shape.join()) {
    throw new DataError(
      `${source.describe(names.xTest!)} has examples of shape (${test.shape.join(', ')}) but ${source.describe(names.x)} has (${train.shape.join(', ')}); both must match.`,
    );
  }
  const maxClass = Math.max(train.maxClass, test?.maxClass ?? -1);
  const classCount = Math.max(maxClass + 1, train.oneHot ?? 0);
  return {
    name: spec.name ?? basename(spec.npz ?? spec.x!),
    source: where,
    exampleShape: train.shape,
    scale: spec.scale ?? 1,
    classNames: train.task === 'classification' ? Array.from({ length: classCount }, (_, i) => String(i)) : [],
    task: train.task,
    train: train.split,
    test: test?.split,
  };
}

function archiveSource(npz: NpzArchive): Source {
  return {
    describe: (ref) => `${npz.file}: the array "${ref}"`,
    has: (ref) => npz.names.includes(ref),
    read: async (ref) => npz.array(ref),
  };
}

function fileSource(baseDir: string): Source {
  return {
    describe: (ref) => resolve(baseDir, ref),
    has: () => true,
    read: async (ref) => {
      const file = resolve(baseDir, ref);
      const bytes = await readWholeFile(file, MAX_NPZ_BYTES, '.npy file');
      try {
        return parseNpy(bytes);
      } catch (e) {
        if (e instanceof NpyError) throw new DataError(`${file} cannot be read: ${e.message}.${e.damaged ? ` ${RESAVE.replace('np.savez', 'np.save')}` : ''}`);
        throw e;
      }
    },
  };
}

interface ReadSplit {
  split: Split;
  shape: number[];
  task: 'classification' | 'regression';
  maxClass: number;
  oneHot?: number;
}

async function readSplit(source: Source, xRef: string, yRef: string, taskHint: 'classification' | 'regression' | undefined): Promise<ReadSplit> {
  const x = await source.read(xRef);
  const y = await source.read(yRef);
  const xWhere = source.describe(xRef);
  const yWhere = source.describe(yRef);
  if (x.shape.length < 2 || x.shape[0] === 0) {
    throw new DataError(`${xWhere} is ${describeArray(x)}; inputs need one row per example and at least one value each, e.g. shape (n, features) or (n, 28, 28).`);
  }
  const count = x.shape[0];
  if (y.shape[0] !== count) {
    throw new DataError(`${xWhere} holds ${formatCount(count)} examples but ${yWhere} holds ${formatCount(y.shape[0] ?? 1)} labels; they must match.`);
  }
  const xv = x.values!;
  const xs = xv instanceof Float64Array ? Float32Array.from(xv) : xv;
  const labels = labelsOf(y, yWhere, taskHint);
  return { split: { x: xs, y: labels.y, count }, shape: x.shape.slice(1), task: labels.task, maxClass: labels.maxClass, oneHot: labels.oneHot };
}

function labelsOf(
  y: NpyArray,
  where: string,
  hint: 'classification' | 'regression' | undefined,
): { y: Int32Array | Float32Array; task: 'classification' | 'regression'; maxClass: number; oneHot?: number } {
  const v = y.values!;
  const [n, k = 1, ...rest] = y.shape;
  if (rest.length || y.shape.length === 0) throw new DataError(`${where} is ${describeArray(y)}; labels need shape (n,), (n, 1) or one-hot (n, classes).`);
  const whole = v instanceof Uint8Array || v instanceof Int32Array || v.every((a) => Number.isInteger(a));
  if (hint === 'regression' || (hint === undefined && !whole)) {
    if (k !== 1) throw new DataError(`${where} is ${describeArray(y)}; regression targets need shape (n,) or (n, 1).`);
    return { y: Float32Array.from(v), task: 'regression', maxClass: -1 };
  }
  if (!whole) {
    const i = v.findIndex((a) => !Number.isInteger(a));
    throw new DataError(`${where}: label ${i} is ${v[i]}, not a class id; classification needs whole-number labels (or use a regression loss such as mse).`);
  }
  if (k > 1) {
    // One-hot rows (categorical_crossentropy data) become class ids.
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let hot = -1;
      for (let c = 0; c < k; c++) {
        const a = v[i * k + c];
        if (a === 1 && hot < 0) hot = c;
        else if (a !== 0) hot = -2;
      }
      if (hot < 0) throw new DataError(`${where}: row ${i} is not one-hot (one 1, the rest 0); give class ids of shape (n,) or one-hot rows.`);
      ids[i] = hot;
    }
    return { y: ids, task: 'classification', maxClass: k - 1, oneHot: k };
  }
  let max = -1;
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0) throw new DataError(`${where}: label ${i} is ${v[i]}; use class ids from 0 up.`);
    if (v[i] > max) max = v[i];
  }
  if (max >= 100_000) throw new DataError(`${where}: the largest label is ${formatCount(max)}; that many classes is surely not meant (for targets, use a regression loss such as mse).`);
  return { y: Int32Array.from(v), task: 'classification', maxClass: max };
}
