/**
 * The tutorial's notebook end to end through the bundled CLI (`node dist/cli.js`) on the real Fashion-MNIST
 * (Debian's dataset-fashion-mnist): `compare --models all --epochs 1` trains Keras's six classic optimizers and the
 * sigmoid model side by side, each on the 48,000 / 12,000 split its cells made, and lists what it skipped;
 * `train --model` trains the model it names. Needs the bundle (`npm run build`); about 3 minutes on 2 busy cores.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunRecord } from '../../src/protocol';
import { runCli } from '../helpers/cli-run';

const root = join(__dirname, '..', '..');
const DEBIAN = '/usr/share/datasets/fashion-mnist';
const work = mkdtempSync(join(tmpdir(), 'ml-nb-'));
after(() => rmSync(work, { recursive: true, force: true }));
before(() => {
  assert.ok(existsSync(DEBIAN), `${DEBIAN} is missing: install dataset-fashion-mnist.`);
  copyFileSync(join(root, 'test/fixtures/python/notebooks/hg-mldl-7-2.ipynb'), join(work, '7-2.ipynb'));
});

const run = (args: string[]) => runCli(work, args, 900_000);

test('compare --models all --epochs 1: the six optimizers and the sigmoid model complete; the rest is skipped with reasons', async () => {
  const r = await run(['compare', '7-2.ipynb', '--models', 'all', '--epochs', '1', '--json', 'all.json']);
  assert.equal(r.code, 0, r.stderr);
  const record = JSON.parse(readFileSync(join(work, 'all.json'), 'utf8')) as RunRecord;
  assert.deepEqual(
    record.runs.map((run) => [run.label, run.status]),
    [
      ['sequential_1 · sigmoid · RMSprop', 'completed'],
      ['sequential_2 · relu · RMSprop', 'completed'],
      ['sequential_2 · relu · SGD', 'completed'],
      ['sequential_2 · relu · SGD(lr=0.1)', 'completed'],
      ['sequential_2 · relu · SGD(momentum=0.9, nesterov)', 'completed'],
      ['sequential_2 · relu · Adagrad', 'completed'],
      ['sequential_3 · relu · Adam', 'completed'],
    ],
  );
  for (const run of record.runs) {
    assert.equal(run.history.loss?.length, 1, `${run.label}: one epoch (--epochs 1 overrides the cells' 5)`);
    // Better than chance on ten classes after one epoch.
    assert.ok((run.history.val_accuracy?.[0] ?? 0) > 0.5, `${run.label}: ${run.history.val_accuracy}`);
  }
  // train_test_split(test_size=0.2, random_state=42) of the 60,000: 48,000 train, 12,000 validation.
  assert.match(r.stdout, /on fashion-mnist \(48,000 train \/ 12,000 validation\) with 7 runs/);
  assert.match(r.stdout, /\* +sequential_\d · /, 'the table marks the best run');
  assert.match(r.stderr, /Skipped sequential \(7-2\.ipynb:cell 9:1:9\): it is never compiled\./);
  assert.match(r.stderr, /Skipped 패션 MNIST 모델 \(7-2\.ipynb:cell 12:1:9\): it is never compiled\./);
  assert.match(
    r.stderr,
    /Skipped sequential_2 \(7-2\.ipynb:cell 25:2:1\): the same set-up as the run 'sequential_2 · relu · SGD'/,
  );
});

test('train --model sequential_3 trains that model with its own compile (Adam); an unknown name lists the models', async () => {
  const r = await run(['train', '7-2.ipynb', '--model', 'sequential_3', '--epochs', '1', '--json', 'one.json']);
  assert.equal(r.code, 0, r.stderr);
  const record = JSON.parse(readFileSync(join(work, 'one.json'), 'utf8')) as RunRecord;
  assert.equal(record.runs[0].label, 'Adam');
  assert.match(r.stdout, /Training sequential_3 on fashion-mnist \(48,000 train \/ 12,000 validation\) with Adam/);
  const bad = await run(['train', '7-2.ipynb', '--model', 'dense']);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /no model is named 'dense'; the file defines 1 sequential, 2 패션 MNIST 모델, 3 sequential_1, 4 sequential_2, 5 sequential_3\./,
  );
});
