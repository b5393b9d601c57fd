/**
 * The reader's shared indexes: ScriptIndex (named nodes by type, in source order, for the file-wide passes) and
 * Bindings.mentions (whether a name occurs inside a node), checked against a plain walk of the tree.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bindings } from '../../src/model/python/bindings';
import { ScriptIndex } from '../../src/model/python/script-index';
import { walk } from '../../src/model/python/syntax';
import { parsePythonSource } from '../../src/model/python/tree-sitter';
import { pythonOfSize } from './python-big-sources';

const SCRIPT = `import keras
x = 1
def f(a, b=2):
    y = a + b  # a comment
    return keras.layers.Dense(y)(x)
for i in range(3):
    x += i
m = keras.Sequential([f(1), keras.layers.Dense(x)])
m.compile(optimizer="adam", loss="mse")
`;

test('ofType gives the named nodes of a type in source order, as a walk meets them', async () => {
  const { root } = await parsePythonSource(pythonOfSize(20_000));
  const index = new ScriptIndex(root);
  const all = walk(root);
  for (const type of ['call', 'assignment', 'identifier', 'integer', 'function_definition', 'string_start']) {
    const expected = all.filter((n) => n.isNamed && n.type === type);
    assert.ok(expected.length > 0, type);
    assert.deepEqual(
      index.ofType(type).map((n) => n.id),
      expected.map((n) => n.id),
      type,
    );
  }
  // Punctuation is not indexed (no pass looks it up); an absent type is an empty list.
  assert.deepEqual(index.ofType('('), []);
  assert.deepEqual(index.ofType('no_such_type'), []);
});

test('ofTypes merges several types into one list in source order', async () => {
  const { root } = await parsePythonSource(SCRIPT);
  const index = new ScriptIndex(root);
  const types = ['augmented_assignment', 'call', 'assignment', 'for_statement', 'no_such_type'];
  const merged = index.ofTypes(types);
  const expected = walk(root).filter((n) => n.isNamed && types.includes(n.type));
  assert.deepEqual(
    merged.map((n) => `${n.type}@${n.startIndex}`),
    expected.map((n) => `${n.type}@${n.startIndex}`),
  );
  assert.ok(merged.some((n) => n.type === 'augmented_assignment'));
  // The result is the caller's: changing it leaves the index as it was.
  merged.length = 0;
  assert.equal(index.ofTypes(['assignment']).length, 3);
  assert.deepEqual(index.ofTypes([]), []);
});

test('Bindings.mentions says whether an identifier occurs inside a node, by name and position', async () => {
  const { root } = await parsePythonSource(SCRIPT);
  const index = new ScriptIndex(root);
  const bindings = new Bindings(index);
  const statements = root.namedChildren;
  const [imp, assignX, def, loop, assignM] = statements;
  assert.equal(bindings.mentions('keras', imp), true);
  assert.equal(bindings.mentions('x', assignX), true);
  assert.equal(bindings.mentions('x', def), true); // `(x)` in the return
  assert.equal(bindings.mentions('y', loop), false);
  assert.equal(bindings.mentions('x', loop), true);
  assert.equal(bindings.mentions('m', assignM), true);
  assert.equal(bindings.mentions('m', def), false);
  // A name that is only part of another (`a` in `b`, `keras` in a string) is no mention.
  assert.equal(bindings.mentions('ker', imp), false);
  assert.equal(bindings.mentions('adam', statements[6]), false);
  assert.equal(bindings.mentions('nowhere', root), false);
});
