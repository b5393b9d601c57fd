/** Diagnostics land on the exact source range of the value at fault, with a message saying what to do. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, parseModelJson, type Diagnostic, type Range } from '../../src/model';

/** The range of the `nth` occurrence of `needle` in `text`, counted by hand from line breaks. */
function rangeOf(text: string, needle: string, nth = 0): Range {
  let offset = -1;
  for (let i = 0; i <= nth; i++) offset = text.indexOf(needle, offset + 1);
  assert.ok(offset >= 0, `'${needle}' not in text`);
  const pos = (o: number) => {
    const before = text.slice(0, o);
    const line = before.split('\n').length - 1;
    return { line, character: o - (before.lastIndexOf('\n') + 1) };
  };
  return { start: pos(offset), end: pos(offset + needle.length) };
}

/** The range of `token` where it first follows `prefix`. */
function rangeAfter(text: string, prefix: string, token: string): Range {
  const r = rangeOf(text, prefix + token);
  const width = prefix.length;
  return { start: { line: r.start.line, character: r.start.character + width }, end: r.end };
}

function diagnose(text: string): Diagnostic[] {
  return analyze(parseModelJson(text)).diagnostics;
}

function only(diags: Diagnostic[], code: string): Diagnostic {
  const found = diags.filter((d) => d.code === code);
  assert.equal(found.length, 1, `expected one '${code}', got ${JSON.stringify(diags.map((d) => [d.code, d.message]))}`);
  return found[0];
}

const MLP = (hidden: string, out = '{ "type": "Dense", "units": 10, "activation": "softmax" }') => `{
  // a comment, and a trailing comma below
  "dataset": "fashion-mnist",
  "layers": [
    { "type": "Flatten", "input_shape": [28, 28] },
    ${hidden},
    ${out},
  ],
}`;

test('a clean file with comments and trailing commas has no diagnostics', () => {
  assert.deepEqual(diagnose(MLP('{ "type": "Dense", "units": 100, "activation": "relu" }')), []);
});

test('syntax error: a missing comma is reported where the next item starts', () => {
  const text = '{\n  "layers": [\n    { "type": "Flatten" }\n    { "type": "Dense", "units": 10 }\n  ]\n}';
  const d = only(diagnose(text), 'json-syntax');
  assert.equal(d.severity, 'error');
  assert.deepEqual(d.range.start, rangeOf(text, '{ "type": "Dense"').start);
  assert.match(d.message, /','/);
});

test('syntax error: single quotes get their own advice', () => {
  const text = `{ "layers": [ { "type": 'Dense' } ] }`;
  const d = diagnose(text).find((x) => x.code === 'json-syntax');
  assert.ok(d);
  assert.deepEqual(d.range.start, rangeOf(text, "'Dense'").start);
  assert.match(d.message, /double quotes/);
});

test('unknown layer type: suggestion, code and the range of the type string', () => {
  const text = MLP('{ "type": "Dense2", "units": 100 }');
  const d = only(diagnose(text), 'unknown-layer');
  assert.equal(d.message, "Unknown layer type 'Dense2'; did you mean 'Dense'?");
  assert.deepEqual(d.range, rangeOf(text, '"Dense2"'));
  assert.equal(d.path, 'layers[1].type');
});

test('bad units: the value is underlined and the sentence names path, rule and value', () => {
  const text = MLP('{ "type": "Dense", "units": -3 }');
  const d = only(diagnose(text), 'invalid-value');
  assert.equal(d.message, 'layers[1].units must be a positive integer, got -3.');
  assert.deepEqual(d.range, rangeOf(text, '-3'));
});

test('missing and misspelt arguments', () => {
  const text = MLP('{ "type": "Dense", "unit": 100 }');
  const diags = diagnose(text);
  const missing = only(diags, 'missing-argument');
  assert.equal(missing.message, "Dense in layers[1] needs the argument 'units'.");
  assert.deepEqual(missing.range, rangeOf(text, '"Dense"', 0));
  const extra = only(diags, 'unknown-argument');
  assert.equal(extra.message, "Dense has no setting 'unit'; did you mean 'units'?");
  assert.deepEqual(extra.range, rangeOf(text, '"unit"'));
});

