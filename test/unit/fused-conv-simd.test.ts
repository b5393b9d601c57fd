/**
 * The CNN engine's WebAssembly SIMD loops (`fused/conv-simd.ts`) compute exactly what the JavaScript loops of
 * `fused/conv-kernels.ts` define, bit for bit, in a memory of their own: im2col and col2im over padding, strides,
 * odd sizes and channel counts that are not multiples of 4 (one channel's im2col both ways); tiling max pooling
 * forward and backward with ties, windows without a positive value, the relu gate and pixels no window covers;
 * tiling average pooling (3x2 and 2x2 windows, in double as the loops); Winograd's kernel transform and its
 * adjoint, F(2x2, 3x3)'s and F(4x4, 3x3)'s; column sums of 16, 4 and the remaining columns; relu's derivative;
 * BatchNormalization's statistics, normalisation and gradients (in float32, as tfjs: within float32 rounding of the
 * loops' double, not bit-equal); the first layer's 3x3 convolution of one channel with relu and 2x2 max pooling in
 * one pass, forward and backward (and its loops against the separate convolution, pooling and pooling gradient);
 * the strided CNN's first layer under BatchNormalization (its moments and its gradients from BatchNormalization's
 * backward pass, within float32 rounding of the loops) and padAffine against im2colAffine, bit for bit; a
 * BatchNormalization's gradients from the gradient of an average pooling above it, and its moments summed by
 * that pooling's forward pass (within float32 rounding); copyRows;
 * compileModule's bytes against the binary format written out by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import { geometry } from '../helpers/conv-geometry';
import {
  batchNormBackwardPooled,
  batchNormBackwardSimd,
  batchNormBlockBytes,
  batchNormShift,
  batchNormSimd,
  batchNormStatistics,
  compileModule,
  convPoolFma,
  convSimd,
  type ConvSimd,
} from '../../src/training/worker/fused/conv-simd';
import {
  activationBackward,
  avgPool,
  avgPoolBackward,
  batchNorm,
  batchNormBackward,
  col2im,
  columnSums,
  convPoolSingle,
  convPoolSingleBackward,
  im2col,
  maxPool,
  maxPoolBackward,
  type Geometry,
} from '../../src/training/worker/fused/conv-kernels';
import { F2X2, F4X4, kernelTransform, kernelTransformBackward } from '../../src/training/worker/fused/conv-winograd';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

function random(n: number, seed: number, levels = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = s / 2 ** 31 - 1;
    // With levels, few distinct values: many equal maxima, and zeros.
    return levels ? Math.round(v * levels) / levels : v;
  });
}

/** A fresh memory of `floats` floats, its kernels and a view. */
function heap(floats: number): { simd: ConvSimd; F: Float32Array; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((floats * 4) / 65536) + 1 });
  const simd = convSimd(memory);
  assert.ok(simd, 'this runtime has wasm SIMD');
  return { simd, F: new Float32Array(memory.buffer), memory };
}

/** Same floats, -0 and 0 apart (a gradient of -0 is as good as one of 0). */
function assertSame(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++)
    if (actual[i] !== expected[i] && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i])))
      assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

const windowArgs = (g: Geometry) => [g.h, g.w, g.c, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.top, g.left];

const WINDOWS: Geometry[] = [
  geometry(28, 28, 1, 3, 3, 1, 1, true),
  geometry(28, 28, 1, 3, 3, 2, 2, true),
  geometry(9, 7, 1, 2, 3, 2, 1, false),
  geometry(5, 6, 1, 5, 5, 1, 1, true),
  geometry(7, 6, 8, 3, 3, 1, 1, true),
  geometry(7, 6, 3, 3, 3, 2, 2, true),
  geometry(9, 7, 5, 2, 3, 2, 1, false),
  geometry(6, 6, 4, 5, 5, 1, 1, true),
  geometry(3, 8, 6, 1, 1, 1, 3, false),
];

for (const g of WINDOWS) {
  test(`im2col (plain and with a BatchNormalization's affine map) and col2im in SIMD equal the loops: ${JSON.stringify(g)}`, () => {
    const batch = 3;
    const xs = batch * g.h * g.w * g.c;
    const cols = batch * g.oh * g.ow * g.kh * g.kw * g.c;
    // x, cols (the loop's), cols (SIMD), then dx (the loop's), dx (SIMD); one float apart, so vectors are unaligned.
    const at = [0, xs + 1, xs + cols + 2, xs + 2 * cols + 3, 2 * xs + 2 * cols + 4];
    const table = 3 * xs + 2 * cols + 8;
    const { simd, F } = heap(table + 3 * g.kw * g.c);
    F.set(random(xs, 7), at[0]);
    F.fill(NaN, at[1], at[3]);
    im2col(F, at[0], at[1], batch, g);
    simd.im2col(at[0] * 4, at[2] * 4, batch, ...windowArgs(g));
    assertSame(F.slice(at[2], at[2] + cols), F.slice(at[1], at[1] + cols), 'cols');
    if (g.c === 1) {
      F.fill(NaN, at[2], at[3]);
      simd.im2colSingle(at[0] * 4, at[2] * 4, batch, ...windowArgs(g));
      assertSame(F.slice(at[2], at[2] + cols), F.slice(at[1], at[1] + cols), 'cols of one channel');
    }
    // im2colAffine: the cols of (x - mean)·scale + beta per channel (0 in the padding), each operation rounded to
    // float32; its table holds mean, scale and beta, each repeated kw times. The loops' cols of that image.
    const [mean, scale, beta] = [0, 1, 2].map((j) => random(g.c, 13 + j));
    for (let j = 0; j < 3 * g.kw; j++) F.set([mean, scale, beta][Math.floor(j / g.kw)], table + j * g.c);
    const f = Math.fround;
    for (let i = 0; i < xs; i++) {
      const ch = i % g.c;
      F[at[3] + i] = f(f(f(F[at[0] + i] - mean[ch]) * scale[ch]) + beta[ch]);
    }
    im2col(F, at[3], at[1], batch, g);
    F.fill(NaN, at[2], at[3]);
    simd.im2colAffine(at[0] * 4, at[2] * 4, table * 4, batch, ...windowArgs(g));
    assertSame(F.slice(at[2], at[2] + cols), F.slice(at[1], at[1] + cols), 'cols of the normalised image');
    F.set(random(cols, 11), at[1]);
    col2im(F, at[1], at[3], batch, g);
    F.fill(0, at[4], at[4] + xs);
    simd.col2im(at[1] * 4, at[4] * 4, batch, ...windowArgs(g));
    assertSame(F.slice(at[4], at[4] + xs), F.slice(at[3], at[3] + xs), 'dx');
  });
}

