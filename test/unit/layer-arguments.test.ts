/**
 * Every Keras constructor argument of the supported layers: accepted by the schema, read from Python, with Keras's
 * shapes and parameter counts (dilation, groups, channels_first) and, where it changes training, built in tfjs.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { analyze, analyzeDefinition } from '../../src/model/analyze';
import { parseModelJson } from '../../src/model/parse-json';
import { parsePythonModels } from '../../src/model/python/index';
import { ZERO_RANGE } from '../../src/model/text-lines';
import type { ModelDefinition } from '../../src/model/types';
import { selectBackend } from '../../src/training/backend';
import { buildModel } from '../../src/training/worker/build-model';
import type { TF } from '../../src/training/worker/engine';

const analysis = (def: ModelDefinition) => analyzeDefinition(def, { values: new Map(), keys: new Map() }, ZERO_RANGE);

test('Dense with every argument Keras takes: same parameters, no diagnostics', () => {
  const json = JSON.stringify({
    layers: [
      {
        type: 'Dense',
        units: 64,
        input_dim: 20,
        activation: 'relu',
        use_bias: true,
        dtype: 'float32',
        trainable: true,
        kernel_initializer: 'he_normal',
        bias_initializer: { type: 'Constant', value: 0.1 },
        kernel_regularizer: { l2: 0.001 },
        bias_regularizer: 'l1',
        activity_regularizer: null,
        kernel_constraint: { type: 'MaxNorm', max_value: 3 },
        bias_constraint: 'non_neg',
      },
      { type: 'Dense', units: 1, kernel_initializer: { type: 'RandomNormal', mean: 0, stddev: 0.05, seed: null } },
    ],
  });
  const a = analyze(parseModelJson(json));
  assert.deepEqual(a.diagnostics, []);
  assert.deepEqual(
    a.summary?.layers.map((l) => l.params),
    [1344, 65],
  );
});

test('batch_input_shape and input_dim declare the input; on a later layer they are ignored with a warning', () => {
  const a = analysis({
    layers: [
      { type: 'Dense', units: 4, batch_input_shape: [null, 28, 28] },
      { type: 'Dense', units: 2, input_dim: 9 },
    ],
  });
  assert.deepEqual(
    a.summary?.layers.map((l) => l.outputShape),
    [
      [null, 28, 4],
      [null, 28, 2],
    ],
  );
  assert.deepEqual(
    a.diagnostics.filter((d) => d.code === 'input-shape-ignored').map((d) => [d.severity, d.path]),
    [['warning', 'layers[1].input_dim']],
  );
});

test("an Embedding's input_dim is its vocabulary, not an input shape: no warning after an InputLayer (DLwP 2nd ed. ch. 14)", () => {
  const a = analysis({
    layers: [
      { type: 'InputLayer', shape: [600], dtype: 'int32' },
      { type: 'Embedding', input_dim: 20000, output_dim: 64, mask_zero: true },
      { type: 'GlobalAveragePooling1D' },
      { type: 'Dense', units: 1, activation: 'sigmoid' },
    ],
  });
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
  assert.equal(a.summary?.totalParams, 20000 * 64 + 65);
});

test('Conv2D: dilation_rate widens the window, groups divide the kernel, channels_first moves the channels', () => {
  const a = analysis({
    layers: [
      { type: 'Conv2D', filters: 8, kernel_size: 3, dilation_rate: 2, input_shape: [28, 28, 4] },
      { type: 'Conv2D', filters: 16, kernel_size: 3, groups: 4 },
    ],
  });
  // 3×3 dilated by 2 covers 5×5: 28 - 5 + 1 = 24. Grouped: 3·3·(8/4)·16 + 16 = 304.
  assert.deepEqual(
    a.summary?.layers.map((l) => [l.outputShape, l.params]),
    [
      [[null, 24, 24, 8], 296],
      [[null, 22, 22, 16], 304],
    ],
  );
  const cf = analysis({
    layers: [
      { type: 'Conv2D', filters: 32, kernel_size: 3, data_format: 'channels_first', input_shape: [3, 32, 32] },
      { type: 'MaxPooling2D', pool_size: 2, data_format: 'channels_first' },
      { type: 'GlobalAveragePooling2D', data_format: 'channels_first' },
    ],
  });
  assert.deepEqual(
    cf.summary?.layers.map((l) => [l.outputShape, l.params]),
    [
      [[null, 32, 30, 30], 896],
      [[null, 32, 15, 15], 0],
      [[null, 32], 0],
    ],
  );
  const bad = analysis({ layers: [{ type: 'Conv2D', filters: 6, kernel_size: 3, groups: 4, input_shape: [8, 8, 8] }] });
  assert.match(
    bad.diagnostics[0].message,
    /groups=4 needs the input channels \(8\) and filters \(6\) to be multiples of 4/,
  );
});

test('Python: initializers, regularizers, constraints and data_format=None are read as Keras means them', async () => {
  const text = `from tensorflow import keras
from tensorflow.keras import layers, regularizers
model = keras.Sequential([
    layers.Conv2D(32, (3, 3), activation="relu", kernel_initializer="he_uniform", data_format=None, input_shape=(28, 28, 1)),
    layers.BatchNormalization(gamma_initializer=keras.initializers.RandomNormal(stddev=0.02), beta_regularizer=None),
    layers.Flatten(),
    layers.Dense(100, kernel_regularizer=regularizers.l2(0.001), kernel_constraint=keras.constraints.max_norm(3), bias_initializer=keras.initializers.Zeros()),
    layers.Dropout(0.5, noise_shape=None, seed=7),
    layers.Dense(10, activation="softmax", input_dim=100, dtype="float32"),
])
`;
  const [m] = await parsePythonModels(text);
  assert.deepEqual(m.diagnostics, []);
  const layers = m.definition!.layers;
  assert.equal(layers[0].kernel_initializer, 'he_uniform');
  assert.equal('data_format' in layers[0], false);
  assert.deepEqual(layers[1].gamma_initializer, { type: 'RandomNormal', stddev: 0.02 });
  assert.deepEqual(layers[3].kernel_regularizer, { l2: 0.001 });
  assert.deepEqual(layers[3].kernel_constraint, { type: 'MaxNorm', max_value: 3 });
  assert.equal(layers[3].bias_initializer, 'zeros');
  const a = analyze(m);
  // Dropout's seed is read, and training says it draws the masks from the run's seed instead.
  assert.deepEqual(
    a.diagnostics.map((d) => [d.path, d.code]),
    [
      ['layers[4].seed', 'ignored-in-training'],
      ['layers[5].input_dim', 'input-shape-ignored'],
    ],
  );
  assert.equal(a.summary?.totalParams, 320 + 128 + 2163300 + 1010);
});

test('keras.Input(shape=784) and shape=(784) are (784,); a None dimension is read as None', async () => {
  for (const shape of ['784', '(784)']) {
    const [m] = await parsePythonModels(
      `import keras\nm = keras.Sequential([keras.Input(shape=${shape}), keras.layers.Dense(10)])\n`,
    );
    assert.equal(analyze(m).summary?.totalParams, 7850);
  }
  const [v] = await parsePythonModels(
    `import keras\nm = keras.Sequential([keras.Input(shape=(None, 8)), keras.layers.Dense(10)])\n`,
  );
  assert.equal(v.incomplete, undefined);
  assert.deepEqual(analyze(v).summary?.layers[0].outputShape, [null, null, 10]);
  assert.equal(analyze(v).summary?.totalParams, 90);
});

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

test('training builds initializers, regularizers, constraints and channels_first in tfjs; refuses what tfjs cannot train', () => {
  const def: ModelDefinition = {
    layers: [
      {
        type: 'Conv2D',
        filters: 4,
        kernel_size: 5,
        data_format: 'channels_first',
        input_shape: [2, 9, 9],
        kernel_initializer: 'zeros',
      },
      { type: 'Flatten' },
      {
        type: 'Dense',
        units: 3,
        kernel_initializer: { type: 'Constant', value: 0.5 },
        kernel_regularizer: { l2: 0.01 },
        kernel_constraint: 'non_neg',
      },
    ],
  };
  const a = analysis(def);
  const model = buildModel(tf, def, {
    names: a.layers.map((l) => l.name),
    inputShape: a.inputShape as number[],
    seed: 1,
  });
  assert.deepEqual(model.outputs[0].shape, [null, 3]);
  assert.equal(model.countParams(), a.summary?.totalParams);
  const [convKernel] = model.layers[0].getWeights();
  assert.equal((convKernel.abs().max().dataSync() as Float32Array)[0], 0);
  const [denseKernel] = model.layers[2].getWeights();
  assert.equal((denseKernel.min().dataSync() as Float32Array)[0], 0.5);
  // The L2 penalty is a loss of the layer: 0.01 · Σ 0.5² over 4·5·5·3 weights = 0.75.
  const [penalty] = model.layers[2].calculateLosses();
  assert.ok(Math.abs((penalty.dataSync() as Float32Array)[0] - 0.75) < 1e-6);
  assert.throws(
    () =>
      buildModel(
        tf,
        { layers: [{ type: 'Conv2D', filters: 4, kernel_size: 1, groups: 2, input_shape: [4, 4, 4] }] },
        { names: ['c'], inputShape: [4, 4, 4], seed: 1 },
      ),
    /grouped Conv2D/,
  );
  assert.throws(
    () =>
      buildModel(
        tf,
        { layers: [{ type: 'Conv2D', filters: 4, kernel_size: 3, dilation_rate: 2, input_shape: [9, 9, 1] }] },
        { names: ['c'], inputShape: [9, 9, 1], seed: 1 },
      ),
    /dilated Conv2D .*no gradient/,
  );
});

test('every layer takes its Keras weight arguments (recurrent_*, embeddings_*, depthwise_*, …), in JSON and in Python, and builds in tfjs', async () => {
  const text = `from tensorflow import keras
from tensorflow.keras import layers, regularizers, constraints
model = keras.Sequential([
    layers.Embedding(1000, 16, input_length=20, input_shape=(20,), embeddings_initializer="uniform", embeddings_regularizer=regularizers.l2(1e-4), embeddings_constraint=None, dtype="float32", trainable=True),
    layers.Conv1D(8, 3, dilation_rate=2, padding="causal", kernel_initializer="he_normal", bias_constraint=constraints.NonNeg(), data_format="channels_last"),
    layers.MaxPooling1D(2, data_format="channels_last"),
    layers.LSTM(12, return_sequences=True, recurrent_initializer="orthogonal", recurrent_regularizer=regularizers.l1(0.01), recurrent_constraint=constraints.max_norm(2.0), recurrent_dropout=0.1, kernel_regularizer=None, unroll=False, implementation=2),
    layers.GRU(6, reset_after=False, bias_initializer="ones", recurrent_constraint=None, seed=3),
    layers.LayerNormalization(gamma_initializer="ones", beta_regularizer=regularizers.l2(0.01)),
    layers.Reshape((6, 1)),
    layers.GlobalAveragePooling1D(keepdims=True),
    layers.Flatten(),
    layers.GaussianNoise(0.1, seed=1),
    layers.Dense(3),
    layers.PReLU(alpha_initializer="zeros", alpha_constraint=constraints.NonNeg()),
])
`;
  const [m] = await parsePythonModels(text);
  assert.deepEqual(m.diagnostics, []);
  assert.equal(m.incomplete, undefined);
  const a = analyze(m);
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
  // Only the seeds are read but not trained: training draws from the run's seed.
  assert.deepEqual(
    a.diagnostics.map((d) => d.path),
    ['layers[4].seed', 'layers[9].seed'],
  );
  // Conv1D: causal padding keeps 20 steps; dilation 2 does not change the count: 3·16·8+8 = 392.
  // LSTM 4·(12·(8+12)+12) = 1,008 on (10, 8) after pooling; GRU (reset_after=False) 3·(6·(12+6)+6) = 342.
  assert.deepEqual(
    a.summary!.layers.map((l) => [l.outputShape, l.params]),
    [
      [[null, 20, 16], 16000],
      [[null, 20, 8], 392],
      [[null, 10, 8], 0],
      [[null, 10, 12], 1008],
      [[null, 6], 342],
      [[null, 6], 12],
      [[null, 6, 1], 0],
      [[null, 1, 1], 0],
      [[null, 1], 0],
      [[null, 1], 0],
      [[null, 3], 6],
      [[null, 3], 3],
    ],
  );
  // The same in .model.json: the schema takes every argument.
  const json = analyze(parseModelJson(JSON.stringify(m.definition)));
  assert.deepEqual(
    json.diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
  const names = a.summary!.layers.map((l) => l.name);
  // tfjs's global poolings drop the pooled axes: keepdims=True is refused for training, in a sentence.
  assert.throws(() => buildModel(tf, m.definition!, { names, inputShape: [20], seed: 1 }), /keepdims=True/);
  const trainable = structuredClone(m.definition!);
  trainable.layers[7].keepdims = false;
  trainable.layers.splice(8, 1); // the Flatten, which needs the kept axes
  const built = buildModel(tf, trainable, {
    names: names.filter((_, i) => i !== 8),
    inputShape: [20],
    seed: 1,
  });
  assert.equal(built.countParams(), a.summary!.totalParams);
  const lstm = built.layers[3] as unknown as { recurrentRegularizer?: unknown; recurrentConstraint?: unknown };
  assert.ok(lstm, 'the LSTM is built');
  built.dispose();
});

test('channels_first where Model Lab computes channels_last only, and dilation where it computes none, are positioned errors', () => {
  const a = analysis({
    layers: [
      { type: 'SeparableConv2D', filters: 4, kernel_size: 3, dilation_rate: 2, input_shape: [8, 8, 3] },
      { type: 'UpSampling2D', data_format: 'channels_first' },
    ],
  });
  assert.deepEqual(
    a.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => d.path)
      .sort(),
    ['layers[0].dilation_rate', 'layers[1].data_format'],
  );
});

test('global poolings with channels_first pool the axes after the channels (keras.io timeseries transformer: (500, 1) → 500)', () => {
  const shapes = (type: string, input_shape: number[], more: object = {}) =>
    analysis({ layers: [{ type, data_format: 'channels_first', input_shape, ...more }] }).summary?.layers[0]
      .outputShape;
  assert.deepEqual(shapes('GlobalAveragePooling1D', [500, 1]), [null, 500]);
  assert.deepEqual(shapes('GlobalMaxPooling1D', [8, 20], { keepdims: true }), [null, 8, 1]);
  assert.deepEqual(shapes('GlobalMaxPooling2D', [3, 9, 9]), [null, 3]);
  // tfjs pools 2-D inputs either way round; its 1-D poolings take (steps, channels) only.
  const built = buildModel(
    tf,
    { layers: [{ type: 'GlobalMaxPooling2D', data_format: 'channels_first', input_shape: [3, 9, 9] }] },
    { names: ['g'], inputShape: [3, 9, 9], seed: 1 },
  );
  assert.deepEqual(built.outputs[0].shape, [null, 3]);
  built.dispose();
  assert.throws(
    () =>
      buildModel(
        tf,
        { layers: [{ type: 'GlobalAveragePooling1D', data_format: 'channels_first', input_shape: [500, 1] }] },
        { names: ['g'], inputShape: [500, 1], seed: 1 },
      ),
    /1-D global pooling with data_format='channels_first'/,
  );
});
