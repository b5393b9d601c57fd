import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { find, findIn } from './python-helpers';

const text = readFileSync(join(__dirname, '../fixtures/python/tutorial.py'), 'utf8');

test('the three tutorial models are read in source order with Keras parameter counts', async () => {
  const models = await parsePythonModels(text);
  assert.equal(models.length, 3);
  const summaries = models.map((m) => analyze(m).summary);
  // Model 1: Flatten 28x28 → 784; Dense 784*100+100 = 78,500; Dense 100*10+10 = 1,010; total 79,510.
  assert.deepEqual(
    summaries[0]?.layers.map((l) => [l.type, l.outputShape, l.params]),
    [
      ['Flatten', [null, 784], 0],
      ['Dense', [null, 100], 78500],
      ['Dense', [null, 10], 1010],
    ],
  );
  assert.equal(summaries[0]?.totalParams, 79510);
  // Model 2: 16*12+12 = 204; 12*10+10 = 130; 10*1+1 = 11; total 345.
  assert.deepEqual(
    summaries[1]?.layers.map((l) => l.params),
    [204, 130, 11],
  );
  assert.equal(summaries[1]?.totalParams, 345);
  // Model 3: same shapes as model 1, sigmoid hidden layer.
  assert.equal(summaries[2]?.totalParams, 79510);
  assert.equal(models[2].definition?.layers[1].activation, 'sigmoid');
  assert.ok(
    models[0].range.start.line < models[1].range.start.line && models[1].range.start.line < models[2].range.start.line,
  );
  // The second model is fitted on the script's own random arrays: Train would run it on Fashion-MNIST, and says so.
  assert.deepEqual(analyze(models[0]).diagnostics, []);
  assert.deepEqual(
    analyze(models[1]).diagnostics.map((d) => [d.severity, d.range.start.line, d.message.slice(0, 42)]),
    [['information', 31, 'Model Lab cannot tell what data this is wi']],
  );
  assert.deepEqual(analyze(models[2]).diagnostics, []);
});

test('the model.add form gives the layers, compile, fit and the Fashion-MNIST dataset', async () => {
  const [first] = await parsePythonModels(text);
  assert.deepEqual(first.definition, {
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units: 100, activation: 'relu' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    compile: {
      loss: 'sparse_categorical_crossentropy',
      optimizer: { type: 'SGD', learning_rate: 0.01 },
      metrics: ['accuracy'],
    },
    fit: { epochs: 30 },
    // The script ends with model.evaluate(X_test, y_test): the test set is evaluated too.
    dataset: { name: 'fashion-mnist', validation_split: 0.2, evaluate_test: true },
  });
  // The model spans the Sequential call through its fit call.
  assert.deepEqual(first.range.start, find(text, 'keras.models.Sequential()').start);
  assert.deepEqual(first.range.end, find(text, 'validation_split=0.2)').end);
});

test('values and keywords have their source ranges by definition path', async () => {
  const [first, second] = await parsePythonModels(text);
  const v = first.ranges.values;
  assert.deepEqual(v.get('layers[1].units'), find(text, '100'));
  assert.deepEqual(v.get('layers[2].units'), findIn(text, 'Dense(10, activation="softmax")', '10'));
  assert.deepEqual(v.get('layers[1].activation'), find(text, '"relu"'));
  assert.deepEqual(first.ranges.keys.get('layers[1].activation'), find(text, 'activation', 0));
  assert.deepEqual(v.get('layers[1]'), find(text, 'keras.layers.Dense(100, activation="relu")'));
  assert.deepEqual(v.get('compile.optimizer.learning_rate'), find(text, '0.01'));
  assert.deepEqual(first.ranges.keys.get('compile.optimizer.learning_rate'), find(text, 'lr'));
  assert.deepEqual(v.get('fit.epochs'), find(text, '30'));
  assert.deepEqual(v.get('dataset.validation_split'), find(text, '0.2', 0));
  assert.deepEqual(second.ranges.values.get('compile.optimizer'), find(text, "'adam'"));
  assert.deepEqual(second.ranges.values.get('layers[0].input_shape'), find(text, '(16,)'));
});

test('a model trained on other data gets no dataset, and its fit values are kept', async () => {
  const [, second] = await parsePythonModels(text);
  assert.equal(second.definition?.dataset, undefined);
  assert.deepEqual(second.definition?.fit, { epochs: 5, batch_size: 10 });
  assert.deepEqual(second.definition?.compile, {
    optimizer: 'adam',
    loss: 'binary_crossentropy',
    metrics: ['accuracy'],
  });
});
