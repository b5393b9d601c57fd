/**
 * runTraining's evaluation with and without a validation split (Keras's `validation_split=0.0` holds out nothing),
 * in-process on the bundled sample (3,000 train / 1,000 test images) and on a small CSV with no test set.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import type { RunSpec, WorkerEvent } from '../../src/protocol';
import { runTraining } from '../../src/training/run';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function train(definition: ModelDefinition): Promise<WorkerEvent[]> {
  const spec: RunSpec = { runId: 'r', label: 'r', definition, repeat: 0, seed: 3, backend: 'wasm', baseDir: dir, cacheDir: join(dir, '.cache') };
  const events: WorkerEvent[] = [];
  await runTraining(spec, (e) => events.push(e), { stopped: false });
  return events;
}

const of = <T extends WorkerEvent['type']>(events: WorkerEvent[], type: T) =>
  events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);

const mlp = (validation_split: number): ModelDefinition => ({
  dataset: { name: 'fashion-mnist-sample', validation_split, seed: 42 },
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 8, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs: 1, batch_size: 100 },
});

test('validation_split 0 trains on every example and evaluates on the test set instead', async () => {
  const events = await train(mlp(0));
  assert.equal(of(events, 'finished')[0].status, 'completed', of(events, 'finished')[0].error);
  const started = of(events, 'started')[0];
  assert.equal(started.dataset.train, 3000);
  assert.equal(started.dataset.validation, 0);
  assert.equal(started.batchesPerEpoch, 30);
  assert.deepEqual(Object.keys(of(events, 'epoch')[0].logs), ['loss', 'accuracy']);
  const evaluations = of(events, 'evaluation').map((e) => e.evaluation);
  assert.deepEqual(evaluations.map((e) => e.split), ['test']);
  // The confusion matrix counts every one of the 1,000 test images once.
  assert.equal(evaluations[0].confusionMatrix!.flat().reduce((a, b) => a + b, 0), 1000);
});

test('with a validation split the evaluation stays on validation (the test set only when asked for)', async () => {
  const events = await train(mlp(0.2));
  assert.equal(of(events, 'started')[0].dataset.validation, 600);
  assert.deepEqual(of(events, 'evaluation').map((e) => e.evaluation.split), ['validation']);
});

test('validation_split 0 on a CSV (no test set) skips the evaluation and says so', async () => {
  const rows = Array.from({ length: 20 }, (_, i) => `${i % 2},${(i * 7) % 5},${i % 2}`);
  writeFileSync(join(dir, 'tiny.csv'), ['a,b,label', ...rows].join('\n') + '\n');
  const events = await train({
    dataset: { csv: 'tiny.csv', label: 'label', validation_split: 0 },
    layers: [{ type: 'Dense', units: 2, activation: 'softmax', input_shape: [2] }],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy' },
    fit: { epochs: 1, batch_size: 5 },
  });
  assert.equal(of(events, 'finished')[0].status, 'completed', of(events, 'finished')[0].error);
  assert.equal(of(events, 'started')[0].dataset.train, 20);
  assert.deepEqual(of(events, 'evaluation'), []);
  const said = of(events, 'progress').map((e) => e.message);
  assert.ok(
    said.includes("The run is not evaluated: validation_split is 0 and 'tiny.csv' has no test set; set dataset.validation_split (e.g. 0.2) to evaluate on held-out data."),
    said.join('\n'),
  );
});
