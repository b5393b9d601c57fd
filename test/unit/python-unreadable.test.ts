import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { find, findIn } from './python-helpers';

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/python', name), 'utf8');

test('a layer from a function parameter: information at the value, layers stop there, model incomplete', async () => {
  const text = fixture('unreadable.py');
  const [built] = await parsePythonModels(text);
  const info = built.diagnostics.filter((d) => d.code === 'python-unreadable');
  assert.equal(info.length, 1);
  assert.equal(info[0].severity, 'information');
  assert.deepEqual(info[0].range, findIn(text, 'Dense(hidden_units', 'hidden_units'));
  assert.match(
    info[0].message,
    /^Model Lab cannot read this layer statically: 'hidden_units' is a function parameter; /,
  );
  assert.equal(info[0].path, 'layers[1]');
  assert.deepEqual(built.definition?.layers, [{ type: 'Flatten', input_shape: [28, 28] }]);
  assert.match(built.incomplete ?? '', /layer 2/);
});

test('a layer added in a loop: information at the added layer; compile still read; a custom loss is unreadable', async () => {
  const text = fixture('unreadable.py');
  const [, looped] = await parsePythonModels(text);
  const [layer, loss] = looped.diagnostics;
  assert.deepEqual(layer.range, find(text, 'keras.layers.Dense(units, activation="relu")'));
  assert.match(layer.message, /inside a for loop/);
  assert.deepEqual(loss.range, find(text, 'my_loss'));
  assert.match(loss.message, /^Model Lab cannot read the loss statically: 'my_loss' is not defined in this file; /);
  assert.deepEqual(
    looped.definition?.layers.length,
    1,
    'the Dense(10) after the loop is not read: its input is unknown',
  );
  assert.deepEqual(looped.definition?.compile, { optimizer: 'adam', metrics: ['accuracy'] });
});

test('an unknown layer class and **kwargs are unreadable at their exact spots', async () => {
  const text = fixture('unreadable.py');
  const models = await parsePythonModels(text);
  const custom = models[2];
  assert.deepEqual(
    custom.diagnostics.map((d) => [d.code, d.range]),
    [['python-unreadable', find(text, 'MyResidualBlock(64)')]],
  );
  // Dense(64) on 8 inputs: 8*64 + 64 = 576 parameters, known before the unreadable layer.
  assert.equal(analyze(custom).layers[0].params, 576);
  const spread = models[3];
  assert.deepEqual(
    spread.diagnostics.map((d) => d.range),
    [find(text, '**kwargs')],
  );
  assert.equal(spread.definition, undefined, 'no layer could be read');
});

test('a Python syntax error outside every model is not reported, and the models still parse', async () => {
  const text = fixture('syntax-error.py');
  const [good, broken] = await parsePythonModels(text);
  assert.deepEqual(good.diagnostics, []);
  assert.equal(good.incomplete, undefined);
  assert.equal(analyze(good).summary?.totalParams, 79510);
  assert.deepEqual(
    broken.diagnostics.map((d) => [d.severity, d.code, d.range]),
    [['error', 'python-syntax', findIn(text, ') keras.layers.Dense(3)', 'keras')]],
  );
  assert.equal(broken.incomplete, 'the model has a Python syntax error');
});

test("a no-break space in the code (Deep Learning with Python 2nd ed., chapter 14's cells) is named as Python names it", async () => {
  // fchollet/deep-learning-with-python-notebooks, chapter14_conclusions.ipynb: `optimizer="rmsprop",\u00a0loss=…`.
  const text = `from tensorflow import keras
from tensorflow.keras import layers
inputs = keras.Input(shape=(20,))
outputs = layers.Dense(1, activation="sigmoid")(inputs)
model = keras.Model(inputs, outputs)
model.compile(optimizer="rmsprop",\u00a0loss="binary_crossentropy")
`;
  const [m] = await parsePythonModels(text);
  const errors = m.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => [d.message, d.range.start, d.range.end]),
    [
      [
        'Python syntax error: invalid non-printable character U+00A0 (a no-break space); replace it with a plain space so Python and Model Lab can read the model.',
        { line: 5, character: 34 },
        { line: 5, character: 35 },
      ],
    ],
  );
});

test('a missing closing bracket inside a model is an error there', async () => {
  const text = `from tensorflow import keras\nmodel = keras.Sequential([\n    keras.layers.Dense(10, input_shape=(4,)\n])\n`;
  const models = await parsePythonModels(text);
  assert.equal(models.length, 1);
  const errors = models[0].diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'python-syntax');
  assert.equal(errors[0].range.start.line, 2);
});

test('text that is not Python at all gives no models and does not throw', async () => {
  assert.deepEqual(await parsePythonModels('{"layers": [}\n\u0000\u0001 )))'), []);
  assert.deepEqual(await parsePythonModels(''), []);
});
