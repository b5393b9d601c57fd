/**
 * `model-lab train --save-weights DIR --json A` then `model-lab train --resume A --epochs N --json B` through the
 * bundled CLI: the second record holds one continuous history (the first run's epochs, then N more), the weights
 * folder holds weights.npz and keras_model.py, and a stopped-early run says so on its own line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunRecord } from '../../src/protocol';
import { sampleMlp } from '../helpers/models';

const root = join(__dirname, '..', '..');
const cli = join(process.env.MODEL_LAB_DIST ?? join(root, 'dist'), 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'ml-cli-more-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: work,
      env: { ...process.env, XDG_CACHE_HOME: join(work, 'cache'), MODEL_LAB_DATA: '' },
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('train --resume continues a saved run: one record, one continuous history', async () => {
  writeFileSync(join(work, 'm.model.json'), JSON.stringify(sampleMlp({ fit: { epochs: 2, batch_size: 100 } })));
  const first = await run(['train', 'm.model.json', '--save-weights', 'w', '--json', 'a.json']);
  assert.equal(first.code, 0, first.stderr);
  const a: RunRecord = JSON.parse(readFileSync(join(work, 'a.json'), 'utf8'));
  const weights = a.runs[0].weightsPath!;
  for (const f of ['weights.npz', 'keras_model.py', 'optimizer.npz', 'model.json'])
    assert.ok(existsSync(join(weights, f)), f);

  const more = await run(['train', '--resume', 'a.json', '--epochs', '2', '--json', 'b.json']);
  assert.equal(more.code, 0, more.stderr);
  assert.match(more.stdout, /^Epoch 3\/4 - /m);
  assert.match(more.stdout, /^Epoch 4\/4 - /m);
  assert.doesNotMatch(more.stdout, /^Epoch 1\//m);
  const b: RunRecord = JSON.parse(readFileSync(join(work, 'b.json'), 'utf8'));
  const run0 = b.runs[0];
  assert.equal(run0.history.loss.length, 4);
  assert.deepEqual(run0.history.loss.slice(0, 2), a.runs[0].history.loss);
  assert.equal(run0.epochMs.length, 4);
  assert.deepEqual(run0.continuedFrom, { runId: a.runs[0].runId, epochs: 2 });
  // Continuing from where it was: epoch 3 starts near epoch 2's loss, not from an untrained model's.
  assert.ok(run0.history.loss[2] < run0.history.loss[0]);

  const bad = await run(['train', '--resume', 'b.json', '--epochs', '1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no finished training run with saved weights/);
});

test('a run stopped by EarlyStopping says so on its own line and is completed (exit 0)', async () => {
  const def = sampleMlp({
    compile: {
      optimizer: { type: 'Adam', learning_rate: 0.01 },
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    },
    fit: {
      epochs: 50,
      batch_size: 100,
      callbacks: [{ type: 'EarlyStopping', patience: 1, restore_best_weights: true }],
    },
  });
  writeFileSync(join(work, 'es.model.json'), JSON.stringify(def));
  const r = await run(['train', 'es.model.json', '--json', 'es.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^Epoch \d+: early stopping: val_loss did not improve on \d\.\d{4} for 1 epoch \(patience 1\)\.$/m,
  );
  assert.match(r.stdout, /^Restoring model weights from the end of the best epoch: \d+\.$/m);
  const rec: RunRecord = JSON.parse(readFileSync(join(work, 'es.json'), 'utf8'));
  assert.equal(rec.runs[0].status, 'completed');
  assert.equal(rec.runs[0].stoppedBy?.callback, 'EarlyStopping');
});
