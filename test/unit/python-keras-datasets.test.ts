/** `keras.datasets.X.load_data(...)` in a Keras script: the model trains on that dataset, with the loader's arguments. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';

const imdb = `from tensorflow import keras
from tensorflow.keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=10000)
x_train = keras.utils.pad_sequences(x_train, maxlen=200)

model = keras.Sequential([
    layers.Embedding(10000, 32),
    layers.LSTM(32),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=128, validation_split=0.2)
`;

test('imdb.load_data(num_words=…) then pad_sequences(maxlen=…): the padded imdb, and the sequence length from it', async () => {
  const [model] = await parsePythonModels(imdb);
  assert.deepEqual(model.definition?.dataset, { name: 'imdb', num_words: 10000, maxlen: 200, validation_split: 0.2 });
  const summary = analyze(model).summary!;
  assert.equal(summary.layers[0].outputShape.join(), ',200,32');
  assert.equal(summary.totalParams, 320000 + 4 * (32 * (32 + 32) + 32) + 33);
});

test('mnist and cifar10 by name; positional loader arguments map as Keras orders them', async () => {
  const script = (loader: string, shape: string) => `import keras
(x, y), _ = keras.datasets.${loader}
x = x / 255.0
model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy")
model.fit(x, y)
${shape}`;
  const [mnist] = await parsePythonModels(script('mnist.load_data()', ''));
  assert.equal(mnist.definition?.dataset, 'mnist');
  assert.equal(analyze(mnist).summary?.totalParams, 784 * 10 + 10);
  const [cifar] = await parsePythonModels(script('cifar10.load_data()', ''));
  assert.equal(cifar.definition?.dataset, 'cifar10');
  assert.equal(analyze(cifar).summary?.totalParams, 32 * 32 * 3 * 10 + 10);
  const [reuters] = await parsePythonModels(script('reuters.load_data(None, 5000)', ''));
  assert.deepEqual(reuters.definition?.dataset, { name: 'reuters', num_words: 5000 });
});

test('a loader argument known only at run time, or an argument Keras does not have, names no dataset', async () => {
  for (const call of ['imdb.load_data(num_words=int(input()))', 'imdb.load_data(words=10)']) {
    const [model] = await parsePythonModels(`import keras
(x, y), _ = keras.datasets.${call}
model = keras.Sequential([keras.layers.Dense(1, input_shape=(10,))])
model.compile(loss="mse")
model.fit(x, y)
`);
    assert.equal(model.definition?.dataset, undefined, call);
  }
});

test("a model declared without an input shape takes the fitted array's example shape, as Keras builds it", async () => {
  // Hands-On ML 3, 14_deep_computer_vision_with_cnns cell 102-103 (ageron/handson-ml3), reduced: MNIST with a
  // channel axis added, a CNN with no input_shape (it was "Conv2D needs a 3-D input but gets (None, 28, 28)").
  const script = (x: string) => `import numpy as np
import tensorflow as tf
(X_train_full, y_train_full), (X_test, y_test) = tf.keras.datasets.mnist.load_data()
X_train, y_train = X_train_full[:-5000] / 255., y_train_full[:-5000]
X_train = ${x}
model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(32, kernel_size=3, padding="same", activation="relu"),
    tf.keras.layers.MaxPool2D(),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(10, activation="softmax"),
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=10)
`;
  const [m] = await parsePythonModels(script('X_train[..., np.newaxis]'));
  assert.deepEqual(m.definition!.layers[0].input_shape, [28, 28, 1]);
  const a = analyze(m);
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.equal(a.summary?.totalParams, 320 + 6272 * 10 + 10);
  // Fitted on the data set's own shape: nothing is added (the dataset gives it), and the CNN still needs channels.
  const [plain] = await parsePythonModels(script('X_train'));
  assert.equal(plain.definition!.layers[0].input_shape, undefined);
  assert.ok(
    analyze(plain).diagnostics.some((d) => d.severity === 'error' && /Conv2D needs a 3-D input/.test(d.message)),
  );
});

test("data that a boolean mask or the script's own function selects from is not the whole data set (Hands-On ML 3 ch. 11's tasks A and B)", async () => {
  const head = `import numpy as np
import tensorflow as tf
(X_train, y_train), (X_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
def split_dataset(X, y):
    y_for_B = (y == 2) | (y == 0)
    return ((X[~y_for_B], y[~y_for_B]), (X[y_for_B], y[y_for_B]))
`;
  const tail = `model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=[28, 28]),
    tf.keras.layers.Dense(8, activation="softmax")
])
model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
model.fit(X_a, y_a, epochs=20)
`;
  const selections = [
    '(X_a, y_a), (X_b, y_b) = split_dataset(X_train, y_train)\n',
    'mask = y_train < 8\nX_a, y_a = X_train[mask], y_train[mask]\n',
    'X_a, y_a = X_train[y_train < 8], y_train[y_train < 8]\n',
  ];
  for (const selection of selections) {
    const [model] = await parsePythonModels(head + selection + tail);
    assert.equal(model.definition?.dataset, undefined, selection);
    const errors = analyze(model).diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(errors, [], selection);
    // Train runs it on Fashion-MNIST, and the fit's data says so.
    const said = model.diagnostics.find((d) => /default data set, Fashion-MNIST/.test(d.message));
    assert.equal(said?.severity, 'information', selection);
    assert.equal(said?.range.start.line, 11 + selection.split('\n').length - 1, selection);
  }
  // Slices, integer indexes, np.newaxis and a permutation keep the data set (and its classes).
  for (const kept of [
    'X_a, y_a = X_train[:5000], y_train[:5000]\n',
    'X_a, y_a = X_train[5000:, ..., np.newaxis][:, :, :, 0], y_train[5000:]\n',
    // A shuffle keeps every example (Model Lab's own exported scripts shuffle before fit).
    'order = np.random.default_rng(42).permutation(len(X_train))\nX_a, y_a = X_train[order], y_train[order]\n',
  ]) {
    const [model] = await parsePythonModels(head + kept + tail);
    const dataset = model.definition?.dataset;
    assert.equal(typeof dataset === 'string' ? dataset : dataset?.name, 'fashion-mnist', kept);
  }
});
