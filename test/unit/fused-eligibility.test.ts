/** Which models the fused engine takes, and the plain reason it gives for the ones it leaves to the stock engine. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fusedIneligibility } from '../../src/training/worker/fused/index';
import { planConvStack } from '../../src/training/worker/fused/conv-eligibility';
import { planStack } from '../../src/training/worker/fused/eligibility';
import type { TF } from '../../src/training/worker/engine';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const L = tf.layers;
const seq = (...layers: tf.layers.Layer[]) => tf.sequential({ layers });

test('the canonical Flatten > Dense(relu) > Dense(softmax) is planned as two Dense layers', () => {
  const model = seq(
    L.flatten({ inputShape: [28, 28] }),
    L.dense({ units: 100, activation: 'relu' }),
    L.dense({ units: 10, activation: 'softmax' }),
  );
  const plan = planStack(model, 'sparse_categorical_crossentropy', true);
  assert.ok(typeof plan !== 'string', String(plan));
  assert.deepEqual(
    plan.layers.map((l) => [l.inputs, l.units, l.activation, l.dropout, !!l.bias]),
    [
      [784, 100, 'relu', 0, true],
      [100, 10, 'softmax', 0, true],
    ],
  );
  assert.equal(plan.loss, 'sparse_crossentropy');
  assert.equal(plan.accuracy, 'sparse_categorical');
});

test('Activation layers fold into the Dense before them, Dropout attaches to the next Dense input', () => {
  const model = seq(
    L.dense({ units: 8, inputShape: [4] }),
    L.activation({ activation: 'tanh' }),
    L.dropout({ rate: 0.25 }),
    L.dense({ units: 3, useBias: false }),
    L.activation({ activation: 'softmax' }),
  );
  const plan = planStack(model, 'categorical_crossentropy', true);
  assert.ok(typeof plan !== 'string', String(plan));
  assert.deepEqual(
    plan.layers.map((l) => [l.activation, l.dropout, !!l.bias]),
    [
      ['tanh', 0, true],
      ['softmax', 0.25, false],
    ],
  );
  assert.equal(plan.accuracy, 'categorical');
});

test('mse takes any output activation; one output unit means binary accuracy', () => {
  const model = seq(L.dense({ units: 5, activation: 'sigmoid', inputShape: [3] }), L.dense({ units: 1 }));
  const plan = planStack(model, 'mse', true);
  assert.ok(typeof plan !== 'string', String(plan));
  assert.equal(plan.loss, 'mse');
  assert.equal(plan.accuracy, 'binary');
});

test('binary crossentropy after a sigmoid output is fused (from logits), with binary accuracy for one unit', () => {
  const model = seq(
    L.dense({ units: 4, activation: 'relu', inputShape: [3] }),
    L.dense({ units: 1 }),
    L.activation({ activation: 'sigmoid' }),
  );
  const plan = planStack(model, 'binary_crossentropy', true);
  assert.ok(typeof plan !== 'string', String(plan));
  assert.equal(plan.loss, 'binary_crossentropy');
  assert.deepEqual(
    plan.layers.map((l) => l.activation),
    ['relu', 'sigmoid'],
  );
  assert.equal(plan.accuracy, 'binary');
});

const reasons: [string, () => tf.LayersModel, string, RegExp][] = [
  [
    'a convolution',
    () =>
      seq(
        L.conv2d({ filters: 2, kernelSize: 3, inputShape: [8, 8, 1] }),
        L.flatten(),
        L.dense({ units: 2, activation: 'softmax' }),
      ),
    'sparse_categorical_crossentropy',
    /Conv2D/,
  ],
  [
    'Dense on a rank-3 input',
    () => seq(L.dense({ units: 4, inputShape: [3, 5] }), L.flatten(), L.dense({ units: 2, activation: 'softmax' })),
    'sparse_categorical_crossentropy',
    /rank above 2/,
  ],
  [
    'an unfused activation',
    () => seq(L.dense({ units: 4, activation: 'elu', inputShape: [3] }), L.dense({ units: 2, activation: 'softmax' })),
    'sparse_categorical_crossentropy',
    /elu/,
  ],
  [
    'a hidden softmax',
    () =>
      seq(L.dense({ units: 4, activation: 'softmax', inputShape: [3] }), L.dense({ units: 2, activation: 'softmax' })),
    'sparse_categorical_crossentropy',
    /only fused on the output/,
  ],
  [
    'crossentropy without softmax',
    () => seq(L.dense({ units: 2, activation: 'sigmoid', inputShape: [3] })),
    'categorical_crossentropy',
    /after a softmax/,
  ],
  [
    'a regularizer',
    () => seq(L.dense({ units: 2, activation: 'softmax', inputShape: [3], kernelRegularizer: tf.regularizers.l2() })),
    'sparse_categorical_crossentropy',
    /kernelRegularizer/,
  ],
  [
    'a noise_shape',
    () =>
      seq(L.dropout({ rate: 0.5, noiseShape: [1, 3], inputShape: [3] }), L.dense({ units: 2, activation: 'softmax' })),
    'sparse_categorical_crossentropy',
    /noise_shape/,
  ],
  [
    'Dropout after the output',
    () => seq(L.dense({ units: 2, activation: 'softmax', inputShape: [3] }), L.dropout({ rate: 0.5 })),
    'sparse_categorical_crossentropy',
    /follows the output/,
  ],
  // The stock engine takes logits from the last layer only: an identity layer after the output would make the
  // engines compute different losses, so such models stay on stock.
  [
    'a zero-rate Dropout after the output',
    () => seq(L.dense({ units: 2, activation: 'softmax', inputShape: [3] }), L.dropout({ rate: 0 })),
    'sparse_categorical_crossentropy',
    /follows the output/,
  ],
  [
    'a linear Activation after the output',
    () => seq(L.dense({ units: 2, activation: 'softmax', inputShape: [3] }), L.activation({ activation: 'linear' })),
    'sparse_categorical_crossentropy',
    /follows the output/,
  ],
  [
    'binary crossentropy after a linear output',
    () => seq(L.dense({ units: 1, inputShape: [3] })),
    'binary_crossentropy',
    /after a sigmoid/,
  ],
  [
    'binary crossentropy after softmax',
    () => seq(L.dense({ units: 2, activation: 'softmax', inputShape: [3] })),
    'binary_crossentropy',
    /after a sigmoid/,
  ],
  [
    'sparse crossentropy after sigmoid',
    () => seq(L.dense({ units: 3, activation: 'sigmoid', inputShape: [3] })),
    'sparse_categorical_crossentropy',
    /after a softmax/,
  ],
  ['mae', () => seq(L.dense({ units: 1, inputShape: [3] })), 'mae', /not fused/],
  [
    'a frozen layer',
    () => seq(L.dense({ units: 2, activation: 'softmax', inputShape: [3], trainable: false })),
    'sparse_categorical_crossentropy',
    /frozen/,
  ],
];

for (const [what, build, loss, reason] of reasons) {
  test(`${what} goes to the stock engine`, () => {
    const plan = planStack(build(), loss, true);
    assert.equal(typeof plan, 'string');
    assert.match(plan as string, reason);
  });
}

test('optimizer arguments the fused loops do not implement send the model to the stock engine', () => {
  const model = seq(L.dense({ units: 2, activation: 'softmax', inputShape: [3] }));
  const ctx = (optimizer: Record<string, string | number | boolean>) => ({
    tf: tf as unknown as TF,
    model,
    optimizer: { type: 'Adam', ...optimizer },
    loss: 'sparse_categorical_crossentropy',
    accuracy: true,
  });
  assert.equal(fusedIneligibility(ctx({ learning_rate: 0.01 })), undefined);
  assert.equal(fusedIneligibility(ctx({ clipnorm: 1 })), undefined, 'clipping is trained on the fused engine');
  assert.match(fusedIneligibility(ctx({ use_ema: true }))!, /Adam/);
});

test('a second CNN with BatchNormalization built in the same process is planned too (tfjs suffixes its weight names)', () => {
  // Model Lab names the layers as Keras does, so both models have a layer `batch_normalization`.
  const cnn = () =>
    seq(
      L.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.batchNormalization({ name: 'batch_normalization' }),
      L.flatten(),
      L.dense({ units: 3, activation: 'softmax' }),
    );
  const first = cnn();
  const second = cnn();
  assert.ok(
    second.layers[1].weights.some((w) => /gamma_\d+$/.test(w.name)),
    "the second model's weights carry a suffix",
  );
  for (const model of [first, second]) {
    const plan = planConvStack(model, 'sparse_categorical_crossentropy', true);
    assert.ok(typeof plan !== 'string', String(plan));
  }
});
