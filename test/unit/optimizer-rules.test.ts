/**
 * Each Keras update rule against steps worked out by hand from the Keras 2.x formulas (numbers from a calculator,
 * arithmetic in the comments). Weights are float32, so comparisons allow 1e-6.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KerasOptimizer, canonicalOptimizerName } from '../../src/training/worker/stock-optimizers';
import { createFusedOptimizer } from '../../src/training/worker/fused/fused-optimizers';

function steps(spec: Record<string, unknown>, w0: number[], grads: number[][]): number[][] {
  const opt = new KerasOptimizer({ type: 'x', ...spec } as never);
  const w = Float32Array.from(w0);
  return grads.map((g) => {
    opt.step([w], [Float32Array.from(g)]);
    return Array.from(w);
  });
}

function near(actual: number[], expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `index ${i}: ${a} vs ${expected[i]}`));
}

test('SGD without momentum: w -= lr * g', () => {
  // 1 - 0.1*0.5 = 0.95; -2 - 0.1*(-1) = -1.9
  const [s1] = steps({ type: 'SGD', learning_rate: 0.1 }, [1, -2], [[0.5, -1]]);
  near(s1, [0.95, -1.9]);
});

test('SGD defaults to learning_rate 0.01 and reads lr as learning_rate', () => {
  near(steps({ type: 'sgd' }, [1], [[1]])[0], [0.99]);
  near(steps({ type: 'SGD', lr: 0.5 }, [1], [[1]])[0], [0.5]);
});

test('SGD momentum: v = m*v - lr*g; w += v (two steps)', () => {
  // v1 = -0.05, w1 = 0.95; v2 = 0.9*-0.05 - 0.05 = -0.095, w2 = 0.855
  const [s1, s2] = steps({ type: 'SGD', learning_rate: 0.1, momentum: 0.9 }, [1], [[0.5], [0.5]]);
  near(s1, [0.95]);
  near(s2, [0.855]);
});

test('SGD Nesterov: w += m*v - lr*g (two steps)', () => {
  // v1 = -0.05, w1 = 1 + 0.9*-0.05 - 0.05 = 0.905; v2 = -0.095, w2 = 0.905 - 0.0855 - 0.05 = 0.7695
  const [s1, s2] = steps({ type: 'SGD', learning_rate: 0.1, momentum: 0.9, nesterov: true }, [1], [[0.5], [0.5]]);
  near(s1, [0.905]);
  near(s2, [0.7695]);
});

test('RMSprop: epsilon outside the square root, Keras defaults', () => {
  // ms = 0.1*4 = 0.4; w = 1 - 0.001*2/(sqrt(0.4)+1e-7) = 0.99683772284; a zero gradient leaves w alone.
  const [s1] = steps({ type: 'RMSprop' }, [1, 3], [[2, 0]]);
  near(s1, [0.9968377228, 3]);
});

test('RMSprop momentum: epsilon inside the square root (two steps)', () => {
  // ms1 = 0.1, mom1 = 0.01/sqrt(0.1+1e-7), w1 = 0.96837723921
  // ms2 = 0.19, mom2 = 0.5*mom1 + 0.01/sqrt(0.19+1e-7), w2 = 0.92962429146
  const [s1, s2] = steps({ type: 'RMSprop', learning_rate: 0.01, momentum: 0.5 }, [1], [[1], [1]]);
  near(s1, [0.9683772392]);
  near(s2, [0.9296242915]);
});

test('RMSprop centered subtracts the squared mean gradient', () => {
  // ms = 0.1, mg = 0.1, denom = 0.1 - 0.01 = 0.09; w = 1 - 0.01/(0.3 + 1e-7) = 0.96666667778
  near(steps({ type: 'RMSprop', learning_rate: 0.01, centered: true }, [1], [[1]])[0], [0.9666666778]);
});

test('Adam: epsilon-hat form with lr_t = lr*sqrt(1-b2^t)/(1-b1^t) (two steps)', () => {
  // t1: m = 0.05, v = 0.00025, lr_t = 0.1*sqrt(0.001)/0.1; w1 = 0.90000063245
  // t2 (g = -1): m = -0.055, v = 0.00124975, lr_t = 0.1*sqrt(0.001999)/0.19; w2 = 0.93661088160
  const [s1, s2] = steps({ type: 'Adam', learning_rate: 0.1 }, [1], [[0.5], [-1]]);
  near(s1, [0.9000006325]);
  near(s2, [0.9366108816]);
});

test('Adam amsgrad keeps the largest second moment (two steps)', () => {
  // t1 (g = 1): m = 0.1, v = vhat = 0.001; w1 = 0.90000031623
  // t2 (g = 0): m = 0.09, v = 0.000999 < vhat = 0.001; w2 = 0.83302821389 (plain Adam would give 0.83299470)
  const [s1, s2] = steps({ type: 'Adam', learning_rate: 0.1, amsgrad: true }, [1], [[1], [0]]);
  near(s1, [0.9000003162]);
  near(s2, [0.8330282139]);
  near(steps({ type: 'Adam', learning_rate: 0.1 }, [1], [[1], [0]])[1], [0.8329947028]);
});

test('Adagrad: accumulator starts at initial_accumulator_value 0.1', () => {
  // acc = 0.1 + 0.25 = 0.35; w = 1 - 0.1*0.5/(sqrt(0.35)+1e-7) = 0.91548458881
  near(steps({ type: 'Adagrad', learning_rate: 0.1 }, [1], [[0.5]])[0], [0.9154845888]);
});

test('Adamax: infinity norm u = max(b2*u, |g|) (two steps)', () => {
  // t1: m = 0.05, u = 0.5, w1 = 1 - (0.1/0.1)*0.05/(0.5+1e-7) = 0.90000002
  // t2 (g = -0.2): m = 0.025, u = max(0.4995, 0.2) = 0.4995; w2 = w1 - (0.1/0.19)*0.025/(0.4995+1e-7) = 0.87365789367
  const [s1, s2] = steps({ type: 'Adamax', learning_rate: 0.1 }, [1], [[0.5], [-0.2]]);
  near(s1, [0.90000002]);
  near(s2, [0.8736578937]);
});

test('Adadelta: update scaled by the running RMS of past updates (two steps)', () => {
  // t1: acc = 0.0125, upd = sqrt(1e-7)/sqrt(0.0125+1e-7)*0.5 = 0.00141420791, w1 = 0.99858579209
  // t2: acc_upd = 0.05*upd^2, acc = 0.02425; w2 = 0.99715356815
  const [s1, s2] = steps({ type: 'Adadelta', learning_rate: 1, rho: 0.95 }, [1], [[0.5], [0.5]]);
  near(s1, [0.9985857921]);
  near(s2, [0.9971535681]);
});

test('Adadelta defaults to learning_rate 0.001 (Keras 2.x), not 1.0', () => {
  // w = 1 - 0.001 * 0.00141420791
  near(steps({ type: 'Adadelta' }, [1], [[0.5]])[0], [0.9999985858], 1e-7);
});

test('names are matched case-insensitively and unknown ones are refused in one sentence', () => {
  assert.equal(canonicalOptimizerName('rmsprop'), 'RMSprop');
  assert.equal(canonicalOptimizerName('ADAM'), 'Adam');
  assert.throws(() => new KerasOptimizer({ type: 'Lion' }), /Unknown optimizer 'Lion': use one of SGD, RMSprop/);
});

test('each weight keeps its own slots', () => {
  // Two weights, momentum 0.9: the second weight's velocity must not leak into the first.
  const opt = new KerasOptimizer({ type: 'SGD', learning_rate: 0.1, momentum: 0.9 });
  const a = Float32Array.from([1]);
  const b = Float32Array.from([1]);
  opt.step([a, b], [Float32Array.from([0.5]), Float32Array.from([0])]);
  opt.step([a, b], [Float32Array.from([0.5]), Float32Array.from([0])]);
  near(Array.from(a), [0.855]);
  near(Array.from(b), [1]);
});

/**
 * Keras 3's own golden values (keras/src/optimizers/nadam_test.py, adamw_test.py): ten weights at 1, a first step
 * with gradient 0.01 each, then steps with gradients 0.1, 0.2, …, 1.0; Keras checks them within 5e-4.
 */
