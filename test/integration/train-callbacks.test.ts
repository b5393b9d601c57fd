/**
 * Keras callbacks and learning-rate schedules in real training (in-process, the bundled Fashion-MNIST sample, both
 * engines): EarlyStopping stops a 50-epoch run and its evaluation is the best epoch's; ReduceLROnPlateau lowers the
 * logged lr; a schedule's logged lr is Keras's value at the step count; TerminateOnNaN ends a diverging run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { learningRateAt, type EffectiveSchedule } from '../../src/model/lr-schedules';
import { parsePythonModels } from '../../src/model/python/index';
import type { ModelDefinition } from '../../src/model/types';
import type { RunResult } from '../../src/protocol';
import { trainHere } from '../helpers/train-here';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-callbacks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function train(definition: ModelDefinition, engine: 'stock' | 'auto' = 'auto'): Promise<RunResult> {
  const { result } = await trainHere(definition, { baseDir: dir, seed: 5 }, engine);
  assert.equal(result.status, 'completed', result.error);
  return result;
}

const mlp = (compile: ModelDefinition['compile'], fit: ModelDefinition['fit']): ModelDefinition => ({
  dataset: { name: 'fashion-mnist-sample', validation_split: 0.2, seed: 42 },
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 32, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], ...compile },
  fit: { batch_size: 50, ...fit },
});

for (const engine of ['auto', 'stock'] as const) {
  test(`EarlyStopping(patience=1, restore_best_weights) stops a 50-epoch run; the evaluation is the best epoch's (${engine})`, async () => {
    const def = mlp(
      { optimizer: { type: 'Adam', learning_rate: 0.01 } },
      {
        epochs: 50,
        callbacks: [{ type: 'EarlyStopping', monitor: 'val_loss', patience: 1, restore_best_weights: true }],
      },
    );
    const run = await train(def, engine);
    const val = run.history.val_loss;
    assert.ok(val.length < 50, `ran all ${val.length} epochs`);
    assert.equal(run.stoppedBy?.callback, 'EarlyStopping');
    assert.equal(run.stoppedBy?.epoch, val.length);
    // patience 1: the last epoch is worse than the best, which is the one before it (Keras's counter).
    const best = val.indexOf(Math.min(...val));
    assert.equal(best, val.length - 2);
    assert.equal(run.restoredEpoch, best + 1);
    assert.ok(
      Math.abs(run.evaluation!.loss - val[best]) < 1e-5,
      `evaluation ${run.evaluation!.loss} vs best epoch ${val[best]}`,
    );
    assert.ok(Math.abs(run.evaluation!.accuracy! - run.history.val_accuracy[best]) < 1e-6);
  });
}

test('ReduceLROnPlateau lowers the learning rate, visible as lr in the history', async () => {
  const def = mlp(
    { optimizer: { type: 'Adam', learning_rate: 0.02 } },
    { epochs: 8, callbacks: [{ type: 'ReduceLROnPlateau', monitor: 'val_loss', patience: 1, factor: 0.5 }] },
  );
  const run = await train(def);
  const lr = run.history.lr;
  assert.equal(lr.length, 8);
  assert.equal(lr[0], 0.02);
  assert.ok(
    lr.some((x) => x < 0.02),
    `lr never lowered: ${lr.join(', ')}`,
  );
  for (let i = 1; i < lr.length; i++) {
    assert.ok(lr[i] === lr[i - 1] || Math.abs(lr[i] - lr[i - 1] * 0.5) < 1e-12, `lr ${lr[i - 1]} → ${lr[i]}`);
    // Each reduction follows an epoch that did not improve on the best val_loss by min_delta.
    if (lr[i] < lr[i - 1])
      assert.ok(run.history.val_loss[i - 1] >= Math.min(...run.history.val_loss.slice(0, i - 1)) - 1e-4);
  }
});

test("a schedule as learning_rate: lr per epoch is Keras's value at the steps taken, in both engines alike", async () => {
  const schedule = {
    type: 'ExponentialDecay',
    initial_learning_rate: 0.05,
    decay_steps: 48,
    decay_rate: 0.5,
    staircase: true,
  };
  const def = mlp({ optimizer: { type: 'SGD', momentum: 0.9, learning_rate: schedule } }, { epochs: 3 });
  const fused = await train(def, 'auto');
  const stock = await train(def, 'stock');
  // 2,400 training images / 50 = 48 steps an epoch: after epoch e the step count is 48e, so lr = 0.05 · 0.5^e.
  assert.deepEqual(fused.history.lr, [0.025, 0.0125, 0.00625]);
  const eff = { ...schedule, name: undefined } as unknown as EffectiveSchedule;
  assert.equal(learningRateAt(eff, 96), 0.0125);
  assert.equal(
    fused.optimizer.learning_rate_schedule,
    'ExponentialDecay(initial_learning_rate=0.05, decay_steps=48, decay_rate=0.5, staircase=True)',
  );
  for (let e = 0; e < 3; e++)
    assert.ok(
      Math.abs(fused.history.loss[e] - stock.history.loss[e]) < 1e-4,
      `epoch ${e + 1}: ${fused.history.loss[e]} vs ${stock.history.loss[e]}`,
    );
  // The schedule changes training: a constant 0.05 gives other losses.
  const constant = await train(mlp({ optimizer: { type: 'SGD', momentum: 0.9, learning_rate: 0.05 } }, { epochs: 3 }));
  assert.ok(Math.abs(constant.history.loss[2] - fused.history.loss[2]) > 1e-3);
});

test('TerminateOnNaN ends a diverging run as completed, saying why, with its finished epochs', async () => {
  // One weight, mse w², SGD lr 10: w ← −19w a step, so the loss overflows float32 in epoch 2 (divergence.test.ts).
  writeFileSync(join(dir, 'line.csv'), ['x,y', ...Array.from({ length: 20 }, () => '1,0')].join('\n') + '\n');
  const def: ModelDefinition = {
    dataset: { csv: 'line.csv', label: 'y', validation_split: 0.5, seed: 1 },
    layers: [{ type: 'Dense', units: 1, use_bias: false, input_shape: [1] }],
    compile: { optimizer: { type: 'SGD', learning_rate: 10 }, loss: 'mse' },
    fit: { epochs: 4, batch_size: 1, shuffle: false, callbacks: [{ type: 'TerminateOnNaN' }] },
  };
  const run = await train(def);
  assert.equal(run.stoppedBy?.callback, 'TerminateOnNaN');
  assert.match(run.stoppedBy!.message, /^Epoch 2, batch \d+: invalid loss \(infinite\), terminating training/);
  assert.equal(run.history.loss.length, 1);
  assert.equal(run.evaluation, undefined);
});

test('a .py with callbacks and model.evaluate(x_test, …) trains as written: stops early, evaluates on the test set', async () => {
  const script = `import keras
(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=50, batch_size=50, validation_split=0.2,
          callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)])
model.evaluate(x_test, y_test)
`;
  const [parsed] = await parsePythonModels(script);
  assert.equal(parsed.incomplete, undefined);
  const def = parsed.definition!;
  // The full Fashion-MNIST would take minutes: the bundled sample has the same format (and a test set).
  def.dataset = { ...(def.dataset as object), name: 'fashion-mnist-sample' };
  const run = await train(def);
  assert.equal(run.stoppedBy?.callback, 'EarlyStopping');
  assert.ok(run.history.loss.length < 50);
  assert.equal(run.testEvaluation?.split, 'test');
  assert.equal(
    run.testEvaluation?.confusionMatrix?.flat().reduce((a, b) => a + b, 0),
    1000,
  );
  assert.equal(run.evaluation?.split, 'validation');
});
