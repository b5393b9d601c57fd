/**
 * A learning rate far too large makes the loss blow up. The run must stop with a sentence that says so and where,
 * and keep the epochs it finished before.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import type { WorkerEvent } from '../../src/protocol';
import { RunPool } from '../../src/training/host/pool';
import {
  assertUserMessage,
  requireDist,
  runSpec,
  sampleDefinition,
  tempDir,
  WORKER,
  withTimeout,
} from '../fixtures/reliability/harness';

const tmp = tempDir('diverge');
let pool: RunPool;
before(() => {
  requireDist();
  pool = new RunPool({ size: 1, workerPath: WORKER });
});
after(() => {
  pool.dispose();
  tmp.cleanup();
});

const FLOAT32_MAX = 3.4028234663852886e38;

test('SGD(learning_rate=10) on a one-weight regression stops at the batch where the loss overflows, keeping epoch 1', async () => {
  // 20 identical rows x=1, y=0; half are validation, so an epoch is 10 steps of batch 1. With one weight w and no
  // bias, mse is w², its gradient 2w, so each SGD step makes w ← w − 10·2w = −19w and the loss grows 361× a step:
  // loss_k = w0²·361^k. Epoch 1's mean is w0²(361¹⁰ − 1)/(360·10) and its val_loss (after 10 steps) w0²·361¹⁰.
  // The loss becomes infinite at the first step k with w0²·361^k > float32 max.
  writeFileSync(join(tmp.dir, 'line.csv'), ['x,y', ...Array.from({ length: 20 }, () => '1,0')].join('\n') + '\n');
  const definition: ModelDefinition = {
    name: 'one-weight',
    dataset: { csv: 'line.csv', label: 'y', validation_split: 0.5, seed: 1 },
    layers: [{ type: 'Dense', units: 1, use_bias: false, input_shape: [1] }],
    compile: { optimizer: { type: 'SGD', learning_rate: 10 }, loss: 'mse' },
    fit: { epochs: 4, batch_size: 1, shuffle: false },
  };
  const events: WorkerEvent[] = [];
  const run = await withTimeout(
    pool.run(runSpec('line', definition, tmp.dir), (e) => events.push(e)).result,
    60_000,
    'the run hung',
  );

  assert.equal(run.status, 'failed', 'a loss that overflowed must not count as a completed run');
  assert.equal(run.history.loss?.length, 1, 'epoch 1 (finite) is kept, nothing after it');
  const l1 = run.history.loss[0];
  const v1 = run.history.val_loss[0];
  // val_loss / loss of epoch 1 = 3600·361¹⁰ / (361¹⁰ − 1), whatever w0 the seed drew.
  const ratio = (3600 * 361 ** 10) / (361 ** 10 - 1);
  assert.ok(Math.abs(v1 / l1 - ratio) / ratio < 1e-3, `val_loss/loss = ${v1 / l1}, expected ${ratio}`);

  const w0sq = (l1 * 3600) / (361 ** 10 - 1);
  let k = 0;
  while (w0sq * 361 ** k <= FLOAT32_MAX) k++;
  const epoch = Math.floor(k / 10) + 1;
  const batch = (k % 10) + 1;
  assert.equal(epoch, 2, `with w0² = ${w0sq} the overflow falls in epoch ${epoch}; the test expects the second`);
  assert.match(run.error ?? '', new RegExp(`infinite at epoch ${epoch}, batch ${batch}\\b`));
  assert.match(run.error ?? '', /diverged/);
  assert.match(run.error ?? '', /learning_rate/, 'the message names the setting to change');
  assertUserMessage(run.error, [], 'the divergence error');
  assert.equal(events.filter((e) => e.type === 'epoch').length, 1);
  assert.equal(events.filter((e) => e.type === 'finished').length, 1, 'exactly one finished event');
});

test('SGD(learning_rate=10) on the Fashion-MNIST sample is reported as diverged, not as a completed run', async () => {
  // This network does not reach NaN: the loss explodes to thousands within a few batches, every relu unit dies,
  // and the model then gives the same output for every input (loss near chance, accuracy 10%) and cannot recover.
  // Exploded-then-dead is divergence too (src/training/collapse.ts).
  const definition = sampleDefinition({
    compile: {
      optimizer: { type: 'SGD', learning_rate: 10 },
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    },
    fit: { epochs: 2, batch_size: 32 },
  });
  const run = await withTimeout(
    pool.run(runSpec('sample-sgd10', definition, tmp.dir), () => undefined).result,
    60_000,
    'the run hung',
  );
  const epochsKept = run.history.loss?.length ?? 0;
  assert.equal(
    run.status,
    'failed',
    `a run stuck at loss ${run.history.loss?.join(', ')} (val_accuracy ${run.history.val_accuracy?.join(', ')}) finished as ${run.status}`,
  );
  assert.match(run.error ?? '', /diverged/);
  const at = /epoch (\d+)/.exec(run.error ?? '');
  assert.ok(at, `the message says at which epoch: ${run.error}`);
  assert.equal(epochsKept, Number(at![1]) - 1, 'every epoch before the one that diverged is kept');
  assertUserMessage(run.error, [/learning_rate/], 'the divergence error');
});