function golden(spec: Record<string, unknown>): number[][] {
  const opt = new KerasOptimizer({ type: 'x', ...spec } as never);
  const x = new Float32Array(10).fill(1);
  const grads = Float32Array.from({ length: 10 }, (_, i) => (i + 1) / 10);
  opt.step([x], [new Float32Array(10).fill(0.01)]);
  const rows: number[][] = [];
  for (let i = 0; i < 5; i++) {
    rows.push(Array.from(x));
    opt.step([x], [grads]);
  }
  return rows;
}

test("Nadam follows Keras 3's golden values (momentum cache u_t = b1*(1 - 0.5*0.96^t))", () => {
  const rows = golden({ type: 'Nadam', learning_rate: 0.5, beta_1: 0.5, beta_2: 0.67, epsilon: 1e-5 });
  const expected = [
    [0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281, 0.4281],
    [-0.1738, -0.1731, -0.1726, -0.1723, -0.1721, -0.172, -0.1719, -0.1718, -0.1718, -0.1717],
    [-0.7115, -0.7103, -0.7096, -0.7092, -0.709, -0.7088, -0.7086, -0.7085, -0.7085, -0.7084],
    [-1.2335, -1.2322, -1.2313, -1.2309, -1.2306, -1.2304, -1.2302, -1.2301, -1.23, -1.2299],
    [-1.7492, -1.7478, -1.7469, -1.7464, -1.7461, -1.7459, -1.7457, -1.7456, -1.7455, -1.7454],
  ];
  rows.forEach((row, i) => near(row, expected[i], 5e-4 + 5e-4 * Math.abs(expected[i][0])));
});