const POOLS: Geometry[] = [
  geometry(28, 28, 32, 2, 2, 2, 2, false),
  geometry(7, 6, 8, 2, 2, 2, 2, false),
  geometry(9, 8, 4, 3, 2, 3, 2, false),
  geometry(6, 10, 12, 2, 2, 2, 2, true),
];

for (const g of POOLS) {
  for (const gate of [false, true]) {
    test(`tiling max pooling in SIMD equals the loops${gate ? ', relu gate' : ''}: ${JSON.stringify(g)}`, () => {
      const batch = 2;
      const xs = batch * g.h * g.w * g.c;
      const ys = batch * g.oh * g.ow * g.c;
      // x, out (loop), out (SIMD), dy, dx (loop), dx (SIMD)
      const at = [0, xs, xs + ys, xs + 2 * ys, xs + 3 * ys, 2 * xs + 3 * ys];
      const { simd, F } = heap(3 * xs + 3 * ys + 2 * g.c + 8);
      // Few levels: ties in most windows; under the gate, a relu's output (no negatives).
      const x = random(xs, 5, 2).map((v) => (gate ? Math.max(v, 0) : v));
      F.set(x, at[0]);
      const argmax = new Int32Array(ys);
      maxPool(F, at[0], at[1], argmax, batch, g);
      const poolArgs = [g.h, g.w, g.c, g.oh, g.ow, g.kh, g.kw];
      const two = g.kh === 2 && g.kw === 2 ? '2x2' : '';
      simd[`maxPool${two}`](at[0] * 4, at[2] * 4, batch, ...poolArgs);
      assertSame(F.slice(at[2], at[2] + ys), F.slice(at[1], at[1] + ys), 'out');
      F.set(random(ys, 9), at[3]);
      maxPoolBackward(F, at[3], at[4], argmax, ys, xs, gate ? at[0] : -1);
      // What the engine does: zero dx where no window reaches, the kernel writes the rest.
      F.fill(g.oh * g.kh < g.h || g.ow * g.kw < g.w ? 0 : NaN, at[5], at[5] + xs);
      simd[`maxPoolBackward${two}`](at[0] * 4, at[2] * 4, at[3] * 4, at[5] * 4, gate ? 1 : 0, 0, batch, ...poolArgs);
      assertSame(F.slice(at[5], at[5] + xs), F.slice(at[4], at[4] + xs), 'dx');
      // With the bias sums of the layer below: the same dx, and Σ dx per channel as columnSums sums it.
      const sums = Math.ceil((3 * xs + 3 * ys) / 2) * 8 + 8;
      const D = new Float64Array(F.buffer, sums, g.c).fill(NaN);
      F.fill(NaN, at[5], at[5] + xs);
      if (g.oh * g.kh < g.h || g.ow * g.kw < g.w) F.fill(0, at[5], at[5] + xs);
      simd[`maxPoolBackward${two}`](at[0] * 4, at[2] * 4, at[3] * 4, at[5] * 4, gate ? 1 : 0, sums, batch, ...poolArgs);
      assertSame(F.slice(at[5], at[5] + xs), F.slice(at[4], at[4] + xs), 'dx with sums');
      const expected = new Float32Array(g.c);
      columnSums(F, at[4], xs / g.c, g.c, 0, new Float64Array(g.c), g.c);
      expected.set(F.subarray(0, g.c));
      assertSame(Float32Array.from(D), expected, 'bias sums');
    });
  }
}

for (const g of POOLS) {
  test(`tiling average pooling in SIMD equals the loops: ${JSON.stringify(g)}`, () => {
    const batch = 2;
    const xs = batch * g.h * g.w * g.c;
    const ys = batch * g.oh * g.ow * g.c;
    // x, out (loop), out (SIMD), dy, dx (loop), dx (SIMD); one float apart, so vectors are unaligned.
    const at = [1, xs + 2, xs + ys + 3, xs + 2 * ys + 4, xs + 3 * ys + 5, 2 * xs + 3 * ys + 6];
    const { simd, F } = heap(3 * xs + 3 * ys + 8);
    F.set(
      random(xs, 13).map((v) => v * 100 + 1e-3),
      at[0],
    );
    F.fill(NaN, at[1], at[3]);
    avgPool(F, at[0], at[1], batch, g);
    const poolArgs = [g.h, g.w, g.c, g.oh, g.ow, g.kh, g.kw];
    const two = g.kh === 2 && g.kw === 2 ? '2x2' : '';
    simd[`avgPool${two}`](at[0] * 4, at[2] * 4, batch, ...poolArgs);
    assertSame(F.slice(at[2], at[2] + ys), F.slice(at[1], at[1] + ys), 'out');
    F.set(random(ys, 17), at[3]);
    avgPoolBackward(F, at[3], at[4], batch, g);
    // What the engine does: zero dx where no window reaches, the kernel writes the rest.
    F.fill(g.oh * g.kh < g.h || g.ow * g.kw < g.w ? 0 : NaN, at[5], at[5] + xs);
    simd[`avgPoolBackward${two}`](at[3] * 4, at[5] * 4, batch, ...poolArgs);
    assertSame(F.slice(at[5], at[5] + xs), F.slice(at[4], at[4] + xs), 'dx');
  });
}

