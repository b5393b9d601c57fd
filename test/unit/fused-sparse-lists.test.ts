/**
 * The SIMD list builder for the sparse weight-gradient product against the plain JS definition: per group of four
 * inputs, the examples whose four values are not all zero, counted, in order (-0 counts as zero, NaN does not).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sparseListKernel } from '../../src/training/worker/fused/sparse-lists';

function expected(x: Float32Array, batch: number, inputs: number): Int32Array {
  const stride = batch + 1;
  const ints = new Int32Array((inputs / 4) * stride);
  for (let t = 0; t < inputs / 4; t++) {
    let at = t * stride + 1;
    for (let q = 0, row = t * 4; q < batch; q++, row += inputs)
      if (x[row] !== 0 || x[row + 1] !== 0 || x[row + 2] !== 0 || x[row + 3] !== 0) ints[at++] = q;
    ints[t * stride] = at - t * stride - 1;
  }
  return ints;
}

test('sparse lists: the SIMD builder equals the definition on mixed zeros, -0, NaN, all-zero and full groups', () => {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const kernel = sparseListKernel(memory);
  assert.ok(kernel, 'wasm SIMD compiles in Node 20');
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (const [batch, inputs] of [
    [1, 4],
    [3, 8],
    [32, 784],
    [33, 12],
    [128, 20],
  ]) {
    const x = new Float32Array(batch * inputs).map(() => {
      const r = random();
      return r < 0.5 ? 0 : r < 0.55 ? -0 : r < 0.57 ? NaN : r;
    });
    // A group that is zero in every example, and one that is never zero.
    for (let q = 0; q < batch; q++) {
      x.fill(0, q * inputs, q * inputs + 4);
      if (inputs > 4) x.fill(1, q * inputs + 4, q * inputs + 8);
    }
    const xAt = 16;
    const listAt = xAt + x.length * 4 + 16;
    new Float32Array(memory.buffer, xAt, x.length).set(x);
    const size = (inputs / 4) * (batch + 1);
    new Int32Array(memory.buffer, listAt, size).fill(-7);
    kernel(xAt, inputs, batch, listAt);
    const want = expected(x, batch, inputs);
    const got = new Int32Array(memory.buffer, listAt, size);
    for (let t = 0; t < inputs / 4; t++) {
      const count = want[t * (batch + 1)];
      assert.equal(got[t * (batch + 1)], count, `batch ${batch} inputs ${inputs} group ${t}: count`);
      assert.deepEqual(
        [...got.subarray(t * (batch + 1) + 1, t * (batch + 1) + 1 + count)],
        [...want.subarray(t * (batch + 1) + 1, t * (batch + 1) + 1 + count)],
        `batch ${batch} inputs ${inputs} group ${t}: examples`,
      );
    }
    assert.equal(got[0], 0, 'the all-zero group lists nothing');
    if (inputs > 4) assert.equal(got[batch + 1], batch, 'the full group lists every example');
  }
});
