/** The JSON front end and definition paths: ranges, syntax errors, and inputs that must never crash. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, getPath, parseModelJson, parsePathKey, pathKey, rangeFor, setPath, MAX_DEPTH } from '../../src/model';

test('pathKey below a base key is the key of the joined path', () => {
  const paths: (string | number)[][] = [[], ['layers'], ['layers', 1], [0, 'units'], ['set', 'a.b[3]'], [2]];
  for (const base of paths)
    for (const p of paths) assert.equal(pathKey(p, pathKey(base)), pathKey([...base, ...p]), `${base} + ${p}`);
});

test('pathKey and parsePathKey are inverses', () => {
  assert.equal(pathKey([]), '');
  assert.equal(pathKey(['layers', 1, 'units']), 'layers[1].units');
  assert.equal(
    pathKey(['compare', 'variants', 0, 'set', 'layers[1].activation']),
    'compare.variants[0].set["layers[1].activation"]',
  );
  for (const p of [
    ['layers', 1, 'units'],
    ['fit', 'batch_size'],
    ['compare', 'variants', 2, 'set', 'a.b[3]'],
    ['layers', 0, 'kernel_size', 1],
  ]) {
    assert.deepEqual(parsePathKey(pathKey(p)), p);
  }
  assert.deepEqual(parsePathKey(''), []);
  for (const bad of ['layers[', 'layers[x]', '.units', 'layers..units', 'layers[1]units', '1abc', 'a b']) {
    assert.equal(parsePathKey(bad), undefined, bad);
  }
});

test('setPath copies only along the path and creates missing objects', () => {
  const def = {
    layers: [
      { type: 'Dense', units: 3 },
      { type: 'Dense', units: 1 },
    ],
    fit: { epochs: 2 },
  };
  const out = setPath(def, 'layers[1].units', 7);
  assert.equal(out.layers[1].units, 7);
  assert.equal(def.layers[1].units, 1);
  assert.equal(out.layers[0], def.layers[0]);
  const withCompile = setPath(def, ['compile', 'optimizer'], 'adam') as Record<string, unknown>;
  assert.deepEqual(withCompile.compile, { optimizer: 'adam' });
  assert.throws(() => setPath(def, 'layers[5].units', 1), /past the end/);
  assert.throws(() => setPath(def, 'fit.epochs.x', 1), /cannot set 'x'/);
  assert.equal(getPath(out, ['layers', 1, 'units']), 7);
  assert.equal(getPath(out, ['layers', 9, 'units']), undefined);
});

test('ranges: every value and key by path, rangeFor falls back to the nearest ancestor', () => {
  const text = '{\n  "layers": [\n    { "type": "Dense", "units": 4 }\n  ]\n}';
  const p = parseModelJson(text);
  assert.deepEqual(p.diagnostics, []);
  assert.deepEqual(p.ranges.values.get('layers[0].units'), {
    start: { line: 2, character: 32 },
    end: { line: 2, character: 33 },
  });
  assert.deepEqual(p.ranges.keys.get('layers[0].units'), {
    start: { line: 2, character: 23 },
    end: { line: 2, character: 30 },
  });
  assert.deepEqual(p.ranges.values.get('layers[0]'), {
    start: { line: 2, character: 4 },
    end: { line: 2, character: 35 },
  });
  assert.deepEqual(p.ranges.values.get(''), { start: { line: 0, character: 0 }, end: { line: 4, character: 1 } });
  assert.deepEqual(rangeFor(p.ranges, 'layers[0].activation'), p.ranges.values.get('layers[0]'));
  assert.deepEqual(rangeFor(p.ranges, ['fit', 'epochs']), p.ranges.values.get(''));
});

test('CRLF line endings and a BOM-free UTF-16 count of characters', () => {
  const text = '{\r\n  "name": "ünï",\r\n  "layers": [{ "type": "Dense", "units": 2, "input_shape": [1] }]\r\n}';
  const p = parseModelJson(text);
  assert.deepEqual(p.ranges.values.get('layers[0].units'), {
    start: { line: 2, character: 41 },
    end: { line: 2, character: 42 },
  });
  assert.equal(analyze(p).summary?.totalParams, 4);
});

test('duplicate keys: a warning, the last value counts', () => {
  const p = parseModelJson('{ "layers": [ { "type": "Dense", "units": 1, "units": 2, "input_shape": [1] } ] }');
  assert.equal(p.diagnostics[0].code, 'duplicate-key');
  assert.equal(p.diagnostics[0].severity, 'warning');
  assert.equal(analyze(p).layers[0].params, 4);
});

test('a "__proto__" key is data, not a prototype', () => {
  const p = parseModelJson(
    '{ "__proto__": { "x": 1 }, "layers": [ { "type": "Dense", "units": 1, "input_shape": [1] } ] }',
  );
  const a = analyze(p);
  assert.ok(a.diagnostics.some((d) => d.code === 'unknown-argument' && d.message.includes('__proto__')));
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

const MALFORMED: [string, string][] = [
  ['empty', ''],
  ['only whitespace', '   \n\t '],
  ['only a comment', '// nothing here\n'],
  ['binary', 'PK\u0003\u0004\u0000\u0000binary'],
  ['a list', '[1, 2, 3]'],
  ['a number', '42'],
  ['a string', '"layers"'],
  ['null', 'null'],
  ['unclosed object', '{ "layers": ['],
  ['unclosed string', '{ "layers": [ { "type": "Dense'],
  ['unclosed comment', '{ /* never closed "layers": [] }'],
  ['garbage', '@@@ ### !!!'],
  ['layers is a string', '{ "layers": "Dense" }'],
  ['layers holds numbers', '{ "layers": [1, 2, null] }'],
  ['layer without type', '{ "layers": [ { "units": 3 } ] }'],
  ['type is a number', '{ "layers": [ { "type": 7 } ] }'],
  ['input_shape of strings', '{ "layers": [ { "type": "Dense", "units": 2, "input_shape": ["a"] } ] }'],
  ['compile is a list', '{ "layers": [ { "type": "Flatten", "input_shape": [2] } ], "compile": [] }'],
  [
    'variants not a list',
    '{ "layers": [ { "type": "Flatten", "input_shape": [2] } ], "compare": { "variants": { "set": 1 } } }',
  ],
  [
    'variant set a list',
    '{ "layers": [ { "type": "Flatten", "input_shape": [2] } ], "compare": { "variants": [ { "label": "a", "set": [1] } ] } }',
  ],
  ['two roots', '{ "layers": [] } { "layers": [] }'],
  ['NaN and Infinity', '{ "layers": [ { "type": "Dense", "units": NaN, "input_shape": [Infinity] } ] }'],
  ['huge number', '{ "layers": [ { "type": "Dense", "units": 1e400, "input_shape": [1] } ] }'],
  ['lone surrogate key', '{ "\\ud800": 1, "layers": [] }'],
];

for (const [name, text] of MALFORMED) {
  test(`malformed (${name}): no throw, at least one positioned error`, () => {
    const p = parseModelJson(text);
    const a = analyze(p);
    const errors = a.diagnostics.filter((d) => d.severity === 'error');
    assert.ok(errors.length > 0, `no error for ${name}`);
    for (const d of errors) {
      assert.ok(d.range.start.line >= 0 && d.range.start.character >= 0);
      assert.ok(d.message.length > 10 && !/undefined|\[object/.test(d.message), d.message);
    }
  });
}

test('empty, binary and oversized texts get one clear error at the start', () => {
  assert.match(parseModelJson('').diagnostics[0].message, /empty/);
  assert.match(parseModelJson('\u0000\u0001').diagnostics[0].message, /binary/);
  const big = '{ "name": "' + 'x'.repeat(5 * 1024 * 1024) + '", "layers": [] }';
  const p = parseModelJson(big);
  assert.equal(p.diagnostics.length, 1);
  assert.match(p.diagnostics[0].message, /larger than the 5 MB/);
  assert.deepEqual(p.diagnostics[0].range.start, { line: 0, character: 0 });
});

test('10,000 levels of nesting: a positioned error, no stack overflow', () => {
  for (const text of [
    '['.repeat(10000) + ']'.repeat(10000),
    '{ "layers": [' + '{"a":'.repeat(10000) + '1' + '}'.repeat(10000) + '] }',
  ]) {
    const a = analyze(parseModelJson(text));
    assert.equal(a.diagnostics.length, 1);
    assert.match(a.diagnostics[0].message, new RegExp(`more than ${MAX_DEPTH} levels`));
  }
  // Brackets inside strings and comments do not count.
  const quoted =
    '{ "name": "' +
    '['.repeat(1000) +
    '", /* ' +
    '{'.repeat(1000) +
    ' */ "layers": [ { "type": "Dense", "units": 1, "input_shape": [1] } ] }';
  assert.equal(analyze(parseModelJson(quoted)).summary?.totalParams, 2);
});
