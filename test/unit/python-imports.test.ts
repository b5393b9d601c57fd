import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePythonModels } from '../../src/model/python/index';

/** The same two-layer model (784 → 100 relu → 10 softmax), spelled through each import style. */
const SPELLINGS: Record<string, string> = {
  'import tensorflow as tf': `import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(100, activation='relu', input_shape=(784,)), tf.keras.layers.Dense(10, activation='softmax')])`,
  'from tensorflow import keras': `from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(100, activation='relu', input_shape=(784,)), keras.layers.Dense(10, activation='softmax')])`,
  'import keras': `import keras
model = keras.Sequential([keras.layers.Dense(100, activation='relu', input_shape=(784,)), keras.layers.Dense(10, activation='softmax')])`,
  'from keras import layers': `import keras
from keras import layers
model = keras.Sequential([layers.Dense(100, activation='relu', input_shape=(784,)), layers.Dense(10, activation='softmax')])`,
  'from tensorflow.keras import layers, models': `from tensorflow.keras import layers, models
model = models.Sequential([layers.Dense(100, activation='relu', input_shape=(784,)), layers.Dense(10, activation='softmax')])`,
  'from tensorflow.keras.layers import Dense, Flatten + from keras.models import Sequential': `from tensorflow.keras.layers import Dense, Flatten
from keras.models import Sequential
model = Sequential([Dense(100, activation='relu', input_shape=(784,)), Dense(10, activation='softmax')])`,
  'aliases (import … as, from … import … as)': `import tensorflow.keras as K
from tensorflow.keras.layers import Dense as D
model = K.Sequential([D(100, activation='relu', input_shape=(784,)), D(10, activation='softmax')])`,
  'star import': `from tensorflow.keras.layers import *
from tensorflow.keras.models import *
model = Sequential([Dense(100, activation='relu', input_shape=(784,)), Dense(10, activation='softmax')])`,
  'tf.nn activations': `import tensorflow as tf
from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(100, activation=tf.nn.relu, input_shape=(784,)), keras.layers.Dense(10, activation=keras.activations.softmax)])`,
  'keras.Input as the first element': `from tensorflow import keras
model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(100, activation='relu'), keras.layers.Dense(10, activation='softmax')])`,
  'InputLayer as the first element': `from tensorflow import keras
model = keras.Sequential([keras.layers.InputLayer(input_shape=(784,)), keras.layers.Dense(100, activation='relu'), keras.layers.Dense(10, activation='softmax')])`,
};

const EXPECTED = [
  { type: 'Dense', units: 100, activation: 'relu', input_shape: [784] },
  { type: 'Dense', units: 10, activation: 'softmax' },
];

for (const [name, source] of Object.entries(SPELLINGS)) {
  test(`reads ${name}`, async () => {
    const models = await parsePythonModels(source);
    assert.equal(models.length, 1);
    assert.deepEqual(models[0].definition?.layers, EXPECTED);
    assert.deepEqual(models[0].diagnostics, []);
    assert.equal(models[0].incomplete, undefined);
  });
}

test('a Sequential from another library is not a Keras model', async () => {
  const models = await parsePythonModels(
    `from torch.nn import Sequential, Linear\nnet = Sequential(Linear(784, 10))\n`,
  );
  assert.deepEqual(models, []);
});

test('a name bound by the script itself is not taken for keras', async () => {
  const models = await parsePythonModels(`import mylib as keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\n`);
  assert.deepEqual(models, []);
});
