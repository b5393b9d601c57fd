/** build-model: a builder for every layer the core knows, parameter counts equal to the core's, seeded weights. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type * as tfjs from '@tensorflow/tfjs';
import { ACTIVATION_NAMES } from '../../src/model/activations';
import { analyzeDefinition } from '../../src/model/analyze';
import { LAYER_TYPES } from '../../src/model/layers/registry';
import { parseModelJson } from '../../src/model/parse-json';
import { ZERO_RANGE } from '../../src/model/text-lines';
import type { ModelDefinition } from '../../src/model/types';
import { selectBackend } from '../../src/training/backend';
import { LAYER_BUILDERS, buildModel } from '../../src/training/worker/build-model';
import type { TF } from '../../src/training/worker/engine';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

const analysis = (def: ModelDefinition) => analyzeDefinition(def, { values: new Map(), keys: new Map() }, ZERO_RANGE);

function build(def: ModelDefinition, seed = 1) {
  const a = analysis(def);
  assert.ok(a.summary, `the core accepts the definition: ${a.diagnostics.map((d) => d.message).join('; ')}`);
  return {
    model: buildModel(tf, def, { names: a.layers.map((l) => l.name), inputShape: a.inputShape as number[], seed }),
    a,
  };
}

const dense: ModelDefinition = {
  dataset: 'fashion-mnist-sample',
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 100, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};

const conv: ModelDefinition = {
  dataset: 'fashion-mnist-sample',
  layers: [
    { type: 'Reshape', target_shape: [28, 28, 1], input_shape: [28, 28] },
    { type: 'Conv2D', filters: 8, kernel_size: 3, padding: 'same', activation: 'relu' },
    { type: 'MaxPooling2D', pool_size: 2 },
    { type: 'Conv2D', filters: 4, kernel_size: [3, 3], strides: 2, use_bias: false },
    { type: 'AveragePooling2D', pool_size: 2, padding: 'same' },
    { type: 'Flatten' },
    { type: 'Reshape', target_shape: [3, 3, 4] },
    { type: 'BatchNormalization' },
    { type: 'GlobalAveragePooling2D' },
    { type: 'Dropout', rate: 0.3 },
    { type: 'Dense', units: 10, name: 'logits' },
    { type: 'Activation', activation: 'softmax' },
  ],
};

test('every layer type in the core registry has exactly one builder', () => {
  assert.deepEqual(Object.keys(LAYER_BUILDERS).sort(), [...LAYER_TYPES].sort());
});

test('Dense 784-100-10 has the 79,510 parameters Keras reports, named as the core names them', () => {
  const { model } = build(dense);
  assert.equal(model.countParams(), 79510);
  assert.deepEqual(
    model.layers.map((l) => l.name),
    ['flatten', 'dense', 'dense_1'],
  );
  model.dispose();
});

test('a model using every layer type matches the core in parameters and output shapes', () => {
  const { model, a } = build(conv);
  // 8*9+8 = 80; 4*9*8 (no bias) = 288; batch norm 4*4 = 16 (8 trainable); dense 4*10+10 = 50
  assert.equal(a.summary!.totalParams, 80 + 288 + 16 + 50);
  assert.equal(model.countParams(), a.summary!.totalParams);
  assert.equal(
    model.trainableWeights.reduce((n, w) => n + w.shape.reduce((x, y) => x! * y!, 1)!, 0),
    a.summary!.trainableParams,
  );
  model.layers.forEach((layer, i) => {
    assert.equal(layer.name, a.layers[i].name);
    assert.deepEqual(layer.outputShape, a.layers[i].outputShape, `${layer.name} output shape`);
  });
  model.dispose();
});

/** Three models that between them (with `conv` above) use every layer type the core knows. */
const sequence: ModelDefinition = {
  layers: [
    { type: 'InputLayer', shape: [12] },
    { type: 'Embedding', input_dim: 30, output_dim: 8 },
    { type: 'SpatialDropout1D', rate: 0.1 },
    { type: 'Conv1D', filters: 8, kernel_size: 3, padding: 'same', activation: 'relu' },
    { type: 'MaxPooling1D' },
    { type: 'AveragePooling1D', pool_size: 2, strides: 1 },
    { type: 'Bidirectional', layer: { type: 'LSTM', units: 4, return_sequences: true } },
    { type: 'TimeDistributed', layer: { type: 'Dense', units: 3 } },
    { type: 'LayerNormalization' },
    { type: 'SimpleRNN', units: 5, return_sequences: true },
    { type: 'GRU', units: 4, reset_after: false, return_sequences: true },
    { type: 'GlobalAveragePooling1D' },
    { type: 'RepeatVector', n: 3 },
    { type: 'Permute', dims: [2, 1] },
    { type: 'GlobalMaxPooling1D' },
    { type: 'ReLU', max_value: 6 },
    { type: 'LeakyReLU' },
    { type: 'PReLU' },
    { type: 'ELU' },
    { type: 'GaussianNoise', stddev: 0.1 },
    { type: 'GaussianDropout', rate: 0.1 },
    { type: 'AlphaDropout', rate: 0.1 },
    { type: 'Rescaling', scale: 0.5, offset: 0.1 },
    { type: 'Dense', units: 2 },
    { type: 'Softmax' },
  ],
};
const image: ModelDefinition = {
  layers: [
    { type: 'ZeroPadding2D', padding: 1, input_shape: [8, 8, 3] },
    { type: 'SeparableConv2D', filters: 4, kernel_size: 3 },
    { type: 'DepthwiseConv2D', kernel_size: 3, depth_multiplier: 2, padding: 'same' },
    { type: 'SpatialDropout2D', rate: 0.2 },
    { type: 'Conv2DTranspose', filters: 3, kernel_size: 3, strides: 2, padding: 'same' },
    { type: 'UpSampling2D' },
    { type: 'Cropping2D', cropping: 2 },
    { type: 'GlobalMaxPooling2D' },
    { type: 'Dense', units: 2 },
  ],
};
const resize: ModelDefinition = {
  layers: [
    { type: 'Resizing', height: 4, width: 4, input_shape: [2, 2, 1] },
    { type: 'CenterCrop', height: 2, width: 2 },
    { type: 'Flatten' },
    { type: 'Dense', units: 1 },
  ],
};
/** The layers Model Lab shows but does not train: their builders refuse with the core's sentence. */
const NOT_TRAINED: ModelDefinition['layers'] = [
  { type: 'Normalization' },
  { type: 'RandomFlip' },
  { type: 'RandomRotation', factor: 0.1 },
  { type: 'RandomZoom', height_factor: 0.1 },
  { type: 'RandomTranslation', height_factor: 0.1, width_factor: 0.1 },
  { type: 'RandomContrast', factor: 0.1 },
  { type: 'RandomCrop', height: 2, width: 2 },
  { type: 'TextVectorization' },
  { type: 'StringLookup' },
  { type: 'IntegerLookup' },
  { type: 'MultiHeadAttention', num_heads: 2, key_dim: 2, attention_axes: [1] },
];
const merges: ModelDefinition = {
  layers: [
    { type: 'InputLayer', shape: [4], name: 'x' },
    { type: 'Dense', units: 4, name: 'a' },
    { type: 'Dense', units: 4, name: 'b', inputs: 'x' },
    ...['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'].map((type) => ({ type, inputs: ['a', 'b'] })),
    { type: 'Concatenate', inputs: ['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum'] },
    { type: 'Dot', axes: 1, inputs: ['a', 'b'] },
    { type: 'Concatenate', inputs: ['concatenate', 'dot'] },
    { type: 'Dense', units: 1 },
  ],
};

