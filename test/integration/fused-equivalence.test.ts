/**
 * The fused engine computes what the stock engine computes, on the wasm backend (and once on cpu):
 *  - trained side by side on the bundled sample with a layer wide enough to grow the wasm memory, every optimizer
 *    that keeps state gives the stock engine's losses and weights (this runs first, on a fresh wasm heap);
 *  - its hand-written gradients equal tfjs autodiff of the stock losses (from logits after softmax / sigmoid);
 *  - trained side by side from the same weights on the same batches (Dropout included: same seed, same masks),
 *    every optimizer gives the same losses, accuracies and weights as the stock engine.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import v8 from 'node:v8';
import type * as tfjs from '@tensorflow/tfjs';
import type { EffectiveOptimizer } from '../../src/protocol';
import { loadSample } from '../../src/data/sample';
import type { Split } from '../../src/data/types';
import { selectBackend } from '../../src/training/backend';
import { makeBatch } from '../../src/training/worker/batches';
import type { EngineContext, StepEngine, StepValues, TF } from '../../src/training/worker/engine';
import { createFusedEngine } from '../../src/training/worker/fused/index';
import { DenseStack } from '../../src/training/worker/fused/dense-stack';
import { createFusedOptimizer } from '../../src/training/worker/fused/fused-optimizers';
import { planStack } from '../../src/training/worker/fused/eligibility';
import { tensorMemory } from '../../src/training/worker/fused/memory';
import { hasRelaxedSimd } from '../../src/training/wasm-features';
import { forward } from '../../src/training/worker/forward';
import { outputLoss, type LossName } from '../../src/training/worker/losses';
import { createStockEngine } from '../../src/training/worker/stock-engine';
import { CLIPPING_OPTIMIZERS, KERAS3_OPTIMIZERS, trainSteps } from '../helpers/engine-steps';

// Node 20 keeps relaxed SIMD behind a flag (the pool passes it to workers): on here, so the fused engine is tested
// with FMA products and, where a test asks for it, with plain SIMD ones.
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

interface LayerDef {
  units?: number;
  activation?: string;
  dropout?: number;
}

/** Flatten([3, 5]) then the given Dense / Dropout layers, with seeded weights and non-zero biases. */
function buildModel(layers: LayerDef[], seed = 1): tfjs.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [3, 5] }));
  layers.forEach((l, i) => {
    if (l.dropout) model.add(tf.layers.dropout({ rate: l.dropout }));
    else
      model.add(
        tf.layers.dense({
          units: l.units!,
          activation: (l.activation ?? 'linear') as 'linear',
          kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
          biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 100 + i }),
        }),
      );
  });
  return model;
}

function twin(model: tfjs.LayersModel, layers: LayerDef[]): tfjs.LayersModel {
  const copy = buildModel(layers, 999);
  copy.setWeights(model.getWeights());
  return copy;
}

function batch(size: number, seed: number, loss: LossName, classes: number): { x: tfjs.Tensor; y: tfjs.Tensor } {
  const x = tf.tensor(values(size * 15, seed), [size, 3, 5]);
  const raw = values(size * classes, seed + 1);
  if (loss === 'sparse_categorical_crossentropy') {
    return {
      x,
      y: tf.tensor(
        Int32Array.from({ length: size }, (_, i) => Math.floor((raw[i] + 1) * classes * 0.5)),
        [size],
        'int32',
      ),
    };
  }
  if (loss === 'binary_crossentropy') {
    return {
      x,
      y: tf.tensor(
        raw.map((v) => (v > 0 ? 1 : 0)),
        [size, classes],
      ),
    };
  }
  if (loss === 'categorical_crossentropy') {
    const onehot = new Float32Array(size * classes);
    for (let i = 0; i < size; i++) onehot[i * classes + (Math.floor((raw[i] + 1) * 997) % classes)] = 1;
    return { x, y: tf.tensor(onehot, [size, classes]) };
  }
  return { x, y: tf.tensor(raw, [size, classes]) };
}

