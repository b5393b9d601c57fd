/** The trainer's decisions and words, without VS Code: checks, placement, pool size, log lines, end messages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parseModelJson } from '../../src/model/parse-json';
import type { RunRecord, RunResult } from '../../src/protocol';
import { PoolKeeper } from '../../src/editor/pool-keeper';
import { poolSize, sessionPlace, trainingBlocker } from '../../src/editor/train-checks';
import { lineLabel } from '../../src/model/python/notebook';
import { endOfRunMessage, eventLogLine, ProgressIncrements, statusText } from '../../src/editor/train-messages';

const GOOD = '{ "name": "m", "layers": [ { "type": "Dense", "units": 3, "input_shape": [4] } ] }';
const BAD = '{ "name": "m", "layers": [ { "type": "Dense", "units": -3, "input_shape": [4] } ] }';

test('trainingBlocker: a clean model trains; errors name the first one and its line; a partial read never trains', () => {
  const good = parseModelJson(GOOD);
  assert.equal(trainingBlocker('/w/a.model.json', good, analyze(good)), undefined);
  const bad = parseModelJson(BAD);
  const blocked = trainingBlocker('/w/a.model.json', bad, analyze(bad));
  assert.equal(blocked?.showProblems, true);
  assert.match(blocked!.message, /^Model Lab: a\.model\.json has 1 error \(line 1: .+\); fix it to train\.$/);
  const partial = trainingBlocker(
    '/w/a.py',
    {
      ...good,
      incomplete: 'a layer built in a loop',
      range: { start: { line: 4, character: 0 }, end: { line: 9, character: 1 } },
    },
    analyze(good),
  );
  assert.equal(partial?.showProblems, false);
  assert.match(partial!.message, /cannot train this model: a layer built in a loop \(line 5\)/);

  // In a notebook the position is named by cell and line (lineLabel over the notebook's cell map).
  const inCell = trainingBlocker('/w/n.ipynb', bad, analyze(bad), (p) =>
    lineLabel(p, [{ cell: 3, startLine: 0, lineCount: 5 }]),
  );
  assert.match(inCell!.message, /^Model Lab: n\.ipynb has 1 error \(cell 3, line 1: .+\); fix it to train\.$/);
});

test('sessionPlace: saved files resolve beside themselves; untitled ones in the workspace folder, else home', () => {
  assert.deepEqual(
    sessionPlace({ fsPath: '/w/models/a.model.json', onDisk: true, untitled: false, folder: '/w', home: '/h' }),
    {
      baseDir: '/w/models',
      modelFile: 'models/a.model.json',
    },
  );
  assert.deepEqual(sessionPlace({ fsPath: 'Untitled-1', onDisk: false, untitled: true, folder: '/w', home: '/h' }), {
    baseDir: '/w',
    modelFile: undefined,
  });
  assert.deepEqual(sessionPlace({ fsPath: 'Untitled-1', onDisk: false, untitled: true, home: '/h' }), {
    baseDir: '/h',
    modelFile: undefined,
  });
  assert.deepEqual(sessionPlace({ fsPath: '/x/a.model.json', onDisk: true, untitled: false, home: '/h' }), {
    baseDir: '/x',
    modelFile: '/x/a.model.json',
  });
});

test('poolSize: the setting, 0 meaning one per core', () => {
  assert.equal(poolSize(0, 8), 8);
  assert.equal(poolSize(3, 8), 3);
  assert.equal(poolSize(0, 0), 1);
});

function run(over: Partial<RunResult>): RunResult {
  return {
    runId: 'r',
    label: 'Adam',
    optimizer: { type: 'Adam' },
    status: 'completed',
    repeat: 0,
    seed: 42,
    history: {},
    epochMs: [],
    durationMs: 0,
    backend: 'wasm',
    epochs: 2,
    ...over,
  };
}
function record(kind: 'train' | 'compare', runs: RunResult[]): RunRecord {
  return {
    version: 1,
    id: 'x',
    kind,
    createdAt: '',
    definition: { layers: [] },
    model: { name: 'Net', layers: [], totalParams: 0, trainableParams: 0, nonTrainableParams: 0 },
    backend: 'wasm',
    runs,
  };
}

test('endOfRunMessage: trained, stopped, failed, and a comparison tally', () => {
  const trained = run({ history: { loss: [1, 0.5], val_accuracy: [0.7, 0.81234] }, epochMs: [1, 1] });
  assert.deepEqual(endOfRunMessage(record('train', [trained])), {
    level: 'info',
    text: 'Model Lab: Net trained after 2 epochs — val_accuracy 0.8123',
    offerLog: false,
  });
  const stopped = run({ status: 'cancelled', history: { loss: [1], accuracy: [0.5] }, epochMs: [1] });
  assert.equal(
    endOfRunMessage(record('train', [stopped])).text,
    'Model Lab: Net stopped after 1 epoch — accuracy 0.5000',
  );
  assert.deepEqual(endOfRunMessage(record('train', [run({ status: 'failed', error: 'The loss became NaN.' })])), {
    level: 'error',
    text: 'Model Lab: training Net failed: The loss became NaN.',
    offerLog: true,
  });
  const mixed = record('compare', [run({}), run({ status: 'failed' }), run({ status: 'cancelled' }), run({})]);
  assert.equal(
    endOfRunMessage(mixed).text,
    'Model Lab: comparison of Net finished — 2 completed, 1 stopped, 1 failed.',
  );
});

test('eventLogLine: comparisons prefix the run name; failures are errors', () => {
  const a = run({ runId: 'a', repeat: 0 });
  const b = run({ runId: 'b', repeat: 1 });
  const rec = record('compare', [a, b]);
  assert.deepEqual(eventLogLine(rec, b, { type: 'epoch', runId: 'b', epoch: 1, logs: { loss: 0.5 }, epochMs: 1200 }), {
    level: 'info',
    text: '[Adam #2] Epoch 1/2 - 1.2s - loss: 0.5000',
  });
  assert.deepEqual(
    eventLogLine(rec, a, { type: 'finished', runId: 'a', status: 'failed', error: 'boom', durationMs: 1 }),
    { level: 'error', text: '[Adam #1] failed: boom' },
  );
  assert.equal(
    eventLogLine(record('train', [a]), a, { type: 'finished', runId: 'a', status: 'completed', durationMs: 2500 })
      ?.text,
    'completed in 2.5 s',
  );
  assert.equal(eventLogLine(rec, a, { type: 'batch', runId: 'a', epoch: 1, batch: 1, batches: 2, loss: 1 }), undefined);
});

test('eventLogLine: why the backend was chosen is logged once per VS Code session, not once per run', () => {
  const a = run({ runId: 'a', repeat: 0 });
  const b = run({ runId: 'b', repeat: 1 });
  const rec = record('compare', [a, b]);
  const note =
    "Training on the bundled WebAssembly backend because @tensorflow/tfjs-node is not installed (run 'Model Lab: Install Native Backend' for native TensorFlow speed).";
  const started = (runId: string) => ({
    type: 'started' as const,
    runId,
    backend: 'wasm',
    backendNote: note,
    dataset: { name: 'iris.csv', train: 120, validation: 30, source: 'csv' } as never,
    optimizer: { type: 'Adam' },
    epochs: 2,
  });
  const said = new Set<string>();
  const lines = [
    eventLogLine(rec, a, started('a'), said),
    eventLogLine(rec, b, started('b'), said),
    // A later session of the same VS Code session: still not repeated.
    eventLogLine(record('train', [a]), a, started('a'), said),
  ].map((l) => l?.text ?? '');
  assert.equal(lines.join('\n').split(note).length - 1, 1);
  assert.equal(lines[0], `${note}\n[Adam #1] backend wasm; iris.csv: 120 train / 30 validation (csv)`);
  assert.equal(lines[1], '[Adam #2] backend wasm; iris.csv: 120 train / 30 validation (csv)');
  assert.equal(lines[2], 'backend wasm; iris.csv: 120 train / 30 validation (csv)');
});

test('statusText counts unfinished runs across sessions; ProgressIncrements never goes back', () => {
  assert.equal(statusText([]), undefined);
  assert.equal(
    statusText([
      record('compare', [run({ status: 'running' }), run({ status: 'queued' }), run({})]),
      record('train', [run({ status: 'running' })]),
    ]),
    '$(sync~spin) Model Lab: 3 runs',
  );
  const p = new ProgressIncrements();
  assert.equal(p.next(undefined), undefined);
  assert.equal(p.next(0.25), 25);
  assert.equal(p.next(0.2), 0);
  assert.equal(p.next(0.5), 25);
  assert.equal(p.next(2), 50);
});

test('PoolKeeper: one pool per size; a replaced pool is disposed once nothing uses it', () => {
  const keeper = new PoolKeeper({ workerPath: '/nonexistent/worker.js' });
  try {
    const a = keeper.get(2);
    assert.equal(keeper.get(2), a);
    const b = keeper.get(3);
    assert.notEqual(b, a);
    assert.equal(b.size, 3);
    keeper.retire(new Set([a]));
    assert.equal(keeper.retiring, 1, 'still used by a session');
    keeper.retire(new Set());
    assert.equal(keeper.retiring, 0);
  } finally {
    keeper.dispose();
  }
});