for (const [label, def] of [
  ['sequence layers', sequence],
  ['image layers', image],
  ['merges in a graph', merges],
  ['resizing and cropping', resize],
] as const) {
  test(`${label}: tfjs builds the model with the core's parameter counts and output shapes`, () => {
    const { model, a } = build(def);
    assert.equal(model.countParams(), a.summary!.totalParams);
    const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((x, y) => x! * y!, 1)!, 0);
    assert.equal(trainable, a.summary!.trainableParams);
    const byName = new Map(a.layers.map((l) => [l.name, l]));
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      assert.deepEqual(layer.outputShape, byName.get(layer.name)?.outputShape, `${layer.name} output shape`);
    }
    model.dispose();
  });
}

test('together the test models use every layer type the core knows', () => {
  const used = new Set<string>();
  const add = (l: { type: string; layer?: unknown }) => {
    used.add(l.type);
    if (l.layer) add(l.layer as { type: string });
  };
  for (const def of [conv, sequence, image, merges, resize, ...nested, { layers: NOT_TRAINED }])
    def.layers.forEach(add);
  assert.deepEqual([...used].sort(), Object.keys(LAYER_BUILDERS).sort());
});

test("Resizing and CenterCrop compute Keras's pixels: half-pixel centres, the crop from (size - crop) // 2", () => {
  const { model } = build(resize);
  const [resizing, crop] = model.layers;
  const x = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]);
  // tf.image.resize((2, 2) → (4, 4), bilinear): each row 0, 0.25, 0.75, 1 of the way from the first pixel to the second.
  const up = resizing.apply(x) as ReturnType<TF['tensor4d']>;
  assert.deepEqual(Array.from(up.dataSync()).slice(0, 4), [0, 0.25, 0.75, 1]);
  assert.deepEqual(Array.from((crop.apply(up) as typeof up).dataSync()), [0.75, 1.25, 1.75, 2.25]);
  model.dispose();
});

