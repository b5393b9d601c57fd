/**
 * The training loop on small synthetic data, in-process: seeded determinism, no tensor leak across epochs, Keras
 * epoch means, divergence and stopping.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Split } from '../../src/data/types';
import type { ModelDefinition } from '../../src/model/types';
import { selectBackend } from '../../src/training/backend';
import type { BatchShape } from '../../src/training/batches';
import { buildModel } from '../../src/training/build-model';
import type { StepEngine, TF } from '../../src/training/engine';
import { chanceLoss, COLLAPSED_CROSSENTROPY, fit, type FitOptions } from '../../src/training/loop';
import { createStockEngine } from '../../src/training/stock-engine';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

/** Two blobs in 8 "pixels": class 0 bright on the left half, class 1 on the right, with seeded noise. */
function blobs(count: number): Split {
  const x = new Uint8Array(count * 8);
  const y = new Uint8Array(count);
  let s = 12345;
  const noise = () => ((s = (s * 1103515245 + 12345) % 2147483648) % 60);
  for (let i = 0; i < count; i++) {
    const c = i % 2;
    y[i] = c;
    for (let k = 0; k < 8; k++) x[i * 8 + k] = ((k < 4) === (c === 0) ? 180 : 20) + noise();
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

async function train(seed: number, extra: Partial<FitOptions> = {}, def = definition('adam', 0.25)) {
  const names = def.layers.map((l, i) => `${l.type.toLowerCase()}_${i}`);
  const model = buildModel(tf, def, { names, inputShape: [8], seed });
  const optimizer = typeof def.compile?.optimizer === 'string' ? { type: def.compile.optimizer } : (def.compile!.optimizer as never);
  const engine = createStockEngine({ tf, model, optimizer, loss: 'sparse_categorical_crossentropy', accuracy: true }, { seed });
  const history: Record<string, number>[] = [];
  const outcome = await fit({
    tf, model, engine, loss: 'sparse_categorical_crossentropy', accuracy: 'sparse_categorical', shape,
    train: blobs(96), validation: blobs(32), epochs: 3, batchSize: 10, shuffle: true, seed,
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
  assert.ok(counts.every((n) => n === counts[0]), `tensors per epoch: ${counts.join(', ')}`);
});

test('epoch loss is the batch-size-weighted mean of the batch losses (last batch smaller)', async () => {
  // 96 examples in batches of 10: nine of 10 and one of 6. With learning_rate 0 the weights never change, so the
  // epoch loss must equal the loss of the whole training set evaluated at once.
  const train96 = blobs(96);
  const def = definition({ type: 'SGD', learning_rate: 0 });
  const model = buildModel(tf, def, { names: ['a', 'b'], inputShape: [8], seed: 11 });
  const engine = createStockEngine({ tf, model, optimizer: { type: 'SGD', learning_rate: 0 }, loss: 'sparse_categorical_crossentropy', accuracy: true }, { seed: 11 });
  let logs: Record<string, number> = {};
  await fit({
    tf, model, engine, loss: 'sparse_categorical_crossentropy', accuracy: 'sparse_categorical', shape,
    train: train96, validation: train96, epochs: 1, batchSize: 10, shuffle: true, seed: 11,
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
  const engine = createStockEngine({ tf, model, optimizer: { type: 'SGD', learning_rate: 3 }, loss: 'mse', accuracy: false }, { seed: 1 });
  const history: Record<string, number>[] = [];
  const outcome = await fit({
    tf, model, engine, loss: 'mse', shape: { ...shape, labels: 'float' },
    train: blobs(96), epochs: 20, batchSize: 10, shuffle: true, seed: 1,
    onEpoch: (e) => history.push(e.logs),
  });
  engine.dispose();
  model.dispose();
  assert.equal(outcome.status, 'failed');
  assert.match((outcome as { error: string }).error, /^The loss became (NaN|infinite) at epoch \d+, batch \d+: training diverged\. Try a smaller learning_rate\.$/);
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

test('the stock engine trains every layer type: conv, pooling, batch norm (training mode) and dropout', async () => {
  // 8x8 "images": class 0 bright in the top half, class 1 in the bottom half.
  const count = 64;
  const x = new Uint8Array(count * 64);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % 2;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = (p < 32) === (y[i] === 0) ? 200 - ((i * 7 + p) % 40) : (i * 3 + p) % 40;
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
  const engine = createStockEngine({ tf, model, optimizer: { type: 'Adam', learning_rate: 0.05 }, loss: 'sparse_categorical_crossentropy', accuracy: true }, { seed: 9 });
  const history: Record<string, number>[] = [];
  const tensors: number[] = [];
  const split: Split = { x, y, count };
  await fit({
    tf, model, engine, loss: 'sparse_categorical_crossentropy', accuracy: 'sparse_categorical',
    shape: { inputShape: [8, 8], exampleSize: 64, scale: 1 / 255, labels: 'sparse', numClasses: 2 },
    train: split, validation: split, epochs: 6, batchSize: 8, shuffle: true, seed: 9,
    onEpoch: (e) => {
      history.push(e.logs);
      tensors.push(tf.memory().numTensors);
    },
  });
  assert.ok(history[5].loss < history[0].loss, `loss ${history[0].loss} → ${history[5].loss}`);
  assert.ok(movingMean().some((v) => v !== 0), 'batch norm updated its moving mean in training mode');
  assert.ok(tensors.every((t) => t === tensors[0]), `tensors per epoch: ${tensors.join(', ')}`);
  engine.dispose();
  model.dispose();
});

// ---- Collapse: a crossentropy that saturates at the 1e-7 clip instead of becoming NaN --------------------------

/**
 * One softmax layer over the blobs, trained with learning_rate 0 so the weights stay wherever a test puts them.
 * `wrong()` makes every prediction certain and wrong: class 0 is bright on the left, so left pixels vote for class 1
 * with weight 1000 (logit gap > 1000 · (0.7·4 − 0.31·4) ≈ 1500), p(true class) underflows to 0, the clip makes it
 * 1e-7, and each example's loss is −ln(1e-7) ≈ 16.118 — a batch mean of exactly that, whatever the batch.
 */
function collapsible(seed: number) {
  const def: ModelDefinition = { layers: [{ type: 'Dense', units: 2, activation: 'softmax', input_shape: [8] }] };
  const model = buildModel(tf, def, { names: ['out'], inputShape: [8], seed });
  const start = () => createStockEngine({ tf, model, optimizer: { type: 'SGD', learning_rate: 0 }, loss: 'sparse_categorical_crossentropy', accuracy: true }, { seed });
  // The stock engine keeps its own copy of the weights, so new weights take effect through a fresh engine.
  let stock = start();
  const engine: StepEngine = { name: 'stock', step: (x, y) => stock.step(x, y), sync: () => stock.sync(), dispose: () => stock.dispose() };
  const setKernel = (value: (k: number, unit: number) => number) => {
    const kernel = tf.tensor2d(Array.from({ length: 8 }, (_, k) => [value(k, 0), value(k, 1)]), [8, 2]);
    const bias = tf.zeros([2]);
    model.layers[0].setWeights([kernel, bias]);
    tf.dispose([kernel, bias]);
    stock.dispose();
    stock = start();
  };
  const wrong = () => setKernel((k, unit) => ((k < 4) === (unit === 1) ? 1000 : 0));
  const base = { tf, model, engine, loss: 'sparse_categorical_crossentropy' as const, accuracy: 'sparse_categorical' as const, shape, shuffle: true, seed, progressEveryMs: 0 };
  const done = () => {
    stock.dispose();
    model.dispose();
  };
  return { base, wrong, setKernel, done };
}

test('chance level and the collapse threshold, from the Keras formulas', () => {
  assert.ok(Math.abs(chanceLoss('sparse_categorical_crossentropy', 10)! - 2.302585) < 1e-6);
  assert.ok(Math.abs(chanceLoss('categorical_crossentropy', 3)! - 1.098612) < 1e-6);
  assert.ok(Math.abs(chanceLoss('binary_crossentropy', 1)! - 0.693147) < 1e-6);
  assert.equal(chanceLoss('mse', 1), undefined);
  // Half of −ln(1e-7) = 16.118096 / 2: the true class gets e^−8.06 ≈ 0.03% on average.
  assert.ok(Math.abs(COLLAPSED_CROSSENTROPY - 8.059048) < 1e-6);
});

test('a crossentropy stuck at the clip fails the run at the tenth batch of the epoch, keeping the epochs before', async () => {
  const m = collapsible(21);
  const history: Record<string, number>[] = [];
  const outcome = await fit({
    ...m.base, train: blobs(200), epochs: 3, batchSize: 10,
    // Epoch 1 runs on the random initial weights; the collapse starts with epoch 2.
    onEpoch: (e) => {
      history.push(e.logs);
      if (e.epoch === 1) m.wrong();
    },
  });
  m.done();
  assert.equal(outcome.status, 'failed');
  assert.equal((outcome as { error: string }).error, 'Training diverged at epoch 2, batch 10: the loss reached 16.1 (chance level is 0.7). Try a smaller learning_rate.');
  assert.equal(outcome.epochsDone, 1);
  assert.equal(history.length, 1);
  assert.ok(history[0].loss < COLLAPSED_CROSSENTROPY, `epoch 1 loss ${history[0].loss}`);
});

test('an epoch shorter than ten batches is judged by its mean at the end', async () => {
  const m = collapsible(22);
  m.wrong();
  const outcome = await fit({ ...m.base, train: blobs(30), epochs: 2, batchSize: 10 });
  m.done();
  assert.equal(outcome.status, 'failed');
  assert.match((outcome as { error: string }).error, /^Training diverged at epoch 1, batch 3: the loss reached 16\.1 /);
  assert.equal(outcome.epochsDone, 0);
});

test('a model that is confidently right is not mistaken for a collapsed one', async () => {
  const m = collapsible(23);
  // The mirror image of wrong(): certain and right, loss −ln(1 − 1e-7) ≈ 1e-7.
  m.setKernel((k, unit) => ((k < 4) === (unit === 0) ? 1000 : 0));
  const history: Record<string, number>[] = [];
  const outcome = await fit({ ...m.base, train: blobs(200), validation: blobs(20), epochs: 2, batchSize: 10, onEpoch: (e) => history.push(e.logs) });
  m.done();
  assert.equal(outcome.status, 'completed');
  assert.ok(history[1].loss < 1e-5 && history[1].val_accuracy === 1, JSON.stringify(history[1]));
});

test('weights that became NaN in the last step of an epoch fail the run at that epoch', async () => {
  const m = collapsible(24);
  const outcome = await fit({
    ...m.base, train: blobs(40), epochs: 3, batchSize: 10,
    // Poison the weights after the last step of epoch 2 has run: no loss of that epoch can show it.
    onBatch: (p) => {
      if (p.epoch === 2 && p.batch === p.batches) m.setKernel(() => NaN);
    },
  });
  m.done();
  assert.deepEqual(outcome, {
    status: 'failed',
    epochsDone: 1,
    error: 'Training diverged at epoch 2: some weights became NaN or infinite. Try a smaller learning_rate.',
  });
});
