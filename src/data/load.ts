import { resolve } from 'node:path';
import { loadCsv } from './csv';
import { DataError, throwIfAborted } from './errors';
import { loadFashionMnist } from './fashion-mnist';
import { findIdxFiles, readIdxDataset, requireFolder } from './idx-folder';
import { isKerasDataset, loadKerasDataset } from './keras-datasets';
import { loadNumpyDataset } from './numpy-dataset';
import { loadSample } from './sample';
import { FASHION_MNIST, FASHION_MNIST_SAMPLE, normalizeDatasetSpec } from './spec';
import { isNumpyDataset } from '../model/datasets';
import type { DataRequest, LoadedDataset } from './types';

/**
 * The one entry point: reads the dataset a definition names.
 *  - `{ csv, label }`: a CSV file (relative to the model file);
 *  - `"fashion-mnist-sample"`: the sample bundled with Model Lab;
 *  - `"fashion-mnist"` (optionally with `path`): found on disk or downloaded into the cache;
 *  - `"mnist"`, `"cifar10"`, `"cifar100"`, `"imdb"`, `"reuters"`: Keras's files, found or downloaded the same way;
 *  - `{ npz }` or `{ x, y }` (.npy files): the user's NumPy arrays (relative to the model file);
 *  - `{ path }` with any other name: a folder of MNIST-style IDX files (classes named by number).
 * The validation split is the caller's (`splitValidation`): `train` here is the whole training set.
 */
export async function loadDataset(req: DataRequest): Promise<LoadedDataset> {
  const spec = normalizeDatasetSpec(req.spec);
  throwIfAborted(req.signal, 'Loading the dataset');
  if (spec.csv !== undefined) {
    if (!spec.label) {
      throw new DataError(`The CSV dataset ${spec.csv} needs "label": the name of the column holding each row's class or target.`, 'spec');
    }
    const file = resolve(req.baseDir, spec.csv);
    req.onProgress?.(`Reading ${file}`);
    return loadCsv(file, { label: spec.label, loss: req.loss, name: spec.name, signal: req.signal });
  }
  if (isNumpyDataset(spec)) {
    req.onProgress?.(`Reading ${resolve(req.baseDir, spec.npz ?? spec.x ?? '')}`);
    return loadNumpyDataset(spec, req.baseDir, req.loss);
  }
  const name = spec.name ?? FASHION_MNIST;
  if (name === FASHION_MNIST_SAMPLE) {
    req.onProgress?.('Reading the bundled Fashion-MNIST sample');
    return loadSample();
  }
  if (name === FASHION_MNIST) return loadFashionMnist({ ...req, spec });
  if (isKerasDataset(name)) return loadKerasDataset(name, { ...req, spec });
  if (spec.path !== undefined) {
    const dir = resolve(req.baseDir, spec.path);
    await requireFolder(dir, 'dataset.path', "it is relative to the model file's folder");
    req.onProgress?.(`Reading ${dir}`);
    return readIdxDataset(await findIdxFiles(dir), { name, source: dir });
  }
  throw new DataError(
    `Unknown dataset "${name}"; use "${FASHION_MNIST}", "${FASHION_MNIST_SAMPLE}", "mnist", "cifar10", "cifar100", "imdb", "reuters", { "path": "<folder of IDX files>" }, { "npz": "<file.npz>" } or { "csv": "<file>", "label": "<column>" }.`,
    'spec',
  );
}

