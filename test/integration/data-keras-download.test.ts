/**
 * The Keras datasets' download path against a local HTTP server (127.0.0.1 only) serving files made in the test by
 * python3 + NumPy: download, verify by Keras's SHA-256, cache atomically, read from the cache, and fail cleanly on
 * a corrupt file, a wrong hash, an interrupted transfer and a cancelled one. No system or Keras cache folder is read.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KERAS_DATASET_FILES } from '../../src/data/keras-datasets';
import { loadDataset } from '../../src/data/load';
import type { DataRequest, FileChecksum } from '../../src/data/types';
import type { DatasetObject } from '../../src/model/types';
import { KERAS_FILE_NAMES, writeKerasFiles } from '../fixtures/data/keras-files';
import { dataError } from '../helpers/data-error';
import { serveFiles, type Override } from '../helpers/mirror';

const root = mkdtempSync(join(tmpdir(), 'ml-keras-dl-'));
after(() => rmSync(root, { recursive: true, force: true }));
const made = join(root, 'made');
mkdirSync(made);
writeKerasFiles(made);
const bodies = Object.fromEntries(KERAS_FILE_NAMES.map((f) => [f, readFileSync(join(made, f))]));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** The fixtures' own hashes stand in for Keras's published ones (which are of the real, large files). */
const checksums: Record<string, FileChecksum> = Object.fromEntries(
  KERAS_FILE_NAMES.map((f) => [f, { sha256File: sha256(bodies[f]) }]),
);

const serve = (override?: Override) => serveFiles('keras', bodies, override);

let caseNo = 0;
function request(spec: DatasetObject, mirror: string, extra: Partial<DataRequest> = {}): DataRequest {
  const base = join(root, `case-${caseNo++}`);
  return {
    spec,
    baseDir: base,
    cacheDir: join(base, 'cache'),
    systemDirs: [join(base, 'keras-home')],
    mirror,
    checksums,
    ...extra,
  };
}

