/** Callbacks, learning-rate schedules and `model.evaluate(x_test, …)` read from Keras Python. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { find, findIn } from './python-helpers';

const script = `import keras
from keras.callbacks import ReduceLROnPlateau

(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.96, staircase=True)
model = keras.Sequential([keras.layers.Flatten(input_shape=[28, 28]), keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
model.fit(x_train, y_train, epochs=50, validation_split=0.1, callbacks=[stop, keras.callbacks.TerminateOnNaN()])
model.evaluate(x_test, y_test)
`;

test('callbacks=[…] and a schedule as learning_rate are read into the definition, with ranges', async () => {
  const [m] = await parsePythonModels(script);
  assert.deepEqual(m.definition?.fit?.callbacks, [
    { type: 'EarlyStopping', monitor: 'val_loss', patience: 2, restore_best_weights: true },
    { type: 'TerminateOnNaN' },
  ]);
  assert.deepEqual(m.definition?.compile?.optimizer, {
    type: 'SGD',
    learning_rate: {
      type: 'ExponentialDecay',
      initial_learning_rate: 0.1,
      decay_steps: 100,
      decay_rate: 0.96,
      staircase: true,
    },
  });
  assert.deepEqual(m.ranges.values.get('fit.callbacks[0].patience'), findIn(script, 'patience=2', '2'));
  assert.equal(m.incomplete, undefined);
  const a = analyze(m);
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
  assert.equal(
    a.optimizer.learning_rate_schedule,
    'ExponentialDecay(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.96, staircase=True)',
  );
});

test('model.evaluate(x_test, y_test) asks for the test-set evaluation', async () => {
  const [m] = await parsePythonModels(script);
  assert.deepEqual(m.definition?.dataset, { name: 'fashion-mnist', validation_split: 0.1, evaluate_test: true });
  const [n] = await parsePythonModels(script.replace('model.evaluate(x_test, y_test)\n', ''));
  assert.deepEqual(n.definition?.dataset, { name: 'fashion-mnist', validation_split: 0.1 });
});

test('a callback Model Lab does not run is said where it is, and the model is not trained without it', async () => {
  const text = script.replace('keras.callbacks.TerminateOnNaN()', 'keras.callbacks.TensorBoard("logs")');
  const [m] = await parsePythonModels(text);
  const d = m.diagnostics.find((x) => x.code === 'python-unreadable');
  assert.deepEqual(d?.range, find(text, 'keras.callbacks.TensorBoard("logs")'));
  assert.match(d!.message, /does not run keras\.callbacks\.TensorBoard/);
  assert.match(m.incomplete ?? '', /TensorBoard/);
});

test('ReduceLROnPlateau imported by name; an unknown schedule is unreadable', async () => {
  const text = script
    .replace(
      'callbacks=[stop, keras.callbacks.TerminateOnNaN()]',
      'callbacks=[ReduceLROnPlateau(factor=0.5, patience=1)]',
    )
    .replace('learning_rate=schedule', 'learning_rate=0.1');
  const [m] = await parsePythonModels(text);
  assert.deepEqual(m.definition?.fit?.callbacks, [{ type: 'ReduceLROnPlateau', factor: 0.5, patience: 1 }]);
  const [u] = await parsePythonModels(script.replace('schedules.ExponentialDecay', 'schedules.PolynomialDecay'));
  assert.match(u.incomplete ?? '', /PolynomialDecay/);
});

test("callbacks in variables assigned again for a second model (a notebook's cells): each fit reads the assignment in force", async () => {
  // As the 혼자 공부하는 머신러닝+딥러닝 notebook 7-3 (rickiepark/hg-mldl) writes its two trainings.
  const model = `model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10, activation='softmax')])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
`;
  const text = `from tensorflow import keras
${model}checkpoint_cb = keras.callbacks.ModelCheckpoint('best-model.keras', save_best_only=True)
model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[checkpoint_cb])
${model}checkpoint_cb = keras.callbacks.ModelCheckpoint('best-model.keras',
                                                save_best_only=True)
early_stopping_cb = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[checkpoint_cb, early_stopping_cb])
`;
  const [a, b] = await parsePythonModels(text);
  const checkpoint = { type: 'ModelCheckpoint', filepath: 'best-model.keras', save_best_only: true };
  assert.deepEqual(a.definition?.fit?.callbacks, [checkpoint]);
  assert.deepEqual(b.definition?.fit?.callbacks, [
    checkpoint,
    { type: 'EarlyStopping', patience: 2, restore_best_weights: true },
  ]);
  for (const m of [a, b]) assert.equal(m.incomplete, undefined);
});
