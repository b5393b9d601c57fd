import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';
import { parsePythonModels } from '../../src/model/python/index';

const EXAMPLES = join(__dirname, '../../examples');
const FIXTURES = join(__dirname, '../fixtures/python');

async function run(args: string[], cwd: string) {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    cwd,
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'model-lab-export-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('export without --keras is a usage error (exit 2)', async () => {
  const r = await run(['export', join(EXAMPLES, 'fashion-relu.model.json')], EXAMPLES);
  assert.equal(r.code, 2);
  assert.match(
    r.err,
    /^model-lab export: say where to write the script with --keras OUT\.py\.\nUsage: model-lab export/,
  );
  assert.equal(r.out, '');
});

test('export of a .model.json writes a Keras script with the same model', async (t) => {
  const dir = tempDir(t);
  const r = await run(['export', join(EXAMPLES, 'fashion-relu.model.json'), '--keras', 'relu.py'], dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Wrote relu\.py: a Keras script for /);
  const [model] = await parsePythonModels(readFileSync(join(dir, 'relu.py'), 'utf8'));
  assert.deepEqual(
    model.definition?.layers.map((l) => l.type),
    ['Flatten', 'Dense', 'Dense'],
  );
});

test('export of a .py file takes the first model, or the one --model names', async (t) => {
  const dir = tempDir(t);
  const example = join(EXAMPLES, 'fashion_mnist_keras.py');
  const first = await run(['export', example, '--keras', 'a.py'], dir);
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /defines 2 models; exporting the first \(use --model N for another\)\./);
  const second = await run(['export', example, '--keras=b.py', '--model', '2'], dir);
  assert.equal(second.code, 0, second.err);
  assert.equal(second.err, '');
  const [cnn] = await parsePythonModels(readFileSync(join(dir, 'b.py'), 'utf8'));
  assert.equal(cnn.definition?.name, 'cnn');
  const third = await run(['export', example, '--keras', 'c.py', '--model', '3'], dir);
  assert.equal(third.code, 2);
  assert.match(third.err, /defines 2 models; give --model 1 to 2\./);
});

test('a model Model Lab cannot read completely is not exported, and the message says where', async (t) => {
  const dir = tempDir(t);
  const r = await run(['export', join(FIXTURES, 'unreadable.py'), '--keras', 'x.py'], dir);
  assert.equal(r.code, 2);
  // unreadable.py line 7, column 28: Dense(hidden_units, …) inside build().
  assert.match(
    r.err,
    /^model-lab export: cannot export: layer 2 cannot be read statically \('hidden_units' is a function parameter\) \(.*unreadable\.py:7:28\); /m,
  );
  assert.equal(
    r.err
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('model-lab export:')).length,
    1,
  );
  assert.equal(existsSync(join(dir, 'x.py')), false);
});

test('an unwritable destination is a runtime error in one line', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'file'), '');
  const r = await run(['export', join(EXAMPLES, 'fashion-relu.model.json'), '--keras', 'file/out.py'], dir);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^model-lab export: cannot write file\/out\.py \(ENOTDIR\); check that its folder exists and is writable\.\n$/,
  );
});