test("Normalization with a given mean and variance computes Keras's (x - mean) / max(sqrt(variance), 1e-7), per feature", () => {
  const def: ModelDefinition = {
    layers: [
      { type: 'Normalization', mean: [1, 2], variance: [4, 0], input_shape: [2] },
      { type: 'Normalization', mean: 1, variance: 4, invert: true },
    ],
  };
  const { model } = build(def);
  const [norm, inverse] = model.layers;
  const x = tf.tensor2d([3, 2], [1, 2]);
  const y = norm.apply(x) as typeof x;
  assert.deepEqual(Array.from(y.dataSync()), [1, 0]);
  // invert: x · max(√variance, ε) + mean, with one mean and variance for every feature.
  assert.deepEqual(Array.from((inverse.apply(y) as typeof x).dataSync()), [3, 1]);
  assert.equal(model.countParams(), 0);
  model.dispose();
});

test("activation 'leaky_relu' (Keras's, slope 0.2; tfjs has none) and 'silu' compute and differentiate as Keras does", () => {
  const def: ModelDefinition = {
    layers: [
      { type: 'Dense', units: 2, activation: 'leaky_relu', use_bias: false, input_shape: [2] },
      { type: 'Activation', activation: 'silu' },
    ],
  };
  const { model } = build(def);
  model.layers[0].setWeights([tf.tensor2d([1, 0, 0, 1], [2, 2])]);
  const x = tf.tensor2d([3, -5], [1, 2]);
  const hidden = model.layers[0].apply(x) as typeof x;
  assert.deepEqual(Array.from(hidden.dataSync()), [3, -1]);
  const out = model.predict(x) as typeof x;
  const silu = (v: number) => v / (1 + Math.exp(-v));
  Array.from(out.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - silu([3, -1][i])) < 1e-6));
  // Its gradient: 1 above zero, 0.2 below.
  const g = tf.grad((t) => (model.layers[0].apply(t) as typeof x).sum())(x);
  Array.from(g.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [1, 0.2][i]) < 1e-6));
  model.dispose();
});

test("'exponential', 'log_softmax', 'hard_silu' / 'hard_swish' compute Keras's formulas (tfjs has none of them)", () => {
  const x = [1.5, -4, 0.25];
  const hardSilu = (v: number) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6;
  const logSumExp = Math.log(x.reduce((s, v) => s + Math.exp(v), 0));
  const expected: Record<string, number[]> = {
    exponential: x.map(Math.exp),
    log_softmax: x.map((v) => v - logSumExp),
    hard_silu: x.map(hardSilu),
    hard_swish: x.map(hardSilu),
  };
  for (const [activation, want] of Object.entries(expected)) {
    const { model } = build({ layers: [{ type: 'Activation', activation, input_shape: [3] }] });
    const got = (model.predict(tf.tensor2d([x])) as tfjs.Tensor).dataSync();
    want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-5, `${activation}[${i}]: ${got[i]} vs ${v}`));
    model.dispose();
  }
});

