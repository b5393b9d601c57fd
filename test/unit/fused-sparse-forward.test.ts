/**
 * The first layer's sparse forward product (`sparse-forward.ts`) against the packed product it stands in for: the
 * same floats, bit for bit, with relaxed-SIMD FMA and with plain SIMD, with and without bias and relu, over k in one
 * block and in several (with a last partial one), rows that are all zero, -0 inputs and widths of one to many
 * column blocks; and the count of non-zero inputs it returns. The variant that also lists X's entries by input
 * (`listing`), those lists, and the weight gradient's update from them (one call a column block, and one a row)
 * against the one that lists them itself, for every kind of optimizer program. Every kernel with its blocks' loops
 * two listed entries an iteration (the default) and one (`unrolled` false), each count of entries from 0 up, odd
 * and even.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as v8 from 'node:v8';
import { gemmWorkBytes, packedGemm } from '../../src/training/worker/fused/packed-gemm';
import { createFusedOptimizer } from '../../src/training/worker/fused/fused-optimizers';
import {
  listedBytes,
  MAX_VECTORS,
  sparseColumns,
  sparseColumnsUpdate,
  sparseForward,
  sparseForwardFits,
  sparseForwardListing,
  sparseForwardScratch,
  sparseListedUpdate,
  sparseRowedUpdate,
  updateByColumns,
  type SparseForward,
} from '../../src/training/worker/fused/sparse-forward';
import type { EffectiveOptimizer } from '../../src/protocol';

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
      // The kernel a column block a call, and the one a row a call (`units`, compiled for n); each also with its
      // blocks' loops one entry an iteration.
      const kernels: [string, SparseForward][] = [
        ['blocks', kernel],
        ['rows', sparseForward(memory, fma, n)!],
        ['blocks one entry an iteration', sparseForward(memory, fma, 0, false)!],
        ['rows one entry an iteration', sparseForward(memory, fma, n, false)!],
      ];
      for (const [which, product] of kernels) {
        view(z, m * n).fill(NaN);
        assert.equal(product(x, w, b, z, m, n, k, relu, scratch), nonZero);
        const [got, want] = [view(z, m * n), view(expected, m * n)];
        for (let i = 0; i < m * n; i++)
          assert.ok(
            got[i] === want[i],
            `${fma ? 'fma' : 'simd'} ${which} ${m}x${n}x${k} bias=${!!b} relu=${relu} at ${i}: ${got[i]} != ${want[i]}`,
          );
      }
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
  const kernels = [sparseColumns(memory, fma), sparseColumns(memory, fma, 0, false)];
  assert.ok(kernels[0] && kernels[1], 'compiles in Node 20');
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
    kernels.forEach((kernel, single) => {
      view(z, m * n).fill(NaN);
      assert.equal(kernel!(a, w, 0, z, m, n, k, 0, scratch, pitch), nonZero);
      const [got, want] = [view(z, m * n), view(expected, m * n)];
      const what = `${fma ? 'fma' : 'simd'} columns${single ? ' one entry an iteration' : ''} ${m}x${n}x${k}`;
      for (let i = 0; i < m * n; i++) assert.ok(got[i] === want[i], `${what} at ${i}: ${got[i]} != ${want[i]}`);
    });
  }
}

test('the product over columns (a weight gradient) equals the packed product with relaxed-SIMD FMA', () =>
  checkColumns(true));
test('the product over columns (a weight gradient) equals the packed product with plain SIMD', () =>
  checkColumns(false));

/**
 * `listing`: the forward product's floats and count as `rows`, and the lists by input it writes (`listedBytes`'s
 * layout) hold each input's non-zero examples in order; then `listed`, the first kernel's update from those lists,
 * leaves the same floats in the kernel and the optimizer's slots as `update`, which lists the examples itself.
 */
