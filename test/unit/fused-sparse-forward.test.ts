/**
 * The first layer's sparse forward product (`sparse-forward.ts`) against the packed product it stands in for: the
 * same floats, bit for bit, with relaxed-SIMD FMA and with plain SIMD, with and without bias and relu, over k in one
 * block and in several (with a last partial one), rows that are all zero, -0 inputs and widths of one to many
 * column blocks; and the count of non-zero inputs it returns.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as v8 from 'node:v8';
import { gemmWorkBytes, packedGemm } from '../../src/training/worker/fused/packed-gemm';
import {
  MAX_VECTORS,
  sparseColumns,
  sparseForward,
  sparseForwardFits,
  sparseForwardScratch,
} from '../../src/training/worker/fused/sparse-forward';

// Node 20 keeps relaxed SIMD behind a flag (the pool passes it to workers); on here so both variants are tested.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** A bump allocator in a test's memory (from byte 64, 16-byte aligned) and seeded uniform draws in [0, 1). */
function scratch(seed: number) {
  let next = 64;
  const alloc = (bytes: number) => {
    const p = next;
    next += Math.ceil((bytes + 64) / 16) * 16;
    return p;
  };
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return { alloc, random };
}

/** Bytes of a product's result, the packed product's result, its work area and the sparse kernel's scratch. */
const areas = (m: number, n: number, k: number) => [
  m * n * 4,
  m * n * 4,
  gemmWorkBytes(n, k),
  sparseForwardScratch(m, k),
];

function check(fma: boolean): void {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const gemm = packedGemm(memory, { fma });
  assert.ok(gemm);
  assert.equal(gemm.fma, fma);
  const kernel = sparseForward(memory, fma);
  assert.ok(kernel, 'compiles in Node 20');
  const { alloc, random } = scratch(11);
  for (const [m, n, k] of [
    [1, 4, 1],
    [5, 4, 9],
    [7, 52, 33],
    [3, 4 * MAX_VECTORS, 64],
    [4, 4 * MAX_VECTORS + 4, 65],
    [32, 100, 784],
    [6, 200, 150],
  ]) {
    const [x, w, bias] = [m * k * 4, k * n * 4, Math.ceil(n / 8) * 32].map(alloc);
    const [z, expected, work, scratch] = areas(m, n, k).map(alloc);
    const view = (p: number, size: number) => new Float32Array(memory.buffer, p, size);
    const X = view(x, m * k);
    let nonZero = 0;
    X.forEach((_, i) => {
      const r = random();
      X[i] = r < 0.5 ? 0 : r < 0.55 ? -0 : r - 0.7;
      if (X[i] !== 0) nonZero++;
    });
    // An example with no non-zero input at all.
    if (m > 1) {
      for (let p = 0; p < k; p++) nonZero -= X[k + p] !== 0 ? 1 : 0;
      X.fill(0, k, 2 * k);
    }
    view(w, k * n).forEach((_, i, a) => (a[i] = random() - 0.5));
    view(bias, n).forEach((_, i, a) => (a[i] = random() - 0.5));
    for (const [b, relu] of [
      [0, 0],
      [bias, 0],
      [bias, 1],
      [0, 1],
    ]) {
      gemm.gemm(x, k * 4, 4, w, n * 4, 4, expected, m, n, k, b, relu, work, 0, n * 4, 0, 0);
      view(z, m * n).fill(NaN);
      assert.equal(kernel(x, w, b, z, m, n, k, relu, scratch), nonZero);
      const [got, want] = [view(z, m * n), view(expected, m * n)];
      for (let i = 0; i < m * n; i++)
        assert.ok(
          got[i] === want[i],
          `${fma ? 'fma' : 'simd'} ${m}x${n}x${k} bias=${!!b} relu=${relu} at ${i}: ${got[i]} != ${want[i]}`,
        );
    }
  }
}

test('the sparse forward product equals the packed product with relaxed-SIMD FMA', () => check(true));
test('the sparse forward product equals the packed product with plain SIMD', () => check(false));

/**
 * `sparseColumns`: the same product of Aᵀ (A row-major [k, m], rows `pitch` bytes apart, wider than m) against the
 * packed product with the transpose as a stride, as the weight gradient dW = Xᵀ @ dZ is taken.
 */
function checkColumns(fma: boolean): void {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const gemm = packedGemm(memory, { fma })!;
  const kernel = sparseColumns(memory, fma);
  assert.ok(kernel, 'compiles in Node 20');
  const { alloc, random } = scratch(5);
  for (const [m, n, k, extra] of [
    [1, 4, 1, 0],
    [9, 4, 5, 3],
    [33, 52, 7, 0],
    [784, 100, 32, 0],
    [20, 4 * MAX_VECTORS + 4, 70, 1],
    [6, 200, 150, 0],
  ]) {
    const pitch = (m + extra) * 4;
    const [a, w] = [k * pitch, k * n * 4].map(alloc);
    const [z, expected, work, scratch] = areas(m, n, k).map(alloc);
    const view = (p: number, size: number) => new Float32Array(memory.buffer, p, size);
    const A = view(a, (k * pitch) / 4);
    let nonZero = 0;
    for (let p = 0; p < k; p++)
      for (let i = 0; i < pitch / 4; i++) {
        const r = random();
        // Input 1 is zero in every example (an empty list); past m, junk that must not be read.
        const v = i >= m ? NaN : i === 1 ? 0 : r < 0.5 ? 0 : r < 0.55 ? -0 : r - 0.7;
        A[(p * pitch) / 4 + i] = v;
        if (i < m && v !== 0) nonZero++;
      }
    view(w, k * n).forEach((_, i, arr) => (arr[i] = random() - 0.5));
    gemm.gemm(a, 4, pitch, w, n * 4, 4, expected, m, n, k, 0, 0, work, 0, n * 4, 0, 0);
    view(z, m * n).fill(NaN);
    assert.equal(kernel(a, w, 0, z, m, n, k, 0, scratch, pitch), nonZero);
    const [got, want] = [view(z, m * n), view(expected, m * n)];
    for (let i = 0; i < m * n; i++)
      assert.ok(got[i] === want[i], `${fma ? 'fma' : 'simd'} columns ${m}x${n}x${k} at ${i}: ${got[i]} != ${want[i]}`);
  }
}

test('the product over columns (a weight gradient) equals the packed product with relaxed-SIMD FMA', () =>
  checkColumns(true));
test('the product over columns (a weight gradient) equals the packed product with plain SIMD', () =>
  checkColumns(false));

test('the sparse forward product is for whole vectors of units and a kernel that stays in L2', () => {
  assert.equal(sparseForwardFits(784, 100), true);
  assert.equal(sparseForwardFits(784, 102), false);
  assert.equal(sparseForwardFits(784, 512), false);
});
