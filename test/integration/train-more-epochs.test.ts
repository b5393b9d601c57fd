/**
 * "Train N more epochs": a run of 5 epochs continued for 3 more gives the same epochs 6–8 as an uninterrupted
 * 8-epoch run (weights, Adam's slots and step count, the shuffle sequence and a schedule all carry over), and a
 * saved run that no longer fits the model is refused in one sentence.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import type { RunResult, RunSpec } from '../../src/protocol';
import { trainHere } from '../helpers/train-here';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-more-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const def = (
  epochs: number,
  optimizer: ModelDefinition['compile'] extends infer C ? (C extends { optimizer?: infer O } ? O : never) : never,
): ModelDefinition => ({
  dataset: { name: 'fashion-mnist-sample', validation_split: 0.2, seed: 42 },
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 16, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs, batch_size: 100 },
});

async function train(
  definition: ModelDefinition,
  extra: Partial<RunSpec>,
  engine: 'auto' | 'stock' = 'auto',
): Promise<RunResult> {
  return (await trainHere(definition, { baseDir: dir, seed: 11, ...extra }, engine)).result;
}

const schedule = {
  type: 'Adam',
  learning_rate: { type: 'InverseTimeDecay', initial_learning_rate: 0.01, decay_steps: 24, decay_rate: 0.5 },
};

for (const engine of ['auto', 'stock'] as const) {
  test(`5 epochs + 3 more equal 8 epochs in one go: one continuous loss curve (${engine} engine)`, async () => {
    const straight = await train(def(8, schedule), {}, engine);
    const first = await train(def(5, schedule), { saveWeightsTo: join(dir, `first-${engine}`) }, engine);
    assert.equal(first.status, 'completed', first.error);
    for (const f of ['weights.npz', 'optimizer.npz', 'optimizer.json', 'keras_model.py'])
      assert.ok(existsSync(join(dir, `first-${engine}`, f)), f);
    assert.equal(JSON.parse(readFileSync(join(dir, `first-${engine}`, 'optimizer.json'), 'utf8')).iterations, 5 * 24);
    const more = await train(
      def(8, schedule),
      { resume: { from: join(dir, `first-${engine}`), epochsDone: 5 } },
      engine,
    );
    assert.equal(more.status, 'completed', more.error);
    // The continued run reports epochs 6–8; with the first run's 1–5 they are one history.
    assert.equal(more.history.loss.filter((x) => x !== undefined).length, 3);
    for (let e = 5; e < 8; e++) {
      assert.ok(
        Math.abs(more.history.loss[e] - straight.history.loss[e]) < 1e-4,
        `epoch ${e + 1}: ${more.history.loss[e]} vs ${straight.history.loss[e]}`,
      );
      assert.ok(Math.abs(more.history.val_loss[e] - straight.history.val_loss[e]) < 1e-4);
      assert.ok(Math.abs(more.history.lr[e] - straight.history.lr[e]) < 1e-12);
    }
    assert.ok(Math.abs(more.evaluation!.loss - straight.evaluation!.loss) < 1e-4);
  });
}

test('continuing from weights of another model is refused in one sentence', async () => {
  const other: ModelDefinition = {
    ...def(3, 'adam'),
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  };
  const r = await train(other, { resume: { from: join(dir, 'first-auto'), epochsDone: 5 } });
  assert.equal(r.status, 'failed');
  assert.match(r.error ?? '', /do not fit this model/);
  const missing = await train(def(3, 'adam'), { resume: { from: join(dir, 'nowhere'), epochsDone: 1 } });
  assert.match(missing.error ?? '', /cannot be read/);
});
