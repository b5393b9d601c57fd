/**
 * `model.summary(show_trainable=True)`: read where the script calls it, so the summary Model Lab shows is the table the
 * script prints, with Keras 2's Y/N "Trainable" column (line 11 longer) or Keras 3's (Y/N, "-" without weights); the
 * CLI's `summary --show-trainable` asks for it on any model. Keras 2's table against Keras's own test of it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';
import { analyze, formatSummary } from '../../src/model';
import { parsePythonModels } from '../../src/model/python/index';

const FIXTURES = join(__dirname, '../fixtures/python/show-trainable');

async function analysed(text: string) {
  const models = await parsePythonModels(text);
  return models.map((m) => analyze(m));
}

test("Keras 2: the table of keras/utils/layer_utils_test.py's show_trainable test, read from the script's summary call", async () => {
  const [a] = await analysed(readFileSync(join(FIXTURES, 'keras2-layer-utils-test.py'), 'utf8'));
  assert.deepEqual(a.summaryPrint, { showTrainable: true });
  const text = formatSummary(a.summary!, { ...a.summaryPrint, style: 'keras2' });
  const expected = readFileSync(join(FIXTURES, 'keras2-layer-utils-test.table.txt'), 'utf8');
  assert.ok(text.startsWith(expected), text);
  assert.match(text, /^Total params: 127\nTrainable params: 65\nNon-trainable params: 62\n_{76}\n$/m);
});

const FROZEN = `from tensorflow import keras
model = keras.Sequential([
    keras.layers.Dense(4, input_shape=(8,), trainable=False),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(2),
])
`;

test('Keras 3: Y, N and "-" for a layer without weights, the table 12 columns wider', async () => {
  const [a] = await analysed(FROZEN + 'model.summary(show_trainable=True)\n');
  const text = formatSummary(a.summary!, { ...a.summaryPrint, style: 'keras3' });
  // Keras 3's column is narrower than its header, which rich cuts (the published timeseries example at line length 76
  // shows `Trai…`; at the default 88 + 12 it is `Traina…`).
  assert.match(text, /┃ Layer \(type\) +┃ Output Shape +┃ +Param # ┃ Traina… ┃/);
  assert.match(text, /│ dense \(Dense\) +│ \(None, 4\) +│ +36 │ +N +│/);
  assert.match(text, /│ dropout \(Dropout\) +│ \(None, 4\) +│ +0 │ +- +│/);
  assert.match(text, /│ dense_1 \(Dense\) +│ \(None, 2\) +│ +10 │ +Y +│/);
  assert.equal(text.split('\n')[1].length, 100);
});

test('Keras 2: a frozen layer without weights prints N (its trainable flag), Keras 3 "-"', async () => {
  // keras/utils/layer_utils.py (2.x) print_summary: `fields.append("Y" if layer.trainable else "N")`, weights or not;
  // Keras 3's summary_utils prints "-" for a layer without weights.
  const [a] = await analysed(`from tensorflow import keras
model = keras.Sequential([
    keras.layers.Flatten(input_shape=[28, 28]),
    keras.layers.Dense(100, activation="relu"),
    keras.layers.Dropout(0.2, trainable=False),
    keras.layers.Dense(10, activation="softmax"),
])
for layer in model.layers[:2]:
    layer.trainable = False
model.summary(show_trainable=True)
`);
  const keras2 = formatSummary(a.summary!, { ...a.summaryPrint, style: 'keras2' });
  assert.match(keras2, /^ flatten \(Flatten\) +\(None, 784\) +0 +N$/m);
  assert.match(keras2, /^ dense \(Dense\) +\(None, 100\) +78500 +N$/m);
  assert.match(keras2, /^ dropout \(Dropout\) +\(None, 100\) +0 +N$/m);
  assert.match(keras2, /^ dense_1 \(Dense\) +\(None, 10\) +1010 +Y$/m);
  const keras3 = formatSummary(a.summary!, { ...a.summaryPrint, style: 'keras3' });
  assert.match(keras3, /│ flatten \(Flatten\) +│ \(None, 784\) +│ +0 │ +- +│/);
  assert.match(keras3, /│ dense \(Dense\) +│ \(None, 100\) +│ +78,500 │ +N +│/);
});

test('no column unless the script asks for it; a functional model and a returned model read it too', async () => {
  for (const call of ['model.summary()\n', 'model.summary(show_trainable=False)\n', 'print(model)\n']) {
    const [a] = await analysed(FROZEN + call);
    assert.equal(a.summaryPrint, undefined, call);
    assert.doesNotMatch(formatSummary(a.summary!), /Param # +Trainable/);
  }
  const [f] = await analysed(`from tensorflow import keras
inputs = keras.Input(shape=(8,))
hidden = keras.layers.Dense(4, trainable=False)(inputs)
left = keras.layers.Dense(2)(hidden)
right = keras.layers.Dense(2)(hidden)
merged = keras.layers.Concatenate()([left, right])
model = keras.Model(inputs=inputs, outputs=merged)
model.summary(show_trainable=True)
`);
  const text = formatSummary(f.summary!, { ...f.summaryPrint });
  // Keras 2's graph table: 98 + 11 columns, Trainable last.
  assert.match(text, /^ Layer \(type\) +Output Shape +Param # +Connected to +Trainable$/m);
  assert.match(text, /^_{109}$/m);
  assert.match(text, /^ dense \(Dense\) +\(None, 4\) +36 +\['input_1\[0\]\[0\]'\] +N$/m);
  const [r] = await analysed(`from tensorflow import keras
def build():
    model = keras.Sequential([keras.layers.Dense(4, input_shape=(8,))])
    return model
m = build()
m.summary(show_trainable=True)
`);
  assert.deepEqual(r.summaryPrint, { showTrainable: true });
});

test("CLI: summary --show-trainable adds the column to any model; the script's own call turns it on without the flag", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-lab-trainable-'));
  writeFileSync(join(dir, 'frozen.py'), FROZEN);
  writeFileSync(join(dir, 'asks.py'), FROZEN + 'model.summary(show_trainable=True)\n');
  const run = async (...argv: string[]) => {
    let out = '';
    const code = await main(argv, {
      out: (t) => (out += t),
      err: () => undefined,
      cwd: dir,
      env: {},
      signal: new AbortController().signal,
    });
    return { code, out };
  };
  const plain = await run('summary', 'frozen.py');
  assert.equal(plain.code, 0);
  assert.doesNotMatch(plain.out, /Trainable {2}|Trainable$/m);
  const flagged = await run('summary', 'frozen.py', '--show-trainable');
  assert.match(flagged.out, /^ dense \(Dense\) +\(None, 4\) +36 +N$/m);
  assert.match(flagged.out, /^ dropout \(Dropout\) +\(None, 4\) +0 +Y$/m);
  const own = await run('summary', 'asks.py');
  assert.equal(own.out, flagged.out);
  const k3 = await run('summary', 'asks.py', '--style', 'keras3');
  assert.match(k3.out, /│ dropout \(Dropout\) +│ \(None, 4\) +│ +0 │ +- +│/);
});