test('every activation the core offers builds and runs in tfjs (with the worker’s own registrations)', () => {
  for (const activation of ACTIVATION_NAMES) {
    const { model } = build({ layers: [{ type: 'Dense', units: 3, activation, input_shape: [2] }] });
    const y = model.predict(tf.tensor2d([0.5, -2], [1, 2])) as tfjs.Tensor;
    assert.ok(Array.from(y.dataSync()).every(Number.isFinite), activation);
    model.dispose();
  }
});

test('the layers Model Lab does not train refuse with the reason the core gives', () => {
  for (const layer of NOT_TRAINED) {
    const def: ModelDefinition = { layers: [{ ...layer, input_shape: [4, 4, 1] }] };
    assert.throws(
      () => buildModel(tf, def, { names: ['x'], inputShape: [4, 4, 1], seed: 1 }),
      new RegExp(`^Error: Layer x: Model Lab does not train ${layer.type}: `),
    );
  }
});

test("GRU with Keras's default reset_after=True is refused for training with the setting that trains", () => {
  const def: ModelDefinition = { layers: [{ type: 'GRU', units: 2, input_shape: [3, 2] }] };
  assert.throws(() => build(def), /supports only reset_after=False.*"reset_after": false/);
});

test('Dropout and AlphaDropout with a noise_shape are refused for training, by name', () => {
  for (const type of ['Dropout', 'AlphaDropout']) {
    const def: ModelDefinition = { layers: [{ type, rate: 0.1, noise_shape: [null, 1], input_shape: [3, 2] }] };
    assert.throws(() => build(def), new RegExp(`cannot train ${type} with a noise_shape yet \\(layer `));
  }
});

test('the example models build with the core’s parameter counts', () => {
  const dir = join(__dirname, '..', '..', 'examples');
  const files = readdirSync(dir).filter((f) => f.endsWith('.model.json'));
  for (const f of files) {
    const parsed = parseModelJson(readFileSync(join(dir, f), 'utf8'));
    const a = analysis(parsed.definition!);
    if (!a.summary) continue;
    const { model } = build(parsed.definition!);
    assert.equal(model.countParams(), a.summary.totalParams, f);
    model.dispose();
  }
});

test('the same seed gives the same initial weights; another seed and another layer do not', () => {
  const twin: ModelDefinition = {
    layers: [
      { type: 'Dense', units: 5, input_shape: [5] },
      { type: 'Dense', units: 5 },
    ],
  };
  const weights = (seed: number) => {
    const { model } = build(twin, seed);
    const values = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return values;
  };
  const a = weights(3);
  assert.deepEqual(weights(3), a);
  assert.notDeepEqual(weights(4)[0], a[0]);
  assert.notDeepEqual(a[0], a[2], 'two layers of the same shape start differently');
  assert.ok(
    a[1].every((b) => b === 0),
    'biases start at zero',
  );
  // glorot_uniform limit sqrt(6 / (5 + 5)) = 0.7746
  assert.ok(
    a[0].every((w) => Math.abs(w) <= 0.7746),
    'kernel within the glorot_uniform limit',
  );
});

test('the fused engine declines a graph model (even a plain chain) with a reason; the stock engine trains it', async () => {
  const { planStack } = await import('../../src/training/worker/fused/eligibility');
  const chain: ModelDefinition = {
    outputs: 'dense_1',
    layers: [
      { type: 'InputLayer', shape: [4] },
      { type: 'Dense', units: 3, activation: 'relu' },
      { type: 'Dense', units: 2, activation: 'softmax' },
    ],
  };
  const { model } = build(chain);
  assert.equal(
    planStack(model, 'sparse_categorical_crossentropy', false),
    'graph (functional) models train on the stock engine',
  );
  model.dispose();
});

