/** The packing-free SIMD matrix product against the textbook triple loop, on shapes that exercise every edge tile. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gemmKernels } from '../../src/training/worker/fused/gemm-kernel';

const SHAPES: [number, number, number][] = [
  [1, 1, 1], // single row, single column
  [4, 8, 3], // exactly one 4x8 tile
  [5, 13, 7], // one 4x8, one 4x4, one scalar column; a bottom row
  [7, 9, 2],
  [3, 4, 5], // only single rows, one 4-wide tile
  [32, 100, 784], // the canonical forward product
  [10, 100, 32],
];

test('gemm and gemmTransA equal the triple loop on every tile shape', () => {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const kernels = gemmKernels(memory);
  assert.ok(kernels, 'wasm SIMD compiles in Node 20');
  let seed = 3;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  for (const [m, n, k] of SHAPES) {
    let next = 64;
    const alloc = (size: number) => {
      const a = new Float32Array(memory.buffer, next, size);
      next += size * 4 + 64;
      return a;
    };
    const a = alloc(m * k);
    const aT = alloc(k * m);
    const b = alloc(k * n);
    const c = alloc(m * n);
    for (let i = 0; i < a.length; i++) a[i] = random();
    for (let i = 0; i < b.length; i++) b[i] = random();
    for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) aT[q * m + i] = a[i * k + q];
    for (const transposed of [false, true]) {
      c.fill(NaN);
      (transposed ? kernels.gemmTransA : kernels.gemm)((transposed ? aT : a).byteOffset, b.byteOffset, c.byteOffset, m, n, k);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let q = 0; q < k; q++) sum += a[i * k + q] * b[q * n + j];
          // float32 accumulation over k terms of size <= 0.25
          assert.ok(Math.abs(c[i * n + j] - sum) <= 1e-6 * k, `${m}x${n}x${k} transposed=${transposed} at (${i}, ${j}): ${c[i * n + j]} vs ${sum}`);
        }
      }
    }
  }
});
