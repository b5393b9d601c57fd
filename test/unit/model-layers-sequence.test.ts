/**
 * The layers beyond Dense stacks: every expected count below is worked out by hand from Keras's formula (cited in
 * each test name), and the shapes from Keras's conv_utils / layer code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, parseModelJson, type Analysis } from '../../src/model';

function run(def: object): Analysis {
  return analyze(parseModelJson(JSON.stringify(def)));
}
const errors = (a: Analysis) => a.diagnostics.filter((d) => d.severity === 'error');
const warnings = (a: Analysis) => a.diagnostics.filter((d) => d.severity === 'warning');

/** Params and output shapes of a layer list that must analyse cleanly. */
function counts(layers: object[]): { params: number[]; shapes: (number | null)[][]; a: Analysis } {
  const a = run({ layers });
  assert.deepEqual(
    errors(a).map((d) => d.message),
    [],
  );
  return { params: a.layers.map((l) => l.params), shapes: a.layers.map((l) => l.outputShape ?? []), a };
}

test('Embedding(10000, 16, input_length=200): 10,000 × 16 = 160,000; (None, 200) → (None, 200, 16)', () => {
  const { params, shapes } = counts([
    { type: 'Embedding', input_dim: 10000, output_dim: 16, input_length: 200, input_shape: [200] },
  ]);
  assert.deepEqual(params, [160000]);
  assert.deepEqual(shapes, [[null, 200, 16]]);
});

test("a first Embedding's input_length is its input shape, as Keras 2 builds it (DLwP 6.1: (None, 20) -> (None, 20, 8))", () => {
  const { params, shapes } = counts([
    { type: 'Embedding', input_dim: 10000, output_dim: 8, input_length: 20 },
    { type: 'Flatten' },
    { type: 'Dense', units: 1, activation: 'sigmoid' },
  ]);
  assert.deepEqual(params, [80000, 0, 161]);
  assert.deepEqual(shapes, [
    [null, 20, 8],
    [null, 160],
    [null, 1],
  ]);
});

test("compile.metrics 'acc' (Keras 2's older name) is accuracy: no error, and accuracy is logged for callbacks", () => {
  const a = run({
    layers: [{ type: 'Dense', units: 10, activation: 'softmax', input_shape: [4] }],
    compile: { loss: 'sparse_categorical_crossentropy', metrics: ['acc'] },
    fit: { callbacks: [{ type: 'EarlyStopping', monitor: 'val_accuracy' }] },
  });
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity !== 'information').map((d) => d.message),
    [],
  );
});

test('Embedding input_length that disagrees with the input is an error at input_length', () => {
  const a = run({
    layers: [{ type: 'Embedding', input_dim: 100, output_dim: 8, input_length: 50, input_shape: [40] }],
  });
  assert.equal(errors(a)[0].path, 'layers[0].input_length');
});

test('LSTM(64) on 128 features: 4 × (64 × (128 + 64) + 64) = 49,408, hover arithmetic as the issue shows', () => {
  const { params, shapes, a } = counts([
    { type: 'Embedding', input_dim: 1000, output_dim: 128, input_shape: [20] },
    { type: 'LSTM', units: 64 },
  ]);
  assert.deepEqual(params, [128000, 49408]);
  assert.deepEqual(shapes[1], [null, 64]);
  assert.equal(a.layers[1].arithmetic, '4 × (64 × (128 + 64) + 64) = 49,408');
});

test('GRU(64), reset_after=True (default): 3 × (64 × (128 + 64) + 2 × 64) = 37,248; reset_after=False: 3 × (12,288 + 64) = 37,056', () => {
  const on128 = (gru: object) =>
    counts([{ type: 'Reshape', target_shape: [10, 128], input_shape: [1280] }, gru]).params[1];
  assert.equal(on128({ type: 'GRU', units: 64 }), 37248);
  assert.equal(on128({ type: 'GRU', units: 64, reset_after: false }), 37056);
});

