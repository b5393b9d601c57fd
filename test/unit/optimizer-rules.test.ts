/**
 * Each Keras update rule against steps worked out by hand from the Keras 2.x formulas (numbers from a calculator,
 * arithmetic in the comments). Weights are float32, so comparisons allow 1e-6.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KerasOptimizer, canonicalOptimizerName } from '../../src/training/worker/stock-optimizers';

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
