/** The forward pass splits a softmax/sigmoid output layer into logits and activation, as Keras's losses see it. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import { selectBackend } from '../../src/training/backend';
import { buildModel } from '../../src/training/worker/build-model';
import type { TF } from '../../src/training/worker/engine';
import { evaluateSplit } from '../../src/training/worker/evaluate';
import { forward, logitsActivation } from '../../src/training/worker/forward';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

const near = (a: ArrayLike<number>, b: number[], tol = 1e-5) =>
  b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol, `[${i}] ${a[i]} vs ${v} (${Array.from(a)})`));

function model(layers: ModelDefinition['layers'], inputShape = [2]) {
  return buildModel(tf, { layers }, { names: layers.map((_, i) => `l${i}`), inputShape, seed: 1 });
}

/** Kernel [[1, -1, 0], [2, 0, 1]] and bias [0.5, 0, -0.5]: x = [1, 1] gives z = [3.5, -1, 0.5]. */
function setDense(m: ReturnType<typeof model>, index: number) {
  const kernel = tf.tensor2d([
    [1, -1, 0],
    [2, 0, 1],
  ]);
  const bias = tf.tensor1d([0.5, 0, -0.5]);
  m.layers[index].setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);
}

test('a Dense softmax output gives its logits x·W + b and softmax of them, equal to predict', () => {
  const m = model([{ type: 'Dense', units: 3, activation: 'softmax', input_shape: [2] }]);
  setDense(m, 0);
  assert.equal(logitsActivation(m), 'softmax');
  const x = tf.tensor2d([
    [1, 1],
    [0, 2],
  ]);
  const out = forward(tf, m, x, false);
  // Row 2: x = [0, 2] → z = [4.5, 0, 1.5].
  near(out.logits!.dataSync(), [3.5, -1, 0.5, 4.5, 0, 1.5]);
  // softmax([3.5, −1, 0.5]) = [e^3.5, e^−1, e^0.5] / 35.132052 = [0.942599, 0.010471, 0.046929]
  near(out.output.dataSync().slice(0, 3), [0.942599, 0.010471, 0.046929]);
  near(out.output.dataSync(), Array.from((m.predict(x) as ReturnType<typeof tf.tensor>).dataSync()), 1e-6);
  m.dispose();
});

test('an Activation(sigmoid) output layer: the logits are its input', () => {
  const m = model([
    { type: 'Dense', units: 3, input_shape: [2] },
    { type: 'Activation', activation: 'sigmoid' },
  ]);
  setDense(m, 0);
  assert.equal(logitsActivation(m), 'sigmoid');
  const out = forward(tf, m, tf.tensor2d([[1, 1]]), false);
  near(out.logits!.dataSync(), [3.5, -1, 0.5]);
  // sigmoid(3.5) = 0.970688, sigmoid(−1) = 0.268941, sigmoid(0.5) = 0.622459
  near(out.output.dataSync(), [0.970688, 0.268941, 0.622459]);
  m.dispose();
});

test('other outputs (relu, linear, softmax before a Dropout) have no logits', () => {
  const relu = model([{ type: 'Dense', units: 3, activation: 'relu', input_shape: [2] }]);
  assert.equal(logitsActivation(relu), undefined);
  assert.equal(forward(tf, relu, tf.tensor2d([[1, 1]]), false).logits, undefined);
  const dropped = model([
    { type: 'Dense', units: 3, activation: 'softmax', input_shape: [2] },
    { type: 'Dropout', rate: 0.5 },
  ]);
  assert.equal(logitsActivation(dropped), undefined);
  relu.dispose();
  dropped.dispose();
});

test('evaluation loss of a confidently wrong softmax model is the logit gap, not the 1e-7 clip', () => {
  // x = [10, 10] with the kernel above: z = [30.5, −10, 9.5]; label 1 → logsumexp(z) − z_1 = 30.5 + ln(1 + e^−40.5 + e^−21)
  // + 10 = 40.5 (to 1e-9). Clipped probabilities would give 16.118.
  const m = model([{ type: 'Dense', units: 3, activation: 'softmax', input_shape: [2] }]);
  setDense(m, 0);
  const score = evaluateSplit(
    tf,
    m,
    { x: Float32Array.from([10, 10]), y: Int32Array.from([1]), count: 1 },
    {
      loss: 'sparse_categorical_crossentropy',
      shape: { inputShape: [2], exampleSize: 2, scale: 1, labels: 'sparse', numClasses: 3 },
    },
  );
  assert.ok(Math.abs(score.loss - 40.5) < 1e-4, `${score.loss}`);
  m.dispose();
});

test("AlphaDropout while training is Keras's: dropped values at SELU's saturation, then a·x + b; the identity otherwise", () => {
  const rate = 0.25;
  const m = model([{ type: 'AlphaDropout', rate, input_shape: [4000] }], [4000]);
  // Standard normal inputs (as after 'selu' with 'lecun_normal'): the layer keeps zero mean and unit variance.
  let seed = 7;
  const draw = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const values = Array.from(
    { length: 4000 },
    () => Math.sqrt(-2 * Math.log(1 - draw())) * Math.cos(2 * Math.PI * draw()),
  );
  const x = tf.tensor2d([values]);
  const uniform = Array.from({ length: 4000 }, draw);
  let i = 0;
  const out = forward(tf, m, x, true, () => uniform[i++]).output.dataSync();
  const p = -1.6732632423543772 * 1.0507009873554805;
  const a = ((1 - rate) * (1 + rate * p * p)) ** -0.5;
  const b = -a * p * rate;
  const expected = values.map((v, k) => (uniform[k] >= rate ? a * v + b : a * p + b));
  near(out, expected, 1e-5);
  const mean = expected.reduce((s, v) => s + v, 0) / expected.length;
  const variance = expected.reduce((s, v) => s + (v - mean) ** 2, 0) / expected.length;
  assert.ok(Math.abs(mean) < 0.06 && Math.abs(variance - 1) < 0.08, `mean ${mean}, variance ${variance}`);
  near(forward(tf, m, x, false).output.dataSync(), Array.from(Float32Array.from(values)), 0);
});
