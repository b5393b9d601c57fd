import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataError } from '../../src/data/errors';
import { fashionMnistFolders, locateFashionMnist } from '../../src/data/fashion-mnist';
import { loadDataset } from '../../src/data/load';
import type { DataRequest } from '../../src/data/types';
import { idx, imagesIdx, labelsIdx, NAMES, tinyFashion, writeFolder } from '../fixtures/data/idx';

const root = mkdtempSync(join(tmpdir(), 'ml-locate-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh set of the four candidate places; each folder's training-set size says which one was read. */
function places(name: string) {
  const base = join(root, name);
  return {
    model: join(base, 'project'),
    path: join(base, 'project', 'my-data'),
    dataDir: join(base, 'data-dir'),
    cacheDir: join(base, 'cache'),
    cacheFolder: join(base, 'cache', 'fashion-mnist'),
    system: join(base, 'system'),
  };
}

function request(p: ReturnType<typeof places>, extra: Partial<DataRequest> = {}): DataRequest {
  return {
    spec: { name: 'fashion-mnist', path: 'my-data' },
    baseDir: p.model,
    dataDir: p.dataDir,
    cacheDir: p.cacheDir,
    systemDirs: [p.system],
    // No expected counts: the tiny folders hold 10, 20, 30 and 40 images.
    checksums: {},
    mirror: 'http://127.0.0.1:9/',
    ...extra,
  };
}

describe('Fashion-MNIST locator', () => {
  it('searches path, data folder (and its fashion-mnist subfolder), cache, then system folders', () => {
    const p = places('order');
    assert.deepEqual(fashionMnistFolders(request(p)), [
      p.path,
      p.dataDir,
      join(p.dataDir, 'fashion-mnist'),
      p.cacheFolder,
      p.system,
    ]);
    assert.deepEqual(fashionMnistFolders(request(p, { spec: { name: 'fashion-mnist' }, dataDir: undefined })), [
      p.cacheFolder,
      p.system,
    ]);
  });

  it('takes the first folder that has the data, and removes it folder by folder', async () => {
    const p = places('wins');
    writeFolder(p.path, tinyFashion(10, 5), true);
    writeFolder(p.dataDir, tinyFashion(20, 5), false);
    writeFolder(p.cacheFolder, tinyFashion(30, 5), true);
    writeFolder(p.system, tinyFashion(40, 5), true);
    const expectations: [string, number][] = [
      [p.path, 10],
      [p.dataDir, 20],
      [p.cacheFolder, 30],
      [p.system, 40],
    ];
    for (const [dir, count] of expectations) {
      // Once the dataset's own path is gone, the definition no longer names it, and once the data folder is gone
      // the setting no longer names it (a named location is never replaced).
      const named = dir === p.path ? {} : { spec: { name: 'fashion-mnist' } };
      const d = await loadDataset(
        request(p, dir === p.path || dir === p.dataDir ? named : { ...named, dataDir: undefined }),
      );
      assert.equal(d.source, dir);
      assert.equal(d.train.count, count);
      assert.equal(d.test?.count, 5);
      rmSync(dir, { recursive: true });
    }
  });

  it('refuses a data folder holding none of the files, naming them, rather than using the cache (issue 14)', async () => {
    const p = places('empty-data-dir');
    mkdirSync(p.dataDir, { recursive: true });
    writeFolder(p.cacheFolder, tinyFashion(30, 5), true);
    writeFolder(p.system, tinyFashion(40, 5), true);
    const req = request(p, { spec: { name: 'fashion-mnist' } });
    const expected =
      `The data folder ${p.dataDir} holds none of the 4 Fashion-MNIST files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), nor does its fashion-mnist subfolder; ` +
      'add them, point the data folder elsewhere, or unset it to let Model Lab find or download the data.';
    for (const attempt of [() => loadDataset(req), () => locateFashionMnist(req)]) {
      await assert.rejects(attempt(), (e: unknown) => {
        assert.ok(e instanceof DataError);
        assert.equal(e.message, expected);
        assert.equal(e.code, 'not-found');
        return true;
      });
    }
    // Without a data folder, the cache answers.
    assert.equal((await loadDataset({ ...req, dataDir: undefined })).source, p.cacheFolder);
  });

  it('a named dataset path is used or refused, never replaced by a copy found elsewhere', async () => {
    const p = places('named');
    writeFolder(p.system, tinyFashion(40, 5), true);
    await assert.rejects(
      loadDataset(request(p)),
      (e: unknown) => e instanceof DataError && /dataset\.path .*my-data does not exist/.test(e.message),
    );
    mkdirSync(p.model, { recursive: true });
    writeFileSync(join(p.model, 'my-data-file'), 'x');
    await assert.rejects(
      loadDataset(request(p, { spec: { name: 'fashion-mnist', path: 'my-data-file' } })),
      (e: unknown) => e instanceof DataError && /my-data-file is a file, not a folder/.test(e.message),
    );
    await assert.rejects(
      loadDataset(request(p, { spec: { name: 'fashion-mnist' }, dataDir: join(p.model, 'my-data-file') })),
      (e: unknown) =>
        e instanceof DataError && /The data folder .*my-data-file is a file, not a folder/.test(e.message),
    );
  });

  it("finds the data in the data folder's fashion-mnist subfolder", async () => {
    const p = places('subfolder');
    writeFolder(join(p.dataDir, 'fashion-mnist'), tinyFashion(12, 3), true);
    writeFolder(p.system, tinyFashion(40, 5), true);
    const d = await loadDataset(request(p, { spec: { name: 'fashion-mnist' } }));
    assert.equal(d.source, join(p.dataDir, 'fashion-mnist'));
    assert.equal(d.train.count, 12);
  });

  it('refuses a named folder missing one of the four files, naming it; skips such a cache or system folder', async () => {
    const p = places('partial');
    writeFolder(p.path, tinyFashion(10, 5), true);
    unlinkSync(join(p.path, `${NAMES.testLabels}.gz`));
    writeFolder(p.system, tinyFashion(40, 5), true);
    await assert.rejects(
      loadDataset(request(p)),
      /holds 3 of the 4 Fashion-MNIST files \(t10k-labels-idx1-ubyte missing\)/,
    );
    await assert.rejects(
      loadDataset(request(p, { spec: { name: 'fashion-mnist' }, dataDir: p.path })),
      /The data folder .* holds 3 of the 4/,
    );
    writeFolder(p.cacheFolder, tinyFashion(30, 5), true);
    unlinkSync(join(p.cacheFolder, `${NAMES.testLabels}.gz`));
    assert.equal(
      (await loadDataset(request(p, { spec: { name: 'fashion-mnist' }, dataDir: undefined }))).source,
      p.system,
    );
  });

  it('accepts raw, gzipped and MNIST-style dotted names mixed in one folder', async () => {
    const p = places('names');
    const files = tinyFashion(10, 5);
    writeFolder(
      p.path,
      { [NAMES.trainImages]: files[NAMES.trainImages], [NAMES.testLabels]: files[NAMES.testLabels] },
      false,
    );
    writeFolder(p.path, { [NAMES.trainLabels]: files[NAMES.trainLabels] }, true);
    writeFileSync(join(p.path, 't10k-images.idx3-ubyte'), files[NAMES.testImages]);
    const d = await loadDataset(request(p));
    assert.equal(d.source, p.path);
    assert.equal(d.name, 'fashion-mnist');
    assert.deepEqual(d.exampleShape, [28, 28]);
    assert.equal(d.scale, 1 / 255);
    assert.equal(d.classNames.length, 10);
    assert.equal(d.classNames[9], 'Ankle boot');
    // Image 3, pixel 100: (3 × 7 + 100) % 256 = 121; label 3 % 10 = 3.
    assert.equal(d.train.x[3 * 784 + 100], 121);
    assert.equal(d.train.y[3], 3);
  });

  it('enforces the real file sizes unless the checksums are replaced', async () => {
    const p = places('counts');
    writeFolder(p.path, tinyFashion(10, 5), true);
    await assert.rejects(
      loadDataset(request(p, { checksums: undefined })),
      (e: unknown) =>
        e instanceof DataError &&
        new RegExp(`${NAMES.trainImages}\\.gz holds 10 images, expected 60,000\\.`).test(e.message),
    );
  });

  it('stops at a corrupt file instead of silently using another folder', async () => {
    const p = places('corrupt');
    writeFolder(p.path, tinyFashion(10, 5), false);
    writeFileSync(join(p.path, NAMES.trainImages), imagesIdx(10, 27, 28));
    writeFolder(p.system, tinyFashion(40, 5), true);
    await assert.rejects(loadDataset(request(p)), /holds 27×28 images, expected 28×28/);
    writeFileSync(join(p.path, NAMES.trainLabels), labelsIdx([0, 1, 2, 3, 4, 5, 6, 7, 8, 10]));
    writeFileSync(join(p.path, NAMES.trainImages), imagesIdx(10));
    await assert.rejects(loadDataset(request(p)), /has label 10 at position 9, but the dataset has 10 classes/);
  });

  it('reads any other IDX folder named by path, numbering its classes', async () => {
    const p = places('generic');
    writeFolder(
      p.path,
      {
        [NAMES.trainImages]: idx(0x803, [3, 2, 2], new Uint8Array(12)),
        [NAMES.trainLabels]: labelsIdx([0, 4, 2]),
      },
      true,
    );
    const d = await loadDataset({ spec: { name: 'shapes', path: 'my-data' }, baseDir: p.model, cacheDir: p.cacheDir });
    assert.equal(d.name, 'shapes');
    assert.deepEqual(d.exampleShape, [2, 2]);
    assert.deepEqual(d.classNames, ['0', '1', '2', '3', '4']);
    assert.equal(d.test, undefined);
    await assert.rejects(
      loadDataset({ spec: { name: 'shapes', path: 'nowhere' }, baseDir: p.model, cacheDir: p.cacheDir }),
      /dataset\.path .*nowhere does not exist; check it/,
    );
    mkdirSync(join(p.model, 'empty'));
    await assert.rejects(
      loadDataset({ spec: { name: 'shapes', path: 'empty' }, baseDir: p.model, cacheDir: p.cacheDir }),
      /empty has no training images and labels \(train-images-idx3-ubyte and train-labels-idx1-ubyte, raw or \.gz\)/,
    );
  });
});
