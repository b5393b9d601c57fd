/** Datasets for Model Lab: loading, splitting and the seeded PRNG the training loop shares. No tfjs, no vscode. */
export { loadDataset } from './load';
export { normalizeDatasetSpec, FASHION_MNIST, FASHION_MNIST_SAMPLE, DEFAULT_VALIDATION_SPLIT } from './spec';
export { splitValidation, gather } from './split';
export { createRng, type Rng } from './rng';
export { DataError, type DataErrorCode } from './errors';
export { FASHION_MNIST_CLASSES, FASHION_MNIST_CHECKSUMS, KERAS_MIRROR } from './fashion-mnist-files';
export { findPackageRoot } from './sample';
export type { DataRequest, LoadedDataset, Split, FileChecksum } from './types';
