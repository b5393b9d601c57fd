/**
 * The fused optimizers against the Keras update rules written out plainly here, for every optimizer and variant,
 * through both loops: JS (arrays anywhere) and WebAssembly SIMD (arrays in a wasm memory, the wasm backend's case).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as v8 from 'node:v8';
import {
  createFusedOptimizer,
  type FusedOptimizerOptions,
  type WasmHeap,
} from '../../src/training/worker/fused/fused-optimizers';
import type { EffectiveOptimizer } from '../../src/protocol';

// Node 20 keeps relaxed SIMD behind a flag (the pool passes it to workers); on here so that the SIMD loops' multiply-add
// forms are tested, and the programs as written through `multiplyAdd: false`.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** A reference step over plain number arrays, straight from the formulas (Keras 2.x optimizer_v2). */
type Reference = (w: number[], g: number[], state: Record<string, number[]>, t: number) => void;

function reference(spec: EffectiveOptimizer): Reference {
  const h = spec as Record<string, number | boolean | string>;
  const wd = Number(h.weight_decay ?? 0);
  if (wd > 0) {
    // Keras 3 `_apply_weight_decay`: w -= w * weight_decay * lr, then the optimizer's own update.
    const inner = reference({ ...spec, type: spec.type === 'AdamW' ? 'Adam' : spec.type, weight_decay: 0 });
    return (w, g, s, t) => {
      for (let i = 0; i < w.length; i++) w[i] = w[i] - w[i] * wd * Number(h.learning_rate);
      inner(w, g, s, t);
    };
  }
  const lr = Number(h.learning_rate);
  const slot = (s: Record<string, number[]>, name: string, n: number, init = 0) =>
    (s[name] ??= new Array(n).fill(init));
  switch (spec.type) {
    case 'SGD':
      return (w, g, s) => {
        const m = Number(h.momentum ?? 0);
        const v = slot(s, 'v', w.length);
        for (let i = 0; i < w.length; i++) {
          if (m === 0) {
            w[i] -= lr * g[i];
            continue;
          }
          v[i] = m * v[i] - lr * g[i];
          w[i] += h.nesterov ? m * v[i] - lr * g[i] : v[i];
        }
      };
    case 'RMSprop':
      return (w, g, s) => {
        const [rho, eps, momentum] = [Number(h.rho), Number(h.epsilon), Number(h.momentum)];
        const ms = slot(s, 'ms', w.length);
        const mom = slot(s, 'mom', w.length);
        const mg = slot(s, 'mg', w.length);
        for (let i = 0; i < w.length; i++) {
          ms[i] = rho * ms[i] + (1 - rho) * g[i] ** 2;
          let denom = ms[i];
          if (h.centered) {
            mg[i] = rho * mg[i] + (1 - rho) * g[i];
            denom = ms[i] - mg[i] ** 2;
          }
          if (momentum > 0) {
            mom[i] = momentum * mom[i] + (lr * g[i]) / Math.sqrt(denom + eps);
            w[i] -= mom[i];
          } else {
            w[i] -= (lr * g[i]) / (Math.sqrt(denom) + eps);
          }
        }
      };
    case 'Adam':
      return (w, g, s, t) => {
        const [b1, b2, eps] = [Number(h.beta_1), Number(h.beta_2), Number(h.epsilon)];
        const [m, v, vhat] = [slot(s, 'm', w.length), slot(s, 'v', w.length), slot(s, 'vhat', w.length)];
        const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        for (let i = 0; i < w.length; i++) {
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2;
          vhat[i] = Math.max(vhat[i], v[i]);
          w[i] -= (lrT * m[i]) / (Math.sqrt(h.amsgrad ? vhat[i] : v[i]) + eps);
        }
      };
    case 'Nadam':
      // Keras 3 nadam.py, written out: u_t = b1*(1 - 0.5*0.96^t), u_product over steps 1..t.
      return (w, g, s, t) => {
        const [b1, b2, eps] = [Number(h.beta_1), Number(h.beta_2), Number(h.epsilon)];
        const [m, v, up] = [slot(s, 'm', w.length), slot(s, 'v', w.length), slot(s, 'u_product', 1, 1)];
        const u = (k: number) => b1 * (1 - 0.5 * 0.96 ** k);
        up[0] *= u(t);
        const uProductNext = up[0] * u(t + 1);
        for (let i = 0; i < w.length; i++) {
          m[i] += (g[i] - m[i]) * (1 - b1);
          v[i] += (g[i] ** 2 - v[i]) * (1 - b2);
          const mHat = (u(t + 1) * m[i]) / (1 - uProductNext) + ((1 - u(t)) * g[i]) / (1 - up[0]);
          const vHat = v[i] / (1 - b2 ** t);
          w[i] -= (mHat * lr) / (Math.sqrt(vHat) + eps);
        }
      };
    case 'Adagrad':
      return (w, g, s) => {
        const acc = slot(s, 'acc', w.length, Number(h.initial_accumulator_value));
        for (let i = 0; i < w.length; i++) {
          acc[i] += g[i] ** 2;
          w[i] -= (lr * g[i]) / (Math.sqrt(acc[i]) + Number(h.epsilon));
        }
      };
    case 'Adamax':
      return (w, g, s, t) => {
        const [b1, b2, eps] = [Number(h.beta_1), Number(h.beta_2), Number(h.epsilon)];
        const [m, u] = [slot(s, 'm', w.length), slot(s, 'u', w.length)];
        for (let i = 0; i < w.length; i++) {
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          u[i] = Math.max(b2 * u[i], Math.abs(g[i]));
          w[i] -= (lr / (1 - b1 ** t)) * (m[i] / (u[i] + eps));
        }
      };
    case 'Adadelta':
      return (w, g, s) => {
        const [rho, eps] = [Number(h.rho), Number(h.epsilon)];
        const [acc, accUpd] = [slot(s, 'acc', w.length), slot(s, 'accUpd', w.length)];
        for (let i = 0; i < w.length; i++) {
          acc[i] = rho * acc[i] + (1 - rho) * g[i] ** 2;
          const upd = (Math.sqrt(accUpd[i] + eps) / Math.sqrt(acc[i] + eps)) * g[i];
          accUpd[i] = rho * accUpd[i] + (1 - rho) * upd ** 2;
          w[i] -= lr * upd;
        }
      };
    default:
      throw new Error(spec.type);
  }
}

