/**
 * The Fashion-MNIST sample shipped with Model Lab (data/fashion-mnist-sample: 3,000 training and 1,000 test images,
 * made by scripts/make-sample.ts), so a first run needs no download.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataError } from './errors';
import { FASHION_MNIST_CLASSES } from './fashion-mnist-files';
import { findIdxFiles, readIdxDataset } from './idx-folder';
import type { LoadedDataset } from './types';

export const SAMPLE_NAME = 'fashion-mnist-sample';
export const SAMPLE_TRAIN_PER_CLASS = 300;
export const SAMPLE_TEST_PER_CLASS = 100;

/**
 * The installed package's root: the nearest folder above `from` whose package.json is Model Lab's. The code runs
 * from dist/*.js when bundled and from src/data/ under tsx, so a fixed relative path would be wrong in one of them.
 */
export function findPackageRoot(from: string = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'model-lab') return dir;
      } catch {
        // Some other package's unreadable manifest: keep walking up.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

export function sampleDir(from?: string): string | undefined {
  const root = findPackageRoot(from);
  return root && join(root, 'data', SAMPLE_NAME);
}

export async function loadSample(from?: string): Promise<LoadedDataset> {
  const dir = sampleDir(from);
  const files = dir ? await findIdxFiles(dir) : {};
  if (!dir || Object.keys(files).length < 4) {
    throw new DataError(
      `The bundled Fashion-MNIST sample is missing (looked for data/${SAMPLE_NAME} in Model Lab's folder above ${from ?? __dirname}); reinstall Model Lab, or use the dataset "fashion-mnist" instead.`,
      'not-found',
    );
  }
  const classes = FASHION_MNIST_CLASSES.length;
  return readIdxDataset(files, {
    name: SAMPLE_NAME,
    source: 'bundled sample',
    classNames: FASHION_MNIST_CLASSES,
    trainCount: SAMPLE_TRAIN_PER_CLASS * classes,
    testCount: SAMPLE_TEST_PER_CLASS * classes,
    rows: 28,
    cols: 28,
  });
}