for (const v of [F2X2, F4X4])
  test(`Winograd ${v.name} kernel transforms in SIMD equal the loops (in double), forward and adjoint`, () => {
    const xis = v.alpha ** 2;
    const prefix = v.m === 4 ? 'winograd4' : 'winograd';
    for (const pairs of [4 * 12, 32 * 64]) {
      // g (9 blocks), U by the loop, U in SIMD (α² each), then dW by the loop and in SIMD (9 each); odd offsets.
      const at = [1, 9 * pairs + 3, (9 + xis) * pairs + 5, (9 + 2 * xis) * pairs + 7, (18 + 2 * xis) * pairs + 9];
      const { simd, F } = heap((27 + 2 * xis) * pairs + 16);
      F.set(
        random(9 * pairs, 31).map((x) => x * 3 + 1e-4),
        at[0],
      );
      const acc = new Float64Array(pairs);
      kernelTransform(F, at[0], at[1], pairs, acc, v);
      F.fill(NaN, at[2], at[2] + xis * pairs);
      simd[`${prefix}Kernel`](at[0] * 4, at[2] * 4, pairs * 4);
      assertSame(F.slice(at[2], at[2] + xis * pairs), F.slice(at[1], at[1] + xis * pairs), `U, ${pairs} pairs`);
      F.set(random(xis * pairs, 37), at[1]);
      kernelTransformBackward(F, at[1], at[3], pairs, acc, v);
      F.fill(NaN, at[4], at[4] + 9 * pairs);
      simd[`${prefix}KernelBackward`](at[1] * 4, at[4] * 4, pairs * 4);
      assertSame(F.slice(at[4], at[4] + 9 * pairs), F.slice(at[3], at[3] + 9 * pairs), `dW, ${pairs} pairs`);
    }
  });

test('column sums of 16 and 4 columns in SIMD equal the loop (in double), and relu backward', () => {
  const rows = 53;
  const n = 37;
  const { simd, F } = heap(3 * rows * n + 64);
  F.set(
    random(rows * n, 3).map((v) => v * 1000 + 1e-3),
    1,
  );
  const acc = new Float64Array(n);
  columnSums(F, 1, rows, n, rows * n + 8, acc);
  const expected = F.slice(rows * n + 8, rows * n + 8 + n);
  const out = rows * n + 64;
  let j = 0;
  for (; j + 16 <= n; j += 16) simd.columnSums16((1 + j) * 4, rows, n * 4, (out + j) * 4);
  for (; j + 4 <= n; j += 4) simd.columnSums4((1 + j) * 4, rows, n * 4, (out + j) * 4);
  columnSums(F, 1 + j, rows, n - j, out + j, acc, n);
  assertSame(F.slice(out, out + n), expected, 'sums');

  const m = 40;
  const { simd: s2, F: G } = heap(5 * m);
  G.set(random(m, 4), 1);
  G.set(random(m, 8, 2), 1 + m);
  activationBackward(G, 1, 1 + m, 1 + 2 * m, m, 'relu');
  s2.reluBackward(4, (1 + m) * 4, (1 + 3 * m) * 4, m * 4);
  assertSame(G.slice(1 + 3 * m, 1 + 4 * m), G.slice(1 + 2 * m, 1 + 3 * m), 'dz');
});

/** Within `rel` of each expected value, with a floor of `rel` times the largest one (float32 against double). */
function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++)
    if (!(Math.abs(actual[i] - expected[i]) <= rel * (Math.abs(expected[i]) + scale)))
      assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

