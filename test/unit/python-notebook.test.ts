/**
 * Jupyter notebooks: code cells in order as one program, magics and markdown left out, positions back in cells;
 * the CLI reads `.ipynb` like `.py`. The fixture is cells of a published notebook (source in its metadata).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import { cellOfLine, readNotebook } from '../../src/model/python/notebook';

const FIXTURE = join(__dirname, '../fixtures/python/notebooks/handson-ml2-ch10.ipynb');

const nb = (cells: { type?: string; source: string | string[] }[], language = 'python') =>
  JSON.stringify({
    cells: cells.map((c) => ({ cell_type: c.type ?? 'code', source: c.source, metadata: {}, outputs: [] })),
    metadata: { language_info: { name: language } },
    nbformat: 4,
    nbformat_minor: 5,
  });

test('code cells in order; markdown skipped; magics blanked to spaces so columns stay', () => {
  const program = readNotebook(
    nb([
      { type: 'markdown', source: '# Title' },
      { source: ['%matplotlib inline\n', 'import keras\n', '!pip install x'] },
      { source: '%%bash\necho hi' },
      { source: '%%time\nm = keras.Sequential()\nfiles = !ls\nm?' },
    ]),
  );
  assert.ok(!('error' in program));
  assert.equal(
    program.text,
    `${' '.repeat(18)}\nimport keras\n${' '.repeat(14)}\n      \n       \n      \nm = keras.Sequential()\n${' '.repeat(11)}\n  \n`,
  );
  assert.deepEqual(program.cells, [
    { cell: 2, startLine: 0, lineCount: 3 },
    { cell: 3, startLine: 3, lineCount: 2 },
    { cell: 4, startLine: 5, lineCount: 4 },
  ]);
  assert.deepEqual(cellOfLine(program.cells, 6), { cell: 4, line: 1 });
});

test('not a notebook, another language, broken JSON: one sentence each', () => {
  assert.match((readNotebook('{') as { error: string }).error, /not valid JSON/);
  assert.match((readNotebook('{"a": 1}') as { error: string }).error, /not a Jupyter notebook/);
  assert.match((readNotebook(nb([{ source: 'x' }], 'R')) as { error: string }).error, /language is r/);
});

test('the published Hands-On ML chapter 10 cells: clear_session() restarts Keras names; numbers as published', async () => {
  const program = readNotebook(readFileSync(FIXTURE, 'utf8'));
  assert.ok(!('error' in program));
  const models = await parsePythonModels(program.text);
  assert.equal(models.length, 2);
  const published = (JSON.parse(readFileSync(FIXTURE, 'utf8')).cells as { outputs?: { text?: string[] }[] }[])
    .flatMap((c) => c.outputs ?? [])
    .map((o) => (o.text ?? []).join(''))
    .join('');
  const second = analyze(models[1]).summary!;
  assert.match(published, /Model: "sequential"/);
  for (const l of second.layers)
    assert.match(
      published,
      new RegExp(`${l.name} \\(${l.type}\\)\\s+\\(None, ${l.outputShape[1]}\\)\\s+${l.params}\\b`),
    );
  assert.match(published, new RegExp(`Total params: ${second.totalParams.toLocaleString('en-US')}`));
  assert.equal(models[1].definition?.name, undefined, 'sequential again, not sequential_1');
});

test('without clear_session a second model is sequential_1 with dense_2…, and explicit names win', async () => {
  const text = `import keras
a = keras.Sequential([keras.layers.Dense(3, input_shape=(2,)), keras.layers.Dense(1)])
b = keras.Sequential([keras.layers.Dense(3, input_shape=(2,)), keras.layers.Dense(1, name="out")])
c = keras.Sequential([keras.layers.Dense(3, input_shape=(2,))], name="mine")
`;
  const models = await parsePythonModels(text);
  assert.deepEqual(
    models.map((m) => [m.definition?.name, analyze(m).layers.map((l) => l.name)]),
    [
      [undefined, ['dense', 'dense_1']],
      ['sequential_1', ['dense_2', 'out']],
      ['mine', ['dense_3']],
    ],
  );
});

test('CLI: summary and check read .ipynb; positions read file.ipynb:cell N:line:col', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-lab-nb-'));
  writeFileSync(join(dir, 'ch10.ipynb'), readFileSync(FIXTURE));
  writeFileSync(
    join(dir, 'bad.ipynb'),
    nb([
      { type: 'markdown', source: 'x' },
      { source: 'import keras' },
      { source: 'model = keras.Sequential([\n    keras.layers.Dense(0, input_shape=(4,))])' },
    ]),
  );
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(argv, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      cwd: dir,
      env: {},
      signal: new AbortController().signal,
    });
    return { code, out, err };
  };
  const summary = await run('summary', 'ch10.ipynb');
  assert.equal(summary.code, 0, summary.err);
  assert.match(summary.out, /Total params: 266,610/);
  const check = await run('check', 'bad.ipynb');
  assert.equal(check.code, 2);
  assert.match(check.out, /^bad\.ipynb:cell 3:2:24: error: /m);
});

test('a model cut short is marked complete: false with where it stopped; no whole-model checks; summary and check agree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-lab-cut-'));
  writeFileSync(
    join(dir, 'cut.py'),
    `import keras
good = keras.Sequential([keras.layers.Dense(10, input_shape=(4,), activation="softmax")])
good.compile(loss="sparse_categorical_crossentropy")
cut = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)), keras.layers.Dense(64), MyBlock(3), keras.layers.Dense(10, activation="softmax")])
cut.compile(loss="sparse_categorical_crossentropy")
none = keras.Sequential([MyBlock(3)])
`,
  );
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(argv, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      cwd: dir,
      env: {},
      signal: new AbortController().signal,
    });
    return { code, out, err };
  };
  const check = await run('check', 'cut.py');
  const text = await run('summary', 'cut.py');
  const json = await run('summary', 'cut.py', '--json');
  assert.equal(check.code, 0, check.out);
  assert.equal(text.code, 0, text.err);
  assert.equal(json.code, 0);
  assert.doesNotMatch(check.out, /loss|outputs/, 'no loss-vs-last-layer check on a model that is cut short');
  assert.match(
    text.out,
    /Incomplete: layer 3 cannot be read statically \('MyBlock' is not a Keras layer class Model Lab knows\) \(line 4, column 93\); the layers from there on are not shown or counted in the totals above\./,
  );
  const summaries = JSON.parse(json.out) as { complete?: boolean; incomplete?: { line: number; character: number } }[];
  assert.deepEqual(
    summaries.map((s) => s.complete),
    [undefined, false],
  );
  assert.deepEqual(
    summaries[1].incomplete && [summaries[1].incomplete.line, summaries[1].incomplete.character],
    [4, 93],
  );
});
