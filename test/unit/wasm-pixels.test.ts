/**
 * Pixel batches converted in wasm memory (`wasm-pixels.ts`) hold exactly the floats of the JS path (byte * scale
 * in double, rounded to float32), for batches whose byte count is not a multiple of eight, for scales the float32
 * division matches, and fall back where it would not match.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/training/backend';
import { makeBatch } from '../../src/training/worker/batches';
import type { TF } from '../../src/training/worker/engine';
import { exactDivisor, pixelBatch } from '../../src/training/worker/wasm-pixels';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

const bytes = (count: number) => Uint8Array.from({ length: count }, (_, i) => (i * 37 + (i >> 3) * 11) % 256);

test('every byte divided in float32 equals the JS path for 1/255, 1 and 1/10', () => {
  for (const scale of [1 / 255, 1, 1 / 10]) {
    const src = bytes(256 * 3 + 5);
    const order = [2, 0, 1];
    const n = 256 + 1; // an odd example size: the last bytes go through the tail loop
    const x = pixelBatch(tf, src, order, 0, 3, n, scale, [3, n]);
    assert.ok(x, `the wasm path applies to scale ${scale}`);
    const got = x.dataSync();
    for (let e = 0; e < 3; e++)
      for (let k = 0; k < n; k++)
        assert.equal(
          got[e * n + k],
          Math.fround(src[order[e] * n + k] * scale),
          `scale ${scale}, example ${e}, byte ${k}`,
        );
    x.dispose();
  }
});

test('a scale whose float32 division would differ takes the JS path; makeBatch gives the same floats either way', () => {
  const inexact = [0.7, 0.3, 1 / 3, 2 / 255].filter((s) => exactDivisor(s) === undefined);
  assert.ok(inexact.length > 0, 'some scale is not matched by a float32 division');
  assert.equal(pixelBatch(tf, bytes(16), [0], 0, 1, 16, inexact[0], [1, 16]), undefined);
  for (const scale of [1 / 255, inexact[0]]) {
    const split = { x: bytes(5 * 13), y: Uint8Array.from([0, 1, 2, 3, 4]), count: 5 };
    const shape = { inputShape: [13], exampleSize: 13, scale, labels: 'sparse' as const, numClasses: 5 };
    const { x, y } = makeBatch(tf, split, [4, 2, 0, 3], 1, 4, shape);
    assert.deepEqual(x.shape, [3, 13]);
    const got = x.dataSync();
    [2, 0, 3].forEach((ex, e) => {
      for (let k = 0; k < 13; k++) assert.equal(got[e * 13 + k], Math.fround(split.x[ex * 13 + k] * scale));
    });
    assert.deepEqual(Array.from(y.dataSync()), [2, 0, 3]);
    tf.dispose([x, y]);
  }
});
