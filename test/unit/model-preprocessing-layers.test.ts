/**
 * Keras's preprocessing layers, read from Python as Hands-On ML 3 (ch. 10, 13-14) and the TensorFlow tutorials write
 * them, with the shapes and parameter counts their published summaries print; the ones Model Lab does not train say
 * so at the layer (information) and mark the model untrainable, never a wrong run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { hoverAt } from '../../src/model/describe';
import { parseModelJson } from '../../src/model/parse-json';
import { parsePythonModels } from '../../src/model/python/index';
import { formatSummary } from '../../src/model/summary-format';
import { formatKeras3Summary } from '../../src/model/summary-keras3';
import { find } from './python-helpers';

async function one(text: string) {
  const models = await parsePythonModels(text);
  assert.equal(models.length, 1, 'one model');
  return models[0];
}

// TensorFlow's "Simple audio recognition" tutorial (tensorflow/docs site/en/tutorials/audio/simple_audio.ipynb);
// its Keras 3 summary: normalization 3, Total params: 1,625,869, Non-trainable params: 3.
const AUDIO = `import tensorflow as tf
from tensorflow.keras import layers, models
norm_layer = layers.Normalization()
model = models.Sequential([
    layers.Input(shape=(124, 129, 1)),
    layers.Resizing(32, 32),
    norm_layer,
    layers.Conv2D(32, 3, activation='relu'),
    layers.Conv2D(64, 3, activation='relu'),
    layers.MaxPooling2D(),
    layers.Dropout(0.25),
    layers.Flatten(),
    layers.Dense(128, activation='relu'),
    layers.Dropout(0.5),
    layers.Dense(10),
])
model.summary()
`;

test('Resizing and Normalization: the published summary of the audio tutorial', async () => {
  const m = await one(AUDIO);
  const a = analyze(m);
  assert.deepEqual(
    a.layers.slice(0, 2).map((l) => [l.name, l.outputShape, l.params, l.nonTrainable]),
    [
      ['resizing', [null, 32, 32, 1], 0, 0],
      ['normalization', [null, 32, 32, 1], 3, 3],
    ],
  );
  assert.equal(a.summary?.totalParams, 1_625_869);
  assert.equal(a.summary?.nonTrainableParams, 3);
  assert.match(a.layers[1].arithmetic, /^1 means \+ 1 variances \+ 1 count = 3/);
  // adapt() on data Model Lab does not see: information at the layer, the model not trainable.
  const info = a.diagnostics.filter((d) => d.code === 'not-trained');
  assert.equal(info.length, 1);
  assert.equal(info[0].severity, 'information');
  assert.deepEqual(info[0].range, find(AUDIO, 'norm_layer', 1));
  assert.match(info[0].message, /Normalization.*adapt\(\)/);
  assert.match(m.untrainable?.reason ?? '', /adapt\(\)/);
  assert.deepEqual(m.untrainable?.range, find(AUDIO, 'norm_layer', 1));
});

test('Normalization of tabular features: 2 × features + 1 (Hands-On ML 3 ch. 10, 8 features: 17)', async () => {
  const text = `import tensorflow as tf
norm_layer = tf.keras.layers.Normalization(input_shape=[8])
model = tf.keras.Sequential([norm_layer, tf.keras.layers.Dense(50, activation="relu"), tf.keras.layers.Dense(1)])
`;
  const a = analyze(await one(text));
  assert.equal(a.layers[0].params, 17);
  assert.equal(a.summary?.trainableParams, 8 * 50 + 50 + 51);
  assert.equal(a.summary?.nonTrainableParams, 17);
  assert.match(formatSummary(a.summary!), /\n normalization \(Normalizatio +\(None, 8\) +17\n n\)\n/);
  // axis=None: one mean and variance; a None axis cannot keep a mean per index.
  const none = analyze(await one(text.replace('Normalization(', 'Normalization(axis=None, ')));
  assert.equal(none.layers[0].params, 3);
  const variable = analyze(await one(text.replace('input_shape=[8]', 'input_shape=[None]')));
  const e = variable.diagnostics.find((d) => d.severity === 'error');
  assert.match(e?.message ?? '', /Normalization keeps axis -1, which is None/);
});

test('image augmentation layers: shapes, no weights, information and not trainable; CenterCrop and RandomCrop crop', async () => {
  const text = `import tensorflow as tf
from tensorflow import keras
model = keras.Sequential([
    keras.layers.RandomFlip("horizontal", input_shape=(180, 180, 3)),
    keras.layers.RandomRotation(0.1),
    keras.layers.RandomZoom(0.1),
    keras.layers.RandomTranslation(0.1, 0.1),
    keras.layers.RandomContrast(0.2),
    keras.layers.RandomCrop(160, 160),
    keras.layers.CenterCrop(150, 150),
    keras.layers.Rescaling(1./255),
    keras.layers.Conv2D(16, 3, padding='same', activation='relu'),
])
`;
  const m = await one(text);
  const a = analyze(m);
  assert.deepEqual(
    a.layers.map((l) => [l.name, l.outputShape]),
    [
      ['random_flip', [null, 180, 180, 3]],
      ['random_rotation', [null, 180, 180, 3]],
      ['random_zoom', [null, 180, 180, 3]],
      ['random_translation', [null, 180, 180, 3]],
      ['random_contrast', [null, 180, 180, 3]],
      ['random_crop', [null, 160, 160, 3]],
      ['center_crop', [null, 150, 150, 3]],
      ['rescaling', [null, 150, 150, 3]],
      ['conv2d', [null, 150, 150, 16]],
    ],
  );
  assert.equal(a.summary?.totalParams, 448);
  assert.equal(a.diagnostics.filter((d) => d.code === 'not-trained').length, 6);
  assert.deepEqual(
    m.untrainable?.range,
    find(text, 'keras.layers.RandomFlip("horizontal", input_shape=(180, 180, 3))'),
  );
  assert.match(
    m.untrainable?.reason ?? '',
    /^Model Lab does not train RandomFlip: it changes the training data at random/,
  );
  // On a flat input: the image layers' positioned error.
  const flat = analyze(await one(text.replace('(180, 180, 3)', '(784,)')));
  assert.match(flat.diagnostics.find((d) => d.severity === 'error')?.message ?? '', /RandomFlip needs a 3-D input/);
});

test('Resizing, CenterCrop and Rescaling alone train; the .model.json reads the same layers', () => {
  const text = JSON.stringify({
    layers: [
      { type: 'Resizing', height: 14, width: 14, input_shape: [28, 28, 1] },
      { type: 'CenterCrop', height: 12, width: 12 },
      { type: 'Flatten' },
      { type: 'Dense', units: 10 },
    ],
  });
  const parsed = parseModelJson(text);
  const a = analyze(parsed);
  assert.deepEqual(a.diagnostics, []);
  assert.equal(parsed.untrainable, undefined);
  assert.equal(a.summary?.totalParams, 144 * 10 + 10);
  const normalized = parseModelJson(
    JSON.stringify({
      layers: [
        { type: 'Normalization', input_shape: [4] },
        { type: 'Dense', units: 1 },
      ],
    }),
  );
  assert.match(normalized.untrainable?.reason ?? '', /adapt\(\)/);
  assert.equal(analyze(normalized).diagnostics.filter((d) => d.code === 'not-trained').length, 1);
});

test('TextVectorization, StringLookup and IntegerLookup: output shapes; strings are not trained', async () => {
  const text = `import tensorflow as tf
from tensorflow import keras
text_vec_layer = tf.keras.layers.TextVectorization(max_tokens=1000, output_sequence_length=20)
model = keras.Sequential([
    keras.Input(shape=(1,), dtype=tf.string),
    text_vec_layer,
    keras.layers.Embedding(1000, 16),
    keras.layers.GlobalAveragePooling1D(),
    keras.layers.Dense(1, activation="sigmoid"),
])
`;
  const m = await one(text);
  const a = analyze(m);
  assert.deepEqual(a.layers[0].outputShape, [null, 20]);
  assert.equal(a.summary?.totalParams, 16_000 + 17);
  assert.match(m.untrainable?.reason ?? '', /strings/);
  const multiHot = analyze(
    await one(
      text
        .replace('output_sequence_length=20', 'output_mode="multi_hot"')
        .replace(/ {4}keras.layers.Embedding.*\n {4}keras.layers.GlobalAveragePooling1D\(\),\n/, ''),
    ),
  );
  assert.deepEqual(multiHot.layers[0].outputShape, [null, 1000]);
  // TensorFlow's "Load text" tutorial writes Keras's older name for multi_hot, which Keras still takes.
  const binary = analyze(
    await one(
      text
        .replace('output_sequence_length=20', 'output_mode="binary"')
        .replace(/ {4}keras.layers.Embedding.*\n {4}keras.layers.GlobalAveragePooling1D\(\),\n/, ''),
    ),
  );
  assert.deepEqual(
    binary.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.deepEqual(binary.layers[0].outputShape, [null, 1000]);

  const lookup = `import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.StringLookup(vocabulary=["<1H OCEAN", "INLAND", "NEAR OCEAN", "NEAR BAY", "ISLAND"], output_mode="one_hot", input_shape=(1,)),
    tf.keras.layers.Dense(1),
])
`;
  const l = analyze(await one(lookup));
  // 5 words + 1 OOV index; a last axis of 1 is replaced by the one-hot vector.
  assert.deepEqual(l.layers[0].outputShape, [null, 6]);
  const ints = analyze(
    await one(
      lookup.replace(
        'StringLookup(vocabulary=["<1H OCEAN", "INLAND", "NEAR OCEAN", "NEAR BAY", "ISLAND"], output_mode="one_hot"',
        'IntegerLookup(max_tokens=10',
      ),
    ),
  );
  assert.deepEqual(ints.layers[0].outputShape, [null, 1]);
});

test('TensorFlow 2.3-2.5 spelling: layers.experimental.preprocessing', async () => {
  const m = await one(`import tensorflow as tf
from tensorflow.keras.layers.experimental import preprocessing
model = tf.keras.Sequential([
    preprocessing.Rescaling(1./255, input_shape=(32, 32, 3)),
    tf.keras.layers.experimental.preprocessing.Resizing(16, 16),
    tf.keras.layers.Flatten(),
])
`);
  assert.equal(m.incomplete, undefined);
  assert.deepEqual(
    analyze(m).layers.map((l) => l.type),
    ['Rescaling', 'Resizing', 'Flatten'],
  );
});

test("Keras 3's sizes count Normalization's count as int64: the audio tutorial's 'Non-trainable params: 3 (16.00 B)'", async () => {
  const a = analyze(await one(AUDIO));
  const totals = formatKeras3Summary(a.summary!).split('\n').slice(-4, -1);
  assert.deepEqual(totals, [
    ' Total params: 1,625,869 (6.20 MB)',
    ' Trainable params: 1,625,866 (6.20 MB)',
    ' Non-trainable params: 3 (16.00 B)',
  ]);
});

test('the hover of a Normalization layer: its doc, the 2 × features + 1 arithmetic, and why it is not trained here', async () => {
  const text = `import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Normalization(input_shape=[8]), tf.keras.layers.Dense(1)])
`;
  const m = await one(text);
  const h = hoverAt(m, analyze(m), find(text, 'Normalization(').start);
  assert.match(h?.markdown ?? '', /^\*\*normalization \(Normalization\)\*\*\n\nStandardises each feature/);
  assert.match(h?.markdown ?? '', /Parameters: 17 \(8 means \+ 8 variances \+ 1 count = 17 \(non-trainable\)\)/);
  assert.match(h?.markdown ?? '', /\n- Not trained by Model Lab: its mean and variance come from adapt\(\)/);
});

test('Normalization given its mean and variance: constants, no weights (as Keras builds it), and it trains', async () => {
  const text = `import keras
model = keras.Sequential([
    keras.layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], input_shape=(2,)),
    keras.layers.Dense(1),
])
`;
  const m = await one(text);
  const a = analyze(m);
  assert.equal(a.layers[0].params, 0);
  assert.equal(a.summary?.totalParams, 3);
  assert.equal(m.untrainable, undefined);
  assert.equal(
    a.diagnostics.find((d) => d.code === 'not-trained'),
    undefined,
  );
  const half = analyze(await one(text.replace(', variance=[4.0, 9.0]', '')));
  assert.match(
    half.diagnostics.find((d) => d.severity === 'error')?.message ?? '',
    /Normalization takes both mean and variance, or neither/,
  );
});

test('Hands-On ML 3 ch. 16: an Embedding after TextVectorization or StringLookup gets token ids, not a warning; a scalar string input stops reading with its reason', async () => {
  for (const source of [
    { type: 'TextVectorization', max_tokens: 1000, output_sequence_length: 50 },
    { type: 'StringLookup', num_oov_indices: 1, vocabulary: ['a', 'b'] },
  ]) {
    const a = analyze(
      parseModelJson(
        JSON.stringify({
          layers: [
            { type: 'InputLayer', shape: [1] },
            source,
            { type: 'Embedding', input_dim: 1000, output_dim: 8 },
            { type: 'GlobalAveragePooling1D' },
            { type: 'Dense', units: 1, activation: 'sigmoid' },
          ],
        }),
      ),
    );
    assert.ok(!a.diagnostics.some((d) => d.code === 'embedding-floats'), source.type);
  }
  // multi_hot output is floats: still a warning.
  const floats = analyze(
    parseModelJson(
      JSON.stringify({
        layers: [
          { type: 'InputLayer', shape: [1] },
          { type: 'TextVectorization', max_tokens: 1000, output_mode: 'multi_hot' },
          { type: 'Embedding', input_dim: 1000, output_dim: 8 },
        ],
      }),
    ),
  );
  assert.ok(floats.diagnostics.some((d) => d.code === 'embedding-floats'));
  // `tf.keras.Input(shape=[], dtype=tf.string)`: valid Keras, one string per example; never a schema error.
  const [m] = await parsePythonModels(`import tensorflow as tf
encoder_inputs = tf.keras.layers.Input(shape=[], dtype=tf.string)
x = tf.keras.layers.TextVectorization(1000, output_sequence_length=50)(encoder_inputs)
x = tf.keras.layers.Embedding(1000, 128)(x)
model = tf.keras.Model(encoder_inputs, x)
`);
  const said = analyze(m).diagnostics;
  assert.deepEqual(
    said.filter((d) => d.severity === 'error'),
    [],
  );
  assert.ok(said.some((d) => d.severity === 'information' && /one scalar per example \(shape \(\)\)/.test(d.message)));
});