test('bad activation, padding and kernel_size values', () => {
  const text = `{ "layers": [
    { "type": "Conv2D", "filters": 8, "kernel_size": [3, 0], "padding": "sme", "activation": "rleu", "input_shape": [8, 8, 1] }
  ] }`;
  const diags = diagnose(text).filter((d) => d.code === 'invalid-value');
  const by = (path: string) => diags.find((d) => d.path === path);
  assert.equal(by('layers[0].kernel_size[1]')?.message, 'layers[0].kernel_size[1] must be a positive integer, got 0.');
  assert.deepEqual(by('layers[0].kernel_size[1]')?.range, rangeAfter(text, '[3, ', '0'));
  assert.equal(
    by('layers[0].padding')?.message,
    "layers[0].padding must be 'valid' or 'same', got 'sme'; did you mean 'same'?",
  );
  assert.equal(
    by('layers[0].activation')?.message,
    "layers[0].activation must be a known activation, got 'rleu'; did you mean 'relu'?",
  );
  assert.deepEqual(by('layers[0].activation')?.range, rangeOf(text, '"rleu"'));
});

test('kernel_size of the wrong JSON type gets one sentence about the whole union', () => {
  const text = '{ "layers": [ { "type": "Conv2D", "filters": 8, "kernel_size": "3", "input_shape": [8, 8, 1] } ] }';
  const d = only(diagnose(text), 'invalid-value');
  assert.equal(
    d.message,
    "layers[0].kernel_size must be a positive integer or a list of 2 positive integers, got '3'.",
  );
  assert.deepEqual(d.range, rangeOf(text, '"3"'));
});

test('Conv2D on a 1-D input: error at the type, advising a Reshape', () => {
  const text =
    '{ "layers": [ { "type": "Dense", "units": 784, "input_shape": [784] }, { "type": "Conv2D", "filters": 8, "kernel_size": 3 } ] }';
  const d = only(diagnose(text), 'shape');
  assert.match(d.message, /^Conv2D needs a 3-D input \(height, width, channels\) but gets \(None, 784\);/);
  assert.deepEqual(d.range, rangeOf(text, '"Conv2D"'));
});

test('Conv2D on a 2-D input suggests the exact Reshape', () => {
  const d = only(diagnose('{ "layers": [ { "type": "MaxPooling2D", "input_shape": [28, 28] } ] }'), 'shape');
  assert.match(d.message, /"target_shape": \[28, 28, 1\]/);
});

test('Reshape to a different element count', () => {
  const text = '{ "layers": [ { "type": "Reshape", "target_shape": [28, 27, 1], "input_shape": [784] } ] }';
  const d = only(diagnose(text), 'shape');
  assert.equal(
    d.message,
    'Reshape to [28, 27, 1] needs 756 values per example but (None, 784) holds 784 values per example; the products must match.',
  );
  assert.deepEqual(d.range, rangeOf(text, '[28, 27, 1]'));
});

test('a window larger than the input shrinks a side below 1', () => {
  const text = '{ "layers": [ { "type": "Conv2D", "filters": 4, "kernel_size": 5, "input_shape": [4, 4, 1] } ] }';
  const d = only(diagnose(text), 'shape');
  assert.match(d.message, /^Conv2D would shrink its 4×4 input to 0×0/);
  assert.deepEqual(d.range, rangeAfter(text, '"kernel_size": ', '5'));
});

test('shape inference stops after the first shape error (no cascade)', () => {
  const text =
    '{ "layers": [ { "type": "MaxPooling2D", "pool_size": 8, "input_shape": [4, 4, 1] }, { "type": "Conv2D", "filters": 2, "kernel_size": 9 } ] }';
  const a = analyze(parseModelJson(text));
  assert.equal(a.diagnostics.filter((d) => d.code === 'shape').length, 1);
  assert.equal(a.summary, undefined);
  assert.equal(a.layers[1].outputShape, undefined);
});

test('loss that cannot fit the output', () => {
  const one = MLP(
    '{ "type": "Dense", "units": 100 }',
    '{ "type": "Dense", "units": 1, "activation": "sigmoid" }',
  ).replace('"dataset": "fashion-mnist",', '"compile": { "loss": "sparse_categorical_crossentropy" },');
  const d = only(diagnose(one), 'loss-mismatch');
  assert.match(
    d.message,
    /^sparse_categorical_crossentropy needs one output unit per class but the last layer has 1 unit/,
  );
  assert.deepEqual(d.range, rangeOf(one, '"sparse_categorical_crossentropy"'));
  const many = MLP('{ "type": "Dense", "units": 100 }').replace(
    '"dataset": "fashion-mnist",',
    '"compile": { "loss": "binary_crossentropy" },',
  );
  assert.match(
    only(diagnose(many), 'loss-mismatch').message,
    /^binary_crossentropy expects a single sigmoid output unit but the last layer has 10/,
  );
});

