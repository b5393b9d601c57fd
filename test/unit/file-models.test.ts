/**
 * Which of a file's models train and compare (src/model/file-models.ts), on the tutorial's notebook as published:
 * every compile and every optimizer built beside a model is a run with its own settings, labelled by what differs;
 * never-compiled models and repeated set-ups are listed as skipped with the reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { expandComparison } from '../../src/model/compare';
import {
  compareFileModels,
  comparisonDefinition,
  findModel,
  selectModels,
  trainableModelCount,
  trainTarget,
} from '../../src/model/file-models';
import { effectiveOptimizer } from '../../src/model/optimizers';
import { parsePythonModels } from '../../src/model/python/index';
import { readNotebook } from '../../src/model/python/notebook';
import { recordModels } from '../../src/results/record-models';
import { newRunResult } from '../../src/training/host/run-fold';
import { planRuns, runModels } from '../../src/training/host/session';

const NOTEBOOK = join(__dirname, '../fixtures/python/notebooks/hg-mldl-7-2.ipynb');

async function models() {
  const program = readNotebook(readFileSync(NOTEBOOK, 'utf8'));
  assert.ok(!('error' in program));
  return parsePythonModels(program.text);
}

test("compare all: the six optimizers of Keras's classic comparison and the sigmoid model, each with its own settings", async () => {
  const { runs, skipped } = compareFileModels(await models());
  assert.deepEqual(
    runs.map((r) => r.label),
    [
      'sequential_1 · sigmoid · RMSprop',
      'sequential_2 · relu · RMSprop',
      'sequential_2 · relu · SGD',
      'sequential_2 · relu · SGD(lr=0.1)',
      'sequential_2 · relu · SGD(momentum=0.9, nesterov)',
      'sequential_2 · relu · Adagrad',
      'sequential_3 · relu · Adam',
    ],
  );
  const optimizers = runs.map((r) => effectiveOptimizer(r.definition.compile?.optimizer));
  assert.deepEqual(
    optimizers.map((o) => [
      o.type,
      o.learning_rate,
      o.type === 'SGD' ? o.momentum : null,
      o.type === 'SGD' ? o.nesterov : null,
    ]),
    [
      ['RMSprop', 0.001, null, null],
      ['RMSprop', 0.001, null, null],
      ['SGD', 0.01, 0, false],
      ['SGD', 0.1, 0, false],
      ['SGD', 0.01, 0.9, true],
      ['Adagrad', 0.001, null, null],
      ['Adam', 0.001, null, null],
    ],
  );
  for (const r of runs) {
    assert.deepEqual(r.definition.dataset, { name: 'fashion-mnist', validation_split: 0.2, seed: 42 }, r.label);
    assert.equal(r.definition.fit?.epochs, 5, r.label);
    assert.equal(r.definition.compile?.loss, 'sparse_categorical_crossentropy');
  }
  // The sigmoid model takes 784 values (cell 5 reshaped them); the others 28×28 through Flatten.
  assert.deepEqual(runs[0].definition.layers[0].input_shape, [784]);
  assert.deepEqual(runs[1].definition.layers[0].input_shape, [28, 28]);
  assert.deepEqual(
    skipped.map((s) => [s.modelName, s.reason]),
    [
      ['sequential', 'it is never compiled'],
      ['패션 MNIST 모델', 'it is never compiled'],
      ['sequential_2', "the same set-up as the run 'sequential_2 · relu · SGD', trained once"],
      ['sequential_2', "the same set-up as the run 'sequential_2 · relu · RMSprop', trained once"],
    ],
  );
});

test('the editor offers "Compare the models" for the notebook: three of its five models can train', async () => {
  assert.equal(trainableModelCount(await models()), 3);
  const one = await parsePythonModels(`import keras
m = keras.Sequential([keras.layers.Dense(10, input_shape=(4,), activation="softmax")])
m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
n = keras.Sequential([keras.layers.Dense(10, input_shape=(4,), activation="softmax")])
`);
  assert.equal(trainableModelCount(one), 1, 'one compiled model: no lens');
});

test('labels show only what differs: two models of one kind are told apart by their optimizers alone', async () => {
  const all = await models();
  const chosen = selectModels(all, 'sequential_3, 4');
  assert.deepEqual(chosen, [4, 3]);
  const { runs } = compareFileModels(all, chosen as number[]);
  assert.deepEqual(
    runs.map((r) => r.label),
    [
      'sequential_3 · Adam',
      'sequential_2 · RMSprop',
      'sequential_2 · SGD',
      'sequential_2 · SGD(lr=0.1)',
      'sequential_2 · SGD(momentum=0.9, nesterov)',
      'sequential_2 · Adagrad',
    ],
  );
});

test('the comparison is one definition with a variant per run, which the session plan expands back', async () => {
  const { runs } = compareFileModels(await models());
  const plans = expandComparison(comparisonDefinition(runs));
  assert.deepEqual(
    plans.map((p) => p.label),
    runs.map((r) => r.label),
  );
  for (const [i, p] of plans.entries()) {
    assert.deepEqual(p.definition.layers, runs[i].definition.layers);
    assert.deepEqual(p.definition.compile, runs[i].definition.compile);
    assert.deepEqual(p.definition.dataset, runs[i].definition.dataset);
    assert.equal(p.definition.compare, undefined);
  }
});

test("each run of the models' comparison carries its own model's summary; the record keeps the first's", async () => {
  const parsed = await models();
  const { runs } = compareFileModels(parsed);
  const definition = comparisonDefinition(runs);
  const plans = planRuns({
    kind: 'compare',
    id: 'c',
    definition,
    summary: analyze({ ...parsed[runs[0].model], definition: runs[0].definition }).summary!,
    baseDir: '/tmp',
    backend: 'wasm',
    cacheDir: '/tmp/cache',
    repeats: 2,
  });
  const own = runModels(
    definition,
    plans.map((p) => p.definition),
  );
  // sequential_1 (the record's model) has none; sequential_2 and sequential_3, with their own layers, have theirs.
  const expected = (name: string) => (name === 'sequential_1' ? undefined : name);
  assert.deepEqual(
    own.map((m) => m?.name),
    plans.map((p) => expected(runs.find((r) => r.label === p.label)!.modelName)),
  );
  for (const [i, m] of own.entries()) {
    const run = runs.find((r) => r.label === plans[i].label)!;
    if (m) assert.equal(m.totalParams, analyze(parsed[run.model]).summary!.totalParams, run.label);
  }
  // One summary object per architecture, shared by the repeats and optimizers that train it.
  assert.equal(new Set(own.filter(Boolean)).size, 2);
  // The panel shows the record's model and each other one, named with the variants that train it.
  const record = {
    model: analyze({ ...parsed[runs[0].model], definition: runs[0].definition }).summary!,
    runs: plans.map((p, i) => ({ ...newRunResult(p, 1), ...(own[i] ? { model: own[i] } : {}) })),
  };
  assert.deepEqual(
    recordModels(record).map((m) => [m.model.name, m.labels.length]),
    [
      ['sequential_1', 1],
      ['sequential_2', 5],
      ['sequential_3', 1],
    ],
  );
  // An optimizer comparison of one model: no run carries a model.
  const one = { ...runs[1].definition, compare: { optimizers: ['sgd', 'adam'] } };
  assert.deepEqual(
    runModels(
      one,
      expandComparison(one).map((p) => p.definition),
    ),
    [undefined, undefined],
  );
});

test('train picks by Keras name or position; the default is the first compiled model, and the note lists the rest', async () => {
  const all = await models();
  assert.equal(findModel(all, 'sequential_2'), 3);
  assert.equal(findModel(all, '패션 MNIST 모델'), 1);
  assert.equal(findModel(all, '5'), 4);
  assert.match((findModel(all, '6') as { error: string }).error, /no model 6: the file defines 5 \(1 sequential, /);
  assert.match((findModel(all, 'dense') as { error: string }).error, /no model is named 'dense'/);
  const target = trainTarget(all);
  assert.ok('index' in target);
  assert.equal(target.index, 2);
  assert.match(
    target.note!,
    /training sequential_1 \(the first compiled model that can train\).*--model NAME or N: 1 sequential, 2 패션 MNIST 모델, 3 sequential_1/,
  );
  assert.deepEqual(trainTarget(all, 'sequential_3'), { index: 4 });
  assert.match((selectModels(all, ' , ') as { error: string }).error, /name the models to compare, or 'all'/);
});

test('a model that cannot train (one softmax unit for ten classes) or cannot be read is skipped with the reason', async () => {
  const src = `import keras
(x, y), _ = keras.datasets.fashion_mnist.load_data()
a = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(1, activation="softmax")])
a.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
a.fit(x, y)
b = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10, activation="softmax")])
b.compile(loss="sparse_categorical_crossentropy", optimizer=make_optimizer())
b.fit(x, y)
c = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10, activation="softmax")])
c.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
c.fit(x, y, epochs=2)
`;
  const { runs, skipped } = compareFileModels(await parsePythonModels(src));
  assert.deepEqual(
    runs.map((r) => r.label),
    ['sequential_2'],
  );
  assert.equal(skipped.length, 2);
  assert.equal(skipped[0].modelName, 'sequential');
  assert.match(
    skipped[0].reason,
    /^it has an error: sparse_categorical_crossentropy needs one output unit per class but the last layer has 1 unit/,
  );
  assert.equal(skipped[1].modelName, 'sequential_1');
  assert.match(skipped[1].reason, /cannot be read.*optimizer/);
});
