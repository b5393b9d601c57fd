/**
 * Makes data/fashion-mnist-sample from the full Fashion-MNIST: the first 300 training and first 100 test images of
 * each class, in file order (the set is already shuffled, so this is a fair, class-balanced and reproducible pick).
 * Run: node --import tsx scripts/make-sample.ts [FASHION_MNIST_DIR]   (default: /usr/share/datasets/fashion-mnist)
 * Same input, same output, byte for byte: gzip level 9 with no timestamp.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, IDX_FILES } from '../src/data/fashion-mnist-files';
import { findIdxFiles, readImageSplit } from '../src/data/idx-folder';
import { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from '../src/data/idx';
import { SAMPLE_NAME, SAMPLE_TEST_PER_CLASS, SAMPLE_TRAIN_PER_CLASS } from '../src/data/sample';
import type { Split } from '../src/data/types';

const PIXELS = 28 * 28;

function firstPerClass(split: Split, perClass: number, classes: number): Split {
  const taken = new Array<number>(classes).fill(0);
  const picked: number[] = [];
  for (let i = 0; i < split.count && picked.length < perClass * classes; i++) {
    const label = split.y[i];
    if (taken[label] < perClass) {
      taken[label]++;
      picked.push(i);
    }
  }
  if (picked.length !== perClass * classes)
    throw new Error(`only ${picked.length} examples found for ${perClass} per class`);
  const x = new Uint8Array(picked.length * PIXELS);
  const y = new Uint8Array(picked.length);
  picked.forEach((src, i) => {
    x.set(split.x.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    y[i] = split.y[src];
  });
  return { x, y, count: picked.length };
}

function write(dir: string, base: string, magic: number, dims: number[], data: Uint8Array): void {
  const file = join(dir, `${base}.gz`);
  writeFileSync(file, gzipSync(encodeIdx(magic, dims, data), { level: 9 }));
  console.log(`wrote ${file}`);
}

async function main(): Promise<void> {
  const from = resolve(process.argv[2] ?? DEBIAN_FASHION_MNIST_DIR);
  const out = resolve(__dirname, '..', 'data', SAMPLE_NAME);
  const files = await findIdxFiles(from);
  const classes = FASHION_MNIST_CLASSES.length;
  const expect = { rows: 28, cols: 28, numClasses: classes };
  const train = await readImageSplit(files.trainImages!, files.trainLabels!, { ...expect, count: 60000 });
  const test = await readImageSplit(files.testImages!, files.testLabels!, { ...expect, count: 10000 });
  const sampleTrain = firstPerClass(train.split, SAMPLE_TRAIN_PER_CLASS, classes);
  const sampleTest = firstPerClass(test.split, SAMPLE_TEST_PER_CLASS, classes);
  mkdirSync(out, { recursive: true });
  write(out, IDX_FILES.trainImages, IDX_IMAGES_MAGIC, [sampleTrain.count, 28, 28], sampleTrain.x as Uint8Array);
  write(out, IDX_FILES.trainLabels, IDX_LABELS_MAGIC, [sampleTrain.count], sampleTrain.y as Uint8Array);
  write(out, IDX_FILES.testImages, IDX_IMAGES_MAGIC, [sampleTest.count, 28, 28], sampleTest.x as Uint8Array);
  write(out, IDX_FILES.testLabels, IDX_LABELS_MAGIC, [sampleTest.count], sampleTest.y as Uint8Array);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