// The SIMD BatchNormalization computes in float32, as tfjs does, while the loops compute in double: not bit-equal
// but within float32 rounding (relative 1e-5 here; the engine's equivalence test holds training to the stock
// engine within 1e-4). Sizes: rows within one 64-row float32 block and across several, channel counts of one
// vector, two and six; the relu gate of a convolution below.
test('BatchNormalization in SIMD (float32) is within 1e-5 of the loops (double), forward and backward', () => {
  for (const [rows, c] of [
    [37, 8],
    [37, 24],
    [200, 4],
    [131, 32],
  ]) {
    for (const [affine, gate] of [
      [true, false],
      [false, false],
      [true, true],
    ]) {
      const n = rows * c;
      // x, out, xhat, dy, dx: the loops', then the SIMD out and dx; gamma, beta, dgamma, dbeta (x2); the block.
      const at = (k: number) => k * n + 4;
      const params = at(7);
      const block = (params + 8 * c + 8) * 4;
      // After the block, c doubles for Σ dx per channel (the bias gradient of the convolution below).
      const dxSums = block + batchNormBlockBytes(c) + 16;
      const { simd, F } = heap(dxSums / 4 + 2 * c + 64);
      // Offset from 0 (a shift the one-pass statistics must not lose precision on); with the gate, a relu's output.
      F.set(
        random(n, 21).map((v) => (gate ? Math.max(0, v * 3 + 0.5) : v * 3 + 4)),
        at(0),
      );
      F.set(random(n, 22), at(3));
      F.set(
        random(2 * c, 23).map((v) => v + 1),
        params,
      );
      const [gamma, beta] = affine ? [params, params + c] : [-1, -1];
      const stats = () => ({ mean: new Float64Array(c), variance: new Float64Array(c), invStd: new Float64Array(c) });
      const [s1, s2] = [stats(), stats()];
      batchNorm(F, at(0), at(1), at(2), rows, c, gamma, beta, 1e-3, s1);
      batchNormSimd(simd, block, true, F, at(0), at(5), -1, rows, c, gamma, beta, 1e-3, s2);
      const what = `rows ${rows}, c ${c}${affine ? ', gamma and beta' : ''}${gate ? ', relu gate' : ''}`;
      assertNear(F.slice(at(5), at(6)), F.slice(at(1), at(2)), 1e-5, `out, ${what}`);
      assertNear(s2.mean, s1.mean, 1e-6, `mean, ${what}`);
      assertNear(s2.variance, s1.variance, 1e-6, `variance, ${what}`);
      const [dg, db] = affine ? [params + 2 * c, params + 3 * c] : [-1, -1];
      batchNormBackward(F, at(3), at(2), at(4), rows, c, gamma, dg, db, s1, new Float64Array(3 * c));
      if (gate) for (let i = 0; i < n; i++) if (!(F[at(0) + i] > 0)) F[at(4) + i] = 0;
      const expected = F.slice(params + 2 * c, params + 4 * c);
      F.fill(NaN, params + 2 * c, params + 4 * c);
      new Float64Array(F.buffer, dxSums, c).fill(NaN);
      batchNormBackwardSimd(
        simd,
        block,
        gate,
        dxSums,
        F,
        at(3),
        at(0),
        at(6),
        rows,
        c,
        gamma,
        dg,
        db,
        s2,
        new Float64Array(0),
      );
      assertNear(F.slice(at(6), at(7)), F.slice(at(4), at(5)), 1e-5, `dx, ${what}`);
      // Σ dx per channel, within float32 rounding of the terms' magnitudes (without the gate the sums cancel to ~0).
      const got = new Float64Array(F.buffer, dxSums, c);
      for (let ch = 0; ch < c; ch++) {
        let [total, magnitude] = [0, 0];
        for (let r = 0; r < rows; r++) {
          total += F[at(4) + r * c + ch];
          magnitude += Math.abs(F[at(4) + r * c + ch]);
        }
        if (!(Math.abs(got[ch] - total) <= 1e-5 * magnitude))
          assert.fail(`Σ dx of channel ${ch}, ${what}: ${got[ch]} vs ${total}`);
      }
      if (affine) assertNear(F.slice(params + 2 * c, params + 4 * c), expected, 1e-5, `dgamma and dbeta, ${what}`);
    }
  }
});

