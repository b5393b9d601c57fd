/**
 * Issue 14's "the same in the editor": the paths the extension shares with the CLI behave the same there. The editor
 * refuses a layer name tfjs would reject before any worker starts, with its line; and a run whose worker ignores
 * `stop` (suspended, stuck) is killed after the grace period in the editor's pools (PoolKeeper, as the trainer makes
 * them) exactly as in the CLI's, keeping what it had sent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PoolKeeper } from '../../src/editor/pool-keeper';
import { trainingBlocker } from '../../src/editor/train-checks';
import { analyze } from '../../src/model/analyze';
import { parseModelJson } from '../../src/model/parse-json';
import type { RunSpec, WorkerEvent } from '../../src/protocol';

const dir = mkdtempSync(join(tmpdir(), 'ml-editor-parity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a layer name tfjs rejects blocks training in the editor, at its line, as `check` refuses it', () => {
  const text = [
    '{',
    '  "name": "m",',
    '  "layers": [',
    '    { "type": "Dense", "units": 3, "input_shape": [4] },',
    '    { "type": "Dense", "units": 2, "name": "output layer" }',
    '  ]',
    '}',
  ].join('\n');
  const parsed = parseModelJson(text);
  const blocked = trainingBlocker('/w/m.model.json', parsed, analyze(parsed));
  assert.ok(blocked, 'training is refused');
  assert.equal(blocked.showProblems, true);
  assert.match(
    blocked.message,
    /^Model Lab: m\.model\.json has 1 error \(line 5: .*output layer.*\); fix it to train\.$/,
  );
});

test("a worker that ignores stop is killed after the grace period in the editor's pool; its epochs are kept", async () => {
  // Sends one epoch, then ignores everything (as a worker stopped with SIGSTOP or stuck in one long call would).
  const worker = join(dir, 'deaf-worker.js');
  writeFileSync(
    worker,
    `process.on('message', (m) => {
  if (m.type !== 'start') return;
  process.send({ type: 'epoch', runId: m.run.runId, epoch: 1, logs: { loss: 0.5 }, epochMs: 1 });
  setInterval(() => process.send({ type: 'heartbeat' }), 100);
});
`,
  );
  const keeper = new PoolKeeper({
    workerPath: worker,
    onStderr: () => undefined,
    audience: 'editor',
    env: { ...process.env, MODEL_LAB_STOP_GRACE_MS: '1000' },
  });
  try {
    const pool = keeper.get(1);
    const events: WorkerEvent[] = [];
    const spec: RunSpec = {
      runId: 'deaf-0',
      label: 'Adam',
      definition: { layers: [{ type: 'Dense', units: 2, input_shape: [3] }], fit: { epochs: 3 } },
      repeat: 0,
      seed: 42,
      backend: 'cpu',
      baseDir: dir,
      cacheDir: dir,
    };
    const handle = pool.run(spec, (e) => events.push(e));
    while (!events.some((e) => e.type === 'epoch')) await new Promise((r) => setTimeout(r, 20));
    const asked = Date.now();
    handle.stop();
    const result = await handle.result;
    assert.ok(Date.now() - asked < 5_000, 'ended soon after the grace period');
    assert.equal(result.status, 'cancelled');
    assert.equal(
      result.error,
      'The training process did not stop within 1 s of being asked, so it was killed after 1 of 3 epochs; the finished epochs are kept.',
    );
    assert.deepEqual(result.history.loss, [0.5]);
    assert.deepEqual(pool.pids(), []);
  } finally {
    keeper.dispose();
  }
});
