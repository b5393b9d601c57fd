/**
 * Issue 14, security: a name written into an exported Keras script can never become code. Each definition is
 * exported twice, once with plain names and once with hostile ones in the same places; CPython parses both, and the
 * two modules must have the same statements (string constants blanked) while every hostile name comes back intact as
 * a string. One script is also run, with a payload that would create a marker file if it ever executed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';
import { toKerasScript } from '../../src/model/python/keras-script';
import { pyComment, pyString } from '../../src/model/python/python-literal';
import type { ModelDefinition } from '../../src/model/types';
import { hasPython, PYTHON, scriptShape } from '../fixtures/reliability/python-ast';
import { tempDir } from '../fixtures/reliability/harness';

const skip = hasPython ? false : 'needs /usr/bin/python3';

/** Texts that close a literal, a docstring or a comment in some way, or hide in the source. */
export const HOSTILE_TEXTS = [
  'evil"""\nopen("MARKER", "w").write("pwned")\n"""',
  "evil'''\nimport os\n'''",
  'a" + __import__("os").getcwd() + "b',
  'line\rimport os',
  'x\u2028import os',
  'x\u0085y\u000bz\u000c',
  'nul\u0000byte',
  'back\\slash\\',
  '\\" ; import os #',
  'bidi\u202eexe.py\u202c',
  'f"{__import__(\'os\')}"',
  '日本語 🧪 \ud800 lone',
  '\u001b[31mred\u001b[0m',
  '{name}',
];

function definition(name: string, label: string, csv: string, column: string, key: string): ModelDefinition {
  return {
    name,
    dataset: { csv, label: column, validation_split: 0.25 },
    layers: [
      { type: 'Dense', units: 8, activation: 'relu', input_shape: [4], name: `${name}-layer` },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    fit: { epochs: 2, seed: 7 },
    compare: {
      variants: [
        { label, set: { 'layers[0].units': 16, [key]: 1 } },
        { label: `${label} 2`, set: { 'fit.batch_size': 8 } },
      ],
    },
  };
}

const plain = () => definition('plain', 'label', 'data.csv', 'species', 'dataset.other');

for (const text of HOSTILE_TEXTS) {
  test(`a hostile name (${JSON.stringify(text).slice(0, 40)}) stays a string in the exported script`, { skip }, () => {
    const opts = { baseDir: '/tmp/m', outDir: '/tmp/m' };
    const hostile = definition(text, text, `${text}.csv`, text, `dataset[${JSON.stringify(text)}]`);
    const safe = scriptShape(toKerasScript(plain(), { ...opts, source: 'plain.model.json' }));
    const bad = scriptShape(toKerasScript(hostile, { ...opts, source: `${text}.model.json` }));
    assert.equal(bad.statements, safe.statements);
    assert.equal(bad.shape, safe.shape, 'the hostile script has statements the generator did not write');
    // Python keeps a lone surrogate as one (it is a str, not UTF-8), so the names come back exactly.
    for (const s of [text, `${text}-layer`, `${text}.csv`]) {
      assert.ok(
        bad.strings.some((x) => x === s || x.endsWith(s)),
        `${JSON.stringify(s)} is not a string of the script`,
      );
    }
  });
}

test('without a compare section, the single-run script is safe the same way', { skip }, () => {
  const one = (name: string) => {
    const { compare: _c, ...d } = definition(name, 'l', 'd.csv', name, 'k');
    return scriptShape(toKerasScript(d, { source: `${name}.py` }));
  };
  const safe = one('plain');
  for (const text of HOSTILE_TEXTS) assert.equal(one(text).shape, safe.shape, JSON.stringify(text));
});

test('pyString and pyComment: printable ASCII out, the exact text back', { skip }, () => {
  for (const text of HOSTILE_TEXTS) {
    const literal = pyString(text);
    assert.match(literal, /^"[\x20-\x7e]*"$/);
    // eslint-disable-next-line no-control-regex -- the characters that must not survive
    assert.doesNotMatch(pyComment(`# ${text}`), /[\r\n\u2028\u2029\u0085\u0000\u202e]/);
  }
});

test('export --keras of a model named to break out of the docstring runs no payload', { skip }, async () => {
  const { dir, cleanup } = tempDir('hostile-export');
  try {
    const marker = join(dir, 'MARKER');
    const payload = `x"""\nopen(${JSON.stringify(marker)}, "w").write("pwned")\n"""`;
    const model = {
      name: payload,
      dataset: 'fashion-mnist-sample',
      layers: [
        { type: 'Flatten', input_shape: [28, 28] },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    };
    writeFileSync(join(dir, 'evil.model.json'), JSON.stringify(model));
    let err = '';
    const code = await main(['export', 'evil.model.json', '--keras', 'out.py'], {
      out: () => undefined,
      err: (t) => (err += t),
      cwd: dir,
      env: {},
      signal: new AbortController().signal,
    });
    assert.equal(code, 0, err);
    // Runs until its first import that is not installed here (tensorflow): any payload placed before it would run.
    const r = spawnSync(PYTHON, [join(dir, 'out.py')], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(r.error?.name, 'Error', String(r.error));
    assert.equal(existsSync(marker), false, `the payload ran: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stderr, /SyntaxError/);
  } finally {
    cleanup();
  }
});