/** The wasm heap's current size in bytes (it only grows). */
const heapBytes = () => tensorMemory(tf).heap!.memory.buffer.byteLength;

const WIDE_OPTIMIZERS: EffectiveOptimizer[] = [
  { type: 'Adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  { type: 'SGD', learning_rate: 0.01, momentum: 0.9, nesterov: false },
  { type: 'SGD', learning_rate: 0.01, momentum: 0.9, nesterov: true },
  { type: 'RMSprop', learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
  { type: 'RMSprop', learning_rate: 0.0005, rho: 0.9, momentum: 0.5, epsilon: 1e-7, centered: true },
  { type: 'Adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: true },
  { type: 'Adagrad', learning_rate: 0.01, initial_accumulator_value: 0.1, epsilon: 1e-7 },
  { type: 'Adamax', learning_rate: 0.002, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  { type: 'Adadelta', learning_rate: 1, rho: 0.95, epsilon: 1e-7 },
  ...KERAS3_OPTIMIZERS,
];

/**
 * Flatten(28x28) > [Dropout(0.2)] > Dense(units, relu) > Dense(10, softmax), seeded; by default 2000 units: 1.57M
 * weights in the first kernel.
 */
function wideModel(units = 2000, dropout = false): tfjs.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28] }));
  if (dropout) model.add(tf.layers.dropout({ rate: 0.2 }));
  model.add(
    tf.layers.dense({
      units,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }),
    }),
  );
  model.add(
    tf.layers.dense({
      units: 10,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }),
    }),
  );
  return model;
}