test('SimpleRNN(32) on 16 features: 32 × (16 + 32) + 32 = 1,568; return_sequences keeps the steps', () => {
  const { params, shapes } = counts([{ type: 'SimpleRNN', units: 32, return_sequences: true, input_shape: [10, 16] }]);
  assert.deepEqual(params, [1568]);
  assert.deepEqual(shapes, [[null, 10, 32]]);
});

test('use_bias=False drops the bias terms: LSTM(8) on 4 features = 4 × 8 × (4 + 8) = 384', () => {
  assert.deepEqual(counts([{ type: 'LSTM', units: 8, use_bias: false, input_shape: [5, 4] }]).params, [384]);
});

test('Bidirectional(LSTM(64)) on 128 features: 2 × 49,408 = 98,816; concat doubles the units, sum keeps them', () => {
  const base = { type: 'Reshape', target_shape: [10, 128], input_shape: [1280] };
  const concat = counts([base, { type: 'Bidirectional', layer: { type: 'LSTM', units: 64 } }]);
  assert.deepEqual(concat.params, [0, 98816]);
  assert.deepEqual(concat.shapes[1], [null, 128]);
  assert.match(
    concat.a.layers[1].arithmetic,
    /^2 directions × \(LSTM: 4 × \(64 × \(128 \+ 64\) \+ 64\) = 49,408\) = 98,816$/,
  );
  const sum = counts([
    base,
    { type: 'Bidirectional', layer: { type: 'LSTM', units: 64, return_sequences: true }, merge_mode: 'sum' },
  ]);
  assert.deepEqual(sum.shapes[1], [null, 10, 64]);
});

test('Bidirectional refuses a non-recurrent layer at its layer argument', () => {
  const a = run({ layers: [{ type: 'Bidirectional', layer: { type: 'Dense', units: 4 }, input_shape: [3, 2] }] });
  assert.equal(errors(a)[0].path, 'layers[0].layer');
});

test('TimeDistributed(Dense(8)) on (10, 16): the Dense on one step, 16 × 8 + 8 = 136; (None, 10, 8)', () => {
  const { params, shapes } = counts([
    { type: 'TimeDistributed', layer: { type: 'Dense', units: 8 }, input_shape: [10, 16] },
  ]);
  assert.deepEqual(params, [136]);
  assert.deepEqual(shapes, [[null, 10, 8]]);
});

test('Conv1D(128, 7, strides=3) on (500, 128): 7 × 128 × 128 + 128 = 114,816; ⌊(500 − 7) / 3⌋ + 1 = 165 steps', () => {
  const { params, shapes } = counts([
    { type: 'Conv1D', filters: 128, kernel_size: 7, strides: 3, input_shape: [500, 128] },
  ]);
  assert.deepEqual(params, [114816]);
  assert.deepEqual(shapes, [[null, 165, 128]]);
});

test("Conv1D 'same' stride 2 on 101 steps gives ⌈101 / 2⌉ = 51; 'causal' keeps 100", () => {
  assert.deepEqual(
    counts([{ type: 'Conv1D', filters: 4, kernel_size: 3, strides: 2, padding: 'same', input_shape: [101, 2] }]).shapes,
    [[null, 51, 4]],
  );
  assert.deepEqual(
    counts([{ type: 'Conv1D', filters: 4, kernel_size: 3, padding: 'causal', input_shape: [100, 2] }]).shapes,
    [[null, 100, 4]],
  );
});

test('1-D pooling: MaxPooling1D(2) on 100 steps → 50; AveragePooling1D(3, strides=2) on 9 → ⌊(9 − 3) / 2⌋ + 1 = 4; global poolings keep the channels', () => {
  assert.deepEqual(counts([{ type: 'MaxPooling1D', input_shape: [100, 16] }]).shapes, [[null, 50, 16]]);
  assert.deepEqual(counts([{ type: 'AveragePooling1D', pool_size: 3, strides: 2, input_shape: [9, 4] }]).shapes, [
    [null, 4, 4],
  ]);
  assert.deepEqual(counts([{ type: 'GlobalMaxPooling1D', input_shape: [50, 16] }]).shapes, [[null, 16]]);
  assert.deepEqual(counts([{ type: 'GlobalAveragePooling1D', input_shape: [50, 16] }]).shapes, [[null, 16]]);
  assert.deepEqual(counts([{ type: 'GlobalMaxPooling2D', input_shape: [7, 7, 64] }]).shapes, [[null, 64]]);
});

