/** The real Fashion-MNIST from Debian's dataset-fashion-mnist, read once: sizes, classes, checksums, and the sample. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FASHION_MNIST_CHECKSUMS } from '../../src/data/fashion-mnist-files';
import { loadDataset } from '../../src/data/load';
import { splitValidation } from '../../src/data/split';
import type { LoadedDataset } from '../../src/data/types';

const DEBIAN = '/usr/share/datasets/fashion-mnist';
const cacheDir = mkdtempSync(join(tmpdir(), 'ml-real-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

function perClass(y: ArrayLike<number>): number[] {
  const counts = new Array(10).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  return counts;
}

describe('Fashion-MNIST from /usr/share/datasets/fashion-mnist', () => {
  let full: LoadedDataset;
  before(async () => {
    assert.ok(
      existsSync(DEBIAN),
      `${DEBIAN} is missing: install dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist).`,
    );
    full = await loadDataset({
      spec: { name: 'fashion-mnist' },
      baseDir: cacheDir,
      cacheDir,
      mirror: 'http://127.0.0.1:9/',
    });
  });

  it('holds 60,000 training and 10,000 test images of 28×28, 6,000 and 1,000 per class', () => {
    assert.equal(full.source, DEBIAN);
    assert.deepEqual(full.exampleShape, [28, 28]);
    assert.equal(full.train.count, 60000);
    assert.equal(full.train.x.length, 47040000);
    assert.ok(full.train.x instanceof Uint8Array);
    assert.equal(full.test?.count, 10000);
    assert.deepEqual(perClass(full.train.y), new Array(10).fill(6000));
    assert.deepEqual(perClass(full.test!.y), new Array(10).fill(1000));
    assert.deepEqual(full.classNames, [
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ]);
  });

  it('matches the SHA-256 table the download is verified with (Debian recompressed the .gz files)', () => {
    for (const [name, check] of Object.entries(FASHION_MNIST_CHECKSUMS)) {
      const bytes = gunzipSync(readFileSync(join(DEBIAN, `${name}.gz`)));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), check.sha256, name);
    }
  });

  it('splits 48,000 / 12,000 at validation_split 0.2', () => {
    const { train, validation } = splitValidation(full.train, 784, 0.2, 42);
    assert.equal(train.count, 48000);
    assert.equal(validation.count, 12000);
  });

  it('gives the bundled sample as the first 300 training and 100 test images of each class', async () => {
    const sample = await loadDataset({ spec: { name: 'fashion-mnist-sample' }, baseDir: cacheDir, cacheDir });
    for (const [fullSplit, sampleSplit, per] of [
      [full.train, sample.train, 300],
      [full.test!, sample.test!, 100],
    ] as const) {
      const taken = new Array(10).fill(0);
      let k = 0;
      for (let i = 0; i < fullSplit.count && k < sampleSplit.count; i++) {
        const label = fullSplit.y[i];
        if (taken[label] === per) continue;
        taken[label]++;
        assert.equal(sampleSplit.y[k], label, `sample example ${k}`);
        assert.deepEqual(sampleSplit.x.subarray(k * 784, (k + 1) * 784), fullSplit.x.subarray(i * 784, (i + 1) * 784));
        k++;
      }
      assert.equal(k, sampleSplit.count);
    }
  });
});
