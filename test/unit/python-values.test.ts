import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { find, findIn } from './python-helpers';

test('constants, arithmetic, negative numbers, booleans, None and string escapes', async () => {
  const text = `import tensorflow as tf
from tensorflow import keras

UNITS = 100
SHAPE = (28, 28)
DROP = 1 / 4
model = keras.Sequential([
    keras.layers.Reshape(target_shape=(28 * 28,), input_shape=SHAPE),
    keras.layers.Dense(UNITS, activation=None, use_bias=True, name='hid\\x' "den"),
    keras.layers.Dropout(DROP),
    keras.layers.BatchNormalization(axis=-1),
    keras.layers.Dense(UNITS // 10, activation='softmax', use_bias=False),
], name="values")
`;
  const [m] = await parsePythonModels(text);
  assert.deepEqual(m.diagnostics, []);
  assert.deepEqual(m.definition, {
    name: 'values',
    layers: [
      { type: 'Reshape', target_shape: [784], input_shape: [28, 28] },
      { type: 'Dense', units: 100, activation: 'linear', use_bias: true, name: 'hid\\xden' },
      { type: 'Dropout', rate: 0.25 },
      { type: 'BatchNormalization', axis: -1 },
      { type: 'Dense', units: 10, activation: 'softmax', use_bias: false },
    ],
  });
  // A constant's value shows at the use site; a tuple constant's elements keep their ranges in the constant.
  assert.deepEqual(m.ranges.values.get('layers[1].units'), findIn(text, 'Dense(UNITS,', 'UNITS'));
  assert.deepEqual(m.ranges.values.get('layers[0].input_shape'), findIn(text, '=SHAPE', 'SHAPE'));
  // `SHAPE = (28, 28)` is line 4; its second 28 spans characters 13-15.
  assert.deepEqual(m.ranges.values.get('layers[0].input_shape[1]'), {
    start: { line: 4, character: 13 },
    end: { line: 4, character: 15 },
  });
  assert.deepEqual(m.ranges.values.get('name'), find(text, '"values"'));
  assert.deepEqual(m.ranges.keys.get('name'), findIn(text, 'name="values"', 'name'));
  // 784*100+100 = 78,500; BatchNormalization 4*100 = 400 (200 non-trainable); 100*10 = 1,000 without bias.
  // A backslash is not in a name TensorFlow accepts: the escape reads right, and the name is an error at check time.
  assert.deepEqual(
    analyze(m)
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => d.path),
    ['layers[1].name'],
  );
  const layers = m.definition!.layers.map(({ name: _name, ...layer }) => layer);
  const summary = analyze({ ...m, definition: { ...m.definition!, layers } }).summary;
  assert.equal(summary?.totalParams, 78500 + 400 + 1000);
  assert.equal(summary?.nonTrainableParams, 200);
});

test('optimizer objects (positional, lr=, through a variable), loss and metric objects, fit and the seed', async () => {
  const text = `import tensorflow as tf
from tensorflow import keras

tf.random.set_seed(7)
(x_train, y_train), _ = keras.datasets.fashion_mnist.load_data()
x_train = x_train / 255.
opt = keras.optimizers.SGD(0.05, 0.9, nesterov=True)
model = keras.Sequential([keras.layers.Flatten(input_shape=[28, 28]), keras.layers.Dense(10, activation=tf.nn.softmax)])
model.compile(optimizer=opt, loss=keras.losses.SparseCategoricalCrossentropy(), metrics=[keras.metrics.SparseCategoricalAccuracy()])
model.fit(x_train, y_train, 64, 3, verbose=2, shuffle=False, validation_split=0.1, class_weight=None)

other = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
other.compile(keras.optimizers.Adam(lr=3e-4), 'mse')
`;
  const [m, other] = await parsePythonModels(text);
  assert.deepEqual(m.definition?.compile, {
    optimizer: { type: 'SGD', learning_rate: 0.05, momentum: 0.9, nesterov: true },
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'], // Keras's accuracy for this loss (python-metrics.test.ts)
  });
  assert.deepEqual(m.definition?.fit, { batch_size: 64, epochs: 3, shuffle: false, seed: 7 });
  assert.deepEqual(m.definition?.dataset, { name: 'fashion-mnist', validation_split: 0.1 });
  // The use site of `opt` is the optimizer's range; its arguments keep theirs in the constructor call.
  assert.deepEqual(m.ranges.values.get('compile.optimizer'), findIn(text, '=opt,', 'opt'));
  assert.deepEqual(m.ranges.values.get('compile.optimizer.momentum'), find(text, '0.9'));
  assert.deepEqual(m.ranges.values.get('fit.seed'), find(text, '7'));
  // class_weight is ignored, and said so where it is written (callbacks are read: python-callbacks.test.ts).
  assert.deepEqual(
    m.diagnostics.map((d) => [d.code, d.range]),
    [['python-ignored', find(text, 'class_weight')]],
  );
  assert.deepEqual(other.definition?.compile, { optimizer: { type: 'Adam', learning_rate: 0.0003 }, loss: 'mse' });
  assert.deepEqual(other.ranges.keys.get('compile.optimizer.learning_rate'), find(text, 'lr'));
  assert.equal(other.definition?.fit?.seed, 7, 'the seed in force when the model is built');
});

