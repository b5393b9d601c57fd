/**
 * Checks that hold for every run of a session, made once in the parent before any worker starts: whether the
 * backend can run here, and (for a session of several runs) whether the dataset can be found, downloaded and read.
 * Without it a comparison of 13 runs prints the same "tfjs-node is not installed" or "Fashion-MNIST not found" 13
 * times, and 13 workers would each try the same download.
 */
import { FASHION_MNIST, FASHION_MNIST_SAMPLE, loadDataset, normalizeDatasetSpec } from '../../data/index';
import { locateFashionMnist } from '../../data/fashion-mnist';
import { isKerasDataset, locateKerasDataset } from '../../data/keras-datasets';
import type { DatasetObject } from '../../model/types';
import type { RunSpec } from '../../protocol';
import { BackendError, backendProblem } from '../backend';
import { describeModel } from '../model-info';
import { analyzeUnplaced } from '../../model/analyze';
import { wasmMemoryProblem } from '../../model/memory-estimate';
import { effectiveOptimizer } from '../../model/optimizers';
import { datasetExampleShape } from '../../model/datasets';
import { fillVariableDims, hasVariableDim } from '../../model/variable-dims';
import { DataError } from '../../data/errors';

export interface PreflightOptions {
  /** Data-loading steps and download progress (`fraction` in 0…1 while downloading). */
  onProgress?: (message: string, fraction?: number) => void;
  signal?: AbortSignal;
}

/**
 * Throws BackendError when the requested backend cannot run, DataError when a dataset the runs share cannot be
 * had; resolves when the runs may start. Fashion-MNIST missing from disk is downloaded into the cache here, once,
 * so the workers find it there. A single run is left to find its own data (reading it twice would only cost time).
 */
export async function preflight(specs: RunSpec[], opts: PreflightOptions = {}): Promise<void> {
  for (const backend of new Set(specs.map((s) => s.backend))) {
    const problem = backendProblem(backend, specs[0]?.audience, { nativeDir: specs[0]?.nativeDir });
    if (problem) throw new BackendError(problem);
  }
  for (const spec of specs) {
    const problem = memoryProblem(spec);
    if (problem) throw new BackendError(problem);
    const shape = variableShapeProblem(spec);
    if (shape) throw new DataError(shape, 'spec');
  }
  if (specs.length < 2) return;
  const checked = new Set<string>();
  for (const spec of specs) {
    const dataset = normalizeDatasetSpec(spec.definition.dataset);
    const key = JSON.stringify([datasetKey(dataset), spec.baseDir, spec.dataDir, spec.cacheDir]);
    if (checked.has(key)) continue;
    checked.add(key);
    await checkDataset(spec, dataset, opts);
  }
}

/**
 * A model too big for the WebAssembly memory, when the run will train on wasm or cpu (asked for, or `auto` without
 * tfjs-node): refused here in a sentence rather than crashing in the worker after the data has loaded.
 */
function memoryProblem(spec: RunSpec): string | undefined {
  const native =
    spec.backend === 'tensorflow' ||
    spec.backend === 'tensorflow-gpu' ||
    (spec.backend === 'auto' &&
      (['tensorflow', 'tensorflow-gpu'] as const).some(
        (native) => !backendProblem(native, spec.audience, { nativeDir: spec.nativeDir }),
      ));
  if (native) return undefined;
  const { summary } = analyzeUnplaced(spec.definition);
  if (!summary) return undefined; // a definition with errors fails in its worker with the error's own message
  return wasmMemoryProblem(
    summary,
    spec.definition.fit?.batch_size ?? 32,
    effectiveOptimizer(spec.definition.compile?.optimizer),
  );
}

/**
 * A model input with a None dimension trains with the size its data gives; when the dataset's example shape is known
 * without reading it (a built-in dataset, the default Fashion-MNIST, imdb padded to maxlen) and cannot fill it, the
 * run is refused here in a sentence. Files (CSV, NumPy, imdb padded to its longest review) are checked by the
 * worker once read.
 */
function variableShapeProblem(spec: RunSpec): string | undefined {
  const { inputShape } = analyzeUnplaced(spec.definition);
  if (!hasVariableDim(inputShape)) return undefined;
  const dataset = normalizeDatasetSpec(spec.definition.dataset);
  const example = datasetExampleShape(dataset);
  if (!example) return undefined;
  const filled = fillVariableDims(inputShape!, example, dataset.name ?? FASHION_MNIST);
  return 'error' in filled ? filled.error : undefined;
}

/** What decides where a dataset comes from and how it reads (not validation_split or seed, which only split it). */
function datasetKey(d: DatasetObject): unknown {
  const { validation_split: _split, seed: _seed, evaluate_test: _test, ...reading } = d;
  return Object.entries(reading).sort(([a], [b]) => (a < b ? -1 : 1));
}

async function checkDataset(spec: RunSpec, dataset: DatasetObject, opts: PreflightOptions): Promise<void> {
  if (dataset.csv === undefined && dataset.name === FASHION_MNIST_SAMPLE) return;
  const request = {
    spec: dataset,
    baseDir: spec.baseDir,
    dataDir: spec.dataDir,
    cacheDir: spec.cacheDir,
    loss: lossOf(spec),
    onProgress: opts.onProgress,
    signal: opts.signal,
  };
  if (dataset.csv === undefined && (dataset.name ?? FASHION_MNIST) === FASHION_MNIST) {
    if ((await locateFashionMnist(request)).found) return;
  }
  // A Keras dataset already on disk is the workers' to read; one missing is downloaded (and checked) here, once.
  if (dataset.csv === undefined && dataset.npz === undefined && isKerasDataset(dataset.name)) {
    if ((await locateKerasDataset(dataset.name, request)).found) return;
  }
  // Reading it once here finds a bad file, cell or download before any worker does.
  await loadDataset(request);
}

function lossOf(spec: RunSpec): string | undefined {
  try {
    return describeModel(spec.definition).loss;
  } catch {
    // A definition with errors fails in its worker with the error's own message.
    return spec.definition.compile?.loss;
  }
}