function checkListing(fma: boolean): void {
  const memory = new WebAssembly.Memory({ initial: 2048 });
  const rows = sparseForward(memory, fma)!;
  const listing = sparseForwardListing(memory, fma);
  assert.ok(listing, 'compiles in Node 20');
  let next = 64;
  const heap = {
    memory,
    malloc: (bytes: number) => {
      const p = next;
      next += Math.ceil((bytes + 64) / 16) * 16;
      return p;
    },
    free: () => {},
  };
  const { random } = scratch(23);
  const alloc = heap.malloc;
  for (const [m, n, k] of [
    [1, 4, 1],
    [5, 4, 9],
    [12, 16, 15],
    [7, 52, 70],
    [32, 100, 784],
    [20, 4 * MAX_VECTORS + 4, 130],
  ]) {
    const [x, w, bias] = [m * k * 4, k * n * 4, Math.ceil(n / 8) * 32].map(alloc);
    const [z, expected, rowsScratch, lists, columnsScratch] = [
      m * n * 4,
      m * n * 4,
      sparseForwardScratch(m, k),
      listedBytes(m, k),
      sparseForwardScratch(k, m),
    ].map(alloc);
    const view = (p: number, size: number) => new Float32Array(memory.buffer, p, size);
    const X = view(x, m * k);
    X.forEach((_, i) => {
      const r = random();
      X[i] = r < 0.5 ? 0 : r < 0.55 ? -0 : r - 0.7;
    });
    // Input 2 zero in every example, example 1 zero at every input; input 0 of example 0 not (a gradient to apply).
    for (let q = 0; q < m; q++) if (k > 2) X[q * k + 2] = 0;
    if (m > 1) X.fill(0, k, 2 * k);
    X[0] = 0.25;
    view(w, k * n).forEach((_, i, a) => (a[i] = random() - 0.5));
    view(bias, n).forEach((_, i, a) => (a[i] = random() - 0.5));
    const count = rows(x, w, bias, expected, m, n, k, 1, rowsScratch);
    // Junk where the lists go: every end must be written.
    new Int32Array(memory.buffer, lists, listedBytes(m, k) / 4).fill(-7);
    view(z, m * n).fill(NaN);
    assert.equal(listing(x, w, bias, z, m, n, k, 1, rowsScratch, 0, lists), count);
    const [got, want] = [view(z, m * n), view(expected, m * n)];
    for (let i = 0; i < m * n; i++) assert.ok(Object.is(got[i], want[i]), `${m}x${n}x${k} z at ${i}`);
    const ends = new Int32Array(memory.buffer, lists, k);
    const entries = lists + Math.ceil(k / 4) * 16;
    for (let p = 0; p < k; p++) {
      const examples = Array.from({ length: m }, (_, q) => q).filter((q) => X[q * k + p] !== 0);
      assert.equal(ends[p], entries + examples.length * k * 8 + p * 8, `${m}x${n}x${k} input ${p}'s end`);
      examples.forEach((q, j) => {
        const at = entries + j * k * 8 + p * 8;
        assert.equal(new Int32Array(memory.buffer, at, 1)[0], q * n * 4, `input ${p}'s entry ${j}: offset`);
        assert.ok(Object.is(view(at + 4, 1)[0], X[q * k + p]), `input ${p}'s entry ${j}: value`);
      });
    }
    // The listing product that runs a row's column blocks in one call: the same z and the same lists, with and
    // without bias and relu.
    const listingRowed = sparseForwardListing(memory, fma, n)!;
    assert.ok(listingRowed, `${m}x${n}x${k}: the row kernel compiles`);
    const [z2, lists2, expected2] = [m * n * 4, listedBytes(m, k), m * n * 4].map(alloc);
    for (const [b, relu] of [
      [bias, 1],
      [0, 0],
    ]) {
      new Int32Array(memory.buffer, lists2, listedBytes(m, k) / 4).fill(-7);
      view(z2, m * n).fill(NaN);
      assert.equal(rows(x, w, b, expected2, m, n, k, relu, rowsScratch), count);
      assert.equal(listingRowed(x, w, b, z2, m, n, k, relu, rowsScratch, 0, lists2), count);
      const [got2, want2] = [view(z2, m * n), view(expected2, m * n)];
      for (let i = 0; i < m * n; i++)
        assert.ok(Object.is(got2[i], want2[i]), `${m}x${n}x${k} bias ${b} relu ${relu}: row kernel's z at ${i}`);
      const [l1, l2] = [lists, lists2].map((at) => new Int32Array(memory.buffer, at, listedBytes(m, k) / 4));
      for (let i = 0; i < l1.length; i++) {
        // The ends (a cursor per input, in whole groups of four) are addresses: the same offsets from each start.
        const [a, c] = i < Math.ceil(k / 4) * 4 ? [l1[i] - lists, l2[i] - lists2] : [l1[i], l2[i]];
        assert.equal(c, a, `${m}x${n}x${k}: the row kernel's lists at ${i}`);
      }
    }
    // dW = Xᵀ @ dZ with the update in the epilogue: listing the examples itself, from the lists one call a column
    // block, and from the lists one call a row (`rowed`); the last two also with their blocks' loops one entry an
    // iteration (`unrolled` false); Adam for every shape, the other programs on two.
    const dz = alloc(m * n * 4);
    view(dz, m * n).forEach((_, i, a) => (a[i] = random() < 0.3 ? 0 : random() - 0.5));
    for (const spec of n === 100 || n === 16 ? UPDATE_SPECS : UPDATE_SPECS.slice(0, 1)) {
      const what = `${m}x${n}x${k} ${JSON.stringify(spec)}`;
      const kernels = [0, 1, 2, 3, 4, 5].map(() => alloc(k * n * 4));
      const init = Float32Array.from({ length: k * n }, () => random() - 0.5);
      kernels.forEach((c) => view(c, k * n).set(init));
      const optimizers = kernels.map(() => createFusedOptimizer(spec, heap, [k * n])!);
      const u0 = optimizers[0].fusedUpdate(0)!;
      const products = [
        sparseColumnsUpdate(memory, fma, u0.name, u0.program)!,
        sparseListedUpdate(memory, fma, u0.name, u0.program)!,
        sparseRowedUpdate(memory, fma, u0.name, u0.program, n)!,
        // Listing the examples itself, one call a row (the module of width n).
        sparseColumnsUpdate(memory, fma, u0.name, u0.program, n)!,
        sparseListedUpdate(memory, fma, u0.name, u0.program, false)!,
        sparseRowedUpdate(memory, fma, u0.name, u0.program, n, false)!,
      ];
      assert.ok(products.every(Boolean), `${what}: the kernels compile`);
      for (let step = 0; step < 3; step++) {
        optimizers.forEach((o) => o.beginStep());
        for (const p of [0, 3])
          updateByColumns(products[p], optimizers[p].fusedUpdate(0)!, [x, dz, kernels[p], columnsScratch], [k, n, m]);
        for (const p of [1, 2, 4, 5])
          updateByColumns(products[p], optimizers[p].fusedUpdate(0)!, [0, dz, kernels[p], lists], [k, n, m]);
      }
      const [a, ...others] = kernels.map((c) => view(c, k * n));
      const slots = optimizers.map((o) => o.exportSlots()[0]);
      others.forEach((b, p) => {
        for (let i = 0; i < k * n; i++) assert.ok(Object.is(a[i], b[i]), `${what} (${p + 1}) updated weight ${i}`);
        slots[0].forEach((slot, s) =>
          slot.forEach((v, i) => assert.ok(Object.is(v, slots[p + 1][s][i]), `${what} (${p + 1}) slot ${s} at ${i}`)),
        );
      });
      assert.ok(
        a.some((v, i) => v !== init[i]),
        `${what}: the update changed the weights`,
      );
    }
  }
}

