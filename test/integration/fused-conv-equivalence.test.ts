/**
 * The fused CNN engine (`fused/conv-stack.ts`) computes what the stock engine computes, on the wasm backend:
 *  - its hand-written gradients equal tfjs autodiff of the stock loss, for valid and same padding, stride 2, odd
 *    image sizes, max and average pooling (the SIMD path of tiling windows and the loops), BatchNormalization,
 *    sigmoid / tanh activations, a 1x1 convolution;
 *  - trained side by side from the same weights on the same batches (Dropout included: same seed, same masks),
 *    every optimizer gives the same losses, accuracies, weights and BatchNormalization moving statistics;
 *  - with relaxed-SIMD FMA products and with plain SIMD ones;
 *  - the engine choice says why a CNN it does not cover trains on the stock engine.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import v8 from 'node:v8';
import type * as tfjs from '@tensorflow/tfjs';
import type { EffectiveOptimizer } from '../../src/protocol';
import { selectBackend } from '../../src/training/backend';
import { describeEngine } from '../../src/training/worker/choose-engine';
import type { EngineContext, StepEngine, TF } from '../../src/training/worker/engine';
import { planConvStack } from '../../src/training/worker/fused/conv-eligibility';
import { ConvStack, type ConvStackOptions } from '../../src/training/worker/fused/conv-stack';
import { F2X2, F4X4 } from '../../src/training/worker/fused/conv-winograd';
import { winogradFused } from '../../src/training/worker/fused/conv-winograd-fused';
import { tensorMemory } from '../../src/training/worker/fused/memory';
import { createFusedEngine, fusedIneligibility } from '../../src/training/worker/fused/index';
import { forward } from '../../src/training/worker/forward';
import { outputLoss, type LossName } from '../../src/training/worker/losses';
import { createStockEngine } from '../../src/training/worker/stock-engine';
import { CLIPPING_OPTIMIZERS, KERAS3_OPTIMIZERS, trainSteps } from '../helpers/engine-steps';
import { hasRelaxedSimd } from '../../src/training/wasm-features';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** A layer of a test network: tfjs layer arguments by type (seeded initializers are added). */
type Spec = { type: string } & Record<string, unknown>;

interface Case {
  name: string;
  input: number[];
  layers: Spec[];
  classes: number;
}

function buildModel(c: Case, seed = 1): tfjs.LayersModel {
  const model = tf.sequential();
  c.layers.forEach((spec, i) => {
    const { type, ...args } = spec;
    const first = i === 0 ? { inputShape: c.input } : {};
    const init = {
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 100 + i }),
    };
    const layers = tf.layers as unknown as Record<string, (a: object) => tfjs.layers.Layer>;
    const make: Record<string, () => tfjs.layers.Layer> = {
      Conv2D: () => tf.layers.conv2d({ ...first, ...init, ...(args as object) } as never),
      Dense: () => tf.layers.dense({ ...first, ...init, ...(args as object) } as never),
      BatchNormalization: () =>
        tf.layers.batchNormalization({
          ...first,
          gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed + 200 + i }),
          betaInitializer: tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 300 + i }),
          ...(args as object),
        }),
      MaxPooling2D: () => tf.layers.maxPooling2d({ ...first, ...(args as object) } as never),
      AveragePooling2D: () => tf.layers.averagePooling2d({ ...first, ...(args as object) } as never),
      Flatten: () => tf.layers.flatten(first),
      Reshape: () => tf.layers.reshape({ ...first, ...(args as object) } as never),
      Dropout: () => tf.layers.dropout({ ...first, ...(args as object) } as never),
      Activation: () => tf.layers.activation({ ...first, ...(args as object) } as never),
    };
    model.add(make[type] ? make[type]() : layers[type]({ ...first, ...args }));
  });
  return model;
}

function twin(model: tfjs.LayersModel, c: Case): tfjs.LayersModel {
  const copy = buildModel(c, 999);
  copy.setWeights(model.getWeights());
  return copy;
}

