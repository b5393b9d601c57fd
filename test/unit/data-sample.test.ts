import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { DataError } from '../../src/data/errors';
import { loadDataset } from '../../src/data/load';
import { findPackageRoot, loadSample } from '../../src/data/sample';

const repo = resolve(__dirname, '..', '..');

function perClass(y: ArrayLike<number>): number[] {
  const counts = new Array(10).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  return counts;
}

describe('bundled Fashion-MNIST sample', () => {
  it('loads 3,000 training and 1,000 test images, 300 and 100 per class', async () => {
    const d = await loadDataset({ spec: { name: 'fashion-mnist-sample' }, baseDir: tmpdir(), cacheDir: tmpdir() });
    assert.equal(d.name, 'fashion-mnist-sample');
    assert.equal(d.source, 'bundled sample');
    assert.deepEqual(d.exampleShape, [28, 28]);
    assert.equal(d.train.count, 3000);
    assert.equal(d.train.x.length, 3000 * 784);
    assert.equal(d.test?.count, 1000);
    assert.deepEqual(perClass(d.train.y), new Array(10).fill(300));
    assert.deepEqual(perClass(d.test!.y), new Array(10).fill(100));
    assert.equal(d.classNames[0], 'T-shirt/top');
  });

  it('is found from src/ (tsx) and from dist/ (bundles) alike', () => {
    assert.equal(findPackageRoot(join(repo, 'src', 'data')), repo);
    assert.equal(findPackageRoot(join(repo, 'dist')), repo);
    assert.equal(findPackageRoot(join(repo, 'node_modules', 'csv-parse', 'dist', 'cjs')), repo);
  });

  it("says so when Model Lab's folder cannot be found", async () => {
    const outside = mkdtempSync(join(tmpdir(), 'ml-nosample-'));
    try {
      assert.equal(findPackageRoot(outside), undefined);
      await assert.rejects(
        loadSample(outside),
        (e: unknown) =>
          e instanceof DataError && /The bundled Fashion-MNIST sample is missing .*reinstall Model Lab/.test(e.message),
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
