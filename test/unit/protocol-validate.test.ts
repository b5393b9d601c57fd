/** Messages across the webview boundary: strict for the host's inbox, shallow for the webview's. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DATA_URL_LENGTH, parseHostMessage, parseWebviewMessage } from '../../src/protocol-validate';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

describe('parseWebviewMessage', () => {
  test('accepts every well-formed message and returns a fresh object', () => {
    const inputs = [
      { type: 'ready' },
      { type: 'stop' },
      { type: 'stop', runId: 'relu-r0' },
      { type: 'openRecord', id: '20261128-190512-compare-fashion-mlp-3f9a' },
      { type: 'pinRecord', id: 'rec_1', pinned: true },
      { type: 'export', format: 'csv' },
      { type: 'export', format: 'json' },
      { type: 'savePng', chart: 'loss', dataUrl: PNG },
    ];
    for (const input of inputs) {
      const parsed = parseWebviewMessage(input);
      assert.deepEqual(parsed, input);
      assert.notEqual(parsed, input);
    }
  });

  test('rejects non-objects, unknown types and extra fields', () => {
    for (const bad of [
      null,
      undefined,
      42,
      'ready',
      [],
      [{ type: 'ready' }],
      {},
      { type: 'READY' },
      { type: 'delete' },
      { type: 'ready', extra: 1 },
      { type: 7 },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    }
  });

  test('rejects wrong field types and unsafe ids', () => {
    const bad = [
      { type: 'stop', runId: 5 },
      { type: 'stop', runId: '' },
      { type: 'stop', runId: '../../etc/passwd' },
      { type: 'openRecord' },
      { type: 'openRecord', id: 'a/b' },
      { type: 'openRecord', id: '.hidden' },
      { type: 'openRecord', id: 'x'.repeat(129) },
      { type: 'pinRecord', id: 'r', pinned: 'yes' },
      { type: 'export', format: 'xlsx' },
      { type: 'savePng', chart: 'loss', dataUrl: 'data:image/svg+xml;base64,PHN2Zz4=' },
      { type: 'savePng', chart: 'loss', dataUrl: 'data:image/png;base64,' },
      { type: 'savePng', chart: 'loss', dataUrl: 'data:image/png;base64,<script>' },
      { type: 'savePng', chart: '../loss', dataUrl: PNG },
      { type: 'savePng', chart: 'loss' },
    ];
    for (const b of bad) assert.equal(parseWebviewMessage(b), undefined, JSON.stringify(b));
  });

  test('bounds the PNG size', () => {
    const prefix = 'data:image/png;base64,';
    const body = (n: number) => 'A'.repeat(n - (n % 4));
    assert.ok(
      parseWebviewMessage({
        type: 'savePng',
        chart: 'loss',
        dataUrl: prefix + body(MAX_DATA_URL_LENGTH - prefix.length),
      }),
    );
    assert.equal(
      parseWebviewMessage({ type: 'savePng', chart: 'loss', dataUrl: prefix + body(MAX_DATA_URL_LENGTH + 8) }),
      undefined,
    );
  });

  test('prototype-pollution keys are refused and nothing leaks onto Object.prototype', () => {
    const polluted = JSON.parse('{"type":"ready","__proto__":{"polluted":true}}');
    assert.equal(parseWebviewMessage(polluted), undefined);
    assert.equal(
      parseWebviewMessage(JSON.parse('{"type":"export","format":"csv","constructor":{"prototype":{"x":1}}}')),
      undefined,
    );
    assert.equal(parseWebviewMessage(Object.assign(Object.create({ inherited: 1 }), { type: 'ready' })), undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    // `type` from the prototype chain is not an own field.
    assert.equal(parseWebviewMessage(Object.create({ type: 'ready' })), undefined);
  });
});

describe('parseHostMessage', () => {
  const rec = {
    version: 1,
    id: 'rec-1',
    kind: 'train',
    createdAt: '2026-01-01T00:00:00Z',
    definition: { layers: [] },
    model: { name: 'm', layers: [], totalParams: 0, trainableParams: 0, nonTrainableParams: 0 },
    backend: 'cpu',
    runs: [{ runId: 'r', label: 'adam', optimizer: { type: 'adam' }, status: 'running', history: {}, epochMs: [] }],
  };
  test('accepts the four host messages', () => {
    for (const m of [
      { type: 'show', record: rec, history: [], pinned: [] },
      { type: 'update', record: rec },
      { type: 'history', history: [{ id: 'a', kind: 'train', createdAt: 'x', modelName: 'm', runs: 1 }] },
      { type: 'notice', level: 'error', message: 'Training failed.' },
    ]) {
      assert.equal(parseHostMessage(m), m);
    }
  });
  test('rejects what the UI could not render', () => {
    for (const bad of [
      null,
      [],
      'show',
      { type: 'show', record: rec },
      { type: 'show', record: rec, history: {}, pinned: [] },
      { type: 'show', record: rec, history: [], pinned: [{}] },
      { type: 'update', record: { ...rec, version: 2 } },
      { type: 'update', record: { ...rec, runs: [{ runId: 'r' }] } },
      { type: 'update', record: { ...rec, model: null } },
      { type: 'history', history: [null] },
      { type: 'notice', level: 'warning', message: 'x' },
      { type: 'notice', level: 'info', message: 'x'.repeat(10_001) },
      { type: 'eval', code: 'alert(1)' },
    ]) {
      assert.equal(parseHostMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
    }
  });
});
