/** The results panel's redraw throttle: at most one redraw per interval, and the last change always drawn. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UpdateThrottle } from '../../src/panel/update-throttle';

test('the first request runs at once; a burst within the interval runs once more, after it', async () => {
  let runs = 0;
  const throttle = new UpdateThrottle(40, () => runs++);
  throttle.request();
  assert.equal(runs, 1);
  for (let i = 0; i < 50; i++) throttle.request();
  assert.equal(runs, 1, 'held back within the interval');
  await sleep(80);
  assert.equal(runs, 2, 'the last change is drawn once the interval has passed');
  await sleep(60);
  assert.equal(runs, 2, 'nothing more without a request');
  throttle.request();
  assert.equal(runs, 3, 'an interval later a request runs at once again');
});

test('cancel drops a pending run', async () => {
  let runs = 0;
  const throttle = new UpdateThrottle(30, () => runs++);
  throttle.request();
  throttle.request();
  throttle.cancel();
  await sleep(60);
  assert.equal(runs, 1);
});
