/** The graph (functional) form: references, cycles, merges, Keras's functional summary and the merge hover. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, formatSummary, hoverAt, parseModelJson, type Analysis } from '../../src/model';

const parse = (def: object) => parseModelJson(JSON.stringify(def, null, 2));
const run = (def: object): Analysis => analyze(parse(def));
const errors = (a: Analysis) => a.diagnostics.filter((d) => d.severity === 'error');

/** Input(16) → a → b, and a skip Dense from the input, added, then one output unit. */
const residual = {
  layers: [
    { type: 'InputLayer', shape: [16], name: 'in' },
    { type: 'Dense', units: 32, activation: 'relu', name: 'a' },
    { type: 'Dense', units: 32, name: 'b' },
    { type: 'Dense', units: 32, name: 'skip', inputs: 'in' },
    { type: 'Add', inputs: ['b', 'skip'] },
    { type: 'Dense', units: 1, name: 'out' },
  ],
};

test('a residual graph: 16·32+32 + 32·32+32 + 16·32+32 + 0 + 32+1 = 544 + 1,056 + 544 + 33 = 2,177, in the Keras functional layout', () => {
  const a = run(residual);
  assert.deepEqual(errors(a), []);
  assert.equal(a.summary?.totalParams, 2177);
  const expected = [
    'Model: "model"',
    '_'.repeat(98),
    ' Layer (type)                   Output Shape         Param #     Connected to',
    '='.repeat(98),
    ' in (InputLayer)                [(None, 16)]         0           []',
    '',
    " a (Dense)                      (None, 32)           544         ['in[0][0]']",
    '',
    " b (Dense)                      (None, 32)           1056        ['a[0][0]']",
    '',
    " skip (Dense)                   (None, 32)           544         ['in[0][0]']",
    '',
    " add (Add)                      (None, 32)           0           ['b[0][0]',",
    "                                                                  'skip[0][0]']",
    '',
    " out (Dense)                    (None, 1)            33          ['add[0][0]']",
    '',
    '='.repeat(98),
    'Total params: 2,177',
    'Trainable params: 2,177',
    'Non-trainable params: 0',
    '_'.repeat(98),
    '',
  ].join('\n');
  assert.equal(formatSummary(a.summary!), expected);
});

test('published Keras 2.7 summary of an image-captioning model (two inputs, Embedding + LSTM, add): same rows, order and totals', () => {
  // Source: a Keras 2.7 training log in a public image-captioning project (README "Model summary"): Input(2048) →
  // Dropout → Dense(256); Input(32) → Embedding(8829, 10, frozen) → Dropout → LSTM(256); add → Dense(256) → Dense(7577).
  const def = {
    layers: [
      { type: 'InputLayer', shape: [2048] },
      { type: 'Dropout', rate: 0.5 },
      { type: 'Dense', units: 256, activation: 'relu' },
      { type: 'InputLayer', shape: [32] },
      { type: 'Embedding', input_dim: 8829, output_dim: 10, mask_zero: true, trainable: false },
      { type: 'Dropout', rate: 0.5 },
      { type: 'LSTM', units: 256 },
      { type: 'Add', inputs: ['dense', 'lstm'] },
      { type: 'Dense', units: 256, activation: 'relu' },
      { type: 'Dense', units: 7577, activation: 'softmax' },
    ],
  };
  const a = run(def);
  assert.deepEqual(errors(a), []);
  const published = `Model: "model"
__________________________________________________________________________________________________
 Layer (type)                   Output Shape         Param #     Connected to
==================================================================================================
 input_2 (InputLayer)           [(None, 32)]         0           []

 input_1 (InputLayer)           [(None, 2048)]       0           []

 embedding (Embedding)          (None, 32, 10)       88290       ['input_2[0][0]']

 dropout (Dropout)              (None, 2048)         0           ['input_1[0][0]']

 dropout_1 (Dropout)            (None, 32, 10)       0           ['embedding[0][0]']

 dense (Dense)                  (None, 256)          524544      ['dropout[0][0]']

 lstm (LSTM)                    (None, 256)          273408      ['dropout_1[0][0]']

 add (Add)                      (None, 256)          0           ['dense[0][0]',
                                                                  'lstm[0][0]']

 dense_1 (Dense)                (None, 256)          65792       ['add[0][0]']

 dense_2 (Dense)                (None, 7577)         1947289     ['dense_1[0][0]']

==================================================================================================
Total params: 2,899,323
Trainable params: 2,811,033
Non-trainable params: 88,290
__________________________________________________________________________________________________
`;
  assert.equal(formatSummary(a.summary!), published);
});

test('a graph that is a plain chain prints in the Sequential layout, with its InputLayer row', () => {
  const a = run({
    outputs: 'dense',
    layers: [
      { type: 'InputLayer', shape: [784] },
      { type: 'Dense', units: 10 },
    ],
  });
  assert.deepEqual(errors(a), []);
  const lines = formatSummary(a.summary!).split('\n');
  assert.equal(lines[2], ' Layer (type)                Output Shape              Param #');
  assert.equal(lines[4], ' input_1 (InputLayer)        [(None, 784)]             0');
  assert.equal(lines[6], ' dense (Dense)               (None, 10)                7850');
});