test('SeparableConv2D(64, 3) on 32×32×32: 3·3·32 depthwise + 32·64 pointwise + 64 biases = 288 + 2,048 + 64 = 2,400', () => {
  const { params, shapes, a } = counts([
    { type: 'SeparableConv2D', filters: 64, kernel_size: 3, input_shape: [32, 32, 32] },
  ]);
  assert.deepEqual(params, [2400]);
  assert.deepEqual(shapes, [[null, 30, 30, 64]]);
  assert.match(a.layers[0].arithmetic, /= 2,400$/);
});

test('DepthwiseConv2D(3) on 32×32×32: 3·3·32 + 32 = 320; depth_multiplier 2: 576 + 64 = 640 and 64 channels', () => {
  assert.deepEqual(counts([{ type: 'DepthwiseConv2D', kernel_size: 3, input_shape: [32, 32, 32] }]).params, [320]);
  const m2 = counts([
    { type: 'DepthwiseConv2D', kernel_size: 3, depth_multiplier: 2, padding: 'same', input_shape: [32, 32, 32] },
  ]);
  assert.deepEqual(m2.params, [640]);
  assert.deepEqual(m2.shapes, [[null, 32, 32, 64]]);
});

test("Conv2DTranspose(16, 3, strides=2) on 7×7×32: 3·3·16·32 + 16 = 4,624; 'same' 7·2 = 14, 'valid' 7·2 + max(3 − 2, 0) = 15", () => {
  const same = counts([
    { type: 'Conv2DTranspose', filters: 16, kernel_size: 3, strides: 2, padding: 'same', input_shape: [7, 7, 32] },
  ]);
  assert.deepEqual(same.params, [4624]);
  assert.deepEqual(same.shapes, [[null, 14, 14, 16]]);
  assert.deepEqual(
    counts([{ type: 'Conv2DTranspose', filters: 16, kernel_size: 3, strides: 2, input_shape: [7, 7, 32] }]).shapes,
    [[null, 15, 15, 16]],
  );
});

test('UpSampling2D, ZeroPadding2D and Cropping2D shapes (no weights)', () => {
  assert.deepEqual(counts([{ type: 'UpSampling2D', input_shape: [7, 7, 16] }]).shapes, [[null, 14, 14, 16]]);
  assert.deepEqual(counts([{ type: 'ZeroPadding2D', padding: 1, input_shape: [28, 28, 1] }]).shapes, [
    [null, 30, 30, 1],
  ]);
  assert.deepEqual(
    counts([
      {
        type: 'ZeroPadding2D',
        padding: [
          [1, 2],
          [3, 4],
        ],
        input_shape: [28, 28, 1],
      },
    ]).shapes,
    [[null, 31, 35, 1]],
  );
  assert.deepEqual(
    counts([
      {
        type: 'Cropping2D',
        cropping: [
          [2, 2],
          [4, 4],
        ],
        input_shape: [28, 28, 1],
      },
    ]).shapes,
    [[null, 24, 20, 1]],
  );
  assert.equal(
    errors(run({ layers: [{ type: 'Cropping2D', cropping: 14, input_shape: [28, 28, 1] }] }))[0].path,
    'layers[0].cropping',
  );
});

test('LayerNormalization on (200, 64): 64 gamma + 64 beta = 128, all trainable', () => {
  const { params, a } = counts([{ type: 'LayerNormalization', input_shape: [200, 64] }]);
  assert.deepEqual(params, [128]);
  assert.equal(a.summary?.trainableParams, 128);
});