/** Every optimizer with Keras defaults written out, plus the variants that switch to another loop. */
const CASES: EffectiveOptimizer[] = [
  { type: 'SGD', learning_rate: 0.01, momentum: 0, nesterov: false },
  { type: 'SGD', learning_rate: 0.05, momentum: 0.9, nesterov: false },
  { type: 'SGD', learning_rate: 0.05, momentum: 0.8, nesterov: true },
  { type: 'RMSprop', learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
  { type: 'RMSprop', learning_rate: 0.002, rho: 0.8, momentum: 0, epsilon: 1e-6, centered: true },
  { type: 'RMSprop', learning_rate: 0.002, rho: 0.85, momentum: 0.5, epsilon: 1e-7, centered: false },
  { type: 'RMSprop', learning_rate: 0.002, rho: 0.85, momentum: 0.5, epsilon: 1e-7, centered: true },
  { type: 'Adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  { type: 'Adam', learning_rate: 0.01, beta_1: 0.8, beta_2: 0.99, epsilon: 1e-5, amsgrad: true },
  { type: 'Adagrad', learning_rate: 0.01, initial_accumulator_value: 0.1, epsilon: 1e-7 },
  { type: 'Adamax', learning_rate: 0.002, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  { type: 'Adadelta', learning_rate: 1.0, rho: 0.95, epsilon: 1e-7 },
  { type: 'Nadam', learning_rate: 0.002, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  { type: 'Nadam', learning_rate: 0.01, beta_1: 0.5, beta_2: 0.67, epsilon: 1e-5 },
  {
    type: 'AdamW',
    learning_rate: 0.01,
    weight_decay: 0.004,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
  },
  { type: 'AdamW', learning_rate: 0.01, weight_decay: 0.1, beta_1: 0.8, beta_2: 0.99, epsilon: 1e-5, amsgrad: true },
  { type: 'SGD', learning_rate: 0.05, momentum: 0, nesterov: false, weight_decay: 0.2 },
  { type: 'RMSprop', learning_rate: 0.002, rho: 0.85, momentum: 0.5, epsilon: 1e-7, centered: true, weight_decay: 0.1 },
  { type: 'Nadam', learning_rate: 0.01, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, weight_decay: 0.05 },
];

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function close(actual: ArrayLike<number>, expected: number[], what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-5 * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/**
 * A wasm memory with a bump allocator, standing in for the wasm backend's heap: like it, it grows the memory when an
 * allocation does not fit (which detaches every view of the old buffer), and counts its allocations.
 */
function testHeap(): WasmHeap & { array(n: number, init: number[]): Float32Array; mallocs: number } {
  const memory = new WebAssembly.Memory({ initial: 1 });
  let next = 64;
  const heap = {
    memory,
    mallocs: 0,
    malloc: (bytes: number) => {
      const p = next;
      next += Math.ceil(bytes / 16) * 16 + 16;
      if (next > memory.buffer.byteLength) memory.grow(Math.ceil((next - memory.buffer.byteLength) / 65536));
      heap.mallocs++;
      return p;
    },
    free: () => {},
    array: (n: number, init: number[]) => {
      const p = heap.malloc(n * 4);
      const a = new Float32Array(memory.buffer, p, n);
      a.set(init);
      return a;
    },
  };
  return heap;
}

for (const spec of CASES) {
  const label = JSON.stringify(spec);
  for (const where of ['js', 'simd', 'simd as written'] as const) {
    test(`${where}: ${label} follows the Keras rule for 25 steps`, () => {
      // 103 weights: 25 SIMD groups of four and a tail of three for the JS loop.
      const n = 103;
      const heap = where === 'js' ? undefined : testHeap();
      const options: FusedOptimizerOptions = where === 'simd as written' ? { multiplyAdd: false } : {};
      const opt = createFusedOptimizer(spec, heap, [n], options);
      assert.ok(opt, 'the optimizer is fused');
      assert.equal(opt.simd, where !== 'js');
      const expected = values(n, 7).map((v) => Math.fround(v));
      const state: Record<string, number[]> = {};
      const ref = reference(spec);
      let w: Float32Array = heap ? heap.array(n, expected) : Float32Array.from(expected);
      for (let t = 1; t <= 25; t++) {
        const g = values(n, 100 + t).map((v) => Math.fround(v * 0.1));
        ref(expected, g, state, t);
        const out = heap ? heap.array(n, []) : new Float32Array(n);
        opt.beginStep();
        opt.update(0, w, heap ? heap.array(n, g) : Float32Array.from(g), out);
        w = out;
      }
      close(w, expected, 'w');
      assert.equal(opt.iterations, 25);
    });
  }
}

test('optimizers the fused loops do not implement are left to the stock engine', () => {
  assert.equal(createFusedOptimizer({ type: 'Ftrl', learning_rate: 0.001 }), undefined);
  assert.equal(createFusedOptimizer({ type: 'Adam', learning_rate: 0.001, use_ema: true }), undefined);
  assert.ok(createFusedOptimizer({ type: 'Adam', learning_rate: 0.001, clipnorm: 1 }), "clipping is the engine's");
  assert.equal(createFusedOptimizer({ type: 'SGD', learning_rate: 'fast' }), undefined);
  assert.ok(createFusedOptimizer({ type: 'adam', lr: 0.01 }), 'Keras aliases and lr are accepted');
  assert.equal(createFusedOptimizer({ type: 'adam', lr: 0.01 })!.hyper.learning_rate, 0.01);
});

test('decaying state is flushed to zero below the float32 normal range, NaN still propagates', () => {
  for (const heap of [undefined, testHeap()]) {
    const opt = createFusedOptimizer({ type: 'SGD', learning_rate: 0.1, momentum: 0.5 }, heap, [5])!;
    const make = (v: number[]) => (heap ? heap.array(v.length, v) : Float32Array.from(v));
    const w = make([1, 1, 1, 1, 1]);
    // First step: velocity = -0.1 * g. A gradient of 1e-37 gives 1e-38, below 2^-126: stored as 0.
    opt.beginStep();
    let out = make([0, 0, 0, 0, 0]);
    opt.update(0, w, make([1e-37, 1e-37, 1e-37, 1e-37, 1e-37]), out);
    // The state itself, SIMD lanes and JS tail alike (a weight of 1 cannot show a velocity of 1e-38).
    assert.deepEqual(
      Array.from(opt.exportSlots()[0][0]),
      [0, 0, 0, 0, 0],
      `velocity flushed (${heap ? 'simd' : 'js'})`,
    );
    // Second step with zero gradient: w moves by momentum * velocity, which is exactly 0 after the flush.
    opt.beginStep();
    const out2 = make([0, 0, 0, 0, 0]);
    opt.update(0, out, make([0, 0, 0, 0, 0]), out2);
    assert.deepEqual(Array.from(out2), Array.from(out));
    opt.beginStep();
    out = make([0, 0, 0, 0, 0]);
    opt.update(0, out2, make([NaN, 0, 0, 0, NaN]), out);
    assert.ok(Number.isNaN(out[0]) && Number.isNaN(out[4]), `NaN gradients give NaN weights (${heap ? 'simd' : 'js'})`);
  }
});

test('the flush treats negative, subnormal and zero state alike in the SIMD loop and the JS loop', () => {
  // Velocities -0.1 * g: +-1e-38 (subnormal: flushed), +-1e-37 (normal: kept), -0 and 0; Adam's slots likewise.
  const g = [1e-37, -1e-37, -1e-36, 1e-36, -0, 0, 2e-37, -3e-38, -1e-36];
  for (const spec of [
    { type: 'SGD', learning_rate: 0.1, momentum: 0.5 },
    { type: 'Adam', learning_rate: 0.01, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  ] as EffectiveOptimizer[]) {
    // The JS loop runs in double, the SIMD loop in float32: the same zeros and signs, values within 1e-6.
    const [js, simd] = [undefined, testHeap()].map((heap) => {
      const opt = createFusedOptimizer(spec, heap, [g.length])!;
      const make = (v: number[]) => (heap ? heap.array(v.length, v) : Float32Array.from(v));
      for (let t = 0; t < 3; t++) {
        opt.beginStep();
        opt.update(0, make(g.map(() => 1)), make(g), make(g.map(() => 0)));
      }
      return opt.exportSlots()[0].map((slot) => Array.from(slot));
    });
    simd.forEach((slot, s) =>
      slot.forEach((v, i) => {
        const at = `${spec.type} slot ${s}[${i}]: ${v} vs ${js[s][i]}`;
        assert.ok(v === 0 || Math.abs(v) >= 2 ** -126, `${at}: no subnormal left`);
        assert.equal(v === 0, js[s][i] === 0, `${at}: flushed alike`);
        assert.ok(Math.sign(v) === Math.sign(js[s][i]) && Math.abs(v - js[s][i]) <= 1e-6 * Math.abs(v), at);
      }),
    );
    assert.ok(simd[0].some((v) => v === 0) && simd[0].some((v) => v !== 0), `${spec.type}: some flushed, some kept`);
  }
});

/** Adam at a learning rate that moves the weights visibly in a few steps. */
const ADAM: EffectiveOptimizer = {
  type: 'Adam',
  learning_rate: 0.01,
  beta_1: 0.9,
  beta_2: 0.999,
  epsilon: 1e-7,
  amsgrad: false,
};

test('state is allocated when the optimizer is created; a step never allocates, even when the memory grows between steps', () => {
  const heap = testHeap();
  // 3 weights x 2 Adam slots, up to 5,000 floats each: 120 kB, more than the first 64 kB page, so creation grows it.
  const sizes = [5000, 7, 5000];
  const spec = ADAM;
  const opt = createFusedOptimizer(spec, heap, sizes)!;
  assert.ok(opt.simd);
  assert.equal(heap.mallocs, 1, 'one block for all state');
  const pagesAtStart = heap.memory.buffer.byteLength;
  const expected = sizes.map((n, i) => values(n, 10 + i).map((v) => Math.fround(v)));
  const weights = expected.map((w) => Float32Array.from(w));
  const states = sizes.map(() => ({}));
  const ref = reference(spec);
  for (let t = 1; t <= 3; t++) {
    opt.beginStep();
    sizes.forEach((n, i) => {
      const g = values(n, 100 * t + i).map((v) => Math.fround(v * 0.1));
      ref(expected[i], g, states[i], t);
      // Fresh arrays every step, as the engine makes them; each allocation may grow the memory, so views come after.
      const [pw, pg, po] = [heap.malloc(n * 4), heap.malloc(n * 4), heap.malloc(n * 4)];
      const view = (p: number) => new Float32Array(heap.memory.buffer, p, n);
      view(pw).set(weights[i]);
      view(pg).set(g);
      const before = heap.mallocs;
      opt.update(i, view(pw), view(pg), view(po));
      assert.equal(heap.mallocs, before, 'update allocates nothing');
      weights[i] = Float32Array.from(view(po));
    });
  }
  assert.ok(heap.memory.buffer.byteLength > pagesAtStart, 'the memory grew between steps');
  weights.forEach((w, i) => close(w, expected[i], `weight ${i}`));
});

test('updated in place at fixed addresses, as the engine does, the tail stays right when the memory grows under it', () => {
  const heap = testHeap();
  // 10 weights: two SIMD groups and a tail of two (the canonical output bias), left to the JS loop on views of it.
  const n = 10;
  const spec = ADAM;
  const opt = createFusedOptimizer(spec, heap, [n])!;
  const expected = values(n, 3).map((v) => Math.fround(v));
  const [pw, pg] = [heap.malloc(n * 4), heap.malloc(n * 4)];
  const view = (p: number) => new Float32Array(heap.memory.buffer, p, n);
  view(pw).set(expected);
  const state = {};
  const ref = reference(spec);
  for (let t = 1; t <= 25; t++) {
    const g = values(n, 50 + t).map((v) => Math.fround(v * 0.1));
    ref(expected, g, state, t);
    if (t === 12) heap.memory.grow(1); // a new buffer, the same addresses
    view(pg).set(g);
    opt.beginStep();
    opt.update(0, view(pw), view(pg), view(pw));
  }
  close(view(pw), expected, 'w');
});

test('a view detached by memory growth is refused with an error instead of corrupting the weights', () => {
  const heap = testHeap();
  const opt = createFusedOptimizer({ type: 'SGD', learning_rate: 0.1, momentum: 0.9 }, heap, [8])!;
  const [w, g, out] = [heap.array(8, new Array(8).fill(1)), heap.array(8, new Array(8).fill(1)), heap.array(8, [])];
  heap.memory.grow(1);
  opt.beginStep();
  assert.throws(() => opt.update(0, w, g, out), /weight 0 has 8 values but got arrays of 0, 0 and 0/);
});

test('weight decay in the optimizer pass equals the decay pass then the update, bit for bit (js and simd)', () => {
  // The decay is SGD on the weight itself (w - (wd * lr) * w), run as its own pass before the optimizer without decay.
  // Odd steps write a new array (out is not w), even steps update in place, as the engines do.
  for (const [spec, plain] of [
    [CASES.find((c) => c.type === 'AdamW' && !c.amsgrad)!, 'Adam'],
    [CASES.find((c) => c.type === 'SGD' && c.weight_decay)!, 'SGD'],
  ] as const) {
    const lr = spec.learning_rate as number;
    const decay = { type: 'SGD', learning_rate: (spec.weight_decay as number) * lr, momentum: 0 } as const;
    for (const where of ['js', 'simd'] as const) {
      const n = 103;
      const heap = where === 'simd' ? testHeap() : undefined;
      const [together, decayPass, update] = [spec, decay, { ...spec, type: plain, weight_decay: 0 }].map((s) =>
        createFusedOptimizer(s, heap, [n]),
      );
      assert.ok(together && decayPass && update);
      const start = values(n, 3).map((v) => Math.fround(v));
      const array = (init: number[]) =>
        heap ? heap.array(n, init) : Float32Array.from({ length: n }, (_, i) => init[i] ?? 0);
      let [a, b] = [array(start), array(start)];
      const g = array([]);
      for (let t = 1; t <= 25; t++) {
        g.set(values(n, 50 + t).map((v) => v * 0.1));
        for (const o of [together, decayPass, update]) o.beginStep();
        const [a2, b2] = t % 2 ? [array([]), array([])] : [a, b];
        together.update(0, a, g, a2);
        decayPass.update(0, b, b, b2);
        update.update(0, b2, g, b2);
        [a, b] = [a2, b2];
      }
      assert.deepEqual([...a], [...b], `${spec.type} ${where}`);
    }
  }
});

test('the multiply-add forms (relaxed SIMD) are within a few float32 roundings of the programs as written, flush alike and keep NaN', () => {
  // One step from the same weights and state (moments from 1e-3 to 1e-12, some zero, some subnormal), by the SIMD loop
  // with the multiply-add form and with the program as written, for Adam, AMSGrad, AdamW, RMSprop and Nadam.
  const n = 4096;
  for (const spec of [
    ADAM,
    CASES.find((c) => c.type === 'Adam' && c.amsgrad)!,
    CASES.find((c) => c.type === 'AdamW' && !c.amsgrad)!,
    CASES.find((c) => c.type === 'RMSprop' && !c.centered && !c.momentum)!,
    CASES.find((c) => c.type === 'Nadam')!,
  ]) {
    const heap = testHeap();
    const [fma, written] = [{}, { multiplyAdd: false }].map((o) => createFusedOptimizer(spec, heap, [n], o)!);
    assert.match(fma.fusedUpdate(0)!.name, /_fma$/, 'the multiply-add form where the runtime has relaxed SIMD');
    assert.doesNotMatch(written.fusedUpdate(0)!.name, /_fma$/);
    const r = values(4 * n, 99);
    const w = r.slice(0, n).map((v) => Math.fround(v));
    const g = r.slice(n, 2 * n).map((v, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? 1e-30 : Math.fround(v * 0.01)));
    g[5] = NaN;
    const m = r.slice(2 * n, 3 * n).map((v, i) => (i % 5 === 0 ? 0 : i % 13 === 0 ? 1e-38 : v * 10 ** -(3 + (i % 10))));
    const v = r
      .slice(3 * n, 4 * n)
      .map((x, i) => (i % 5 === 0 ? 0 : i % 13 === 0 ? 1e-38 : x * x * 10 ** -(3 + (i % 10))));
    const rms = spec.type === 'RMSprop';
    const slots = rms ? [v] : spec.amsgrad ? [m, v, v] : [m, v];
    const outs = [fma, written].map((opt) => {
      opt.importSlots(4, 0.01, [slots.map((s) => Float32Array.from(s))]);
      opt.beginStep();
      // Views after all three allocations (one may grow the memory, which detaches views made before it).
      const [pw, pg, po] = [heap.malloc(n * 4), heap.malloc(n * 4), heap.malloc(n * 4)];
      const view = (p: number) => new Float32Array(heap.memory.buffer, p, n);
      view(pw).set(w);
      view(pg).set(g);
      opt.update(0, view(pw), view(pg), view(po));
      return { w: Array.from(view(po)), slots: opt.exportSlots()[0].map((s) => Array.from(s)) };
    });
    const [a, b] = outs;
    // The step's scalars: Adam's lr_t, b1, c1, b2, c2, eps; RMSprop's lr, rho, c2 (its decay), eps; Nadam's km, kg,
    // b1, c1, b2, c2, vc, eps.
    const k = fma.fusedUpdate(0)!.scalars;
    const [c1, c2] = rms ? [0, k[2]] : [k[2 + Number(spec.type === 'Nadam')], k[4 + Number(spec.type === 'Nadam')]];
    const ulp = (x: number) => 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -126))) - 23);
    for (let i = 0; i < n; i++) {
      const at = `${spec.type}${spec.amsgrad ? ' amsgrad' : ''} weight ${i}`;
      if (i === 5) {
        assert.ok(Number.isNaN(a.w[i]) && Number.isNaN(b.w[i]), `${at}: a NaN gradient gives a NaN weight`);
        continue;
      }
      // A moment b*s + (1 - b)*x rounds within a float32 rounding of its terms' sizes either way (the terms may
      // cancel), then to its own float32.
      const vBound = 2 ** -23 * (v[i] + c2 * g[i] * g[i]);
      const bounds = rms ? [vBound] : [2 ** -23 * (Math.abs(m[i]) + c1 * Math.abs(g[i])), vBound, vBound];
      const errors = a.slots.map((slot, s) => {
        const [x, y] = [slot[i], b.slots[s][i]];
        // (AMSGrad's maximum, slot 2, is not flushed: here it keeps the subnormal it was given.)
        if (s < 2) assert.ok(x === 0 || Math.abs(x) >= 2 ** -126, `${at}: slot ${s} ${x} flushed`);
        assert.equal(x === 0, y === 0, `${at}: slot ${s} ${x} vs ${y} flushed alike`);
        assert.ok(Math.abs(x - y) <= bounds[s] + ulp(y), `${at}: slot ${s} ${x} vs ${y}`);
        return y === 0 ? 0 : (bounds[s] + ulp(y)) / Math.abs(y);
      });
      // The update, numerator/(sqrt(second moment) + eps): the second moment within its relative error, then a
      // square root, a sum, a quotient and a product (a few roundings), then the weight's own rounding. Adam's
      // numerator lr_t*m carries m's relative error; Nadam's km*m + kg*g (which may cancel) an absolute one.
      const update = Math.abs(w[i] - b.w[i]);
      const ev = errors[rms ? 0 : spec.amsgrad ? 2 : 1];
      let bound = (ev / 2 + 2 ** -21) * update + ulp(b.w[i]);
      if (spec.type === 'Adam' || spec.type === 'AdamW') bound += errors[0] * update;
      if (spec.type === 'Nadam') {
        const [km, kg, vc, eps] = [k[0], k[1], k[6], k[7]];
        const slack =
          km * (bounds[0] + ulp(b.slots[0][i])) + 2 ** -22 * (Math.abs(km * b.slots[0][i]) + Math.abs(kg * g[i]));
        bound += slack / (Math.sqrt(b.slots[1][i] * vc) + eps);
      }
      assert.ok(Math.abs(a.w[i] - b.w[i]) <= bound, `${at}: ${a.w[i]} vs ${b.w[i]}`);
    }
    const differ = a.w.filter((x, i) => x !== b.w[i]).length + a.slots[0].filter((x, i) => x !== b.slots[0][i]).length;
    assert.ok(differ > n / 10, `${spec.type}: the forms differ in the last bits (two programs compared): ${differ}`);
  }
});