for (const [batch, oh, ow, c] of [
  [2, 6, 8, 4],
  [3, 28, 28, 32],
]) {
  for (const relu of [false, true]) {
    test(`one-channel 3x3 convolution, relu and 2x2 max pooling in one pass, in SIMD equal the loops${relu ? ', relu' : ''}: batch ${batch}, ${oh}x${ow}x${c}`, () => {
      const [xs, zs, ys, ks] = [batch * (oh + 2) * (ow + 2), batch * oh * ow * c, (batch * oh * ow * c) / 4, 9 * c];
      // xp, kernel, bias, z (loop), out (loop), z (SIMD), out (SIMD), dy, dkernel + dbias (loop), (SIMD)
      const sizes = [xs, ks, c, zs, ys, zs, ys, ys, ks + c, ks + c];
      const at = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + Math.ceil(b / 4) * 4, 0));
      const { simd, F, memory } = heap(at[9] + ks + c + 8);
      // Few levels: equal maxima in many windows, and (with relu) windows of zeros.
      F.set(random(xs, 3, 4), at[0]);
      F.set(random(ks, 4, 4), at[1]);
      F.set(random(c, 5, 4), at[2]);
      F.set(random(ys, 6), at[7]);
      convPoolSingle(F, at[0], at[1], at[2], at[3], at[4], { relu, batch, oh, ow, c });
      F.fill(NaN, at[5], at[5] + zs + ys);
      simd.convPoolSingle(at[0] * 4, at[1] * 4, at[2] * 4, at[5] * 4, at[6] * 4, relu ? 1 : 0, batch, oh, ow, c);
      assertSame(F.slice(at[5], at[5] + zs), F.slice(at[3], at[3] + zs), 'z');
      assertSame(F.slice(at[6], at[6] + ys), F.slice(at[4], at[4] + ys), 'out');
      convPoolSingleBackward(F, at[0], at[3], at[4], at[7], at[8], at[8] + ks, { relu, batch, oh, ow, c });
      F.fill(NaN, at[9], at[9] + ks + c);
      const args = [relu ? 1 : 0, batch, oh, ow, c];
      simd.convPoolSingleBackward(at[0] * 4, at[5] * 4, at[6] * 4, at[7] * 4, at[9] * 4, (at[9] + ks) * 4, ...args);
      assertSame(F.slice(at[9], at[9] + ks + c), F.slice(at[8], at[8] + ks + c), 'dkernel, dbias');
      // With relaxed-SIMD multiply-adds (one rounding a term): within float32 rounding of the loops.
      const fused = convPoolFma(memory);
      assert.ok(fused, 'this runtime has relaxed SIMD');
      F.fill(NaN, at[5], at[5] + zs + ys);
      fused.convPoolSingle(at[0] * 4, at[1] * 4, at[2] * 4, at[5] * 4, at[6] * 4, relu ? 1 : 0, batch, oh, ow, c);
      // Relative to the largest value (a sum's rounding scales with its terms, not with its result).
      const close = (from: number, to: number, n: number, tol: number, what: string) => {
        const scale = Math.max(...F.subarray(to, to + n).map(Math.abs));
        for (let i = 0; i < n; i++)
          assert.ok(Math.abs(F[from + i] - F[to + i]) <= tol * scale, `${what}[${i}]: ${F[from + i]} vs ${F[to + i]}`);
      };
      close(at[5], at[3], zs, 1e-6, 'z (FMA)');
      close(at[6], at[4], ys, 1e-6, 'out (FMA)');
      F.fill(NaN, at[9], at[9] + ks + c);
      fused.convPoolSingleBackward(at[0] * 4, at[5] * 4, at[6] * 4, at[7] * 4, at[9] * 4, (at[9] + ks) * 4, ...args);
      close(at[9], at[8], ks + c, 1e-5, 'dkernel, dbias (FMA)');

      // The loops are the convolution (in double here), the pooling and its gradient as the engine runs them apart.
      const g = geometry(oh, ow, c, 2, 2, 2, 2, false);
      const z = new Float64Array(zs);
      for (let b = 0; b < batch; b++)
        for (let y = 0; y < oh; y++)
          for (let x = 0; x < ow; x++)
            for (let ch = 0; ch < c; ch++) {
              let v = F[at[2] + ch];
              for (let t = 0; t < 9; t++)
                v += F[at[0] + (b * (oh + 2) + y + Math.floor(t / 3)) * (ow + 2) + x + (t % 3)] * F[at[1] + t * c + ch];
              z[((b * oh + y) * ow + x) * c + ch] = relu ? Math.max(v, 0) : v;
            }
      for (let i = 0; i < zs; i++)
        assert.ok(Math.abs(F[at[3] + i] - z[i]) < 1e-5, `z[${i}]: ${F[at[3] + i]} vs ${z[i]}`);
      const argmax = new Int32Array(ys);
      maxPool(F, at[3], at[5], argmax, batch, g);
      assertSame(F.slice(at[5], at[5] + ys), F.slice(at[4], at[4] + ys), 'out against maxPool');
      maxPoolBackward(F, at[7], at[5], argmax, ys, zs, relu ? at[3] : -1);
      const dk = new Float64Array(ks + c);
      for (let b = 0; b < batch; b++)
        for (let y = 0; y < oh; y++)
          for (let x = 0; x < ow; x++)
            for (let ch = 0; ch < c; ch++) {
              const dz = F[at[5] + ((b * oh + y) * ow + x) * c + ch];
              dk[ks + ch] += dz;
              for (let t = 0; t < 9; t++)
                dk[t * c + ch] += F[at[0] + (b * (oh + 2) + y + Math.floor(t / 3)) * (ow + 2) + x + (t % 3)] * dz;
            }
      for (let i = 0; i < ks + c; i++)
        assert.ok(Math.abs(F[at[8] + i] - dk[i]) < 1e-4, `dkernel, dbias [${i}]: ${F[at[8] + i]} vs ${dk[i]}`);
    });
  }
}

// copyRows: the first convolution's input into its padded buffer, runs of whole vectors and of a vector and a
// remainder (28 floats, 7; 11 floats, 2 and 3), the rest of the buffer untouched.
test('copyRows copies runs of rows between images of other pitches', () => {
  for (const [batch, rows, n, srcRow, dstRow] of [
    [3, 28, 28, 28, 29],
    [2, 5, 11, 13, 12],
    [2, 4, 3, 3, 6],
  ]) {
    const [src, dst] = [4, 4 + batch * rows * srcRow + 3];
    const size = batch * (rows + 1) * dstRow;
    const { simd, F } = heap(dst + size + 16);
    F.set(random(batch * rows * srcRow, 51), src);
    F.fill(-7, dst, dst + size);
    const expected = F.slice(dst, dst + size);
    for (let b = 0; b < batch; b++)
      for (let y = 0; y < rows; y++)
        for (let x = 0; x < n; x++)
          expected[b * (rows + 1) * dstRow + y * dstRow + x] = F[src + b * rows * srcRow + y * srcRow + x];
    const imgB = [rows * srcRow * 4, (rows + 1) * dstRow * 4];
    simd.copyRows(src * 4, dst * 4, batch, rows, n * 4, srcRow * 4, dstRow * 4, ...imgB);
    assertSame(F.slice(dst, dst + size), expected, `${batch} images of ${rows} rows of ${n} floats`);
  }
});

