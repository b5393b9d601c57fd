/**
 * Issue 14, terminal escape sequences: names and labels are user text, and nothing the CLI prints may drive the
 * terminal (colour, title, clear screen, cursor moves, carriage-return overwrites, bidi reordering).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';
import { terminalSafe } from '../../src/cli/terminal-text';
import { tempDir } from '../fixtures/reliability/harness';

const NASTY = [
  '\x1b[2J\x1b[H',
  '\x1b]0;pwned\x07',
  '\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\',
  '\rOK   ',
  '\x9b31m',
  '\u202eevil',
  '\x08\x08\x7f',
  '\x1bc',
];
// eslint-disable-next-line no-control-regex -- the characters that must not be printed
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

test('terminalSafe keeps text, newlines and tabs and drops control characters and whole escape sequences', () => {
  assert.equal(terminalSafe('a\tb\nc ✓ 日本'), 'a\tb\nc ✓ 日本');
  assert.equal(terminalSafe('x\x1b[31mred\x1b[0my'), 'xredy');
  assert.equal(terminalSafe('t\x1b]0;title\x07u'), 'tu');
  assert.equal(terminalSafe('\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\'), 'link');
  for (const s of NASTY) assert.doesNotMatch(terminalSafe(`name${s}end`), CONTROL, JSON.stringify(s));
});

test('summary, check and export print hostile model and layer names without control characters', async () => {
  const { dir, cleanup } = tempDir('term');
  try {
    for (const [i, s] of NASTY.entries()) {
      const model = {
        name: `m${s}`,
        dataset: 'fashion-mnist-sample',
        layers: [
          { type: 'Flatten', input_shape: [28, 28] },
          { type: 'Dense', units: `ten${s}`, activation: 'softmax' },
        ],
      };
      const file = join(dir, `f${i}.model.json`);
      writeFileSync(file, JSON.stringify(model));
      for (const args of [
        ['summary', file],
        ['check', file],
        ['export', file, '--keras', join(dir, 'o.py')],
      ]) {
        let text = '';
        await main(args, {
          out: (t) => (text += t),
          err: (t) => (text += t),
          cwd: dir,
          env: {},
          signal: new AbortController().signal,
        });
        assert.doesNotMatch(text, CONTROL, `${args[0]} printed ${JSON.stringify(text)}`);
      }
    }
  } finally {
    cleanup();
  }
});
