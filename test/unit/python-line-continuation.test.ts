/**
 * A backslash at the end of a line joins it to the next, as Python reads it: inside a call's arguments (where
 * tree-sitter would keep it as a `line_continuation` node among the arguments) and between statements' parts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { find } from './python-helpers';

test('a line continuation inside a layer call and inside fit is no argument', async () => {
  // jeffheaton/t81_558_deep_learning, t81_558_class_10_2_lstm.ipynb (commit e674d07b85289b0cfb4cc57ff213228fd2ae4dc4),
  // cell 10, trimmed to the model; the fit's continuation is t81_558_class_05_4_dropout.ipynb's, cell 9.
  const text = `from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Embedding
from tensorflow.keras.layers import LSTM

model = Sequential()
model.add(LSTM(128, dropout=0.2, recurrent_dropout=0.2, \\
               input_shape=(None, 1)))
model.add(Dense(4, activation='sigmoid'))

# try using different optimizers and different optimizer configs
model.compile(loss='binary_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])
model.fit(x_train,y_train,validation_data=(x_test,y_test),\\
          verbose=0,epochs=500)
`;
  for (const eol of ['\n', '\r\n']) {
    const [model] = await parsePythonModels(text.replace(/\n/g, eol));
    assert.equal(model.incomplete, undefined);
    assert.deepEqual(
      model.diagnostics.filter((d) => d.code === 'python-unreadable' || /continuation/.test(d.message)),
      [],
    );
    assert.deepEqual(model.definition?.layers[0], {
      type: 'LSTM',
      units: 128,
      dropout: 0.2,
      recurrent_dropout: 0.2,
      input_shape: [null, 1],
    });
    // Positions after a continuation are the script's own.
    assert.deepEqual(model.ranges.values.get('layers[0].input_shape'), find(text.replace(/\n/g, eol), '(None, 1)'));
    assert.deepEqual(model.ranges.values.get('fit.epochs'), find(text.replace(/\n/g, eol), '500'));
    assert.equal(model.definition?.fit?.epochs, 500);
    assert.equal(model.definition?.fit?.batch_size, undefined);
    const summary = analyze(model).summary!;
    // Keras: LSTM 4 × (128 × (1 + 128) + 128) = 66,560; Dense 128 × 4 + 4 = 516.
    assert.deepEqual(
      summary.layers.map((l) => l.params),
      [66560, 516],
    );
  }
});

test('a line continuation between the parts of an expression joins them; one inside a string is its text', async () => {
  const text = `import keras
UNITS = 28 * \\
    28
NAME = 'dense\\
_top'
model = keras.Sequential([keras.layers.Dense(UNITS, input_shape=(4,), name=NAME)])
`;
  const [model] = await parsePythonModels(text);
  assert.deepEqual(model.definition?.layers[0], { type: 'Dense', units: 784, input_shape: [4], name: 'dense_top' });
});
