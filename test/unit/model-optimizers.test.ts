/** Keras optimizer defaults, labels, and the comparison plan. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareRepeats,
  effectiveOptimizer,
  expandComparison,
  optimizerLabel,
  type ModelDefinition,
} from '../../src/model';

test('aliases and class names get every Keras 2.x default', () => {
  assert.deepEqual(effectiveOptimizer('sgd'), { type: 'SGD', learning_rate: 0.01, momentum: 0, nesterov: false });
  assert.deepEqual(effectiveOptimizer('Adam'), {
    type: 'Adam',
    learning_rate: 0.001,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
  });
  assert.deepEqual(effectiveOptimizer('adagrad'), {
    type: 'Adagrad',
    learning_rate: 0.001,
    initial_accumulator_value: 0.1,
    epsilon: 1e-7,
  });
  assert.deepEqual(effectiveOptimizer('adamax'), {
    type: 'Adamax',
    learning_rate: 0.001,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
  });
  // Keras 3's (and tf.keras 2.11+'s) two newer ones; Nadam's defaults are the same in legacy Keras 2.
  assert.deepEqual(effectiveOptimizer('nadam'), {
    type: 'Nadam',
    learning_rate: 0.001,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
  });
  assert.deepEqual(effectiveOptimizer('AdamW'), {
    type: 'AdamW',
    learning_rate: 0.001,
    weight_decay: 0.004,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
  });
  assert.equal(optimizerLabel({ type: 'adamw', weight_decay: 0.01 }), 'AdamW(weight_decay=0.01)');
  assert.equal(optimizerLabel({ type: 'SGD', weight_decay: 0.01 }), 'SGD(weight_decay=0.01)');
  assert.deepEqual(effectiveOptimizer('adadelta'), {
    type: 'Adadelta',
    learning_rate: 0.001,
    rho: 0.95,
    epsilon: 1e-7,
  });
});

test('no optimizer means RMSprop, as in Keras compile()', () => {
  assert.deepEqual(effectiveOptimizer(undefined), {
    type: 'RMSprop',
    learning_rate: 0.001,
    rho: 0.9,
    momentum: 0,
    epsilon: 1e-7,
    centered: false,
  });
});

test('given arguments override defaults; lr is read as learning_rate; label is not a hyper-parameter', () => {
  assert.deepEqual(effectiveOptimizer({ type: 'SGD', lr: 0.1, momentum: 0.9, label: 'fast' }), {
    type: 'SGD',
    learning_rate: 0.1,
    momentum: 0.9,
    nesterov: false,
  });
  assert.equal(effectiveOptimizer({ type: 'rmsprop' }).type, 'RMSprop');
});

test('labels: class name plus what differs from the defaults, or the user label', () => {
  assert.equal(optimizerLabel('sgd'), 'SGD');
  assert.equal(optimizerLabel({ type: 'SGD', learning_rate: 0.1 }), 'SGD(lr=0.1)');
  assert.equal(optimizerLabel({ type: 'SGD', momentum: 0.9, nesterov: true }), 'SGD(momentum=0.9, nesterov)');
  assert.equal(optimizerLabel({ type: 'Adam', learning_rate: 0.001 }), 'Adam');
  assert.equal(optimizerLabel({ type: 'Adam', amsgrad: true, label: 'AMSGrad' }), 'AMSGrad');
  assert.equal(optimizerLabel(undefined), 'RMSprop');
});

const BASE: ModelDefinition = {
  dataset: 'fashion-mnist',
  layers: [
    { type: 'Flatten' },
    { type: 'Dense', units: 100, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam' },
  fit: { epochs: 5, batch_size: 32 },
};

test('no compare section: the default six optimizers', () => {
  const plans = expandComparison(BASE);
  assert.deepEqual(
    plans.map((p) => p.label),
    ['SGD', 'SGD(lr=0.1)', 'SGD(momentum=0.9, nesterov)', 'Adagrad', 'RMSprop', 'Adam'],
  );
  assert.equal(plans[1].optimizer.learning_rate, 0.1);
  assert.equal(plans[2].optimizer.nesterov, true);
  assert.deepEqual(plans[3].definition.compile?.optimizer, 'adagrad');
  assert.deepEqual(plans[0].variant.set, { 'compile.optimizer': 'sgd' });
  assert.equal(BASE.compile?.optimizer, 'adam', 'the base definition is untouched');
});

test('variants apply their set by path and drop compare; labels made unique', () => {
  const def: ModelDefinition = {
    ...BASE,
    compare: {
      variants: [
        { label: 'sigmoid', set: { 'layers[1].activation': 'sigmoid', 'fit.batch_size': 64 } },
        { label: 'sigmoid', set: { 'layers[1].units': 50 } },
      ],
      repeats: 3,
    },
  };
  const plans = expandComparison(def);
  assert.deepEqual(
    plans.map((p) => p.label),
    ['sigmoid #1', 'sigmoid #2'],
  );
  assert.equal(plans[0].definition.layers[1].activation, 'sigmoid');
  assert.equal(plans[0].definition.fit?.batch_size, 64);
  assert.equal(plans[1].definition.layers[1].units, 50);
  assert.equal(plans[1].definition.layers[1].activation, 'relu');
  assert.equal('compare' in plans[0].definition, false);
  assert.equal(plans[0].optimizer.type, 'Adam');
  assert.equal(plans[1].variant.label, 'sigmoid #2');
  assert.equal(compareRepeats(def), 3);
  assert.equal(compareRepeats(BASE), 1);
});

test('optimizers and variants together: every variant with every optimizer', () => {
  const plans = expandComparison({
    ...BASE,
    compare: { optimizers: ['sgd', 'adam'], variants: [{ label: 'tanh', set: { 'layers[1].activation': 'tanh' } }] },
  });
  assert.deepEqual(
    plans.map((p) => p.label),
    ['tanh · SGD', 'tanh · Adam'],
  );
  assert.equal(plans[0].optimizer.type, 'SGD');
  assert.equal(plans[1].definition.layers[1].activation, 'tanh');
});
