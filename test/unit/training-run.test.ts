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
import type { WorkerEvent } from '../../src/protocol';
import { eventsOf, trainHere } from '../helpers/train-here';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function train(definition: ModelDefinition): Promise<WorkerEvent[]> {
  return (await trainHere(definition, { baseDir: dir, seed: 3 })).events;
}

const of = eventsOf;

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
  assert.equal(of(events, 'batch').at(-1)!.batches, 30);
  assert.deepEqual(Object.keys(of(events, 'epoch')[0].logs), ['loss', 'accuracy']);
  const evaluations = of(events, 'evaluation').map((e) => e.evaluation);
  assert.deepEqual(
    evaluations.map((e) => e.split),
    ['test'],
  );
  // The confusion matrix counts every one of the 1,000 test images once.
  assert.equal(
    evaluations[0].confusionMatrix!.flat().reduce((a, b) => a + b, 0),
    1000,
  );
});

test('with a validation split the evaluation stays on validation (the test set only when asked for)', async () => {
  const events = await train(mlp(0.2));
  assert.equal(of(events, 'started')[0].dataset.validation, 600);
  assert.deepEqual(
    of(events, 'evaluation').map((e) => e.evaluation.split),
    ['validation'],
  );
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
    said.includes(
      "The run is not evaluated: validation_split is 0 and 'tiny.csv' has no test set; set dataset.validation_split (e.g. 0.2) to evaluate on held-out data.",
    ),
    said.join('\n'),
  );
});

// ---- The output layer against the labels -------------------------------------------------------------------------

function threeClassCsv(): string {
  const rows = Array.from({ length: 30 }, (_, i) => `${i % 3},${(i * 7) % 5},${['cat', 'dog', 'bird'][i % 3]}`);
  writeFileSync(join(dir, 'three.csv'), ['a,b,animal', ...rows].join('\n') + '\n');
  return 'three.csv';
}

const failure = (events: WorkerEvent[]) => {
  const finished = of(events, 'finished');
  assert.equal(finished.length, 1);
  assert.equal(finished[0].status, 'failed');
  assert.equal(of(events, 'started').length, 0, 'nothing trains');
  return finished[0].error ?? '';
};

for (const loss of ['sparse_categorical_crossentropy', 'categorical_crossentropy']) {
  test(`${loss}: 3 classes on a 2-unit output is refused before training, naming the layer and the fix`, async () => {
    const events = await train({
      dataset: { csv: threeClassCsv(), label: 'animal' },
      layers: [
        { type: 'Dense', units: 4, activation: 'relu', input_shape: [2] },
        { type: 'Dense', units: 2, activation: 'softmax' },
      ],
      compile: { optimizer: 'adam', loss },
    });
    assert.equal(
      failure(events),
      `The dataset 'three.csv' has 3 classes but the output layer dense_1 (layers[1]) has 2 units; set its units to 3 so ${loss} has an output for every class.`,
    );
  });
}

test('mse on a 10-unit softmax with class ids is refused: one target per example needs one unit', async () => {
  const definition = mlp(0.2);
  const events = await train({ ...definition, compile: { optimizer: 'adam', loss: 'mse' } });
  assert.equal(
    failure(events),
    "The loss mse compares one target per example with the output, but the output layer dense_1 (layers[2]) has 10 units; set its units to 1, or use sparse_categorical_crossentropy with 10 units for the 10 classes of 'fashion-mnist-sample'.",
  );
});

test('more units than classes still trains (Keras allows unused outputs)', async () => {
  const events = await train({
    dataset: { csv: threeClassCsv(), label: 'animal' },
    layers: [{ type: 'Dense', units: 5, activation: 'softmax', input_shape: [2] }],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy' },
    fit: { epochs: 1, batch_size: 8 },
  });
  assert.equal(of(events, 'finished')[0].status, 'completed', of(events, 'finished')[0].error);
});

test('output units are checked against the labels before any training', async () => {
  const { checkOutputUnits } = await import('../../src/training/worker/run');
  const tenClasses = { name: 'fashion-mnist-sample', classNames: Array.from({ length: 10 }, (_, i) => `c${i}`) };
  // Binary crossentropy on class ids 0…9 would run its loss to minus infinity.
  assert.throws(
    () => checkOutputUnits(1, 'binary_crossentropy', tenClasses, 'dense_1', 2),
    /has 10 classes but binary_crossentropy needs 2; use sparse_categorical_crossentropy with 10 softmax units/,
  );
  assert.doesNotThrow(() =>
    checkOutputUnits(1, 'binary_crossentropy', { name: 'yes-no', classNames: ['no', 'yes'] }, 'dense_1', 2),
  );
  assert.throws(
    () => checkOutputUnits(2, 'sparse_categorical_crossentropy', tenClasses, 'dense_1', 2),
    /has 10 classes but the output layer dense_1 \(layers\[2\]\) has 2 units/,
  );
  assert.doesNotThrow(() => checkOutputUnits(10, 'sparse_categorical_crossentropy', tenClasses, 'dense_1', 2));
});