// avgPoolMoments: the pooling's floats (bit for bit, as the loop) and, in the same pass, the moments bnMoments
// sums for the BatchNormalization below (within float32 rounding of sums in double), every pixel's, those in no
// window too: 7x7 under 2x2 (the strided CNN's), 6x8 under 2x3, 5x7 under 3x2 (rows and columns left out).
test("average pooling with the moments of its input: the loop's floats and the sums of bnMoments", () => {
  for (const [batch, h, w, c, kh, kw] of [
    [3, 7, 7, 64, 2, 2],
    [2, 6, 8, 8, 2, 3],
    [2, 5, 7, 12, 3, 2],
  ] as const) {
    const g = geometry(h, w, c, kh, kw, kh, kw, false);
    const n = batch * h * w * c;
    const pooledN = batch * g.oh * g.ow * c;
    const [x, loop, out] = [4, 4 + n, 4 + n + pooledN];
    const block = (out + pooledN + 8) * 4;
    const { simd, F } = heap(block / 4 + batchNormBlockBytes(c) / 4 + 64);
    F.set(
      random(n, 41).map((v) => v * 3 + 4),
      x,
    );
    avgPool(F, x, loop, batch, g);
    const shift = batchNormShift(block, c) >> 2;
    const moments = () => Float64Array.from(new Float64Array(F.buffer, block, 2 * c));
    F.copyWithin(shift, x, x + c);
    simd.bnMoments(0, x * 4, batch * h * w, c, block);
    const expected = moments();
    new Float64Array(F.buffer, block, 2 * c).fill(NaN);
    F.fill(NaN, out, out + pooledN);
    const kernel = kh === 2 && kw === 2 ? 'avgPoolMoments2x2' : 'avgPoolMoments';
    simd[kernel](x * 4, out * 4, batch, h, w, c, g.oh, g.ow, kh, kw, block);
    const what = `${batch}x${h}x${w}x${c} under ${kh}x${kw}`;
    assertSame(F.slice(out, out + pooledN), F.slice(loop, loop + pooledN), `pooled, ${what}`);
    // Σ t and Σ t² about the shift: within float32 rounding of Σ |t| and Σ t².
    const got = moments();
    for (let ch = 0; ch < c; ch++) {
      let [magnitude, squares] = [0, 0];
      for (let i = 0; i < batch * h * w; i++) {
        const t = F[x + i * c + ch] - F[shift + ch];
        magnitude += Math.abs(t);
        squares += t * t;
      }
      if (!(Math.abs(got[ch] - expected[ch]) <= 1e-5 * magnitude))
        assert.fail(`S1 of channel ${ch}, ${what}: ${got[ch]} vs ${expected[ch]}`);
      if (!(Math.abs(got[c + ch] - expected[c + ch]) <= 1e-5 * squares))
        assert.fail(`S2 of channel ${ch}, ${what}: ${got[c + ch]} vs ${expected[c + ch]}`);
    }
  }
});

// A BatchNormalization folded under an average pooling whose windows tile its input: its gradients from the
// pooling's gradient and its input's averages (batchNormBackwardPooled) against the loops' average pooling backward
// then BatchNormalization backward in double: 7x7 under 2x2 (a row and a column in no window, as the strided CNN),
// 6x8 under 2x3 (every pixel in one), 5x5 under 2x2; relu gate and bias sums or neither.
test('BatchNormalization backward from an average pooling gradient is within 1e-5 of the loops (double)', () => {
  for (const [batch, h, w, c, kh, kw, gate] of [
    [3, 7, 7, 64, 2, 2, true],
    [2, 6, 8, 8, 2, 3, false],
    [4, 5, 5, 12, 2, 2, true],
  ] as const) {
    const g = geometry(h, w, c, kh, kw, kh, kw, false);
    const rows = batch * h * w;
    const n = rows * c;
    const pooledN = batch * g.oh * g.ow * c;
    // x, xhat, the loop's out, dy and dx, the SIMD dx; dp, the averages; gamma, beta, dgamma, dbeta (x2); the block.
    const at = (k: number) => k * n + 4;
    const [dp, pooled] = [at(6), at(6) + pooledN];
    const params = pooled + pooledN + 4;
    const block = (params + 8 * c + 8) * 4;
    const dxSums = block + batchNormBlockBytes(c) + 16;
    const { simd, F } = heap(dxSums / 4 + 2 * c + 64);
    F.set(
      random(n, 31).map((v) => (gate ? Math.max(0, v * 3 + 0.5) : v * 3 + 4)),
      at(0),
    );
    F.set(random(pooledN, 32), dp);
    F.set(
      random(2 * c, 33).map((v) => v + 1),
      params,
    );
    const [gamma, beta, dg, db] = [params, params + c, params + 2 * c, params + 3 * c];
    const stats = () => ({ mean: new Float64Array(c), variance: new Float64Array(c), invStd: new Float64Array(c) });
    const [s1, s2] = [stats(), stats()];
    batchNorm(F, at(0), at(2), at(1), rows, c, gamma, beta, 1e-3, s1);
    avgPoolBackward(F, dp, at(3), batch, g);
    batchNormBackward(F, at(3), at(1), at(4), rows, c, gamma, dg, db, s1, new Float64Array(3 * c));
    if (gate) for (let i = 0; i < n; i++) if (!(F[at(0) + i] > 0)) F[at(4) + i] = 0;
    const expected = F.slice(dg, db + c);
    batchNormSimd(simd, block, false, F, at(0), -1, -1, rows, c, gamma, beta, 1e-3, s2);
    avgPool(F, at(0), pooled, batch, g);
    F.fill(NaN, dg, db + c);
    F.fill(NaN, at(5), at(6));
    new Float64Array(F.buffer, dxSums, c).fill(NaN);
    const pool = { batch, h, w, oh: g.oh, ow: g.ow, kh, kw };
    batchNormBackwardPooled(simd, block, gate, dxSums, pool, F, dp, pooled, at(0), at(5), c, gamma, dg, db, s2);
    const what = `${batch}x${h}x${w}x${c} under ${kh}x${kw}${gate ? ', relu gate' : ''}`;
    assertNear(F.slice(at(5), at(6)), F.slice(at(4), at(5)), 1e-5, `dx, ${what}`);
    assertNear(F.slice(dg, db + c), expected, 1e-5, `dgamma and dbeta, ${what}`);
    const got = new Float64Array(F.buffer, dxSums, c);
    for (let ch = 0; ch < c; ch++) {
      let [total, magnitude] = [0, 0];
      for (let r = 0; r < rows; r++) {
        total += F[at(4) + r * c + ch];
        magnitude += Math.abs(F[at(4) + r * c + ch]);
      }
      if (!(Math.abs(got[ch] - total) <= 1e-5 * magnitude))
        assert.fail(`Σ dx of channel ${ch}, ${what}: ${got[ch]} vs ${total}`);
    }
  }
});

