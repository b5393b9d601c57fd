/** Keras losses and `accuracy` resolution against values worked out by hand. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { TF } from '../../src/training/engine';
import { selectBackend } from '../../src/training/backend';
import { canonicalLoss, computeLoss, countCorrect, resolveAccuracy } from '../../src/training/losses';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

const value = (t: { dataSync(): ArrayLike<number> }) => t.dataSync()[0];
const near = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('sparse categorical crossentropy is the mean of -log p[label]', () => {
  // -(ln 0.7 + ln 0.8) / 2 = 0.28990925
  const p = tf.tensor2d([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]);
  near(value(computeLoss(tf, 'sparse_categorical_crossentropy', tf.tensor1d([0, 1], 'int32'), p)), 0.2899092476);
});

test('crossentropy clips probabilities at 1e-7 as Keras does', () => {
  // p[label] = 0 → -ln(1e-7) = 16.1180957
  const p = tf.tensor2d([[1, 0, 0]]);
  near(value(computeLoss(tf, 'sparse_categorical_crossentropy', tf.tensor1d([1], 'int32'), p)), 16.11809565, 1e-3);
});

test('categorical crossentropy rescales rows to sum to one', () => {
  // [0.5, 0.25, 0.25] with label 1: ln 4 = 1.38629436; [1, 1, 2] rescales to [.25, .25, .5], label 2: ln 2
  near(value(computeLoss(tf, 'categorical_crossentropy', tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[0.5, 0.25, 0.25]]))), 1.3862944);
  near(value(computeLoss(tf, 'categorical_crossentropy', tf.tensor2d([[0, 0, 1]]), tf.tensor2d([[1, 1, 2]]))), 0.6931472);
});

test('binary crossentropy: -(y log(p+eps) + (1-y) log(1-p+eps)), batch mean', () => {
  // -(ln(0.8+1e-7) + ln(0.6+1e-7)) / 2 = 0.36698444
  const loss = computeLoss(tf, 'binary_crossentropy', tf.tensor2d([[1], [0]]), tf.tensor2d([[0.8], [0.4]]));
  near(value(loss), 0.3669844417);
});

test('mse and mae', () => {
  // errors 1 and -2: mse (1 + 4)/2 = 2.5, mae (1 + 2)/2 = 1.5
  const y = tf.tensor2d([[2], [1]]);
  const p = tf.tensor2d([[1], [3]]);
  near(value(computeLoss(tf, 'mse', y, p)), 2.5);
  near(value(computeLoss(tf, 'mae', y, p)), 1.5);
});

test('long and short loss names resolve to the same loss', () => {
  assert.equal(canonicalLoss('mean_squared_error'), 'mse');
  assert.equal(canonicalLoss('mae'), 'mae');
  assert.equal(canonicalLoss('sparse_categorical_crossentropy'), 'sparse_categorical_crossentropy');
  assert.equal(canonicalLoss('hinge'), undefined);
});

test('accuracy resolves as Keras compile_utils does', () => {
  assert.equal(resolveAccuracy('sparse_categorical_crossentropy', 10), 'sparse_categorical');
  assert.equal(resolveAccuracy('categorical_crossentropy', 10), 'categorical');
  assert.equal(resolveAccuracy('binary_crossentropy', 1), 'binary');
  assert.equal(resolveAccuracy('mse', 1), 'binary');
});

test('correct counts: argmax for categorical, threshold 0.5 (strictly above) for binary', () => {
  const p = tf.tensor2d([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]);
  assert.equal(value(countCorrect(tf, 'sparse_categorical', tf.tensor1d([0, 2], 'int32'), p)), 1);
  assert.equal(value(countCorrect(tf, 'categorical', tf.tensor2d([[1, 0, 0], [0, 1, 0]]), p)), 2);
  // predictions 1, 0, 0 (0.5 is not above 0.5) vs labels 1, 0, 1
  assert.equal(value(countCorrect(tf, 'binary', tf.tensor2d([[1], [0], [1]]), tf.tensor2d([[0.8], [0.4], [0.5]]))), 2);
});
