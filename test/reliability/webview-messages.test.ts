/**
 * The results panel's messages are untrusted input to the extension host. `parseWebviewMessage` must turn every
 * malformed, unexpected or hostile message into `undefined` without throwing, and pass the real ones as fresh
 * objects holding only their known fields. Messages go through `structuredClone` first, as postMessage does, so
 * the corpus holds only what a webview can actually send.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WebviewToHost } from '../../src/protocol';
import { parseWebviewMessage } from '../../src/protocol-validate';
import { seededRandom } from '../fixtures/reliability/model-mutations';

const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const RECORD_ID = '20261128-190512-compare-fashion-mlp-3f9a';

const GOOD: WebviewToHost[] = [
  { type: 'ready' },
  { type: 'stop' },
  { type: 'stop', runId: `${RECORD_ID}-2-0` },
  { type: 'openRecord', id: RECORD_ID },
  { type: 'pinRecord', id: RECORD_ID, pinned: true },
  { type: 'pinRecord', id: 'a', pinned: false },
  { type: 'export', format: 'csv' },
  { type: 'export', format: 'json' },
  { type: 'export', format: 'history-csv' },
  { type: 'deleteRecord', id: '20261128-190512-compare-fashion-mlp-3f9a' },
  { type: 'savePng', chart: 'loss', dataUrl: PNG },
  { type: 'savePng', chart: 'val-accuracy', dataUrl: PNG },
];

/** What postMessage delivers; values too deep to clone here are passed as they are (the parser must cope anyway). */
function cloneIfPossible(message: unknown): unknown {
  try {
    return structuredClone(message);
  } catch {
    return message;
  }
}

function deep(levels: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const manyKeys = Object.fromEntries([['type', 'ready'], ...Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])]);
const nullProtoExtra = Object.assign(Object.create(null), { type: 'ready', admin: true });

