/**
 * RunPool when a worker dies: the sentence the run fails with, and `pids()`. The crashes are real processes that
 * really run out of V8 heap or really get SIGKILL; they stand in for dist/worker.js only in what they run, so these
 * tests need no build (the reliability suite does the same with the real worker).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunSpec } from '../../src/protocol';
import { workerStderr } from '../../src/cli/run-output';
import { crashMessage, RunPool, StderrWatch } from '../../src/training/host/pool';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-pool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const script = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

const spec = (runId: string, epochs: number): RunSpec => ({
  runId,
  label: runId,
  definition: { layers: [{ type: 'Dense', units: 2, input_shape: [3] }], fit: { epochs } },
  repeat: 0,
  seed: 1,
  backend: 'cpu',
  baseDir: dir,
  cacheDir: dir,
});

test("V8's out-of-memory report is recognised even when a long native stack trace follows it or a chunk splits it", () => {
  const trace = Array.from(
    { length: 60 },
    (_, i) =>
      ` ${i + 1}: 0x10fb205 v8::internal::Heap::CollectGarbage(v8::internal::AllocationSpace) [/usr/bin/node]\n`,
  ).join('');
  assert.ok(trace.length > 4096, 'the trace alone is longer than the kept tail');
  const watch = new StderrWatch();
  watch.add(
    '<--- Last few GCs --->\n\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n',
  );
  for (let i = 0; i < trace.length; i += 512) watch.add(trace.slice(i, i + 512));
  assert.equal(watch.outOfMemory, true);
  assert.ok(watch.tail.length <= 4096);

  const split = new StderrWatch();
  split.add('FATAL ERROR: Reached heap limit Alloc');
  assert.equal(split.outOfMemory, false);
  split.add('ation failed');
  assert.equal(split.outOfMemory, true);

  const other = new StderrWatch();
  other.add('(node:123) Warning: something unrelated\n'.repeat(200));
  assert.equal(other.outOfMemory, false);
});

test('out of memory gives the memory sentence, whatever the signal', () => {
  const expected =
    'The training process ran out of memory after 2 of 5 epochs; lower batch_size or the model size, or train fewer runs at once (modelLab.maxParallelRuns / --workers).';
  assert.equal(crashMessage(null, 'SIGABRT', true, 2, 5), expected);
  assert.equal(crashMessage(134, null, true, 2, 5), expected);
});

test('any other death says what was kept and what to do', () => {
  assert.equal(
    crashMessage(null, 'SIGKILL', false, 1, 3),
    'The training process exited unexpectedly (signal SIGKILL) after 1 of 3 epochs; the finished epochs are kept — run it again, and if it keeps happening see the Model Lab log.',
  );
  // Nothing finished, so nothing is said to be kept.
  assert.equal(
    crashMessage(1, null, false, 0, 1),
    'The training process exited unexpectedly (exit code 1) after 0 of 1 epoch; run it again, and if it keeps happening see the Model Lab log.',
  );
});

test('a worker that really runs out of heap fails its run with the memory sentence', async () => {
  const hog = script(
    'hog.js',
    "process.on('message', () => { const keep = []; for (;;) keep.push(new Array(100000).fill(1.5)); });\n",
  );
  let passedOn = '';
  const pool = new RunPool({
    size: 1,
    workerPath: hog,
    execArgv: ['--max-old-space-size=16'],
    onStderr: (t) => (passedOn += t),
  });
  try {
    const handle = pool.run(spec('hog', 2), () => undefined);
    const result = await handle.result;
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /^The training process ran out of memory after 0 of 2 epochs; lower batch_size/);
    assert.match(passedOn, /JavaScript heap out of memory/, "the worker's own report is passed on, not swallowed");
    assert.deepEqual(pool.pids(), []);
  } finally {
    pool.dispose();
  }
});

test("the CLI shows a worker's stack trace only with MODEL_LAB_DEBUG; the run still fails with its sentence", async () => {
  const buggy = script(
    'buggy.js',
    "process.on('message', () => { process.stderr.write('model-lab worker: TypeError: x is undefined\\n    at step (loop.js:1:2)\\n'); process.exit(1); });\n",
  );
  for (const debug of ['', '1']) {
    let shown = '';
    const pool = new RunPool({
      size: 1,
      workerPath: buggy,
      onStderr: workerStderr({ env: { MODEL_LAB_DEBUG: debug }, err: (t) => (shown += t) }),
    });
    try {
      const result = await pool.run(spec(`buggy${debug}`, 1), () => undefined).result;
      assert.equal(result.status, 'failed');
      assert.match(result.error ?? '', /^The training process exited unexpectedly \(exit code 1\)/);
      if (debug) assert.match(shown, /at step \(loop\.js:1:2\)/, 'MODEL_LAB_DEBUG passes the stack on');
      else assert.equal(shown, '', 'no stack trace reaches the terminal');
    } finally {
      pool.dispose();
    }
  }
});

test('pids() lists the live workers; a worker killed with SIGKILL fails its run and leaves the list', async () => {
  const idle = script('idle.js', "process.on('message', () => undefined);\n");
  const pool = new RunPool({ size: 2, workerPath: idle });
  try {
    const a = pool.run(spec('a', 3), () => undefined);
    const b = pool.run(spec('b', 3), () => undefined);
    const queued = pool.run(spec('c', 3), () => undefined);
    assert.deepEqual(pool.pids().sort(), [a.pid, b.pid].sort(), 'two workers run; the third run waits');
    assert.equal(queued.pid, undefined);
    process.kill(a.pid!, 'SIGKILL');
    const result = await a.result;
    assert.equal(result.status, 'failed');
    assert.match(
      result.error ?? '',
      /^The training process exited unexpectedly \(signal SIGKILL\) after 0 of 3 epochs; run it again/,
    );
    assert.ok(!pool.pids().includes(a.pid!));
  } finally {
    pool.dispose();
  }
});

test('a worker killed by dispose() (VS Code closing) is cancelled with its epochs, not reported as a crash', async () => {
  const { RunPool } = await import('../../src/training/host/pool');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  // A stand-in worker: reports a start and one epoch, then waits forever (as a worker mid-epoch does).
  const dir = mkdtempSync(path.join(tmpdir(), 'model-lab-pool-'));
  const worker = path.join(dir, 'worker.js');
  writeFileSync(
    worker,
    `process.on('message', (m) => {
       if (m.type !== 'start') return;
       const runId = m.run.runId;
       process.send({ type: 'epoch', runId, epoch: 1, logs: { loss: 0.5 }, epochMs: 10 });
       setInterval(() => {}, 1000);
     });`,
  );
  const pool = new RunPool({ size: 1, workerPath: worker, onStderr: () => undefined });
  let epochs = 0;
  const handle = pool.run(
    {
      runId: 'r1',
      label: 'adam',
      repeat: 0,
      seed: 1,
      backend: 'cpu',
      baseDir: dir,
      cacheDir: dir,
      definition: { layers: [], fit: { epochs: 3 } },
    },
    (e) => {
      if (e.type === 'epoch') {
        epochs++;
        pool.dispose();
      }
    },
  );
  const result = await handle.result;
  assert.equal(epochs, 1);
  assert.equal(result.status, 'cancelled');
  assert.match(result.error ?? '', /shut down; finished epochs are kept/);
  assert.deepEqual(result.history.loss, [0.5]);
});
