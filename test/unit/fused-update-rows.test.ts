/**
 * The first kernel's update from lists in one call that loops over the kernel's rows (`updateRows`, `BlockLoops.looped`,
 * `sparse-forward.ts`), where V8 builds the epilogue's constants (the |x| mask and FLT_MIN's splat of `flush`) and
 * keeps the scalars' splats once a call rather than once a row: the same weights and slots, bit for bit, as one call a
 * row (`looped` false) and one call a column block, and the flushes right on rows with no gradient, where Adam's moments
 * only decay: first moments of either sign just above 2^-126 (the decayed ones subnormal) become +0, and so does a
 * second moment just above it; normal moments of either sign stay, with their sign; the weights of a row whose first
 * moments were flushed stay as they were.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as v8 from 'node:v8';
import { createFusedOptimizer } from '../../src/training/worker/fused/fused-optimizers';
import {
  BLOCK_LOOPS,
  listedBytes,
  sparseForwardListing,
  sparseForwardScratch,
  sparseListedUpdate,
  sparseRowedUpdate,
  updateByColumns,
} from '../../src/training/worker/fused/sparse-forward';
import type { EffectiveOptimizer } from '../../src/protocol';
import { bumpHeap } from './bump-heap';
import { effectiveOptimizer } from '../../src/model/optimizers';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/**
 * Just above the smallest normal float32 (2^-126 = 1.1754944e-38), as float32: a first moment that decayed by 0.9
 * and a second moment that decayed by 0.999 turn subnormal (1.08e-38 and 1.1745e-38).
 */
const [TINY, TINY1] = [Math.fround(1.2e-38), Math.fround(1.1757e-38)];

function check(fma: boolean, spec: EffectiveOptimizer, n: number): void {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const heap = bumpHeap(memory);
  let seed = 5;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  // X [m, k] (k inputs: the kernel's rows), dZ [m, n]; inputs 2 and 5 zero in every example (no gradient).
  const [m, k] = [8, 12];
  const empty = new Set([2, 5]);
  const view = (p: number, size: number) => new Float32Array(memory.buffer, p, size);
  const [x, w, z, rowsScratch, lists, dz] = [
    m * k * 4,
    k * n * 4,
    m * n * 4,
    sparseForwardScratch(m, k),
    listedBytes(m, k),
    m * n * 4,
  ].map(heap.malloc);
  view(x, m * k).forEach((_, i, a) => (a[i] = empty.has(i % k) || random() < 0.4 ? 0 : random() - 0.5));
  view(w, k * n).forEach((_, i, a) => (a[i] = random() - 0.5));
  view(dz, m * n).forEach((_, i, a) => (a[i] = random() < 0.3 ? 0 : random() - 0.5));
  assert.ok(sparseForwardListing(memory, fma, n)!(x, w, 0, z, m, n, k, 0, rowsScratch, 0, lists) > 0);
  const kernels = [
    sparseRowedUpdate,
    (...a: Parameters<typeof sparseRowedUpdate>) =>
      sparseRowedUpdate(a[0], a[1], a[2], a[3], a[4], { ...BLOCK_LOOPS, looped: false }),
    (...a: Parameters<typeof sparseRowedUpdate>) => sparseListedUpdate(a[0], a[1], a[2], a[3]),
  ];
  const weights = kernels.map(() => heap.malloc(k * n * 4));
  const init = Float32Array.from({ length: k * n }, () => random() - 0.5);
  weights.forEach((c) => view(c, k * n).set(init));
  const optimizers = kernels.map(() => createFusedOptimizer(spec, heap, [k * n])!);
  // The moments: per element of a row, one of the cases (first moment, second moment).
  const cases: [number, number][] = [
    [TINY, 0.25],
    [-TINY, 0.25],
    [0.5, TINY1],
    [-0.5, 0.04],
    [TINY, TINY1],
    [random() - 0.5, random()],
  ];
  const slotsOf = (o: (typeof optimizers)[number]) => o.fusedUpdate(0)!.slots.map((p) => view(p, k * n));
  for (const o of optimizers) {
    const [s0, s1] = slotsOf(o);
    for (let i = 0; i < k * n; i++) [s0[i], s1[i]] = cases[i % cases.length];
  }
  const before = slotsOf(optimizers[0]).map((s) => Float32Array.from(s));
  const what = `${fma ? 'FMA' : 'SIMD'} ${spec.type} ${n} units`;
  kernels.forEach((kernel, j) => {
    const u = optimizers[j].fusedUpdate(0)!;
    const compiled = kernel(memory, fma, u.name, u.program, n)!;
    assert.ok(compiled, `${what}: kernel ${j} compiles`);
    optimizers[j].beginStep();
    updateByColumns(compiled, optimizers[j].fusedUpdate(0)!, [0, dz, weights[j], lists], [k, n, m]);
  });
  // Bit for bit the same as one call a row and one call a column block.
  const [a, ...others] = weights.map((c) => view(c, k * n));
  const slots = optimizers.map(slotsOf);
  others.forEach((b, j) => {
    for (let i = 0; i < k * n; i++) assert.ok(Object.is(a[i], b[i]), `${what}: kernel ${j + 1}'s weight ${i}`);
    slots[0].forEach((s, t) =>
      s.forEach((v, i) => assert.ok(Object.is(v, slots[j + 1][t][i]), `${what}: kernel ${j + 1}'s slot ${t} at ${i}`)),
    );
  });
  // The flushes on the rows without gradient.
  const [s0, s1] = slots[0];
  const [b0, b1] = before;
  let flushed = 0;
  for (const p of empty)
    for (let i = p * n; i < (p + 1) * n; i++) {
      const at = `${what}: row ${p} at ${i - p * n}`;
      if (Math.abs(b0[i]) === TINY) {
        assert.ok(Object.is(s0[i], 0), `${at}: first moment ${b0[i]} decayed to subnormal, flushed to +0: ${s0[i]}`);
        flushed++;
        if (b1[i] !== TINY1) assert.ok(Object.is(a[i], init[i]), `${at}: no step with a flushed first moment`);
      } else {
        assert.ok(Math.sign(s0[i]) === Math.sign(b0[i]) && Math.abs(s0[i]) > 0.5 * Math.abs(b0[i]), `${at}: ${s0[i]}`);
      }
      if (b1[i] === TINY1) assert.ok(Object.is(s1[i], 0), `${at}: second moment decayed to subnormal, flushed to +0`);
      else assert.ok(s1[i] > 0.9 * b1[i], `${at}: second moment ${s1[i]} kept`);
    }
  assert.ok(flushed >= (2 * n) / 3, `${what}: ${flushed} first moments flushed`);
}

/** Keras's Adam at a learning rate that moves the weights visibly in a few steps. */
const ADAM: EffectiveOptimizer = effectiveOptimizer({ type: 'Adam', learning_rate: 0.01 });

for (const n of [100, 16, 40])
  for (const fma of [true, false])
    test(`the update looping over the kernel's rows flushes subnormal moments as one call a row (${n} units, ${fma ? 'FMA' : 'SIMD'})`, () =>
      check(fma, ADAM, n));
