/**
 * The session driver both front ends use: plan once, preflight, pool, stop, saves after every epoch and at the end.
 * Workers here are real processes speaking the worker protocol (a scripted stand-in for dist/worker.js, so no build
 * is needed); records go to a real RunStore in a temporary folder.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunRecord, RunResult, WorkerEvent } from '../../src/protocol';
import { RunStore } from '../../src/panel/run-store';
import { RunPool } from '../../src/training/host/pool';
import { newRunResult } from '../../src/training/host/run-fold';
import { SessionDriver, type DriverOptions, type RecordSink } from '../../src/training/host/session-driver';
import { isRecordId } from '../../src/training/host/record-file';
import { BackendError } from '../../src/training/backend';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-driver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Sends one epoch every `delay` ms up to fit.epochs, then `finished`; a `stop` ends it after the current epoch. */
const worker = join(dir, 'worker.js');
writeFileSync(
  worker,
  `let stop = false;
process.on('message', (m) => {
  if (m.type === 'stop') { stop = true; return; }
  if (m.type !== 'start') return;
  const runId = m.run.runId;
  const epochs = m.run.definition.fit.epochs;
  let e = 0;
  const tick = () => {
    if (stop || e === epochs) {
      process.send({ type: 'finished', runId, status: stop ? 'cancelled' : 'completed', durationMs: 5 }, () => process.exit(0));
      return;
    }
    e++;
    process.send({ type: 'epoch', runId, epoch: e, logs: { loss: 1 / e }, epochMs: 1 });
    setTimeout(tick, 30);
  };
  tick();
});
`,
);

const summary = { name: 'Tiny MLP', layers: [], totalParams: 8, trainableParams: 8, nonTrainableParams: 0 };

function options(over: Partial<DriverOptions> & { epochs?: number }): DriverOptions {
  return {
    pool: new RunPool({ size: 2, workerPath: worker, onStderr: () => undefined }),
    kind: 'train',
    definition: {
      name: 'tiny',
      layers: [{ type: 'Dense', units: 2, input_shape: [3] }],
      fit: { epochs: 3 },
      dataset: 'fashion-mnist-sample',
    },
    summary,
    baseDir: dir,
    backend: 'cpu',
    cacheDir: dir,
    ...over,
  };
}

/** A RunStore that also counts its writes. */
function countingStore(folder: string): RecordSink & { writes: number; store: RunStore } {
  const store = new RunStore(folder);
  const sink = {
    writes: 0,
    store,
    write: async (record: RunRecord) => {
      sink.writes++;
      return store.write(record);
    },
  };
  return sink;
}

test(
  'a train session: planned once, saved after every epoch and at the end, each event reported once',
  { timeout: 30_000 },
  async () => {
    const sink = countingStore(join(dir, 'runs-a'));
    const events: WorkerEvent[] = [];
    const started: RunRecord[] = [];
    const o = options({
      sink,
      reporter: { started: (r) => started.push(structuredClone(r)), event: (_r, _run, e) => events.push(e) },
    });
    const driver = new SessionDriver(o);
    try {
      assert.ok(isRecordId(driver.id) && /-train-tiny-mlp-/.test(driver.id), driver.id);
      assert.equal(driver.specs.length, 1);
      const outcome = await driver.run();
      assert.equal(outcome.state, 'trained');
      if (outcome.state !== 'trained') return;
      assert.equal(outcome.saved, true);
      assert.equal(started.length, 1);
      assert.deepEqual(
        started[0].runs.map((r) => r.status),
        ['queued'],
      );
      assert.deepEqual(
        events.map((e) => e.type),
        ['epoch', 'epoch', 'epoch', 'finished'],
      );
      const run = outcome.record.runs[0];
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.history.loss, [1, 1 / 2, 1 / 3]);
      assert.equal(outcome.record.active, false);
      // Three epoch saves and the final one, serialised; the file holds the final state.
      assert.equal(sink.writes, 4);
      const saved = await sink.store.read(driver.id);
      assert.equal(saved.runs[0].status, 'completed');
      assert.equal(saved.active, false);
    } finally {
      o.pool.dispose();
    }
  },
);

test(
  'the pool folds each event into the run it is given: the session and the pool hold one RunResult',
  { timeout: 30_000 },
  async () => {
    const pool = new RunPool({ size: 1, workerPath: worker, onStderr: () => undefined });
    try {
      const spec = new SessionDriver(options({ pool })).specs[0];
      const run: RunResult = newRunResult(spec, 3);
      const seen: number[] = [];
      const handle = pool.run(spec, (e) => e.type === 'epoch' && seen.push(run.history.loss!.length), run);
      const result = await handle.result;
      assert.equal(result, run, 'the settled result is the very object passed in');
      assert.deepEqual(seen, [1, 2, 3], 'folded before the listener is told, once per event');
    } finally {
      pool.dispose();
    }
  },
);

test('stopping during training cancels the runs and keeps and saves their epochs', { timeout: 30_000 }, async () => {
  const sink = countingStore(join(dir, 'runs-b'));
  const o = options({ kind: 'compare', epochs: 50, sink });
  o.definition = { ...o.definition, compare: { optimizers: ['sgd', 'adam'] } } as typeof o.definition;
  const driver = new SessionDriver({
    ...o,
    reporter: { event: (_r, _run, e) => e.type === 'epoch' && e.epoch === 2 && driver.stop() },
  });
  try {
    assert.equal(driver.specs.length, 2);
    const outcome = await driver.run();
    assert.equal(outcome.state, 'trained');
    if (outcome.state !== 'trained') return;
    for (const run of outcome.record.runs) {
      assert.equal(run.status, 'cancelled');
      assert.ok((run.history.loss?.length ?? 0) >= 1 && (run.history.loss?.length ?? 0) < 50);
    }
    assert.deepEqual(
      (await sink.store.read(driver.id)).runs.map((r) => r.status),
      ['cancelled', 'cancelled'],
    );
  } finally {
    o.pool.dispose();
  }
});

test('a stop before training (an aborted signal) starts nothing and writes nothing', { timeout: 30_000 }, async () => {
  const sink = countingStore(join(dir, 'runs-c'));
  const signal = AbortSignal.abort();
  const o = options({ sink, signal });
  try {
    const driver = new SessionDriver(o);
    assert.deepEqual(await driver.run(), { state: 'stopped' });
    assert.equal(driver.record, undefined);
    assert.equal(sink.writes, 0);
    assert.deepEqual(o.pool.pids(), []);
  } finally {
    o.pool.dispose();
  }
});

test('a backend that cannot run fails the session once, before any worker', { timeout: 30_000 }, async () => {
  const sink = countingStore(join(dir, 'runs-d'));
  const o = options({ sink, backend: 'tensorflow-gpu' });
  try {
    await assert.rejects(new SessionDriver(o).run(), BackendError);
    assert.equal(sink.writes, 0);
  } finally {
    o.pool.dispose();
  }
});

test('a save that fails is reported (every time) but training goes on and ends', { timeout: 30_000 }, async () => {
  const failures: string[] = [];
  const o = options({
    sink: { write: () => Promise.reject(new Error('the disk is full')) },
    reporter: { saveFailed: (e) => failures.push(e.message) },
  });
  try {
    const outcome = await new SessionDriver(o).run();
    assert.equal(outcome.state, 'trained');
    if (outcome.state !== 'trained') return;
    assert.equal(outcome.saved, false);
    assert.equal(outcome.record.runs[0].status, 'completed');
    assert.deepEqual(failures, ['the disk is full', 'the disk is full', 'the disk is full', 'the disk is full']);
  } finally {
    o.pool.dispose();
  }
});
