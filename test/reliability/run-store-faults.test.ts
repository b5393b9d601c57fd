/**
 * A runs folder that cannot take the record — read-only, full, or not a folder at all — makes `RunStore.write` fail
 * with one clear sentence, while the session's results stay complete in memory and an earlier record on disk stays
 * intact.
 *
 * Tests run as root (here and in CI), and root ignores permission bits, so "read-only" and "full" are made real
 * with small tmpfs mounts (`mount -o ro`, `size=16k`). Where mounting is not permitted those cases are skipped and
 * say so; the not-a-folder case needs nothing special and always runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseRecord, RunStore, RunStoreError } from '../../src/panel/run-store';
import type { RunRecord } from '../../src/protocol';
import { RunPool } from '../../src/training/host/pool';
import { TrainingSession } from '../../src/training/host/session';
import { makeRecord, makeRun } from '../helpers/records';
import {
  assertUserMessage,
  requireDist,
  sampleDefinition,
  tempDir,
  WORKER,
  withTimeout,
} from '../fixtures/reliability/harness';

const tmp = tempDir('store');
const mounts: string[] = [];

/** Mounts a tmpfs at `dir` with `options`; returns why not when this sandbox does not allow it. */
function mountTmpfs(dir: string, options: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return (r.stderr || r.error?.message || `mount exited ${r.status}`).trim();
  mounts.push(dir);
  return undefined;
}

/** Fills a mounted tmpfs to the last byte, so the next write gets ENOSPC. */
function fill(dir: string): void {
  const chunk = Buffer.alloc(1024, 0x61);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(dir, `filler-${i}`), chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw e;
    }
  }
}

after(() => {
  for (const dir of mounts.reverse()) spawnSync('umount', ['-l', dir]);
  tmp.cleanup();
});

/** What each write attempt during training produced; the extension saves after every epoch in the same way. */
interface Attempt {
  error?: unknown;
}

async function trainWhileSaving(store: RunStore, id: string): Promise<{ record: RunRecord; attempts: Attempt[] }> {
  const pool = new RunPool({ size: 1, workerPath: WORKER });
  const attempts: Attempt[] = [];
  const pending: Promise<void>[] = [];
  try {
    const session = new TrainingSession(pool, {
      kind: 'train',
      id,
      definition: sampleDefinition({ fit: { epochs: 2, batch_size: 64 } }),
      summary: {
        name: 'reliability-mlp',
        layers: [],
        totalParams: 25_450,
        trainableParams: 25_450,
        nonTrainableParams: 0,
      },
      baseDir: tmp.dir,
      backend: 'wasm',
      cacheDir: tmp.dir,
      onUpdate: (record, _run, event) => {
        if (event.type !== 'epoch' && event.type !== 'finished') return;
        const attempt: Attempt = {};
        attempts.push(attempt);
        pending.push(
          store.write(structuredClone(record)).then(
            () => undefined,
            (e) => void (attempt.error = e),
          ),
        );
      },
    });
    const record = await withTimeout(session.done, 90_000, 'training did not finish');
    await Promise.all(pending);
    return { record, attempts };
  } finally {
    pool.dispose();
  }
}

function assertCompleteInMemory(record: RunRecord): void {
  const [run] = record.runs;
  assert.equal(run.status, 'completed', run.error);
  assert.equal(run.history.loss.length, 2);
  assert.equal(run.history.val_accuracy.length, 2);
  assert.ok(run.evaluation?.confusionMatrix, 'the evaluation is there');
  assert.equal(record.active, false);
  // What the panel would save later, once the folder is fixed, is a valid record.
  assert.ok(parseRecord(JSON.stringify(record)), 'the in-memory record is a complete, valid record');
}

function assertStoreError(e: unknown, folder: string, why: RegExp): void {
  assert.ok(e instanceof RunStoreError, `expected a RunStoreError, got ${e instanceof Error ? e.stack : String(e)}`);
  assertUserMessage(e.message, [folder, why], 'the RunStore error');
  assert.doesNotMatch(
    e.message,
    /\bE[A-Z]{3,}\b/,
    `the RunStore error shows a raw errno code instead of saying what it means: ${e.message}`,
  );
}

function noTempFiles(folder: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  assert.deepEqual(
    names.filter((n) => n.endsWith('.tmp')),
    [],
    'a failed write leaves no temporary file behind',
  );
}

before(requireDist);

describe('a runs folder that cannot take the record', () => {
  test('read-only (a tmpfs mounted ro): every save fails clearly, training completes with all results in memory', async (t) => {
    const folder = join(tmp.dir, 'ro');
    const why = mountTmpfs(folder, 'ro,size=64k');
    if (why) return t.skip(`mount is not permitted here (${why})`);
    const { record, attempts } = await trainWhileSaving(new RunStore(folder), 'ro-session');
    assert.ok(attempts.length >= 3, 'a save was attempted after each epoch and at the end');
    for (const a of attempts) assertStoreError(a.error, folder, /not writable/);
    assertCompleteInMemory(record);
    assert.deepEqual(readdirSync(folder), []);
  });

  test('full (a 16 KB tmpfs filled to the last byte): saves fail clearly, the earlier record stays intact', async (t) => {
    const folder = join(tmp.dir, 'full');
    const why = mountTmpfs(folder, 'size=16k');
    if (why) return t.skip(`mount is not permitted here (${why})`);
    const store = new RunStore(folder);
    // A record saved while there was room...
    const earlier = makeRecord('earlier-record', [makeRun('adam', [0.7, 0.8])]);
    const earlierFile = await store.write(earlier);
    const earlierBytes = readFileSync(earlierFile, 'utf8');
    fill(folder);
    // ...survives a failed overwrite (atomic write: the old version or the new one, never half).
    const bigger = makeRecord('earlier-record', [
      makeRun(
        'adam',
        Array.from({ length: 2000 }, (_, i) => i / 2000),
      ),
    ]);
    await assert.rejects(store.write(bigger), (e) => (assertStoreError(e, folder, /disk is full/), true));
    assert.equal(readFileSync(earlierFile, 'utf8'), earlierBytes, 'the earlier record is byte-for-byte unchanged');
    assert.deepEqual(await store.read('earlier-record'), earlier);
    noTempFiles(folder);

    const { record, attempts } = await trainWhileSaving(store, 'full-session');
    for (const a of attempts) assertStoreError(a.error, folder, /disk is full/);
    assertCompleteInMemory(record);
    noTempFiles(folder);
    assert.equal((await store.list()).items.length, 1, 'the history still lists the earlier record');
  });

  test('not a folder (its parent is a regular file): the save fails with a sentence, not an errno', async () => {
    const blocker = join(tmp.dir, 'blocker');
    writeFileSync(blocker, 'a file where a folder should be');
    const folder = join(blocker, 'runs');
    const store = new RunStore(folder);
    await assert.rejects(store.write(makeRecord('blocked', [makeRun('adam', [0.5])])), (e) => {
      assertStoreError(e, folder, /./);
      return true;
    });
  });

  test('a working folder after the failures above takes the same in-memory record unchanged', async () => {
    const folder = join(tmp.dir, 'ok');
    const { record } = await trainWhileSaving(new RunStore(join(tmp.dir, 'blocker', 'again')), 'late-save');
    const store = new RunStore(folder);
    await store.write(record);
    const back = await store.read('late-save');
    assert.deepEqual(back.runs[0].history, record.runs[0].history);
    assert.equal(back.runs[0].status, 'completed');
  });
});
