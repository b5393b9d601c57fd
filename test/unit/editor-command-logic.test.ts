/** The commands' decisions without VS Code: file names, picker lines, summary text, records shown as interrupted. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  kerasScriptPath,
  pngBytes,
  readForDisplay,
  runPickItem,
  summaryText,
  summaryTitle,
} from '../../src/editor/command-logic';
import { RunStore } from '../../src/panel/run-store';
import type { RunRecord } from '../../src/protocol';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-commands-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the Keras script goes beside its model, with a Python module name', () => {
  assert.equal(kerasScriptPath('/w/models/fashion-mlp.model.json'), '/w/models/fashion_mlp_keras.py');
  assert.equal(kerasScriptPath('/w/net.py'), '/w/net_keras.py');
  assert.equal(kerasScriptPath('/w/ch10 keras.ipynb'), '/w/ch10_keras_keras.py');
});

test('summary documents: titled by file and model index; errors listed when there is no summary', () => {
  assert.equal(summaryTitle('/w/a.model.json', 0), 'a.model.json summary');
  assert.equal(summaryTitle('/w/net.py', 1), 'net.py #2 summary');
  assert.equal(summaryText('Model: "m"', []), 'Model: "m"');
  assert.equal(
    summaryText(undefined, ['line 3: units must be positive']),
    'This model has errors, so it has no summary yet:\n\n  line 3: units must be positive\n',
  );
});

test('run picker lines', () => {
  const item = {
    id: 'r1',
    kind: 'compare' as const,
    createdAt: '2026-12-01T10:00:00Z',
    modelName: 'Net',
    runs: 6,
    bestValAccuracy: 0.84567,
  };
  assert.deepEqual(
    runPickItem(item, (iso) => iso.slice(0, 10)),
    {
      label: '$(graph-line) Net',
      description: '2026-12-01',
      detail: '6 runs · best val_accuracy 0.8457',
      id: 'r1',
    },
  );
  assert.equal(runPickItem({ ...item, kind: 'train', runs: 1, bestValAccuracy: undefined }).detail, '1 run');
});

test('chart PNGs are decoded from their data URL', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
  assert.deepEqual(pngBytes(`data:image/png;base64,${png.toString('base64')}`), png);
});

test('a stored record with running runs shows as interrupted unless this window trains it, and is not rewritten', async () => {
  const store = new RunStore(dir);
  const record: RunRecord = {
    version: 1,
    id: 'rec-1',
    kind: 'train',
    createdAt: '2026-12-01T10:00:00Z',
    definition: { layers: [] },
    model: { name: 'Net', layers: [], totalParams: 0, trainableParams: 0, nonTrainableParams: 0 },
    backend: 'wasm',
    runs: [
      {
        runId: 'a',
        label: 'Adam',
        optimizer: { type: 'Adam' },
        status: 'running',
        repeat: 0,
        seed: 42,
        history: { loss: [1] },
        epochMs: [5],
        durationMs: 0,
        backend: 'wasm',
        epochs: 3,
      },
    ],
    active: true,
  };
  await store.write(record);
  const shown = await readForDisplay(store, 'rec-1', { isLive: () => false });
  assert.equal(shown.runs[0].status, 'cancelled');
  assert.match(shown.runs[0].error ?? '', /Interrupted before it finished/);
  assert.deepEqual(shown.runs[0].history.loss, [1]);
  assert.equal((await readForDisplay(store, 'rec-1', { isLive: (id) => id === 'rec-1' })).runs[0].status, 'running');
  assert.equal((await store.read('rec-1')).runs[0].status, 'running', 'display never writes');
});
