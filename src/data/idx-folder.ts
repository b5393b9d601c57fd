/** A folder holding IDX files named as in MNIST / Fashion-MNIST, read into splits. */
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, formatCount } from './errors';
import { IDX_FILES, type IdxRole } from './fashion-mnist-files';
import { readIdxImages, readIdxLabels } from './idx';
import { describeFileKind } from './read-bounded';
import type { LoadedDataset, Split } from './types';

/**
 * The names one IDX file may have: upstream's (`train-images-idx3-ubyte`) and the dotted variant some MNIST
 * copies use (`train-images.idx3-ubyte`), each raw or gzipped. Raw first, since it needs no gunzip.
 */
export function candidateNames(base: string): string[] {
  const dotted = base.replace(/-(idx\d-ubyte)$/, '.$1');
  const names = [base, `${base}.gz`];
  if (dotted !== base) names.push(dotted, `${dotted}.gz`);
  return names;
}

/** Paths of the roles present in `dir` (absent roles are left out). */
export async function findIdxFiles(dir: string): Promise<Partial<Record<IdxRole, string>>> {
  const found: Partial<Record<IdxRole, string>> = {};
  for (const [role, base] of Object.entries(IDX_FILES) as [IdxRole, string][]) {
    for (const name of candidateNames(base)) {
      const file = join(dir, name);
      if (await exists(file)) {
        found[role] = file;
        break;
      }
    }
  }
  return found;
}

/** A folder the user named (dataset.path, the data folder): it must exist and be a folder, or the load is refused. */
export async function requireFolder(dir: string, what: string, hint: string): Promise<void> {
  const info = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
  if (info instanceof Error) {
    throw new DataError(
      info.code === 'ENOENT' ? `${what} ${dir} does not exist; check it (${hint}).` : `Cannot read ${what.toLowerCase()} ${dir} (${info.code}); check that it is readable.`,
      'not-found',
    );
  }
  if (!info.isDirectory()) throw new DataError(`${what} ${dir} is ${describeFileKind(info)}, not a folder; ${hint.startsWith('set') ? hint : `give the folder holding the IDX files (${hint})`}.`, 'spec');
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export interface SplitExpectations {
  count?: number;
  rows?: number;
  cols?: number;
  numClasses?: number;
}

export interface ImageSplit {
  split: Split;
  rows: number;
  cols: number;
}

/** An images file and its labels file as one split; their counts must agree. */
export async function readImageSplit(imagesFile: string, labelsFile: string, expect: SplitExpectations = {}): Promise<ImageSplit> {
  // Read both at once (gunzip runs off the main thread), but report the images file's problem first, every time.
  const [imagesResult, labelsResult] = await Promise.allSettled([
    readIdxImages(imagesFile, { count: expect.count, rows: expect.rows, cols: expect.cols }),
    readIdxLabels(labelsFile, { count: expect.count, numClasses: expect.numClasses }),
  ]);
  if (imagesResult.status === 'rejected') throw imagesResult.reason;
  if (labelsResult.status === 'rejected') throw labelsResult.reason;
  const images = imagesResult.value;
  const labels = labelsResult.value;
  if (images.count !== labels.length) {
    throw new DataError(
      `${imagesFile} holds ${formatCount(images.count)} images but ${labelsFile} holds ${formatCount(labels.length)} labels; both must come from the same dataset, so get both files again.`,
    );
  }
  return { split: { x: images.pixels, y: labels, count: images.count }, rows: images.rows, cols: images.cols };
}

export interface IdxDatasetOptions {
  name: string;
  source: string;
  /** When known, labels must be below its length; otherwise classes are named "0"…"max label". */
  classNames?: string[];
  trainCount?: number;
  testCount?: number;
  rows?: number;
  cols?: number;
}

/** Train (required) and test (when its files are present) images from found IDX files, as a LoadedDataset. */
export async function readIdxDataset(files: Partial<Record<IdxRole, string>>, opts: IdxDatasetOptions): Promise<LoadedDataset> {
  if (!files.trainImages || !files.trainLabels) {
    throw new DataError(`${opts.source} has no training images and labels (${IDX_FILES.trainImages} and ${IDX_FILES.trainLabels}, raw or .gz); put both files there.`, 'not-found');
  }
  const numClasses = opts.classNames?.length;
  const shape = { rows: opts.rows, cols: opts.cols, numClasses };
  const train = await readImageSplit(files.trainImages, files.trainLabels, { ...shape, count: opts.trainCount });
  let test: ImageSplit | undefined;
  if (files.testImages && files.testLabels) {
    // Test images must be the same size as training images, whatever that size is.
    test = await readImageSplit(files.testImages, files.testLabels, { rows: train.rows, cols: train.cols, numClasses, count: opts.testCount });
  }
  const classNames = opts.classNames ?? numberedClasses(train.split, test?.split);
  return {
    name: opts.name,
    source: opts.source,
    exampleShape: [train.rows, train.cols],
    scale: 1 / 255,
    classNames,
    task: 'classification',
    train: train.split,
    test: test?.split,
  };
}

function numberedClasses(...splits: (Split | undefined)[]): string[] {
  let max = 0;
  for (const s of splits) if (s) for (let i = 0; i < s.count; i++) max = Math.max(max, s.y[i]);
  return Array.from({ length: max + 1 }, (_, i) => String(i));
}
