/**
 * Evaluation records per-example predictions, and the gallery reads those examples back from the local dataset:
 * real worker processes (dist/worker.js: `node esbuild.config.mjs` first) on the bundled Fashion-MNIST sample and on
 * a CSV file, then `loadExampleData` as the extension calls it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadSample } from '../../src/data/sample';
import type { ModelDefinition } from '../../src/model/types';
import type { ExamplesRequest, RunRecord, RunResult, RunSpec } from '../../src/protocol';
import { loadExampleData, releaseExampleData } from '../../src/panel/example-data';
import { cellPositions, confidentlyWrong } from '../../src/results/gallery';
import { RunPool } from '../../src/training/host/pool';
import { sampleMlp } from '../helpers/models';
import { makeRecord } from '../helpers/records';

const root = join(__dirname, '..', '..');
const workerPath = join(process.env.MODEL_LAB_DIST ?? join(root, 'dist'), 'worker.js');
const scratch = mkdtempSync(join(tmpdir(), 'ml-gallery-'));
after(() => {
  releaseExampleData();
  rmSync(scratch, { recursive: true, force: true });
});

async function train(definition: ModelDefinition, baseDir: string): Promise<RunResult> {
  const pool = new RunPool({ size: 1, workerPath });
  const spec: RunSpec = {
    runId: 'rec-0',
    label: 'Adam',
    definition,
    repeat: 0,
    seed: 42,
    backend: 'wasm',
    baseDir,
    cacheDir: join(scratch, 'cache'),
  };
  try {
    return await pool.run(spec, () => undefined).result;
  } finally {
    pool.dispose();
  }
}

const ask = (positions: number[], split: 'validation' | 'test' = 'validation'): ExamplesRequest => ({
  type: 'examples',
  requestId: 1,
  recordId: 'rec',
  runId: 'rec-0',
  split,
  positions,
});

test('evaluation keeps each example’s prediction, and the gallery draws the dataset’s own pixels', async () => {
  const definition = sampleMlp({ dataset: { name: 'fashion-mnist-sample', evaluate_test: true }, fit: { epochs: 1 } });
  const run = await train(definition, root);
  assert.equal(run.status, 'completed', run.error);
  const ev = run.evaluation!;
  const ex = ev.examples!;
  assert.ok(ex, 'the validation evaluation carries per-example predictions');
  assert.equal(ex.source, 'train');
  assert.equal(ex.sourceCount, 3000, 'indices count in the sample’s 3,000 training images');
  assert.equal(ex.evaluated, 600);
  const n = ex.index.length;
  assert.ok(n > 0 && n <= 600);
  for (const a of [ex.actual, ex.predicted, ex.confidence]) assert.equal(a.length, n);
  assert.equal(new Set(ex.index).size, n, 'distinct examples');

  // Against the real data: each kept example's recorded class is its label in the file.
  const sample = await loadSample();
  ex.index.forEach((index, p) => assert.equal(sample.train.y[index], ex.actual[p], `example ${index}`));
  // Against the confusion matrix: a cell keeps all its examples up to perCell, never more than it has.
  const matrix = ev.confusionMatrix!;
  matrix.forEach((row, i) =>
    row.forEach((count, j) => {
      const kept = cellPositions(ex, i, j).length;
      assert.equal(kept, Math.min(count, ex.perCell), `cell (${i}, ${j}): ${kept} kept of ${count}`);
    }),
  );
  // Confidence is the softmax's top probability: in (0, 1], at least 1/10 for ten classes.
  assert.ok(ex.confidence.every((c) => c >= 0.1 - 1e-4 && c <= 1));
  // The test set's evaluation counts in the test set.
  assert.equal(run.testEvaluation?.examples?.source, 'test');
  assert.equal(run.testEvaluation?.examples?.sourceCount, sample.test?.count);

  const record: RunRecord = makeRecord('rec', [run], { definition });
  const place = { baseDir: root, cacheDir: join(scratch, 'cache') };
  const wrong = confidentlyWrong(ex, 12);
  assert.ok(wrong.length > 0, 'a one-epoch MLP gets some of 600 images wrong');
  const reply = await loadExampleData(ask(wrong), record, place);
  assert.equal(reply.kind, 'image', JSON.stringify(reply).slice(0, 300));
  if (reply.kind !== 'image') return;
  assert.deepEqual(reply.shape, [28, 28, 1]);
  assert.equal(reply.items.length, wrong.length);
  for (const item of reply.items) {
    const index = ex.index[item.position];
    const expected = Buffer.from(sample.train.x.subarray(index * 784, (index + 1) * 784));
    assert.deepEqual(Buffer.from(item.pixels!, 'base64'), expected, `pixels of example ${index}`);
  }

  // The test split's examples come from the test file.
  const testEx = run.testEvaluation!.examples!;
  const testReply = await loadExampleData(ask([0], 'test'), record, place);
  assert.equal(testReply.kind, 'image');
  if (testReply.kind === 'image') {
    const index = testEx.index[0];
    assert.deepEqual(
      Buffer.from(testReply.items[0].pixels!, 'base64'),
      Buffer.from(sample.test!.x.subarray(index * 784, (index + 1) * 784)),
    );
  }

  // Positions the record did not keep, and a record from before per-example predictions, are reasons, not reads.
  const outside = await loadExampleData(ask([n]), record, place);
  assert.equal(outside.kind, 'unavailable');
  const old = makeRecord('rec', [{ ...run, evaluation: { ...ev, examples: undefined } }], { definition });
  const oldReply = await loadExampleData(ask([0]), old, place);
  assert.equal(oldReply.kind, 'unavailable');
  if (oldReply.kind === 'unavailable') assert.match(oldReply.reason, /recorded before/);
});

test('a CSV run’s examples are rows with the header’s names; a changed file or a missing one says so', async () => {
  const dir = mkdtempSync(join(scratch, 'csv-'));
  const rows = ['a,b,label'];
  for (let i = 0; i < 200; i++) rows.push(`${(i % 10) / 10},${((i * 7) % 10) / 10},${i % 10 < 5 ? 'low' : 'high'}`);
  writeFileSync(join(dir, 'data.csv'), `${rows.join('\n')}\n`);
  const definition: ModelDefinition = {
    name: 'csv-mlp',
    dataset: { csv: 'data.csv', label: 'label', validation_split: 0.25 },
    layers: [
      { type: 'Dense', units: 8, activation: 'relu', input_shape: [2] },
      { type: 'Dense', units: 2, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    fit: { epochs: 1, batch_size: 16 },
  };
  const run = await train(definition, dir);
  assert.equal(run.status, 'completed', run.error);
  const ex = run.evaluation!.examples!;
  assert.equal(ex.evaluated, 50);
  const record = makeRecord('rec', [run], { definition });
  const place = { baseDir: dir, cacheDir: join(scratch, 'cache') };
  const reply = await loadExampleData(ask([0, 1]), record, place);
  assert.equal(reply.kind, 'row', JSON.stringify(reply).slice(0, 300));
  if (reply.kind !== 'row') return;
  assert.deepEqual(reply.columns, ['a', 'b']);
  for (const item of reply.items) {
    const index = ex.index[item.position];
    const [a, b] = rows[index + 1].split(',').map(Number);
    assert.deepEqual(item.values, [a, b], `row ${index}`);
  }

  // The file lost a row since the run: the indices would point at other rows, so the gallery refuses.
  writeFileSync(join(dir, 'data.csv'), `${rows.slice(0, -1).join('\n')}\n`);
  releaseExampleData();
  const changed = await loadExampleData(ask([0]), record, place);
  assert.equal(changed.kind, 'unavailable');
  if (changed.kind === 'unavailable') assert.match(changed.reason, /changed since this run: its training set had 200/);

  rmSync(join(dir, 'data.csv'));
  releaseExampleData();
  const gone = await loadExampleData(ask([0]), record, place);
  assert.equal(gone.kind, 'unavailable');
  if (gone.kind === 'unavailable') assert.match(gone.reason, /cannot be read on this machine/);
});
