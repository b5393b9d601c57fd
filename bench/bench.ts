/**
 * `npm run bench`: Model Lab's training speed against the PyTorch peer (bench/peer_torch.py) on the canonical
 * workload (Fashion-MNIST, 48,000 training images, Flatten > Dense(100, relu) > Dense(10, softmax), batch 32).
 *
 *  1. Single run: one epoch through the real loop and engine choice (`fit` + `chooseEngine`), interleaved with one
 *     PyTorch epoch, three times; prints seconds per epoch and the median ratio Model Lab / PyTorch.
 *  2. Comparison: six optimizers x 5 epochs through the real worker pool (2 workers, dist/worker.js) against the
 *     peer running them one after another; prints wall time, final metrics and each worker's peak RSS.
 *
 * `--short` (or BENCH_SHORT=1): 300 steps, one repeat, a two-optimizer one-epoch comparison on the bundled sample —
 * for CI to check that the benchmark runs. Any failure exits non-zero.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gather, loadDataset, splitValidation } from '../src/data/index';
import type { ModelDefinition } from '../src/model/types';
import type { RunResult, RunSpec } from '../src/protocol';
import { selectBackend } from '../src/training/backend';
import { buildModel } from '../src/training/build-model';
import { chooseEngine } from '../src/training/choose-engine';
import { fit } from '../src/training/loop';
import { describeModel } from '../src/training/model-info';
import { RunPool } from '../src/training/pool';

const ROOT = join(__dirname, '..');
const SHORT = process.argv.includes('--short') || process.env.BENCH_SHORT === '1';
const PYTHON = '/usr/bin/python3';
const SEED = 1;
const OPTIMIZERS = SHORT ? ['sgd', 'adam'] : ['sgd', 'rmsprop', 'adam', 'adagrad', 'adamax', 'adadelta'];

const canonical = (optimizer: string, epochs: number, dataset = 'fashion-mnist'): ModelDefinition => ({
  name: 'fashion-mlp',
  dataset: { name: dataset, validation_split: 0.2, seed: 42 },
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 100, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs, batch_size: 32 },
});

class BenchError extends Error {}

interface PeerRun {
  optimizer: string;
  epochSeconds: number[];
  epochCpuSeconds: number[];
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
}

/** Runs the PyTorch peer; OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for it alone (they skew its timing). */
function runPeer(args: string[]): Promise<{ info: Record<string, unknown>; runs: PeerRun[]; wallSeconds: number }> {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(ROOT, 'bench', 'peer_torch.py'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new BenchError(`could not start ${PYTHON}: ${e.message}; install python3-torch (apt).`)));
    child.on('close', (code) => {
      if (code !== 0) return reject(new BenchError(`the PyTorch peer exited with ${code}: ${err.trim().split('\n').pop()}`));
      const lines = out.trim().split('\n').map((l) => JSON.parse(l));
      resolve({ info: lines[0].info, runs: lines.slice(1), wallSeconds: (performance.now() - started) / 1000 });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number, digits = 2) => x.toFixed(digits);

/** One epoch of the canonical workload in this process, through the loop and engine a real run uses. */
async function modelLabEpoch(
  maxSteps: number,
): Promise<{ seconds: number; cpuSeconds: number; engine: string; backend: string; loss: number; accuracy: number }> {
  const { tf, backend } = await selectBackend('wasm');
  const definition = canonical('adam', 1);
  const info = describeModel(definition);
  const data = await loadDataset({ spec: { name: 'fashion-mnist' }, baseDir: ROOT, cacheDir: join(tmpdir(), 'model-lab-bench') });
  let { train } = splitValidation(data.train, 784, 0.2, 42);
  if (maxSteps) train = gather(train, 784, Uint32Array.from({ length: Math.min(train.count, maxSteps * 32) }, (_, i) => i));
  const model = buildModel(tf, definition, { names: info.names, inputShape: [28, 28], seed: SEED });
  const engine = chooseEngine({ tf, model, optimizer: info.optimizer, loss: 'sparse_categorical_crossentropy', accuracy: true, seed: SEED }, { seed: SEED });
  let seconds = NaN;
  let cpuSeconds = NaN;
  const cpu = process.cpuUsage();
  let logs: Record<string, number> = {};
  const outcome = await fit({
    tf,
    model,
    engine,
    loss: 'sparse_categorical_crossentropy',
    accuracy: 'sparse_categorical',
    shape: { inputShape: [28, 28], exampleSize: 784, scale: data.scale, labels: 'sparse', numClasses: 10 },
    train,
    epochs: 1,
    batchSize: 32,
    shuffle: true,
    seed: SEED,
    onEpoch: (e) => {
      seconds = e.epochMs / 1000;
      const used = process.cpuUsage(cpu);
      cpuSeconds = (used.user + used.system) / 1e6;
      logs = e.logs;
    },
  });
  if (outcome.status !== 'completed') throw new BenchError(`Model Lab's epoch ended ${outcome.status}`);
  engine.dispose();
  model.dispose();
  return { seconds, cpuSeconds, engine: engine.name, backend, loss: logs.loss, accuracy: logs.accuracy };
}

async function singleRun(): Promise<void> {
  const repeats = SHORT ? 1 : 3;
  const maxSteps = SHORT ? 300 : 0;
  console.log(`\n== Single run: one epoch${maxSteps ? ` (first ${maxSteps} steps)` : ''}, Adam, batch 32, ${repeats} interleaved repeat(s)`);
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let r = 1; r <= repeats; r++) {
    const ml = await modelLabEpoch(maxSteps);
    const peer = await runPeer(['--epochs', '1', '--optimizers', 'adam', '--seed', String(SEED), ...(maxSteps ? ['--max-steps', String(maxSteps)] : [])]);
    const p = peer.runs[0];
    if (r === 1) {
      console.log(`PyTorch ${peer.info.torch}, ${peer.info.threads} thread, BLAS: ${String(peer.info.blas)}`);
    }
    if (!Number.isFinite(ml.loss) || !Number.isFinite(p.loss)) throw new BenchError('a loss was not finite');
    ratios.push(ml.seconds / p.epochSeconds[0]);
    cpuRatios.push(ml.cpuSeconds / p.epochCpuSeconds[0]);
    console.log(
      `repeat ${r}: Model Lab (${ml.engine} engine, ${ml.backend}) ${fmt(ml.seconds)} s/epoch (cpu ${fmt(ml.cpuSeconds)} s), loss ${fmt(ml.loss, 4)} acc ${fmt(ml.accuracy, 4)}` +
        ` | PyTorch ${fmt(p.epochSeconds[0])} s/epoch (cpu ${fmt(p.epochCpuSeconds[0])} s), loss ${fmt(p.loss, 4)} acc ${fmt(p.accuracy, 4)}` +
        ` | ratio ${fmt(ratios[ratios.length - 1])}`,
    );
  }
  console.log(`median ratio Model Lab / PyTorch: ${fmt(median(ratios))} wall, ${fmt(median(cpuRatios))} cpu time`);
}

