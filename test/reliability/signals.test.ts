/**
 * Issue 14, lost results: SIGTERM and SIGHUP stop like the first Ctrl-C and still write --json; a closed stdout does
 * not stop training; a suspended (SIGSTOP) worker does not hang the CLI: a stop escalates to a kill after the grace
 * period, the heartbeat watchdog kills a silent worker, and a second signal quits at once but still writes --json.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunRecord } from '../../src/protocol';
import { CLI, requireDist, sampleDefinition, tempDir, workerChildren } from '../fixtures/reliability/harness';

const tmp = tempDir('signals');
before(requireDist);
after(tmp.cleanup);

const MODEL = join(tmp.dir, 'long.model.json');
writeFileSync(
  MODEL,
  JSON.stringify(
    sampleDefinition({
      layers: [
        { type: 'Flatten', input_shape: [28, 28] },
        { type: 'Dense', units: 64, activation: 'relu' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
      fit: { epochs: 200, batch_size: 32 },
    }),
  ),
);

interface Running {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit status and how long the CLI took after `mark()`. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  firstEpoch: Promise<void>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: tmp.dir,
    env: { ...process.env, MODEL_LAB_DEBUG: '', XDG_CACHE_HOME: join(tmp.dir, '.cache'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r = { child, stdout: '', stderr: '' } as Running;
  let sawEpoch!: () => void;
  let noEpoch!: (e: Error) => void;
  r.firstEpoch = new Promise((res, rej) => ((sawEpoch = res), (noEpoch = rej)));
  r.firstEpoch.catch(() => undefined); // a test that does not wait for the epoch leaves the rejection unhandled
  child.stdout!.on('data', (d) => {
    r.stdout += d;
    if (/Epoch 1\//.test(r.stdout)) sawEpoch();
  });
  child.stderr!.on('data', (d) => (r.stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  r.exit = new Promise((res) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      // A CLI that ended before its first epoch fails the test with what it said, not with a promise left pending.
      noEpoch(new Error(`the CLI ended (${code ?? signal}) before its first epoch:\n${r.stderr}`));
      for (const pid of workerChildren(child.pid)) process.kill(pid, 'SIGKILL');
      res({ code, signal });
    }),
  );
  return r;
}

/** Running or stopped, not gone or a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function record(file: string): RunRecord {
  assert.ok(existsSync(file), `${file} was not written`);
  return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
}

const seconds = async <T>(p: Promise<T>) => {
  const t = Date.now();
  const v = await p;
  return { v, s: (Date.now() - t) / 1000 };
};

for (const [name, code] of [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${name} stops after the current batch, writes --json with the finished epochs and exits ${code}`, async () => {
    const out = join(tmp.dir, `${name}.json`);
    const r = start(['train', MODEL, '--backend', 'wasm', '--json', out]);
    await r.firstEpoch;
    r.child.kill(name);
    const { v, s } = await seconds(r.exit);
    assert.equal(v.code, code, r.stderr);
    assert.ok(s < 20, `took ${s} s to stop`);
    const rec = record(out);
    assert.equal(rec.runs[0].status, 'cancelled');
    assert.ok(rec.runs[0].history.loss.length >= 1);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
}

test('a closed stdout (train … | head -1) does not crash: training goes on and --json is written', async () => {
  const out = join(tmp.dir, 'epipe.json');
  const model = join(tmp.dir, 'short.model.json');
  writeFileSync(model, JSON.stringify(sampleDefinition({ fit: { epochs: 3, batch_size: 64 } })));
  const r = start(['train', model, '--backend', 'wasm', '--json', out]);
  await new Promise<void>((res) => r.child.stdout!.once('data', () => res()));
  r.child.stdout!.destroy();
  const { v } = await seconds(r.exit);
  assert.equal(v.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
  const rec = record(out);
  assert.equal(rec.runs[0].status, 'completed');
  assert.equal(rec.runs[0].history.loss.length, 3);
});

test('a suspended worker: SIGTERM escalates to a kill after the grace period; --json keeps the finished epochs', async () => {
  const out = join(tmp.dir, 'stopped.json');
  const r = start(['train', MODEL, '--backend', 'wasm', '--json', out], { MODEL_LAB_STOP_GRACE_MS: '1500' });
  await r.firstEpoch;
  const [worker] = workerChildren(r.child.pid);
  assert.ok(worker, 'no worker process found');
  process.kill(worker, 'SIGSTOP');
  r.child.kill('SIGTERM');
  const { v, s } = await seconds(r.exit);
  assert.equal(v.code, 143, r.stderr);
  assert.ok(s < 15, `took ${s} s`);
  const rec = record(out);
  assert.equal(rec.runs[0].status, 'cancelled');
  assert.match(rec.runs[0].error ?? '', /did not stop within 2 s of being asked, so it was killed/);
  assert.ok(rec.runs[0].history.loss.length >= 1);
});

test('a worker that goes silent is killed by the watchdog: the run fails with a sentence, --json is written', async () => {
  const out = join(tmp.dir, 'silent.json');
  // 10 s: long enough that a loaded machine's start-up (tfjs, the dataset's gunzip) never looks like silence (5 s
  // did not once, with three times as many busy processes as cores: killed before its first epoch).
  const r = start(['train', MODEL, '--backend', 'wasm', '--json', out], { MODEL_LAB_WATCHDOG_MS: '10000' });
  await r.firstEpoch;
  const [worker] = workerChildren(r.child.pid);
  process.kill(worker, 'SIGSTOP');
  const { v } = await seconds(r.exit);
  assert.equal(v.code, 1, r.stderr);
  assert.match(r.stderr, /stopped responding for 10 s \(suspended or stuck\), so it was killed/);
  const rec = record(out);
  assert.equal(rec.runs[0].status, 'failed');
});

test('a second signal quits at once, kills the worker and still writes --json', async () => {
  const out = join(tmp.dir, 'twice.json');
  const r = start(['train', MODEL, '--backend', 'wasm', '--json', out]);
  await r.firstEpoch;
  const [worker] = workerChildren(r.child.pid);
  process.kill(worker, 'SIGSTOP');
  r.child.kill('SIGTERM');
  await new Promise((res) => setTimeout(res, 300));
  r.child.kill('SIGINT');
  const { v, s } = await seconds(r.exit);
  assert.equal(v.code, 143, r.stderr);
  assert.ok(s < 6, `took ${s} s`);
  const rec = record(out);
  assert.equal(rec.runs[0].status, 'cancelled');
  assert.ok(rec.runs[0].history.loss.length >= 1);
  await new Promise((res) => setTimeout(res, 300));
  assert.ok(!isAlive(worker), 'the worker was left behind');
});
