/** `model-lab summary --style keras2|keras3`, run in-process through main() with a fake CliIO. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-cli-style-'));
writeFileSync(
  join(dir, 'good.model.json'),
  `{ "layers": [
    { "type": "Flatten", "input_shape": [28, 28] },
    { "type": "Dense", "units": 100, "activation": "relu" },
    { "type": "Dense", "units": 10, "activation": "softmax" }
  ] }`,
);

async function run(...argv: string[]) {
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
}

// hg-mldl 7-2's published Keras 3 summary of this model (cell 18), with the fresh session's layer names.
const KERAS3 = `Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ flatten (Flatten)                    │ (None, 784)                 │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense (Dense)                        │ (None, 100)                 │          78,500 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 10)                  │           1,010 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 79,510 (310.59 KB)
 Trainable params: 79,510 (310.59 KB)
 Non-trainable params: 0 (0.00 B)
`;

test('summary --style keras3 prints Keras 3 boxed table; keras2 (the default) the Keras 2 one', async () => {
  for (const args of [['--style', 'keras3'], ['--style=keras3']]) {
    const r = await run('summary', 'good.model.json', ...args);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.equal(r.out, KERAS3);
  }
  const keras2 = await run('summary', '--style', 'keras2', 'good.model.json');
  assert.equal(keras2.code, 0);
  assert.equal(keras2.out, (await run('summary', 'good.model.json')).out);
  assert.match(keras2.out, /^Total params: 79,510$/m);
});

test('a bad --style is a one-line usage error naming the accepted values (exit 2, as other flag errors)', async () => {
  const r = await run('summary', 'good.model.json', '--style', 'keras4');
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /--style must be one of keras2, keras3, not 'keras4'\./);
  assert.equal(r.err.trim().split('\n').length, 1);
  const missing = await run('summary', 'good.model.json', '--style');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--style needs a value/);
});

test('--json is the same summary object in either style', async () => {
  const plain = await run('summary', 'good.model.json', '--json');
  const keras3 = await run('summary', 'good.model.json', '--json', '--style', 'keras3');
  assert.equal(keras3.code, 0);
  assert.equal(keras3.out, plain.out);
  assert.equal(JSON.parse(keras3.out).totalParams, 79510);
});
