/**
 * Keras 3's `model.summary()`, character for character against published Keras 3 output (test/fixtures/keras3-summaries,
 * whose README names every source): from .model.json transcriptions of rstudio/keras3's articles (printed at line
 * length 76, a terminal of 80 columns) and from the Python of rickiepark/hg-mldl's notebooks (Colab, line length 88,
 * Keras's default).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze, formatSummary, hoverAt, parseModelJson } from '../../src/model';
import { parsePythonModels } from '../../src/model/python/index';
import { readNotebook } from '../../src/model/python/notebook';
import { readableSize, wrapCell } from '../../src/model/summary-keras3';
import type { ModelSummary } from '../../src/model/types';

const DIR = join(__dirname, '../fixtures/keras3-summaries');
/** The published Python of the hg-mldl models is the corpus's (cells as published, the summary below as comments). */
const CORPUS = join(__dirname, '../fixtures/python/corpus');
const HGMLDL_NOTEBOOK = join(__dirname, '../fixtures/python/notebooks/hg-mldl-7-2.ipynb');
const read = (file: string) => readFileSync(join(DIR, file), 'utf8');

/** Keras colours its summary with terminal escapes in a notebook; the text is what it printed. */
// eslint-disable-next-line no-control-regex
const withoutColours = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');
/** knitr prints R output indented 4 and prefixed with "## ". */
const fromKnitr = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^ {4}## /, ''))
    .join('\n') + '\n';

function jsonSummary(file: string): ModelSummary {
  const a = analyze(parseModelJson(read(file)));
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return a.summary!;
}

async function pythonSummary(file: string): Promise<ModelSummary> {
  const models = await parsePythonModels(readFileSync(join(CORPUS, file), 'utf8'));
  assert.equal(models.length, 1);
  return analyze(models[0]).summary!;
}

test('a Sequential CNN (rstudio/keras3 mnist_convnet, line length 76): "Total params: 34,826 (136.04 KB)"', () => {
  const summary = jsonSummary('rstudio-keras3--mnist_convnet.model.json');
  assert.equal(
    formatSummary(summary, { style: 'keras3', lineLength: 76 }),
    fromKnitr(read('rstudio-keras3--mnist_convnet.summary.txt')),
  );
});

test('a functional ResNet with "Connected to" (rstudio/keras3 toy_resnet, 76): wrapped cells and "…" cuts', () => {
  const summary = jsonSummary('rstudio-keras3--functional_api--toy_resnet.model.json');
  assert.equal(
    formatSummary(summary, { style: 'keras3', lineLength: 76 }),
    fromKnitr(read('rstudio-keras3--functional_api--toy_resnet.summary.txt')),
  );
});

test('BatchNormalization: non-trainable params and their size, with the Trainable column (rstudio/keras3, 76)', () => {
  const summary = jsonSummary('rstudio-keras3--timeseries_classification_from_scratch.model.json');
  assert.equal(summary.nonTrainableParams, 384);
  assert.equal(
    formatSummary(summary, { style: 'keras3', lineLength: 76, showTrainable: true }),
    fromKnitr(read('rstudio-keras3--timeseries_classification_from_scratch.summary.txt')),
  );
});

test('a Sequential CNN read from its published Python (hg-mldl 8-2), at Keras 3 default width 88', async () => {
  const summary = await pythonSummary('hg-mldl--8-2--cell10.py');
  assert.equal(formatSummary(summary, { style: 'keras3' }), withoutColours(read('hg-mldl-8-2--cell11.summary.txt')));
});

test('Embedding + LSTM read from its published Python (hg-mldl 9-3)', async () => {
  const summary = await pythonSummary('hg-mldl--9-3--cell6.py');
  assert.equal(formatSummary(summary, { style: 'keras3' }), withoutColours(read('hg-mldl-9-3--cell6.summary.txt')));
});

