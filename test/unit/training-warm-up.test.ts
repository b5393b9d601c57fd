/**
 * The warm-up while the data loads (`warm-up.ts`): it hands back the data (or its error), takes throwaway fused steps
 * only while waiting and within its budget, skips what it cannot warm, and leaves the run's numbers bit-equal.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Split } from '../../src/data/types';
import type { ModelDefinition } from '../../src/model/types';
import { selectBackend } from '../../src/training/backend';
import { describeModel } from '../../src/training/model-info';
import { buildModel } from '../../src/training/worker/build-model';
import { chooseEngine } from '../../src/training/worker/choose-engine';
import type { TF } from '../../src/training/worker/engine';
import { fit } from '../../src/training/worker/loop';
import { modelWarmUp, warmWhile, WARM_MAX_WEIGHTS, type WarmReport } from '../../src/training/worker/warm-up';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

const definition = (layers: ModelDefinition['layers'] = []): ModelDefinition => ({
  layers: layers.length
    ? layers
    : [
        { type: 'Flatten', input_shape: [4, 6] },
        { type: 'Dense', units: 9, activation: 'relu' },
        { type: 'Dropout', rate: 0.25 },
        { type: 'Dense', units: 3, activation: 'softmax' },
      ],
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs: 2, batch_size: 8 },
});

const run = (d: ModelDefinition) => {
  const info = describeModel(d);
  return {
    info,
    warm: modelWarmUp(tf, d, info, {
      loss: 'sparse_categorical_crossentropy',
      optimizer: info.optimizer,
      seed: 5,
      batchSize: 8,
    }),
  };
};

/** Data that arrives after `ms` milliseconds (or fails then, with `error`). */
const arriving = <T>(value: T, ms: number, error?: Error) =>
  new Promise<T>((resolve, reject) => setTimeout(() => (error ? reject(error) : resolve(value)), ms));

function examples(count: number): Split {
  const x = Uint8Array.from({ length: count * 24 }, (_, i) => (i * 37) % 251);
  const y = Uint8Array.from({ length: count }, (_, i) => (i * 7) % 3);
  return { x, y, count };
}

/** Trains the definition's model for two epochs, as a run does: its losses and final weights. */
async function train(d: ModelDefinition, data: Split): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const info = describeModel(d);
  const model = buildModel(tf, d, { names: info.names, inputShape: [4, 6], seed: 5 });
  const ctx = {
    tf,
    model,
    optimizer: info.optimizer,
    loss: 'sparse_categorical_crossentropy' as const,
    accuracy: true,
    seed: 5,
  };
  const engine = chooseEngine(ctx, { seed: 5 });
  assert.equal(engine.name, 'fused');
  const losses: number[] = [];
  await fit({
    tf,
    model,
    engine,
    loss: 'sparse_categorical_crossentropy',
    accuracy: 'sparse_categorical',
    shape: { inputShape: [4, 6], exampleSize: 24, scale: 1 / 255, labels: 'sparse', numClasses: 3 },
    train: data,
    epochs: 2,
    batchSize: 8,
    shuffle: true,
    seed: 5,
    onEpoch: (e) => losses.push(e.logs.loss),
  });
  engine.sync();
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
  engine.dispose();
  model.dispose();
  return { losses, weights };
}

const cnn = definition([
  { type: 'Reshape', target_shape: [4, 6, 1], input_shape: [4, 6] },
  { type: 'Conv2D', filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' },
  { type: 'MaxPooling2D', pool_size: 2 },
  { type: 'Flatten' },
  { type: 'Dense', units: 3, activation: 'softmax' },
]);

for (const [name, d] of [
  ['Dense stack', definition()],
  ['CNN', cnn],
] as const) {
  test(`${name}: a run trains to the same bits with and without a warm-up before it`, async () => {
    const data = examples(40);
    const cold = await train(d, data);
    const { warm } = run(d);
    let report: WarmReport | undefined;
    const tensors = tf.memory().numTensors;
    const got = await warmWhile(arriving(data, 200), warm!, (r) => (report = r));
    assert.equal(got, data);
    assert.ok(report!.steps > 0 && !report!.skipped, JSON.stringify(report));
    assert.equal(tf.memory().numTensors, tensors, 'the throwaway model and engine are disposed');
    const warmed = await train(d, data);
    assert.deepEqual(warmed.losses, cold.losses);
    assert.deepEqual(warmed.weights, cold.weights);
  });
}

test('the warm-up stops at its budget, or as soon as the data is there, and passes a loading error on', async () => {
  const { warm } = run(definition());
  const reports: WarmReport[] = [];
  await warmWhile(arriving(1, 300), { ...warm!, steps: 3 }, (r) => reports.push(r));
  await warmWhile(Promise.resolve(2), warm!, (r) => reports.push(r));
  assert.deepEqual(
    reports.map((r) => r.steps),
    [3, 0],
  );
  await assert.rejects(warmWhile(arriving(0, 20, new Error('no such file')), warm!), /no such file/);
});

test('no warm-up where it cannot copy the run: an input shape from the data, a stock model, a huge network', async () => {
  const none = definition([{ type: 'Dense', units: 3, activation: 'softmax', input_shape: [null, 6] }]);
  assert.equal(run(none).warm, undefined);

  const reports: WarmReport[] = [];
  const lstm = definition([
    { type: 'LSTM', units: 4, input_shape: [4, 6] },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ]);
  await warmWhile(arriving(0, 300), run(lstm).warm!, (r) => reports.push(r));
  const huge = definition([
    { type: 'Flatten', input_shape: [4, 6] },
    { type: 'Dense', units: Math.ceil(WARM_MAX_WEIGHTS / 24), activation: 'relu' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ]);
  await warmWhile(arriving(0, 300), run(huge).warm!, (r) => reports.push(r));
  assert.deepEqual(
    reports.map((r) => [r.steps, r.skipped]),
    [
      [0, 'not trained by the fused engine'],
      [
        0,
        `${Math.ceil(WARM_MAX_WEIGHTS / 24) * 25 + 3 * Math.ceil(WARM_MAX_WEIGHTS / 24) + 3} weights (more than ${WARM_MAX_WEIGHTS})`,
      ],
    ],
  );
});
