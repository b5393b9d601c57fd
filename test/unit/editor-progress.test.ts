import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overallFraction, progressMessage } from '../../src/editor/progress-math';
import { makeRun } from '../helpers/records';

test('overall fraction counts finished runs fully and live batches partially', () => {
  const done = makeRun('a', [0.5, 0.6]); // 2 of 2 epochs, completed
  const running = makeRun('b', [0.5], {
    status: 'running',
    epochs: 4,
    progress: { epoch: 2, batch: 50, batches: 100, loss: 1 },
  });
  const queued = makeRun('c', [], { status: 'queued', epochs: 2 });
  // (2 + (1 + 0.5) + 0) / (2 + 4 + 2) = 3.5 / 8
  assert.equal(overallFraction([done, running, queued]), 3.5 / 8);
  assert.equal(overallFraction([]), 0);
  const failedEarly = makeRun('d', [0.5], { status: 'failed', epochs: 5 });
  assert.equal(overallFraction([failedEarly]), 1, 'a finished run, even failed, has nothing left to do');
});

test('the notification says epoch, percent and time left', () => {
  const running = makeRun('b', [0.5], { status: 'running', epochs: 5 });
  // 1 epoch done of 5 → 20%; 10 s elapsed → 40 s left.
  assert.equal(progressMessage([running], 5, 0.2, 10_000), 'Epoch 2/5 · 20% · about 40 s left');
  assert.equal(progressMessage([running], 5, 0.2, 60_000), 'Epoch 2/5 · 20% · about 4 min left');
  assert.equal(progressMessage([running], 5, 0.01, 1_000), 'Epoch 2/5 · 1%', 'no estimate from too little');
  const a = makeRun('a', [0.5]);
  const b = makeRun('b', [], { status: 'running', epochs: 1 });
  assert.equal(progressMessage([a, b], 1, 0.5, 5_000), '1/2 runs done · 50% · about 5 s left');
});
