import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { expandComparison } from '../../src/model/compare';
import { effectiveOptimizer } from '../../src/model/optimizers';
import { parseModelJson } from '../../src/model/parse-json';
import { parsePythonModels } from '../../src/model/python/index';
import { toKerasScript } from '../../src/model/python/keras-script';
import { parsePythonTree } from '../../src/model/python/tree-sitter';
import type { ModelDefinition, ParsedModel } from '../../src/model/types';

const EXAMPLES = join(__dirname, '../../examples');
const PYTHON = '/usr/bin/python3';

/** Every definition the examples hold: the .model.json files and each model of the .py files. */
async function exampleDefinitions(): Promise<[string, ModelDefinition][]> {
  const out: [string, ModelDefinition][] = [];
  for (const f of readdirSync(EXAMPLES).sort()) {
    if (!f.endsWith('.model.json') && !f.endsWith('.py')) continue;
    const text = readFileSync(join(EXAMPLES, f), 'utf8');
    const parsed: ParsedModel[] = f.endsWith('.py') ? await parsePythonModels(text) : [parseModelJson(text)];
    parsed.forEach((p, i) => {
      assert.ok(p.definition, `${f} reads`);
      out.push([`${f}#${i + 1}`, p.definition]);
    });
  }
  return out;
}

/** What training uses, with Model Lab's defaults filled in, so that `'adam'` equals `Adam(learning_rate=0.001, …)`. */
function effective(def: ModelDefinition) {
  const a = analyze({ definition: def, ranges: { values: new Map(), keys: new Map() }, diagnostics: [], range: ZERO });
  const ds = typeof def.dataset === 'string' ? { name: def.dataset } : (def.dataset ?? {});
  return {
    layers: a.summary?.layers.map((l) => [l.type, l.outputShape, l.params]),
    totalParams: a.summary?.totalParams,
    optimizer: effectiveOptimizer(def.compile?.optimizer),
    loss: a.loss,
    epochs: def.fit?.epochs ?? 1,
    batch_size: def.fit?.batch_size ?? 32,
    shuffle: def.fit?.shuffle ?? true,
    seed: def.fit?.seed ?? 42,
    // The exported script loads the Fashion-MNIST family through keras.datasets; CSV/IDX loaders are not read back.
    fashion: ds.csv === undefined && ds.path === undefined,
    validation_split: ds.validation_split ?? 0.2,
  };
}
const ZERO = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

test('each example exports to a script that reads back as the same model, compile and fit', async () => {
  const defs = await exampleDefinitions();
  assert.ok(defs.length >= 3, 'the examples are there');
  for (const [name, full] of defs) {
    const { compare: _c, ...def } = full;
    const script = toKerasScript(def, { source: name });
    const back = await parsePythonModels(script);
    assert.equal(back.length, 1, `${name}: one model in the script`);
    assert.equal(back[0].incomplete, undefined, `${name}: fully readable`);
    // Data the script reads itself (a CSV with pandas, IDX files, the bundled sample) is not followed back into a data
    // set: the read-back model says Train would run it on Fashion-MNIST, and says nothing else.
    const fromFile =
      back[0].definition?.dataset === undefined ? ['python-ignored: Model Lab cannot tell what data this is'] : [];
    assert.deepEqual(
      back[0].diagnostics.map((d) => `${d.code}: ${d.message.slice(0, 39)}`),
      fromFile,
      `${name}: no diagnostics`,
    );
    const expected = effective(def);
    assert.ok(expected.layers, `${name}: the example has a summary`);
    const got = effective(back[0].definition!);
    assert.deepEqual({ ...got, fashion: expected.fashion }, expected, name);
    assert.equal(back[0].definition?.dataset !== undefined, expected.fashion, `${name}: dataset read back`);
    assert.equal(back[0].definition?.name, def.name, `${name}: model name`);
  }
});

test('exported scripts, comparisons included, are valid Python', async (t) => {
  const defs = await exampleDefinitions();
  const dir = mkdtempSync(join(tmpdir(), 'model-lab-export-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, def] of defs) {
    const script = toKerasScript(def);
    const tree = await parsePythonTree(script);
    try {
      assert.equal(tree.rootNode.hasError, false, `${name}: tree-sitter finds no syntax error`);
    } finally {
      tree.delete();
    }
    if (def.compare) {
      // One entry per run Model Lab would train (each holds exactly one optimizer constructor).
      assert.equal(script.match(/"optimizer": lambda:/g)?.length, expandComparison(def).length, name);
    }
    if (existsSync(PYTHON)) {
      const file = join(dir, `${name.replace(/\W/g, '_')}.py`);
      writeFileSync(file, script);
      execFileSync(PYTHON, ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])', file]);
    }
  }
});

