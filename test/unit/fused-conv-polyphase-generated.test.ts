import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import {
  PolyphaseConv,
  polyphaseCombine,
  polyphaseGenerated,
  type PolyphaseShape,
} from '../../src/training/worker/fused/conv-polyphase';
import { hasRelaxedSimd } from '../../src/training/wasm-features';

// Node 20 keeps relaxed SIMD behind a flag (the pool passes it to workers); on here so both variants are tested.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** C [m, n] = op(A) op(B) on float offsets, accumulated in double precision. */
const product =
  (F: Float32Array) =>
  (a: number, tA: boolean, b: number, tB: boolean, c: number, m: number, n: number, k: number): void => {
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let l = 0; l < k; l++) sum += F[a + (tA ? l * m + i : i * k + l)] * F[b + (tB ? j * k + l : l * n + j)];
        F[c + i * n + j] = sum;
      }
  };

interface Run {
  out: Float32Array;
  dkernel: Float32Array;
  dx: Float32Array;
}

/**
 * Forward and backward of one polyphase convolution on fixed random data (padded input, kernel, bias, dZ), with the
 * generated transforms or with `combine`'s tables.
 */
function run(
  shape: PolyphaseShape,
  capacity: number,
  batches: number[],
  fma: boolean,
  generated: boolean,
  memory = new WebAssembly.Memory({ initial: 256 }),
): Run[] {
  const F = new Float32Array(memory.buffer);
  polyphaseGenerated.tables = !generated;
  const combine = polyphaseCombine(memory, fma);
  assert.ok(combine, 'wasm SIMD');
  const conv = new PolyphaseConv(shape, combine, product(F));
  const { cin, cout, oh, ow, h, w } = shape;
  const [nr, nc] = [conv.rows.n, conv.cols.n];
  const base = 1024;
  const floats = conv.floats(capacity);
  conv.place(base, capacity);
  let next = base + floats + 16;
  const take = (n: number) => {
    const at = next;
    next += Math.ceil(n / 4) * 4 + 4;
    return at;
  };
  const [kernel, bias, out, dz, dkernel, dx] = [
    take(9 * cin * cout),
    take(cout),
    take(capacity * oh * ow * cout),
    take(capacity * oh * ow * cout),
    take(9 * cin * cout),
    take(capacity * h * w * cin),
  ];
  assert.ok(next * 4 < memory.buffer.byteLength);
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  polyphaseGenerated.on = generated;
  try {
    return batches.map((batch, k) => {
      for (let i = 0; i < batch * nr * nc * cin; i++) F[conv.padded + i] = random();
      for (let i = 0; i < 9 * cin * cout; i++) F[kernel + i] = random();
      for (let i = 0; i < cout; i++) F[bias + i] = random();
      for (let i = 0; i < batch * oh * ow * cout; i++) F[dz + i] = random();
      F.fill(NaN, dx, dx + batch * h * w * cin);
      const withBias = k % 2 === 0;
      conv.forward(F, kernel, withBias ? bias : 0, out, batch, k % 3 !== 1);
      conv.backward(F, dz, dkernel, dx, batch);
      return {
        out: F.slice(out, out + batch * oh * ow * cout),
        dkernel: F.slice(dkernel, dkernel + 9 * cin * cout),
        dx: F.slice(dx, dx + batch * h * w * cin),
      };
    });
  } finally {
    polyphaseGenerated.on = true;
    polyphaseGenerated.tables = false;
  }
}

/** The same convolution in double precision from the same random data. */
function direct(shape: PolyphaseShape, conv: { nr: number; nc: number }, batches: number[]): Run[] {
  const { cin, cout, oh, ow, h, w, top, left } = shape;
  const { nr, nc } = conv;
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  return batches.map((batch, k) => {
    const x = Float32Array.from({ length: batch * nr * nc * cin }, random);
    const K = Float32Array.from({ length: 9 * cin * cout }, random);
    const bias = Float32Array.from({ length: cout }, random);
    const dz = Float32Array.from({ length: batch * oh * ow * cout }, random);
    const withBias = k % 2 === 0;
    const relu = k % 3 !== 1;
    const out = new Float32Array(batch * oh * ow * cout);
    const dkernel = new Float64Array(9 * cin * cout);
    const dx = new Float64Array(batch * h * w * cin);
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let co = 0; co < cout; co++) {
            let sum = withBias ? bias[co] : 0;
            const o = ((b * oh + i) * ow + j) * cout + co;
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++)
                for (let ci = 0; ci < cin; ci++) {
                  const xi = ((b * nr + 2 * i + ky) * nc + 2 * j + kx) * cin + ci;
                  const ki = (ky * 3 + kx) * cin * cout + ci * cout + co;
                  sum += x[xi] * K[ki];
                  dkernel[ki] += x[xi] * dz[o];
                  const [y, xx] = [2 * i + ky - top, 2 * j + kx - left];
                  if (y >= 0 && y < h && xx >= 0 && xx < w) dx[((b * h + y) * w + xx) * cin + ci] += dz[o] * K[ki];
                }
            out[o] = relu ? Math.max(sum, 0) : sum;
          }
    return { out, dkernel: Float32Array.from(dkernel), dx: Float32Array.from(dx) };
  });
}

