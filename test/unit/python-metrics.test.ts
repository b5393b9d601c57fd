/**
 * `compile(metrics=…)` as published code writes it: accuracy by any of Keras's names (`'accuracy'`, `'acc'`, the
 * specific accuracy of the loss, a `keras.metrics` accuracy object) is logged as accuracy; other Keras metrics are
 * known and said not to be logged, never an error; a name Keras itself does not know is a warning at that name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { monitorAsKerasLogs, monitorAsLogged, readMetric } from '../../src/model/metric-names';
import { toKerasScript } from '../../src/model/python/keras-script';

const script = (compile: string, units = 10, activation = 'softmax') => `import tensorflow as tf
from tensorflow import keras
model = keras.Sequential([
    keras.layers.Flatten(input_shape=(28, 28)),
    keras.layers.Dense(${units}, activation='${activation}'),
])
model.compile(${compile})
`;

async function read(compile: string, units?: number, activation?: string) {
  const text = script(compile, units, activation);
  const m = (await parsePythonModels(text))[0];
  assert.ok(m?.definition, 'a model');
  const diagnostics = analyze(m).diagnostics;
  return { m, text, diagnostics };
}

test('accuracy by its specific name or class, for the loss that means it, is logged as accuracy', async () => {
  const cases: [string, string][] = [
    ['sparse_categorical_crossentropy', "metrics=['sparse_categorical_accuracy']"],
    ['sparse_categorical_crossentropy', 'metrics=[keras.metrics.SparseCategoricalAccuracy()]'],
    ['sparse_categorical_crossentropy', "metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name='acc')]"],
    ['sparse_categorical_crossentropy', 'metrics=[tf.metrics.SparseCategoricalAccuracy()]'],
    ['categorical_crossentropy', "metrics=('categorical_accuracy',)"],
    ['categorical_crossentropy', 'metrics=keras.metrics.CategoricalAccuracy()'],
  ];
  for (const [loss, metrics] of cases) {
    const { m, diagnostics } = await read(`optimizer='adam', loss='${loss}', ${metrics}`);
    assert.deepEqual(m.definition!.compile?.metrics, ['accuracy'], metrics);
    assert.deepEqual(
      diagnostics.filter((d) => d.severity !== 'information'),
      [],
      metrics,
    );
    assert.equal(m.incomplete, undefined, metrics);
  }
  const binary = await read(
    "loss='binary_crossentropy', metrics=[keras.metrics.BinaryAccuracy(threshold=0.5), 'acc']",
    1,
    'sigmoid',
  );
  assert.deepEqual(binary.m.definition!.compile?.metrics, ['accuracy', 'acc']);
});

test('other Keras metrics are not logged: an information message at each, the rest of the list kept', async () => {
  const { m, text, diagnostics } = await read(
    "optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['mae', 'accuracy', keras.metrics.AUC(), 'categorical_accuracy']",
  );
  assert.deepEqual(m.definition!.compile?.metrics, ['accuracy']);
  const said = diagnostics.filter((d) => d.code === 'python-ignored');
  assert.deepEqual(
    said.map((d) => [
      d.severity,
      text.split('\n')[d.range.start.line].slice(d.range.start.character, d.range.end.character),
    ]),
    [
      ['information', "'mae'"],
      ['information', 'keras.metrics.AUC()'],
      ['information', "'categorical_accuracy'"],
    ],
  );
  assert.match(said[0].message, /^Model Lab logs loss and accuracy only; 'mae' is not logged when it trains\.$/);
  assert.match(
    said[2].message,
    /not the accuracy sparse_categorical_crossentropy labels take \(that is sparse_categorical_accuracy\)/,
  );
  assert.ok(!diagnostics.some((d) => d.severity === 'error'));
});

test("a metric Keras does not know is a warning at its name; a threshold other than 0.5 is not Model Lab's accuracy", async () => {
  const { m, diagnostics } = await read("loss='sparse_categorical_crossentropy', metrics=['acuracy']");
  assert.equal(m.definition!.compile?.metrics, undefined);
  const w = diagnostics.filter((d) => d.severity === 'warning');
  assert.equal(w.length, 1);
  assert.match(w[0].message, /^Keras does not know the metric 'acuracy' \(compile raises "Unknown metric function"\)/);
  const t = await read(
    'loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=tf.metrics.BinaryAccuracy(threshold=0.0)',
    1,
    'linear',
  );
  assert.equal(t.m.definition!.compile?.metrics, undefined);
  assert.ok(t.diagnostics.some((d) => /default threshold 0\.5/.test(d.message)));
});

test('readMetric: the table, by name and by class', () => {
  assert.deepEqual(readMetric('acc', undefined), { kind: 'accuracy' });
  assert.deepEqual(readMetric('binary_accuracy', 'binary_crossentropy'), { kind: 'accuracy' });
  assert.equal(readMetric('binary_accuracy', 'mse').kind, 'unlogged');
  assert.equal(readMetric('sparse_categorical_accuracy', undefined).kind, 'unlogged');
  assert.equal(readMetric('Accuracy', 'sparse_categorical_crossentropy', true).kind, 'unlogged');
  assert.equal(readMetric('MyMetric', 'mse', true).kind, 'unknown');
  assert.equal(readMetric('mean_squared_error', 'mse').kind, 'unlogged');
});

test("a callback's monitor names accuracy as Keras logs it ('val_acc', 'val_sparse_categorical_accuracy'); export writes it back", async () => {
  const fit = (metrics: string, monitor: string) =>
    `optimizer='adam', loss='sparse_categorical_crossentropy', metrics=${metrics})
model.fit(x, y, epochs=3, validation_split=0.1, callbacks=[keras.callbacks.EarlyStopping(monitor='${monitor}', patience=2)]`;
  const acc = await read(fit("['acc']", 'val_acc'));
  assert.deepEqual(acc.m.definition!.fit?.callbacks, [{ type: 'EarlyStopping', monitor: 'val_accuracy', patience: 2 }]);
  assert.deepEqual(
    acc.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning'),
    [],
  );
  // Keras 2 and 3 log accuracy asked as 'acc' under 'acc': the exported script watches 'val_acc' again.
  assert.match(toKerasScript(acc.m.definition!), /EarlyStopping\(monitor="val_acc", patience=2\)/);
  const specific = await read(fit('[keras.metrics.SparseCategoricalAccuracy()]', 'val_sparse_categorical_accuracy'));
  assert.equal(specific.m.definition!.fit?.callbacks?.[0]?.monitor, 'val_accuracy');
  assert.match(toKerasScript(specific.m.definition!), /metrics=\["accuracy"\][\s\S]*monitor="val_accuracy"/);
  assert.equal(monitorAsLogged('val_loss'), 'val_loss');
  assert.equal(monitorAsLogged('binary_accuracy'), 'accuracy');
  assert.equal(monitorAsKerasLogs('accuracy', ['accuracy', 'acc']), 'accuracy');
});

test("Hands-On ML 3's regression cells: a metric class named as a string, the 'huber' loss, a monitor on 'val_mae'", async () => {
  // 10_neural_nets_with_keras cell 85 / 15_processing_sequences cell 52 (ageron/handson-ml3), reduced to the calls.
  const regression = (compile: string, fit = 'model.fit(x, y, epochs=5)') => `import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(30, activation="relu", input_shape=[8]), tf.keras.layers.Dense(1)])
model.compile(${compile})
${fit}
`;
  const rmse = (
    await parsePythonModels(regression('loss="mse", optimizer="adam", metrics=["RootMeanSquaredError"]'))
  )[0];
  assert.equal(rmse.incomplete, undefined);
  assert.deepEqual(
    rmse.diagnostics.filter((d) => !/default data set/.test(d.message)).map((d) => [d.severity, d.message]),
    [['information', "Model Lab logs loss and accuracy only; 'RootMeanSquaredError' is not logged when it trains."]],
  );
  const huber = (await parsePythonModels(regression('loss=tf.keras.losses.Huber(), optimizer="adam"')))[0];
  assert.ok(huber.incomplete);
  const named = (await parsePythonModels(regression('loss="huber", optimizer="adam", metrics=["mae"]')))[0];
  assert.match(named.incomplete ?? '', /the loss 'huber' is not one Model Lab trains/);
  assert.equal(named.definition?.compile?.loss, undefined);
  const said = analyze(named).diagnostics;
  assert.ok(!said.some((d) => d.severity === 'error'), JSON.stringify(said));
  assert.ok(
    said.some((d) => d.severity === 'information' && /does not train with Keras's 'huber' loss/.test(d.message)),
  );
  const typo = (await parsePythonModels(regression('loss="hubber", optimizer="adam"')))[0];
  assert.ok(
    typo.diagnostics.some((d) => d.severity === 'warning' && /Keras does not know the loss 'hubber'/.test(d.message)),
  );
  const upper = (await parsePythonModels(regression('loss="MSE", optimizer="adam"')))[0];
  assert.equal(upper.definition?.compile?.loss, 'mse');
  const monitor = (
    await parsePythonModels(
      regression(
        'loss="mse", optimizer="adam", metrics=["mae"]',
        'model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[tf.keras.callbacks.EarlyStopping(monitor="val_mae", patience=50)])',
      ),
    )
  )[0];
  assert.match(monitor.incomplete ?? '', /EarlyStopping watches 'val_mae', which Model Lab does not log/);
  assert.ok(!analyze(monitor).diagnostics.some((d) => d.severity === 'error'));
});

test("a loss for each output (DLwP 2nd ed. ch. 7's multi-output model) is information and not trained, never an error", async () => {
  const [m] = await parsePythonModels(`import keras
from keras import layers
title = keras.Input(shape=(100,), name="title")
features = layers.Dense(64, activation="relu")(title)
priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
department = layers.Dense(4, activation="softmax", name="department")(features)
model = keras.Model(inputs=[title], outputs=[priority, department])
model.compile(
    optimizer="adam",
    loss=["mean_squared_error", "sparse_categorical_crossentropy"],
    metrics=[["mean_absolute_error"], ["accuracy"]],
)
`);
  const a = analyze(m);
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const said = a.diagnostics.find((d) => /a loss for each output/.test(d.message));
  assert.equal(said?.severity, 'information');
  assert.equal(said?.range.start.line, 9);
  assert.match(m.incomplete ?? '', /a loss for each output/);
  assert.equal(a.summary?.totalParams, 100 * 64 + 64 + 65 + 260);
});
