/**
 * The packed SIMD product against a float64 triple loop: the three operand layouts of a Dense step (A @ B, Aᵀ @ B,
 * A @ Bᵀ), edge tiles on every side (1, 3, 1023 columns; rows not a multiple of 4), depths across k blocks, the
 * bias/relu epilogue, the relu-derivative gate, accumulation over k blocks, with relaxed-SIMD FMA and with plain SIMD.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import v8 from 'node:v8';
import {
  gemmWorkBytes,
  inPlaceFits,
  KC,
  packedGemm,
  rateBits,
  sparseRowsFit,
} from '../../src/training/worker/fused/packed-gemm';
import { hasRelaxedSimd } from '../../src/training/wasm-features';

// Node 20 keeps relaxed SIMD behind a flag (the pool passes it to workers); on here so both variants are tested.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [4, 8, 3], // exactly one tile
  [5, 13, 7], // edge tiles right and below
  [3, 1023, 2 * KC + 5], // fewer rows than a tile, 1023 columns, three k blocks
  [33, 3, KC + 1], // three columns, a k block of one
  [128, 1, 40], // one unit
  [7, 100, 784],
  [22, 17, KC + 9], // runs of five full tiles down a panel (one micro-kernel call each), two rows below, two k blocks
  [9, 16, KC + 3], // B read in place (two panels of 8 columns), a row below the full tiles, two k blocks
];

/** Uniform numbers in [-0.5, 0.5), the same for the same seed. */
function lcg(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
}

function check(fma: boolean): void {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const kernel = packedGemm(memory, { fma });
  assert.ok(kernel, 'wasm SIMD compiles in Node 20');
  assert.equal(kernel.fma, fma);
  const random = lcg(3);
  for (const [m, n, k] of SHAPES) {
    let next = 64;
    const alloc = (size: number) => {
      const p = next;
      next += Math.ceil((size * 4) / 16) * 16 + 64;
      return p;
    };
    // The gate's rows are wider than C's (a pitch of its own) and hold positives, zeros, negatives and NaN.
    const gatePitch = n + 3;
    const [a, aT, b, bT, c, bias, gate] = [
      alloc(m * k),
      alloc(k * m),
      alloc(k * n),
      alloc(n * k),
      alloc(m * n),
      alloc(Math.ceil(n / 8) * 8),
      alloc(m * gatePitch + 8),
    ];
    const work = alloc(gemmWorkBytes(n, k) / 4);
    const view = (p: number, size: number) => new Float32Array(memory.buffer, p, size);
    const A = view(a, m * k).map(random);
    const B = view(b, k * n).map(random);
    const Bias = view(bias, n).map(random);
    view(a, m * k).set(A);
    view(b, k * n).set(B);
    view(bias, n).set(Bias);
    const Gate = view(gate, m * gatePitch).map((_, i) => [1, 0, -1, 0.5, NaN, -0][i % 6] * (1 + (i % 7)));
    view(gate, m * gatePitch).set(Gate);
    const AT = view(aT, k * m);
    for (let i = 0; i < m; i++) for (let q = 0; q < k; q++) AT[q * m + i] = A[i * k + q];
    const BT = view(bT, n * k);
    for (let q = 0; q < k; q++) for (let j = 0; j < n; j++) BT[j * k + q] = B[q * n + j];
    const layouts: Record<string, readonly number[]> = {
      'A @ B': [a, k * 4, 4, b, n * 4, 4, 0],
      'Aᵀ @ B': [aT, 4, m * 4, b, n * 4, 4, 0],
      'A @ Bᵀ': [a, k * 4, 4, bT, 4, k * 4, 0],
    };
    if (inPlaceFits(false, n)) {
      layouts['A @ B, B read in place'] = [a, k * 4, 4, b, n * 4, 4, 1];
      layouts['Aᵀ @ B, B read in place'] = [aT, 4, m * 4, b, n * 4, 4, 1];
    }
    for (const [name, [pa, aRow, aCol, pb, bRow, bCol, inPlace]] of Object.entries(layouts)) {
      for (const [withBias, relu, gated] of [
        [false, 0, false],
        [true, 0, false],
        [true, 1, false],
        [false, 1, false],
        [false, 0, true],
      ] as const) {
        const C = view(c, m * n).fill(NaN);
        if (gated)
          kernel.gemm(pa, aRow, aCol, pb, bRow, bCol, c, m, n, k, 0, 0, work, gate, gatePitch * 4, 0, 0, inPlace);
        else
          kernel.gemm(pa, aRow, aCol, pb, bRow, bCol, c, m, n, k, withBias ? bias : 0, relu, work, 0, 0, 0, 0, inPlace);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let sum = 0;
            for (let q = 0; q < k; q++) sum += A[i * k + q] * B[q * n + j];
            if (withBias) sum += Bias[j];
            if (relu) sum = Math.max(sum, 0);
            // relu's derivative from its output: kept where the gate is > 0 (not at 0, -0, negatives or NaN).
            if (gated && !(Gate[i * gatePitch + j] > 0)) sum = 0;
            // float32 sums of k terms of size <= 0.25
            const where = `${fma ? 'fma' : 'simd'} ${name} ${m}x${n}x${k} bias=${withBias} relu=${relu} gate=${gated} at (${i}, ${j})`;
            assert.ok(Math.abs(C[i * n + j] - sum) <= 2e-7 * k + 1e-7, `${where}: ${C[i * n + j]} vs ${sum}`);
          }
        }
      }
    }
  }
}

