/**
 * The training loop on small synthetic data, in-process: seeded determinism, no tensor leak across epochs, Keras
 * epoch means, divergence (NaN/infinite, or exploded and dead) and stopping.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Split } from '../../src/data/types';
import type { ModelDefinition } from '../../src/model/types';
import { selectBackend } from '../../src/training/backend';
import type { BatchShape } from '../../src/training/worker/batches';
import { buildModel } from '../../src/training/worker/build-model';
import type { StepEngine, TF } from '../../src/training/worker/engine';
import { loadDataset, splitValidation } from '../../src/data/index';
import { EXPLODED_TIMES } from '../../src/training/worker/collapse';
import { chanceLoss, fit, type FitOptions } from '../../src/training/worker/loop';
import { createStockEngine } from '../../src/training/worker/stock-engine';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

/** Two blobs in 8 "pixels": class 0 bright on the left half, class 1 on the right, with seeded noise. */
function blobs(count: number): Split {
  const x = new Uint8Array(count * 8);
  const y = new Uint8Array(count);
  let s = 12345;
  const noise = () => (s = (s * 1103515245 + 12345) % 2147483648) % 60;
  for (let i = 0; i < count; i++) {
    const c = i % 2;
    y[i] = c;
    for (let k = 0; k < 8; k++) x[i * 8 + k] = (k < 4 === (c === 0) ? 180 : 20) + noise();
  }
  return { x, y, count };
}