/** Peak RSS (VmHWM) of this process's worker children, sampled from /proc while they run (Linux). */
function watchWorkers(): { stop(): Map<number, number> } {
  const peaks = new Map<number, number>();
  const sample = () => {
    let pids: string[] = [];
    try {
      pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    } catch {
      return;
    }
    for (const pid of pids) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        if (!new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status)) continue;
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker.js')) continue;
        const kb = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
        peaks.set(Number(pid), Math.max(peaks.get(Number(pid)) ?? 0, kb));
      } catch {
        // The process ended between listing and reading.
      }
    }
  };
  const timer = setInterval(sample, 200);
  return {
    stop: () => {
      clearInterval(timer);
      return peaks;
    },
  };
}

async function comparison(): Promise<void> {
  const epochs = SHORT ? 1 : 5;
  const dataset = SHORT ? 'fashion-mnist-sample' : 'fashion-mnist';
  console.log(`\n== Comparison: ${OPTIMIZERS.length} optimizers x ${epochs} epoch(s) on ${dataset}: 2 workers vs PyTorch one after another`);
  const cacheDir = mkdtempSync(join(tmpdir(), 'model-lab-bench-'));
  const pool = new RunPool({ size: 2 });
  const watch = watchWorkers();
  const started = performance.now();
  const results: RunResult[] = [];
  let backend = '';
  try {
    const handles = OPTIMIZERS.map((optimizer, i) => {
      const spec: RunSpec = {
        runId: `bench-${i}`,
        label: optimizer,
        definition: canonical(optimizer, epochs, dataset),
        repeat: 1,
        seed: SEED,
        backend: 'wasm',
        baseDir: ROOT,
        cacheDir,
      };
      return pool.run(spec, (e) => {
        if (e.type === 'started') backend = e.backend;
      });
    });
    for (const h of handles) results.push(await h.result);
  } finally {
    pool.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const wall = (performance.now() - started) / 1000;
  const peaks = watch.stop();
  const failed = results.filter((r) => r.status !== 'completed');
  if (failed.length) throw new BenchError(`run ${failed[0].label} ${failed[0].status}: ${failed[0].error ?? ''}`);

  const peer = SHORT ? undefined : await runPeer(['--epochs', String(epochs), '--optimizers', OPTIMIZERS.join(','), '--seed', String(SEED)]);
  const peerShort = SHORT ? await runPeer(['--epochs', '1', '--optimizers', OPTIMIZERS.join(','), '--max-steps', '100']) : undefined;
  const last = (h: Record<string, number[]>, k: string) => h[k]?.[h[k].length - 1] ?? NaN;
  for (const [i, r] of results.entries()) {
    const p = (peer ?? peerShort)!.runs[i];
    console.log(
      `${r.label.padEnd(9)} Model Lab: ${fmt(r.epochMs.reduce((a, b) => a + b, 0) / r.epochMs.length / 1000)} s/epoch, ` +
        `loss ${fmt(last(r.history, 'loss'), 4)} val_acc ${fmt(last(r.history, 'val_accuracy'), 4)}` +
        ` | PyTorch: ${fmt(p.epochSeconds.reduce((a, b) => a + b, 0) / p.epochSeconds.length)} s/epoch, loss ${fmt(p.loss, 4)} val_acc ${fmt(p.val_accuracy, 4)}`,
    );
  }
  console.log(`Model Lab (${backend}, 2 workers): ${fmt(wall, 1)} s wall for all runs`);
  if (peer) console.log(`PyTorch (one after another): ${fmt(peer.wallSeconds, 1)} s wall; ratio ${fmt(wall / peer.wallSeconds)}`);
  const rss = [...peaks.values()].map((kb) => `${fmt(kb / 1024, 0)} MB`);
  console.log(`peak RSS per worker: ${rss.join(', ') || 'not measured (no /proc)'}`);
}

async function main(): Promise<void> {
  // The comparison runs dist/worker.js: build it from the current sources first.
  const build = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new BenchError(`the build failed: ${build.stderr.trim()}`);
  await singleRun();
  await comparison();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench: ${e instanceof BenchError ? e.message : e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
