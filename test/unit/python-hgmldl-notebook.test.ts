/**
 * The tutorial's own notebook (hg-mldl 7-2, "deep neural networks": Fashion-MNIST, train_test_split(test_size=0.2,
 * random_state=42), five models in one `model` variable, the optimizers of Keras's classic comparison), read as
 * Python runs it: Keras's fresh-session names checked against the summaries printed in the published outputs, and the
 * data each model's own cells prepared (the split as written, fit's validation_split / validation_data).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { readNotebook } from '../../src/model/python/notebook';

export const HGMLDL_NOTEBOOK = join(__dirname, '../fixtures/python/notebooks/hg-mldl-7-2.ipynb');

async function notebookModels() {
  const program = readNotebook(readFileSync(HGMLDL_NOTEBOOK, 'utf8'));
  assert.ok(!('error' in program));
  return parsePythonModels(program.text);
}

/** The text of every `model.summary()` output of the published notebook, in order. */
function publishedSummaries(): string[] {
  const cells = JSON.parse(readFileSync(HGMLDL_NOTEBOOK, 'utf8')).cells as {
    outputs?: { data?: { 'text/plain'?: string[] } }[];
  }[];
  const out: string[] = [];
  for (const c of cells) {
    const text = (c.outputs ?? []).map((o) => (o.data?.['text/plain'] ?? []).join('')).join('\n');
    // Keras 3 colours its summary with terminal escapes; the text is what matters.
    // eslint-disable-next-line no-control-regex
    if (/Model: "/.test(text)) out.push(text.replace(/\x1b\[[0-9;]*m/g, ''));
  }
  return out;
}

test('the fixture is the published notebook: its source is recorded and its cells are unchanged', () => {
  const nb = JSON.parse(readFileSync(HGMLDL_NOTEBOOK, 'utf8'));
  assert.equal(nb.metadata.model_lab_fixture.repository, 'rickiepark/hg-mldl');
  assert.equal(nb.metadata.model_lab_fixture.commit, '5b6a1df6c9ac9dd80b059e51c16b2fb5d0f79532');
  assert.equal(nb.cells.length, 32);
});

test('every summary has the names, shapes and parameter counts the published notebook printed', async () => {
  const models = await notebookModels();
  assert.equal(models.length, 5);
  const published = publishedSummaries();
  assert.equal(published.length, 4, 'summary() is called on four of the five models');
  // Cells 9, 12, 14 and 18 print the summaries of the models built in cells 8, 11, 13 and 17 (the fifth, cell 29,
  // is not printed in the notebook).
  for (const [i, text] of published.entries()) {
    const summary = analyze(models[i]).summary!;
    assert.match(text, new RegExp(`Model: "${summary.name}"`), `model ${i + 1} is ${summary.name}`);
    for (const l of summary.layers) {
      const shape = `\\(None, ${l.outputShape.slice(1).join(', ')}\\)`;
      assert.match(
        text,
        new RegExp(`${l.name} \\(${l.type}\\)\\s+│\\s+${shape}\\s+│\\s+${l.params.toLocaleString('en-US')}\\s`),
      );
    }
    assert.match(text, new RegExp(`Total params: ${summary.totalParams.toLocaleString('en-US')} `));
  }
  assert.deepEqual(
    models.map((m) => [analyze(m).summary!.name, analyze(m).layers.map((l) => l.name)]),
    [
      ['sequential', ['dense', 'dense_1']],
      ['패션 MNIST 모델', ['hidden', 'output']],
      ['sequential_1', ['dense_2', 'dense_3']],
      ['sequential_2', ['flatten', 'dense_4', 'dense_5']],
      ['sequential_3', ['flatten_1', 'dense_6', 'dense_7']],
    ],
  );
});

test('each model trains on the data its own cells prepared: the 80/20 split with random_state=42', async () => {
  const models = await notebookModels();
  const split = { name: 'fashion-mnist', validation_split: 0.2, seed: 42 };
  // Cell 5 reshapes to 784 values and splits; cell 19 reloads, scales, keeps 28×28 and splits again.
  assert.deepEqual(models[2].definition?.dataset, split);
  assert.equal(analyze(models[2]).summary?.layers[0].outputShape[1], 100);
  assert.deepEqual(models[3].definition?.dataset, split);
  assert.deepEqual(models[4].definition?.dataset, split);
  // compile() without an optimizer is Keras's rmsprop; the first fit is 5 epochs.
  assert.deepEqual(models[2].definition?.compile, { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  assert.equal(models[2].definition?.fit?.epochs, 5);
  // Never compiled, never fitted: no dataset of their own.
  assert.equal(models[0].definition?.dataset, undefined);
  assert.equal(models[1].definition?.dataset, undefined);
});

const fitOf = async (source: string) => {
  const [model] = await parsePythonModels(source);
  return { dataset: model.definition?.dataset, notes: model.diagnostics.map((d) => d.message) };
};
const head = `import keras
from sklearn.model_selection import train_test_split
(x, y), (x_test, y_test) = keras.datasets.mnist.load_data()
x = x / 255.0
`;
const model = `m = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10, activation="softmax")])
m.compile(loss="sparse_categorical_crossentropy")
`;

test('train_test_split: test_size, train_size, the sklearn default and random_state become the validation split', async () => {
  const cases: [string, unknown][] = [
    ['test_size=0.1, random_state=7', { name: 'mnist', validation_split: 0.1, seed: 7 }],
    ['train_size=0.75', { name: 'mnist', validation_split: 0.25 }],
    ['', { name: 'mnist', validation_split: 0.25 }],
    // A count of examples, not a fraction: the split is not followed, and Model Lab's default split applies.
    ['test_size=5000', 'mnist'],
  ];
  for (const [args, expected] of cases) {
    const split = `xa, xb, ya, yb = train_test_split(x, y${args ? ', ' + args : ''})\n`;
    const { dataset } = await fitOf(head + split + model + 'm.fit(xa, ya, epochs=1)\n');
    assert.deepEqual(dataset, expected, args);
  }
});

test("fit's validation_data: the held-out part of a split, the test set, or other data (said, not silently used)", async () => {
  const split = 'xa, xb, ya, yb = train_test_split(x, y, test_size=0.3, random_state=1)\n';
  const held = await fitOf(head + split + model + 'm.fit(xa, ya, validation_data=(xb, yb))\n');
  assert.deepEqual(held.dataset, { name: 'mnist', validation_split: 0.3, seed: 1 });
  assert.ok(!held.notes.some((m) => /validation_data/.test(m)));

  const test_ = await fitOf(head + model + 'm.fit(x, y, validation_data=(x_test, y_test))\n');
  assert.deepEqual(test_.dataset, { name: 'mnist', validation_split: 0, evaluate_test: true });

  const other = await fitOf(head + model + 'm.fit(x, y, validation_data=(x[:100], y[:100]))\n');
  assert.equal(other.dataset, 'mnist');
  assert.ok(other.notes.some((m) => /ignores fit's 'validation_data'.*not the held-out part/.test(m)));

  // shuffle=False: the same fraction, but the held-out rows differ from scikit-learn's, and that is said.
  const last = await fitOf(
    head + 'xa, xb, ya, yb = train_test_split(x, y, test_size=0.3, shuffle=False)\n' + model + 'm.fit(xa, ya)\n',
  );
  assert.deepEqual(last.dataset, { name: 'mnist', validation_split: 0.3 });
  assert.ok(last.notes.some((m) => /shuffle=False\) holds out the last examples/.test(m)));

  // fit's own validation_split wins over a split made before.
  const own = await fitOf(head + split + model + 'm.fit(xa, ya, validation_split=0.1)\n');
  assert.deepEqual(own.dataset, { name: 'mnist', validation_split: 0.1 });
});

test('a name means the data it holds where it is used: a later re-assignment to other data does not reach back', async () => {
  const src = `import keras
from sklearn.model_selection import train_test_split
(x, y), _ = keras.datasets.mnist.load_data()
xa, xb, ya, yb = train_test_split(x, y, test_size=0.1, random_state=3)
${model}m.fit(xa, ya)
(x, y), _ = keras.datasets.fashion_mnist.load_data()
xa, xb, ya, yb = train_test_split(x, y, test_size=0.3)
n = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10, activation="softmax")])
n.compile(loss="sparse_categorical_crossentropy")
n.fit(xa, ya)
`;
  const [first, second] = await parsePythonModels(src);
  // Raw pixels (never divided by 255) in both: scale 1.
  assert.deepEqual(first.definition?.dataset, { name: 'mnist', scale: 1, validation_split: 0.1, seed: 3 });
  assert.deepEqual(second.definition?.dataset, { name: 'fashion-mnist', scale: 1, validation_split: 0.3 });
});

test('the scaling applied to the pixels is followed: raw values train as raw, an offset is named', async () => {
  const load = `import keras
(x, y), _ = keras.datasets.fashion_mnist.load_data()
`;
  const fitOn = (prep: string, data: string) =>
    fitOf(
      `${load}${prep}m = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(10, activation="softmax")])
m.compile(loss="sparse_categorical_crossentropy")
m.fit(${data}, y)
`,
    );
  // Never divided: Keras trains on 0–255.
  assert.deepEqual((await fitOn('', 'x')).dataset, { name: 'fashion-mnist', scale: 1 });
  // Divided by 255 in any spelling: Model Lab's own 1/255, nothing to add.
  for (const [prep, data] of [
    ['x = x / 255.0\n', 'x'],
    ['x = x.astype("float32") / 255\n', 'x.reshape(-1, 28, 28)'],
    ['x = x * (1 / 255)\n', 'x[:1000]'],
    ['x = x.astype("float32")\nx /= 255.0\n', 'x'],
  ])
    assert.equal((await fitOn(prep, data)).dataset, 'fashion-mnist', prep);
  assert.deepEqual((await fitOn('x = x / 127.5\n', 'x')).dataset, { name: 'fashion-mnist', scale: 1 / 127.5 });
  const offset = await fitOn('x = (x - 127.5) / 127.5\n', 'x');
  assert.equal(offset.dataset, 'fashion-mnist');
  assert.ok(offset.notes.some((m) => /cannot follow what is done to these pixel values/.test(m)));
});

test('export keeps the scaling: raw pixels stay raw, another factor is written out', async () => {
  const { toKerasScript } = await import('../../src/model/python/keras-script');
  const def = (scale?: number) => ({
    dataset: { name: 'mnist', ...(scale !== undefined ? { scale } : {}) },
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  });
  assert.match(toKerasScript(def()), /x_train \/ 255\.0/);
  const raw = toKerasScript(def(1));
  assert.doesNotMatch(raw, /\/ 255\.0/);
  assert.match(raw, /stay 0-255/);
  assert.match(toKerasScript(def(0.5)), /x_train \* 0\.5/);
});
