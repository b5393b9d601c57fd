import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunStore, RunStoreError, isRecordId, listItem, newRecordId, parseRecord } from '../../src/panel/run-store';
import { makeRecord, makeRun } from '../helpers/records';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'model-lab-store-'));

test('record ids are sortable, safe, and unique', () => {
  const a = newRecordId('compare', 'Fashion MLP / v2', new Date('2026-11-28T19:05:12Z'));
  assert.match(a, /^20261128-190512-compare-fashion-mlp-v2-[0-9a-f]{4}$/);
  assert.ok(isRecordId(a));
  assert.notEqual(a, newRecordId('compare', 'Fashion MLP / v2', new Date('2026-11-28T19:05:12Z')));
  assert.ok(!isRecordId('../etc/passwd'));
  assert.ok(!isRecordId(''));
});

test('write then read and list round-trips, newest first', async () => {
  const store = new RunStore(path.join(tmp(), 'runs'));
  const older = makeRecord('r-old', [makeRun('adam', [0.8, 0.85])], { createdAt: '2026-11-28T10:00:00.000Z' });
  const newer = makeRecord('r-new', [makeRun('sgd', [0.7]), makeRun('adam', [0.82])], {
    createdAt: '2026-11-28T11:00:00.000Z',
  });
  await store.write(older);
  await store.write(newer);
  assert.deepEqual(await store.read('r-old'), older);
  const { items, skipped } = await store.list();
  assert.equal(skipped, 0);
  assert.deepEqual(
    items.map((i) => i.id),
    ['r-new', 'r-old'],
  );
  assert.equal(items[0].bestValAccuracy, 0.82);
  assert.equal(items[0].kind, 'compare');
  assert.equal(items[1].runs, 1);
});

test('rewriting a record replaces it and leaves no temporary files', async () => {
  const dir = tmp();
  const store = new RunStore(dir);
  const r = makeRecord('r1', [makeRun('adam', [0.5])]);
  await store.write(r);
  r.runs[0].history.val_accuracy.push(0.6);
  await store.write(r);
  assert.deepEqual(readdirSync(dir).sort(), ['.gitignore', 'r1.json']);
  assert.deepEqual((await store.read('r1')).runs[0].history.val_accuracy, [0.5, 0.6]);
});

test('damaged files and leftovers of interrupted writes are skipped and counted', async () => {
  const dir = tmp();
  const store = new RunStore(dir);
  await store.write(makeRecord('good', [makeRun('adam', [0.5])]));
  writeFileSync(path.join(dir, 'broken.json'), '{"version": 1, "id": "broken", "kind": "tr');
  writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ hello: 'world' }));
  writeFileSync(path.join(dir, 'good.json.123.abcdef.tmp'), '{"version":1');
  const { items, skipped } = await store.list();
  assert.deepEqual(
    items.map((i) => i.id),
    ['good'],
  );
  assert.equal(skipped, 2);
  await assert.rejects(store.read('broken'), (e: Error) => e instanceof RunStoreError && /damaged/.test(e.message));
  await assert.rejects(store.read('missing'), /no longer exists/);
  await assert.rejects(store.read('../x'), /not a run record id/);
});

