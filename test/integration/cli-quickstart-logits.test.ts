/**
 * TensorFlow's beginner quickstart notebook (tensorflow/docs site/en/tutorials/quickstart/beginner.ipynb, commit
 * 01284fc39d29e7e78832c9fdf3fd177279ae132b; code cells as published) trained by the bundled CLI for one epoch:
 * `loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)` after a linear `Dense(10)`, read and
 * trained (on the fused engine), on a small mnist.npz written by NumPy in Keras's layout. Needs `npm run build`.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunRecord } from '../../src/protocol';
import { runCli } from '../helpers/cli-run';
import { writeKerasFiles } from '../fixtures/data/keras-files';

const root = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ml-quickstart-'));
after(() => rmSync(work, { recursive: true, force: true }));
before(() => {
  copyFileSync(join(root, 'test/fixtures/python/notebooks/tf-docs-quickstart-beginner.ipynb'), join(work, 'qs.ipynb'));
  mkdirSync(join(work, 'files'));
  writeKerasFiles(join(work, 'files'));
});

const run = (args: string[]) => runCli(work, args, 180_000);

test('train qs.ipynb --epochs 1: the from_logits loss object trains, its loss from the logits', async () => {
  const r = await run([
    'train',
    'qs.ipynb',
    '--epochs',
    '1',
    '--data',
    'files',
    '--backend',
    'wasm',
    '--json',
    'out.json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Training sequential on mnist \(10 train \/ 2 validation\) with Adam/);
  const record = JSON.parse(readFileSync(join(work, 'out.json'), 'utf8')) as RunRecord;
  const run0 = record.runs[0];
  assert.equal(run0.status, 'completed');
  assert.match(run0.engine ?? '', /^fused/, 'the fused Dense engine takes from_logits after a linear output');
  const [loss] = run0.history.loss ?? [];
  // An untrained 10-class model's crossentropy from logits is near ln 10 ≈ 2.3 (the tutorial says so); clipped
  // probabilities of a linear output would be far from it (log 1e-7 ≈ −16 for each negative output).
  assert.ok(loss > 1 && loss < 5, `loss ${loss}`);
  assert.equal(run0.history.accuracy?.length, 1);
});