test('add/compile/fit after a with block, and a reassigned name ends a model', async () => {
  const text = `import keras
strategy = object()
with strategy.scope():
    model = keras.Sequential()
    model.add(keras.layers.Dense(4, input_shape=(2,)))
model.add(keras.layers.Dense(1))
model.compile(optimizer='rmsprop')
model = keras.Sequential([keras.layers.Dense(3, input_shape=(2,))])
model.compile(optimizer='adagrad')
`;
  const [a, b] = await parsePythonModels(text);
  assert.deepEqual(
    a.definition?.layers.map((l) => l.units),
    [4, 1],
  );
  assert.equal(a.definition?.compile?.optimizer, 'rmsprop');
  assert.deepEqual(b.definition?.compile, { optimizer: 'adagrad' });
  assert.deepEqual(a.range.end, find(text, "model.compile(optimizer='rmsprop')").end);
});

test('unknown layer arguments reach the analysis, which reports them at their keyword', async () => {
  const text = `import keras\nmodel = keras.Sequential([keras.layers.Dense(10, input_shape=(4,), unitz=3)])\n`;
  const [m] = await parsePythonModels(text);
  const problems = analyze(m).diagnostics.filter((d) => d.severity === 'error');
  assert.ok(problems.length > 0);
  assert.deepEqual(problems[0].range, find(text, 'unitz'));
});

test('a loop over literal values adds one layer per value; range() too; other loops stay unreadable', async () => {
  const { parsePythonModels } = await import('../../src/model/python/index');
  const { analyze } = await import('../../src/model/analyze');
  const text = `from tensorflow import keras
model_B = keras.models.Sequential()
model_B.add(keras.layers.Flatten(input_shape=[28, 28]))
for n_hidden in (300, 100, 50, 50, 50):
    model_B.add(keras.layers.Dense(n_hidden, activation="selu"))
for i in range(2):
    model_B.add(keras.layers.Dense(10 * (i + 1)))
model_B.add(keras.layers.Dense(1, activation="sigmoid"))
`;
  const [m] = await parsePythonModels(text);
  assert.deepEqual(m.diagnostics, []);
  assert.deepEqual(
    analyze(m).summary?.layers.map((l) => l.params),
    [0, 235500, 30100, 5050, 2550, 2550, 510, 220, 21],
  );
});

test('a name means its most recent assignment before the use, as Python runs the file', async () => {
  const { parsePythonModels } = await import('../../src/model/python/index');
  const text = `from tensorflow import keras
sgd = keras.optimizers.SGD(learning_rate=0.1)
model = keras.Sequential([keras.layers.Dense(10, input_shape=(4,))])
model.compile(optimizer=sgd, loss="mse")
sgd = keras.optimizers.SGD(momentum=0.9, nesterov=True)
model = keras.Sequential([keras.layers.Dense(10, input_shape=(4,))])
model.compile(optimizer=sgd, loss="mse")
n = 2
if flag:
    n = 3
n2 = 5
n2 = 6
model = keras.Sequential([keras.layers.Dense(n, input_shape=(4,)), keras.layers.Dense(n2)])
`;
  const [a, b, c] = await parsePythonModels(text);
  assert.deepEqual(a.definition?.compile?.optimizer, { type: 'SGD', learning_rate: 0.1 });
  assert.deepEqual(b.definition?.compile?.optimizer, { type: 'SGD', momentum: 0.9, nesterov: true });
  assert.match(
    c.diagnostics[0].message,
    /'n' is last assigned inside an if statement, so its value depends on how the script runs/,
  );
});