test('a comparison becomes a loop over the variants with their overrides', () => {
  const def: ModelDefinition = {
    dataset: 'fashion-mnist',
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units: 100, activation: 'relu' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    fit: { epochs: 3 },
    compare: {
      variants: [
        { label: 'relu', set: {} },
        { label: 'sigmoid', set: { 'layers[1].activation': 'sigmoid', 'fit.batch_size': 128 } },
      ],
      repeats: 2,
    },
  };
  const script = toKerasScript(def);
  assert.match(script, /keras\.layers\.Dense\(100, activation=variant\.get\("layers\[1\]\.activation", "relu"\)\)/);
  assert.match(script, /batch_size=variant\.get\("fit\.batch_size", 32\)/);
  assert.match(
    script,
    /"label": "sigmoid",\s+"optimizer": [^\n]+\n\s+"layers\[1\]\.activation": "sigmoid",\s+"fit\.batch_size": 128,/,
  );
  assert.match(script, /REPEATS = 2/);
  assert.match(script, /keras\.utils\.set_random_seed\(SEED \+ repeat\)/);
  // No optimizer given: every run uses Keras's compile() default, RMSprop, with its hyper-parameters written out.
  assert.equal(
    script.match(
      /keras\.optimizers\.RMSprop\(learning_rate=0\.001, rho=0\.9, momentum=0\.0, epsilon=1e-7, centered=False\)/g,
    )?.length,
    2,
  );
});

test('CSV and IDX-folder datasets load from paths relative to the script', () => {
  const layers = [{ type: 'Dense', units: 3, input_shape: [4], activation: 'softmax' }];
  const csv = toKerasScript(
    { dataset: { csv: 'data/iris.csv', label: 'species' }, layers },
    { baseDir: '/w/models', outDir: '/w/out' },
  );
  assert.match(csv, /pd\.read_csv\(Path\(__file__\)\.resolve\(\)\.parent \/ "\.\.\/models\/data\/iris\.csv"\)/);
  assert.match(csv, /labels = data\.pop\("species"\)/);
  assert.doesNotMatch(csv, /255/, 'CSV features are not pixels');
  assert.doesNotMatch(csv, /evaluate/, 'a CSV file has no test set');
  const idx = toKerasScript(
    {
      dataset: { path: 'fmnist' },
      layers: [
        { type: 'Flatten', input_shape: [28, 28] },
        { type: 'Dense', units: 10 },
      ],
    },
    { baseDir: '/w', outDir: '/w' },
  );
  assert.match(idx, /DATA_DIR = Path\(__file__\)\.resolve\(\)\.parent \/ "fmnist"/);
  assert.match(idx, /load_idx\("t10k-labels-idx1-ubyte"\)/);
  assert.match(idx, /x_train, x_test = x_train \/ 255\.0, x_test \/ 255\.0/);
});

test('layers are written as the Keras docs write them: required arguments first, shapes as tuples', () => {
  const script = toKerasScript({
    layers: [
      { type: 'Reshape', target_shape: [28, 28, 1], input_shape: [784] },
      { type: 'Conv2D', filters: 8, kernel_size: [3, 3], strides: 1, padding: 'same' },
      { type: 'GlobalAveragePooling2D' },
      { type: 'Dense', units: 1, activation: 'sigmoid', name: 'out' },
    ],
    compile: {
      optimizer: { type: 'SGD', learning_rate: 0.1, momentum: 0.9, nesterov: true },
      loss: 'binary_crossentropy',
    },
  });
  assert.match(script, /^ {8}keras\.Input\(shape=\(784,\)\),$/m);
  assert.match(script, /^ {8}keras\.layers\.Reshape\(\(28, 28, 1\)\),$/m);
  assert.match(script, /^ {8}keras\.layers\.Conv2D\(8, \(3, 3\), strides=1, padding="same"\),$/m);
  assert.match(script, /^ {8}keras\.layers\.GlobalAveragePooling2D\(\),$/m);
  assert.match(script, /^ {8}keras\.layers\.Dense\(1, activation="sigmoid", name="out"\),$/m);
  assert.match(script, /optimizer=keras\.optimizers\.SGD\(learning_rate=0\.1, momentum=0\.9, nesterov=True\)/);
  assert.match(script, /metrics=\["accuracy"\]/, 'binary cross-entropy is a classification loss');
});
