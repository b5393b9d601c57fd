/**
 * The fused engine's crossentropies work from the logits of a softmax or sigmoid output, as Keras 2.x does: no
 * clipping, so a confidently wrong example keeps its full loss and passes gradient. Expected values are worked out
 * by hand from Keras's formulas on one-weight layers (written next to each number).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { TF } from '../../src/training/worker/engine';
import { DenseStack } from '../../src/training/worker/fused/dense-stack';
import { planStack } from '../../src/training/worker/fused/eligibility';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** A single Dense layer on one input feature with the given kernel row and zero bias. */
function oneLayer(kernel: number[], activation: 'softmax' | 'sigmoid'): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: kernel.length, activation, inputShape: [1] })] });
  model.setWeights([tf.tensor2d([kernel]), tf.zeros([kernel.length])]);
  return model;
}

/** Loss, correct count and gradients (kernel, bias) of one pass, without updating. */
function pass(model: tf.LayersModel, loss: string, x: number[], y: tf.Tensor) {
  const plan = planStack(model, loss, true);
  assert.ok(typeof plan !== 'string', String(plan));
  const stack = new DenseStack(tf as unknown as TF, plan);
  let grads: number[][] = [];
  const result = stack.pass(tf.tensor2d(x, [x.length, 1]), y, undefined, (g) => (grads = g.map((a) => Array.from(a))));
  stack.dispose();
  return { ...result, grads };
}

function near(actual: number, expected: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

// Kernel [10, -10]: x = 2 gives logits z = [20, -20] (confidently class 0); x = 0 gives z = [0, 0].
// Example 1, label 1: loss = logsumexp(z) - z_1 = (20 + ln(1 + e^-40)) + 20 = 40 (clipping would give 16.118),
//   dz = softmax(z) - onehot = [1, -1] (clipping would give 0).
// Example 2, label 0: loss = ln 2 = 0.693147, dz = [0.5 - 1, 0.5] = [-0.5, 0.5].
// Batch mean: loss (40 + 0.693147) / 2 = 20.346574; dW = (2·[1, -1] + 0·[-0.5, 0.5]) / 2 = [1, -1];
// db = ([1, -1] + [-0.5, 0.5]) / 2 = [0.25, -0.25]. Accuracy: argmax [20, -20] = 0 ≠ 1, argmax [0, 0] = 0 = 0: 1.
const SOFTMAX_EXPECTED = { loss: 20.346574, kernel: [1, -1], bias: [0.25, -0.25], correct: 1 };

for (const loss of ['sparse_categorical_crossentropy', 'categorical_crossentropy']) {
  test(`${loss} after softmax: loss and gradient from the logits, no clipping`, () => {
    const y = loss.startsWith('sparse')
      ? tf.tensor1d([1, 0], 'int32')
      : tf.tensor2d([
          [0, 1],
          [1, 0],
        ]);
    const r = pass(oneLayer([10, -10], 'softmax'), loss, [2, 0], y);
    near(r.loss, SOFTMAX_EXPECTED.loss, 'loss');
    r.grads[0].forEach((g, j) => near(g, SOFTMAX_EXPECTED.kernel[j], `dW[${j}]`));
    r.grads[1].forEach((g, j) => near(g, SOFTMAX_EXPECTED.bias[j], `db[${j}]`));
    assert.equal(r.correct, SOFTMAX_EXPECTED.correct);
  });
}

test('binary crossentropy after one sigmoid unit: max(z,0) - z·y + log(1 + e^-|z|), dz = (sigmoid(z) - y) / n', () => {
  // Kernel [10]: x = 3 gives z = 30 with label 0: loss = 30 + ln(1 + e^-30) = 30 (clipping would give 15.42),
  // dz = sigmoid(30) - 0 = 1. x = 0 gives z = 0 with label 1: loss = ln 2 = 0.693147, dz = 0.5 - 1 = -0.5.
  // Mean loss 15.346574; dW = (3·1 + 0·(-0.5)) / 2 = 1.5; db = (1 - 0.5) / 2 = 0.25.
  // Binary accuracy: sigmoid(30) > 0.5 predicts 1 ≠ 0; sigmoid(0) = 0.5 is not > 0.5, predicts 0 ≠ 1: 0 correct.
  const r = pass(oneLayer([10], 'sigmoid'), 'binary_crossentropy', [3, 0], tf.tensor2d([[0], [1]]));
  near(r.loss, 15.346574, 'loss');
  near(r.grads[0][0], 1.5, 'dW');
  near(r.grads[1][0], 0.25, 'db');
  assert.equal(r.correct, 0);
});

test('binary crossentropy over several sigmoid units is averaged over the units, then over the batch', () => {
  // Kernel [1, -1], x = 2: z = [2, -2], labels [1, 1]. ln(1 + e^-2) = 0.126928.
  // Unit 1: 2 - 2 + 0.126928 = 0.126928; unit 2: 0 + 2 + 0.126928 = 2.126928; mean over units 1.126928.
  // dz = (sigmoid(z) - y) / (1 · 2) with sigmoid(2) = 0.880797, sigmoid(-2) = 0.119203: [-0.059601, -0.440399];
  // dW = 2 · dz = [-0.119203, -0.880797]; db = dz.
  const r = pass(oneLayer([1, -1], 'sigmoid'), 'binary_crossentropy', [2], tf.tensor2d([[1, 1]]));
  near(r.loss, 1.126928, 'loss');
  [-0.119203, -0.880797].forEach((v, j) => near(r.grads[0][j], v, `dW[${j}]`));
  [-0.059601, -0.440399].forEach((v, j) => near(r.grads[1][j], v, `db[${j}]`));
});

test('a sparse label outside the classes adds no loss and no gradient (tf.oneHot gives an all-zero row)', () => {
  // Only example 2 of the softmax case counts: loss ln 2 / 2 = 0.346574; dW = 0·[-0.5, 0.5] / 2 = [0, 0];
  // db = [-0.5, 0.5] / 2 = [-0.25, 0.25].
  const r = pass(
    oneLayer([10, -10], 'softmax'),
    'sparse_categorical_crossentropy',
    [2, 0],
    tf.tensor1d([7, 0], 'int32'),
  );
  near(r.loss, 0.346574, 'loss');
  r.grads[0].forEach((g, j) => near(g, 0, `dW[${j}]`));
  [-0.25, 0.25].forEach((v, j) => near(r.grads[1][j], v, `db[${j}]`));
});