const SHAPES: [string, PolyphaseShape][] = [
  [
    "the strided CNN's (14x14x32 -> 7x7x64, 'same')",
    { h: 14, w: 14, cin: 32, cout: 64, oh: 7, ow: 7, top: 0, left: 0 },
  ],
  ["9x9x4 -> 5x5x8, 'same' (padding on both sides)", { h: 9, w: 9, cin: 4, cout: 8, oh: 5, ow: 5, top: 1, left: 1 }],
  ["10x7x8 -> 4x3x12, 'valid'", { h: 10, w: 7, cin: 8, cout: 12, oh: 4, ow: 3, top: 0, left: 0 }],
  ["12x16x12 -> 6x8x4, 'same'", { h: 12, w: 16, cin: 12, cout: 4, oh: 6, ow: 8, top: 0, left: 0 }],
];

for (const imageMajor of [true, false])
  for (const fma of hasRelaxedSimd() ? [false, true] : [false])
    for (const [name, shape] of SHAPES)
      test(`the generated transforms equal combine's tables bit for bit, and the convolution in double precision, ${name}${fma ? ' (FMA)' : ''}, V and M ${imageMajor ? 'image' : 'point'}-major`, () => {
        const batches = [3, 2, 3];
        polyphaseGenerated.imageMajor = imageMajor;
        let generated: Run[], tabled: Run[];
        try {
          generated = run(shape, 3, batches, fma, true);
          tabled = run(shape, 3, batches, fma, false);
        } finally {
          polyphaseGenerated.imageMajor = true;
        }
        const nr = 2 * shape.oh + 1 + 0;
        const nc = 2 * shape.ow + 1;
        const exact = direct(shape, { nr, nc }, batches);
        batches.forEach((_, k) => {
          for (const key of ['out', 'dkernel', 'dx'] as const) {
            const [g, t, e] = [generated[k][key], tabled[k][key], exact[k][key]];
            assert.equal(g.length, t.length);
            for (let i = 0; i < g.length; i++) {
              // Bit for bit but the sign of a zero (a first term of -1: a negation, not 0 - x).
              assert.ok(
                g[i] === t[i] || (Number.isNaN(g[i]) && Number.isNaN(t[i])),
                `${key}[${i}], batch ${k}: generated ${g[i]}, tables ${t[i]}`,
              );
              assert.ok(
                Math.abs(g[i] - e[i]) <= 1e-4 * (1 + Math.abs(e[i])),
                `${key}[${i}], batch ${k}: generated ${g[i]}, double precision ${e[i]}`,
              );
            }
          }
        });
      });

test('the generated code is shared by convolutions of one shape on one memory at other capacities (their offsets in tables)', () => {
  const [shape] = SHAPES[0].slice(1) as [PolyphaseShape];
  const memory = new WebAssembly.Memory({ initial: 256 });
  const nr = 2 * shape.oh + 1;
  const nc = 2 * shape.ow + 1;
  for (const [capacity, batches] of [
    [2, [2, 1]],
    [5, [4, 5]],
  ] as [number, number[]][]) {
    const generated = run(shape, capacity, batches, hasRelaxedSimd(), true, memory);
    const exact = direct(shape, { nr, nc }, batches);
    batches.forEach((_, k) => {
      for (const key of ['out', 'dkernel', 'dx'] as const)
        generated[k][key].forEach((g, i) => {
          const e = exact[k][key][i];
          assert.ok(Math.abs(g - e) <= 1e-4 * (1 + Math.abs(e)), `capacity ${capacity}, ${key}[${i}]: ${g} vs ${e}`);
        });
    });
  }
});