test('PReLU: one slope per value, 28 × 28 × 1 = 784; shared_axes [1, 2] on 28×28×3 leaves 3', () => {
  assert.deepEqual(counts([{ type: 'PReLU', input_shape: [28, 28, 1] }]).params, [784]);
  assert.deepEqual(counts([{ type: 'PReLU', shared_axes: [1, 2], input_shape: [28, 28, 3] }]).params, [3]);
});

test('weightless layers keep or move the shape: RepeatVector, Permute, noise, activations, Rescaling', () => {
  assert.deepEqual(counts([{ type: 'RepeatVector', n: 3, input_shape: [32] }]).shapes, [[null, 3, 32]]);
  assert.deepEqual(counts([{ type: 'Permute', dims: [2, 1], input_shape: [10, 64] }]).shapes, [[null, 64, 10]]);
  for (const type of ['ReLU', 'LeakyReLU', 'ELU', 'Softmax'])
    assert.deepEqual(counts([{ type, input_shape: [5] }]).params, [0]);
  for (const layer of [
    { type: 'SpatialDropout1D', rate: 0.2, input_shape: [10, 4] },
    { type: 'SpatialDropout2D', rate: 0.2, input_shape: [8, 8, 4] },
    { type: 'GaussianNoise', stddev: 0.1, input_shape: [5] },
    { type: 'GaussianDropout', rate: 0.1, input_shape: [5] },
    { type: 'AlphaDropout', rate: 0.1, input_shape: [5] },
    { type: 'Rescaling', scale: 0.5, input_shape: [5] },
  ]) {
    assert.deepEqual(counts([layer]).params, [0]);
  }
  assert.equal(
    errors(run({ layers: [{ type: 'Permute', dims: [1, 1], input_shape: [10, 64] }] }))[0].path,
    'layers[0].dims',
  );
});

test('Keras default names: re_lu, leaky_re_lu, p_re_lu, simple_rnn, conv2d_transpose, spatial_dropout1d', () => {
  const a = run({
    layers: [
      { type: 'Reshape', target_shape: [4, 4], input_shape: [16] },
      { type: 'ReLU' },
      { type: 'LeakyReLU' },
      { type: 'PReLU' },
      { type: 'SimpleRNN', units: 2, return_sequences: true },
      { type: 'SpatialDropout1D', rate: 0.1 },
    ],
  });
  assert.deepEqual(
    a.layers.map((l) => l.name),
    ['reshape', 're_lu', 'leaky_re_lu', 'p_re_lu', 'simple_rnn', 'spatial_dropout1d'],
  );
});

test('an InputLayer first fixes the input shape and, as in Keras, is not a row of the Sequential summary', () => {
  const a = run({
    layers: [
      { type: 'InputLayer', shape: [8] },
      { type: 'Dense', units: 2 },
    ],
  });
  assert.deepEqual(errors(a), []);
  assert.deepEqual(
    a.summary?.layers.map((l) => l.name),
    ['dense'],
  );
  assert.equal(a.summary?.totalParams, 18);
});

// Diagnostics for the mistakes people make with these layers.

test('an LSTM on 2-D input (after Dense) is an error that suggests an Embedding or Reshape', () => {
  const a = run({
    layers: [
      { type: 'Dense', units: 8, input_shape: [4] },
      { type: 'LSTM', units: 4 },
    ],
  });
  const e = errors(a)[0];
  assert.equal(e.path, 'layers[1].type');
  assert.match(
    e.message,
    /LSTM needs a 3-D input \(batch, timesteps, features\) but gets \(None, 8\).*Embedding.*Reshape/,
  );
});

test('Conv1D on images is an error that points to Conv2D', () => {
  const e = errors(
    run({
      dataset: 'fashion-mnist',
      layers: [
        { type: 'Reshape', target_shape: [28, 28, 1] },
        { type: 'Conv1D', filters: 8, kernel_size: 3 },
      ],
    }),
  )[0];
  assert.equal(e.path, 'layers[1].type');
  assert.match(e.message, /Conv1D takes sequences .* \(None, 28, 28, 1\).*Conv2D/);
});