test('the packed product equals the triple loop with plain SIMD', () => check(false));

test('the packed product equals the triple loop with relaxed-SIMD FMA', () => {
  assert.ok(hasRelaxedSimd(), 'relaxed SIMD validates once the flag is on');
  check(true);
});

test('a plain Node 20 process falls back to plain SIMD; the flag the pool gives workers turns FMA on', () => {
  const probe = `const { packedGemm } = require(${JSON.stringify(require.resolve('../../src/training/worker/fused/packed-gemm'))});
    const { workerV8Flags } = require(${JSON.stringify(require.resolve('../../src/training/wasm-features'))});
    const k = packedGemm(new WebAssembly.Memory({ initial: 1 }));
    console.log(JSON.stringify({ compiled: !!k, fma: k?.fma, flags: workerV8Flags() }));`;
  const run = (flags: string[]) => {
    const child = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=commonjs', '-e', probe], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout.trim());
  };
  const plain = run([]);
  assert.equal(plain.compiled, true);
  if (plain.fma) {
    // A runtime with relaxed SIMD on by default (Node 22+) needs no flag.
    assert.deepEqual(plain.flags, []);
    return;
  }
  assert.deepEqual(plain.flags, ['--experimental-wasm-relaxed-simd']);
  assert.deepEqual(run(plain.flags), { compiled: true, fma: true, flags: [] });
});

/**
 * The sparse-k lists of Aᵀ @ B by their definition, A stored [k, m]: per row tile t, the steps q where A's four rows
 * are not all zero, after their count. Returns how many steps were skipped.
 */
function writeLists(X: Float32Array, m: number, k: number, ints: Int32Array): number {
  let skipped = 0;
  for (let t = 0; t < m / 4; t++) {
    let count = 0;
    for (let q = 0; q < k; q++) {
      const row = q * m + t * 4;
      if (X[row] || X[row + 1] || X[row + 2] || X[row + 3]) ints[t * (k + 1) + 1 + count++] = q;
      else skipped++;
    }
    ints[t * (k + 1)] = count;
  }
  return skipped;
}