/** Optimizers whose programs the update kernels are checked with: Adam first (every shape), then the rest. */
const UPDATE_SPECS: EffectiveOptimizer[] = [
  { type: 'Adam', learning_rate: 0.01, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  { type: 'Adam', learning_rate: 0.01, beta_1: 0.8, beta_2: 0.99, epsilon: 1e-5, amsgrad: true },
  { type: 'SGD', learning_rate: 0.05, momentum: 0.8, nesterov: true },
  { type: 'SGD', learning_rate: 0.05, momentum: 0, nesterov: false },
  { type: 'RMSprop', learning_rate: 0.002, rho: 0.85, momentum: 0.5, epsilon: 1e-7, centered: true },
  { type: 'Adamax', learning_rate: 0.002, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  { type: 'Adagrad', learning_rate: 0.01, initial_accumulator_value: 0.1, epsilon: 1e-7 },
  {
    type: 'AdamW',
    learning_rate: 0.01,
    weight_decay: 0.004,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
  },
];

test('the forward product that lists its input by input (listing) equals rows, and its lists are right (FMA)', () =>
  checkListing(true));
test('the forward product that lists its input by input (listing) equals rows, and its lists are right (SIMD)', () =>
  checkListing(false));

test('the sparse forward product is for whole vectors of units and a kernel that stays in L2', () => {
  assert.equal(sparseForwardFits(784, 100), true);
  assert.equal(sparseForwardFits(784, 102), false);
  assert.equal(sparseForwardFits(784, 512), false);
});
