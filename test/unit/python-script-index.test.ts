/**
 * The reader's shared indexes: ScriptIndex (named nodes by type, in source order, for the file-wide passes) and
 * ScriptIndex.firstNamed (the first identifier of a subtree that a set of names holds), checked against a plain walk
 * of the tree.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from '../../src/model/python/py-node';
import { ScriptIndex } from '../../src/model/python/script-index';
import { walk } from '../../src/model/python/syntax';
import { parsePythonSource } from '../../src/model/python/tree-sitter';
import { scriptContext } from '../../src/model/python/index';
import { calleeNames, callsNamed } from '../../src/model/python/values';
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

test('subtreeOfTypes gives a node and its descendants of some types, as a walk of its subtree meets them', async () => {
  const { root } = await parsePythonSource(SCRIPT);
  const typeSets = [
    ['identifier'],
    ['assignment', 'augmented_assignment', 'for_statement'],
    ['call', 'subscript'],
    ['yield', 'return_statement'],
    ['no_such_type'],
  ];
  let nonEmpty = 0;
  for (const node of walk(root))
    for (const types of typeSets) {
      const got = node.subtreeOfTypes(types);
      assert.deepEqual(
        got.map((n) => n.id),
        walk(node)
          .filter((n) => types.includes(n.type))
          .map((n) => n.id),
      );
      if (got.length > 0) nonEmpty++;
    }
  assert.ok(nonEmpty > 50);
  // A leaf of the type is its own result.
  const x = root.subtreeOfTypes(['identifier'])[1];
  assert.deepEqual(x.subtreeOfTypes(['identifier']), [x]);
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

test('ScriptIndex.firstNamed finds the first identifier of a subtree that a set of names holds', async () => {
  const { root } = await parsePythonSource(SCRIPT);
  const index = new ScriptIndex(root);
  const statements = root.namedChildren;
  const [imp, assignX, def, loop, assignM] = statements;
  const mentions = (name: string, node: Node) => index.firstNamed(new Set([name]), node) !== undefined;
  assert.equal(mentions('keras', imp), true);
  assert.equal(mentions('x', assignX), true);
  assert.equal(mentions('x', def), true); // `(x)` in the return
  assert.equal(mentions('y', loop), false);
  assert.equal(mentions('x', loop), true);
  assert.equal(mentions('m', assignM), true);
  assert.equal(mentions('m', def), false);
  // A name that is only part of another (`a` in `b`, `keras` in a string) is no mention.
  assert.equal(mentions('ker', imp), false);
  assert.equal(mentions('adam', statements[5]), false); // "adam" is a string
  assert.equal(mentions('nowhere', root), false);
  // The first in source order of any of the names, as a walk of the subtree meets them; an identifier is its own.
  for (const node of [root, ...walk(root)]) {
    const names = new Map([
      ['x', 1],
      ['m', 2],
    ]);
    const expected = walk(node).find((n) => n.type === 'identifier' && names.has(n.text));
    assert.equal(index.firstNamed(names, node), expected);
  }
});

test('the tree makes a node object only when the reader asks for that node', async () => {
  const { root } = await parsePythonSource(SCRIPT);
  const tree = root.tree;
  assert.equal(tree.madeCount, 1, 'the parse makes the root only');
  const index = new ScriptIndex(root);
  assert.equal(tree.madeCount, 1, 'indexing looks at the store');
  const calls = index.ofType('call');
  assert.equal(tree.madeCount, 1 + calls.length);
  // Named children and fields are found in the store: the punctuation between arguments is not made.
  const dense = calls.find((c) => c.text === 'keras.layers.Dense(y)')!;
  const args = dense.childForFieldName('arguments')!;
  assert.deepEqual(
    args.namedChildren.map((n) => n.text),
    ['y'],
  );
  assert.equal(tree.madeCount, 1 + calls.length + 2);
  // Each node is one object, whichever way it is reached.
  assert.equal(args.namedChildren[0].parent, args);
  assert.equal(args.children[1], args.namedChildren[0]);
  assert.equal(root.subtree()[args.id], args);
});

test('nodes far into a large tree are one object each, and know their index and previous named sibling', async () => {
  const { root } = await parsePythonSource(pythonOfSize(40_000));
  const tree = root.tree;
  assert.ok(tree.count > 10_000);
  const calls = new ScriptIndex(root).ofType('call').filter((c) => c.id > 5000);
  for (const call of calls.slice(0, 50)) {
    assert.equal(tree.node(call.id), call);
    const args = call.childForFieldName('arguments')!;
    const children = args.children;
    let previousNamed: Node | null = null;
    for (let i = 0; i < children.length; i++) {
      assert.equal(children[i].index, i);
      assert.equal(children[i].previousNamedSibling, previousNamed);
      if (children[i].isNamed) previousNamed = children[i];
    }
  }
});

test('ofTypes with a test on the store makes only the nodes it keeps', async () => {
  const { root } = await parsePythonSource(SCRIPT);
  const index = new ScriptIndex(root);
  const { starts, text } = root.tree;
  const before = root.tree.madeCount;
  const twos = index.ofTypes(['integer', 'identifier'], (id) => text[starts[id]] === '2');
  assert.deepEqual(
    twos.map((n) => n.text),
    ['2'],
  );
  assert.equal(root.tree.madeCount, before + 1);
});

test('callsNamed gives the calls whose resolved name passes, in source order, from names resolved once per read', async () => {
  const { root } = await parsePythonSource(
    `from tensorflow import keras as K\nL = K.layers\nm = K.Sequential([L.Dense(2), K.layers.Dense(1)])\nprint(m)\nK.Sequential()\n`,
  );
  const ctx = scriptContext(root);
  const text = (n: Node) => n.text.slice(0, n.text.indexOf('('));
  assert.deepEqual(callsNamed(ctx, (name) => name === 'keras.layers.Dense').map(text), ['L.Dense', 'K.layers.Dense']);
  assert.deepEqual(callsNamed(ctx, (name) => name === 'keras.Sequential').map(text), ['K.Sequential', 'K.Sequential']);
  assert.deepEqual(calleeNames(ctx), [
    'keras.Sequential',
    'keras.layers.Dense',
    'keras.layers.Dense',
    'print',
    'keras.Sequential',
  ]);
  assert.equal(calleeNames(ctx), calleeNames(ctx));
});