const definition = (optimizer: unknown = 'adam', dropout = 0): ModelDefinition => ({
  layers: [
    { type: 'Dense', units: 6, activation: 'relu', input_shape: [8] },
    ...(dropout ? [{ type: 'Dropout', rate: dropout }] : []),
    { type: 'Dense', units: 2, activation: 'softmax' },
  ],
  compile: { optimizer: optimizer as never, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
});

const shape: BatchShape = { inputShape: [8], exampleSize: 8, scale: 1 / 255, labels: 'sparse', numClasses: 2 };

/** `wrap`: the engine the loop gets, made from the stock one (default: the stock engine itself). */
async function train(
  seed: number,
  extra: Partial<FitOptions> = {},
  def = definition('adam', 0.25),
  wrap = (stock: StepEngine): StepEngine => stock,
) {
  const names = def.layers.map((l, i) => `${l.type.toLowerCase()}_${i}`);
  const model = buildModel(tf, def, { names, inputShape: [8], seed });
  const optimizer =
    typeof def.compile?.optimizer === 'string' ? { type: def.compile.optimizer } : (def.compile!.optimizer as never);
  const engine = wrap(
    createStockEngine({ tf, model, optimizer, loss: 'sparse_categorical_crossentropy', accuracy: true }, { seed }),
  );
  const history: Record<string, number>[] = [];
  const outcome = await fit({
    tf,
    model,
    engine,
    loss: 'sparse_categorical_crossentropy',
    accuracy: 'sparse_categorical',
    shape,
    train: blobs(96),
    validation: blobs(32),
    epochs: 3,
    batchSize: 10,
    shuffle: true,
    seed,
    onEpoch: (e) => history.push(e.logs),
    ...extra,
  });
  engine.dispose();
  model.dispose();
  return { outcome, history };
}

test('the same seed gives identical histories; another seed does not', async () => {
  const a = await train(7);
  const b = await train(7);
  const c = await train(8);
  assert.equal(a.outcome.status, 'completed');
  assert.deepEqual(a.history, b.history);
  assert.notDeepEqual(a.history, c.history);
  assert.deepEqual(Object.keys(a.history[0]), ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
});

test('the loop learns the blobs', async () => {
  const { history } = await train(3, { epochs: 8 }, definition({ type: 'Adam', learning_rate: 0.05 }));
  assert.ok(history[7].loss < history[0].loss, `loss ${history[0].loss} → ${history[7].loss}`);
  assert.ok(history[7].val_accuracy >= 0.9, `val_accuracy ${history[7].val_accuracy}`);
});

test('no tensor leaks: the tensor count is the same after every epoch', async () => {
  const counts: number[] = [];
  await train(5, { onEpoch: () => counts.push(tf.memory().numTensors), epochs: 4 });
  assert.equal(counts.length, 4);
  assert.ok(
    counts.every((n) => n === counts[0]),
    `tensors per epoch: ${counts.join(', ')}`,
  );
});

test('epoch loss is the batch-size-weighted mean of the batch losses (last batch smaller)', async () => {
  // 96 examples in batches of 10: nine of 10 and one of 6. With learning_rate 0 the weights never change, so the
  // epoch loss must equal the loss of the whole training set evaluated at once.
  const train96 = blobs(96);
  const def = definition({ type: 'SGD', learning_rate: 0 });
  const model = buildModel(tf, def, { names: ['a', 'b'], inputShape: [8], seed: 11 });
  const engine = createStockEngine(
    {
      tf,
      model,
      optimizer: { type: 'SGD', learning_rate: 0 },
      loss: 'sparse_categorical_crossentropy',
      accuracy: true,
    },
    { seed: 11 },
  );
  let logs: Record<string, number> = {};
  await fit({
    tf,
    model,
    engine,
    loss: 'sparse_categorical_crossentropy',
    accuracy: 'sparse_categorical',
    shape,
    train: train96,
    validation: train96,
    epochs: 1,
    batchSize: 10,
    shuffle: true,
    seed: 11,
    onEpoch: (e) => (logs = e.logs),
  });
  assert.ok(Math.abs(logs.loss - logs.val_loss) < 1e-5, `${logs.loss} vs ${logs.val_loss}`);
  assert.equal(logs.accuracy, logs.val_accuracy);
  engine.dispose();
  model.dispose();
});

test('a diverging loss fails the run, naming the epoch and batch, and keeps earlier epochs', async () => {
  // Regression with one linear unit: SGD with learning_rate 3 overshoots further each time until the loss overflows.
  const def: ModelDefinition = {
    layers: [{ type: 'Dense', units: 1, input_shape: [8] }],
    compile: { optimizer: { type: 'SGD', learning_rate: 3 }, loss: 'mse' },
  };
  const model = buildModel(tf, def, { names: ['dense'], inputShape: [8], seed: 1 });
  const engine = createStockEngine(
    { tf, model, optimizer: { type: 'SGD', learning_rate: 3 }, loss: 'mse', accuracy: false },
    { seed: 1 },
  );
  const history: Record<string, number>[] = [];
  const outcome = await fit({
    tf,
    model,
    engine,
    loss: 'mse',
    shape: { ...shape, labels: 'float' },
    train: blobs(96),
    epochs: 20,
    batchSize: 10,
    shuffle: true,
    seed: 1,
    onEpoch: (e) => history.push(e.logs),
  });
  engine.dispose();
  model.dispose();
  assert.equal(outcome.status, 'failed');
  assert.match(
    (outcome as { error: string }).error,
    /^The loss became (NaN|infinite) at epoch \d+, batch \d+: training diverged\. Try a smaller learning_rate\.$/,
  );
  assert.ok(outcome.epochsDone >= 1, 'the first epochs still train');
  assert.equal(history.length, outcome.epochsDone);
});

test('a stop request ends the run after the current batch with finished epochs kept', async () => {
  let batches = 0;
  const { outcome, history } = await train(4, {
    epochs: 5,
    progressEveryMs: 0,
    onBatch: () => (batches += 1),
    shouldStop: () => batches >= 13,
  });
  assert.equal(outcome.status, 'cancelled');
  assert.equal(outcome.epochsDone, 1);
  assert.equal(history.length, 1);
});

test('a stop requested during the last batch of an epoch keeps that epoch', async () => {
  // 96 examples in batches of 10: the stop arrives with batch 10 of 10 of epoch 2.
  let stop = false;
  const epochs: number[] = [];
  const { outcome } = await train(4, {
    epochs: 5,
    progressEveryMs: 0,
    onBatch: (p) => (stop ||= p.epoch === 2 && p.batch === p.batches),
    shouldStop: () => stop,
    onEpoch: (e) => epochs.push(e.epoch),
  });
  assert.equal(outcome.status, 'cancelled');
  assert.equal(outcome.epochsDone, 2);
  assert.deepEqual(epochs, [1, 2]);
});

test('the stock engine trains every layer type: conv, pooling, batch norm (training mode) and dropout', async () => {
  // 8x8 "images": class 0 bright in the top half, class 1 in the bottom half.
  const count = 64;
  const x = new Uint8Array(count * 64);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % 2;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = p < 32 === (y[i] === 0) ? 200 - ((i * 7 + p) % 40) : (i * 3 + p) % 40;
  }
  const def: ModelDefinition = {
    layers: [
      { type: 'Reshape', target_shape: [8, 8, 1], input_shape: [8, 8] },
      { type: 'Conv2D', filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' },
      { type: 'BatchNormalization' },
      { type: 'MaxPooling2D', pool_size: 2 },
      { type: 'AveragePooling2D', pool_size: 2 },
      { type: 'Flatten' },
      { type: 'Reshape', target_shape: [2, 2, 4] },
      { type: 'GlobalAveragePooling2D' },
      { type: 'Dropout', rate: 0.2 },
      { type: 'Dense', units: 2 },
      { type: 'Activation', activation: 'softmax' },
    ],
  };
  const model = buildModel(tf, def, { names: def.layers.map((l, i) => `l${i}`), inputShape: [8, 8], seed: 9 });
  const movingMean = () => Array.from(model.layers[2].getWeights()[2].dataSync());
  assert.deepEqual(movingMean(), [0, 0, 0, 0]);
  const engine = createStockEngine(
    {
      tf,
      model,
      optimizer: { type: 'Adam', learning_rate: 0.05 },
      loss: 'sparse_categorical_crossentropy',
      accuracy: true,
    },
    { seed: 9 },
  );
  const history: Record<string, number>[] = [];
  const tensors: number[] = [];
  const split: Split = { x, y, count };
  await fit({
    tf,
    model,
    engine,
    loss: 'sparse_categorical_crossentropy',
    accuracy: 'sparse_categorical',
    shape: { inputShape: [8, 8], exampleSize: 64, scale: 1 / 255, labels: 'sparse', numClasses: 2 },
    train: split,
    validation: split,
    epochs: 6,
    batchSize: 8,
    shuffle: true,
    seed: 9,
    onEpoch: (e) => {
      history.push(e.logs);
      tensors.push(tf.memory().numTensors);
    },
  });
  assert.ok(history[5].loss < history[0].loss, `loss ${history[0].loss} → ${history[5].loss}`);
  assert.ok(
    movingMean().some((v) => v !== 0),
    'batch norm updated its moving mean in training mode',
  );
  assert.ok(
    tensors.every((t) => t === tensors[0]),
    `tensors per epoch: ${tensors.join(', ')}`,
  );
  engine.dispose();
  model.dispose();
});

// ---- Divergence without NaN: exploded, then dead -------------------------------------------------------------

/**
 * Dense(4, relu) → Dense(2, softmax) over the blobs with learning_rate 0, so the weights stay wherever a test puts
 * them. The stock engine keeps its own copy of the weights, so new weights take effect through a fresh engine.
 */
function settable(seed: number) {
  const def: ModelDefinition = {
    layers: [
      { type: 'Dense', units: 4, activation: 'relu', input_shape: [8] },
      { type: 'Dense', units: 2, activation: 'softmax' },
    ],
  };
  const model = buildModel(tf, def, { names: ['hidden', 'out'], inputShape: [8], seed });
  const start = () =>
    createStockEngine(
      {
        tf,
        model,
        optimizer: { type: 'SGD', learning_rate: 0 },
        loss: 'sparse_categorical_crossentropy',
        accuracy: true,
      },
      { seed },
    );
  let stock = start();
  const engine: StepEngine = {
    name: 'stock',
    step: (x, y) => stock.step(x, y),
    sync: () => stock.sync(),
    dispose: () => stock.dispose(),
  };
  /** hidden[k][u] for pixel k and unit u, bias 0; the output layer passes unit 0 to class 0 and unit 1 to class 1. */
  const set = (hidden: (k: number, u: number) => number, gain = 1) => {
    const w1 = tf.tensor2d(
      Array.from({ length: 8 }, (_, k) => [0, 1, 2, 3].map((u) => hidden(k, u))),
      [8, 4],
    );
    const w2 = tf.tensor2d(
      [
        [gain, 0],
        [0, gain],
        [0, 0],
        [0, 0],
      ],
      [4, 2],
    );
    const [b1, b2] = [tf.zeros([4]), tf.zeros([2])];
    model.layers[0].setWeights([w1, b1]);
    model.layers[1].setWeights([w2, b2]);
    tf.dispose([w1, w2, b1, b2]);
    stock.dispose();
    stock = start();
  };
  // Class 0 is bright on the left (pixels 0-3): unit 1 reads the left, unit 0 the right, so both vote wrong.
  const wrong = () => set((k, u) => (u === 1 ? (k < 4 ? 100 : 0) : u === 0 ? (k >= 4 ? 100 : 0) : 0));
  const dead = () => set(() => -1000);
  const base = {
    tf,
    model,
    engine,
    loss: 'sparse_categorical_crossentropy' as const,
    accuracy: 'sparse_categorical' as const,
    shape,
    shuffle: true,
    seed,
    progressEveryMs: 0,
  };
  const done = () => {
    stock.dispose();
    model.dispose();
  };
  return { base, set, wrong, dead, done };
}

test('chance level and the explosion threshold, from the Keras formulas', () => {
  assert.ok(Math.abs(chanceLoss('sparse_categorical_crossentropy', 10)! - 2.302585) < 1e-6);
  assert.ok(Math.abs(chanceLoss('categorical_crossentropy', 3)! - 1.098612) < 1e-6);
  assert.ok(Math.abs(chanceLoss('binary_crossentropy', 1)! - 0.693147) < 1e-6);
  assert.equal(chanceLoss('mse', 1), undefined);
  assert.equal(EXPLODED_TIMES, 10);
});

test('a loss that exploded and a network that then outputs the same for every input fail the run at that epoch', async () => {
  const m = settable(21);
  const history: Record<string, number>[] = [];
  let step = 0;
  const outcome = await fit({
    ...m.base,
    train: blobs(200),
    epochs: 3,
    batchSize: 10,
    onEpoch: (e) => {
      history.push(e.logs);
      if (e.epoch === 1) m.wrong();
    },
    // Epoch 2: three confidently wrong batches (loss in the hundreds), then every hidden unit is dead.
    onBatch: (p) => {
      if (p.epoch === 2 && ++step === 3) m.dead();
    },
  });
  m.done();
  assert.equal(outcome.status, 'failed');
  assert.match(
    (outcome as { error: string }).error,
    /^Training diverged at epoch 2: the loss jumped to [\d,.]+ at batch [123] \(chance level is 0\.7\) and the network now gives the same output for every input\. Try a smaller learning_rate\.$/,
  );
  assert.equal(outcome.epochsDone, 1);
  assert.equal(history.length, 1);
});

test('a confidently wrong network that still tells inputs apart is not stopped (its loss is large, not NaN)', async () => {
  const m = settable(22);
  m.wrong();
  const history: Record<string, number>[] = [];
  const outcome = await fit({
    ...m.base,
    train: blobs(40),
    epochs: 2,
    batchSize: 10,
    onEpoch: (e) => history.push(e.logs),
  });
  m.done();
  assert.equal(outcome.status, 'completed');
  // Unclipped: about the logit gap (100 · 4 · (0.7 − 0.3) ≈ 160), far above −ln(1e-7) = 16.1 where clipping caps it.
  assert.ok(history[1].loss > 100 && history[1].accuracy === 0, JSON.stringify(history[1]));
});

test('a dead network whose loss never exploded is not called diverged', async () => {
  // Every hidden unit off from the start: the output is softmax(0, 0), loss ln 2 on every batch, far below 10 × ln 2.
  const m = settable(23);
  m.dead();
  const history: Record<string, number>[] = [];
  const outcome = await fit({
    ...m.base,
    train: blobs(40),
    epochs: 2,
    batchSize: 10,
    onEpoch: (e) => history.push(e.logs),
  });
  m.done();
  assert.equal(outcome.status, 'completed');
  assert.ok(Math.abs(history[1].loss - Math.log(2)) < 1e-6, `${history[1].loss}`);
});

test('weights that became NaN in the last step of an epoch fail the run at that epoch', async () => {
  const m = settable(24);
  const outcome = await fit({
    ...m.base,
    train: blobs(40),
    epochs: 3,
    batchSize: 10,
    // Poison the weights after the last step of epoch 2 has run: no loss of that epoch can show it.
    onBatch: (p) => {
      if (p.epoch === 2 && p.batch === p.batches) m.set(() => NaN);
    },
  });
  m.done();
  assert.deepEqual(outcome, {
    status: 'failed',
    epochsDone: 1,
    error: 'Training diverged at epoch 2: some weights became NaN or infinite. Try a smaller learning_rate.',
  });
});

test('unscaled pixels (0-300) with Adam overshoot early but learn, and are not stopped', async () => {
  // The reviewer's case: huge inputs make the first losses enormous (the epoch mean is far above 10 × ln 10, where
  // a rule on the loss alone would stop the run), yet the network learns; Keras and PyTorch train it too.
  const data = await loadDataset({ spec: { name: 'fashion-mnist-sample' }, baseDir: __dirname, cacheDir: __dirname });
  const { train: train2400, validation } = splitValidation(data.train, 784, 0.2, 42);
  const def: ModelDefinition = {
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units: 32, activation: 'relu' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  };
  const model = buildModel(tf, def, { names: ['f', 'd', 'o'], inputShape: [28, 28], seed: 1 });
  const engine = createStockEngine(
    { tf, model, optimizer: { type: 'Adam' }, loss: 'sparse_categorical_crossentropy', accuracy: true },
    { seed: 1 },
  );
  const history: Record<string, number>[] = [];
  const outcome = await fit({
    tf,
    model,
    engine,
    loss: 'sparse_categorical_crossentropy',
    accuracy: 'sparse_categorical',
    shape: { inputShape: [28, 28], exampleSize: 784, scale: 300 / 255, labels: 'sparse', numClasses: 10 },
    train: train2400,
    validation,
    epochs: 1,
    batchSize: 32,
    shuffle: true,
    seed: 1,
    onEpoch: (e) => history.push(e.logs),
  });
  engine.dispose();
  model.dispose();
  assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
  assert.ok(history[0].loss > EXPLODED_TIMES * Math.log(10), `epoch loss ${history[0].loss}`);
  assert.ok(history[0].val_accuracy > 0.25, `val_accuracy ${history[0].val_accuracy} above chance (0.1)`);
});

test('an engine that returns its step results as numbers (stepValues) gives the same epochs, and no tensor leaks', async () => {
  const leakOf = async (run: () => Promise<{ history: Record<string, number>[] }>) => {
    const before = tf.memory().numTensors;
    const { history } = await run();
    return { history, leaked: tf.memory().numTensors - before };
  };
  let read = 0;
  const asNumbers = (stock: StepEngine): StepEngine => ({
    name: stock.name,
    step: (x, y, lr) => stock.step(x, y, lr),
    stepValues: (x, y, lr) => {
      read++;
      const r = stock.step(x, y, lr);
      const values = { loss: r.loss.dataSync()[0], correct: r.correct?.dataSync()[0] };
      tf.dispose([r.loss, r.correct]); // (the stock engine keeps its correct count out of the loop's tidy)
      return values;
    },
    sync: () => stock.sync(),
    dispose: () => stock.dispose(),
  });
  const tensors = await leakOf(() => train(5));
  const numbers = await leakOf(() => train(5, {}, undefined, asNumbers));
  assert.equal(read, 30, 'the loop took every step (3 epochs of 10) through stepValues');
  assert.deepEqual(numbers.history, tensors.history);
  assert.equal(numbers.leaked, tensors.leaked);
});
