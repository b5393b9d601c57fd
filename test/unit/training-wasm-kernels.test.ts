/**
 * The kernels Model Lab adds to or replaces in the wasm backend, against plain-JS references of their definitions.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/training/backend';
import type { TF } from '../../src/training/worker/engine';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
}

/** dW[kh,kw,ci,co] = Σ_b,oh,ow x[b, oh*s + kh - padTop, ow*s + kw - padLeft, ci] · dy[b, oh, ow, co] (zero outside x). */
function referenceFilterGrad(
  x: Float32Array,
  xs: number[],
  dy: Float32Array,
  ds: number[],
  k: number,
  s: number,
  padTop: number,
  padLeft: number,
) {
  const [B, H, W, CI] = xs;
  const [, OH, OW, CO] = ds;
  const out = new Float64Array(k * k * CI * CO);
  for (let kh = 0; kh < k; kh++)
    for (let kw = 0; kw < k; kw++)
      for (let ci = 0; ci < CI; ci++)
        for (let co = 0; co < CO; co++) {
          let sum = 0;
          for (let b = 0; b < B; b++)
            for (let oh = 0; oh < OH; oh++)
              for (let ow = 0; ow < OW; ow++) {
                const h = oh * s + kh - padTop;
                const w = ow * s + kw - padLeft;
                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                sum += x[((b * H + h) * W + w) * CI + ci] * dy[((b * OH + oh) * OW + ow) * CO + co];
              }
          out[((kh * k + kw) * CI + ci) * CO + co] = sum;
        }
  return out;
}

for (const c of [
  { pad: 'valid' as const, stride: 1, padTop: 0, padLeft: 0, out: 5 },
  // 'same' with stride 2 on 7x7 and a 3x3 kernel: output 4, total padding (4-1)*2 + 3 - 7 = 2, one on each side.
  { pad: 'same' as const, stride: 2, padTop: 1, padLeft: 1, out: 4 },
]) {
  test(`Conv2D filter gradient on wasm (${c.pad}, stride ${c.stride}) matches the definition`, () => {
    const xs = [2, 7, 7, 3];
    const ds = [2, c.out, c.out, 4];
    const x = values(2 * 7 * 7 * 3, 7);
    const dy = values(2 * c.out * c.out * 4, 11);
    // d/dW of Σ conv2d(x, W) · dy is exactly the filter gradient for output gradient dy.
    const lossOf = (f: import('@tensorflow/tfjs').Tensor) =>
      tf.sum(tf.mul(tf.conv2d(tf.tensor4d(x, xs as never), f as never, c.stride, c.pad), tf.tensor4d(dy, ds as never)));
    const got = tf.tidy(() =>
      tf
        .grad(lossOf)(tf.zeros([3, 3, 3, 4]))
        .dataSync(),
    );
    const want = referenceFilterGrad(x, xs, dy, ds, 3, c.stride, c.padTop, c.padLeft);
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++)
      assert.ok(Math.abs(got[i] - want[i]) < 1e-4, `index ${i}: ${got[i]} vs ${want[i]}`);
  });
}

test('the explicit-transpose matrix product gives the transposed products', () => {
  // [[1,2],[3,4]]ᵀ @ [[5,6],[7,8]] = [[26,30],[38,44]]; [[1,2],[3,4]] @ [[5,6],[7,8]]ᵀ = [[17,23],[39,53]]
  const a = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const b = tf.tensor2d([
    [5, 6],
    [7, 8],
  ]);
  assert.deepEqual(Array.from(tf.matMul(a, b, true, false).dataSync()), [26, 30, 38, 44]);
  assert.deepEqual(Array.from(tf.matMul(a, b, false, true).dataSync()), [17, 23, 39, 53]);
  assert.deepEqual(Array.from(tf.matMul(a, b, true, true).dataSync()), [23, 31, 34, 46]);
});