test('too few output units for the dataset classes', () => {
  const text = MLP('{ "type": "Dense", "units": 100 }', '{ "type": "Dense", "units": 5, "activation": "softmax" }');
  const d = only(diagnose(text), 'classes-mismatch');
  assert.equal(d.severity, 'error');
  assert.deepEqual(d.range, rangeAfter(text, '"units": ', '5'));
});

test('softmax over a single unit is a warning at the activation', () => {
  const text =
    '{ "layers": [ { "type": "Dense", "units": 1, "activation": "softmax", "input_shape": [3] } ], "compile": { "loss": "mse" } }';
  const d = only(diagnose(text), 'softmax-single-unit');
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, rangeOf(text, '"softmax"'));
});

test('input_shape on a later layer is a warning at its key', () => {
  const text =
    '{ "layers": [ { "type": "Dense", "units": 4, "input_shape": [3] }, { "type": "Dense", "units": 2, "input_shape": [4] } ] }';
  const d = only(diagnose(text), 'input-shape-ignored');
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, rangeOf(text, '"input_shape"', 1));
});

test('no layers, empty layers, and no input shape', () => {
  const none = only(diagnose('{ "name": "x" }'), 'no-layers');
  assert.deepEqual(none.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } });
  const emptyText = '{ "layers": [] }';
  assert.deepEqual(only(diagnose(emptyText), 'no-layers').range, rangeOf(emptyText, '[]'));
  const noShape = '{ "layers": [ { "type": "Dense", "units": 4 } ] }';
  const d = only(diagnose(noShape), 'no-input-shape');
  assert.deepEqual(d.range, rangeOf(noShape, '"Dense"'));
  const csv = only(
    diagnose('{ "dataset": { "csv": "iris.csv", "label": "species" }, "layers": [ { "type": "Dense", "units": 3 } ] }'),
    'no-input-shape',
  );
  assert.match(csv.message, /CSV/);
});

test('unknown optimizer and bad optimizer arguments', () => {
  const text =
    '{ "layers": [ { "type": "Dense", "units": 1, "input_shape": [1] } ], "compile": { "optimizer": "adma", "loss": "mse" } }';
  const d = only(diagnose(text), 'unknown-optimizer');
  assert.equal(d.message, "Unknown optimizer 'adma'; did you mean 'adam'?");
  assert.deepEqual(d.range, rangeOf(text, '"adma"'));
  const obj =
    '{ "layers": [ { "type": "Dense", "units": 1, "input_shape": [1] } ], "compile": { "optimizer": { "type": "SGD", "momentum": 1.5 }, "loss": "mse" } }';
  const m = only(diagnose(obj), 'invalid-value');
  assert.equal(m.message, 'compile.optimizer.momentum must be a number with 0 ≤ x ≤ 1, got 1.5.');
  assert.deepEqual(m.range, rangeOf(obj, '1.5'));
});

const VARIANTS = (set: string) => `{
  "dataset": "fashion-mnist",
  "layers": [ { "type": "Flatten" }, { "type": "Dense", "units": 100 }, { "type": "Dense", "units": 10, "activation": "softmax" } ],
  "compare": { "variants": [ { "label": "v", "set": ${set} } ] }
}`;

test('bad variant path: unknown head, out-of-range layer, unknown argument', () => {
  const text = VARIANTS('{ "layrs[1].units": 5, "layers[7].units": 5, "layers[1].unitz": 5 }');
  const diags = diagnose(text);
  const paths = diags.filter((d) => d.code === 'variant-path');
  assert.equal(paths.length, 2);
  assert.equal(
    paths[0].message,
    "Variant 'v': 'layrs[1].units' does not lead into the definition; did you mean 'layers'?",
  );
  assert.deepEqual(paths[0].range, rangeOf(text, '"layrs[1].units"'));
  assert.equal(
    paths[1].message,
    "Variant 'v': layers[7] does not exist: the model has 3 layers (layers[0] to layers[2]).",
  );
  const arg = only(diags, 'unknown-argument');
  assert.equal(arg.message, "Variant 'v': Dense has no setting 'unitz'; did you mean 'units'?");
  assert.deepEqual(arg.range, rangeOf(text, '"layers[1].unitz"'));
});

