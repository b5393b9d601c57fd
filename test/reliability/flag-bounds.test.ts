/**
 * Issue 14, unbounded work and silent folding: every numeric CLI flag has the bounds of the file field it overrides
 * (`--repeats 1000000` was accepted while the file caps repeats at 100), and seeds are what Keras takes (0 to
 * 2**32 - 1) instead of being folded mod 2**32 without a word.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';
import { analyze } from '../../src/model/analyze';
import { parseModelJson } from '../../src/model/parse-json';
import { tempDir } from '../fixtures/reliability/harness';

async function cli(args: string[], cwd: string) {
  let err = '';
  const code = await main(args, {
    out: () => undefined,
    err: (t) => (err += t),
    cwd,
    env: {},
    signal: new AbortController().signal,
  });
  return { code, err };
}

const MODEL = JSON.stringify({
  dataset: 'fashion-mnist-sample',
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
});

test('out-of-bounds or malformed numeric flags are usage errors (exit 2) before anything trains', async () => {
  const { dir, cleanup } = tempDir('flags');
  try {
    writeFileSync(join(dir, 'm.model.json'), MODEL);
    const cases: [string, string, string][] = [
      ['compare', '--repeats', '1000000'],
      ['compare', '--repeats', '101'],
      ['compare', '--workers', '100000'],
      ['train', '--epochs', '100001'],
      ['train', '--epochs', '1e3'],
      ['train', '--epochs', '0x10'],
      ['train', '--batch-size', '1000001'],
      ['train', '--seed', '-1'],
      ['train', '--seed', '4294967296'],
      ['train', '--seed', '99999999999999999999'],
    ];
    for (const [command, flag, value] of cases) {
      const r = await cli([command, 'm.model.json', flag, value], dir);
      assert.equal(r.code, 2, `${command} ${flag} ${value}: ${r.err}`);
      assert.match(
        r.err,
        new RegExp(`^model-lab ${command}: ${flag} must be a whole number from [\\d,]+ to [\\d,]+, not '`),
        r.err,
      );
    }
  } finally {
    cleanup();
  }
});

test('a seed outside 0 … 2**32 - 1 in the file is an error at its position, as Keras would refuse it', async () => {
  for (const [where, seed] of [
    ['fit', -1],
    ['fit', 2 ** 32],
    ['dataset', -5],
  ] as const) {
    const text =
      where === 'fit'
        ? `{"layers":[{"type":"Dense","units":2,"input_shape":[3]}],\n"fit":{"seed":${seed}}}`
        : `{"dataset":{"name":"fashion-mnist-sample","seed":${seed}},"layers":[{"type":"Flatten","input_shape":[28,28]},{"type":"Dense","units":10}]}`;
    const errors = analyze(parseModelJson(text)).diagnostics.filter((d) => d.severity === 'error');
    assert.equal(errors.length, 1, `${where}.seed ${seed}: ${JSON.stringify(errors)}`);
    if (where === 'fit') assert.equal(errors[0].range.start.line, 1);
  }
});
