/** What the dataset readers give the training loop. Pure types: no tfjs, no vscode. */
import type { DatasetObject } from '../model/types';

/** Examples of one split, row-major: example i occupies x[i*exampleSize … (i+1)*exampleSize). */
export interface Split {
  /** Pixels stay uint8 (scaled per batch by `LoadedDataset.scale`); CSV features are float32. */
  x: Uint8Array | Float32Array;
  /** Class ids (classification) or targets (regression). */
  y: Uint8Array | Int32Array | Float32Array;
  count: number;
}

export interface LoadedDataset {
  name: string;
  /** Where it came from: a folder, a CSV path, `bundled sample`, or the download URL it was fetched from. */
  source: string;
  /** Shape of one example as stored: [28, 28] for images, [features] for CSV. */
  exampleShape: number[];
  /** Multiply x by this per batch: 1/255 for images, 1 for CSV. */
  scale: number;
  classNames: string[];
  task: 'classification' | 'regression';
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
  /** Base URL of the Fashion-MNIST mirror; tests point it at a local server. */
  mirror?: string;
  onProgress?: (message: string, fraction?: number) => void;
  signal?: AbortSignal;
  /** The compile loss (Keras name); decides classification vs regression for a numeric CSV label column. */
  loss?: string;
  /** Expected checksums of the Fashion-MNIST files by base name (no .gz); defaults to the published ones. */
  checksums?: Record<string, FileChecksum>;
  /** System-wide dataset folders searched last; defaults to Debian's /usr/share/datasets/fashion-mnist. */
  systemDirs?: string[];
  /** Abort a download that receives no bytes for this long (default 30 s). */
  stallTimeoutMs?: number;
}

/** How to recognise a genuine copy of a dataset file: either hash may match (Debian recompressed the .gz files). */
export interface FileChecksum {
  /** MD5 of the gzip-compressed file as the upstream project publishes it. */
  md5Gz?: string;
  /** SHA-256 of the uncompressed IDX bytes. */
  sha256?: string;
  /** Number of examples the file holds, checked when reading. */
  count?: number;
}