test("dtypes as TensorFlow and NumPy name them (Hands-On ML 3 ch. 19's `Flatten(…, dtype=tf.uint8)` on raw pixels)", async () => {
  const [m] = await parsePythonModels(`import tensorflow as tf
import numpy as np
model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=[28, 28], dtype=tf.uint8),
    tf.keras.layers.Rescaling(scale=1 / 255),
    tf.keras.layers.Dense(100, activation="relu", dtype=np.float32),
    tf.keras.layers.Dense(10, activation="softmax", dtype=tf.dtypes.float32),
])
`);
  assert.deepEqual(
    m.definition?.layers.map((l) => l.dtype),
    ['uint8', undefined, 'float32', 'float32'],
  );
  const said = analyze(m).diagnostics;
  assert.deepEqual(
    said.map((d) => [d.severity, d.range.start.line, d.message]),
    [['information', 3, 'Model Lab ignores dtype when it trains here: it computes in float32.']],
  );
  assert.equal(analyze(m).summary?.totalParams, 79510);
});

test("Dense's arguments by position in Keras's order: Dense(64, 'relu') (Jeff Heaton's T81-558 writes it so)", async () => {
  const [m] = await parsePythonModels(`from tensorflow import keras
model = keras.Sequential([
    keras.layers.Dense(64, 'relu', input_shape=(8,)),
    keras.layers.Dense(1, 'sigmoid', False),
])
`);
  assert.deepEqual(
    m.definition?.layers.map((l) => [l.units, l.activation, l.use_bias]),
    [
      [64, 'relu', undefined],
      [1, 'sigmoid', false],
    ],
  );
  assert.equal(m.incomplete, undefined);
  assert.equal(analyze(m).summary?.totalParams, 8 * 64 + 64 + 64);
});

test("activation='leaky_relu' and tf.nn.leaky_relu (TensorFlow's data compression tutorial), 'silu'", async () => {
  const [m] = await parsePythonModels(`import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.Dense(20, activation="leaky_relu", input_shape=(8,)),
    tf.keras.layers.Dense(20, activation=tf.nn.leaky_relu),
    tf.keras.layers.Dense(1, activation="silu"),
])
`);
  assert.deepEqual(
    m.definition?.layers.map((l) => l.activation),
    ['leaky_relu', 'leaky_relu', 'silu'],
  );
  assert.deepEqual(analyze(m).diagnostics, []);
});

