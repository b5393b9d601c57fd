/**
 * A model-building function called several times gives one model per call, each read with that call's arguments,
 * named as one run of the script names them (call order, per-session counting), with the compile and fit of the
 * variable the call is assigned to.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { hoverAt, inlayHints } from '../../src/model/describe';
import { compareFileModels, trainTarget } from '../../src/model/file-models';
import { parsePythonModels } from '../../src/model/python/index';
import { find, findIn } from './python-helpers';

const HEAD = `import tensorflow as tf
from tensorflow import keras
`;

const CREATE = `def create_model(hidden=200):
    model = keras.Sequential([
        keras.layers.Dense(hidden, activation="relu", input_shape=(784,)),
        keras.layers.Dense(10, activation="softmax"),
    ])
    return model

`;

test('each call of a model-building function is a model of its own, with its arguments and its names', async () => {
  const text =
    HEAD +
    CREATE +
    `a = create_model()
a.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
a.fit(x_train, y_train, epochs=3)
b = create_model(hidden=300)
b.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
b.fit(x_train, y_train, epochs=5)
`;
  const models = await parsePythonModels(text);
  assert.equal(models.length, 2);
  const [a, b] = models;
  assert.equal(a.incomplete, undefined);
  assert.equal(b.incomplete, undefined);
  // Keras: the first call makes sequential with dense, dense_1; the second sequential_1 with dense_2, dense_3.
  assert.equal(a.definition!.name, undefined);
  assert.deepEqual(
    a.definition!.layers.map((l) => [l.units, l.name]),
    [
      [200, undefined],
      [10, undefined],
    ],
  );
  assert.equal(b.definition!.name, 'sequential_1');
  assert.deepEqual(
    b.definition!.layers.map((l) => [l.units, l.name]),
    [
      [300, 'dense_2'],
      [10, 'dense_3'],
    ],
  );
  assert.equal(analyze(a).summary?.totalParams, 784 * 200 + 200 + 2010);
  assert.equal(analyze(b).summary?.totalParams, 784 * 300 + 300 + 3010);
  // Each its own compile and fit: the variable its call is assigned to.
  assert.equal(a.definition!.compile?.optimizer, 'sgd');
  assert.deepEqual(a.definition!.fit, { epochs: 3 });
  assert.equal(b.definition!.compile?.optimizer, 'adam');
  assert.deepEqual(b.definition!.fit, { epochs: 5 });
  assert.equal(b.trainings?.length, 1);

  // The first call's model is the one shown in the function (hovers, inlay hints); the later call's model sits at
  // its call, where hovering the function's name shows its summary, and shows nothing inside the function.
  assert.deepEqual(a.ranges.values.get('layers[0].units'), findIn(text, 'Dense(hidden', 'hidden'));
  const call = find(text, 'b = create_model(hidden=300)');
  assert.deepEqual(b.range.start, call.start);
  assert.deepEqual(b.range.end, find(text, 'b.fit(x_train, y_train, epochs=5)').end);
  assert.equal(b.ranges.values.get('layers[0].units'), undefined);
  assert.deepEqual(inlayHints(b, analyze(b)), []);
  assert.equal(inlayHints(a, analyze(a)).length, 2);
  const onName = findIn(text, 'b = create_model(hidden=300)', 'create_model').start;
  const hover = hoverAt(b, analyze(b), { line: onName.line, character: onName.character + 2 });
  assert.match(hover?.markdown ?? '', /sequential_1/);
  assert.match(hover?.markdown ?? '', /dense_2 \(Dense\)\s+\(None, 300\)\s+235500/);
  assert.deepEqual(a.ranges.values.get('compile.optimizer'), findIn(text, 'optimizer="sgd"', '"sgd"'));
  assert.deepEqual(b.ranges.values.get('compile.optimizer'), findIn(text, 'optimizer="adam"', '"adam"'));
});

test('models are named in the order the script makes them: a function called after a model built at the top level', async () => {
  const text =
    HEAD +
    CREATE +
    `m = keras.Sequential([keras.layers.Dense(4, input_shape=(8,))])
a = create_model(64)
b = create_model(128)
`;
  const models = await parsePythonModels(text);
  assert.equal(models.length, 3);
  // Listed and named in the order the script makes them: m, then a's call, then b's.
  assert.deepEqual(
    models.map((m) => [m.definition!.name, m.definition!.layers.map((l) => l.name ?? '-').join(' ')]),
    [
      [undefined, '-'],
      ['sequential_1', 'dense_1 dense_2'],
      ['sequential_2', 'dense_3 dense_4'],
    ],
  );
  assert.deepEqual(
    models.map((m) => m.definition!.layers[0].units),
    [4, 64, 128],
  );
});

test('a function called once is read as before; a problem in the function is reported once, not once per call', async () => {
  const once = await parsePythonModels(HEAD + CREATE + 'a = create_model(32)\n');
  assert.equal(once.length, 1);
  assert.equal(once[0].definition!.layers[0].units, 32);
  const bad = CREATE.replace('keras.layers.Dense(10, activation="softmax")', 'keras.layers.Dense(10, activation=act)');
  const models = await parsePythonModels(HEAD + bad + 'a = create_model()\nb = create_model(5)\n');
  assert.equal(models.length, 2);
  assert.ok(models.every((m) => m.incomplete));
  assert.equal(models[0].diagnostics.filter((d) => d.code === 'python-unreadable').length, 1);
  assert.equal(models[1].diagnostics.filter((d) => d.code === 'python-unreadable').length, 0);
});

test('published: the TensorFlow save-and-load tutorial calls create_model() three times, each model with its own fit', async () => {
  const text = readFileSync(join(__dirname, '../fixtures/python/calls/tf-docs-save-and-load.py'), 'utf8');
  const models = await parsePythonModels(text);
  assert.equal(models.length, 3);
  assert.deepEqual(
    models.map((m) => m.definition!.name),
    [undefined, 'sequential_1', 'sequential_2'],
  );
  assert.deepEqual(
    models.map((m) => m.definition!.layers.map((l) => l.name ?? '-').join(' ')),
    ['- - -', 'dense_2 dropout_1 dense_3', 'dense_4 dropout_2 dense_5'],
  );
  // The tutorial's `cp_callback`, assigned twice, is each fit's own: the first trains with its ModelCheckpoint (no
  // save_best_only: no monitor to log, no warning); the third's saves every 160 batches (`save_freq=5*batch_size`),
  // which Model Lab's per-epoch ModelCheckpoint does not do, so it says so and is not trained. The second model's
  // loss object with from_logits is read and trains.
  assert.deepEqual(models[0].definition!.fit?.callbacks, [
    { type: 'ModelCheckpoint', filepath: 'training_1/cp.ckpt', save_weights_only: true, verbose: 1 },
  ]);
  assert.deepEqual(
    analyze(models[0]).diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
  assert.deepEqual(
    models.map((m) => m.incomplete),
    [undefined, undefined, "ModelCheckpoint's 'save_freq' is not one Model Lab runs"],
  );
  assert.equal(models[1].definition!.compile?.loss, 'sparse_categorical_crossentropy');
  assert.equal(models[1].definition!.compile?.from_logits, true);
  for (const m of models) {
    assert.equal(analyze(m).summary?.totalParams, 407050);
    assert.equal(m.definition!.compile?.optimizer, 'adam');
  }
  assert.equal(models[0].definition!.fit?.epochs, 10);
  assert.equal(models[1].definition!.fit, undefined);
  assert.deepEqual(models[2].definition!.fit, { epochs: 50, batch_size: 32 });
});

test("train --model and compare --models see one model per call, each run with its call's compile, placed at it", async () => {
  const text =
    HEAD +
    `(x_train, y_train), _ = keras.datasets.fashion_mnist.load_data()
` +
    CREATE +
    `a = create_model()
a.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
a.fit(x_train, y_train, epochs=1, validation_split=0.2)
b = create_model(hidden=300)
b.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
b.fit(x_train, y_train, epochs=1, validation_split=0.2)
`;
  const models = await parsePythonModels(text);
  assert.deepEqual(trainTarget(models, 'sequential_1'), { index: 1 });
  const { runs, skipped } = compareFileModels(models);
  assert.deepEqual(skipped, []);
  assert.deepEqual(
    runs.map((r) => [r.label, r.range.start.line]),
    [
      ['sequential · SGD', find(text, 'a.compile').start.line],
      ['sequential_1 · Adam', find(text, 'b.compile').start.line],
    ],
  );
  assert.equal(runs[1].definition.layers[0].units, 300);
});

test('a call in a loop over literal values makes one model per pass, with the loop variable known', async () => {
  const text =
    HEAD +
    CREATE +
    `models = [create_model(n) for n in (64, 128)]
for lr in (0.1, 0.01):
    m = create_model()
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="sparse_categorical_crossentropy")
`;
  const models = await parsePythonModels(text);
  assert.deepEqual(
    models.map((m) => [m.definition!.name, m.definition!.layers[0].units, m.definition!.compile?.optimizer]),
    [
      [undefined, 64, undefined],
      ['sequential_1', 128, undefined],
      ['sequential_2', 200, { type: 'SGD', learning_rate: 0.1 }],
      ['sequential_3', 200, { type: 'SGD', learning_rate: 0.01 }],
    ],
  );
  assert.ok(models.every((m) => m.incomplete === undefined));
  const { runs } = compareFileModels(models);
  assert.deepEqual(
    runs.map((r) => r.label),
    // 0.01 is SGD's default learning rate, so the label names only the other.
    ['sequential_2 · SGD(lr=0.1)', 'sequential_3 · SGD'],
  );
});