function batch(c: Case, size: number, seed: number): { x: tfjs.Tensor; y: tfjs.Tensor } {
  const n = c.input.reduce((a, b) => a * b, 1);
  const x = tf.tensor(values(size * n, seed), [size, ...c.input]);
  const raw = values(size, seed + 1);
  const y = tf.tensor(
    Int32Array.from(raw, (v) => Math.floor((v + 1) * c.classes * 0.5)),
    [size],
    'int32',
  );
  return { x, y };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rel: number,
  what: string,
  floor = 1e-12,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * (Math.abs(expected[i]) + 0.1 * scale) + floor;
    if (!(Math.abs(actual[i] - expected[i]) <= tol))
      assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (tolerance ${tol})`);
  }
}

/** Conv, BN, pooling of both kinds, Dropout on an image and on a vector: everything the engine fuses at once. */
function TRAIN_CASE_LAYERS(): Omit<Case, 'name'> {
  return { input: [12, 11, 1], layers: TRAIN_LAYERS.filter((l) => l.type !== 'Dropout'), classes: 4 };
}
const TRAIN_LAYERS: Spec[] = [
  { type: 'Conv2D', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
  { type: 'MaxPooling2D', poolSize: 2 },
  { type: 'Dropout', rate: 0.25 },
  // Without a bias, as before BatchNormalization in practice: BN cancels a bias, whose gradient is then float32
  // noise that RMSprop-like optimizers scale up to full steps, differently in each engine.
  { type: 'Conv2D', filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false },
  { type: 'BatchNormalization' },
  { type: 'Activation', activation: 'relu' },
  { type: 'AveragePooling2D', poolSize: [1, 2] },
  { type: 'Flatten' },
  { type: 'Dense', units: 12, activation: 'relu' },
  { type: 'Dropout', rate: 0.4 },
  { type: 'Dense', units: 4, activation: 'softmax' },
];
const TRAIN_CASE: Case = { name: 'train', input: [12, 11, 1], layers: TRAIN_LAYERS, classes: 4 };

/**
 * Convolutions that run as Winograd (3x3, stride 1, channels multiples of 4): 'same' on an odd width (F(4x4, 3x3)
 * by default, 10x9 outputs in tiles of 4 + 4 + 2 by 4 + 4 + 1: F(4x4) tiles and F(2) edge tiles of every kind), a
 * relu under a max pooling, 'valid' before a Dense layer (a 3x2 output: F(2x2) by default, one F(4) tile by one F(2)
 * edge tile when F(4x4) is forced); the first one-channel convolution stays im2col. The tests run it with each
 * variant forced too.
 */
const WINOGRAD_CASE: Case = {
  name: "Winograd: 'same' on odd sizes under max pooling, 'valid', linear",
  input: [10, 9, 1],
  layers: [
    { type: 'Conv2D', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'Conv2D', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'MaxPooling2D', poolSize: 2 },
    { type: 'Conv2D', filters: 12, kernelSize: 3, padding: 'valid' },
    { type: 'Flatten' },
    { type: 'Dense', units: 4, activation: 'softmax' },
  ],
  classes: 4,
};

// The bench's strided CNN in small: BatchNormalization in float32 SIMD (4 and 12 channels) over a relu's output,
// whose derivative its backward pass applies; the first one normalised inside the next convolution's im2col.
const STRIDED_BN_CASE: Case = {
  name: 'strided convolutions with a relu under BatchNormalization, average pooling',
  input: [11, 10, 1],
  layers: [
    { type: 'Conv2D', filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'Conv2D', filters: 12, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'AveragePooling2D', poolSize: 2 },
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ],
  classes: 3,
};

/** The same first layer at stride 1, 'valid', linear, under a BatchNormalization that Dense reads (not folded). */
const FIRST_CONV_NORM_CASE: Case = {
  name: "a first convolution under BatchNormalization: 'valid', stride 1, linear, 8 channels",
  input: [7, 9, 1],
  layers: [
    { type: 'Conv2D', filters: 8, kernelSize: 3, padding: 'valid' },
    { type: 'BatchNormalization' },
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ],
  classes: 3,
};

/**
 * Stride-2 3x3 convolutions as polyphase Winograd (channels multiples of 4): 'same' on an odd height (padding
 * before and after) and an even width (after only), as the first layer (plain padding) and after a folded
 * BatchNormalization (normalised padding), outputs of 7x6 and 4x3 (tiles of 4 and 3, 4 and 2, 4, 3); no bias and
 * linear above.
 */
const POLYPHASE_SAME_CASE: Case = {
  name: "polyphase Winograd: 'same' on odd and even sizes, first layer and after BatchNormalization",
  input: [13, 12, 4],
  layers: [
    { type: 'Conv2D', filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'Conv2D', filters: 12, kernelSize: 3, strides: 2, padding: 'same', useBias: false },
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ],
  classes: 3,
};

/** 'valid' polyphase: outputs of 5x9 (tiles of 4 and 1, two of 4 and 1), a column past the last window, sigmoid. */
const POLYPHASE_VALID_CASE: Case = {
  name: "polyphase Winograd: 'valid', 5x9 outputs from 11x20, sigmoid",
  input: [11, 20, 4],
  layers: [
    { type: 'Conv2D', filters: 4, kernelSize: 3, strides: 2, padding: 'valid', activation: 'sigmoid' },
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ],
  classes: 3,
};

/** Stride-2 3x3 convolutions whose channels are not multiples of 4 (6 out, then 6 in): im2col, not polyphase. */
const POLYPHASE_NOT_CASE: Case = {
  name: 'stride-2 3x3 convolutions of 6 channels stay im2col',
  input: [9, 10, 4],
  layers: [
    { type: 'Conv2D', filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'Conv2D', filters: 8, kernelSize: 3, strides: 2, padding: 'valid' },
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ],
  classes: 3,
};

/** A first convolution of one channel that `convPoolSingle` runs with the pooling above it, 'valid' and linear. */
const CONV_POOL_VALID_CASE: Case = {
  name: "one-pass first convolution and pooling: 'valid', linear, 8 channels",
  input: [10, 12, 1],
  layers: [
    { type: 'Conv2D', filters: 8, kernelSize: 3, padding: 'valid' },
    { type: 'MaxPooling2D', poolSize: 2 },
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ],
  classes: 3,
};

const CASES: Case[] = [
  { name: 'the training network', ...TRAIN_CASE_LAYERS() },
  CONV_POOL_VALID_CASE,
  {
    name: "'same' 3x3 conv, max pool, Dense (the small CNN's shape, small)",
    input: [8, 8, 1],
    layers: [
      { type: 'Conv2D', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'MaxPooling2D', poolSize: 2 },
      { type: 'Conv2D', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'MaxPooling2D', poolSize: 2 },
      { type: 'Flatten' },
      { type: 'Dense', units: 7, activation: 'relu' },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
    classes: 3,
  },
  {
    name: "odd sizes, 'valid', stride 2, 2x3 kernel, average pooling, tanh",
    input: [9, 7, 2],
    layers: [
      { type: 'Conv2D', filters: 5, kernelSize: [2, 3], strides: 2, padding: 'valid', activation: 'tanh' },
      { type: 'AveragePooling2D', poolSize: 2, strides: 1 },
      { type: 'Flatten' },
      { type: 'Dense', units: 4, activation: 'softmax' },
    ],
    classes: 4,
  },
  {
    name: "'same' stride 2 on odd and even sizes, BatchNormalization, separate activations, 1x1 conv",
    input: [7, 6, 3],
    layers: [
      { type: 'Conv2D', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
      { type: 'BatchNormalization' },
      { type: 'Activation', activation: 'relu' },
      { type: 'Conv2D', filters: 5, kernelSize: 1, activation: 'sigmoid' },
      { type: 'MaxPooling2D', poolSize: 3, strides: 2, padding: 'same' },
      { type: 'Flatten' },
      { type: 'BatchNormalization' },
      { type: 'Dense', units: 3 },
      { type: 'Activation', activation: 'softmax' },
    ],
    classes: 3,
  },
  STRIDED_BN_CASE,
  FIRST_CONV_NORM_CASE,
  {
    // Windows of negative values and equal maxima: the stock engine routes them by the replaced kernel.
    name: 'max pooling after a linear convolution and after BatchNormalization',
    input: [9, 9, 2],
    layers: [
      { type: 'Conv2D', filters: 4, kernelSize: 2, padding: 'valid' },
      { type: 'MaxPooling2D', poolSize: 3, strides: 2, padding: 'same' },
      { type: 'BatchNormalization' },
      { type: 'MaxPooling2D', poolSize: 2 },
      { type: 'Flatten' },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
    classes: 3,
  },
  {
    // conv-simd.ts's paths: tiling max pooling over 20 and 8 channels (a row and a column no window covers; under
    // a relu and under a linear convolution), bias sums of 16 + 4 columns.
    name: 'max pooling in SIMD: odd sizes, 20 and 8 channels, with and without a relu',
    input: [9, 11, 1],
    layers: [
      { type: 'Conv2D', filters: 20, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'MaxPooling2D', poolSize: 2 },
      { type: 'Conv2D', filters: 8, kernelSize: 2, padding: 'valid' },
      { type: 'MaxPooling2D', poolSize: [1, 2] },
      { type: 'Flatten' },
      { type: 'Dense', units: 5, activation: 'softmax' },
    ],
    classes: 5,
  },
  WINOGRAD_CASE,
  {
    name: "Winograd at the small CNN's second convolution: 14x14x32 to 64 channels, 'same', relu",
    input: [14, 14, 32],
    layers: [
      { type: 'Conv2D', filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'MaxPooling2D', poolSize: 2 },
      { type: 'Flatten' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    classes: 10,
  },
  {
    name: "Winograd: 'valid', odd output sizes, no bias, sigmoid, the first layer",
    input: [7, 8, 4],
    layers: [
      { type: 'Conv2D', filters: 4, kernelSize: 3, padding: 'valid', useBias: false, activation: 'sigmoid' },
      { type: 'Conv2D', filters: 8, kernelSize: 3, padding: 'same' },
      { type: 'Flatten' },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
    classes: 3,
  },
  {
    name: 'a Reshape into a convolution without bias, 5x5 kernel',
    input: [36],
    layers: [
      { type: 'Reshape', targetShape: [6, 6, 1] },
      { type: 'Conv2D', filters: 3, kernelSize: 5, padding: 'same', useBias: false, activation: 'relu' },
      { type: 'Flatten' },
      { type: 'Dense', units: 2, activation: 'softmax' },
    ],
    classes: 2,
  },
  POLYPHASE_SAME_CASE,
  POLYPHASE_VALID_CASE,
  POLYPHASE_NOT_CASE,
];

/** The run record's words for each Winograd setting of the Winograd cases (auto: F(4x4) where its tiles pay). */
const WINOGRAD_METHODS = new Map<boolean | 2 | 4, RegExp | undefined>([
  [true, /^Winograd F\((4x4|2x2), 3x3\)( \+ F\(2x2, 3x3\))?$/],
  [2, /^Winograd F\(2x2, 3x3\)$/],
  [4, /^Winograd F\(4x4, 3x3\)$/],
  [false, undefined],
]);
const WINOGRAD_SMALL_CNN = CASES[CASES.indexOf(WINOGRAD_CASE) + 1];
const SMALL_CNN_CASE = CASES[CASES.indexOf(CONV_POOL_VALID_CASE) + 1];
for (const [c, winograd] of [
  ...CASES.map((c) => [c, true] as const),
  ...([false, 2, 4] as const).map((w) => [WINOGRAD_CASE, w] as const),
  [WINOGRAD_SMALL_CNN, 2] as const,
  // F(4x4) with edge tiles on 'valid' 5x6 outputs (4 + 1 by 4 + 2) and 'same' ones above them.
  [CASES[CASES.indexOf(WINOGRAD_CASE) + 2], 4] as const,
]) {
  const how = winograd === true ? '' : winograd ? `, Winograd F(${winograd}x${winograd}, 3x3)` : ', Winograd off';
  test(`CNN gradients equal tf.grads of the stock loss: ${c.name}${how}`, () => {
    const model = buildModel(c);
    const plan = planConvStack(model, 'sparse_categorical_crossentropy', false);
    assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
    // Polyphase Winograd wherever it fits, however small the output (by default only from 4x4 outputs).
    const stack = new ConvStack(tf, plan, Math.random, { winograd, polyphase: true });
    // The one-pass first convolution and pooling where it applies (and in these two cases).
    if (c === CONV_POOL_VALID_CASE || c === SMALL_CNN_CASE) assert.ok(stack.convPool, 'one pass');
    if (c === CASES[0]) assert.ok(!stack.convPool, 'odd width: im2col, product, pooling');
    if (c.name.startsWith('Winograd')) {
      const method = WINOGRAD_METHODS.get(winograd);
      if (method) assert.match(stack.method ?? '', method);
      else assert.equal(stack.method, undefined);
      // 14x14 outputs: F(4x4)'s 9 tiles of 36 products and 7 edge tiles (484) against F(2x2)'s 49 of 16 (784).
      if (c === WINOGRAD_SMALL_CNN && winograd === true) assert.equal(stack.method, 'Winograd F(4x4, 3x3)');
    }
    const polyphase = /polyphase/.test(stack.method ?? '');
    if (c === POLYPHASE_SAME_CASE || c === POLYPHASE_VALID_CASE || c === STRIDED_BN_CASE)
      assert.ok(polyphase, 'polyphase');
    if (c === POLYPHASE_NOT_CASE) assert.ok(!polyphase, 'channels not multiples of 4: im2col');
    const { x, y } = batch(c, 11, 5);
    let fused: Float32Array[] = [];
    const { loss } = stack.pass(x, y, undefined, (grads) => (fused = grads.map((g) => Float32Array.from(g))));
    const weights = model.trainableWeights.map((w) => w.read() as tfjs.Variable);
    const { value, grads } = tf.variableGrads(
      () => outputLoss(tf, 'sparse_categorical_crossentropy', y, forward(tf, model, x, true)),
      weights,
    );
    assertClose([loss], [value.dataSync()[0]], 1e-5, 'loss');
    // A convolution's bias before BatchNormalization has a gradient of exactly 0: both sides hold float32 noise.
    weights.forEach((w, i) => assertClose(fused[i], grads[w.name].dataSync(), 1e-4, `d(loss)/d(${w.name})`, 1e-6));
    tf.dispose([x, y, value, ...Object.values(grads)]);
    stack.dispose();
    model.dispose();
  });
}

/** The Winograd cases whose output channels fill the micro-kernel's panels of 8 (so the fused forward takes them). */
for (const [c, winograd, fma] of [
  [WINOGRAD_SMALL_CNN, 4, true],
  [WINOGRAD_SMALL_CNN, 2, false],
  [WINOGRAD_CASE, 4, false],
  [WINOGRAD_CASE, 2, true],
] as const) {
  const how = `F(${winograd}x${winograd}, 3x3), ${fma ? 'FMA' : 'plain SIMD'}`;
  test(`the fused Winograd forward (M in a scratch tile) gives the same floats as products then the output transform: ${c.name}, ${how}`, () => {
    const model = buildModel(c);
    const plan = planConvStack(model, 'sparse_categorical_crossentropy', false);
    assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
    const { x, y } = batch(c, 11, 5);
    const run = (winogradFused: boolean) => {
      const stack = new ConvStack(tf, plan, Math.random, { winograd, fma, winogradFused });
      let grads: Float32Array[] = [];
      const { loss } = stack.pass(x, y, undefined, (g) => (grads = g.map((v) => Float32Array.from(v))));
      stack.dispose();
      return { loss, grads };
    };
    // The fused forward runs (counted) in the first, not in the second.
    const kernels = winogradFused(tensorMemory(tf).heap!.memory, winograd === 4 ? F4X4 : F2X2, fma)!;
    const forward = kernels.forward;
    let calls = 0;
    kernels.forward = Object.fromEntries(
      Object.entries(forward).map(([kind, f]) => [kind, (...args: number[]) => (calls++, f(...args))]),
    );
    const fused = run(true);
    assert.ok(calls > 0, 'the fused forward ran');
    const parts = calls;
    const plain = run(false);
    assert.equal(calls, parts);
    kernels.forward = forward;
    assert.equal(fused.loss, plain.loss);
    fused.grads.forEach((g, i) => assert.deepEqual(g, plain.grads[i], `gradient ${i}`));
    tf.dispose([x, y]);
    model.dispose();
  });
}

for (const c of [POLYPHASE_SAME_CASE, POLYPHASE_VALID_CASE, STRIDED_BN_CASE]) {
  test(`polyphase Winograd gives the gradients of im2col and one product within 1e-4: ${c.name}`, () => {
    const model = buildModel(c);
    const plan = planConvStack(model, 'sparse_categorical_crossentropy', false);
    assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
    // Batches of 4, 9 (the buffers and tables grow), 4 again (the tables rebuilt for it) and 9 on one stack.
    const batches = [4, 9, 4, 9].map((size, i) => batch(c, size, 17 + i));
    const run = (polyphase: boolean) => {
      const stack = new ConvStack(tf, plan, Math.random, { polyphase });
      assert.equal(/polyphase/.test(stack.method ?? ''), polyphase);
      const passes = batches.map(({ x, y }) => {
        let grads: Float32Array[] = [];
        const { loss } = stack.pass(x, y, undefined, (g) => (grads = g.map((v) => Float32Array.from(v))));
        return { loss, grads };
      });
      stack.dispose();
      return passes;
    };
    const [on, off] = [run(true), run(false)];
    on.forEach((pass, b) => {
      assertClose([pass.loss], [off[b].loss], 1e-5, `loss ${b}`);
      pass.grads.forEach((g, i) => assertClose(g, off[b].grads[i], 1e-4, `batch ${b}, gradient ${i}`, 1e-6));
    });
    tf.dispose(batches.flatMap(({ x, y }) => [x, y]));
    model.dispose();
  });
}

test('polyphase Winograd runs by default where it pays: outputs of 4 or more a side', () => {
  const count = (c: Case, polyphase?: boolean) => {
    const model = buildModel(c);
    const plan = planConvStack(model, 'sparse_categorical_crossentropy', false);
    assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
    const stack = new ConvStack(tf, plan, Math.random, { polyphase });
    const states = (stack as unknown as { states: { polyphase?: unknown }[] }).states;
    const n = states.filter((s) => s.polyphase).length;
    stack.dispose();
    model.dispose();
    return n;
  };
  // 7x6 then 4x3 outputs: the first by default, both when forced, none when off.
  assert.deepEqual([count(POLYPHASE_SAME_CASE), count(POLYPHASE_SAME_CASE, true)], [1, 2]);
  assert.equal(count(POLYPHASE_SAME_CASE, false), 0);
  assert.equal(count(POLYPHASE_VALID_CASE), 1);
  // 3x3 outputs (the strided CNN in small), 2x2 (the training network): im2col by default.
  assert.deepEqual([count(STRIDED_BN_CASE), count(TRAIN_CASE)], [0, 0]);
  assert.deepEqual([count(STRIDED_BN_CASE, true), count(TRAIN_CASE, true)], [1, 1]);
});

const OPTIMIZERS: EffectiveOptimizer[] = [
  { type: 'SGD', learning_rate: 0.05, momentum: 0, nesterov: false },
  { type: 'SGD', learning_rate: 0.02, momentum: 0.9, nesterov: true },
  { type: 'RMSprop', learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
  { type: 'RMSprop', learning_rate: 0.001, rho: 0.9, momentum: 0.5, epsilon: 1e-7, centered: true },
  { type: 'Adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  { type: 'Adam', learning_rate: 0.002, beta_1: 0.9, beta_2: 0.99, epsilon: 1e-7, amsgrad: true },
  { type: 'Adagrad', learning_rate: 0.01, initial_accumulator_value: 0.1, epsilon: 1e-7 },
  { type: 'Adamax', learning_rate: 0.002, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  { type: 'Adadelta', learning_rate: 1, rho: 0.95, epsilon: 1e-7 },
  ...KERAS3_OPTIMIZERS,
  ...CLIPPING_OPTIMIZERS,
];

/** Runs `steps` steps (every fifth batch smaller, like an epoch's last): per-step loss and correct count. */
function train(
  engine: StepEngine,
  steps: number,
  c = TRAIN_CASE,
  seed = 1000,
): { losses: number[]; correct: number[] } {
  return trainSteps(tf, engine, steps, (size, s) => batch(c, size, seed + s));
}

for (const fma of [true, false]) {
  for (const optimizer of fma ? OPTIMIZERS : [OPTIMIZERS[4], OPTIMIZERS[1]]) {
    test(`a CNN trains like the stock engine (${fma ? 'FMA' : 'plain SIMD'}): ${JSON.stringify(optimizer)}`, () => {
      if (fma) assert.ok(hasRelaxedSimd(), 'relaxed SIMD is on, so these products use FMA');
      const loss: LossName = 'sparse_categorical_crossentropy';
      const a = buildModel(TRAIN_CASE);
      const b = twin(a, TRAIN_CASE);
      const ctx = (model: tfjs.LayersModel): EngineContext => ({ tf, model, optimizer, loss, accuracy: true, seed: 7 });
      const fused = createFusedEngine(ctx(a), { fma, polyphase: true });
      assert.ok(fused, `the fused engine applies: ${fusedIneligibility(ctx(a))}`);
      // Its stride-2 'valid' convolution (6x5 to 2x2, one input row past the outputs' reach) as polyphase Winograd,
      // forced: at 2x2 outputs it does not pay, so a run keeps im2col there.
      const detail =
        /^fused \(CNN, wasm-(fma|simd) products, Winograd polyphase \(3x3 stride 2\), float32 BatchNormalization\)$/;
      assert.match(describeEngine(fused, ctx(a), { seed: 7 }), detail);
      const stock = createStockEngine(ctx(b), { seed: 7 });
      const before = tf.memory().numTensors;
      const f = train(fused, 25);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks across steps');
      const s = train(stock, 25);
      assertClose(f.losses, s.losses, 1e-4, 'losses');
      assert.deepEqual(f.correct, s.correct, 'correct counts');
      fused.sync();
      // Every weight, the BatchNormalization moving mean and variance included.
      const [wa, wb] = [a.getWeights(), b.getWeights()];
      assert.equal(wa.length, 11);
      wa.forEach((w, i) => assertClose(w.dataSync(), wb[i].dataSync(), 1e-4, `weight ${i} (${a.weights[i].name})`));
      fused.dispose();
      stock.dispose();
      a.dispose();
      b.dispose();
    });
  }
}

/**
 * Trains case `c` `steps` steps on the fused engine (with `options`, its run record matching `detail`) and on the
 * stock one: equal losses, accuracy counts and every weight (BatchNormalization's moving statistics included).
 */
function assertTrainsLikeStock(
  c: Case,
  optimizer: EffectiveOptimizer,
  options: Parameters<typeof createFusedEngine>[1],
  detail: RegExp,
  steps: number,
  seed: number,
): void {
  const loss: LossName = 'sparse_categorical_crossentropy';
  const a = buildModel(c);
  const b = twin(a, c);
  const ctx = (model: tfjs.LayersModel): EngineContext => ({ tf, model, optimizer, loss, accuracy: true, seed: 7 });
  const fused = createFusedEngine(ctx(a), options)!;
  assert.match(describeEngine(fused, ctx(a), { seed: 7 }), detail);
  const stock = createStockEngine(ctx(b), { seed: 7 });
  const [f, t] = [train(fused, steps, c, seed), train(stock, steps, c, seed)];
  assertClose(f.losses, t.losses, 1e-4, 'losses');
  assert.deepEqual(f.correct, t.correct, 'correct counts');
  fused.sync();
  const [wa, wb] = [a.getWeights(), b.getWeights()];
  wa.forEach((w, i) => assertClose(w.dataSync(), wb[i].dataSync(), 1e-4, `weight ${i} (${a.weights[i].name})`));
  fused.dispose();
  stock.dispose();
  a.dispose();
  b.dispose();
}

for (const [optimizer, winograd, fma] of [
  [OPTIMIZERS[4], true, true],
  [OPTIMIZERS[1], true, false],
  [OPTIMIZERS[2], false, true],
  [OPTIMIZERS[3], 4, true],
  [OPTIMIZERS[4], 4, false],
  [OPTIMIZERS[6], 2, true],
] as const) {
  const variant = winograd === true ? 'on' : winograd ? `F(${winograd}x${winograd}, 3x3)` : 'off';
  const how = `Winograd ${variant}, ${fma ? 'FMA' : 'plain SIMD'}`;
  test(`a CNN of 3x3 convolutions trains like the stock engine (${how}): ${optimizer.type}`, () => {
    const method = WINOGRAD_METHODS.get(winograd);
    const detail = method ? new RegExp(`, ${method.source.slice(1, -1)}\\)$`) : /products\)$/;
    assertTrainsLikeStock(WINOGRAD_CASE, optimizer, { fma, winograd }, detail, 15, 2000);
  });
}

// Every optimizer (the first convolution and BatchNormalization in `convSingleMoments` and `convSingleNormBackward`,
// the second's normalised input in `padAffine`), FMA and plain SIMD in turn.
for (const [optimizer, fma] of OPTIMIZERS.map((o, i) => [o, i % 2 === 0] as const)) {
  test(`a strided CNN with BatchNormalization trains like the stock engine (${fma ? 'FMA' : 'plain SIMD'}): ${optimizer.type}`, () => {
    const detail = /products, Winograd polyphase \(3x3 stride 2\), float32 BatchNormalization\)$/;
    assertTrainsLikeStock(STRIDED_BN_CASE, optimizer, { fma, polyphase: true }, detail, 20, 3000);
  });
}

for (const [c, optimizer, fma] of [
  [POLYPHASE_SAME_CASE, OPTIMIZERS[0], false],
  [POLYPHASE_VALID_CASE, OPTIMIZERS[2], true],
  // Every optimizer but Adam at 0.01 with gradients clipped to 0.002: there one kernel weight drifts 3e-3 from the
  // stock engine's in 15 steps (polyphase's rounding against im2col's, amplified by steps of nearly the learning
  // rate whatever the gradient).
  ...OPTIMIZERS.filter((o) => !(o.type === 'Adam' && 'clipvalue' in o)).map(
    (optimizer) => [POLYPHASE_SAME_CASE, optimizer, true] as const,
  ),
] as const) {
  test(`a CNN of polyphase Winograd convolutions trains like the stock engine (${fma ? 'FMA' : 'plain SIMD'}): ${c.name}, ${optimizer.type}`, () => {
    const detail = /products, Winograd polyphase \(3x3 stride 2\)(, float32 BatchNormalization)?\)$/;
    assertTrainsLikeStock(c, optimizer, { fma, polyphase: true }, detail, 15, 4000);
  });
}

test('the one-pass first convolution and pooling give the gradients of im2col, product and pooling', () => {
  const model = buildModel(SMALL_CNN_CASE);
  const plan = planConvStack(model, 'sparse_categorical_crossentropy', false);
  assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
  const { x, y } = batch(SMALL_CNN_CASE, 11, 9);
  const gradients = (convPool: boolean) => {
    const stack = new ConvStack(tf, plan, Math.random, { convPool, fma: false });
    assert.equal(stack.convPool, convPool);
    let grads: Float32Array[] = [];
    const { loss } = stack.pass(x, y, undefined, (g) => (grads = g.map((v) => Float32Array.from(v))));
    stack.dispose();
    return { loss, grads };
  };
  const [one, apart] = [gradients(true), gradients(false)];
  // The product adds the bias after the nine taps, the one pass before them: float32 rounding apart.
  assertClose([one.loss], [apart.loss], 1e-6, 'loss');
  one.grads.forEach((g, i) => assertClose(g, apart.grads[i], 1e-5, `gradient ${i}`, 1e-7));
  tf.dispose([x, y]);
  model.dispose();
});

test('the first convolution under BatchNormalization in two passes gives the gradients of im2col and products', () => {
  for (const c of [STRIDED_BN_CASE, FIRST_CONV_NORM_CASE]) {
    const model = buildModel(c);
    const plan = planConvStack(model, 'sparse_categorical_crossentropy', false);
    assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
    const { x, y } = batch(c, 11, 9);
    const gradients = (convNorm: boolean, fma: boolean, firstConvSplit?: boolean) => {
      const stack = new ConvStack(tf, plan, Math.random, { convNorm, fma, firstConvSplit });
      assert.equal(stack.convNorm, convNorm);
      let grads: Float32Array[] = [];
      const { loss } = stack.pass(x, y, undefined, (g) => (grads = g.map((v) => Float32Array.from(v))));
      stack.dispose();
      return { loss, grads };
    };
    for (const fma of [false, true]) {
      const [two, apart] = [gradients(true, fma), gradients(false, fma)];
      const how = `${c.name}, ${fma ? 'FMA' : 'plain SIMD'}`;
      assertClose([two.loss], [apart.loss], 1e-6, `loss, ${how}`);
      // The first convolution's bias before BatchNormalization: float32 noise about 0 on both sides.
      two.grads.forEach((g, i) => assertClose(g, apart.grads[i], 1e-4, `gradient ${i}, ${how}`, 1e-6));
      // The two-pass kernels (the default) and the one-pass ones: the same floats.
      const onePass = gradients(true, fma, false);
      assert.equal(two.loss, onePass.loss, `loss, ${how}, one-pass kernels`);
      two.grads.forEach((g, i) =>
        assert.deepStrictEqual(g, onePass.grads[i], `gradient ${i}, ${how}, one-pass kernels`),
      );
    }
    tf.dispose([x, y]);
    model.dispose();
  }
});

/** A BatchNormalization under 2x3 average pooling that leaves a column out, over a linear convolution (no gate). */
const POOLED_NORM_CASE: Case = {
  name: 'BatchNormalization under 2x3 average pooling, a linear convolution below',
  input: [10, 12, 1],
  layers: [
    { type: 'Conv2D', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'Conv2D', filters: 8, kernelSize: 3, padding: 'valid' },
    { type: 'BatchNormalization' },
    { type: 'AveragePooling2D', poolSize: [2, 3] },
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ],
  classes: 3,
};

// Its backward pass from the pooling's gradient (`pooledNorm`) and its moments summed by the pooling
// (`poolMoments`), each against the separate passes.
test('a BatchNormalization under average pooling gives the gradients of the separate passes', () => {
  for (const c of [STRIDED_BN_CASE, POOLED_NORM_CASE]) {
    const model = buildModel(c);
    const plan = planConvStack(model, 'sparse_categorical_crossentropy', false);
    assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
    const { x, y } = batch(c, 11, 9);
    const gradients = (options: ConvStackOptions) => {
      const stack = new ConvStack(tf, plan, Math.random, options);
      let grads: Float32Array[] = [];
      const { loss } = stack.pass(x, y, undefined, (g) => (grads = g.map((v) => Float32Array.from(v))));
      stack.dispose();
      return { loss, grads };
    };
    for (const fma of [false, true]) {
      const fused = gradients({ fma });
      for (const apart of [{ pooledNorm: false }, { poolMoments: false }]) {
        const other = gradients({ fma, ...apart });
        const how = `${c.name}, ${JSON.stringify(apart)}, ${fma ? 'FMA' : 'plain SIMD'}`;
        assertClose([fused.loss], [other.loss], 1e-6, `loss, ${how}`);
        fused.grads.forEach((g, i) => assertClose(g, other.grads[i], 1e-4, `gradient ${i}, ${how}`, 1e-6));
      }
    }
    tf.dispose([x, y]);
    model.dispose();
  }
});

for (const [c, optimizer, fma] of [
  [SMALL_CNN_CASE, OPTIMIZERS[4], true],
  [SMALL_CNN_CASE, OPTIMIZERS[1], false],
  [CONV_POOL_VALID_CASE, OPTIMIZERS[3], true],
] as const) {
  test(`a CNN whose first convolution and pooling run in one pass trains like the stock engine (${fma ? 'FMA' : 'plain SIMD'}): ${c.name}, ${optimizer.type}`, () => {
    assertTrainsLikeStock(c, optimizer, { fma }, /products(, Winograd [^)]*\))?\)$/, 20, 4000);
  });
}

test('the optimizer state of a fused CNN run continues on the stock engine', () => {
  const optimizer = OPTIMIZERS[4];
  const loss: LossName = 'sparse_categorical_crossentropy';
  const a = buildModel(TRAIN_CASE);
  const fused = createFusedEngine({ tf, model: a, optimizer, loss, accuracy: true, seed: 3 })!;
  train(fused, 3);
  const state = fused.optimizerState!();
  assert.equal(state.iterations, 3);
  assert.deepEqual(
    state.slots.map((w) => w.map((s) => s.length)),
    a.trainableWeights.map((w) => [w.shape.reduce((x, y) => x! * y!, 1), w.shape.reduce((x, y) => x! * y!, 1)]),
  );
  fused.dispose();
  a.dispose();
});

test('CNNs the engine does not cover say why, and train on the stock engine', () => {
  const optimizer = OPTIMIZERS[4];
  const reason = (c: Case) => {
    const model = buildModel(c);
    const ctx: EngineContext = { tf, model, optimizer, loss: 'sparse_categorical_crossentropy', accuracy: true };
    const engine = createFusedEngine(ctx);
    const why = fusedIneligibility(ctx);
    engine?.dispose();
    model.dispose();
    return engine ? undefined : why;
  };
  const head = [{ type: 'Flatten' }, { type: 'Dense', units: 2, activation: 'softmax' }];
  const image = [6, 6, 2];
  assert.match(
    reason({
      name: 'avg same',
      input: image,
      layers: [{ type: 'AveragePooling2D', poolSize: 2, padding: 'same' }, ...head],
      classes: 2,
    }) ?? '',
    /^layer average_pooling2d\w* averages over padding$/,
  );
  assert.match(
    reason({
      name: 'global',
      input: image,
      layers: [{ type: 'Conv2D', filters: 2, kernelSize: 3 }, { type: 'globalAveragePooling2d' }, head[1]],
      classes: 2,
    }) ?? '',
    /^layer type GlobalAveragePooling2D is not fused$/,
  );
  assert.match(
    reason({
      name: 'softmax conv',
      input: image,
      layers: [{ type: 'Conv2D', filters: 2, kernelSize: 3, activation: 'elu' }, ...head],
      classes: 2,
    }) ?? '',
    /^activation elu is not fused$/,
  );
});

test("max pooling's gradient on wasm goes where TensorFlow sends it (wasm-maxpool-grad.ts)", () => {
  // One 4x4 image, 2 channels. Channel 0: all ones (every window a tie); channel 1: its top-right window negative.
  const v = new Float32Array(32).fill(1);
  for (const [y, x] of [
    [0, 2],
    [0, 3],
    [1, 2],
    [1, 3],
  ])
    v[(y * 4 + x) * 2 + 1] = -1 - y - x;
  const g = tf.grad((t: tfjs.Tensor) => tf.sum(tf.maxPool(t as tfjs.Tensor4D, 2, 2, 'valid')))(
    tf.tensor(v, [1, 4, 4, 2]),
  );
  const d = g.dataSync();
  const channel = (c: number) => Array.from({ length: 16 }, (_, i) => d[i * 2 + c]);
  // The first of equal maxima in each window, row-major; the negative window's maximum is -3 at (0, 2).
  assert.deepEqual(channel(0), [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(channel(1), [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  g.dispose();
});
