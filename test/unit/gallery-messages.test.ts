/**
 * The gallery's and the history's new panel messages: strict checks of what the webview sends (examples requests,
 * renames, Repeat ×3), the shape check of the host's examples reply, renaming on disk, and where a past record's
 * model lived.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { recordPlace } from '../../src/editor/record-place';
import { RunStore } from '../../src/panel/run-store';
import { EXAMPLES_PER_REQUEST, TITLE_MAX_LENGTH } from '../../src/protocol';
import { parseHostMessage, parseWebviewMessage } from '../../src/protocol-validate';
import { makeRecord, makeRun } from '../helpers/records';

const request = {
  type: 'examples',
  requestId: 3,
  recordId: '20261201-220000-train-mlp-1a2b',
  runId: '20261201-220000-train-mlp-1a2b-0',
  split: 'validation',
  positions: [4, 0, 17],
};

test('an examples request is accepted as sent and copied', () => {
  const parsed = parseWebviewMessage(request);
  assert.deepEqual(parsed, request);
  assert.notEqual(parsed, request);
  assert.deepEqual(parseWebviewMessage({ ...request, split: 'test' }), { ...request, split: 'test' });
});

test('examples requests that are not whole, bounded, distinct positions of a known split are refused', () => {
  for (const bad of [
    { ...request, positions: [] },
    { ...request, positions: new Array(EXAMPLES_PER_REQUEST + 1).fill(0).map((_, i) => i) },
    { ...request, positions: [1, 1] },
    { ...request, positions: [-1] },
    { ...request, positions: [0.5] },
    { ...request, positions: ['1'] },
    { ...request, positions: '1,2' },
    { ...request, split: 'train' },
    { ...request, recordId: '../etc' },
    { ...request, runId: 'a/b' },
    { ...request, requestId: -1 },
    { ...request, extra: true },
  ]) {
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad).slice(0, 120));
  }
});

test('renames: trimmed, at most TITLE_MAX_LENGTH characters, no control characters; empty restores the default', () => {
  const id = 'rec_1';
  assert.deepEqual(parseWebviewMessage({ type: 'renameRecord', id, title: '  Adam baseline ' }), {
    type: 'renameRecord',
    id,
    title: 'Adam baseline',
  });
  assert.deepEqual(parseWebviewMessage({ type: 'renameRecord', id, title: '' }), {
    type: 'renameRecord',
    id,
    title: '',
  });
  assert.ok(parseWebviewMessage({ type: 'renameRecord', id, title: 'é'.repeat(TITLE_MAX_LENGTH) }));
  for (const title of ['x'.repeat(TITLE_MAX_LENGTH + 1), 'a\nb', 'bell\u0007', 'a\u2028b', 42, undefined]) {
    assert.equal(parseWebviewMessage({ type: 'renameRecord', id, title }), undefined, String(title).slice(0, 20));
  }
  assert.equal(parseWebviewMessage({ type: 'renameRecord', id: '../x', title: 'ok' }), undefined);
});

test('Repeat ×3 names a record by its id and nothing else', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'repeatComparison', id: 'rec_1' }), {
    type: 'repeatComparison',
    id: 'rec_1',
  });
  assert.equal(parseWebviewMessage({ type: 'repeatComparison', id: 'rec_1', repeats: 100 }), undefined);
  assert.equal(parseWebviewMessage({ type: 'repeatComparison', id: '' }), undefined);
});

const head = { type: 'examples', requestId: 1, recordId: 'rec', runId: 'rec-0', split: 'validation' };

test('an examples reply is drawn only when its pixels match its shape', () => {
  const pixels = Buffer.alloc(28 * 28, 7).toString('base64');
  const image = { ...head, kind: 'image', shape: [28, 28, 1], items: [{ position: 0, pixels }] };
  assert.ok(parseHostMessage(image));
  assert.equal(parseHostMessage({ ...image, shape: [28, 28, 3] }), undefined, 'too few bytes for RGB');
  assert.equal(parseHostMessage({ ...image, shape: [28, 28, 2] }), undefined);
  assert.equal(parseHostMessage({ ...image, shape: [5000, 5000, 1] }), undefined);
  assert.equal(parseHostMessage({ ...image, items: [{ position: 0, pixels: '!!!!' }] }), undefined);
  assert.equal(
    parseHostMessage({ ...image, items: new Array(EXAMPLES_PER_REQUEST + 1).fill(image.items[0]) }),
    undefined,
  );
  const row = { ...head, kind: 'row', columns: ['a', 'b'], items: [{ position: 2, values: [1.5, -2] }] };
  assert.ok(parseHostMessage(row));
  assert.equal(parseHostMessage({ ...row, items: [{ position: 2, values: [1, 2, 3] }] }), undefined);
  assert.equal(parseHostMessage({ ...row, items: [{ position: 2, values: ['1'] }] }), undefined);
  assert.ok(parseHostMessage({ ...head, kind: 'unavailable', reason: 'The dataset is gone.' }));
  assert.equal(parseHostMessage({ ...head, kind: 'unavailable' }), undefined);
  assert.equal(parseHostMessage({ ...head, kind: 'video', items: [] }), undefined);
});

test('renaming a record changes its title on disk atomically; an empty name removes it', async () => {
  const store = new RunStore(path.join(mkdtempSync(path.join(tmpdir(), 'ml-rename-')), 'runs'));
  const record = makeRecord('r-1', [makeRun('adam', [0.8])]);
  await store.write(record);
  const renamed = await store.rename('r-1', '  Baseline  ');
  assert.equal(renamed.title, 'Baseline');
  assert.equal((await store.read('r-1')).title, 'Baseline');
  assert.equal((await store.list()).items[0].title, 'Baseline');
  assert.deepEqual({ ...(await store.read('r-1')), title: undefined }, { ...record, title: undefined });
  assert.deepEqual(
    readdirSync(store.folder).filter((f) => !f.startsWith('.')),
    ['r-1.json'],
    'no temporary file left',
  );
  await store.rename('r-1', '');
  assert.equal((await store.read('r-1')).title, undefined);
  assert.equal((await store.list()).items[0].title, undefined);
  await assert.rejects(store.rename('missing', 'x'), /no longer exists/);
});

test('recordPlace finds the model file in the workspace folder that holds it', () => {
  const has = (files: string[]) => (f: string) => files.includes(f);
  assert.deepEqual(recordPlace({ modelFile: '/abs/m.model.json' }, ['/w'], has([]), '/home'), {
    baseDir: '/abs',
    modelPath: '/abs/m.model.json',
  });
  assert.deepEqual(
    recordPlace({ modelFile: 'models/m.model.json' }, ['/a', '/b'], has(['/b/models/m.model.json']), '/home'),
    { baseDir: '/b/models', modelPath: '/b/models/m.model.json' },
  );
  assert.deepEqual(recordPlace({ modelFile: 'm.model.json' }, ['/a'], has([]), '/home'), { baseDir: '/a' });
  assert.deepEqual(recordPlace({}, [], has([]), '/home'), { baseDir: '/home' });
});

test("a record whose runs carry their own models is shown; a run's model without layers is refused", () => {
  const record = makeRecord('20261201-220000-compare-m-1a2b', [makeRun('a', [0.5]), makeRun('b', [0.6])]);
  const other = { ...record.model, name: 'sequential_1' };
  const show = (runs: unknown[]) => parseHostMessage({ type: 'update', record: { ...record, runs } });
  assert.ok(show([record.runs[0], { ...record.runs[1], model: other }]));
  assert.equal(show([record.runs[0], { ...record.runs[1], model: { name: 'x' } }]), undefined);
  assert.equal(show([record.runs[0], { ...record.runs[1], model: 'sequential_1' }]), undefined);
});