test('a process killed while writing never leaves a half-written record', async () => {
  const dir = tmp();
  // A child writes large records in a loop; we SIGKILL it mid-way, several times, then check every visible record.
  const script = path.join(tmp(), 'writer.ts');
  writeFileSync(
    script,
    `import { RunStore } from ${JSON.stringify(path.resolve('src/panel/run-store'))};
     import { makeRecord, makeRun } from ${JSON.stringify(path.resolve('test/helpers/records'))};
     const store = new RunStore(${JSON.stringify(dir)});
     const big = Array.from({ length: 200000 }, (_, i) => (i % 97) / 97);
     (async () => { for (let i = 0; ; i++) { await store.write(makeRecord('rec-' + (i % 3), [makeRun('adam', big)])); if (i === 0) process.send!('first'); } })();`,
  );
  for (let round = 0; round < 3; round++) {
    const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    await new Promise((r) => setTimeout(r, 30 + round * 40));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  const store = new RunStore(dir);
  const { items } = await store.list();
  assert.ok(items.length >= 1, 'at least the first record was completed');
  for (const item of items) {
    const record = await store.read(item.id);
    assert.equal(record.runs[0].history.val_accuracy.length, 200000);
  }
});

test('a runs folder that cannot be created (a file is in the way) fails clearly', async () => {
  const dir = tmp();
  writeFileSync(path.join(dir, 'runs'), 'not a folder');
  const store = new RunStore(path.join(dir, 'runs'));
  await assert.rejects(
    store.write(makeRecord('r', [makeRun('a', [0.1])])),
    /Could not save the run record in .*runs: a file is in the way of that folder\. The results stay in the panel/,
  );
});

test('parseRecord rejects what is not a record', () => {
  assert.equal(parseRecord('null'), undefined);
  assert.equal(parseRecord('[]'), undefined);
  assert.equal(parseRecord('{"version":2}'), undefined);
  assert.equal(parseRecord(JSON.stringify({ ...makeRecord('x', []), id: '../../x' })), undefined);
  assert.equal(parseRecord(JSON.stringify({ ...makeRecord('x', []), runs: [null] })), undefined);
  // The store refuses exactly what the panel would refuse to render (one validator for both).
  const { epochMs: _dropped, ...noEpochMs } = makeRun('a', [0.2]);
  assert.equal(parseRecord(JSON.stringify(makeRecord('x', [noEpochMs as never]))), undefined);
  assert.equal(parseRecord(JSON.stringify({ ...makeRecord('x', []), model: { name: 'm' } })), undefined);
  const ok = makeRecord('x', [makeRun('a', [0.2])]);
  assert.deepEqual(parseRecord(JSON.stringify(ok)), ok);
  assert.equal(listItem(ok).bestValAccuracy, 0.2);
  const stopped = makeRecord('y', [makeRun('a', [0.2]), makeRun('b', [0.9], { status: 'cancelled' })]);
  assert.equal(listItem(stopped).bestValAccuracy, 0.2, 'a stopped run is not the best result');
});

test('the runs folder keeps trained weights out of git with its own .gitignore, and never overwrites an edited one', async () => {
  const dir = tmp();
  const store = new RunStore(dir);
  await store.write(makeRecord('r1', [makeRun('adam', [0.5])]));
  const { readFileSync } = await import('node:fs');
  assert.match(readFileSync(path.join(dir, '.gitignore'), 'utf8'), /^\*-weights\/$/m);
  writeFileSync(path.join(dir, '.gitignore'), 'mine\n');
  await store.write(makeRecord('r2', [makeRun('adam', [0.5])]));
  assert.equal(readFileSync(path.join(dir, '.gitignore'), 'utf8'), 'mine\n');
});

test('the history line counts failed, stopped and interrupted runs', () => {
  const rec = makeRecord('z', [
    makeRun('a', [0.5]),
    makeRun('b', [0.5], { status: 'failed', error: 'x' }),
    makeRun('c', [0.5], { status: 'cancelled' }),
    makeRun('d', [0.5], {
      status: 'cancelled',
      error: 'Interrupted before it finished (VS Code closed or reloaded); finished epochs are kept.',
    }),
  ]);
  const item = listItem(rec);
  assert.deepEqual([item.failed, item.stopped, item.interrupted], [1, 1, 1]);
  assert.deepEqual([listItem(makeRecord('ok', [makeRun('a', [0.5])])).failed], [undefined]);
});

test('deleting a record removes its file and its saved weights, and refuses ids that are paths', async () => {
  const dir = tmp();
  const store = new RunStore(dir);
  await store.write(makeRecord('r1', [makeRun('adam', [0.5])]));
  await store.write(makeRecord('r2', [makeRun('adam', [0.5])]));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path.join(dir, 'r1-weights', 'run'), { recursive: true });
  writeFileSync(path.join(dir, 'r1-weights', 'run', 'w.bin'), 'x');
  await store.delete('r1');
  assert.deepEqual(readdirSync(dir).sort(), ['.gitignore', 'r2.json']);
  await store.delete('r1'); // already gone: fine
  await assert.rejects(store.delete('../r2'), RunStoreError);
});

test("a comparison of a file's models lists every model's name in the history, not only the first", () => {
  const model = (name: string) => ({ ...makeRecord('m', []).model, name });
  const runs = ['a', 'b', 'c', 'd', 'e'].map((n) => makeRun(n, [0.5], { model: model(`net_${n}`) }));
  assert.equal(listItem(makeRecord('one', [makeRun('a', [0.5])])).modelName, makeRecord('one', []).model.name);
  assert.equal(listItem(makeRecord('two', runs.slice(0, 2))).modelName, 'net_a, net_b');
  assert.equal(listItem(makeRecord('three', [...runs.slice(0, 3), runs[0]])).modelName, 'net_a, net_b, net_c');
  assert.equal(listItem(makeRecord('five', runs)).modelName, 'net_a, net_b and 3 more');
});