test('an Embedding fed floats (after a Dense, or on pixel data) gets a warning', () => {
  const afterDense = warnings(
    run({
      layers: [
        { type: 'Dense', units: 8, input_shape: [4] },
        { type: 'Embedding', input_dim: 10, output_dim: 2 },
      ],
    }),
  );
  assert.equal(afterDense.find((d) => d.code === 'embedding-floats')?.path, 'layers[1].type');
  const onPixels = warnings(
    run({
      dataset: 'fashion-mnist',
      layers: [{ type: 'Flatten' }, { type: 'Embedding', input_dim: 10, output_dim: 2 }],
    }),
  );
  assert.ok(onPixels.some((d) => d.code === 'embedding-floats'));
  const onPixelsFirst = warnings(
    run({ dataset: 'fashion-mnist', layers: [{ type: 'Embedding', input_dim: 10, output_dim: 2 }] }),
  );
  assert.match(onPixelsFirst.find((d) => d.code === 'embedding-floats')!.message, /pixel values/);
});

test('return_state in a layer list is an error at return_state; a merge layer outside a graph says how to use it', () => {
  assert.equal(
    errors(run({ layers: [{ type: 'LSTM', units: 4, return_state: true, input_shape: [3, 2] }] }))[0].path,
    'layers[0].return_state',
  );
  assert.match(errors(run({ layers: [{ type: 'Add', input_shape: [3] }] }))[0].message, /only works in a graph model/);
});

test('Conv1D and Conv2D share the window and groups rules: the same errors, at the same argument', () => {
  const shrink1d = errors(run({ layers: [{ type: 'Conv1D', filters: 4, kernel_size: 7, input_shape: [5, 2] }] }))[0];
  assert.equal(shrink1d.path, 'layers[0].kernel_size');
  assert.equal(
    shrink1d.message,
    "Conv1D would shrink its 5 steps to 0: the kernel_size 7 is longer than the input; use a smaller kernel_size or padding 'same'.",
  );
  // A dilated window of 3 taps, 4 apart, covers (3 − 1) · 4 + 1 = 9 steps: 8 steps vanish, 9 keep one.
  const dilated = (steps: number) => [
    { type: 'Conv1D', filters: 4, kernel_size: 3, dilation_rate: 4, input_shape: [steps, 2] },
  ];
  assert.match(
    errors(run({ layers: dilated(8) }))[0].message,
    /its 8 steps to 0: the kernel_size 3 dilated by 4 \(9 steps\) is longer than the input/,
  );
  const dilated2d = errors(
    run({ layers: [{ type: 'Conv2D', filters: 2, kernel_size: 3, dilation_rate: [2, 1], input_shape: [4, 4, 1] }] }),
  )[0];
  assert.match(dilated2d.message, /its 4×4 input to 0×2: the kernel_size 3×3 dilated by 2×1 \(5×3\) is larger /);
  assert.deepEqual(counts(dilated(9)).shapes, [[null, 1, 4]]);
  const pool = errors(run({ layers: [{ type: 'MaxPooling1D', pool_size: 4, input_shape: [3, 2] }] }))[0];
  assert.equal(pool.path, 'layers[0].pool_size');
  assert.match(pool.message, /^MaxPooling1D would shrink its 3 steps to 0: the pool_size 4 /);
  for (const [type, input] of [
    ['Conv1D', [10, 8]],
    ['Conv2D', [10, 10, 8]],
  ] as const) {
    const bad = errors(run({ layers: [{ type, filters: 6, kernel_size: 3, groups: 4, input_shape: input }] }))[0];
    assert.equal(bad.path, 'layers[0].groups');
    assert.equal(
      bad.message,
      `${type} with groups=4 needs the input channels (8) and filters (6) to be multiples of 4.`,
    );
  }
});
