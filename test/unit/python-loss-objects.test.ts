/**
 * Keras's crossentropy loss objects read from Python: `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`
 * as TensorFlow's beginner quickstart writes it (through a variable), the tf. spellings, positional from_logits, the
 * arguments that change the loss (not trainable, with a positioned message) and those that do not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { hoverAt } from '../../src/model/describe';
import { parsePythonModels } from '../../src/model/python/index';
import { toKerasScript as kerasScript } from '../../src/model/python/keras-script';
import { readNotebook } from '../../src/model/python/notebook';
import type { ParsedModel } from '../../src/model/types';
import { trainingBlocker } from '../../src/editor/train-checks';

export const QUICKSTART = join(__dirname, '../fixtures/python/notebooks/tf-docs-quickstart-beginner.ipynb');

const model = (loss: string, last = 'keras.layers.Dense(10)') => `import tensorflow as tf
from tensorflow import keras
model = keras.Sequential([
    keras.layers.Flatten(input_shape=(28, 28)),
    keras.layers.Dense(128, activation='relu'),
    ${last},
])
${loss}
`;

async function first(text: string): Promise<ParsedModel> {
  const models = await parsePythonModels(text);
  assert.ok(models[0]?.definition, 'a model');
  return models[0];
}

test("published: TensorFlow's beginner quickstart notebook reads whole, from_logits and all, and can be trained", async () => {
  const nb = readNotebook(readFileSync(QUICKSTART, 'utf8'));
  assert.ok(!('error' in nb));
  const m = (await parsePythonModels(nb.text))[0];
  assert.equal(m.incomplete, undefined);
  assert.deepEqual(m.definition!.compile, {
    optimizer: 'adam',
    loss: 'sparse_categorical_crossentropy',
    from_logits: true,
    metrics: ['accuracy'],
  });
  const a = analyze(m);
  // 784·128 + 128 and 128·10 + 10, as the tutorial's model.summary() prints.
  assert.equal(a.summary?.totalParams, 101770);
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
});

test('spellings: keras.losses, tf.keras.losses, tf.losses, a variable, positional from_logits, each crossentropy', async () => {
  const cases: [string, string, boolean][] = [
    [
      'model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))',
      'sparse_categorical_crossentropy',
      true,
    ],
    [
      'loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(True)\nmodel.compile("adam", loss_fn)',
      'sparse_categorical_crossentropy',
      true,
    ],
    [
      'model.compile(loss=tf.losses.CategoricalCrossentropy(from_logits=True, name="cce"))',
      'categorical_crossentropy',
      true,
    ],
    [
      'model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False))',
      'sparse_categorical_crossentropy',
      false,
    ],
    ['model.compile(loss=keras.losses.SparseCategoricalCrossentropy())', 'sparse_categorical_crossentropy', false],
    [
      'model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.0, axis=-1, reduction="auto"))',
      'categorical_crossentropy',
      true,
    ],
    [
      'model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=tf.keras.losses.Reduction.SUM_OVER_BATCH_SIZE))',
      'sparse_categorical_crossentropy',
      true,
    ],
  ];
  for (const [line, loss, fromLogits] of cases) {
    const m = await first(model(line));
    assert.equal(m.incomplete, undefined, line);
    assert.equal(m.definition!.compile?.loss, loss, line);
    assert.equal(m.definition!.compile?.from_logits, fromLogits ? true : undefined, line);
  }
  const binary = await first(
    model('model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True))', 'keras.layers.Dense(1)'),
  );
  assert.equal(binary.definition!.compile?.loss, 'binary_crossentropy');
  assert.equal(binary.definition!.compile?.from_logits, true);
  assert.deepEqual(
    analyze(binary).diagnostics.filter((d) => d.code === 'loss-mismatch'),
    [],
  );
});

test('arguments that change the loss: not trainable, an information message at the argument', async () => {
  const cases: [string, string, RegExp][] = [
    [
      'CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)',
      'label_smoothing=0.1',
      /label_smoothing: 0\.1 is not Keras's default 0/,
    ],
    [
      'SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)',
      'ignore_class=0',
      /ignore_class: 0 is not Keras's default null/,
    ],
    ['BinaryCrossentropy(from_logits=True, axis=0)', 'axis=0', /axis: 0 is not Keras's default -1/],
    ['SparseCategoricalCrossentropy(reduction="sum")', 'reduction="sum"', /reduction: 'sum' is not the default/],
    ['SparseCategoricalCrossentropy(from_logits=flag)', 'flag', /from_logits: /],
  ];
  for (const [object, argument, message] of cases) {
    const text = model(`model.compile(loss=keras.losses.${object})`);
    const m = await first(text);
    assert.ok(m.incomplete, object);
    const d = m.diagnostics.find((x) => x.code === 'python-unreadable');
    assert.ok(d, object);
    assert.equal(d.severity, 'information');
    assert.match(d.message, message);
    const line = text.split('\n').findIndex((l) => l.includes(argument));
    assert.equal(d.range.start.line, line, object);
    assert.equal(d.range.start.character, text.split('\n')[line].indexOf(argument), object);
  }
});

test('function losses keep working, and from_logits after a softmax output is warned about at from_logits', async () => {
  const fn = await first(model('model.compile(loss=keras.losses.sparse_categorical_crossentropy)'));
  assert.equal(fn.definition!.compile?.loss, 'sparse_categorical_crossentropy');
  assert.equal(fn.definition!.compile?.from_logits, undefined);
  const text = model(
    'model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))',
    "keras.layers.Dense(10, activation='softmax')",
  );
  const a = analyze(await first(text));
  const w = a.diagnostics.find((d) => d.code === 'from-logits-activation');
  assert.ok(w);
  const line = text.split('\n').findIndex((l) => l.includes('from_logits=True'));
  assert.deepEqual(w.range.start, { line, character: text.split('\n')[line].indexOf('True') });
});

test('hover on the loss object says from logits; the Keras script exporter writes the loss object back', async () => {
  const text = model(
    'loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)\nmodel.compile(loss=loss_fn)',
  );
  const m = await first(text);
  const line = text.split('\n').findIndex((l) => l.startsWith('model.compile'));
  const h = hoverAt(m, analyze(m), { line, character: 'model.compile(loss='.length + 2 });
  assert.match(h?.markdown ?? '', /sparse_categorical_crossentropy\*\* \(from logits\)/);
  const script = kerasScript(m.definition!);
  assert.match(script, /loss=keras\.losses\.SparseCategoricalCrossentropy\(from_logits=True\)/);
  const plain = kerasScript((await first(model("model.compile(loss='mse')"))).definition!);
  assert.match(plain, /loss="mse"/);
});

test('binary_crossentropy over several sigmoid units is multi-label Keras: information, not trained, no error', async () => {
  // jeffheaton/t81_558_deep_learning, t81_558_class_10_2_lstm.ipynb (commit e674d07b85289b0cfb4cc57ff213228fd2ae4dc4),
  // cell 10: one-hot targets y2 (6 × 4) against four sigmoid units; Keras averages a yes/no loss over the units.
  const text = `from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense
from tensorflow.keras.layers import LSTM
model = Sequential()
model.add(LSTM(128, dropout=0.2, recurrent_dropout=0.2, input_shape=(None, 1)))
model.add(Dense(4, activation='sigmoid'))
model.compile(loss='binary_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])
`;
  const [model] = await parsePythonModels(text);
  const analysis = analyze(model);
  assert.deepEqual(
    analysis.diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
  const info = analysis.diagnostics.find((d) => d.code === 'multi-label');
  assert.equal(info?.severity, 'information');
  assert.match(info?.message ?? '', /^binary_crossentropy over 4 output units is multi-label classification/);
  assert.equal(analysis.summary?.totalParams, 66560 + 516);
  // Not trained here, said once in the same words by the editor's Train and the CLI's model choice.
  assert.match(
    trainingBlocker('lstm.py', model, analysis)?.message ?? '',
    /cannot train this model: binary_crossentropy over 4/,
  );
  assert.equal(model.untrainable?.reason, info?.message.slice(0, info.message.indexOf(';')));
  assert.deepEqual(model.untrainable?.range, info?.range);
  // In a .model.json the same output is advice to change: an error at the loss, as before.
  const json = structuredClone(model);
  delete json.language;
  assert.equal(analyze(json).diagnostics.find((d) => d.code === 'loss-mismatch')?.severity, 'error');
});
