/**
 * A Keras script's model is the user's model as Keras runs it: an output that is not one vector per example (an
 * autoencoder's image, a sequence-to-sequence forecast, a feature map kept to look at filters) is information that
 * Model Lab does not train it, never a warning to change it, which a `.model.json` still gets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parseModelJson } from '../../src/model/parse-json';
import { parsePythonModels } from '../../src/model/python/index';

test("Python: Hands-On ML 3 ch. 17's stacked autoencoder and hg-mldl 8-3's one-layer feature map are information", async () => {
  const models = await parsePythonModels(`import tensorflow as tf
stacked_encoder = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=[28, 28]),
    tf.keras.layers.Dense(100, activation="relu"),
    tf.keras.layers.Dense(30, activation="relu"),
])
stacked_decoder = tf.keras.Sequential([
    tf.keras.layers.Dense(100, activation="relu", input_shape=[30]),
    tf.keras.layers.Dense(28 * 28),
    tf.keras.layers.Reshape([28, 28])
])
no_training_model = tf.keras.Sequential()
no_training_model.add(tf.keras.layers.Conv2D(32, kernel_size=3, activation='relu', padding='same', input_shape=(28,28,1)))
`);
  const said = models.map((m) => analyze(m).diagnostics.map((d) => [d.severity, d.code, d.range.start.line]));
  assert.deepEqual(said, [[], [['information', 'output-shape', 9]], [['information', 'output-shape', 12]]]);
  assert.match(
    analyze(models[1]).diagnostics[0].message,
    /^This model outputs \(None, 28, 28\) per batch, .*Model Lab shows its shapes but trains only/,
  );
  assert.equal(analyze(models[1]).summary?.totalParams, 3100 + 79184);
});

test('.model.json: the same output is a warning with the layer to add', () => {
  const parsed = parseModelJson(
    JSON.stringify({ layers: [{ type: 'Conv2D', filters: 4, kernel_size: 3, input_shape: [28, 28, 1] }] }),
  );
  const [d] = analyze(parsed).diagnostics.filter((x) => x.code === 'output-shape');
  assert.equal(d.severity, 'warning');
  assert.match(d.message, /end with Flatten \(or GlobalAveragePooling2D\) and a Dense output layer/);
});
