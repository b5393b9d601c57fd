/**
 * Models with a variable (None) input dimension train with the size their data gives it: an Embedding without
 * input_length on a CSV of token columns, an LSTM on `input_shape: [null, 28]` reading Fashion-MNIST's rows as time
 * steps, and a graph model from `keras.Input(shape=(None, 28))`. Data that cannot fill the None is one sentence:
 * before any worker (the preflight) when the dataset's shape is known without reading it, else from the worker.
 * In-process on the wasm backend, one small epoch each.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError } from '../../src/data/errors';
import { createRng } from '../../src/data/rng';
import { analyzeUnplaced } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import type { ModelDefinition } from '../../src/model/types';
import type { RunSpec } from '../../src/protocol';
import { preflight } from '../../src/training/host/preflight';
import { eventsOf, trainHere } from '../helpers/train-here';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-none-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sample = { name: 'fashion-mnist-sample', validation_split: 0.2, seed: 42 };

/** An LSTM classifier of the bundled Fashion-MNIST sample, on an input of `shape` (rows read as time steps). */
const lstmOnSample = (shape: (number | null)[]): ModelDefinition => ({
  dataset: sample,
  layers: [
    { type: 'LSTM', units: 8, input_shape: shape },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs: 1, batch_size: 64 },
});

test(
  'an Embedding without input_length (input (None,)) trains on a CSV of 12 token columns, and learns',
  { timeout: 120_000 },
  async () => {
    const rng = createRng(3);
    const rows = Array.from({ length: 400 }, () => {
      const x = Array.from({ length: 12 }, () => 1 + Math.floor(rng() * 19));
      return [...x, x[11] >= 10 ? 1 : 0].join(',');
    });
    const header = [...Array.from({ length: 12 }, (_, i) => `t${i}`), 'label'].join(',');
    writeFileSync(join(dir, 'tokens.csv'), [header, ...rows].join('\n') + '\n');
    const definition: ModelDefinition = {
      dataset: { csv: 'tokens.csv', label: 'label', validation_split: 0.25 },
      layers: [
        { type: 'Embedding', input_dim: 20, output_dim: 8 },
        { type: 'LSTM', units: 16 },
        { type: 'Dense', units: 1, activation: 'sigmoid' },
      ],
      compile: { optimizer: { type: 'Adam', learning_rate: 0.01 }, loss: 'binary_crossentropy', metrics: ['accuracy'] },
      fit: { epochs: 1, batch_size: 16 },
    };
    assert.deepEqual(analyzeUnplaced(definition).summary?.layers[0].outputShape, [null, null, 8]);
    const { events, result } = await trainHere(definition, { baseDir: dir, seed: 11 });
    assert.equal(result.status, 'completed', result.error);
    const [epoch] = eventsOf(events, 'epoch');
    assert.ok(epoch.logs.loss < Math.log(2), `loss ${epoch.logs.loss}`);
  },
);

test(
  'LSTM on input_shape [null, 28] reads Fashion-MNIST rows as 28 steps of 28 pixels',
  { timeout: 120_000 },
  async () => {
    const { events, result } = await trainHere(lstmOnSample([null, 28]), { baseDir: dir, seed: 1 });
    assert.equal(result.status, 'completed', result.error);
    assert.ok(Number.isFinite(eventsOf(events, 'epoch')[0].logs.loss));
  },
);

test('a graph model from keras.Input(shape=(None, 28)) trains the same way', { timeout: 120_000 }, async () => {
  const [m] = await parsePythonModels(`import keras
from keras import layers
inputs = keras.Input(shape=(None, 28))
x = layers.LSTM(8)(inputs)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
`);
  const definition: ModelDefinition = { ...m.definition!, dataset: sample, fit: { epochs: 1, batch_size: 64 } };
  const { result } = await trainHere(definition, { baseDir: dir, seed: 2 });
  assert.equal(result.status, 'completed', result.error);
});

test(
  'data that cannot fill the None: the preflight refuses it in one sentence, and so does the worker',
  { timeout: 60_000 },
  async () => {
    const definition = lstmOnSample([null, 10]);
    const spec: RunSpec = {
      runId: 'r',
      label: 'r',
      definition,
      repeat: 0,
      backend: 'wasm',
      seed: 1,
      baseDir: dir,
      cacheDir: join(dir, '.cache'),
    };
    const want =
      "The model's input (None, None, 10) does not fit 'fashion-mnist-sample', whose examples are (28, 28): axis 2 is 10 in the model and 28 in the data.";
    await assert.rejects(preflight([spec]), (e: Error) => e instanceof DataError && e.message === want);
    const { result } = await trainHere(definition, { baseDir: dir, seed: 1 });
    assert.equal(result.status, 'failed');
    assert.equal(result.error, want);
  },
);
