/**
 * Issue 14, hangs and unbounded work: a FIFO, /dev/zero or /dev/urandom given as a model file, a CSV or an IDX file
 * (directly or through a symlink) is refused in bounded time with one sentence, never read until memory runs out
 * and never reported as "a folder".
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';
import { loadCsv } from '../../src/data/csv';
import { DataError } from '../../src/data/errors';
import { readIdxImages } from '../../src/data/idx';
import { BoundedReadError, readFileBounded } from '../../src/data/read-bounded';
import { assertUserMessage, tempDir, withTimeout } from '../fixtures/reliability/harness';

function specials(dir: string): { name: string; path: string }[] {
  const fifo = join(dir, 'pipe');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  symlinkSync('/dev/zero', join(dir, 'zero-link'));
  return [
    { name: 'FIFO', path: fifo },
    { name: '/dev/zero', path: '/dev/zero' },
    { name: '/dev/urandom', path: '/dev/urandom' },
    { name: 'symlink to /dev/zero', path: join(dir, 'zero-link') },
  ];
}

test('a FIFO or device as the model file: exit 2 in a second, one line, not "a folder"', async () => {
  const { dir, cleanup } = tempDir('special-model');
  try {
    for (const { name, path } of specials(dir)) {
      for (const command of ['check', 'summary', 'export']) {
        let err = '';
        const args = command === 'export' ? [command, path, '--keras', join(dir, 'o.py')] : [command, path];
        const code = await withTimeout(
          main(args, {
            out: () => undefined,
            err: (t) => (err += t),
            cwd: dir,
            env: {},
            signal: new AbortController().signal,
          }),
          5000,
          `${command} of ${name} did not finish`,
        );
        assert.equal(code, 2, `${command} ${name}: ${err}`);
        assert.doesNotMatch(err, /folder/, name);
        assertUserMessage(err.trim().split('\n').pop(), [/not a regular file/], `${command} ${name}`);
      }
    }
  } finally {
    cleanup();
  }
});

test('a FIFO or device as dataset.csv is refused by name, not read', async () => {
  const { dir, cleanup } = tempDir('special-csv');
  try {
    for (const { name, path } of specials(dir)) {
      const e = await withTimeout(
        loadCsv(path, { label: 'label' }).then(
          () => undefined,
          (x) => x,
        ),
        5000,
        `CSV ${name}`,
      );
      assert.ok(e instanceof DataError, `${name}: ${e}`);
      assertUserMessage(e.message, [path, /FIFO|character device/], `CSV ${name}`);
      assert.doesNotMatch(e.message, /folder/);
    }
  } finally {
    cleanup();
  }
});

test('a FIFO or device as an IDX file is refused by name, not read', async () => {
  const { dir, cleanup } = tempDir('special-idx');
  try {
    for (const { name, path } of specials(dir)) {
      const e = await withTimeout(
        readIdxImages(path).then(
          () => undefined,
          (x) => x,
        ),
        5000,
        `IDX ${name}`,
      );
      assert.ok(e instanceof DataError, `${name}: ${e}`);
      assertUserMessage(e.message, [path, /FIFO|character device/], `IDX ${name}`);
    }
  } finally {
    cleanup();
  }
});

test('readFileBounded reads a regular file whole and refuses one over the limit without reading it all', async () => {
  const { dir, cleanup } = tempDir('bounded');
  try {
    writeFileSync(join(dir, 'a'), 'hello');
    assert.equal((await readFileBounded(join(dir, 'a'), 5)).toString(), 'hello');
    await assert.rejects(
      readFileBounded(join(dir, 'a'), 4),
      (e) => e instanceof BoundedReadError && e.reason === 'too-large' && e.size === 5,
    );
    await assert.rejects(readFileBounded(dir, 4), (e) => e instanceof BoundedReadError && e.reason === 'folder');
    await assert.rejects(
      readFileBounded(join(dir, 'none'), 4),
      (e) => e instanceof BoundedReadError && e.reason === 'missing',
    );
  } finally {
    cleanup();
  }
});