/** Sparse k: Aᵀ @ B with A mostly zeros, each row tile given the steps where its four rows are not all zero. */
function checkSparse(fma: boolean): void {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const kernel = packedGemm(memory, { fma })!;
  const random = lcg(11);
  for (const [m, n, k] of [
    [4, 8, 3],
    [8, 13, 40],
    [16, 1023, 128],
    [12, 3, KC],
    [4, 1, 1],
  ]) {
    assert.ok(sparseRowsFit(4, m, k));
    const [a, b] = [64, 64 + k * m * 4 + 64];
    const cAt = b + k * n * 4 + 64;
    const listAt = cAt + m * n * 4 + 64;
    const work = listAt + (m / 4) * (k + 1) * 4 + 64;
    const view = (p: number, size: number) => new Float32Array(memory.buffer, p, size);
    // A as stored: [k, m] row-major (a layer's input, batch x features); about half its entries are zero, and
    // whole groups of four are zero in places, as in images.
    const X = view(a, k * m).map((_, i) => (random() > 0 ? 0 : (i >> 2) % 3 === 0 ? 0 : random()));
    view(a, k * m).set(X);
    const B = view(b, k * n).map(random);
    view(b, k * n).set(B);
    const skipped = writeLists(X, m, k, new Int32Array(memory.buffer, listAt, (m / 4) * (k + 1)));
    if (k >= 40) assert.ok(skipped > 0, 'some steps are skipped');
    const C = view(cAt, m * n).fill(NaN);
    kernel.gemm(a, 4, m * 4, b, n * 4, 4, cAt, m, n, k, 0, 0, work, 0, 0, listAt);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) sum += X[q * m + i] * B[q * n + j];
        const where = `${fma ? 'fma' : 'simd'} sparse ${m}x${n}x${k} at (${i}, ${j})`;
        assert.ok(Math.abs(C[i * n + j] - sum) <= 2e-7 * k + 1e-7, `${where}: ${C[i * n + j]} vs ${sum}`);
      }
  }
}

test('sparse k: the steps a row tile lists, equal to the dense product, with and without FMA', () => {
  checkSparse(false);
  checkSparse(true);
});

/**
 * The update epilogue: C = C - r * (A @ B) on the registers, bit-equal to the product stored and then updated as the
 * SIMD SGD loop does (a float32 multiply, then a float32 subtraction), on every layout, edge tiles, sparse k.
 */
test('update epilogue: C - rate * product equals the stored product then the SGD update, bit for bit', () => {
  for (const fma of [false, true]) {
    const memory = new WebAssembly.Memory({ initial: 64 });
    const kernel = packedGemm(memory, { fma })!;
    const random = lcg(17);
    for (const [m, n, k] of [
      [4, 8, 3],
      [5, 13, 32],
      [784, 100, 32],
      [100, 10, KC],
      [3, 1, 1],
    ]) {
      let next = 64;
      const alloc = (size: number) => {
        const p = next;
        next += Math.ceil((size * 4) / 16) * 16 + 64;
        return p;
      };
      const [a, b, product, c, list] = [alloc(m * k), alloc(k * n), alloc(m * n), alloc(m * n), alloc(m * (k + 1))];
      const work = alloc(gemmWorkBytes(n, k) / 4);
      const view = (p: number, size: number) => new Float32Array(memory.buffer, p, size);
      // A stored [k, m] (a layer's input, transposed by strides), a third of it zero.
      view(a, m * k).set(view(a, m * k).map(() => (random() > 0.17 ? 0 : random())));
      view(b, k * n).set(view(b, k * n).map(random));
      const W = view(c, m * n).map(random);
      const lr = 0.0123;
      const r = Math.fround(lr);
      const sparse = m % 4 === 0;
      if (sparse) writeLists(view(a, m * k), m, k, new Int32Array(memory.buffer, list, (m / 4) * (k + 1)));
      for (const withList of sparse ? [0, list] : [0]) {
        kernel.gemm(a, 4, m * 4, b, n * 4, 4, product, m, n, k, 0, 0, work, 0, 0, withList);
        view(c, m * n).set(W);
        kernel.gemm(a, 4, m * 4, b, n * 4, 4, c, m, n, k, 0, 0, work, 0, 0, withList, rateBits(lr));
        const P = view(product, m * n);
        const want = W.map((w, i) => Math.fround(w - Math.fround(r * P[i])));
        assert.deepEqual(view(c, m * n), want, `${fma ? 'fma' : 'simd'} ${m}x${n}x${k} list ${!!withList}`);
      }
    }
  }
  assert.equal(rateBits(0), 0, 'a zero rate is no update');
});