test('bad variant value: reported at the value in set, only for the variant', () => {
  const text = VARIANTS('{ "layers[1].activation": "sigmod", "fit.batch_size": 0 }');
  const diags = diagnose(text);
  assert.equal(diags.length, 2);
  const act = diags.find((d) => d.path?.includes('activation'));
  assert.equal(
    act?.message,
    "Variant 'v': layers[1].activation must be a known activation, got 'sigmod'; did you mean 'sigmoid'?",
  );
  assert.deepEqual(act?.range, rangeOf(text, '"sigmod"'));
  const batch = diags.find((d) => d.path?.includes('batch_size'));
  assert.equal(batch?.message, "Variant 'v': fit.batch_size must be a positive integer, got 0.");
  assert.deepEqual(batch?.range, rangeAfter(text, '"fit.batch_size": ', '0'));
});

test('a variant that breaks the shapes is reported at the variant', () => {
  const text = VARIANTS('{ "layers[2].units": 1 }');
  const d = diagnose(text);
  const softmax = d.find((x) => x.code === 'softmax-single-unit');
  assert.ok(softmax);
  assert.equal(softmax.severity, 'warning');
  assert.match(softmax.message, /^Variant 'v': softmax over a single unit/);
  assert.deepEqual(softmax.range, rangeAfter(text, '"layers[2].units": ', '1'));
});

test('diagnostics come sorted by position', () => {
  const text =
    '{ "layers": [ { "type": "Dense", "units": 0, "input_shape": [2] }, { "type": "Nope" } ], "compile": { "optimizer": "x" } }';
  const diags = diagnose(text);
  const starts = diags.map((d) => d.range.start.line * 1000 + d.range.start.character);
  assert.deepEqual(
    starts,
    [...starts].sort((a, b) => a - b),
  );
  assert.ok(diags.length >= 3);
});

const CONV = (args: string) =>
  `{ "layers": [ { "type": "Reshape", "target_shape": [28, 28, 1], "input_shape": [28, 28] }, { "type": "Conv2D", ${args} }, { "type": "Flatten" }, { "type": "Dense", "units": 10, "activation": "softmax" } ] }`;

