/** Keras's functional API read from Python: published keras.io models with their totals, ranges, unreadable parts. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze, formatSummary } from '../../src/model';
import { parsePythonModels } from '../../src/model/python';
import { find } from './python-helpers';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'published', name), 'utf8');
const corpus = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'python', 'corpus', name), 'utf8');

async function only(text: string) {
  const models = await parsePythonModels(text);
  assert.equal(models.length, 1);
  return { parsed: models[0], analysis: analyze(models[0]) };
}

test('keras.io Bidirectional LSTM on IMDB: 2,560,000 + 98,816 + 98,816 + 129 = 2,757,761, as published', async () => {
  const { parsed, analysis } = await only(fixture('bidirectional_lstm_imdb.py'));
  assert.equal(parsed.incomplete, undefined);
  assert.deepEqual(
    analysis.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.deepEqual(
    analysis.summary!.layers.map((l) => [l.name, l.params]),
    [
      ['input_1', 0],
      ['embedding', 2560000],
      ['bidirectional', 98816],
      ['bidirectional_1', 98816],
      ['dense', 129],
    ],
  );
  assert.equal(analysis.summary!.totalParams, 2757761);
  // A chain prints in the Sequential layout, the InputLayer row included, as the published summary does.
  assert.ok(
    formatSummary(analysis.summary!).includes('\n bidirectional (Bidirectiona  (None, 200, 128)         98816\n l)\n'),
  );
  assert.equal(parsed.definition!.compile?.loss, 'binary_crossentropy');
});

test('keras.io toy ResNet (functional API guide): 223,242 params as published, with its two add() merges', async () => {
  const { analysis } = await only(corpus('keras-io--functional_api--toy_resnet.py'));
  assert.deepEqual(
    analysis.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const s = analysis.summary!;
  assert.equal(s.name, 'toy_resnet');
  assert.equal(s.totalParams, 223242);
  // conv2d 3·3·3·32+32 = 896; conv2d_1 3·3·32·64+64 = 18,496; five 3·3·64·64+64 = 36,928; dense 64·256+256; 256·10+10
  assert.deepEqual(
    s.layers.filter((l) => l.params > 0).map((l) => l.params),
    [896, 18496, 36928, 36928, 36928, 36928, 36928, 16640, 2570],
  );
  const add = s.layers.find((l) => l.name === 'add')!;
  assert.deepEqual(add.connectedTo, ['conv2d_3[0][0]', 'max_pooling2d[0][0]']);
  assert.deepEqual(add.outputShape, [null, 9, 9, 64]);
  const text = formatSummary(s);
  assert.ok(
    text.includes(
      `\n dense (Dense)                  (None, 256)          16640       ['global_average_pooling2d[0][0]'\n${' '.repeat(65)}]\n`,
    ),
  );
});

test('keras.io text classification model (Embedding, two strided Conv1D): 2,560,000 + 2 × 114,816 + 16,512 + 129 = 2,806,273', async () => {
  const { analysis } = await only(fixture('text_classification_from_scratch.py'));
  assert.deepEqual(
    analysis.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.equal(analysis.summary!.totalParams, 2806273);
  // (500 − 7) / 3 → 165 steps, then (165 − 7) / 3 → 53.
  assert.deepEqual(
    analysis.layers.filter((l) => l.type === 'Conv1D').map((l) => l.outputShape),
    [
      [null, 165, 128],
      [null, 53, 128],
    ],
  );
  assert.equal(analysis.layers[analysis.layers.length - 1].name, 'predictions');
});

test('a merge of mismatched shapes is an error on the list passed to add()', async () => {
  const text = [
    'import keras',
    'from keras import layers',
    'a = keras.Input(shape=(8,))',
    'b = layers.Dense(4)(a)',
    's = layers.add([a, b])',
    'model = keras.Model(a, s)',
    '',
  ].join('\n');
  const { analysis } = await only(text);
  const e = analysis.diagnostics.find((d) => d.severity === 'error')!;
  assert.match(e.message, /Add needs inputs of the same shape but gets \(None, 8\), \(None, 4\)/);
  assert.deepEqual(e.range, find(text, '[a, b]'));
});

test('a tensor made by code Model Lab cannot read stops the model with the reason, at that code', async () => {
  const text = [
    'import keras',
    'from keras import layers',
    'a = keras.Input(shape=(8,))',
    'h = a[:, :4]',
    'out = layers.Dense(1)(h)',
    'model = keras.Model(a, out)',
    '',
  ].join('\n');
  const { parsed } = await only(text);
  assert.match(parsed.incomplete!, /'a\[:, :4\]' computes a tensor with code Model Lab cannot read/);
  const d = parsed.diagnostics.find((x) => x.code === 'python-unreadable')!;
  assert.deepEqual(d.range, find(text, 'a[:, :4]'));
});

test('a layer object applied twice (shared weights) is read-only with a reason', async () => {
  const text = [
    'import keras',
    'from keras import layers',
    'a = keras.Input(shape=(8,))',
    'shared = layers.Dense(8)',
    'h = shared(a)',
    'h = shared(h)',
    'model = keras.Model(a, h)',
    '',
  ].join('\n');
  const { parsed } = await only(text);
  assert.match(parsed.incomplete!, /applied twice/);
});

test("two functional models built in one block each start at their own Input (DLwP 8.5's generator and discriminator)", async () => {
  const models = await parsePythonModels(`import keras
from keras import layers
g_in = keras.Input(shape=(32,))
x = layers.Dense(8)(g_in)
generator = keras.Model(g_in, x)
d_in = layers.Input(shape=(8,))
x = layers.Dense(1, activation="sigmoid")(d_in)
discriminator = keras.Model(d_in, x)
`);
  assert.deepEqual(
    models.map((m) => [m.range.start.line, m.range.start.character, m.range.end.line]),
    [
      [2, 7, 4],
      [5, 7, 7],
    ],
  );
});
