/**
 * The CNN engine's data-movement loops (`fused/conv-kernels.ts`) on plain arrays: im2col against its definition,
 * col2im and the pooling gradients as exact adjoints of their forward loops (<f(x), y> = <x, f'(y)>), over
 * padding, strides and odd sizes; max pooling's routing of ties and of windows with no positive value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  avgPool,
  avgPoolBackward,
  col2im,
  im2col,
  maxPool,
  maxPoolBackward,
  type Geometry,
} from '../../src/training/worker/fused/conv-kernels';
import { geometry } from '../helpers/conv-geometry';

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const GEOMETRIES: Geometry[] = [
  geometry(5, 4, 3, 3, 3, 1, 1, true),
  geometry(7, 6, 2, 3, 3, 2, 2, true),
  geometry(9, 7, 1, 2, 3, 2, 1, false),
  geometry(6, 6, 4, 5, 5, 1, 1, true),
  geometry(3, 8, 2, 1, 1, 1, 3, false),
];

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * b[i], 0);

for (const g of GEOMETRIES) {
  const name = JSON.stringify(g);
  test(`im2col reads each window, zero in the padding, and col2im is its adjoint: ${name}`, () => {
    const batch = 2;
    const xs = batch * g.h * g.w * g.c;
    const k = g.kh * g.kw * g.c;
    const rows = batch * g.oh * g.ow;
    // One heap: x, then cols, then dcols, then dx.
    const F = new Float32Array(xs + 2 * rows * k + xs);
    const x = random(xs, 3);
    F.set(x, 0);
    im2col(F, 0, xs, batch, g);
    for (let b = 0, r = 0; b < batch; b++)
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++, r++)
          for (let ky = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++)
              for (let ch = 0; ch < g.c; ch++) {
                const iy = oy * g.sh - g.top + ky;
                const ix = ox * g.sw - g.left + kx;
                const inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
                const expected = inside ? x[((b * g.h + iy) * g.w + ix) * g.c + ch] : 0;
                assert.equal(F[xs + r * k + (ky * g.kw + kx) * g.c + ch], expected);
              }
    const y = random(rows * k, 7);
    F.set(y, xs + rows * k);
    col2im(F, xs + rows * k, xs + 2 * rows * k, batch, g);
    const cols = F.slice(xs, xs + rows * k);
    const back = F.slice(xs + 2 * rows * k);
    assert.ok(Math.abs(dot(cols, y) - dot(x, back)) < 1e-4, 'the adjoint identity holds');
  });
}

for (const g of GEOMETRIES.filter((g) => g.top === 0 && g.left === 0)) {
  test(`average pooling's gradient is its adjoint: ${JSON.stringify(g)}`, () => {
    const batch = 2;
    const xs = batch * g.h * g.w * g.c;
    const ys = batch * g.oh * g.ow * g.c;
    const F = new Float32Array(xs + 2 * ys + xs);
    const x = random(xs, 11);
    const y = random(ys, 13);
    F.set(x, 0);
    F.set(y, xs + ys);
    avgPool(F, 0, xs, batch, g);
    avgPoolBackward(F, xs + ys, xs + 2 * ys, batch, g);
    assert.ok(Math.abs(dot(F.slice(xs, xs + ys), y) - dot(x, F.slice(xs + 2 * ys))) < 1e-4);
  });
}

test('max pooling takes the largest value of each window and routes its gradient to the first of equal maxima', () => {
  // One 2x4 image, one channel, 2x2 windows: [1 1 | -3 -2 ; 1 1 | -3 -5].
  const g = geometry(2, 4, 1, 2, 2, 2, 2, false);
  const F = new Float32Array(8 + 2 + 2 + 8);
  F.set([1, 1, -3, -2, 1, 1, -3, -5], 0);
  const argmax = new Int32Array(2);
  maxPool(F, 0, 8, argmax, 1, g);
  assert.deepEqual([...F.slice(8, 10)], [1, -2]);
  F.set([10, 20], 10);
  maxPoolBackward(F, 10, 12, argmax, 2, 8);
  assert.deepEqual([...F.slice(12)], [10, 0, 0, 20, 0, 0, 0, 0]);
  // Under a relu (positive = the pooled input): a maximum of 0 or less passes nothing.
  maxPoolBackward(F, 10, 12, argmax, 2, 8, 0);
  assert.deepEqual([...F.slice(12)], [10, 0, 0, 0, 0, 0, 0, 0]);
});
