/**
 * The download path against a local HTTP server: verify, cache atomically, progress, errors, abort and stalls.
 * No test here reaches the internet: every request names a 127.0.0.1 mirror and no system folder.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../../src/data/load';
import type { DataRequest, FileChecksum } from '../../src/data/types';
import { NAMES, tinyFashion } from '../fixtures/data/idx';
import { dataError } from '../helpers/data-error';
import { serveFiles, type Override } from '../helpers/mirror';

const root = mkdtempSync(join(tmpdir(), 'ml-download-'));
after(() => rmSync(root, { recursive: true, force: true }));

const raw = tinyFashion(20, 10);
const gz: Record<string, Buffer> = Object.fromEntries(
  Object.entries(raw).map(([name, bytes]) => [`${name}.gz`, gzipSync(bytes)]),
);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Images are accepted by their .gz MD5 (the upstream way) with a wrong SHA-256; labels by the SHA-256 of their
 * uncompressed bytes (the Debian way) with a wrong MD5: either hash must be enough.
 */
const checksums: Record<string, FileChecksum> = {
  [NAMES.trainImages]: { md5Gz: md5(gz[`${NAMES.trainImages}.gz`]), sha256: '0'.repeat(64), count: 20 },
  [NAMES.testImages]: { md5Gz: md5(gz[`${NAMES.testImages}.gz`]), sha256: '0'.repeat(64), count: 10 },
  [NAMES.trainLabels]: { md5Gz: '0'.repeat(32), sha256: sha256(raw[NAMES.trainLabels]), count: 20 },
  [NAMES.testLabels]: { md5Gz: '0'.repeat(32), sha256: sha256(raw[NAMES.testLabels]), count: 10 },
};

const serve = (override?: Override) => serveFiles('datasets', gz, override);

let caseNo = 0;
function request(mirror: string, extra: Partial<DataRequest> = {}): DataRequest & { cacheDir: string } {
  const base = join(root, `case-${caseNo++}`);
  return {
    spec: { name: 'fashion-mnist' },
    baseDir: base,
    cacheDir: join(base, 'cache'),
    systemDirs: [join(base, 'system')],
    mirror,
    checksums,
    ...extra,
  };
}

