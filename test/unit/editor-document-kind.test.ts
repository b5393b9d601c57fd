/** Which documents the editor reads, and which model a command acts on (documents.ts and targets.ts, without VS Code). */
import assert from 'node:assert/strict';
import test from 'node:test';
import { chooseModel, documentKind } from '../../src/editor/document-kind';

const doc = (scheme: string, path: string, languageId: string, text = '') => ({
  scheme,
  path,
  languageId,
  text: () => text,
});

test('model files and Keras Python files are read; other schemes, languages and plain Python are not', () => {
  assert.equal(documentKind(doc('file', '/w/a.model.json', 'jsonc')), 'model-json');
  assert.equal(documentKind(doc('untitled', '/Untitled-1.model.json', 'json')), 'model-json');
  assert.equal(documentKind(doc('git', '/w/a.model.json', 'jsonc')), undefined);
  assert.equal(documentKind(doc('file', '/w/a.json', 'jsonc')), undefined);
  assert.equal(documentKind(doc('file', '/w/m.py', 'python', 'model = keras.Sequential([])')), 'keras-python');
  // A functional model without the word Sequential is read too.
  const functional =
    'inputs = keras.Input(shape=(784,))\noutputs = layers.Dense(10)(inputs)\nm = keras.Model(inputs, outputs)';
  assert.equal(documentKind(doc('file', '/w/f.py', 'python', functional)), 'keras-python');
  assert.equal(documentKind(doc('file', '/w/p.py', 'python', 'print("no model here")\nSequentialish = 1')), undefined);
  // A notebook's Python cell is read when its notebook (the text given for a cell) has a model in any cell.
  assert.equal(
    documentKind(doc('vscode-notebook-cell', '/w/n.ipynb', 'python', 'keras.Sequential()')),
    'notebook-cell',
  );
  assert.equal(documentKind(doc('vscode-notebook-cell', '/w/n.ipynb', 'python', 'print(1)')), undefined);
  assert.equal(documentKind(doc('vscode-notebook-cell', '/w/n.ipynb', 'markdown', 'Sequential')), undefined);
});

test('the text of a non-Python document is never read', () => {
  let reads = 0;
  documentKind({ scheme: 'file', path: '/w/a.txt', languageId: 'plaintext', text: () => (reads++, 'Sequential') });
  assert.equal(reads, 0);
});

const range = (from: number, to: number) => ({ start: { line: from, character: 0 }, end: { line: to, character: 0 } });

test('a command acts on the explicit model, else the one under the cursor, else the only one, else asks', () => {
  const two = [range(0, 5), range(7, 12)];
  assert.equal(chooseModel(two, 1), 1);
  assert.equal(chooseModel(two, 0, { line: 9, character: 2 }), 0, 'an explicit index wins over the cursor');
  assert.equal(chooseModel(two, undefined, { line: 9, character: 2 }), 1);
  assert.equal(chooseModel(two, undefined, { line: 6, character: 0 }), 'ask', 'between the models');
  assert.equal(chooseModel(two, undefined), 'ask');
  for (const bad of [2, -1, 0.5, '1', null]) assert.equal(chooseModel(two, bad), 'ask', `index ${String(bad)}`);
  assert.equal(chooseModel([range(0, 3)], undefined, { line: 40, character: 0 }), 0);
  assert.equal(chooseModel([], undefined), 'ask');
});