test('absurd sizes are refused at the value: units, filters, input_shape, epochs, batch_size', () => {
  const cases: [string, string, string][] = [
    [MLP('{ "type": "Dense", "units": 1e308 }'), '1e308', 'layers[1].units must be at most 1,000,000, got 1e+308.'],
    [
      MLP('{ "type": "Dense", "units": 99999999999 }'),
      '99999999999',
      'layers[1].units must be at most 1,000,000, got 99999999999.',
    ],
    [
      MLP('{ "type": "Dense", "units": 8 }').replace('[28, 28]', '[28, 1000001]'),
      '1000001',
      'layers[0].input_shape[1] must be at most 1,000,000, got 1000001.',
    ],
    [
      MLP('{ "type": "Dense", "units": 8 }').replace('"layers"', '"fit": { "epochs": 1e308 }, "layers"'),
      '1e308',
      'fit.epochs must be at most 100,000, got 1e+308.',
    ],
    [
      MLP('{ "type": "Dense", "units": 8 }').replace('"layers"', '"fit": { "batch_size": 2000000 }, "layers"'),
      '2000000',
      'fit.batch_size must be at most 1,000,000, got 2000000.',
    ],
    [CONV('"filters": 1e308, "kernel_size": 3'), '1e308', 'layers[1].filters must be at most 1,000,000, got 1e+308.'],
    [
      CONV('"filters": 4, "kernel_size": [3, 5000000]'),
      '5000000',
      'layers[1].kernel_size[1] must be at most 1,000,000, got 5000000.',
    ],
  ];
  for (const [text, value, message] of cases) {
    const d = only(diagnose(text), 'invalid-value');
    assert.equal(d.message, message);
    assert.deepEqual(d.range, rangeOf(text, value));
  }
  // The largest allowed size still passes: 784 × 1,000,000 + 1,000,000 = 785,000,000 parameters.
  const big = analyze(
    parseModelJson(
      MLP('{ "type": "Dense", "units": 1000000 }', '{ "type": "Dense", "units": 10, "activation": "softmax" }'),
    ),
  );
  assert.deepEqual(
    big.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.equal(big.summary?.layers[1].params, 785_000_000);
});

test('a model past 1e10 parameters is refused at the layer that crosses the limit, with the total', () => {
  // 784 × 1,000,000 + 1,000,000 = 785,000,000; then 1,000,000 × 1,000,000 + 1,000,000 = 1,000,001,000,000;
  // then 1,000,000 × 10 + 10 = 10,000,010: 1,000,795,010,010 ≈ 1.0e+12 in all.
  const text = MLP('{ "type": "Dense", "units": 1000000 }, { "type": "Dense", "units": 1000000 }');
  const analysis = analyze(parseModelJson(text));
  const d = only(analysis.diagnostics, 'too-large');
  assert.equal(
    d.message,
    'This model would have 1.0e+12 parameters, far beyond what can be trained here; reduce units or input_shape.',
  );
  assert.equal(d.path, 'layers[2].units');
  assert.deepEqual(d.range, rangeOf(text, '1000000', 1));
  assert.equal(analysis.summary, undefined, 'no summary for a model that cannot be built');

  // A Flatten of 1,000,000 × 1,000,000 values per example is refused before any weight is counted.
  const wide = MLP('{ "type": "Dense", "units": 8 }').replace('[28, 28]', '[1000000, 1000000]');
  const w = only(diagnose(wide), 'too-large');
  assert.equal(
    w.message,
    "Layer 'flatten' would output 1.0e+12 values per example, far beyond what can be trained here; reduce input_shape.",
  );
  assert.deepEqual(w.range, rangeOf(wide, '[1000000, 1000000]'));

  // Conv2D: 100,000 × 100,000 × 1 × 1,000,000 weights = 1e16 ('same' padding keeps the shapes valid).
  const conv = CONV('"filters": 1000000, "kernel_size": [100000, 100000], "padding": "same"');
  assert.match(
    only(diagnose(conv), 'too-large').message,
    /^This model would have 1\.0e\+16 parameters, .*; reduce filters, kernel_size or input_shape\.$/,
  );
});

test('validation_split may be 0 (Keras’s default: no validation) but not 1', () => {
  const at = (v: string) =>
    diagnose(
      MLP('{ "type": "Dense", "units": 8 }').replace(
        '"dataset": "fashion-mnist"',
        `"dataset": { "name": "fashion-mnist", "validation_split": ${v} }`,
      ),
    );
  assert.deepEqual(at('0'), []);
  assert.equal(
    only(at('1'), 'invalid-value').message,
    'dataset.validation_split must be a number with 0 ≤ x < 1, got 1.',
  );
  assert.equal(
    only(at('-0.1'), 'invalid-value').message,
    'dataset.validation_split must be a number with 0 ≤ x < 1, got -0.1.',
  );
});

test('optimizer arguments: weight_decay and clipping on any optimizer, use_ema refused in one sentence at its key', () => {
  const model = (optimizer: string) =>
    MLP('{ "type": "Dense", "units": 8 }').replace('"dataset"', `"compile": { "optimizer": ${optimizer} }, "dataset"`);
  assert.deepEqual(diagnose(model('{ "type": "SGD", "weight_decay": 0.01 }')), []);
  assert.deepEqual(diagnose(model('"adamw"')), []);
  assert.deepEqual(diagnose(model('{ "type": "Nadam", "beta_1": 0.95 }')), []);
  assert.deepEqual(diagnose(model('{ "type": "Adam", "clipnorm": 1 }')), []);
  const text = model('{ "type": "Adam", "use_ema": true }');
  const d = only(diagnose(text), 'unknown-argument');
  assert.equal(
    d.message,
    "Model Lab does not implement the optimizer argument 'use_ema' (Keras keeps a moving average of the weights); remove it.",
  );
  assert.deepEqual(d.range, rangeOf(text, '"use_ema"'));
  const negative = only(diagnose(model('{ "type": "AdamW", "weight_decay": -1 }')), 'invalid-value');
  assert.equal(negative.message, 'compile.optimizer.weight_decay must be a number with 0 ≤ x, got -1.');
});
