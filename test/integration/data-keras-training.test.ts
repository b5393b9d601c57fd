/**
 * The new datasets through the real training path (runTraining in-process, wasm backend): MNIST and CIFAR-10 from
 * Keras's files, imdb's padded int sequences, and a workspace .npz whose labels are learnable, where the loss must
 * fall over three epochs.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import type { WorkerEvent } from '../../src/protocol';
import { eventsOf, trainHere } from '../helpers/train-here';
import { python, writeKerasFiles } from '../fixtures/data/keras-files';

const dir = mkdtempSync(join(tmpdir(), 'ml-keras-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const files = join(dir, 'files');
mkdirSync(files);
writeKerasFiles(files);
// 300 examples of 16 values: class c lights values 4c…4c+3, plus noise; a Dense layer learns it in a few epochs.
python(
  `
r = np.random.RandomState(0); y = r.randint(0, 4, 300)
x = r.rand(300, 16).astype(np.float32) * 0.3
for i, c in enumerate(y): x[i, 4 * c:4 * c + 4] += 1
np.savez('learnable.npz', x=x, y=y.astype(np.int64))`,
  files,
);

async function train(definition: ModelDefinition): Promise<WorkerEvent[]> {
  return (await trainHere(definition, { baseDir: files, dataDir: files, cacheDir: join(dir, 'cache'), seed: 3 }))
    .events;
}

const of = eventsOf;

function completed(events: WorkerEvent[]): void {
  const finished = of(events, 'finished')[0];
  assert.equal(finished.status, 'completed', finished.error);
}

describe('training on the new datasets', () => {
  it('mnist with an MLP', async () => {
    const events = await train({
      dataset: { name: 'mnist', validation_split: 0.25 },
      layers: [
        { type: 'Flatten' },
        { type: 'Dense', units: 8, activation: 'relu' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
      compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
      fit: { epochs: 1, batch_size: 4 },
    });
    completed(events);
    const started = of(events, 'started')[0];
    assert.equal(started.dataset.train, 9);
    assert.deepEqual(started.dataset.exampleShape, [28, 28]);
  });

  it('cifar10 with a small CNN on 32×32×3 images', async () => {
    const events = await train({
      dataset: { name: 'cifar10', validation_split: 0, evaluate_test: true },
      layers: [
        { type: 'Conv2D', filters: 2, kernel_size: 3, activation: 'relu' },
        { type: 'MaxPooling2D', pool_size: 4 },
        { type: 'Flatten' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
      compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy' },
      fit: { epochs: 1, batch_size: 5 },
    });
    completed(events);
    assert.deepEqual(of(events, 'started')[0].dataset.exampleShape, [32, 32, 3]);
    assert.equal(of(events, 'evaluation')[0].evaluation.split, 'test');
  });

  it('imdb padded to maxlen: int sequences reach the model as [maxlen] inputs', async () => {
    const events = await train({
      dataset: { name: 'imdb', num_words: 30, maxlen: 12, validation_split: 0.2 },
      layers: [
        { type: 'Dense', units: 4, activation: 'relu' },
        { type: 'Dense', units: 1, activation: 'sigmoid' },
      ],
      compile: { optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] },
      fit: { epochs: 1, batch_size: 4 },
    });
    completed(events);
    const started = of(events, 'started')[0];
    assert.deepEqual(started.dataset.exampleShape, [12]);
    assert.deepEqual(started.dataset.classNames, ['negative', 'positive']);
    assert.equal(started.dataset.test, 6);
  });

  it('a workspace .npz: the loss falls over three epochs', async () => {
    const events = await train({
      dataset: { npz: 'learnable.npz', validation_split: 0.2 },
      layers: [{ type: 'Dense', units: 4, activation: 'softmax', input_shape: [16] }],
      compile: {
        optimizer: { type: 'Adam', learning_rate: 0.05 },
        loss: 'sparse_categorical_crossentropy',
        metrics: ['accuracy'],
      },
      fit: { epochs: 3, batch_size: 16 },
    });
    completed(events);
    const losses = of(events, 'epoch').map((e) => e.logs.loss);
    assert.equal(losses.length, 3);
    assert.ok(losses[2] < losses[0] * 0.7, `loss ${losses}`);
  });
});
