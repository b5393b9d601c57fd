import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import {
  CombineTable,
  kindTap,
  polyphaseAxis,
  polyphaseCombine,
  wideBytes,
} from '../../src/training/worker/fused/conv-polyphase';
import { hasRelaxedSimd } from '../../src/training/wasm-features';

// Node 20 keeps relaxed SIMD behind a flag (the pool passes it to workers); on here so both variants are tested.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

test('a polyphase axis of o outputs has o + ceil(o / 4) + o points (16 for 7: 256 products a channel pair, not 441)', () => {
  for (let o = 1; o <= 12; o++) assert.equal(polyphaseAxis(o).points, 2 * o + Math.ceil(o / 4), `o = ${o}`);
  const axis = polyphaseAxis(7);
  assert.equal(axis.n, 15);
  // F(4, 2) and F(3, 2): points 0, ∞, 1, -1 twice, 2 once; the odd phase's 7.
  assert.deepEqual(axis.count, [2, 2, 2, 2, 1, 7]);
});

test('A [(G w) ⊙ (B x)] is the stride-2 correlation of x with three taps, for outputs of 1 to 12', () => {
  let seed = 3;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  for (let o = 1; o <= 12; o++) {
    const axis = polyphaseAxis(o);
    const x = Array.from({ length: axis.n }, random);
    const [w0, w1, w2] = [random(), random(), random()];
    const points = axis.b.map((terms, p) => {
      const bx = terms.reduce((s, [r, c]) => s + c * x[r], 0);
      return kindTap(axis.kind[p], w0, w1, w2) * bx;
    });
    for (let i = 0; i < o; i++) {
      const y = axis.a[i].reduce((s, [p, c]) => s + c * points[p], 0);
      const direct = w0 * x[2 * i] + w1 * x[2 * i + 1] + w2 * x[2 * i + 2];
      assert.ok(Math.abs(y - direct) < 1e-12, `o = ${o}, output ${i}: ${y} vs ${direct}`);
    }
  }
});

for (const fma of hasRelaxedSimd() ? [false, true] : [false])
  test(`combine writes bias + Σ coefficient · row per table row, four vectors at a time and then one, with relu${fma ? ' (relaxed-SIMD multiply-adds)' : ''}`, () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const combine = polyphaseCombine(memory, fma);
    assert.ok(combine, 'wasm SIMD');
    const F = new Float32Array(memory.buffer);
    const [input, out, bias, table] = [256, 1024, 2048, 3072]; // float offsets
    for (let i = 0; i < 200; i++) F[input + i] = i - 50;
    for (let i = 0; i < 16; i++) F[bias + i] = 100 * (i + 1);
    const t = new CombineTable();
    t.row(0, [
      [0, 1],
      [4 * 40, -2],
    ]);
    t.row(4 * 40, [[4 * 80, 0.5]]);
    t.row(4 * 80, []);
    new Int32Array(memory.buffer).set(t.words, table);
    // 20 floats a row (64 bytes wide and a 16-byte tail), a bias of 8 or 16 floats repeating, relu on.
    for (const [period, relu] of [
      [0, 0],
      [8, 0],
      [8, 1],
      [16, 1],
    ]) {
      F.fill(NaN, out, out + 120);
      const len = 20 * 4;
      const wide = wideBytes(len, period * 4);
      assert.equal(wide, period === 8 ? 0 : 64);
      combine(input * 4, out * 4, table * 4, t.rows, len, wide, period ? bias * 4 : 0, period * 4, relu);
      for (let r = 0; r < 3; r++)
        for (let j = 0; j < 20; j++) {
          const x = (i: number) => i - 50;
          const sum = [x(j) - 2 * x(40 + j), 0.5 * x(80 + j), 0][r] + (period ? F[bias + (j % period)] : 0);
          assert.equal(F[out + 40 * r + j], relu ? Math.max(sum, 0) : sum, `row ${r}, float ${j}, period ${period}`);
        }
      assert.ok(Number.isNaN(F[out + 20]), 'nothing past a row');
    }
  });
