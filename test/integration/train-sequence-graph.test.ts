/**
 * Training the new layer kinds for one epoch on small data made here (CSV through the ordinary data path), in-process
 * on the wasm backend: an Embedding + LSTM text classifier, a Conv1D sequence classifier and a residual graph model.
 * Each task is balanced binary, so an untrained sigmoid output starts near the chance loss ln 2 = 0.693; after one
 * epoch the training loss and the validation loss must both be clearly below it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { createRng } from '../../src/data/rng';
import type { CompileSpec, ModelDefinition } from '../../src/model/types';
import { eventsOf, trainHere } from '../helpers/train-here';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-seq-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CHANCE = Math.log(2);

function csv(
  name: string,
  features: number,
  rows: number,
  make: (rng: () => number) => { x: number[]; y: number },
): string {
  const rng = createRng(7);
  const header = [...Array.from({ length: features }, (_, i) => `f${i}`), 'label'].join(',');
  const lines = Array.from({ length: rows }, () => {
    const { x, y } = make(rng);
    return [...x, y].join(',');
  });
  writeFileSync(join(dir, name), [header, ...lines].join('\n') + '\n');
  return name;
}

async function trainOneEpoch(definition: ModelDefinition): Promise<{ loss: number; valLoss: number }> {
  const { events, result } = await trainHere(definition, { baseDir: dir, seed: 11 });
  assert.equal(result.status, 'completed', result.error);
  const [epoch] = eventsOf(events, 'epoch');
  const [evaluation] = eventsOf(events, 'evaluation');
  return { loss: epoch.logs.loss, valLoss: evaluation.evaluation.loss };
}

const compile: CompileSpec = {
  optimizer: { type: 'Adam', learning_rate: 0.01 },
  loss: 'binary_crossentropy',
  metrics: ['accuracy'],
};

/** One epoch of a balanced binary task: the training loss below chance and the validation loss clearly below it. */
function expectLearned(t: TestContext, r: { loss: number; valLoss: number }): void {
  t.diagnostic(`loss ${r.loss.toFixed(4)}, val_loss ${r.valLoss.toFixed(4)} (chance ${CHANCE.toFixed(4)})`);
  assert.ok(r.loss < CHANCE && r.valLoss < 0.6, `loss ${r.loss}, val_loss ${r.valLoss} vs chance ${CHANCE}`);
}

/** The CSV-made tasks: 480 rows of `features` columns from `make`, learned by `layers` in one epoch. */
const TASKS: {
  name: string;
  file: string;
  features: number;
  make: (rng: () => number) => { x: number[]; y: number };
  layers: ModelDefinition['layers'];
}[] = [
  {
    name: 'Embedding + LSTM learns whether a token sequence ends in the upper half of the vocabulary',
    file: 'tokens.csv',
    features: 12,
    make: (rng) => {
      const x = Array.from({ length: 12 }, () => 1 + Math.floor(rng() * 19));
      return { x, y: x[11] >= 10 ? 1 : 0 };
    },
    layers: [
      { type: 'Embedding', input_dim: 20, output_dim: 8, input_shape: [12] },
      { type: 'LSTM', units: 16 },
      { type: 'Dense', units: 1, activation: 'sigmoid' },
    ],
  },
  {
    name: 'Conv1D + GlobalMaxPooling1D learns whether a sequence holds a rising edge of three steps',
    file: 'signals.csv',
    features: 24,
    make: (rng) => {
      const x = Array.from({ length: 24 }, () => Math.round(rng() * 30) / 100);
      const y = rng() < 0.5 ? 1 : 0;
      if (y) {
        const at = Math.floor(rng() * 21);
        x[at] = 0.2;
        x[at + 1] = 0.6;
        x[at + 2] = 1;
      }
      return { x, y };
    },
    layers: [
      { type: 'Reshape', target_shape: [24, 1], input_shape: [24] },
      { type: 'Conv1D', filters: 8, kernel_size: 3, activation: 'relu' },
      { type: 'GlobalMaxPooling1D' },
      { type: 'Dense', units: 1, activation: 'sigmoid' },
    ],
  },
  {
    name: 'a residual graph (Dense branch + skip, Add) learns x0 + x1 > 1 on the stock engine',
    file: 'sums.csv',
    features: 6,
    make: (rng) => {
      const x = Array.from({ length: 6 }, () => Math.round(rng() * 100) / 100);
      return { x, y: x[0] + x[1] > 1 ? 1 : 0 };
    },
    layers: [
      { type: 'InputLayer', shape: [6], name: 'x' },
      { type: 'Dense', units: 16, activation: 'relu' },
      { type: 'Dense', units: 6, name: 'branch' },
      { type: 'Add', inputs: ['x', 'branch'] },
      { type: 'Dropout', rate: 0.1 },
      { type: 'Dense', units: 1, activation: 'sigmoid' },
    ],
  },
];

for (const task of TASKS) {
  test(task.name, { timeout: 120_000 }, async (t) => {
    const file = csv(task.file, task.features, 480, task.make);
    const r = await trainOneEpoch({
      dataset: { csv: file, label: 'label', validation_split: 0.25 },
      layers: task.layers,
      compile,
      fit: { epochs: 1, batch_size: 16 },
    });
    expectLearned(t, r);
  });
}

test(
  'the text-classifier template trains on its own companion CSV (Adam at 0.01) and its loss falls in one epoch',
  { timeout: 120_000 },
  async (t) => {
    const { TEMPLATES, companionFiles, instantiate } = await import('../../src/editor/templates');
    const { parseModelJson } = await import('../../src/model/parse-json');
    const template = TEMPLATES.find((t) => t.id === 'text-classifier')!;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'data'), { recursive: true });
    for (const [file, text] of Object.entries(companionFiles(template))) writeFileSync(join(dir, file), text);
    const definition = parseModelJson(instantiate(template, 'text')).definition!;
    const r = await trainOneEpoch({
      ...definition,
      compile: { ...definition.compile, optimizer: { type: 'Adam', learning_rate: 0.01 } },
      fit: { epochs: 1, batch_size: 16 },
    });
    expectLearned(t, r);
  },
);
