/** Keras losses and `accuracy` resolution against values worked out by hand. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { TF } from '../../src/training/worker/engine';
import { selectBackend } from '../../src/training/backend';
import {
  canonicalLoss,
  computeLoss,
  countCorrect,
  crossentropyFromLogits,
  outputLoss,
  resolveAccuracy,
} from '../../src/training/worker/losses';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

const value = (t: { dataSync(): ArrayLike<number> }) => t.dataSync()[0];
const near = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('sparse categorical crossentropy is the mean of -log p[label]', () => {
  // -(ln 0.7 + ln 0.8) / 2 = 0.28990925
  const p = tf.tensor2d([
    [0.7, 0.2, 0.1],
    [0.1, 0.8, 0.1],
  ]);
  near(value(computeLoss(tf, 'sparse_categorical_crossentropy', tf.tensor1d([0, 1], 'int32'), p)), 0.2899092476);
});

test('crossentropy of probabilities (an output that is not softmax/sigmoid) clips them at 1e-7 as Keras does', () => {
  // p[label] = 0 → -ln(1e-7) = 16.1180957
  const p = tf.tensor2d([[1, 0, 0]]);
  near(value(computeLoss(tf, 'sparse_categorical_crossentropy', tf.tensor1d([1], 'int32'), p)), 16.11809565, 1e-3);
});

test('categorical crossentropy rescales rows to sum to one', () => {
  // [0.5, 0.25, 0.25] with label 1: ln 4 = 1.38629436; [1, 1, 2] rescales to [.25, .25, .5], label 2: ln 2
  near(
    value(computeLoss(tf, 'categorical_crossentropy', tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[0.5, 0.25, 0.25]]))),
    1.3862944,
  );
  near(
    value(computeLoss(tf, 'categorical_crossentropy', tf.tensor2d([[0, 0, 1]]), tf.tensor2d([[1, 1, 2]]))),
    0.6931472,
  );
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
  const p = tf.tensor2d([
    [0.7, 0.2, 0.1],
    [0.1, 0.8, 0.1],
  ]);
  assert.equal(value(countCorrect(tf, 'sparse_categorical', tf.tensor1d([0, 2], 'int32'), p)), 1);
  assert.equal(
    value(
      countCorrect(
        tf,
        'categorical',
        tf.tensor2d([
          [1, 0, 0],
          [0, 1, 0],
        ]),
        p,
      ),
    ),
    2,
  );
  // predictions 1, 0, 0 (0.5 is not above 0.5) vs labels 1, 0, 1
  assert.equal(value(countCorrect(tf, 'binary', tf.tensor2d([[1], [0], [1]]), tf.tensor2d([[0.8], [0.4], [0.5]]))), 2);
});

// ---- From logits: what Keras computes for a softmax or sigmoid output ---------------------------------------------

test('sparse crossentropy from logits is logsumexp(z) − z[label], unclipped', () => {
  // z = [20, 0, 0], label 2: ln(e^20 + 2) − 0 = 20 + ln(1 + 2e^−20) = 20.0000000041 (Keras prints 20); the clipped
  // probability form would stop at −ln(1e-7) = 16.118.
  const loss = crossentropyFromLogits(
    tf,
    'sparse_categorical_crossentropy',
    tf.tensor1d([2], 'int32'),
    tf.tensor2d([[20, 0, 0]]),
  );
  near(value(loss), 20.0000000041, 1e-5);
  // Logits far beyond exp's float32 range stay finite: z = [1000, 0], label 1 → 1000.
  near(
    value(
      crossentropyFromLogits(
        tf,
        'sparse_categorical_crossentropy',
        tf.tensor1d([1], 'int32'),
        tf.tensor2d([[1000, 0]]),
      ),
    ),
    1000,
    1e-3,
  );
});

test('a confidently wrong example still has a gradient: softmax(z) − onehot(label)', () => {
  // d/dz of logsumexp(z) − z_2 at z = [20, 0, 0] is softmax(z) − [0, 0, 1] = [1 − 2e^−20·…, e^−20, e^−20 − 1] ≈ [1, 0, −1].
  // Through clipped probabilities the same example has gradient 0 (the clip is flat there).
  const y = tf.tensor1d([2], 'int32');
  const z = tf.tensor2d([[20, 0, 0]]);
  const fromLogits = Array.from(
    tf
      .grad((t) => crossentropyFromLogits(tf, 'sparse_categorical_crossentropy', y, t))(z)
      .dataSync(),
  );
  [1, 0, -1].forEach((g, i) => near(fromLogits[i], g, 1e-6));
  const clipped = Array.from(
    tf
      .grad((t) => computeLoss(tf, 'sparse_categorical_crossentropy', y, tf.softmax(t)))(z)
      .dataSync(),
  );
  assert.ok(
    clipped.every((g) => Math.abs(g) < 1e-6),
    `clipped gradient ${clipped}`,
  );
});

test('categorical crossentropy from logits does not rescale the labels (softmax_cross_entropy_with_logits)', () => {
  // z = [1, 2, 3]: logsumexp = 3 + ln(1 + e^−1 + e^−2) = 3.4076059644; label [0, 0, 1] → 0.4076059644,
  // label [0, 0, 2] → twice that (the probability form would rescale it to [0, 0, 1]).
  const z = tf.tensor2d([[1, 2, 3]]);
  near(value(crossentropyFromLogits(tf, 'categorical_crossentropy', tf.tensor2d([[0, 0, 1]]), z)), 0.4076059644);
  near(value(crossentropyFromLogits(tf, 'categorical_crossentropy', tf.tensor2d([[0, 0, 2]]), z)), 0.8152119288);
});

test('binary crossentropy from logits is max(z, 0) − z·y + log(1 + e^−|z|), batch mean', () => {
  // z = 2, y = 1: ln(1 + e^−2) = 0.1269280110; z = −1, y = 0: ln(1 + e^−1) = 0.3132616875; mean 0.2200948493.
  near(
    value(crossentropyFromLogits(tf, 'binary_crossentropy', tf.tensor2d([[1], [0]]), tf.tensor2d([[2], [-1]]))),
    0.2200948493,
  );
  // z = 100, y = 0: 100 exactly (clipped probabilities would give −ln(1e-7) ≈ 16.1).
  near(value(crossentropyFromLogits(tf, 'binary_crossentropy', tf.tensor2d([[0]]), tf.tensor2d([[100]]))), 100, 1e-4);
});

test('binary crossentropy from logits has gradient sigmoid(z) − y, also at z = 0', () => {
  // At z = 0 the gradient is 0.5 − y; a relu/abs formulation would give −y there.
  const y = tf.tensor2d([[1], [0]]);
  const z = tf.tensor2d([[0], [0]]);
  const g = Array.from(
    tf
      .grad((t) => crossentropyFromLogits(tf, 'binary_crossentropy', y, t))(z)
      .dataSync(),
  );
  // The batch mean divides each example's gradient by 2.
  near(g[0], -0.25, 1e-7);
  near(g[1], 0.25, 1e-7);
});

test('outputLoss uses logits for crossentropies only; mse of a softmax output stays on its probabilities', () => {
  const logits = tf.tensor2d([[20, 0, 0]]);
  const output = tf.softmax(logits);
  near(
    value(outputLoss(tf, 'sparse_categorical_crossentropy', tf.tensor1d([2], 'int32'), { output, logits })),
    20,
    1e-5,
  );
  near(
    value(outputLoss(tf, 'sparse_categorical_crossentropy', tf.tensor1d([2], 'int32'), { output })),
    16.11809565,
    1e-3,
  );
  // mse of p ≈ [1, 0, 0] against [0, 0, 1]: (1 + 0 + 1) / 3.
  near(value(outputLoss(tf, 'mse', tf.tensor2d([[0, 0, 1]]), { output, logits })), 2 / 3);
});