test("an activation layer as activation= (Hands-On ML 3 ch. 17's GAN: `activation=tf.keras.layers.LeakyReLU(0.2)`); Keras 3's LeakyReLU(negative_slope=…)", async () => {
  // ageron/handson-ml3 @e3f3f9e, 17_autoencoders_gans_and_diffusion_models.ipynb, the DCGAN cell (input_shape added:
  // the published discriminator is built when the GAN first runs).
  const [d] = await parsePythonModels(`import tensorflow as tf
discriminator = tf.keras.Sequential([
    tf.keras.layers.Conv2D(64, kernel_size=5, strides=2, padding="same",
                        activation=tf.keras.layers.LeakyReLU(0.2), input_shape=[28, 28, 1]),
    tf.keras.layers.Dropout(0.4),
    tf.keras.layers.Conv2D(128, kernel_size=5, strides=2, padding="same",
                        activation=tf.keras.layers.LeakyReLU(0.2)),
    tf.keras.layers.Dropout(0.4),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(1, activation="sigmoid")
])
`);
  assert.deepEqual(
    d.definition?.layers.map((l) => l.activation),
    ['leaky_relu', undefined, 'leaky_relu', undefined, undefined, 'sigmoid'],
  );
  assert.equal(analyze(d).summary?.totalParams, 1664 + 204928 + 6273);
  const read = async (activation: string) =>
    (
      await parsePythonModels(`from tensorflow import keras
relu = keras.layers.ReLU()
m = keras.Sequential([keras.layers.Dense(4, input_shape=[3], activation=${activation})])
`)
    )[0];
  for (const [written, name] of [
    ['relu', 'relu'],
    ['keras.layers.LeakyReLU(alpha=0.2)', 'leaky_relu'],
    ['keras.layers.LeakyReLU(negative_slope=0.2)', 'leaky_relu'],
    ['keras.layers.ELU()', 'elu'],
    ['keras.layers.Softmax()', 'softmax'],
    ["keras.layers.Activation('tanh')", 'tanh'],
  ]) {
    const m = await read(written);
    assert.equal(m.definition?.layers[0].activation, name, written);
    assert.deepEqual(m.diagnostics, [], written);
  }
  for (const [written, reason] of [
    ['keras.layers.LeakyReLU()', /a LeakyReLU of slope 0.3 as an activation is not one Model Lab has/],
    ['keras.layers.PReLU()', /a PReLU layer as an activation is not one Model Lab reads/],
    ['keras.layers.ReLU(max_value=6)', /a ReLU with arguments as an activation/],
  ] as const) {
    const m = await read(written);
    assert.match(m.diagnostics.map((x) => x.message).join('\n'), reason, written);
  }
  // Keras 3 names LeakyReLU's slope negative_slope (keras.io's DCGAN); it was "LeakyReLU has no setting".
  const [k3] = await parsePythonModels(`import keras
m = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4), keras.layers.LeakyReLU(negative_slope=0.1)])
`);
  assert.equal(k3.definition?.layers[1].alpha, 0.1);
  assert.deepEqual(analyze(k3).diagnostics, []);
});

test("Nadam and AdamW by alias and class (tf.keras's experimental path too); weight_decay and clipping are carried, use_ema said to be ignored where written", async () => {
  const text = `import tensorflow as tf
from tensorflow import keras

a = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
a.compile(optimizer="nadam", loss="mse")
b = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
b.compile(optimizer=tf.keras.optimizers.Nadam(learning_rate=0.002, beta_1=0.95), loss="mse")
c = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
c.compile(optimizer=tf.keras.optimizers.experimental.AdamW(weight_decay=1e-5, learning_rate=0.01), loss="mse")
d = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
d.compile(optimizer=keras.optimizers.SGD(0.01, weight_decay=1e-4, clipnorm=1.0, use_ema=True, clipvalue=None), loss="mse")
e = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
e.compile(optimizer=tf.keras.optimizers.legacy.Nadam(), loss="mse")
`;
  const [a, b, c, d, e] = await parsePythonModels(text);
  assert.deepEqual(e.definition?.compile?.optimizer, { type: 'Nadam' });
  assert.deepEqual(
    e.diagnostics.map((x) => [x.severity, x.range, x.message]),
    [
      [
        'warning',
        find(text, 'tf.keras.optimizers.legacy.Nadam'),
        "Model Lab trains Keras 3's Nadam (momentum cache beta_1 * (1 - 0.5 * 0.96^t)), not legacy Keras 2's (0.96^(0.004 t)), so its numbers can differ from this optimizer's.",
      ],
    ],
  );
  assert.equal(a.definition?.compile?.optimizer, 'nadam');
  assert.deepEqual(b.definition?.compile?.optimizer, { type: 'Nadam', learning_rate: 0.002, beta_1: 0.95 });
  assert.deepEqual(c.definition?.compile?.optimizer, { type: 'AdamW', weight_decay: 1e-5, learning_rate: 0.01 });
  assert.deepEqual(d.definition?.compile?.optimizer, {
    type: 'SGD',
    learning_rate: 0.01,
    weight_decay: 1e-4,
    clipnorm: 1,
  });
  // Keras's defaults (None) say nothing; use_ema=True is a warning at its keyword.
  assert.deepEqual(
    [...a.diagnostics, ...b.diagnostics, ...c.diagnostics, ...d.diagnostics].map((x) => [
      x.severity,
      x.range,
      x.message,
    ]),
    [
      [
        'warning',
        find(text, 'use_ema'),
        "Model Lab does not implement the optimizer argument 'use_ema' (Keras keeps a moving average of the weights): it trains without it, so its numbers can differ from Keras's.",
      ],
    ],
  );
  for (const m of [a, b, c, d]) {
    assert.deepEqual(
      analyze(m).diagnostics.filter((x) => x.severity === 'error'),
      [],
    );
  }
});