function cacheListing(cacheDir: string): string[] {
  const dir = join(cacheDir, 'fashion-mnist');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('Fashion-MNIST download', () => {
  it('downloads, verifies by either checksum, caches, reports progress, then reads from the cache', async () => {
    const mirror = await serve();
    const events: [string, number | undefined][] = [];
    const req = request(mirror.url, { onProgress: (m, f) => events.push([m, f]) });
    let d;
    try {
      d = await loadDataset(req);
    } finally {
      await mirror.close();
    }
    assert.equal(d.source, mirror.url);
    assert.equal(d.train.count, 20);
    assert.equal(d.test?.count, 10);
    // Image 19, pixel 5: (19 × 7 + 5) % 256 = 138.
    assert.equal(d.train.x[19 * 784 + 5], 138);
    assert.deepEqual(cacheListing(req.cacheDir), Object.keys(gz).sort());
    assert.deepEqual(
      mirror.requests.sort(),
      Object.keys(gz)
        .map((n) => `/datasets/${n}`)
        .sort(),
    );

    const fractions = events.map(([, f]) => f).filter((f): f is number => f !== undefined);
    assert.ok(fractions.length >= 4, `${fractions}`);
    assert.ok(
      fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1])),
      `${fractions}`,
    );
    assert.equal(fractions[fractions.length - 1], 1);
    assert.ok(events.some(([m]) => /^Downloading Fashion-MNIST: train-images-idx3-ubyte\.gz \(/.test(m)));
    // The tiny test-labels file: 10 labels + 8 header bytes, gzipped, is well under 1 kB.
    assert.equal(events[events.length - 1][0], 'Downloading Fashion-MNIST: t10k-labels-idx1-ubyte.gz (1 kB of 1 kB)');

    // The server is gone: the second load must come from the cache.
    const again = await loadDataset({ ...req, onProgress: undefined });
    assert.equal(again.source, join(req.cacheDir, 'fashion-mnist'));
    assert.equal(again.train.count, 20);
  });

  it('follows redirects and reads the mirror from MODEL_LAB_MIRROR', async () => {
    const mirror = await serve((_name, res, req) => {
      if (!req.url?.startsWith('/datasets/')) return false;
      res.writeHead(302, { location: req.url.replace('/datasets/', '/moved/') }).end();
      return true;
    });
    const saved = process.env.MODEL_LAB_MIRROR;
    process.env.MODEL_LAB_MIRROR = mirror.url;
    try {
      const d = await loadDataset(request(mirror.url, { mirror: undefined }));
      assert.equal(d.train.count, 20);
      assert.ok(mirror.requests.includes(`/moved/${NAMES.trainImages}.gz`));
    } finally {
      if (saved === undefined) delete process.env.MODEL_LAB_MIRROR;
      else process.env.MODEL_LAB_MIRROR = saved;
      await mirror.close();
    }
  });

  it('on HTTP 404 names every folder it searched and how to get the data', async () => {
    const mirror = await serve((_name, res) => (res.writeHead(404).end(), true));
    const req = request(mirror.url, {
      spec: { name: 'fashion-mnist' },
      dataDir: join(root, 'user-data'),
    });
    try {
      // An explicit dataset.path is used or refused, never replaced by another copy (issue 14).
      const explicit = await dataError(loadDataset({ ...req, spec: { name: 'fashion-mnist', path: 'data' } }));
      assert.match(explicit.message, /^dataset\.path .*data does not exist; check it/);
      // A data folder that exists but holds none of the files is refused too: nothing is downloaded for it.
      mkdirSync(join(root, 'user-data'), { recursive: true });
      const named = await dataError(loadDataset(req));
      assert.equal(named.code, 'not-found');
      assert.match(
        named.message,
        /^The data folder .*user-data holds none of the 4 Fashion-MNIST files \(train-images-idx3-ubyte, /,
      );
      // Without one, every folder searched is named, and how to get the data.
      const e = await dataError(loadDataset({ ...req, dataDir: undefined }));
      assert.equal(e.code, 'not-found');
      const folders = [join(req.cacheDir, 'fashion-mnist'), req.systemDirs![0]];
      assert.equal(
        e.message,
        `Fashion-MNIST is not in ${folders[0]} or ${folders[1]}, and downloading it failed (HTTP 404 Not Found for ${mirror.url}${NAMES.trainImages}.gz); ` +
          'install it with "sudo apt-get install dataset-fashion-mnist", put the four files in a folder and set modelLab.dataFolder or MODEL_LAB_DATA to it, or connect to the internet so Model Lab can download it.',
      );
      assert.deepEqual(cacheListing(req.cacheDir), []);
    } finally {
      await mirror.close();
    }
  });

  it('says the connection was refused when nothing listens', async () => {
    const mirror = await serve();
    await mirror.close();
    const e = await dataError(loadDataset(request(mirror.url)));
    assert.equal(e.code, 'not-found');
    assert.match(
      e.message,
      /downloading it failed \(connection refused \(ECONNREFUSED\) for http:\/\/127\.0\.0\.1:\d+\/datasets\/train-images-idx3-ubyte\.gz\)/,
    );
  });

  it('rejects a corrupt file, keeps nothing of it, and later fetches only what is missing', async () => {
    const corrupt = Buffer.from(gz[`${NAMES.testImages}.gz`]);
    corrupt[corrupt.length - 20] ^= 0xff;
    const bad = await serve((name, res) => {
      if (name !== `${NAMES.testImages}.gz`) return false;
      res.writeHead(200, { 'content-length': corrupt.length }).end(corrupt);
      return true;
    });
    const req = request(bad.url);
    try {
      const e = await dataError(loadDataset(req));
      assert.equal(e.code, 'invalid');
      assert.equal(
        e.message,
        `The file downloaded from ${bad.url}${NAMES.testImages}.gz does not match its published checksum, so it was not kept; try again later, or install it with "sudo apt-get install dataset-fashion-mnist", put the four files in a folder and set modelLab.dataFolder or MODEL_LAB_DATA to it.`,
      );
      // The two files verified before it stay; the corrupt one and every temporary file are gone.
      assert.deepEqual(cacheListing(req.cacheDir), [`${NAMES.trainImages}.gz`, `${NAMES.trainLabels}.gz`]);
    } finally {
      await bad.close();
    }

    const good = await serve();
    try {
      const d = await loadDataset({ ...req, mirror: good.url });
      assert.equal(d.test?.count, 10);
      assert.deepEqual(good.requests.sort(), [`/datasets/${NAMES.testImages}.gz`, `/datasets/${NAMES.testLabels}.gz`]);
    } finally {
      await good.close();
    }
  });

  /** Sends the headers and half of train-images, then nothing more. */
  function stalling(): Override {
    return (name, res) => {
      const body = gz[name];
      if (name !== `${NAMES.trainImages}.gz`) return false;
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1));
      return true;
    };
  }

  it('stops when the signal aborts, leaving no partial file', async () => {
    const mirror = await serve(stalling());
    const controller = new AbortController();
    const req = request(mirror.url, {
      signal: controller.signal,
      // Abort once bytes have arrived, so the abort interrupts the body, not the connection.
      onProgress: (message) => message.includes('train-images') && controller.abort(),
    });
    try {
      const started = Date.now();
      const e = await dataError(loadDataset(req));
      assert.equal(e.code, 'aborted');
      assert.equal(e.message, 'The Fashion-MNIST download was cancelled.');
      assert.ok(Date.now() - started < 5000);
      assert.deepEqual(cacheListing(req.cacheDir), []);
    } finally {
      await mirror.close();
    }
    const e = await dataError(loadDataset({ ...request(mirror.url), signal: AbortSignal.abort() }));
    assert.equal(e.code, 'aborted');
  });

  it('gives up on a stalled download', async () => {
    const mirror = await serve(stalling());
    const req = request(mirror.url, { stallTimeoutMs: 300 });
    try {
      const e = await dataError(loadDataset(req));
      assert.equal(e.code, 'not-found');
      assert.match(
        e.message,
        /downloading it failed \(stalled: no data for 300 ms for http:.*train-images-idx3-ubyte\.gz\)/,
      );
      assert.deepEqual(cacheListing(req.cacheDir), []);
    } finally {
      await mirror.close();
    }
  });

  it('notices a connection that closes early', async () => {
    const mirror = await serve((name, res) => {
      const body = gz[name];
      if (name !== `${NAMES.trainImages}.gz`) return false;
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 100), () => res.destroy());
      return true;
    });
    const req = request(mirror.url);
    try {
      const e = await dataError(loadDataset(req));
      assert.equal(e.code, 'not-found');
      assert.match(
        e.message,
        /downloading it failed \(the connection closed early for http:.*train-images-idx3-ubyte\.gz\)/,
      );
      assert.deepEqual(cacheListing(req.cacheDir), []);
    } finally {
      await mirror.close();
    }
  });
});