test('BatchNormalization without beta or gamma trains a step as Keras does: batch statistics, moving averages moved', () => {
  // Four rows of three features; per feature the batch mean and biased variance Keras's training step uses.
  const rows = [
    [1, 10, -2],
    [3, 14, 0],
    [5, 12, 2],
    [7, 8, 8],
  ];
  const mean = [4, 11, 2];
  const variance = [5, 5, 14];
  const cases = [
    { args: { center: false, gamma_initializer: { type: 'Constant', value: 2 } }, gamma: 2, beta: 0, weights: 3 },
    { args: { scale: false, beta_initializer: { type: 'Constant', value: 0.5 } }, gamma: 1, beta: 0.5, weights: 3 },
    { args: { center: false, scale: false }, gamma: 1, beta: 0, weights: 2 },
  ];
  for (const { args, gamma, beta, weights } of cases) {
    const { model, a } = build({
      layers: [{ type: 'BatchNormalization', momentum: 0.9, epsilon: 0.001, input_shape: [3], ...args }],
    });
    assert.equal(model.countParams(), a.summary!.totalParams, JSON.stringify(args));
    assert.equal(model.getWeights().length, weights, JSON.stringify(args));
    const y = tf.tidy(() =>
      (model.apply(tf.tensor2d(rows), { training: true }) as ReturnType<TF['tensor2d']>).arraySync(),
    );
    rows.forEach((row, i) =>
      row.forEach((v, j) => {
        const want = ((v - mean[j]) / Math.sqrt(variance[j] + 0.001)) * gamma + beta;
        assert.ok(Math.abs(y[i][j] - want) < 1e-4, `${JSON.stringify(args)} [${i}][${j}]: ${y[i][j]} vs ${want}`);
      }),
    );
    const moving = model
      .getWeights()
      .slice(-2)
      .map((w) => Array.from(w.dataSync()));
    // momentum 0.9: moving = 0.9 · initial (mean 0, variance 1) + 0.1 · batch statistic.
    moving[0].forEach((m, j) => assert.ok(Math.abs(m - 0.1 * mean[j]) < 1e-5, `moving mean ${m}`));
    moving[1].forEach((v, j) => assert.ok(Math.abs(v - (0.9 + 0.1 * variance[j])) < 1e-5, `moving variance ${v}`));
    // Inference reads the moving averages (tfjs's own path).
    const inferred = tf.tidy(() => (model.predict(tf.tensor2d([mean])) as ReturnType<TF['tensor2d']>).arraySync());
    inferred[0].forEach((v, j) => {
      const want = ((mean[j] - moving[0][j]) / Math.sqrt(moving[1][j] + 0.001)) * gamma + beta;
      assert.ok(Math.abs(v - want) < 1e-4, `inference ${v} vs ${want}`);
    });
    model.dispose();
  }
});

const encoder: ModelDefinition['layers'] = [
  { type: 'Flatten', input_shape: [28, 28] },
  { type: 'Dense', units: 32, activation: 'relu' },
];
const base: ModelDefinition['layers'] = [
  { type: 'InputLayer', shape: [8, 8, 3] },
  { type: 'Conv2D', name: 'block1_conv1', filters: 4, kernel_size: 3, padding: 'same', inputs: 'input_1' },
  { type: 'MaxPooling2D', name: 'block1_pool', inputs: 'block1_conv1' },
];
const nested = [
  {
    layers: [
      { type: 'Sequential', name: 'encoder', layers: encoder },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  },
  {
    layers: [
      { type: 'Functional', name: 'base', layers: base, outputs: 'block1_pool', trainable: false },
      { type: 'Flatten' },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
  },
] as ModelDefinition[];

test('a model used as a layer builds as a tfjs model inside the model, with the core’s counts and frozen weights', () => {
  for (const def of nested) {
    const { model, a } = build(def);
    assert.equal(model.countParams(), a.summary!.totalParams);
    assert.equal(
      model.trainableWeights.reduce((n, w) => n + w.shape.reduce((x, y) => x! * y!, 1)!, 0),
      a.summary!.trainableParams,
    );
    assert.deepEqual(model.layers[0].outputShape, a.layers[0].outputShape);
    const y = model.predict(tf.zeros([2, ...a.inputShape!.map((d) => d ?? 2)])) as ReturnType<TF['zeros']>;
    assert.deepEqual(
      y.shape,
      a.layers[a.layers.length - 1].outputShape!.map((d) => d ?? 2),
    );
    model.dispose();
  }
});