test('a name spelled the same everywhere resolves once by its text; a name assigned another chain is followed at each use', async () => {
  // `Layer` is bound to two classes in turn: each use resolves to the class it holds there, not to the first
  // answer for the same text (resolveName keeps answers by text only for chains whose first name is no alias).
  const models = await parsePythonModels(`import keras
Layer = keras.layers.Dense
m1 = keras.Sequential([keras.layers.Dense(3, input_shape=(4,)), Layer(2)])
Layer = keras.layers.Dropout
m2 = keras.Sequential([keras.layers.Dense(3, input_shape=(4,)), Layer(0.5)])
`);
  assert.deepEqual(
    models.map((m) => m.definition?.layers.map((l) => l.type)),
    [
      ['Dense', 'Dense'],
      ['Dense', 'Dropout'],
    ],
  );
});

test("a tuple or list repeated by an int, as Python's * does (Hands-On ML 3 ch. 15's WaveNet: `for rate in (1, 2, 4, 8) * 2`)", async () => {
  // ageron/handson-ml3 @e3f3f9e, 15_processing_sequences_using_rnns_and_cnns.ipynb, the WaveNet cell.
  const [m] = await parsePythonModels(`import tensorflow as tf
wavenet_model = tf.keras.Sequential()
wavenet_model.add(tf.keras.layers.InputLayer(input_shape=[None, 5]))
for rate in (1, 2, 4, 8) * 2:
    wavenet_model.add(tf.keras.layers.Conv1D(
        filters=32, kernel_size=2, padding="causal", activation="relu",
        dilation_rate=rate))
wavenet_model.add(tf.keras.layers.Conv1D(filters=14, kernel_size=1))
`);
  assert.deepEqual(
    m.definition?.layers.map((l) => l.dilation_rate),
    [1, 2, 4, 8, 1, 2, 4, 8, undefined],
  );
  assert.equal(analyze(m).summary?.totalParams, 352 + 7 * 2080 + 462);
  const units = async (expr: string) =>
    (
      await parsePythonModels(`from tensorflow import keras
m = keras.Sequential([keras.layers.Flatten(input_shape=[4])])
for n in ${expr}:
    m.add(keras.layers.Dense(n))
`)
    )[0];
  assert.deepEqual(
    (await units('[64] * 2 + 3 * [8]')).definition?.layers.map((l) => l.units),
    [undefined, 64, 64, 8, 8, 8],
  );
  assert.deepEqual(
    (await units('[64] * 0 + [8]')).definition?.layers.map((l) => l.units),
    [undefined, 8],
  );
  // The bound on what one line can ask for: the reason is the layer's (a loop over it only says it is not read).
  const [huge] = await parsePythonModels(`from tensorflow import keras
m = keras.Sequential([keras.layers.Flatten(input_shape=[28] * 10**9)])
`);
  assert.match(
    huge.diagnostics.map((d) => d.message).join('\n'),
    /a list repeated to more than 100,000 items is not evaluated/,
  );
  // Nested lists count their items, and a join is bounded alike: each of these went past the bound (the first, ten
  // billion values, exhausted the heap of whatever read the argument).
  for (const [expr, said] of [
    ['[[0] * 100000] * 100000', /a list repeated to more than 100,000 items is not evaluated/],
    ['[[]] * 10**9', /a list repeated to more than 100,000 items is not evaluated/],
    ['[[0] * 60000] + [[0] * 60000]', /a list joined to more than 100,000 items is not evaluated/],
  ] as const) {
    const [m] = await parsePythonModels(`from tensorflow import keras
m = keras.Sequential([keras.layers.Flatten(input_shape=${expr})])
`);
    assert.match(m.diagnostics.map((d) => d.message).join('\n'), said, expr);
  }
  const float = await units('[8] * 2.5');
  assert.match(float.diagnostics.map((d) => d.message).join('\n'), /added inside a for loop/);
});
