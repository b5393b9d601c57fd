/**
 * Where a Sequential model gets its input shape in Python besides `input_shape` / `keras.Input`: `model.build(...)`,
 * and, when nothing gives it one, Keras building it on its first data (information, the model incomplete).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { formatSummary } from '../../src/model/summary-format';
import { find, findIn } from './python-helpers';

const HEAD = `import keras
`;

async function one(text: string) {
  const models = await parsePythonModels(HEAD + text);
  assert.equal(models.length, 1, 'one model');
  return models[0];
}

const MLP = `model = keras.Sequential([
    keras.layers.Flatten(),
    keras.layers.Dense(300, activation="relu"),
    keras.layers.Dense(100, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
`;

test('model.build(input_shape=(None, 28, 28)) gives the first layer its input shape: the summary Keras prints', async () => {
  const text = MLP + 'model.build(input_shape=(None, 28, 28))\nmodel.summary()\n';
  const built = await one(text);
  assert.equal(built.incomplete, undefined);
  assert.deepEqual(built.definition!.layers[0], { type: 'Flatten', input_shape: [28, 28] });
  // The shape points at the build's argument.
  assert.deepEqual(built.ranges.values.get('layers[0].input_shape'), find(HEAD + text, '(None, 28, 28)'));
  const a = analyze(built);
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
  // Hands-On ML 3, chapter 10's MLP: Total params: 266,610.
  assert.equal(a.summary?.totalParams, 266_610);
  const declared = analyze(await one(MLP.replace('Flatten()', 'Flatten(input_shape=[28, 28])')));
  assert.equal(formatSummary(a.summary!), formatSummary(declared.summary!));
});

test('model.build((None, 784)) positional, after model.add, and with the summary called in a later statement', async () => {
  const text = `model = keras.Sequential()
model.add(keras.layers.Dense(64, activation="relu"))
model.add(keras.layers.Dense(10))
model.build((None, 784))
print("built")
model.summary()
`;
  const built = await one(text);
  assert.equal(built.incomplete, undefined);
  assert.deepEqual(built.definition!.layers[0].input_shape, [784]);
  assert.equal(analyze(built).summary?.totalParams, 784 * 64 + 64 + 650);
});

test('model.build with a shape Model Lab cannot read or without a batch axis says so at the argument', async () => {
  const unknown = HEAD + MLP + 'model.build(input_shape=shape_from_data)\n';
  const [m] = await parsePythonModels(unknown);
  const d = m.diagnostics.find((x) => x.code === 'python-unreadable');
  assert.equal(d?.severity, 'information');
  assert.deepEqual(d?.range, find(unknown, 'shape_from_data'));
  assert.ok(m.incomplete);
  assert.ok(!analyze(m).diagnostics.some((x) => x.severity === 'error'));

  const flat = HEAD + MLP + 'model.build((784,))\n';
  const [f] = await parsePythonModels(flat);
  const e = analyze(f).diagnostics.find((x) => x.severity === 'error');
  assert.match(e?.message ?? '', /build\(\) takes the batch axis first/);
  assert.deepEqual(e?.range, find(flat, '(784,)'));
});

test('an input shape given on the first layer wins over a later build, as in Keras (the layer is already built)', async () => {
  const built = await one(MLP.replace('Flatten()', 'Flatten(input_shape=[28, 28])') + 'model.build((None, 32, 32))\n');
  assert.deepEqual(built.definition!.layers[0].input_shape, [28, 28]);
});

test('a Sequential without input shape whose data is not followed: information, not an error; incomplete, not trainable', async () => {
  const text =
    MLP + 'model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")\nmodel.fit(X_train, y_train)\n';
  const m = await one(text);
  const a = analyze(m);
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const info = a.diagnostics.filter((d) => d.code === 'no-input-shape');
  assert.equal(info.length, 1);
  assert.equal(info[0].severity, 'information');
  assert.deepEqual(info[0].range, findIn(HEAD + text, 'keras.layers.Flatten()', 'keras.layers.Flatten()'));
  assert.match(info[0].message, /^summary needs an input shape: Keras builds it when it is first called on data/);
  assert.match(m.incomplete ?? '', /summary needs an input shape/);
  assert.equal(a.summary, undefined);
});

test('the same model fitted on data Model Lab follows takes its shape from the data, with no information', async () => {
  const text = `(X_train, y_train), _ = keras.datasets.fashion_mnist.load_data()
${MLP}model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
model.fit(X_train / 255.0, y_train)
`;
  const m = await one(text);
  assert.equal(m.incomplete, undefined);
  const a = analyze(m);
  assert.equal(
    a.diagnostics.find((d) => d.code === 'no-input-shape'),
    undefined,
  );
  assert.equal(a.summary?.totalParams, 266_610);
});

// hg-mldl (혼자 공부하는 머신러닝+딥러닝) 7-3: one function builds the model with and without a Dropout argument.
const MODEL_FN = `def model_fn(a_layer=None):
    model = keras.Sequential()
    model.add(keras.layers.Flatten(input_shape=(28, 28)))
    model.add(keras.layers.Dense(100, activation='relu'))
    if a_layer:
        model.add(a_layer)
    model.add(keras.layers.Dense(10, activation='softmax'))
    return model

model = model_fn()
model = model_fn(keras.layers.Dropout(0.3))
`;

test('a layer passed as a function argument is read as the layer, and `if a_layer:` follows it', async () => {
  const text = HEAD + MODEL_FN;
  const [plain, dropout] = await parsePythonModels(text);
  assert.equal(plain.incomplete, undefined);
  assert.equal(dropout.incomplete, undefined);
  assert.deepEqual(
    plain.definition!.layers.map((l) => l.type),
    ['Flatten', 'Dense', 'Dense'],
  );
  assert.deepEqual(dropout.definition!.layers[2], { type: 'Dropout', rate: 0.3 });
  // The layer is where the call writes it.
  assert.deepEqual(dropout.ranges.values.get('layers[2]'), find(text, 'keras.layers.Dropout(0.3)'));
  assert.deepEqual(dropout.ranges.values.get('layers[2].rate'), find(text, '0.3'));
  // The book's printed summaries: 79,510 parameters both (Dropout has none).
  assert.equal(analyze(plain).summary?.totalParams, 79_510);
  const a = analyze(dropout);
  assert.equal(a.summary?.totalParams, 79_510);
  assert.deepEqual(
    a.summary?.layers.map((l) => l.name),
    ['flatten_1', 'dense_2', 'dropout', 'dense_3'],
  );
});

test('`if a_layer is not None:` too; a layer argument Model Lab cannot read stops the model there', async () => {
  const isNot = await parsePythonModels(
    HEAD + MODEL_FN.replace('if a_layer:', 'if a_layer is not None:').replace('model = model_fn()\n', ''),
  );
  assert.equal(isNot.length, 1);
  assert.deepEqual(isNot[0].definition!.layers[2], { type: 'Dropout', rate: 0.3 });

  const text = HEAD + MODEL_FN.replace('model = model_fn()\n', '').replace('Dropout(0.3)', 'MyLayer(0.3)');
  const [m] = await parsePythonModels(text);
  assert.match(m.incomplete ?? '', /^layer 3 cannot be read statically/);
  const info = m.diagnostics.find((d) => d.code === 'python-unreadable');
  assert.deepEqual(info?.range, find(text, 'keras.layers.MyLayer(0.3)'));
});

test('a Sequential without input shape used as a layer takes the outer model’s input (Hands-On ML 3 ch. 14’s augmentation)', async () => {
  const text = `${HEAD}data_augmentation = keras.Sequential([
    keras.layers.RandomFlip(mode="horizontal"),
    keras.layers.RandomRotation(factor=0.05),
])
model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    data_augmentation,
    keras.layers.Flatten(),
    keras.layers.Dense(10),
])
`;
  const [inner, outer] = await parsePythonModels(text);
  assert.match(inner.incomplete ?? '', /summary needs an input shape/);
  assert.equal(outer.incomplete, undefined);
  const a = analyze(outer);
  assert.equal(a.summary?.totalParams, 32 * 32 * 3 * 10 + 10);
  assert.deepEqual(a.layers[0].outputShape, [null, 32, 32, 3]);
});