test('an unknown reference is an error at that list item, with a suggestion', () => {
  const def = structuredClone(residual);
  def.layers[4].inputs = ['b', 'skp'];
  const e = errors(run(def));
  assert.equal(e.length, 1);
  assert.equal(e[0].code, 'unknown-input');
  assert.equal(e[0].path, 'layers[4].inputs[1]');
  assert.match(e[0].message, /No layer is named 'skp'; did you mean 'skip'\?/);
  assert.ok(e[0].range.start.line > 0);
});

test('a cycle is an error naming the loop', () => {
  const def = {
    layers: [
      { type: 'InputLayer', shape: [4] },
      { type: 'Dense', units: 4, name: 'p', inputs: 'q' },
      { type: 'Dense', units: 4, name: 'q', inputs: 'p' },
      { type: 'Add', inputs: ['input_1', 'q'] },
    ],
  };
  const e = errors(run(def));
  assert.equal(e[0].code, 'graph-cycle');
  assert.match(e[0].message, /in a circle: (q → p → q|p → q → p)/);
});

test('merging incompatible shapes is an error at the merge, and Concatenate adds up its axis', () => {
  const bad = structuredClone(residual);
  bad.layers[3].units = 16;
  const e = errors(run(bad));
  assert.equal(e[0].path, 'layers[4].inputs');
  assert.match(e[0].message, /Add needs inputs of the same shape but gets \(None, 32\), \(None, 16\)/);

  const cat = structuredClone(bad);
  cat.layers[4] = { type: 'Concatenate', inputs: ['b', 'skip'] } as never;
  const a = run(cat);
  assert.deepEqual(errors(a), []);
  assert.deepEqual(a.layers[4].outputShape, [null, 48]);
  assert.match(a.layers[4].mergeExplain!, /32 \+ 16 = 48/);
});

test('Dot(axes=1) of two (None, 8) vectors is (None, 1); Subtract takes exactly two inputs', () => {
  const base = [
    { type: 'InputLayer', shape: [8], name: 'x' },
    { type: 'Dense', units: 8, name: 'y' },
  ];
  const dot = run({ layers: [...base, { type: 'Dot', axes: 1, inputs: ['x', 'y'] }] });
  assert.deepEqual(errors(dot), []);
  assert.deepEqual(dot.layers[2].outputShape, [null, 1]);
  const sub = errors(
    run({
      layers: [
        ...base,
        { type: 'Dense', units: 8, name: 'z', inputs: 'x' },
        { type: 'Subtract', inputs: ['x', 'y', 'z'] },
      ],
    }),
  );
  assert.match(sub[0].message, /exactly 2 inputs but gets 3/);
});

test('a layer that does not reach the output gets a warning and stays out of the summary', () => {
  const def = structuredClone(residual);
  (def.layers as object[]).splice(5, 0, { type: 'Dense', units: 3, name: 'dangling', inputs: 'a' });
  def.layers[6] = { ...def.layers[6], inputs: 'add' } as never;
  const a = run(def);
  assert.deepEqual(errors(a), []);
  assert.ok(a.diagnostics.some((d) => d.code === 'graph-unused' && d.path === 'layers[5].type'));
  assert.equal(
    a.summary?.layers.some((l) => l.name === 'dangling'),
    false,
  );
  assert.equal(a.summary?.totalParams, 2177);
});

test('a graph needs an InputLayer first', () => {
  const e = errors(
    run({
      layers: [
        { type: 'Dense', units: 4, input_shape: [3], name: 'a' },
        { type: 'Dense', units: 2, inputs: 'a' },
      ],
    }),
  );
  assert.equal(e[0].code, 'graph-input');
});

test('hover on a merge layer explains its shape from its inputs', () => {
  const parsed = parse(residual);
  const a = analyze(parsed);
  const range = parsed.ranges.values.get('layers[4].type')!;
  const hover = hoverAt(parsed, a, range.start);
  assert.ok(hover);
  assert.match(hover.markdown, /Shape: `\(None, 32\)` and `\(None, 32\)` → `\(None, 32\)`/);
  assert.match(hover.markdown, /the sum of 2 inputs/);
});

test('a 50,000-layer chain resolves without overflowing the stack, and a loop through all of it is named briefly', async () => {
  const { resolveGraph } = await import('../../src/model/graph');
  const n = 50_000;
  const layers: { type: string; name: string; inputs?: string; shape?: number[] }[] = [
    { type: 'InputLayer', shape: [2], name: 'l0' },
  ];
  for (let i = 1; i < n; i++) layers.push({ type: 'Dense', name: `l${i}`, inputs: `l${i - 1}` });
  const names = layers.map((l) => l.name);
  const ok = resolveGraph({ layers }, names);
  assert.equal(ok.graph?.topological.length, n);
  assert.equal(ok.graph?.sequentialLike, true);
  layers[1].inputs = `l${n - 1}`;
  const loop = resolveGraph({ layers }, names);
  assert.equal(loop.graph, undefined);
  assert.match(
    loop.problems[0].message,
    /^These layers feed each other in a circle: l49999 → l49998 → l49997 → l49996 → … \(49999 layers\) → l49999;/,
  );
});

test('a malformed "inputs" gets the one schema error, not a cascade about the graph', () => {
  for (const inputs of [[], 5, [3]]) {
    const a = run({
      layers: [
        { type: 'InputLayer', shape: [4] },
        { type: 'Dense', units: 2, inputs },
      ],
    });
    assert.equal(a.diagnostics.length, 1, JSON.stringify(inputs));
    assert.match(a.diagnostics[0].path!, /^layers\[1\]\.inputs/);
  }
});
