/**
 * Static evaluation of what a script makes knowable without running it: function parameters (defaults and the
 * call's arguments), conditionals on constants, unpacking, indexing and slicing, list comprehensions,
 * functools.partial of a layer class, and `input_shape=X.shape[1:]` from a Keras dataset loader.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { find, findIn } from './python-helpers';

const HEAD = `import numpy as np
from functools import partial
import tensorflow as tf
from tensorflow import keras
`;

async function one(text: string) {
  const models = await parsePythonModels(HEAD + text);
  assert.equal(models.length, 1, 'one model');
  return models[0];
}

test('a model built in a function reads its parameters from the call, positional or keyword, else the defaults', async () => {
  const body = `def create_model(n_hidden=1, n_neurons=30, rate=0.5, input_shape=[8]):
    model = keras.models.Sequential()
    model.add(keras.layers.InputLayer(input_shape=input_shape))
    for layer in range(n_hidden):
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dropout(rate))
    model.add(keras.layers.Dense(1))
    return model
`;
  const withArgs = await one(body + 'model = create_model(2, rate=0.25, n_neurons=100)\n');
  assert.equal(withArgs.incomplete, undefined);
  assert.deepEqual(withArgs.definition!.layers, [
    { type: 'Dense', units: 100, activation: 'relu', input_shape: [8] },
    { type: 'Dense', units: 100, activation: 'relu' },
    { type: 'Dropout', rate: 0.25 },
    { type: 'Dense', units: 1 },
  ]);
  // 8*100+100 + 100*100+100 + 101 = 11,101; the value shows where the parameter is used.
  assert.equal(analyze(withArgs).summary?.totalParams, 900 + 10100 + 101);
  const text = HEAD + body;
  assert.deepEqual(withArgs.ranges.values.get('layers[0].units'), findIn(text, 'Dense(n_neurons', 'n_neurons'));

  const defaults = await one(body);
  assert.deepEqual(defaults.definition!.layers, [
    { type: 'Dense', units: 30, activation: 'relu', input_shape: [8] },
    { type: 'Dropout', rate: 0.5 },
    { type: 'Dense', units: 1 },
  ]);
  const noDefault = await one(body.replace('n_neurons=30', 'n_neurons') + 'm = create_model(*sizes)\n');
  // Called with *args: nothing is assumed, the model stops at the first layer that needs a parameter.
  assert.match(noDefault.incomplete ?? '', /^layer 1 cannot be read statically/);
});

test('a parameter the function reassigns reads the assignment; a module constant used in a function has its value at the call', async () => {
  const model = await one(`UNITS = 10
def build(units=4):
    units = units * 2
    return keras.Sequential([keras.layers.Dense(units, input_shape=(3,)), keras.layers.Dense(UNITS)])
UNITS = 20
m = build(5)
UNITS = 30
`);
  assert.deepEqual(
    model.definition!.layers.map((l) => l.units),
    [10, 20],
  );
});

test('conditionals on constants: if-expressions, comparisons, and/or/not; unknown conditions are positioned', async () => {
  const model = await one(`BIG = True
SIZE = 64
MODE = "wide"
model = keras.Sequential([
    keras.layers.Dense(512 if BIG else 32, input_shape=(10,)),
    keras.layers.Dense(SIZE * 2 if SIZE >= 64 and MODE == "wide" else SIZE),
    keras.layers.Dense(1 if not BIG or MODE in ("narrow", "thin") else 2),
    keras.layers.Dense(3 if 0 < SIZE < 10 else 4),
])
`);
  assert.deepEqual(
    model.definition!.layers.map((l) => l.units),
    [512, 128, 2, 4],
  );
  const unknown = await one(`model = keras.Sequential([keras.layers.Dense(8 if flag else 4, input_shape=(10,))])\n`);
  assert.match(unknown.incomplete ?? '', /the condition 'flag' is only known when the script runs/);
});

test('unpacking, indexing and slicing of literal tuples', async () => {
  const model = await one(`SIZES = (300, 100, 50)
first, (second, third) = SIZES[0], SIZES[1:]
model = keras.Sequential([
    keras.layers.Dense(first, input_shape=[28 * 28]),
    keras.layers.Dense(second),
    keras.layers.Dense(SIZES[-1]),
    keras.layers.Dense(SIZES[::-1][0]),
])
`);
  assert.deepEqual(
    model.definition!.layers.map((l) => l.units),
    [300, 100, 50, 50],
  );
});

test('input_shape=X.shape[1:] follows a Keras dataset loader through division, slicing, reshape, astype and expand_dims', async () => {
  const model = await one(`(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
X_train_full = X_train_full / 255.0
X_valid, X_train = X_train_full[:5000], X_train_full[5000:]
X_train = np.expand_dims(X_train, -1).astype("float32")
X_flat = X_test.reshape(-1, 28 * 28)
x_c, _ = keras.datasets.cifar10.load_data()
x_c = x_c[0][..., np.newaxis]
model = keras.Sequential([
    keras.layers.Conv2D(8, 3, input_shape=X_train.shape[1:]),
    keras.layers.Flatten(),
    keras.layers.Dense(X_flat.shape[1]),
    keras.layers.Dense(x_c.shape[-1]),
    keras.layers.Dense(len(X_valid)) if False else keras.layers.Dense(X_valid.shape[0] // 1000),
])
`);
  assert.equal(model.incomplete, undefined);
  assert.deepEqual(model.definition!.layers[0].input_shape, [28, 28, 1]);
  assert.deepEqual(
    model.definition!.layers.slice(2).map((l) => l.units),
    [784, 1, 5],
  );
  const unknown = await one(`X = load_my_data()
model = keras.Sequential([keras.layers.Dense(3, input_shape=X.shape[1:])])
`);
  assert.match(unknown.incomplete ?? '', /'X\.shape' is only known when the script runs/);
});

test("input_shape=X.shape[1:] follows scikit-learn's data sets through train_test_split and a scaler", async () => {
  // Hands-On ML 2 ch. 10's California housing models: 20,640 examples of 8 features; train_test_split holds out
  // ceil(test_size * n) (0.25 by default) and keeps the rest, or floor(train_size * n); a scaler keeps the shape.
  const model = await one(`from sklearn.datasets import fetch_california_housing, load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

housing = fetch_california_housing()
X_train_full, X_test, y_train_full, y_test = train_test_split(housing.data, housing.target, random_state=42)
X_train, X_valid, y_train, y_valid = train_test_split(X_train_full, y_train_full, test_size=0.2)
a, b = train_test_split(X_test, test_size=100)
c, d = train_test_split(X_test, train_size=0.3)
X_iris, y_iris = load_iris(return_X_y=True)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_valid = scaler.transform(X_valid)
model = keras.Sequential([
    keras.layers.Dense(30, input_shape=X_train.shape[1:]),
    keras.layers.Dense(X_train.shape[0]),
    keras.layers.Dense(X_valid.shape[0]),
    keras.layers.Dense(X_test.shape[0]),
    keras.layers.Dense(y_valid.shape[0]),
    keras.layers.Dense(b.shape[0] + a.shape[0]),
    keras.layers.Dense(c.shape[0]),
    keras.layers.Dense(load_iris().data.shape[1]),
    keras.layers.Dense(X_iris.shape[1] + y_iris.shape[0]),
])
`);
  assert.equal(model.incomplete, undefined);
  assert.deepEqual(model.definition!.layers[0].input_shape, [8]);
  assert.deepEqual(
    model.definition!.layers.slice(1).map((l) => l.units),
    [12384, 3096, 5160, 3096, 5160, 1548, 4, 154],
  );
  const unknown = await one(`from sklearn.datasets import fetch_california_housing
from sklearn.decomposition import PCA
X = PCA(n_components=2).fit_transform(fetch_california_housing().data)
model = keras.Sequential([keras.layers.Dense(3, input_shape=X.shape[1:])])
`);
  assert.match(unknown.incomplete ?? '', /'X\.shape' is only known when the script runs/);
});

test('list comprehensions over literal values and range(), joined with +, with if clauses', async () => {
  const model = await one(`SIZES = (300, 100)
model = keras.Sequential(
    [keras.layers.Flatten(input_shape=[28, 28])]
    + [keras.layers.Dense(n, activation="relu") for n in SIZES]
    + [keras.layers.Dense(10 * k) for k in range(1, 4) if k != 2]
)
`);
  assert.equal(model.incomplete, undefined);
  assert.deepEqual(
    model.definition!.layers.map((l) => l.units ?? l.type),
    ['Flatten', 300, 100, 10, 30],
  );
  assert.ok(model.ranges.values.get('layers[1].units'), 'a comprehension layer has its source range');
  const unknown = await one(`model = keras.Sequential([keras.layers.Dense(n) for n in sizes])\n`);
  assert.match(unknown.incomplete ?? '', /'sizes' is only known when the script runs/);
});

test("another model's layers are the same layer objects: they keep Keras's names from the first model", async () => {
  const models = await parsePythonModels(
    HEAD +
      `base = keras.Sequential([
    keras.layers.Flatten(input_shape=[28, 28]),
    keras.layers.Dense(300, activation="relu"),
    keras.layers.Dense(100, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
clone = keras.Sequential([layer for layer in base.layers[:-1]])
clone.add(keras.layers.Dense(1, activation="sigmoid"))
head = keras.Sequential(base.layers[:2])
again = keras.Sequential()
for layer in base.layers[:-1]:
    again.add(layer)
`,
  );
  assert.equal(models.length, 4);
  const [, clone, head, again] = models;
  for (const m of [clone, head, again]) assert.equal(m.incomplete, undefined);
  // Keras: the shared layers keep flatten, dense, dense_1; the new Dense is the session's fourth (dense_3).
  assert.deepEqual(
    analyze(clone).summary!.layers.map((l) => l.name),
    ['flatten', 'dense', 'dense_1', 'dense_3'],
  );
  assert.equal(analyze(clone).summary!.totalParams, 235500 + 30100 + 101);
  assert.deepEqual(
    analyze(head).summary!.layers.map((l) => l.name),
    ['flatten', 'dense'],
  );
  assert.deepEqual(
    analyze(again).summary!.layers.map((l) => l.name),
    ['flatten', 'dense', 'dense_1'],
  );
  assert.equal(clone.definition!.name, 'sequential_1');
});

test("the layers of a model cut short are not known: a model made of them is incomplete, never an empty model's error", async () => {
  // jeffheaton/t81_558_deep_learning, t81_558_class_09_1_keras_transfer.ipynb (commit
  // e674d07b85289b0cfb4cc57ff213228fd2ae4dc4), cells 7 and 13: the first model's input_dim is x.shape[1] of a
  // pandas frame, so Model Lab reads none of its layers; the transfer loop copies them all.
  const text = `import pandas as pd
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Activation
df = pd.read_csv("https://data.heatonresearch.com/data/t81-558/iris.csv", na_values=['NA', '?'])
x = df[['sepal_l', 'sepal_w', 'petal_l', 'petal_w']].values
y = pd.get_dummies(df['species']).values
model = Sequential()
model.add(Dense(50, input_dim=x.shape[1], activation='relu')) # Hidden 1
model.add(Dense(25, activation='relu')) # Hidden 2
model.add(Dense(y.shape[1],activation='softmax')) # Output
model.compile(loss='categorical_crossentropy', optimizer='adam')
model2 = Sequential()
for layer in model.layers:
    model2.add(layer)
model2.summary()
model3 = Sequential(model.layers[:-1])
`;
  const [, model2, model3] = await parsePythonModels(text);
  for (const [i, m] of [model2, model3].entries()) {
    assert.match(m.incomplete ?? '', /^layer 1 cannot be read statically \('model\.layers' is not known/);
    const problems = analyze(m).diagnostics.filter((d) => d.severity !== 'information');
    assert.deepEqual(problems, []);
    const info = m.diagnostics.find((d) => d.code === 'python-unreadable');
    assert.match(info?.message ?? '', /'model\.layers' is not known: layer 1 of 'model' cannot be read statically/);
    assert.deepEqual(info?.range, find(text, 'model.layers', i));
  }
});

test('if statements on constants choose the layers added; an unknown condition stays unreadable', async () => {
  const model = await one(`USE_BN = False
DEPTH = 2
model = keras.Sequential()
model.add(keras.layers.Dense(64, input_shape=(8,)))
if USE_BN:
    model.add(keras.layers.BatchNormalization())
elif DEPTH > 1:
    model.add(keras.layers.Dense(32))
    if DEPTH > 5:
        model.add(keras.layers.Dense(16))
else:
    model.add(keras.layers.Dropout(0.5))
model.add(keras.layers.Dense(1))
`);
  assert.equal(model.incomplete, undefined);
  assert.deepEqual(
    model.definition!.layers.map((l) => l.units),
    [64, 32, 1],
  );
  const unknown = await one(`model = keras.Sequential()
model.add(keras.layers.Dense(64, input_shape=(8,)))
if args.bn:
    model.add(keras.layers.BatchNormalization())
`);
  assert.match(unknown.incomplete ?? '', /inside an if statement/);
});

test("functools.partial of a layer class: Hands-On ML 3's DefaultConv2D model as published", async () => {
  const text = readFileSync(
    join(__dirname, '../fixtures/python/handson-ml3--14_deep_computer_vision_with_cnns--cell52.py'),
    'utf8',
  );
  const [model] = await parsePythonModels(text);
  assert.equal(model.incomplete, undefined);
  assert.deepEqual(model.definition!.layers[0], {
    type: 'Conv2D',
    kernel_size: 7,
    padding: 'same',
    activation: 'relu',
    kernel_initializer: 'he_normal',
    filters: 64,
    input_shape: [28, 28, 1],
  });
  const summary = analyze(model).summary!;
  // 7·7·1·64+64, 3·3·64·128+128, 3·3·128·128+128, 3·3·128·256+256, 3·3·256·256+256, 2304·128+128, 128·64+64, 64·10+10
  assert.deepEqual(
    summary.layers.filter((l) => l.params > 0).map((l) => l.params),
    [3200, 73856, 147584, 295168, 590080, 295040, 8256, 650],
  );
  assert.equal(summary.totalParams, 1413834);
  // The partial's keyword shows where the partial gives it; the call's own keyword wins over the partial's.
  assert.deepEqual(model.ranges.values.get('layers[2].kernel_size'), findIn(text, 'kernel_size=3', '3'));
  assert.deepEqual(model.ranges.values.get('layers[0].kernel_size'), findIn(text, 'kernel_size=7', '7'));
});

test('a model returned by a function takes the compile and fit of the variable its call is assigned to', async () => {
  // Hands-On ML 2nd edition, chapter 10 (handson-ml2/10_neural_nets_with_keras.ipynb): build_model, then the
  // caller compiles and fits what it returns.
  const body = `def build_model(n_hidden=1, n_neurons=30, learning_rate=3e-3, input_shape=[8]):
    model = keras.models.Sequential()
    model.add(keras.layers.InputLayer(input_shape=input_shape))
    for layer in range(n_hidden):
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dense(1))
    return model

keras_reg = build_model(n_neurons=50)
keras_reg.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=1e-3))
history = keras_reg.fit(X_train, y_train, epochs=20, batch_size=64)
`;
  const m = await one(body);
  assert.equal(m.incomplete, undefined);
  assert.equal(m.definition!.layers[0].units, 50);
  assert.equal(m.definition!.compile?.loss, 'mse');
  assert.deepEqual(m.definition!.compile?.optimizer, { type: 'SGD', learning_rate: 1e-3 });
  assert.deepEqual(m.definition!.fit, { epochs: 20, batch_size: 64 });
  assert.deepEqual(m.ranges.values.get('compile.loss'), findIn(HEAD + body, 'loss="mse"', '"mse"'));
  assert.equal(m.trainings?.length, 1);
  // Not returned: the caller's variable is something else, and its compile is not the model's.
  const kept = await one(body.replace('    return model\n', '    return None\n'));
  assert.equal(kept.definition!.compile, undefined);
});