test("Nadam's single step and defaults (Keras 3's test_single_step; lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7)", () => {
  // Step 1: u1 = 0.9*(1-0.5*0.96) = 0.468, u2 = 0.9*(1-0.5*0.9216) = 0.48528; m = 0.1g, v = 0.001g^2;
  // m_hat = 0.48528*0.1g/(1-0.468*0.48528) + g = 1.0627888 g, sqrt(v_hat) = |g|: w -= lr*1.0627888 (sign of g).
  near(
    steps({ type: 'Nadam', learning_rate: 0.5 }, [1, 2, 3, 4], [[1, 6, 7, 2]])[0],
    [0.4686, 1.4686, 2.4686, 3.4686],
    1e-4,
  );
  near(steps({ type: 'nadam' }, [1], [[1]])[0], [1 - 0.001 * 1.0627888], 1e-6);
});

test("AdamW follows Keras 3's golden values (decay w -= w*weight_decay*lr before the Adam step)", () => {
  const rows = golden({ type: 'AdamW', learning_rate: 1, weight_decay: 0.5, epsilon: 2 });
  const expected = [
    [0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998, 0.4998],
    [0.2486, 0.2475, 0.2463, 0.2451, 0.244, 0.2428, 0.2417, 0.2405, 0.2394, 0.2382],
    [0.1223, 0.1198, 0.1174, 0.1149, 0.1124, 0.11, 0.1075, 0.1051, 0.1027, 0.1003],
    [0.0586, 0.0549, 0.0512, 0.0475, 0.0439, 0.0402, 0.0366, 0.033, 0.0294, 0.0258],
    [0.0263, 0.0215, 0.0167, 0.012, 0.0073, 0.0026, -0.0021, -0.0067, -0.0113, -0.0159],
  ];
  rows.forEach((row, i) => near(row, expected[i], 5e-4 + 5e-4 * Math.abs(expected[i][0])));
});

test("AdamW's single step with Keras defaults (weight_decay 0.004; Keras 3's test_single_step)", () => {
  near(
    steps({ type: 'AdamW', learning_rate: 0.5 }, [1, 2, 3, 4], [[1, 6, 7, 2]])[0],
    [0.498, 1.496, 2.494, 3.492],
    1e-4,
  );
  near(steps({ type: 'adamw' }, [1], [[0]])[0], [1 - 0.004 * 0.001], 1e-7);
});

test('weight_decay on any optimizer: w -= w*weight_decay*lr before its update (Keras 3 test_weight_decay)', () => {
  // Three optimizers, lr 1, weight_decay 0.004, zero gradients, one step each: 2*0.996^3 = 1.9760959.
  for (const type of ['Nadam', 'AdamW', 'SGD', 'RMSprop', 'Adagrad']) {
    const w = Float32Array.from([2]);
    for (let k = 0; k < 3; k++)
      new KerasOptimizer({ type, learning_rate: 1, weight_decay: 0.004 }).step([w], [Float32Array.from([0])]);
    near(Array.from(w), [1.9760959], 1e-6);
  }
  // SGD momentum 0.9, lr 0.1, wd 0.5: t1 w = 1 - 0.05 = 0.95, v = -0.1*0.5, w = 0.9; t2 w = 0.9 - 0.045 = 0.855,
  // v = 0.9*-0.05 - 0.05 = -0.095, w = 0.76.
  const [s1, s2] = steps({ type: 'SGD', learning_rate: 0.1, momentum: 0.9, weight_decay: 0.5 }, [1], [[0.5], [0.5]]);
  near(s1, [0.9]);
  near(s2, [0.76]);
  assert.throws(
    () => new KerasOptimizer({ type: 'Adam', weight_decay: -1 }),
    /Optimizer Adam: weight_decay must be a number >= 0, got -1\./,
  );
});

test('a resumed Nadam continues its momentum schedule from the saved step count (stock and fused)', () => {
  const grads = [0.5, -0.2, 0.3, 0.1, -0.4].map((g) => Float32Array.from([g, g / 2]));
  const straight = new KerasOptimizer({ type: 'Nadam', learning_rate: 0.1 });
  const w = Float32Array.from([1, -1]);
  for (const g of grads) straight.step([w], [g]);
  const first = new KerasOptimizer({ type: 'Nadam', learning_rate: 0.1 });
  const r = Float32Array.from([1, -1]);
  for (const g of grads.slice(0, 3)) first.step([r], [g]);
  const resumed = new KerasOptimizer({ type: 'Nadam', learning_rate: 0.1 });
  resumed.restore(first.iterations, first.slots());
  for (const g of grads.slice(3)) resumed.step([r], [g]);
  near(Array.from(r), Array.from(w), 0);
  // The fused one, resumed from the stock one's state after step 3, reaches the same weights.
  const base = Float32Array.from([1, -1]);
  const warm = new KerasOptimizer({ type: 'Nadam', learning_rate: 0.1 });
  for (const g of grads.slice(0, 3)) warm.step([base], [g]);
  const fused = createFusedOptimizer({ type: 'Nadam', learning_rate: 0.1 }, undefined, [2])!;
  fused.importSlots(warm.iterations, 0.1, warm.slots());
  for (const g of grads.slice(3)) {
    fused.beginStep();
    fused.update(0, base, g, base);
  }
  near(Array.from(base), Array.from(w), 1e-6);
});