const BAD: [string, unknown][] = [
  ['null', null],
  ['undefined', undefined],
  ['a number', 0],
  ['a string', 'ready'],
  ['a boolean', true],
  ['an empty list', []],
  ['a list holding a type', ['ready']],
  ['a list with a type property', Object.assign(['x'], { type: 'ready' })],
  ['an empty object', {}],
  ['type null', { type: null }],
  ['type a number', { type: 5 }],
  ['type a list', { type: ['ready'] }],
  ['type an object', { type: { name: 'ready' } }],
  ['type in capitals', { type: 'READY' }],
  ['type with a trailing space', { type: 'ready ' }],
  ['type a BigInt', { type: 10n }],
  ['an unknown type', { type: 'deleteAllRecords' }],
  ['type "constructor"', { type: 'constructor' }],
  ['type "__proto__"', { type: '__proto__' }],
  ['type "toString"', { type: 'toString' }],
  ['type "hasOwnProperty"', { type: 'hasOwnProperty' }],
  ['ready with an extra field', { type: 'ready', extra: 1 }],
  ['ready with an own __proto__ key (JSON.parse)', JSON.parse('{"type":"ready","__proto__":{"polluted":true}}')],
  ['ready with a constructor key', { type: 'ready', constructor: { prototype: { polluted: true } } }],
  ['ready with 10,000 extra keys', manyKeys],
  ['ready without a prototype but with an extra key', nullProtoExtra],
  ['a Date', new Date(0)],
  ['a Map holding type', new Map([['type', 'ready']])],
  ['a typed array', new Uint8Array([1, 2, 3])],
  ['stop with a numeric runId', { type: 'stop', runId: 5 }],
  ['stop with an empty runId', { type: 'stop', runId: '' }],
  ['stop with runId null', { type: 'stop', runId: null }],
  ['stop with a path as runId', { type: 'stop', runId: '../../etc/passwd' }],
  ['stop with a 129-character runId', { type: 'stop', runId: 'a'.repeat(129) }],
  ['stop with a space in runId', { type: 'stop', runId: 'a b' }],
  ['stop with nested junk as runId', { type: 'stop', runId: deep(2000) }],
  ['openRecord without an id', { type: 'openRecord' }],
  ['openRecord with a relative path', { type: 'openRecord', id: '../secrets' }],
  ['openRecord with a file name', { type: 'openRecord', id: 'record.json' }],
  ['openRecord with an absolute path', { type: 'openRecord', id: '/etc/passwd' }],
  ['openRecord with a Windows path', { type: 'openRecord', id: 'C:\\Windows\\x' }],
  ['openRecord with a NUL', { type: 'openRecord', id: 'abc\u0000' }],
  ['openRecord with a newline', { type: 'openRecord', id: 'abc\n' }],
  ['openRecord with a non-ASCII id', { type: 'openRecord', id: 'récord' }],
  ['openRecord with a list as id', { type: 'openRecord', id: ['abc'] }],
  ['openRecord with a String object as id', { type: 'openRecord', id: new String('abc') }],
  ['openRecord with a 10 MB id', { type: 'openRecord', id: 'a'.repeat(10 * 1024 * 1024) }],
  ['pinRecord without pinned', { type: 'pinRecord', id: 'abc' }],
  ['pinRecord with pinned "true"', { type: 'pinRecord', id: 'abc', pinned: 'true' }],
  ['pinRecord with pinned 1', { type: 'pinRecord', id: 'abc', pinned: 1 }],
  ['pinRecord without id', { type: 'pinRecord', pinned: true }],
  ['export without a format', { type: 'export' }],
  ['export as xlsx', { type: 'export', format: 'xlsx' }],
  ['export as CSV (capitals)', { type: 'export', format: 'CSV' }],
  ['export with a list format', { type: 'export', format: ['csv'] }],
  ['export with a path', { type: 'export', format: 'csv', path: '/tmp/out.csv' }],
  ['savePng without fields', { type: 'savePng' }],
  ['savePng without dataUrl', { type: 'savePng', chart: 'loss' }],
  ['savePng with a path as chart', { type: 'savePng', chart: '../loss', dataUrl: PNG }],
  ['savePng with an empty chart', { type: 'savePng', chart: '', dataUrl: PNG }],
  ['savePng with a 65-character chart', { type: 'savePng', chart: 'a'.repeat(65), dataUrl: PNG }],
  ['savePng with an SVG', { type: 'savePng', chart: 'loss', dataUrl: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=' }],
  ['savePng with a javascript: URL', { type: 'savePng', chart: 'loss', dataUrl: 'javascript:alert(1)' }],
  ['savePng with an empty PNG', { type: 'savePng', chart: 'loss', dataUrl: 'data:image/png;base64,' }],
  ['savePng with non-base64 bytes', { type: 'savePng', chart: 'loss', dataUrl: 'data:image/png;base64,!!!!' }],
  [
    'savePng with a base64 length not a multiple of 4',
    { type: 'savePng', chart: 'loss', dataUrl: 'data:image/png;base64,abcde' },
  ],
  [
    'savePng with a 21 MB data URL',
    { type: 'savePng', chart: 'loss', dataUrl: 'data:image/png;base64,' + 'A'.repeat(21 * 1024 * 1024) },
  ],
  ['savePng with a data URL object', { type: 'savePng', chart: 'loss', dataUrl: { href: PNG } }],
  ['a message nested 10,000 levels deep', { type: 'ready', nested: deep(10_000) }],
];

test(`${BAD.length} malformed webview messages are all rejected without a throw`, () => {
  assert.ok(BAD.length >= 50);
  const accepted: string[] = [];
  for (const [name, message] of BAD) {
    let result: unknown;
    const sent = cloneIfPossible(message);
    assert.doesNotThrow(() => (result = parseWebviewMessage(sent)), name);
    if (result !== undefined) accepted.push(`${name} → ${JSON.stringify(result).slice(0, 120)}`);
  }
  assert.deepEqual(accepted, []);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was not polluted');
});

test('the real messages pass, as fresh objects equal to what was sent', () => {
  for (const message of GOOD) {
    const sent = structuredClone(message);
    const result = parseWebviewMessage(sent);
    assert.deepEqual(result, message);
    assert.notEqual(result, sent, 'the host gets its own copy, not the sender object');
  }
  // A null-prototype object is what some serializers hand over; with only known keys it is a good message.
  assert.deepEqual(parseWebviewMessage(Object.assign(Object.create(null), { type: 'ready' })), { type: 'ready' });
});

/** Independent oracle: is `m` exactly one of the protocol's messages? */
function isValidMessage(m: unknown): boolean {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const o = m as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  const id = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(v);
  switch (o.type) {
    case 'ready':
      return keys === 'type';
    case 'stop':
      return keys === 'type' || (keys === 'runId,type' && id(o.runId));
    case 'openRecord':
      return keys === 'id,type' && id(o.id);
    case 'pinRecord':
      return keys === 'id,pinned,type' && id(o.id) && typeof o.pinned === 'boolean';
    case 'deleteRecord':
      return keys === 'id,type' && id(o.id);
    case 'export':
      return keys === 'format,type' && (o.format === 'csv' || o.format === 'json' || o.format === 'history-csv');
    case 'savePng':
      return (
        keys === 'chart,dataUrl,type' &&
        typeof o.chart === 'string' &&
        /^[a-z0-9][a-z0-9-]{0,63}$/i.test(o.chart) &&
        o.dataUrl === PNG
      );
    default:
      return false;
  }
}

test('2,000 seeded random messages: never a throw, and accepted exactly when the message is valid', () => {
  const random = seededRandom(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const types = [
    'ready',
    'stop',
    'openRecord',
    'pinRecord',
    'export',
    'savePng',
    'show',
    '',
    'Ready',
    '__proto__',
    'constructor',
  ];
  const keys = ['runId', 'id', 'pinned', 'format', 'chart', 'dataUrl', 'extra', '__proto__', 'prototype', 'type'];
  const values: unknown[] = [
    'abc',
    RECORD_ID,
    '',
    '../x',
    'a'.repeat(200),
    'csv',
    'json',
    'loss',
    PNG,
    'data:image/png;base64,@@@@',
    true,
    false,
    0,
    -1,
    1e308,
    null,
    [],
    {},
    ['abc'],
    { id: 'abc' },
    'é',
    '\u0000',
  ];
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    const message: Record<string, unknown> = random() < 0.95 ? { type: pick(types) } : {};
    const n = Math.floor(random() * 3);
    for (let k = 0; k < n; k++) {
      // defineProperty so "__proto__" becomes an own key, as JSON.parse would make it.
      Object.defineProperty(message, pick(keys), {
        value: pick(values),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    const sent = structuredClone(message);
    let result: unknown;
    assert.doesNotThrow(() => (result = parseWebviewMessage(sent)), JSON.stringify(message));
    const valid = isValidMessage(sent);
    assert.equal(result !== undefined, valid, `${valid ? 'rejected' : 'accepted'}: ${JSON.stringify(sent)}`);
    if (valid) {
      accepted++;
      assert.deepEqual(result, sent);
    }
  }
  assert.ok(accepted > 50, `only ${accepted} random messages were valid; the generator should make more`);
});