test('the four summaries of the hg-mldl 7-2 notebook, read from the notebook, as its outputs printed them', async () => {
  const raw = readFileSync(HGMLDL_NOTEBOOK, 'utf8');
  const program = readNotebook(raw);
  assert.ok(!('error' in program));
  const models = await parsePythonModels(program.text);
  const cells = JSON.parse(raw).cells as { outputs?: { data?: { 'text/plain'?: string[] } }[] }[];
  const printed = cells
    .map((c) => withoutColours((c.outputs ?? []).map((o) => (o.data?.['text/plain'] ?? []).join('')).join('')))
    .filter((t) => t.startsWith('Model: "'));
  assert.equal(printed.length, 4);
  printed.forEach((text, i) => assert.equal(formatSummary(analyze(models[i]).summary!, { style: 'keras3' }), text));
});

test('the Keras 2 table stays the default', () => {
  const summary = jsonSummary('rstudio-keras3--mnist_convnet.model.json');
  assert.equal(formatSummary(summary), formatSummary(summary, { style: 'keras2' }));
  assert.match(formatSummary(summary), /^Total params: 34,826$/m);
});

test("Keras 3's default names: a functional model is 'functional' and its input 'input_layer' (Keras 2: model, input_1)", () => {
  const def = {
    layers: [
      { type: 'InputLayer', shape: [4] },
      { type: 'Dense', units: 3 },
      { type: 'Dense', units: 2, name: 'right', inputs: 'input_1' },
      { type: 'Concatenate', inputs: ['dense', 'right'] },
    ],
  };
  const summary = analyze(parseModelJson(JSON.stringify(def))).summary!;
  const keras2 = formatSummary(summary);
  assert.match(keras2, /^Model: "model"$/m);
  assert.match(keras2, /input_1 \(InputLayer\)/);
  const text = formatSummary(summary, { style: 'keras3' });
  assert.match(text, /^Model: "functional"$/m);
  assert.match(text, /│ input_layer \(InputLayer\) +│ \(None, 4\) +│ +0 │ - +│/);
  assert.match(text, /│ right \(Dense\) +│ \(None, 2\) +│ +10 │ input_layer\[0\]\[0\] +│/);
  assert.match(text, /│ concatenate \(Concatenate\) +│ \(None, 5\) +│ +0 │ dense\[0\]\[0\], right\[0\]\[0\] +│/);
  // 108 columns: Keras's default line length for a table with "Connected to".
  assert.ok(
    text
      .split('\n')
      .slice(1, -4)
      .every((l) => l.length === 108),
  );
});

test('sizes as Keras rounds them: powers of 1024, two decimals, ties to even', () => {
  assert.equal(readableSize(0), '0.00 B');
  assert.equal(readableSize(1020), '1020.00 B');
  assert.equal(readableSize(1024), '1.00 KB');
  assert.equal(readableSize(34826 * 4), '136.04 KB');
  // 1.125 KB and 1.375 KB are exact ties: Python's format rounds them to even.
  assert.equal(readableSize(1152), '1.12 KB');
  assert.equal(readableSize(1408), '1.38 KB');
  assert.equal(readableSize(333526 * 4), '1.27 MB');
  assert.equal(readableSize(1024 ** 3 * 3), '3.00 GB');
});

test("a cell wraps at spaces and cuts a word longer than its column with '…', as rich does", () => {
  assert.deepEqual(wrapCell('max_pooling2d_2 (MaxPooling2D)', 19, 'left'), [
    'max_pooling2d_2    ',
    '(MaxPooling2D)     ',
  ]);
  assert.deepEqual(wrapCell('global_average_pooling2d (GlobalAveragePooling2D)', 10, 'left'), [
    'global_av…',
    '(GlobalAv…',
  ]);
  assert.deepEqual(wrapCell('18,496', 10, 'right'), ['    18,496']);
  assert.deepEqual(wrapCell('Trainable', 5, 'center'), ['Trai…']);
  assert.deepEqual(wrapCell('Y', 5, 'center'), ['  Y  ']);
  assert.deepEqual(wrapCell('', 3, 'left'), ['   ']);
});

