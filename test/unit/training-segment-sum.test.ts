/** The UnsortedSegmentSum kernel Model Lab adds to tfjs-wasm (Embedding gradients), against sums worked by hand. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/training/backend';
import type { TF } from '../../src/training/worker/engine';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

test('rows are summed into their segment; ids out of range are dropped; untouched segments are 0', () => {
  assert.equal(tf.getBackend(), 'wasm');
  const x = tf.tensor2d([
    [1, 2],
    [10, 20],
    [100, 200],
    [5, 5],
  ]);
  const ids = tf.tensor1d([2, 0, 2, 7], 'int32');
  const out = tf.unsortedSegmentSum(x, ids, 4);
  // segment 0: row 1; segment 2: rows 0 + 2; id 7 ≥ 4 is dropped.
  assert.deepEqual(Array.from(out.dataSync()), [10, 20, 0, 0, 101, 202, 0, 0]);
  assert.deepEqual(out.shape, [4, 2]);
  tf.dispose([x, ids, out]);
});

test('the gradient of an embedding lookup accumulates repeated ids', () => {
  const table = tf.variable(tf.zeros([3, 2]));
  const ids = tf.tensor1d([1, 1, 2], 'int32');
  const { grads } = tf.variableGrads(() => tf.sum(tf.gather(table, ids)) as never, [table]);
  assert.deepEqual(Array.from(grads[table.name].dataSync()), [0, 0, 2, 2, 1, 1]);
  tf.dispose([table, ids, ...Object.values(grads)]);
});