const listing = (req: DataRequest, name: string) => {
  const dir = join(req.cacheDir, name);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

describe('Keras dataset downloads', () => {
  it('downloads each dataset once, verifies its SHA-256, caches it, then reads from the cache', async () => {
    const mirror = await serve();
    const cases: [string, DatasetObject, number][] = [
      ['mnist', { name: 'mnist' }, 12],
      ['imdb', { name: 'imdb', num_words: 20, maxlen: 6 }, 10],
      ['reuters', { name: 'reuters', maxlen: 6 }, 12],
      ['cifar10', { name: 'cifar10' }, 15],
      ['cifar100', { name: 'cifar100' }, 5],
    ];
    try {
      for (const [name, spec, count] of cases) {
        const progress: [string, number | undefined][] = [];
        const req = request(spec, mirror.url, { onProgress: (m, f) => progress.push([m, f]) });
        const d = await loadDataset(req);
        const file = KERAS_DATASET_FILES[name as keyof typeof KERAS_DATASET_FILES].file;
        assert.equal(d.source, mirror.url, name);
        assert.equal(d.train.count, count, name);
        assert.deepEqual(listing(req, name), [file], name);
        assert.ok(
          progress.some(
            ([m, f]) =>
              m.startsWith(
                `Downloading ${KERAS_DATASET_FILES[name as keyof typeof KERAS_DATASET_FILES].label}: ${file} (`,
              ) && f === 1,
          ),
          name,
        );
        const before = mirror.requests.length;
        const again = await loadDataset({ ...req, onProgress: undefined });
        assert.equal(again.source, join(req.cacheDir, name, file));
        assert.equal(mirror.requests.length, before, `${name} was fetched twice`);
      }
    } finally {
      await mirror.close();
    }
  });

  it('uses a copy Keras already downloaded (~/.keras/datasets) instead of the network', async () => {
    const req = request({ name: 'mnist' }, 'http://127.0.0.1:9/', { systemDirs: [made] });
    const d = await loadDataset(req);
    assert.equal(d.source, join(made, 'mnist.npz'));
  });

  it('rejects a file whose SHA-256 differs (corrupt in transit or the wrong file), keeping nothing', async () => {
    const corrupt = Buffer.from(bodies['imdb.npz']);
    corrupt[corrupt.length >> 1] ^= 0x01;
    const mirror = await serve((name, res) => {
      if (name !== 'imdb.npz') return false;
      res.writeHead(200, { 'content-length': corrupt.length }).end(corrupt);
      return true;
    });
    const req = request({ name: 'imdb', maxlen: 5 }, mirror.url);
    try {
      const e = await dataError(loadDataset(req));
      assert.equal(e.code, 'invalid');
      assert.equal(
        e.message,
        `The file downloaded from ${mirror.url}imdb.npz does not match its published checksum, so it was not kept; try again later, or put imdb.npz (from https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz) in a folder and set modelLab.dataFolder or MODEL_LAB_DATA to it.`,
      );
      assert.deepEqual(listing(req, 'imdb'), []);
    } finally {
      await mirror.close();
    }
  });

  it("checks Keras's published hash by default: the test file is not the real MNIST, so it is refused", async () => {
    const mirror = await serve();
    const req = request({ name: 'mnist' }, mirror.url, { checksums: undefined });
    try {
      const e = await dataError(loadDataset(req));
      assert.match(e.message, /mnist\.npz does not match its published checksum, so it was not kept/);
      assert.deepEqual(listing(req, 'mnist'), []);
    } finally {
      await mirror.close();
    }
  });

  it('an interrupted transfer leaves no partial file, and the next load downloads it whole', async () => {
    const body = bodies['cifar-10-python.tar.gz'];
    const cutting = await serve((name, res) => {
      if (name !== 'cifar-10-python.tar.gz') return false;
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return true;
    });
    const req = request({ name: 'cifar10' }, cutting.url);
    try {
      const e = await dataError(loadDataset(req));
      assert.equal(e.code, 'not-found');
      assert.match(
        e.message,
        /^CIFAR-10 \(cifar-10-python\.tar\.gz, 170 MB\) is not in .*keras-home, and downloading it failed \(the connection closed early for http:\/\/127\.0\.0\.1:\d+\/keras\/cifar-10-python\.tar\.gz\); put cifar-10-python\.tar\.gz \(from https:\/\/www\.cs\.toronto\.edu\/~kriz\/cifar-10-python\.tar\.gz\) in a folder/,
      );
      assert.deepEqual(listing(req, 'cifar10'), []);
    } finally {
      await cutting.close();
    }
    const good = await serve();
    try {
      const d = await loadDataset({ ...req, mirror: good.url });
      assert.equal(d.test?.count, 4);
      assert.deepEqual(listing(req, 'cifar10'), ['cifar-10-python.tar.gz']);
    } finally {
      await good.close();
    }
  });

  it('a 404 and a refused connection name the folders searched and how to get the file', async () => {
    const mirror = await serve((_name, res) => (res.writeHead(404).end(), true));
    const req = request({ name: 'reuters' }, mirror.url);
    try {
      const e = await dataError(loadDataset(req));
      assert.equal(
        e.message,
        `Reuters (reuters.npz, 2 MB) is not in ${join(req.cacheDir, 'reuters')} or ${req.systemDirs![0]}, and downloading it failed (HTTP 404 Not Found for ${mirror.url}reuters.npz); ` +
          'put reuters.npz (from https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz) in a folder and set modelLab.dataFolder or MODEL_LAB_DATA to it, or connect to the internet so Model Lab can download it.',
      );
    } finally {
      await mirror.close();
    }
    const e = await dataError(loadDataset(request({ name: 'mnist' }, mirror.url)));
    assert.match(
      e.message,
      /downloading it failed \(connection refused \(ECONNREFUSED\) for http:\/\/127\.0\.0\.1:\d+\/keras\/mnist\.npz\)/,
    );
  });

  it('stops when cancelled, leaving no partial file', async () => {
    const body = bodies['cifar-100-python.tar.gz'];
    const stalling = await serve((name, res) => {
      if (name !== 'cifar-100-python.tar.gz') return false;
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 1000));
      return true;
    });
    const controller = new AbortController();
    const req = request({ name: 'cifar100' }, stalling.url, {
      signal: controller.signal,
      onProgress: (m) => m.startsWith('Downloading') && controller.abort(),
    });
    try {
      const started = Date.now();
      const e = await dataError(loadDataset(req));
      assert.equal(e.code, 'aborted');
      assert.equal(e.message, 'The CIFAR-100 download was cancelled.');
      assert.ok(Date.now() - started < 5000);
      assert.deepEqual(listing(req, 'cifar100'), []);
    } finally {
      await stalling.close();
    }
  });
});