// First in the file, so it starts from the backend's initial 16 MB heap: the fused engine's kernel copy and
// optimizer state (25-38 MB) must grow it, which once detached the views an update was working on.
test('a layer wide enough to grow the wasm memory trains like the stock engine, for every optimizer with state', async () => {
  const sample = (await loadSample()).train;
  const train: Split = { x: sample.x, y: sample.y, count: 20 * 32 };
  const shape = { inputShape: [28, 28], exampleSize: 784, scale: 1 / 255, labels: 'sparse' as const, numClasses: 10 };
  const order = Uint32Array.from({ length: train.count }, (_, i) => i);
  const loss: LossName = 'sparse_categorical_crossentropy';
  const run = (engine: StepEngine) => {
    const losses: number[] = [];
    for (let s = 0; s * 32 < train.count; s++) {
      const r = tf.tidy(() => {
        const { x, y } = makeBatch(tf, train, order, s * 32, (s + 1) * 32, shape);
        return engine.step(x, y).loss;
      });
      losses.push(r.dataSync()[0]);
      r.dispose();
    }
    engine.sync();
    return losses;
  };
  for (const [i, optimizer] of WIDE_OPTIMIZERS.entries()) {
    const a = wideModel();
    const b = wideModel();
    const ctx = (model: tfjs.LayersModel): EngineContext => ({ tf, model, optimizer, loss, accuracy: false, seed: 5 });
    const heapBefore = heapBytes();
    const fused = createFusedEngine(ctx(a));
    assert.ok(fused, 'the fused engine applies');
    const f = run(fused);
    if (i === 0)
      assert.ok(
        heapBytes() > heapBefore,
        `the fused engine grew the wasm memory (${heapBefore} bytes before, ${heapBytes()} after)`,
      );
    const stock = createStockEngine(ctx(b), { seed: 5 });
    const s = run(stock);
    const what = `${optimizer.type} ${JSON.stringify(optimizer)}`;
    assertClose(f, s, 2e-4, `${what} losses`);
    assert.ok(f[f.length - 1] < f[0], `${what} learns: ${f[0]} -> ${f[f.length - 1]}`);
    const [wa, wb] = [a.getWeights(), b.getWeights()];
    wa.forEach((w, k) => assertClose(w.dataSync(), wb[k].dataSync(), 2e-3, `${what} weight ${k}`));
    fused.dispose();
    stock.dispose();
    a.dispose();
    b.dispose();
  }
});

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    // Relative to the value, with a floor relative to the largest entry (float32 noise on near-zero entries).
    const tol = rel * (Math.abs(expected[i]) + 0.1 * scale) + 1e-12;
    // The message is built only on failure: weights of the wide model have 1.57M entries.
    if (!(Math.abs(actual[i] - expected[i]) <= tol))
      assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (tolerance ${tol})`);
  }
}

const GRADIENT_CASES: { loss: LossName; layers: LayerDef[] }[] = [
  {
    loss: 'sparse_categorical_crossentropy',
    layers: [
      { units: 9, activation: 'relu' },
      { units: 6, activation: 'softmax' },
    ],
  },
  {
    loss: 'categorical_crossentropy',
    layers: [
      { units: 7, activation: 'tanh' },
      { units: 8, activation: 'sigmoid' },
      { units: 5, activation: 'softmax' },
    ],
  },
  {
    loss: 'binary_crossentropy',
    layers: [
      { units: 6, activation: 'tanh' },
      { units: 1, activation: 'sigmoid' },
    ],
  },
  {
    loss: 'binary_crossentropy',
    layers: [
      { units: 6, activation: 'relu' },
      { units: 3, activation: 'sigmoid' },
    ],
  },
  {
    loss: 'mse',
    layers: [
      { units: 6, activation: 'relu' },
      { units: 3, activation: 'linear' },
    ],
  },
  { loss: 'mse', layers: [{ units: 6 }, { units: 4, activation: 'sigmoid' }] },
  {
    loss: 'mse',
    layers: [
      { units: 5, activation: 'tanh' },
      { units: 4, activation: 'softmax' },
    ],
  },
];

for (const c of GRADIENT_CASES) {
  const describe = `${c.loss}: ${c.layers.map((l) => `${l.units}${l.activation ?? ''}`).join(' > ')}`;
  test(`gradients equal tf.grads of the stock loss (${describe})`, () => {
    const model = buildModel(c.layers);
    const plan = planStack(model, c.loss, false);
    assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
    const stack = new DenseStack(tf, plan);
    const classes = c.layers[c.layers.length - 1].units!;
    const { x, y } = batch(11, 5, c.loss, classes);

    let fused: Float32Array[] = [];
    const { loss } = stack.pass(x, y, undefined, (grads) => (fused = grads.map((g) => Float32Array.from(g))));
    const weights = model.trainableWeights.map((w) => w.read() as tfjs.Variable);
    const { value, grads } = tf.variableGrads(() => outputLoss(tf, c.loss, y, forward(tf, model, x, false)), weights);

    assertClose([loss], [value.dataSync()[0]], 1e-5, 'loss');
    weights.forEach((w, i) => {
      const g = grads[w.name].dataSync() as Float32Array;
      assertClose(fused[i], g, 1e-5, `d(loss)/d(${w.name})`);
    });
    tf.dispose([x, y, value, ...Object.values(grads)]);
    stack.dispose();
    model.dispose();
  });
}

// 70: the sparse forward product in chunks of 32; 20: also the first weight gradient over each input's examples.
for (const size of [70, 20])
  test(`a batch of ${size} half-zero examples (the sparse products) gives tf.grads of the stock loss`, () => {
    const layers: LayerDef[] = [
      { units: 8, activation: 'relu' },
      { units: 4, activation: 'softmax' },
    ];
    const loss: LossName = 'sparse_categorical_crossentropy';
    const model = buildModel(layers);
    const plan = planStack(model, loss, false);
    assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
    const stack = new DenseStack(tf, plan);
    const { x: dense, y } = batch(size, 9, loss, 4);
    const x = tf.tensor(
      (dense.dataSync() as Float32Array).map((v, i) => (i % 2 === 0 || v < 0 ? 0 : v)),
      dense.shape,
    );
    let fused: Float32Array[] = [];
    const { loss: value } = stack.pass(x, y, undefined, (grads) => (fused = grads.map((g) => Float32Array.from(g))));
    const weights = model.trainableWeights.map((w) => w.read() as tfjs.Variable);
    const stock = tf.variableGrads(() => outputLoss(tf, loss, y, forward(tf, model, x, false)), weights);
    assertClose([value], [stock.value.dataSync()[0]], 1e-5, 'loss');
    weights.forEach((w, i) =>
      assertClose(fused[i], stock.grads[w.name].dataSync() as Float32Array, 1e-5, `d(loss)/d(${w.name})`),
    );
    tf.dispose([x, dense, y, stock.value, ...Object.values(stock.grads)]);
    stack.dispose();
    model.dispose();
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

const TRAIN_LAYERS: LayerDef[] = [
  { units: 16, activation: 'relu' },
  { dropout: 0.3 },
  { units: 10, activation: 'tanh' },
  { units: 4, activation: 'softmax' },
];

/** Runs `steps` steps (every fifth batch smaller, like an epoch's last) and returns per-step loss and correct. */
function train(engine: StepEngine, steps: number, loss: LossName): { losses: number[]; correct: number[] } {
  return trainSteps(tf, engine, steps, (size, s) => batch(size, 1000 + s, loss, 4));
}

for (const optimizer of OPTIMIZERS) {
  test(`trains like the stock engine: ${JSON.stringify(optimizer)}`, () => {
    const loss: LossName = 'sparse_categorical_crossentropy';
    const a = buildModel(TRAIN_LAYERS);
    const b = twin(a, TRAIN_LAYERS);
    const ctx = (model: tfjs.LayersModel): EngineContext => ({ tf, model, optimizer, loss, accuracy: true, seed: 7 });
    const fused = createFusedEngine(ctx(a));
    assert.ok(fused, 'the fused engine applies');
    const stock = createStockEngine(ctx(b), { seed: 7 });

    const before = tf.memory().numTensors;
    const f = train(fused, 30, loss);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks across steps');
    const s = train(stock, 30, loss);
    assertClose(f.losses, s.losses, 1e-4, 'losses');
    assert.deepEqual(f.correct, s.correct, 'correct counts');
    assert.ok(f.losses[29] < f.losses[0] || optimizer.type === 'Adadelta' || optimizer.type === 'Adagrad', 'it learns');

    fused.sync();
    stock.sync();
    a.getWeights().forEach((w, i) => assertClose(w.dataSync(), b.getWeights()[i].dataSync(), 1e-4, `weight ${i}`));
    fused.dispose();
    stock.dispose();
    a.dispose();
    b.dispose();
  });
}

test("the first kernel updated inside its gradient product (sparse input) gives the SIMD loop's weights, bit for bit, for every optimizer", () => {
  const layers: LayerDef[] = [
    { units: 16, activation: 'relu' },
    { units: 10, activation: 'tanh' },
    { units: 4, activation: 'softmax' },
  ];
  const loss: LossName = 'sparse_categorical_crossentropy';
  const heap = tensorMemory(tf).heap!;
  for (const optimizer of OPTIMIZERS.filter((o) => !CLIPPING_OPTIMIZERS.includes(o))) {
    const models = [buildModel(layers), buildModel(layers)];
    const stacks = models.map((m) => {
      const plan = planStack(m, loss, false);
      assert.ok(typeof plan !== 'string', `eligible: ${plan}`);
      return new DenseStack(tf, plan);
    });
    const optimizers = stacks.map((s) => createFusedOptimizer(optimizer, heap, s.paramSizes())!);
    let fusedSteps = 0;
    const own = {
      plainRate: () => optimizers[0].plainRate(),
      fusedUpdate: (i: number) => {
        const u = optimizers[0].fusedUpdate(i);
        if (u) fusedSteps++;
        return u;
      },
    };
    const updated: number[] = [];
    const updates = optimizers.map((o, k) => (i: number, w: Float32Array, g: Float32Array, out: Float32Array) => {
      if (k === 0) updated.push(i);
      o.update(i, w, g, out);
    });
    for (let step = 0; step < 12; step++) {
      const { x: dense, y } = batch(step % 5 === 4 ? 5 : 12, 300 + step, loss, 4);
      const x = tf.tensor(
        (dense.dataSync() as Float32Array).map((v, i) => (i % 2 === 0 || v < 0 ? 0 : v)),
        dense.shape,
      );
      optimizers.forEach((o) => o.beginStep());
      const [a, b] = [stacks[0].pass(x, y, updates[0], undefined, own), stacks[1].pass(x, y, updates[1])];
      assert.equal(a.loss, b.loss, `${optimizer.type} step ${step}: loss`);
      tf.dispose([x, dense, y]);
    }
    assert.equal(fusedSteps, 12, `${JSON.stringify(optimizer)}: updated in the product at every step`);
    assert.ok(!updated.includes(0), 'and not by the loop');
    stacks.forEach((s) => s.writeBack());
    const [wa, wb] = models.map((m) => m.getWeights().map((w) => w.dataSync() as Float32Array));
    wa.forEach((w, i) =>
      assert.ok(
        w.every((v, j) => Object.is(v, wb[i][j])),
        `${JSON.stringify(optimizer)}: weight ${i}`,
      ),
    );
    stacks.forEach((s) => s.dispose());
    optimizers.forEach((o) => o.dispose());
    models.forEach((m) => m.dispose());
  }
});

test('the clipping optimizers above clip: without their clipping argument the same run trains differently', () => {
  const loss: LossName = 'sparse_categorical_crossentropy';
  for (const optimizer of CLIPPING_OPTIMIZERS) {
    const plain = Object.fromEntries(
      Object.entries(optimizer).filter(([k]) => !['clipnorm', 'clipvalue', 'global_clipnorm'].includes(k)),
    ) as EffectiveOptimizer;
    const losses = [optimizer, plain].map((opt) => {
      const engine = createFusedEngine({
        tf,
        model: buildModel(TRAIN_LAYERS),
        optimizer: opt,
        loss,
        accuracy: true,
        seed: 7,
      });
      assert.ok(engine, 'the fused engine applies');
      const { losses } = train(engine, 10, loss);
      engine.dispose();
      return losses;
    });
    assert.equal(losses[0][0], losses[1][0], `${JSON.stringify(optimizer)}: the first loss is before any update`);
    assert.ok(
      Math.abs(losses[0][9] - losses[1][9]) > 1e-3,
      `${JSON.stringify(optimizer)}: clipped ${losses[0][9]}, unclipped ${losses[1][9]}`,
    );
  }
});

test('categorical crossentropy, binary crossentropy and mse train like the stock engine too', () => {
  for (const loss of ['categorical_crossentropy', 'binary_crossentropy', 'mse'] as LossName[]) {
    const output = { categorical_crossentropy: 'softmax', binary_crossentropy: 'sigmoid', mse: 'linear' }[
      loss as string
    ];
    const layers: LayerDef[] = [
      { units: 8, activation: 'sigmoid' },
      { units: 4, activation: output },
    ];
    const a = buildModel(layers);
    const b = twin(a, layers);
    const optimizer: EffectiveOptimizer = {
      type: 'Adam',
      learning_rate: 0.01,
      beta_1: 0.9,
      beta_2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
    };
    const accuracy = loss !== 'mse';
    const fused = createFusedEngine({ tf, model: a, optimizer, loss, accuracy })!;
    const stock = createStockEngine({ tf, model: b, optimizer, loss, accuracy }, { seed: 1 });
    const f = train(fused, 20, loss);
    const s = train(stock, 20, loss);
    assertClose(f.losses, s.losses, 1e-4, `${loss} losses`);
    assert.deepEqual(f.correct, s.correct, `${loss} correct counts`);
    fused.sync();
    a.getWeights().forEach((w, i) =>
      assertClose(w.dataSync(), b.getWeights()[i].dataSync(), 1e-4, `${loss} weight ${i}`),
    );
    fused.dispose();
    a.dispose();
    b.dispose();
  }
});

test('the cpu backend takes the JS paths and gives the same numbers', async () => {
  await tf.setBackend('cpu');
  try {
    const a = buildModel(TRAIN_LAYERS);
    const b = twin(a, TRAIN_LAYERS);
    const optimizer: EffectiveOptimizer = {
      type: 'RMSprop',
      learning_rate: 0.001,
      rho: 0.9,
      momentum: 0,
      epsilon: 1e-7,
      centered: false,
    };
    const loss: LossName = 'sparse_categorical_crossentropy';
    const fused = createFusedEngine({ tf, model: a, optimizer, loss, accuracy: true, seed: 3 })!;
    const stock = createStockEngine({ tf, model: b, optimizer, loss, accuracy: true, seed: 3 }, { seed: 3 });
    const f = train(fused, 15, loss);
    const s = train(stock, 15, loss);
    assertClose(f.losses, s.losses, 1e-4, 'losses');
    fused.sync();
    a.getWeights().forEach((w, i) => assertClose(w.dataSync(), b.getWeights()[i].dataSync(), 1e-4, `weight ${i}`));
    fused.dispose();
  } finally {
    await tf.setBackend('wasm');
  }
});

const ODD_SHAPES: { loss: LossName; layers: LayerDef[]; classes: number }[] = [
  // A 1023-wide layer (not a multiple of 4 or 8), a one-unit bottleneck, three outputs.
  {
    loss: 'sparse_categorical_crossentropy',
    layers: [{ units: 1023, activation: 'relu' }, { units: 1 }, { units: 3, activation: 'softmax' }],
    classes: 3,
  },
  // Three units into 1023 (a transposed product 1023 wide), one sigmoid output.
  {
    loss: 'binary_crossentropy',
    layers: [
      { units: 3, activation: 'relu' },
      { units: 1023, activation: 'tanh' },
      { units: 1, activation: 'sigmoid' },
    ],
    classes: 1,
  },
];

for (const fma of [true, false]) {
  for (const c of ODD_SHAPES) {
    const describe = `${c.layers.map((l) => `${l.units}${l.activation ?? ''}`).join(' > ')}, ${fma ? 'FMA' : 'plain SIMD'}`;
    test(`wide and odd shapes train like the stock engine (${describe})`, () => {
      if (fma) assert.ok(hasRelaxedSimd(), 'relaxed SIMD is on, so these products use FMA');
      for (const optimizer of [OPTIMIZERS[4], OPTIMIZERS[1]]) {
        const a = buildModel(c.layers);
        const b = twin(a, c.layers);
        const ctx = (model: tfjs.LayersModel): EngineContext => ({
          tf,
          model,
          optimizer,
          loss: c.loss,
          accuracy: true,
          seed: 9,
        });
        const fused = createFusedEngine(ctx(a), { fma });
        assert.ok(fused, 'the fused engine applies');
        const stock = createStockEngine(ctx(b), { seed: 9 });
        const run = (engine: StepEngine) => {
          const losses: number[] = [];
          for (let s = 0; s < 12; s++) {
            const r = tf.tidy(() => {
              const { x, y } = batch(s % 3 === 2 ? 5 : 13, 500 + s, c.loss, c.classes);
              return engine.step(x, y).loss;
            });
            losses.push(r.dataSync()[0]);
            r.dispose();
          }
          engine.sync();
          return losses;
        };
        const f = run(fused);
        const s = run(stock);
        assertClose(f, s, 1e-4, `${optimizer.type} losses`);
        a.getWeights().forEach((w, i) =>
          assertClose(w.dataSync(), b.getWeights()[i].dataSync(), 1e-4, `${optimizer.type} weight ${i}`),
        );
        fused.dispose();
        stock.dispose();
        a.dispose();
        b.dispose();
      }
    });
  }
}

test('batches read straight from the data set (stepBatch, no tensors) train bit for bit as tensor batches do', async () => {
  const sample = (await loadSample()).train;
  // 9 batches of 32 and a last one of 7; shuffled as an epoch is.
  const train: Split = { x: sample.x, y: sample.y, count: 9 * 32 + 7 };
  const order = Uint32Array.from({ length: train.count }, (_, i) => (i * 97) % train.count);
  const cases: [EffectiveOptimizer, LossName, boolean][] = [
    [{ type: 'SGD', learning_rate: 0.01, momentum: 0, nesterov: false }, 'sparse_categorical_crossentropy', false],
    [WIDE_OPTIMIZERS[0], 'sparse_categorical_crossentropy', true],
    [WIDE_OPTIMIZERS[3], 'categorical_crossentropy', false],
  ];
  for (const [optimizer, loss, dropout] of cases) {
    const labels = loss === 'categorical_crossentropy' ? ('onehot' as const) : ('sparse' as const);
    const shape = { inputShape: [28, 28], exampleSize: 784, scale: 1 / 255, labels, numClasses: 10 };
    const [a, b] = [wideModel(100, dropout), wideModel(100, dropout)];
    const ctx = (m: tfjs.LayersModel): EngineContext => ({ tf, model: m, optimizer, loss, accuracy: true, seed: 7 });
    const [direct, tensors] = [createFusedEngine(ctx(a))!, createFusedEngine(ctx(b))!];
    const what = `${optimizer.type} ${loss} dropout=${dropout}`;
    for (let start = 0; start < train.count; start += 32) {
      const end = Math.min(train.count, start + 32);
      const got = direct.stepBatch!({ split: train, order, start, end, shape });
      assert.ok(got, `${what}: the fused Dense engine reads uint8 pixels itself`);
      let want: StepValues | undefined;
      tf.tidy(() => {
        const { x, y } = makeBatch(tf, train, order, start, end, shape);
        want = tensors.stepValues!(x, y);
      });
      assert.deepEqual(got, want, `${what}: step at ${start}`);
    }
    direct.sync();
    tensors.sync();
    a.getWeights().forEach((w, i) =>
      assert.deepEqual(w.dataSync(), b.getWeights()[i].dataSync(), `${what}: weight ${i}`),
    );
    // Not its path: float inputs (the loop then makes tensors).
    const floats: Split = { x: new Float32Array(32 * 784), y: new Int32Array(32), count: 32 };
    assert.equal(direct.stepBatch!({ split: floats, order, start: 0, end: 32, shape }), undefined);
    direct.dispose();
    tensors.dispose();
    a.dispose();
    b.dispose();
  }
});

test("weightsFinite reads the fused engine's own weights: false for a NaN or infinite kernel or bias value", () => {
  const layers: LayerDef[] = [{ units: 6, activation: 'relu' }, { units: 4 }];
  const optimizer: EffectiveOptimizer = { type: 'SGD', learning_rate: 0.01, momentum: 0, nesterov: false };
  const finite = (poison?: (weights: Float32Array[]) => void): boolean => {
    const model = buildModel(layers);
    const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    poison?.(weights);
    model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)));
    const engine = createFusedEngine({ tf, model, optimizer, loss: 'mse', accuracy: false });
    assert.ok(engine?.weightsFinite, 'the fused Dense engine checks its own weights');
    const result = engine.weightsFinite();
    engine.dispose();
    model.dispose();
    return result;
  };
  assert.equal(finite(), true);
  assert.equal(
    finite((w) => (w[0][7] = NaN)),
    false,
    'first kernel',
  );
  assert.equal(
    finite((w) => (w[3][3] = -Infinity)),
    false,
    'last bias, its last value',
  );
  assert.equal(
    finite((w) => (w[1][0] = Infinity)),
    false,
    'first bias, its first value',
  );
});
