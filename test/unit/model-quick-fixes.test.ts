/** Quick fixes computed from real diagnostics of real files: each fix, applied, leaves a file without that problem. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, parseModelJson } from '../../src/model';
import { applyEdits, parsePath, quickFixes } from '../../src/model/quick-fixes';

function diagnose(text: string) {
  return analyze(parseModelJson(text)).diagnostics;
}

/** Applies the first fix of the first diagnostic with `code`; returns the new text and the fix's title. */
function fix(text: string, code: string): { text: string; title: string; after: string[] } {
  const d = diagnose(text).find((x) => x.code === code);
  assert.ok(d, `no ${code} in ${JSON.stringify(diagnose(text))}`);
  const [first] = quickFixes(text, d);
  assert.ok(first, `no fix for ${code}`);
  const out = applyEdits(text, first.edits);
  return { text: out, title: first.title, after: diagnose(out).map((x) => x.code) };
}

const mlp = (layers: string, extra = '') =>
  `{\n  "dataset": "fashion-mnist",\n  "layers": [\n    { "type": "Flatten", "input_shape": [28, 28] },\n${layers}\n  ]${extra}\n}\n`;

test('paths', () => {
  assert.deepEqual(parsePath('layers[1].units'), ['layers', 1, 'units']);
  assert.deepEqual(parsePath('compile.optimizer.type'), ['compile', 'optimizer', 'type']);
});

test('the nearest layer name', () => {
  const r = fix(mlp('    { "type": "Dnse", "units": 10, "activation": "softmax" }'), 'unknown-layer');
  assert.equal(r.title, "Change to 'Dense'");
  assert.match(r.text, /"type": "Dense", "units": 10/);
  assert.ok(!r.after.includes('unknown-layer'));
});

test('remove an argument a layer does not take (and its comma)', () => {
  const r = fix(mlp('    { "type": "Dense", "units": 10, "kernel": 3, "activation": "softmax" }'), 'unknown-argument');
  assert.equal(r.title, "Remove 'kernel'");
  assert.match(r.text, /\{ "type": "Dense", "units": 10, "activation": "softmax" \}/);
  assert.deepEqual(r.after, []);
});

test('units = the class count', () => {
  const r = fix(mlp('    { "type": "Dense", "units": 8, "activation": "softmax" }'), 'classes-mismatch');
  assert.equal(r.title, 'Set units to 10 (one per class)');
  assert.match(r.text, /"units": 10/);
  assert.deepEqual(r.after, []);
});

test('the matching loss, and a sigmoid for a single unit', () => {
  const binaryOnTen = mlp(
    '    { "type": "Dense", "units": 10, "activation": "softmax" }',
    ',\n  "compile": { "loss": "binary_crossentropy" }',
  );
  const a = fix(binaryOnTen, 'loss-mismatch');
  assert.equal(a.title, "Use loss 'sparse_categorical_crossentropy'");
  assert.deepEqual(a.after, []);

  const csv = (layer: string, loss: string) =>
    `{\n  "layers": [\n    { "type": "Dense", "units": 8, "input_shape": [4] },\n    ${layer}\n  ],\n  "compile": { "loss": "${loss}" }\n}\n`;
  const relu = fix(
    csv('{ "type": "Dense", "units": 1, "activation": "relu" }', 'binary_crossentropy'),
    'loss-activation',
  );
  assert.equal(relu.title, "Use activation 'sigmoid' on the output layer");
  assert.match(relu.text, /"units": 1, "activation": "sigmoid"/);
  assert.ok(!relu.after.includes('loss-activation'));

  const one = fix(csv('{ "type": "Dense", "units": 1 }', 'sparse_categorical_crossentropy'), 'loss-mismatch');
  assert.equal(one.title, "Use 'binary_crossentropy' with a sigmoid output unit");
  assert.match(one.text, /"loss": "binary_crossentropy"/);
  assert.match(one.text, /"units": 1,\s*"activation": "sigmoid"/);
  assert.ok(!one.after.includes('loss-mismatch'), one.text);
});

test('the nearest optimizer name', () => {
  const r = fix(
    mlp('    { "type": "Dense", "units": 10, "activation": "softmax" }', ',\n  "compile": { "optimizer": "adamm" }'),
    'unknown-optimizer',
  );
  assert.match(r.text, /"optimizer": "adam"/);
  assert.deepEqual(r.after, []);
});
