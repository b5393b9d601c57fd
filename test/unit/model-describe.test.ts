/** Hovers and inlay hints, positioned on the JSON text. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, hoverAt, inlayHints, parseModelJson } from '../../src/model';

const TEXT = `{
  "dataset": "fashion-mnist",
  "layers": [
    { "type": "Flatten" },
    { "type": "Dense", "units": 100, "activation": "relu" },
    { "type": "Dense", "units": 10, "activation": "softmax" }
  ],
  "compile": { "optimizer": { "type": "SGD", "learning_rate": 0.1 } }
}`;
const parsed = parseModelJson(TEXT);
const analysis = analyze(parsed);

test('hover on a layer: name, shapes, arithmetic, split, running total, activation', () => {
  const h = hoverAt(parsed, analysis, { line: 4, character: 8 });
  assert.ok(h);
  const md = h.markdown;
  assert.match(md, /^\*\*dense \(Dense\)\*\*/);
  assert.match(md, /`\(None, 784\)` → `\(None, 100\)`/);
  assert.match(md, /784 × 100 weights \+ 100 biases = 78,500/);
  assert.match(md, /Trainable: 78,500 · Non-trainable: 0/);
  assert.match(md, /Running total: 78,500 of 79,510 params/);
  assert.match(md, /Activation `relu`/);
  const last = hoverAt(parsed, analysis, { line: 5, character: 30 });
  assert.match(last!.markdown, /Running total: 79,510 of 79,510 params/);
  assert.match(last!.markdown, /`units`: Number of output units/);
});

test('hover on the layers key: the whole summary as a code block', () => {
  const h = hoverAt(parsed, analysis, { line: 2, character: 4 });
  assert.ok(h);
  assert.ok(h.markdown.startsWith('```\nModel: "sequential"\n'));
  assert.match(h.markdown, /Total params: 79,510\n/);
  assert.deepEqual(h.range, { start: { line: 2, character: 2 }, end: { line: 2, character: 10 } });
});

test('hover on the optimizer: Keras defaults filled in', () => {
  const h = hoverAt(parsed, analysis, { line: 7, character: 40 });
  assert.ok(h);
  assert.match(h.markdown, /\*\*SGD\*\*/);
  assert.match(h.markdown, /\| learning_rate \| 0.1 \| set here \|/);
  assert.match(h.markdown, /\| momentum \| 0 \| Keras default \|/);
});

test('no hover outside the definition values', () => {
  assert.equal(hoverAt(parsed, analysis, { line: 1, character: 14 }), undefined);
});

test('inlay hints after each layer’s opening brace', () => {
  assert.deepEqual(inlayHints(parsed, analysis), [
    { position: { line: 3, character: 5 }, label: '(None, 784) · 0 params' },
    { position: { line: 4, character: 5 }, label: '(None, 100) · 78,500 params' },
    { position: { line: 5, character: 5 }, label: '(None, 10) · 1,010 params' },
  ]);
});

test('an invalid model: hover says why there is no summary, hints stop where shapes stop', () => {
  const text =
    '{ "layers": [ { "type": "Dense", "units": 4, "input_shape": [2] }, { "type": "Dense2" }, { "type": "Dense", "units": 1 } ] }';
  const p = parseModelJson(text);
  const a = analyze(p);
  assert.match(hoverAt(p, a, { line: 0, character: 4 })!.markdown, /No summary yet: 1 error/);
  assert.equal(inlayHints(p, a).length, 1);
  assert.match(hoverAt(p, a, { line: 0, character: 100 })!.markdown, /unknown until the problems/);
});
