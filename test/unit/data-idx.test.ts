import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/data/errors';
import { gunzipChunkSize, readIdxImages, readIdxLabels } from '../../src/data/idx';
import { readImageSplit } from '../../src/data/idx-folder';
import { idx, imagesIdx, labelsIdx } from '../fixtures/data/idx';

const dir = mkdtempSync(join(tmpdir(), 'ml-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<DataError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e}`);
    assert.match(e.message, pattern);
    return e;
  }
  assert.fail('expected a DataError');
}

describe('IDX reader', () => {
  it('reads raw and gzipped image files with their dimensions and pixels', async () => {
    const bytes = imagesIdx(3, 4, 5);
    for (const p of [file('img', bytes), file('img.gz', gzipSync(bytes))]) {
      const images = await readIdxImages(p);
      assert.equal(images.count, 3);
      assert.equal(images.rows, 4);
      assert.equal(images.cols, 5);
      assert.equal(images.pixels.length, 60);
      // pixel j of image i is (7i + j) % 256: image 2, pixel 19 → 33
      assert.equal(images.pixels[2 * 20 + 19], 33);
      assert.ok(!Buffer.isBuffer(images.pixels), 'pixels are a plain Uint8Array');
    }
  });

  it('reads labels and checks they are below the number of classes', async () => {
    const p = file('lab.gz', gzipSync(labelsIdx([0, 9, 3])));
    assert.deepEqual([...(await readIdxLabels(p, { numClasses: 10 }))], [0, 9, 3]);
    const bad = file('lab-bad', labelsIdx([0, 1, 2, 12, 4]));
    const e = await rejectsWith(
      readIdxLabels(bad, { numClasses: 10 }),
      /has label 12 at position 3, but the dataset has 10 classes/,
    );
    assert.ok(e.message.includes(bad));
  });

  it('names a truncated raw file with the expected and found byte counts', async () => {
    const full = imagesIdx(5);
    const p = file('trunc', full.subarray(0, 16 + 1000));
    const e = await rejectsWith(readIdxImages(p), /is truncated/);
    // 5 images × 28 × 28 = 3,920 bytes expected after the 16-byte header; 1,000 written.
    assert.equal(
      e.message,
      `${p} is truncated: expected 3,920 bytes of image data, found 1,000. Delete it and download again.`,
    );
  });

  it('reports a truncated .gz by the bytes it still holds, not as a shorter dataset', async () => {
    const gz = gzipSync(imagesIdx(50));
    const p = file('trunc.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    await rejectsWith(readIdxImages(p), /trunc\.gz is truncated: expected 39,200 bytes of image data, found [\d,]+\./);
  });

  it('rejects a file with too many bytes for its header', async () => {
    const p = file('long', Buffer.concat([labelsIdx([1, 2]), Buffer.from([3])]));
    await rejectsWith(readIdxLabels(p), /has 1 bytes after its 2 bytes of label data/);
  });

  it('rejects a wrong magic number, saying what the file is', async () => {
    const p = file('swapped', labelsIdx([1, 2, 3]));
    await rejectsWith(
      readIdxImages(p),
      /is not an IDX image file: its magic number is 0x00000801 \(a label file\), expected 0x00000803/,
    );
    const junk = file('junk', Buffer.from('hello world, not idx'));
    await rejectsWith(
      readIdxLabels(junk),
      /is not an IDX label file: its magic number is 0x68656c6c, expected 0x00000801/,
    );
  });

  it('rejects a header shorter than its dimensions', async () => {
    const p = file('short-header', Buffer.from([0, 0, 8, 3, 0, 0, 0, 1]));
    await rejectsWith(readIdxImages(p), /is truncated: its header needs 16 bytes, found 8/);
    await rejectsWith(readIdxImages(file('tiny', Buffer.from([0, 0]))), /has only 2 bytes, not even an IDX header/);
  });

  it('rejects a count other than the one expected', async () => {
    const p = file('count', imagesIdx(4));
    await rejectsWith(readIdxImages(p, { count: 5 }), /holds 4 images, expected 5\./);
    await rejectsWith(readIdxImages(p, { rows: 28, cols: 27 }), /holds 28×28 images, expected 28×27/);
    await rejectsWith(
      readIdxLabels(file('lcount', labelsIdx([1])), { count: 60000 }),
      /holds 1 labels, expected 60,000\./,
    );
  });

  it('rejects images and labels whose counts differ', async () => {
    const images = file('pair-img', imagesIdx(4));
    const labels = file('pair-lab', labelsIdx([1, 2, 3]));
    await rejectsWith(
      readImageSplit(images, labels),
      /holds 4 images but .*pair-lab holds 3 labels; both must come from the same dataset/,
    );
  });

  it('says a missing file cannot be read', async () => {
    await rejectsWith(readIdxImages(join(dir, 'nope')), /Cannot read .*nope \(ENOENT\)/);
  });

  it('gunzips in one output chunk the size the gzip trailer gives, within bounds, to the same bytes', async () => {
    const raw = imagesIdx(300);
    const gz = gzipSync(raw);
    assert.equal(gunzipChunkSize(gz), Math.max(16 * 1024, raw.length + 1));
    const big = gzipSync(new Uint8Array(3_000_000));
    assert.equal(gunzipChunkSize(big), 3_000_001, 'a 3 MB file in one chunk');
    // A trailer that lies (4 GB from a tiny file) asks for no more than deflate can expand the file to.
    const liar = Buffer.from(gz);
    liar.writeUInt32LE(0xffffffff, liar.length - 4);
    assert.equal(gunzipChunkSize(liar), Math.max(16 * 1024, liar.length * 1032));
    const huge = Buffer.concat([big, Buffer.alloc(200_000)]);
    huge.writeUInt32LE(0xffffffff, huge.length - 4);
    assert.equal(gunzipChunkSize(huge), 64 * 1024 * 1024, 'never more than 64 MB');
    assert.equal(gunzipChunkSize(gz.subarray(0, 10)), 16 * 1024, "too short for a trailer: zlib's default");
    const images = await readIdxImages(file('chunked.gz', gz));
    assert.ok(Buffer.from(images.pixels).equals(raw.subarray(16)));
    // The trailer's size is only a hint: a wrong one still reads the true bytes.
    const wrong = Buffer.from(gz);
    wrong.writeUInt32LE(5, wrong.length - 4);
    await rejectsWith(readIdxImages(file('wrong-size.gz', wrong)), /gzip/);
  });

  it('decodes a hand-written 2-image 2×2 file exactly', async () => {
    const p = file('hand', idx(0x803, [2, 2, 2], Uint8Array.from([0, 255, 1, 2, 3, 4, 5, 6])));
    const images = await readIdxImages(p);
    assert.deepEqual([...images.pixels], [0, 255, 1, 2, 3, 4, 5, 6]);
  });
});