test('Hangul and CJK take two cells each, as rich counts them (expected lines computed with rich 13)', () => {
  assert.deepEqual(wrapCell('밀집층 (Dense)', 8, 'left'), ['밀집층  ', '(Dense) ']);
  assert.deepEqual(wrapCell('가나다라마바사아자차', 9, 'left'), ['가나다라…']);
  assert.deepEqual(wrapCell('가나다라마바사아자차', 10, 'left'), ['가나다라 …']);
  assert.deepEqual(wrapCell('패션 MNIST 모델', 10, 'right'), ['패션 MNIST', '      모델']);
});

test('the hover on the layer list prints the chosen style', () => {
  const text = `{\n  "layers": [\n    { "type": "Dense", "units": 10, "input_shape": [784] }\n  ]\n}`;
  const parsed = parseModelJson(text);
  const analysis = analyze(parsed);
  const onLayers = { line: 1, character: 4 };
  assert.match(hoverAt(parsed, analysis, onLayers)!.markdown, /\nTotal params: 7,850\n/);
  assert.match(hoverAt(parsed, analysis, onLayers, 'keras2')!.markdown, /\nTotal params: 7,850\n/);
  const keras3 = hoverAt(parsed, analysis, onLayers, 'keras3')!.markdown;
  assert.ok(keras3.startsWith('```\nModel: "sequential"\n┏'));
  assert.match(keras3, /\n Total params: 7,850 \(30\.66 KB\)\n/);
});

test("Keras 3 counts 'input_layer' per session, the InputLayer each Sequential makes included: a functional model's input after a Sequential is input_layer_1", async () => {
  // keras/src/models/sequential.py: `add` makes `InputLayer(shape=layer._input_shape_arg)` for a first layer given
  // `input_shape`; keras/src/ops/operation.py names it `auto_name("InputLayer")` = uniquify("input_layer") from the
  // session's counters (keras/src/backend/common/global_state.py). Keras 2 names that input `dense_input` and counts
  // `input` only for keras.Input, so the functional model's input stays input_1 there.
  const text = `from tensorflow import keras
seq = keras.Sequential([keras.layers.Dense(4, input_shape=(8,))])
inputs = keras.Input(shape=(8,))
outputs = keras.layers.Dense(2)(inputs)
other = keras.Input(shape=(3,))
merged = keras.layers.Concatenate()([outputs, other])
model = keras.Model(inputs=[inputs, other], outputs=merged)
`;
  const models = await parsePythonModels(text);
  assert.equal(models.length, 2);
  const a = analyze(models[1]);
  const keras2 = formatSummary(a.summary!, { style: 'keras2', ...a.summaryPrint });
  assert.match(keras2, /input_1 \(InputLayer\)/);
  assert.match(keras2, /input_2 \(InputLayer\)/);
  const keras3 = formatSummary(a.summary!, { style: 'keras3', ...a.summaryPrint });
  assert.match(keras3, /^Model: "functional"$/m);
  assert.match(keras3, /│ input_layer_1 \(InputLayer\)/);
  assert.match(keras3, /│ input_layer_2 \(InputLayer\)/);
  assert.match(keras3, /│ dense_1 \(Dense\) +│ \(None, 2\) +│ +18 │ input_layer_1\[0\]\[0\] +│/);
  assert.doesNotMatch(keras3, /input_layer \(/);
  // Without the Sequential before it, the first input is input_layer, as before.
  const alone = await parsePythonModels(text.replace(/^seq = .*\n/m, ''));
  const b = analyze(alone[0]);
  assert.match(formatSummary(b.summary!, { style: 'keras3', ...b.summaryPrint }), /│ input_layer \(InputLayer\)/);
});
