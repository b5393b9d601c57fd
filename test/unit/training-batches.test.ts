import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../../src/training/backend';
import { makeBatch, type BatchShape } from '../../src/training/worker/batches';

// 6 examples of 4 pixels each: example i holds the values 10i, 10i+1, 10i+2, 10i+3.
const split = {
  x: Uint8Array.from({ length: 24 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)),
  y: Uint8Array.from([0, 1, 2, 0, 1, 2]),
  count: 6,
};
const shape: BatchShape = { inputShape: [2, 2], exampleSize: 4, scale: 1 / 2, labels: 'sparse', numClasses: 3 };
const expected = (examples: number[]) => examples.flatMap((i) => [0, 1, 2, 3].map((k) => (10 * i + k) / 2));

for (const backend of ['wasm', 'cpu'] as const) {
  test(`${backend}: a batch keeps its values after the next batch is built (the wasm path reuses one buffer)`, async () => {
    const { tf } = await selectBackend(backend);
    const order = Uint32Array.from([5, 0, 3, 1, 4, 2]);
    const a = makeBatch(tf, split, order, 0, 3, shape);
    const b = makeBatch(tf, split, order, 3, 6, shape);
    const c = makeBatch(tf, split, order, 0, 2, shape); // a shorter batch (the last of an epoch)
    assert.deepEqual(Array.from(a.x.dataSync()), expected([5, 0, 3]));
    assert.deepEqual(Array.from(b.x.dataSync()), expected([1, 4, 2]));
    assert.deepEqual(Array.from(c.x.dataSync()), expected([5, 0]));
    assert.deepEqual(a.x.shape, [3, 2, 2]);
    assert.deepEqual(c.x.shape, [2, 2, 2]);
    assert.deepEqual(Array.from(a.y.dataSync()), [2, 0, 0]);
    for (const t of [a, b, c]) {
      t.x.dispose();
      t.y.dispose();
    }
  });
}