test('compileModule writes the binary format byte for byte: types, the memory import, functions, exports, code', () => {
  const f = { params: 1, body: [0x0b], i32s: 0, v128s: 0 };
  const start = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const memory = [2, 15, 1, 3, ...Buffer.from('env'), 6, ...Buffer.from('memory'), 0x02, 0x00, 0x00];
  // One exported function of one i32 parameter, no locals of either kind, an empty body.
  const one = compileModule({ a: f });
  assert.deepEqual(
    [...one],
    [
      ...start,
      1,
      5,
      1,
      0x60,
      1,
      0x7f,
      0,
      ...memory,
      3,
      2,
      1,
      0,
      7,
      5,
      1,
      1,
      0x61,
      0,
      0,
      10,
      8,
      1,
      6,
      2,
      0,
      0x7f,
      0,
      0x7b,
      0x0b,
    ],
  );
  // A raw function first (its locals in its body): function 0, not exported; `a` becomes function 1.
  const two = compileModule({ a: f }, { params: 0, body: [0, 0x0b] });
  assert.deepEqual(
    [...two],
    [
      ...[...start, 1, 8, 2, 0x60, 0, 0, 0x60, 1, 0x7f, 0, ...memory, 3, 3, 2, 0, 1, 7, 5, 1, 1, 0x61, 0, 1],
      ...[10, 11, 2, 2, 0, 0x0b, 6, 2, 0, 0x7f, 0, 0x7b, 0x0b],
    ],
  );
  for (const bytes of [one, two]) assert.ok(WebAssembly.validate(bytes), 'a valid module');
});

