/**
 * Issue 14, outputs that destroy things: a symlink is written through (the link stays, its target gets the content,
 * atomically), a device or FIFO is written directly, and an output that is the input or another output is refused
 * before anything is written.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  lstatSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
  linkSync,
  statSync,
  chmodSync,
  readdirSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';
import { outputClash, writeOutputFile } from '../../src/panel/output-file';
import { tempDir } from '../fixtures/reliability/harness';

const MODEL = JSON.stringify({
  name: 'tiny',
  dataset: 'fashion-mnist-sample',
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
});

async function cli(args: string[], cwd: string) {
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

test('--keras through a symlink replaces the file it points at and keeps the link', async () => {
  const { dir, cleanup } = tempDir('out-link');
  try {
    writeFileSync(join(dir, 'm.model.json'), MODEL);
    writeFileSync(join(dir, 'real.py'), 'old\n');
    chmodSync(join(dir, 'real.py'), 0o640);
    symlinkSync('real.py', join(dir, 'link.py'));
    const r = await cli(['export', 'm.model.json', '--keras', 'link.py'], dir);
    assert.equal(r.code, 0, r.err);
    assert.ok(lstatSync(join(dir, 'link.py')).isSymbolicLink(), 'the symlink was replaced by a regular file');
    assert.equal(readlinkSync(join(dir, 'link.py')), 'real.py');
    assert.match(readFileSync(join(dir, 'real.py'), 'utf8'), /keras\.Sequential/);
    assert.equal(statSync(join(dir, 'real.py')).mode & 0o777, 0o640, 'the permissions of the real file changed');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'a temporary file was left behind',
    );
  } finally {
    cleanup();
  }
});

test('a dangling symlink is written through to the file it names', async () => {
  const { dir, cleanup } = tempDir('out-dangling');
  try {
    symlinkSync('target.json', join(dir, 'out.json'));
    await writeOutputFile(join(dir, 'out.json'), '{}\n');
    assert.ok(lstatSync(join(dir, 'out.json')).isSymbolicLink());
    assert.equal(readFileSync(join(dir, 'target.json'), 'utf8'), '{}\n');
  } finally {
    cleanup();
  }
});

test('--keras /dev/null writes to the device and leaves it a device', async () => {
  const { dir, cleanup } = tempDir('out-dev');
  try {
    writeFileSync(join(dir, 'm.model.json'), MODEL);
    const r = await cli(['export', 'm.model.json', '--keras', '/dev/null'], dir);
    assert.equal(r.code, 0, r.err);
    assert.ok(statSync('/dev/null').isCharacterDevice());
  } finally {
    cleanup();
  }
});

test('an output that is a FIFO is written into the pipe; with no reader it fails at once instead of hanging', async () => {
  const { dir, cleanup } = tempDir('out-fifo');
  try {
    const fifo = join(dir, 'pipe');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d) => (got += d));
    const closed = new Promise((r) => reader.on('close', r));
    await new Promise((r) => setTimeout(r, 100));
    await writeOutputFile(fifo, 'through the pipe\n');
    await closed;
    assert.equal(got, 'through the pipe\n');
    assert.ok(statSync(fifo).isFIFO(), 'the FIFO was replaced');
    const started = Date.now();
    await assert.rejects(writeOutputFile(fifo, 'x'), /nothing is reading the pipe/);
    assert.ok(Date.now() - started < 2000);
  } finally {
    cleanup();
  }
});

test('export x.model.json --keras x.model.json is refused and the model file is untouched', async () => {
  const { dir, cleanup } = tempDir('out-self');
  try {
    writeFileSync(join(dir, 'm.model.json'), MODEL);
    symlinkSync('m.model.json', join(dir, 'alias.py'));
    linkSync(join(dir, 'm.model.json'), join(dir, 'hard.py'));
    for (const out of ['m.model.json', './m.model.json', 'alias.py', 'hard.py', join(dir, 'm.model.json')]) {
      const r = await cli(['export', 'm.model.json', '--keras', out], dir);
      assert.equal(r.code, 2, `${out}: ${r.err}`);
      assert.match(
        r.err,
        /^model-lab export: --keras .* is the model file m\.model\.json itself; writing it would destroy the input, so choose another file name\.\n$/,
      );
      assert.equal(readFileSync(join(dir, 'm.model.json'), 'utf8'), MODEL);
    }
  } finally {
    cleanup();
  }
});

test('train --json and --html naming one file, or the model or its CSV, is refused before training', async () => {
  const { dir, cleanup } = tempDir('out-train');
  try {
    writeFileSync(join(dir, 'm.model.json'), MODEL);
    writeFileSync(join(dir, 'd.csv'), 'a,label\n1,x\n');
    const same = await cli(['train', 'm.model.json', '--json', 'r.out', '--html', './r.out'], dir);
    assert.equal(same.code, 2, same.err);
    assert.match(
      same.err,
      /--html \.\/r\.out and --json r\.out are the same file; give each output its own file name\./,
    );
    const model = await cli(['train', 'm.model.json', '--json', 'm.model.json'], dir);
    assert.equal(model.code, 2, model.err);
    assert.match(model.err, /--json m\.model\.json is the model file m\.model\.json itself/);
    assert.equal(readFileSync(join(dir, 'm.model.json'), 'utf8'), MODEL);
    const clash = await outputClash(
      [{ what: '--json d.csv', path: join(dir, 'd.csv') }],
      [{ what: 'the dataset d.csv', path: join(dir, 'd.csv') }],
    );
    assert.match(clash ?? '', /is the dataset d\.csv itself/);
    assert.equal(
      await outputClash(
        [
          { what: 'a', path: '/dev/null' },
          { what: 'b', path: '/dev/null' },
        ],
        [],
      ),
      undefined,
    );
  } finally {
    cleanup();
  }
});
