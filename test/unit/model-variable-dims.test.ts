/**
 * Variable (None) dimensions besides the batch: `input_shape=[None, 10]`, `keras.Input(shape=(None, 28))`, Keras 2's
 * Embedding without input_length. Shapes carry None through the layers that accept it, as Keras's compute_output_shape
 * does; a layer whose weights need the size gives Keras's own error at that layer; parameter counts never depend on
 * it. The published summaries (Hands-On ML 2 ch. 16, Deep Learning with Python 6.2) are in the corpus test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, formatSummary, hoverAt, inlayHints, parseModelJson, type Analysis } from '../../src/model';
import { parsePythonModels } from '../../src/model/python/index';
import { fillVariableDims } from '../../src/model/variable-dims';
import { trainingMemoryBytes, wasmMemoryProblem } from '../../src/model/memory-estimate';
import { toKerasScript } from '../../src/model/python/keras-script';
import { describeModel, ModelError } from '../../src/training/model-info';

const run = (def: object): Analysis => analyze(parseModelJson(JSON.stringify(def)));
const errors = (a: Analysis) => a.diagnostics.filter((d) => d.severity === 'error');
const shapes = (a: Analysis) => a.layers.map((l) => l.outputShape);
const params = (a: Analysis) => a.layers.map((l) => l.params);

function clean(def: object): Analysis {
  const a = run(def);
  assert.deepEqual(
    errors(a).map((d) => d.message),
    [],
  );
  return a;
}

test('GRU on input_shape [null, 10]: (None, None, 10), 660 params; Bidirectional GRU (None, None, 20), 1,320', () => {
  const a = clean({
    layers: [
      { type: 'GRU', units: 10, return_sequences: true, input_shape: [null, 10] },
      { type: 'Bidirectional', layer: { type: 'GRU', units: 10, return_sequences: true } },
      { type: 'LSTM', units: 4 },
    ],
  });
  assert.deepEqual(shapes(a), [
    [null, null, 10],
    [null, null, 20],
    [null, 4],
  ]);
  assert.deepEqual(params(a), [660, 1320, 4 * (4 * (20 + 4) + 4)]);
  const sequences = run({ layers: [{ type: 'GRU', units: 10, return_sequences: true, input_shape: [null, 10] }] });
  assert.match(
    sequences.diagnostics.find((d) => d.code === 'output-shape')?.message ?? '',
    /outputs \(None, None, 10\) per batch.*end with GlobalAveragePooling1D \(or a recurrent layer without return_sequences\)/,
  );
});

test("Keras 2's Embedding first without input_length reads sequences of any length: (None, None, 32)", () => {
  const a = clean({
    layers: [
      { type: 'Embedding', input_dim: 10000, output_dim: 32 },
      { type: 'SimpleRNN', units: 32, return_sequences: true },
      { type: 'SimpleRNN', units: 32 },
      { type: 'Dense', units: 1, activation: 'sigmoid' },
    ],
  });
  assert.deepEqual(shapes(a), [
    [null, null, 32],
    [null, null, 32],
    [null, 32],
    [null, 1],
  ]);
  assert.deepEqual(params(a), [320000, 2080, 2080, 33]);
  assert.deepEqual(a.inputShape, [null]);
});

test('a dataset that fixes the sequence length still gives it to an Embedding without input_length', () => {
  const a = clean({
    dataset: { name: 'imdb', num_words: 1000, maxlen: 80 },
    layers: [
      { type: 'Embedding', input_dim: 1000, output_dim: 8 },
      { type: 'GlobalAveragePooling1D' },
      { type: 'Dense', units: 1, activation: 'sigmoid' },
    ],
  });
  assert.deepEqual(shapes(a)[0], [null, 80, 8]);
});

test('an Embedding with input_length fills a None length, as Keras 2 computes it', () => {
  const a = clean({
    layers: [
      { type: 'Embedding', input_dim: 100, output_dim: 4, input_length: 12, input_shape: [null] },
      { type: 'Flatten' },
    ],
  });
  assert.deepEqual(shapes(a), [
    [null, 12, 4],
    [null, 48],
  ]);
});

test('Conv1D, pooling 1D, Dropout, activations, normalizations, Dense on the last axis keep None steps', () => {
  const a = clean({
    layers: [
      { type: 'Conv1D', filters: 16, kernel_size: 3, padding: 'same', activation: 'relu', input_shape: [null, 8] },
      { type: 'MaxPooling1D', pool_size: 2 },
      { type: 'Conv1D', filters: 16, kernel_size: 5 },
      { type: 'Dropout', rate: 0.2 },
      { type: 'LeakyReLU' },
      { type: 'LayerNormalization' },
      { type: 'BatchNormalization' },
      { type: 'Dense', units: 5 },
      { type: 'TimeDistributed', layer: { type: 'Dense', units: 3 } },
      { type: 'Reshape', target_shape: [-1, 3] },
      { type: 'GlobalMaxPooling1D' },
    ],
  });
  assert.deepEqual(shapes(a), [
    [null, null, 16],
    [null, null, 16],
    [null, null, 16],
    [null, null, 16],
    [null, null, 16],
    [null, null, 16],
    [null, null, 16],
    [null, null, 5],
    [null, null, 3],
    [null, null, 3],
    [null, 3],
  ]);
  assert.deepEqual(params(a), [3 * 8 * 16 + 16, 0, 5 * 16 * 16 + 16, 0, 0, 32, 64, 85, 18, 0, 0]);
});

test('Conv2D on (None, None, 3) images: height and width stay None; GlobalAveragePooling2D gives the channels', () => {
  const a = clean({
    layers: [
      { type: 'Conv2D', filters: 8, kernel_size: 3, input_shape: [null, null, 3] },
      { type: 'MaxPooling2D' },
      { type: 'UpSampling2D' },
      { type: 'ZeroPadding2D' },
      { type: 'GlobalAveragePooling2D' },
      { type: 'Dense', units: 2 },
    ],
  });
  assert.deepEqual(shapes(a), [
    [null, null, null, 8],
    [null, null, null, 8],
    [null, null, null, 8],
    [null, null, null, 8],
    [null, 8],
    [null, 2],
  ]);
  assert.deepEqual(params(a), [3 * 3 * 3 * 8 + 8, 0, 0, 0, 0, 18]);
});

test("Dense on a None last dimension is Keras's error, at the layer; Flatten of a None shape is (None, None)", () => {
  const a = run({
    layers: [
      { type: 'Flatten', input_shape: [null, 28] },
      { type: 'Dense', units: 10 },
    ],
  });
  assert.deepEqual(shapes(a)[0], [null, null]);
  const [e] = errors(a);
  assert.equal(
    e.message,
    'The last dimension of the inputs to a Dense layer should be defined. Found None. Full input shape received: (None, None).',
  );
  assert.equal(e.path, 'layers[1].type');
  assert.equal(a.summary, undefined);
});

test('layers whose weights need the last axis refuse a None there, each with a sentence', () => {
  for (const [layer, pattern] of [
    [{ type: 'LSTM', units: 4 }, /last dimension of the inputs to a LSTM layer should be defined/],
    [{ type: 'BatchNormalization' }, /BatchNormalization layer should be defined/],
    [
      { type: 'Conv1D', filters: 2, kernel_size: 1 },
      /channel dimension of the inputs should be defined.*\(None, 5, None\)/,
    ],
  ] as const) {
    const a = run({ layers: [{ type: 'Activation', activation: 'relu', input_shape: [5, null] }, layer] });
    assert.match(errors(a)[0]?.message ?? '', pattern, layer.type);
  }
  const conv = run({ layers: [{ type: 'Conv2D', filters: 2, kernel_size: 1, input_shape: [4, 4, null] }] });
  assert.match(errors(conv)[0].message, /channel dimension of the inputs should be defined/);
});

test('a known size that shrinks to nothing is still an error beside a None axis', () => {
  const a = run({
    layers: [{ type: 'Conv2D', filters: 2, kernel_size: 5, input_shape: [null, 3, 1] }],
  });
  assert.match(errors(a)[0].message, /Conv2D would shrink its None×3 input to None×0/);
});

test('graph models: merge layers keep None where an input has it (Add, Concatenate on the features)', async () => {
  const [m] = await parsePythonModels(`import keras
from keras import layers
inputs = keras.Input(shape=(None, 8))
a = layers.Dense(8)(inputs)
b = layers.Add()([inputs, a])
c = layers.Concatenate()([inputs, b])
d = layers.GlobalAveragePooling1D()(c)
outputs = layers.Dense(1)(d)
model = keras.Model(inputs, outputs)
`);
  const a = analyze(m);
  assert.deepEqual(
    errors(a).map((d) => d.message),
    [],
  );
  assert.deepEqual(shapes(a), [
    [null, null, 8],
    [null, null, 8],
    [null, null, 8],
    [null, null, 16],
    [null, 16],
    [null, 1],
  ]);
  assert.match(formatSummary(a.summary!), /input_1 \(InputLayer\)\s+\[\(None, None, 8\)\]/);
});

test('Python: keras.Input(shape=(None, 28)), batch_input_shape, shape=(None,) and input_shape=[None, 10] read None', async () => {
  const cases: [string, (number | null)[]][] = [
    ['keras.Input(shape=(None, 28)), keras.layers.LSTM(16)', [null, 16]],
    ['keras.layers.LSTM(16, batch_input_shape=(None, None, 28))', [null, 16]],
    ['keras.layers.LSTM(16, batch_input_shape=[32, None, 28])', [null, 16]],
    ['keras.layers.LSTM(16, input_shape=[None, 28])', [null, 16]],
    ['keras.Input(shape=(None,)), keras.layers.Embedding(100, 4)', [null, null, 4]],
    ['keras.layers.InputLayer(input_shape=(None, 3)), keras.layers.Dense(2)', [null, null, 2]],
  ];
  for (const [layers, out] of cases) {
    const [m] = await parsePythonModels(`import keras\nmodel = keras.Sequential([${layers}])\n`);
    assert.equal(m.incomplete, undefined, layers);
    const a = analyze(m);
    assert.deepEqual(
      errors(a).map((d) => d.message),
      [],
      layers,
    );
    assert.deepEqual(a.layers[a.layers.length - 1].outputShape, out, layers);
  }
});

test('summary (Keras 2 and 3), hover and inlay hints print None as Keras does; --json holds null', () => {
  const text = `{ "layers": [
  { "type": "Embedding", "input_dim": 10000, "output_dim": 32 },
  { "type": "SimpleRNN", "units": 32 }
] }`;
  const p = parseModelJson(text);
  const a = analyze(p);
  const k2 = formatSummary(a.summary!);
  assert.match(k2, /embedding \(Embedding\) {7}\(None, None, 32\) {10}320000/);
  assert.match(k2, /simple_rnn \(SimpleRNN\) {6}\(None, 32\) {16}2080/);
  const k3 = formatSummary(a.summary!, { style: 'keras3' });
  assert.match(k3, /│ embedding \(Embedding\) +│ \(None, None, 32\) +│ +320,000 │/);
  assert.deepEqual(JSON.parse(JSON.stringify(a.summary)).layers[0].outputShape, [null, null, 32]);
  assert.match(hoverAt(p, a, { line: 1, character: 8 })!.markdown, /`\(None, None\)` → `\(None, None, 32\)`/);
  assert.equal(inlayHints(p, a)[0].label, '(None, None, 32) · 320,000 params');
});

test('the memory estimate of a model with None dimensions is a lower bound and says "at least"', () => {
  const a = clean({
    layers: [
      { type: 'LSTM', units: 1000, return_sequences: true, input_shape: [null, 4] },
      { type: 'Dense', units: 100000 },
    ],
  });
  const bytes = trainingMemoryBytes(a.summary!, 32, { type: 'Adam' } as never);
  assert.ok(bytes > 0);
  const huge = clean({
    layers: [
      { type: 'Dense', units: 30000, input_shape: [null, 30000] },
      { type: 'Dense', units: 10 },
    ],
  });
  assert.match(wasmMemoryProblem(huge.summary!, 32, { type: 'Adam' } as never) ?? '', /needs at least \d/);
});

test('training refuses a model whose output has a None last dimension, in a sentence', () => {
  assert.throws(
    () => describeModel({ layers: [{ type: 'Dropout', rate: 0.1, input_shape: [4, null] }] }),
    (e: Error) =>
      e instanceof ModelError &&
      e.message ===
        "The output of 'dropout' has a None last dimension (None, 4, None); end the model with a layer of known size, such as Dense.",
  );
});

test('fillVariableDims: the data fixes each None, or says why not in a sentence', () => {
  assert.deepEqual(fillVariableDims([null, 28], [28, 28], 'fashion-mnist'), { shape: [28, 28] });
  assert.deepEqual(fillVariableDims([null], [200], 'imdb'), { shape: [200] });
  assert.deepEqual(fillVariableDims([null, 28], [784], 'x'), { shape: [28, 28] });
  assert.deepEqual(fillVariableDims([4, 4], [16], 'x'), { shape: [4, 4] });
  const clash = fillVariableDims([null, 10], [28, 28], 'fashion-mnist');
  assert.ok('error' in clash);
  assert.equal(
    clash.error,
    "The model's input (None, None, 10) does not fit 'fashion-mnist', whose examples are (28, 28): axis 2 is 10 in the model and 28 in the data.",
  );
  const two = fillVariableDims([null, null], [784], 'x');
  assert.ok('error' in two && /2 None dimensions that 'x' cannot fix/.test(two.error));
});

test('schema: null is a dimension of input_shape and InputLayer shape; 0 and strings are still refused', () => {
  clean({
    layers: [
      { type: 'InputLayer', shape: [null, 3] },
      { type: 'Dense', units: 2 },
    ],
  });
  const zero = run({ layers: [{ type: 'Dense', units: 2, input_shape: [0] }] });
  assert.deepEqual(
    errors(zero).map((d) => [d.path, d.message]),
    [['layers[0].input_shape[0]', 'layers[0].input_shape[0] must be a positive integer or null, got 0.']],
  );
  const text = run({ layers: [{ type: 'Dense', units: 2, input_shape: ['a'] }] });
  assert.ok(errors(text).some((d) => d.path === 'layers[0].input_shape[0]'));
});

test('export writes None back: keras.Input(shape=(None, 10)) in the Keras script', () => {
  const def = {
    dataset: 'fashion-mnist',
    layers: [
      { type: 'LSTM', units: 8, input_shape: [null, 28] },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  };
  const a = clean(def);
  const script = toKerasScript(a.definition!);
  assert.match(script, /keras\.Input\(shape=\(None, 28\)\)/);
  const embedding = toKerasScript({
    dataset: { csv: 'tokens.csv', label: 'label' },
    layers: [
      { type: 'Embedding', input_dim: 20, output_dim: 8 },
      { type: 'LSTM', units: 4 },
      { type: 'Dense', units: 1, activation: 'sigmoid' },
    ],
  });
  assert.match(embedding, /keras\.Input\(shape=\(None,\)\)/);
});