// The strided CNN's first layer: a 3x3 convolution of one channel from its padded input, the moments of the
// BatchNormalization above summed as it writes z, and the kernel and bias gradients from that BatchNormalization's
// backward pass (its dx never stored). Against the loops in double: the convolution, batchNorm's statistics,
// batchNormBackward's dx (the relu gate applied), then Σ xp·dx and Σ dx. 'same' stride 2 on odd and even sizes
// (padding before and after, after only), the bench's 28x28 to 14x14x32, and 'valid' stride 1, linear.
for (const [batch, h, w, c, stride, same, relu] of [
  [2, 11, 10, 4, 2, true, true],
  [3, 28, 28, 32, 2, true, true],
  [2, 7, 9, 8, 1, false, false],
] as const) {
  test(`one-channel 3x3 convolution with BatchNormalization's moments, and its gradients from BatchNormalization's backward pass, are within float32 rounding of the loops: batch ${batch}, ${h}x${w} to ${c} channels, stride ${stride}${relu ? ', relu' : ''}`, () => {
    const g = geometry(h, w, 1, 3, 3, stride, stride, same);
    const [oh, ow] = [g.oh, g.ow];
    const [ph, pw] = [(oh - 1) * stride + 3, (ow - 1) * stride + 3];
    const rows = batch * oh * ow;
    const n = rows * c;
    // xp, kernel, bias, z, dy, out and xhat and dx (loops), gamma + beta + dgamma + dbeta, dkernel + dbias, block,
    // the split kernels' dx
    const sizes = [batch * ph * pw, 9 * c, c, n, n, n, n, n, 4 * c, 10 * c, batchNormBlockBytes(c) / 4 + 4, n];
    const at = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + Math.ceil(b / 4) * 4, 0));
    const { simd, F, memory } = heap(at[11] + sizes[11] + 8);
    const block = at[10] * 4;
    const image = random(batch * h * w, 31);
    for (let b = 0; b < batch; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) F[at[0] + (b * ph + y + g.top) * pw + x + g.left] = image[(b * h + y) * w + x];
    F.set(random(9 * c, 32), at[1]);
    F.set(random(c, 33), at[2]);
    F.set(random(n, 34), at[4]);
    F.set(
      random(2 * c, 35).map((v) => v + 1),
      at[8],
    );
    const [gamma, beta, dgamma, dbeta] = [0, 1, 2, 3].map((k) => at[8] + k * c);
    // The convolution in double.
    const z = new Float64Array(n);
    for (let b = 0, i = 0; b < batch; b++)
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++)
          for (let ch = 0; ch < c; ch++, i++) {
            let v = F[at[2] + ch];
            for (let t = 0; t < 9; t++)
              v +=
                F[at[0] + (b * ph + y * stride + Math.floor(t / 3)) * pw + x * stride + (t % 3)] *
                F[at[1] + t * c + ch];
            z[i] = relu ? Math.max(v, 0) : v;
          }
    const stats = () => ({ mean: new Float64Array(c), variance: new Float64Array(c), invStd: new Float64Array(c) });
    const [s1, s2] = [stats(), stats()];
    F.set(z, at[3]);
    batchNorm(F, at[3], at[5], at[6], rows, c, gamma, beta, 1e-3, s1);
    batchNormBackward(F, at[4], at[6], at[7], rows, c, gamma, dgamma, dbeta, s1, new Float64Array(3 * c));
    if (relu) for (let i = 0; i < n; i++) if (!(z[i] > 0)) F[at[7] + i] = 0;
    const expected = new Float64Array(10 * c);
    const magnitude = new Float64Array(10 * c);
    for (let p = 0; p < rows; p++) {
      const [b, y, x] = [Math.floor(p / (oh * ow)), Math.floor(p / ow) % oh, p % ow];
      for (let ch = 0; ch < c; ch++) {
        const d = F[at[7] + p * c + ch];
        for (let t = 0; t < 10; t++) {
          const xv = t < 9 ? F[at[0] + (b * ph + y * stride + Math.floor(t / 3)) * pw + x * stride + (t % 3)] : 1;
          expected[t * c + ch] += xv * d;
          magnitude[t * c + ch] += Math.abs(xv * d);
        }
      }
    }
    const gradients = F.slice(at[8] + 2 * c, at[8] + 4 * c);
    // What each one-pass kernel wrote, which its two-pass (split) kernel must write bit for bit.
    const written = new Map<string, Float32Array[]>();
    for (const [name, k, split] of [
      ['plain SIMD', simd, false],
      ['FMA', convPoolFma(memory), false],
      ['plain SIMD', simd, true],
      ['FMA', convPoolFma(memory), true],
    ] as const) {
      assert.ok(k, 'this runtime has relaxed SIMD');
      const [moments, normBackward] = split
        ? [k.convSingleMomentsSplit, (...args: number[]) => k.convSingleNormBackwardSplit(...args, at[11] * 4)]
        : [k.convSingleMoments, k.convSingleNormBackward];
      const out: Float32Array[] = [];
      const how = split ? `${name}, split` : name;
      F.fill(NaN, at[3], at[3] + n);
      F.fill(NaN, at[8] + 2 * c, at[8] + 4 * c);
      F.fill(NaN, at[9], at[9] + 10 * c);
      // The shift: the first pixel's output.
      F.set(z.subarray(0, c), batchNormShift(block, c) / 4);
      const geometryArgs = [batch, oh, ow, c, stride, stride, ph, pw, block];
      F.fill(NaN, at[11], at[11] + n);
      moments(at[0] * 4, at[1] * 4, at[2] * 4, at[3] * 4, relu ? 1 : 0, ...geometryArgs);
      out.push(F.slice(at[3], at[3] + n), F.slice(block / 4, block / 4 + 4 * c));
      assertNear(F.slice(at[3], at[3] + n), z, 1e-6, `z, ${how}`);
      batchNormStatistics(F, block, rows, c, { gamma, beta, epsilon: 1e-3 }, s2);
      assertNear(s2.mean, s1.mean, 1e-6, `mean, ${how}`);
      assertNear(s2.variance, s1.variance, 1e-6, `variance, ${how}`);
      batchNormBackwardSimd(
        simd,
        block,
        relu,
        0,
        F,
        at[4],
        at[3],
        -1,
        rows,
        c,
        gamma,
        dgamma,
        dbeta,
        s2,
        new Float64Array(0),
      );
      assertNear(F.slice(at[8] + 2 * c, at[8] + 4 * c), gradients, 1e-5, `dgamma and dbeta, ${how}`);
      const args = [at[0] * 4, at[3] * 4, at[4] * 4, at[9] * 4, (at[9] + 9 * c) * 4, relu ? 1 : 0, ...geometryArgs];
      normBackward(...args);
      for (let i = 0; i < 10 * c; i++)
        if (!(Math.abs(F[at[9] + i] - expected[i]) <= 1e-5 * magnitude[i]))
          assert.fail(`${i < 9 * c ? 'dkernel' : 'dbias'}[${i % (9 * c)}], ${name}: ${F[at[9] + i]} vs ${expected[i]}`);
      out.push(F.slice(at[9], at[9] + 10 * c));
      if (!split) written.set(name, out);
      else
        for (const [i, what] of ['z', 'the moments S1, S2', 'dkernel and dbias'].entries())
          assertSame(out[i], written.get(name)![i], `${what}, ${name}, split against one pass`);
    }
  });
}

// padAffine: the polyphase convolution's normalised, padded input in one run a row, the floats of im2colAffine
// with a 1x1 window (the padding before and after, after only, none).
test('padAffine writes the floats of im2colAffine with a 1x1 window', () => {
  for (const [batch, h, w, c, ph, pw, top, left] of [
    [2, 13, 12, 4, 15, 13, 1, 0],
    [3, 14, 14, 32, 15, 15, 0, 0],
    [1, 5, 6, 8, 7, 9, 1, 2],
    [2, 4, 4, 12, 4, 4, 0, 0],
  ]) {
    const [n, m] = [batch * h * w * c, batch * ph * pw * c];
    const { simd, F } = heap(n + 2 * m + 3 * c + 32);
    const [x, a, b, table] = [0, n, n + m, n + 2 * m].map((v) => Math.ceil(v / 4) * 4);
    F.set(random(n, 41), x);
    F.set(random(3 * c, 42), table);
    F.fill(NaN, a, b + m);
    simd.im2colAffine(x * 4, a * 4, table * 4, batch, h, w, c, ph, pw, 1, 1, 1, 1, top, left);
    simd.padAffine(x * 4, b * 4, table * 4, batch, h, w, c, ph, pw, top, left);
    assertSame(F.slice(b, b + m), F.slice(a, a + m), `${h}x${w}x${c} in ${ph}x${pw} at (${top}, ${left})`);
  }
});
