/** What the dataset readers give the training loop. Pure types: no tfjs, no vscode. */
import type { DatasetObject } from '../model/types';

/** Examples of one split, row-major: example i occupies x[i*exampleSize … (i+1)*exampleSize). */
export interface Split {
  /** Pixels stay uint8 (scaled per batch by `LoadedDataset.scale`); word indices are int32; CSV features float32. */
  x: Uint8Array | Int32Array | Float32Array;
  /** Class ids (classification) or targets (regression). */
  y: Uint8Array | Int32Array | Float32Array;
  count: number;
}

export interface LoadedDataset {
  name: string;
  /** Where it came from: a folder, a CSV path, `bundled sample`, or the download URL it was fetched from. */
  source: string;
  /** Shape of one example as stored: [28, 28] for images, [32, 32, 3] for colour ones, [maxlen] for sequences, [features] for CSV. */
  exampleShape: number[];
  /** Multiply x by this per batch: 1/255 for images, 1 for CSV. */
  scale: number;
  classNames: string[];
  task: 'classification' | 'regression';
  /** CSV only: the feature columns' names, in the order of each example's values. */
  featureNames?: string[];
  /** The training set before the validation split. */
  train: Split;
  test?: Split;
}

export interface DataRequest {
  /** The definition's dataset field, a name already turned into `{ name }`. */
  spec: DatasetObject;
  /** Folder relative `path` / `csv` resolve against (the model file's folder). */
  baseDir: string;
  /** The user's data folder (extension setting or MODEL_LAB_DATA). */
  dataDir?: string;
  /** Download cache (extension global storage; ~/.cache/model-lab for the CLI). */
  cacheDir: string;
  /** Base URL of a mirror serving the dataset files by their usual names; tests point it at a local server. */
  mirror?: string;
  onProgress?: (message: string, fraction?: number) => void;
  signal?: AbortSignal;
  /** The compile loss (Keras name); decides classification vs regression for a numeric CSV label column. */
  loss?: string;
  /** Expected checksums of the dataset files by file name (Fashion-MNIST: base name without .gz); defaults to the published ones. */
  checksums?: Record<string, FileChecksum>;
  /** Folders searched last: Debian's /usr/share/datasets/fashion-mnist for Fashion-MNIST, Keras's ~/.keras/datasets for the Keras loaders. */
  systemDirs?: string[];
  /** Read only what is on this machine: a dataset that would need a download is a `not-found` error instead. */
  offline?: boolean;
  /** Abort a download that receives no bytes for this long (default 30 s). */
  stallTimeoutMs?: number;
}

/** How to recognise a genuine copy of a dataset file: any hash given may match (Debian recompressed the .gz files). */
export interface FileChecksum {
  /** SHA-256 of the file exactly as downloaded (the `file_hash` Keras's loaders check). */
  sha256File?: string;
  /** MD5 of the gzip-compressed file as the upstream project publishes it. */
  md5Gz?: string;
  /** SHA-256 of the uncompressed IDX bytes. */
  sha256?: string;
  /** Number of examples the file holds, checked when reading. */
  count?: number;
}
