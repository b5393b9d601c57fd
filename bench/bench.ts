/**
 * `npm run bench`: Model Lab's training speed against the PyTorch peer (bench/peer_torch.py) on Fashion-MNIST
 * (48,000 training images), both on one thread.
 *
 *  1. Single run: the machine's measured wasm SIMD multiply-add peak, then one epoch per workload through the real
 *     loop and engine choice (`fit` + `chooseEngine`), interleaved with one PyTorch epoch, three times: the canonical
 *     Flatten > Dense(100, relu) > Dense(10, softmax) at batch 32 with Adam and with plain SGD, and the wide
 *     784-512-512-10 relu MLP at batch 128 with Adam; the small CNN and a CNN with BatchNormalization and strides
 *     (batch 32, Adam); an Embedding + LSTM network for 300 steps (`NETWORKS`). Prints seconds per epoch (wall and
 *     CPU), GFLOP/s of CPU time, the engine that trained and why, the peak RSS of the training process, and the
 *     median ratio Model Lab / PyTorch with its spread. Each Model Lab epoch runs in a fresh process (this script
 *     with --epoch-child), given the V8 flags a worker gets, so its peak RSS is a worker's.
 *  2. Comparison: the real command, `node dist/cli.js compare examples/fashion-mnist.model.json --json <tmp>`
 *     (the canonical six: SGD, SGD lr 0.1, SGD momentum 0.9 nesterov, Adagrad, RMSprop, Adam; 5 epochs, 2 workers),
 *     then the peer training the same six configurations, read from the command's run record, one after another.
 *     Prints both wall times end to end, their ratio, each run's final val_accuracy side by side and the peak RSS of
 *     the command and of each worker; fails when a worker's is over issue 15's 300 MB (`WORKER_RSS_BUDGET_MB`).
 *
 * `--short` (or BENCH_SHORT=1): the first few steps of each workload, one repeat; the same comparison for 1 epoch on
 * the bundled sample (examples/fashion-mnist-sample.model.json) — for CI to check that the benchmark runs.
 * `--only=single` or `--only=compare` runs one part; `--models=cnn,cnn-bn` (mlp, cnn, cnn-bn, lstm) only those rows of
 * the single run; `--steps=N` times the first N steps of each row instead of its epoch. Any failure exits non-zero.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { gather, loadDataset, splitValidation } from '../src/data/index';
import type { ModelDefinition } from '../src/model/types';
import type { RunRecord } from '../src/protocol';
import { selectBackend } from '../src/training/backend';
import { buildModel } from '../src/training/worker/build-model';
import { chooseEngine, describeEngine } from '../src/training/worker/choose-engine';
import { fit } from '../src/training/worker/loop';
import { describeModel } from '../src/training/model-info';
import { workerV8Flags } from '../src/training/wasm-features';
import { packedGemm, PEAK_CHAINS } from '../src/training/worker/fused/packed-gemm';
import { NETWORKS, type NetworkName } from './networks';

// The single run trains in this process: give it the V8 flags a forked worker gets (relaxed SIMD on Node 20).
for (const flag of workerV8Flags()) setFlagsFromString(flag);

const ROOT = join(__dirname, '..');
const SHORT = process.argv.includes('--short') || process.env.BENCH_SHORT === '1';
/** `--steps=N`: each single-run row trains its first N steps instead of its epoch (a loaded machine's budget). */
const STEPS = Number(process.argv.find((a) => a.startsWith('--steps='))?.slice('--steps='.length) ?? 0);
const PYTHON = '/usr/bin/python3';
const SEED = 1;
/** Peak RSS allowed a comparison worker on the Dense workload (issue 15); the bench fails past it. */
const WORKER_RSS_BUDGET_MB = 300;

const canonical = (
  optimizer: string,
  epochs: number,
  dataset = 'fashion-mnist',
  hidden = [100],
  batch = 32,
): ModelDefinition => ({
  name: 'fashion-mlp',
  dataset: { name: dataset, validation_split: 0.2, seed: 42 },
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    ...hidden.map((units) => ({ type: 'Dense', units, activation: 'relu' })),
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs, batch_size: batch },
});

/**
 * A single-run row: a network on Fashion-MNIST against the same network in PyTorch (`peer_torch.py --model`).
 * `mlp`: Flatten > Dense(hidden, relu)... > Dense(10, softmax); the others are fixed networks (`NETWORKS`).
 */
interface Workload {
  name: string;
  model: 'mlp' | NetworkName;
  hidden: number[];
  batch: number;
  optimizer: string;
  /** Steps in --short mode. */
  shortSteps: number;
  /** Steps of a full run when not a whole epoch (0: the epoch): a stock-engine row would take minutes otherwise. */
  steps?: number;
}

const WORKLOADS: Workload[] = [
  {
    name: 'canonical 784-100-10, Adam, batch 32',
    model: 'mlp',
    hidden: [100],
    batch: 32,
    optimizer: 'adam',
    shortSteps: 300,
  },
  {
    name: 'canonical 784-100-10, SGD, batch 32',
    model: 'mlp',
    hidden: [100],
    batch: 32,
    optimizer: 'sgd',
    shortSteps: 300,
  },
  {
    name: 'wide 784-512-512-10, Adam, batch 128',
    model: 'mlp',
    hidden: [512, 512],
    batch: 128,
    optimizer: 'adam',
    shortSteps: 40,
  },
  { name: 'small CNN, Adam, batch 32', model: 'cnn', hidden: [], batch: 32, optimizer: 'adam', shortSteps: 20 },
  {
    name: 'CNN with BatchNormalization and strides, Adam, batch 32',
    model: 'cnn-bn',
    hidden: [],
    batch: 32,
    optimizer: 'adam',
    shortSteps: 20,
  },
  {
    name: 'Embedding + LSTM(64), Adam, batch 32',
    model: 'lstm',
    hidden: [],
    batch: 32,
    optimizer: 'adam',
    shortSteps: 5,
    steps: 300,
  },
];

/**
 * Multiply-adds of each weighted layer's forward pass per example, in order (`mlp`: its Dense layers; conv: output
 * pixels x taps x channels; LSTM: 4 gates x units x (inputs + units) per step).
 */
function forwardMacs(workload: Workload): number[] {
  switch (workload.model) {
    case 'mlp': {
      const widths = [784, ...workload.hidden, 10];
      return widths.slice(1).map((w, l) => widths[l] * w);
    }
    case 'cnn':
      return [28 * 28 * 9 * 32, 14 * 14 * 9 * 32 * 64, 3136 * 100, 100 * 10];
    case 'cnn-bn':
      return [14 * 14 * 9 * 32, 7 * 7 * 9 * 32 * 64, 576 * 100, 100 * 10];
    case 'lstm':
      return [28 * 4 * 64 * (224 + 64), 64 * 10];
  }
}

/**
 * Flops of a training step per example: forward, weight gradients, and input gradients above the first weighted
 * layer (whose input needs none; the LSTM's does, for the Embedding below it).
 */
function flopsPerExample(workload: Workload): number {
  const first = workload.model === 'lstm' ? 3 : 2;
  return 2 * forwardMacs(workload).reduce((sum, macs, l) => sum + (l === 0 ? first : 3) * macs, 0);
}

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
  // One thread means one thread: torch.set_num_threads(1) does not reach OpenBLAS's own pthread pool, which
  // otherwise keeps a second core busy (measured: CPU time twice the wall time, for ~3% speed).
  env.OPENBLAS_NUM_THREADS = '1';
  env.OMP_NUM_THREADS = '1';
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(ROOT, 'bench', 'peer_torch.py'), ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) =>
      reject(new BenchError(`could not start ${PYTHON}: ${e.message}; install python3-torch (apt).`)),
    );
    child.on('close', (code) => {
      if (code !== 0)
        return reject(new BenchError(`the PyTorch peer exited with ${code}: ${err.trim().split('\n').pop()}`));
      const lines = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      resolve({ info: lines[0].info, runs: lines.slice(1), wallSeconds: (performance.now() - started) / 1000 });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number, digits = 2) => x.toFixed(digits);

interface EpochResult {
  seconds: number;
  cpuSeconds: number;
  engine: string;
  backend: string;
  loss: number;
  accuracy: number;
  examples: number;
  /** Peak resident set of the process that trained, in kB (a fresh process per epoch: as a worker is). */
  peakKb: number;
}

/** The model definition a workload trains. */
function workloadDefinition(workload: Workload): ModelDefinition {
  const definition = canonical(workload.optimizer, 1, 'fashion-mnist', workload.hidden, workload.batch);
  return workload.model === 'mlp'
    ? definition
    : { ...definition, name: workload.model, layers: NETWORKS[workload.model] };
}

/**
 * One epoch of a workload in a fresh process (this script with --epoch-child), through the loop and engine a real
 * run uses; its peak RSS is then that of one training process, as a worker's is.
 */
function modelLabEpoch(workload: Workload, maxSteps: number): Promise<EpochResult> {
  const request = JSON.stringify({ workload: WORKLOADS.indexOf(workload), maxSteps });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename, `--epoch-child=${request}`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new BenchError(`could not start the epoch process: ${e.message}`)));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        return reject(new BenchError(`Model Lab's epoch process exited with ${code}: ${err.trim().split('\n').pop()}`));
      resolve(JSON.parse(line) as EpochResult);
    });
  });
}

/** The epoch itself, in the process `modelLabEpoch` started. */
async function epochInThisProcess(workload: Workload, maxSteps: number): Promise<EpochResult> {
  const { tf, backend } = await selectBackend('wasm');
  const batchSize = workload.batch;
  const definition = workloadDefinition(workload);
  const info = describeModel(definition);
  const data = await loadDataset({
    spec: { name: 'fashion-mnist' },
    baseDir: ROOT,
    cacheDir: join(tmpdir(), 'model-lab-bench'),
  });
  // In place, as a worker splits (its peak RSS is a worker's).
  let { train } = splitValidation(data.train, 784, 0.2, 42, { inPlace: true });
  maxSteps ||= workload.steps ?? 0;
  if (maxSteps)
    train = gather(
      train,
      784,
      Uint32Array.from({ length: Math.min(train.count, maxSteps * batchSize) }, (_, i) => i),
    );
  const model = buildModel(tf, definition, { names: info.names, inputShape: [28, 28], seed: SEED });
  const engine = chooseEngine(
    { tf, model, optimizer: info.optimizer, loss: 'sparse_categorical_crossentropy', accuracy: true, seed: SEED },
    { seed: SEED },
  );
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
    // The embedding takes each pixel's value as its token id: unscaled.
    shape: {
      inputShape: [28, 28],
      exampleSize: 784,
      scale: workload.model === 'lstm' ? 1 : data.scale,
      labels: 'sparse',
      numClasses: 10,
    },
    train,
    epochs: 1,
    batchSize,
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
  return {
    seconds,
    cpuSeconds,
    engine: describeEngine(
      engine,
      { tf, model, optimizer: info.optimizer, loss: 'sparse_categorical_crossentropy', accuracy: true },
      { seed: SEED },
    ),
    backend,
    loss: logs.loss,
    accuracy: logs.accuracy,
    examples: train.count,
    peakKb: process.resourceUsage().maxRSS,
  };
}

const spread = (xs: number[]) => `${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}`;

/**
 * The machine's multiply-add rate for 128-bit wasm SIMD on registers alone (the ceiling of any wasm product here),
 * with relaxed-SIMD FMA when this V8 has it, and with separate multiply and add; CPU time, best of three.
 */
function simdPeak(): string {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const rate = (fma: boolean) => {
    const kernel = packedGemm(memory, { fma });
    if (!kernel || kernel.fma !== fma) return undefined;
    const iterations = 5e6;
    kernel.peak(iterations, 0);
    let best = 0;
    for (let r = 0; r < 3; r++) {
      const cpu = process.cpuUsage();
      kernel.peak(iterations, 0);
      const used = process.cpuUsage(cpu);
      best = Math.max(best, (iterations * PEAK_CHAINS * 8) / ((used.user + used.system) / 1e6) / 1e9);
    }
    return best;
  };
  const fma = rate(true);
  const plain = rate(false);
  return `measured wasm SIMD peak (registers only, cpu time): ${fma ? `${fmt(fma, 1)} GFLOP/s with relaxed-SIMD FMA, ` : 'no relaxed SIMD here, '}${fmt(plain ?? NaN, 1)} GFLOP/s with mul + add`;
}

async function singleRun(): Promise<void> {
  const repeats = SHORT ? 1 : 3;
  console.log(
    `\n== Single run: one epoch of 48,000 images${SHORT ? ' (first steps only)' : ''}, ${repeats} interleaved repeat(s) per workload`,
  );
  console.log(
    'Timings share the machine with whatever else runs: cpu time is the steadier figure, wall the one users see.',
  );
  console.log(simdPeak());
  const summary: string[] = [];
  const models = process.argv
    .find((a) => a.startsWith('--models='))
    ?.slice('--models='.length)
    .split(',');
  for (const workload of WORKLOADS) {
    if (models && !models.includes(workload.model)) continue;
    const maxSteps = SHORT ? workload.shortSteps : STEPS;
    console.log(`\n-- ${workload.name}${maxSteps ? ` (first ${maxSteps} steps)` : ''}`);
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    const gflops: number[] = [];
    const peaks: number[] = [];
    for (let r = 1; r <= repeats; r++) {
      const ml = await modelLabEpoch(workload, maxSteps);
      const peer = await runPeer([
        '--epochs',
        '1',
        '--optimizers',
        workload.optimizer,
        '--seed',
        String(SEED),
        '--model',
        workload.model,
        '--hidden',
        workload.hidden.join(',') || '100',
        '--batch',
        String(workload.batch),
        ...(maxSteps || workload.steps ? ['--max-steps', String(maxSteps || workload.steps)] : []),
      ]);
      const p = peer.runs[0];
      if (r === 1 && workload === WORKLOADS[0]) {
        console.log(`PyTorch ${peer.info.torch}, ${peer.info.threads} thread, BLAS: ${String(peer.info.blas)}`);
      }
      if (!Number.isFinite(ml.loss) || !Number.isFinite(p.loss)) throw new BenchError('a loss was not finite');
      ratios.push(ml.seconds / p.epochSeconds[0]);
      cpuRatios.push(ml.cpuSeconds / p.epochCpuSeconds[0]);
      const flops = flopsPerExample(workload) * ml.examples;
      gflops.push(flops / ml.cpuSeconds / 1e9);
      peaks.push(ml.peakKb / 1024);
      console.log(
        `repeat ${r}: Model Lab (engine ${ml.engine}, ${ml.backend}) ${fmt(ml.seconds)} s/epoch (cpu ${fmt(ml.cpuSeconds)} s, ${fmt(gflops[gflops.length - 1], 1)} GFLOP/s, peak RSS ${fmt(ml.peakKb / 1024, 0)} MB), loss ${fmt(ml.loss, 4)} acc ${fmt(ml.accuracy, 4)}` +
          ` | PyTorch ${fmt(p.epochSeconds[0])} s/epoch (cpu ${fmt(p.epochCpuSeconds[0])} s, ${fmt(flops / p.epochCpuSeconds[0] / 1e9, 1)} GFLOP/s), loss ${fmt(p.loss, 4)} acc ${fmt(p.accuracy, 4)}` +
          ` | ratio ${fmt(ratios[ratios.length - 1])}`,
      );
    }
    const line = `${workload.name}: median ratio Model Lab / PyTorch ${fmt(median(ratios))} wall (${spread(ratios)}), ${fmt(median(cpuRatios))} cpu time (${spread(cpuRatios)}); Model Lab ${fmt(median(gflops), 1)} GFLOP/s of cpu time, peak RSS ${fmt(Math.max(...peaks), 0)} MB`;
    console.log(line);
    summary.push(line);
  }
  console.log(`\n${summary.join('\n')}`);
}

// ---- Comparison: the real `model-lab compare`, end to end ----------------------------------------------------

const COMPARE_FILE = SHORT ? 'examples/fashion-mnist-sample.model.json' : 'examples/fashion-mnist.model.json';
const COMPARE_EPOCHS = SHORT ? 1 : 5;
const WORKERS = 2;

interface WorkerPeak {
  pid: number;
  /** Clock ticks after boot when the process started (/proc/PID/stat field 22): orders the workers. */
  startTicks: number;
  kb: number;
}

/** VmHWM (peak resident set) in kB from a /proc status text; 0 for a zombie, which has none. */
const vmHwm = (status: string) => Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);

/**
 * Peak RSS of `parent` and of its dist/worker.js children, sampled from /proc while they run (Linux only; empty
 * elsewhere). VmHWM only grows, so a sample every 100 ms misses at most a worker's last 100 ms of growth.
 */
function watchWorkers(parent: number): { stop(): { parentKb: number; workers: WorkerPeak[] } } {
  const workers = new Map<number, WorkerPeak>();
  let parentKb = 0;
  const sample = () => {
    try {
      parentKb = Math.max(parentKb, vmHwm(readFileSync(`/proc/${parent}/status`, 'utf8')));
    } catch {
      // Not Linux, or the command has ended.
    }
    let pids: string[] = [];
    try {
      pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    } catch {
      return;
    }
    for (const pid of pids) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        if (!new RegExp(`^PPid:\\s+${parent}$`, 'm').test(status)) continue;
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker.js')) continue;
        const known = workers.get(Number(pid));
        if (known) {
          known.kb = Math.max(known.kb, vmHwm(status));
          continue;
        }
        // The command name may hold spaces and parentheses; the fields after its closing ')' do not.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
        workers.set(Number(pid), { pid: Number(pid), startTicks, kb: vmHwm(status) });
      } catch {
        // The process ended between listing and reading.
      }
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return { parentKb, workers: [...workers.values()].sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid) };
    },
  };
}

/** dist/cli.js and dist/worker.js, built when missing or older than a file in src/ (a stale bundle times old code). */
function ensureBuilt(): void {
  const bundles = ['cli.js', 'worker.js'].map((f) => join(ROOT, 'dist', f));
  const built = Math.min(...bundles.map((f) => (existsSync(f) ? statSync(f).mtimeMs : -Infinity)));
  if (built >= newestMtime(join(ROOT, 'src'))) return;
  console.log('Building dist/ (missing or older than src/)');
  const build = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new BenchError(`the build failed: ${build.stderr.trim()}`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * `node dist/cli.js compare <file> --json <tmp>`: the command a user runs, timed from spawn to exit (start-up, data,
 * every run, the record). Its epoch lines are echoed as they come, so a long benchmark shows it is alive.
 */
function runCompare(
  jsonPath: string,
): Promise<{ record: RunRecord; wallSeconds: number; parentKb: number; workers: WorkerPeak[] }> {
  const args = [
    'dist/cli.js',
    'compare',
    COMPARE_FILE,
    '--epochs',
    String(COMPARE_EPOCHS),
    '--workers',
    String(WORKERS),
    '--seed',
    String(SEED),
    '--json',
    jsonPath,
  ];
  console.log(`$ node ${args.join(' ')}`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const watch = watchWorkers(child.pid ?? -1);
    let pending = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) console.log(`  ${line}`);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => {
      watch.stop();
      reject(new BenchError(`could not start model-lab compare: ${e.message}`));
    });
    child.on('close', (code) => {
      const wallSeconds = (performance.now() - started) / 1000;
      const peaks = watch.stop();
      if (pending) console.log(`  ${pending}`);
      if (code !== 0)
        return reject(new BenchError(`model-lab compare exited with ${code}: ${err.trim().split('\n').pop()}`));
      const record = JSON.parse(readFileSync(jsonPath, 'utf8')) as RunRecord;
      resolve({ record, wallSeconds, ...peaks });
    });
  });
}

/** The peer trains a fixed network; a comparison file holding anything else would be timed against the wrong thing. */
function checkCanonical(record: RunRecord): void {
  const d = record.definition;
  const expected = canonical('adam', COMPARE_EPOCHS);
  const same =
    isDeepStrictEqual(d.layers, expected.layers) &&
    d.compile?.loss === expected.compile?.loss &&
    (d.fit?.batch_size ?? 32) === 32 &&
    record.kind === 'compare';
  if (!same)
    throw new BenchError(
      `${COMPARE_FILE} no longer holds the canonical model the PyTorch peer trains; restore it or update peer_torch.py.`,
    );
  for (const r of record.runs) {
    if (r.status !== 'completed') throw new BenchError(`run ${r.label} ${r.status}${r.error ? `: ${r.error}` : ''}`);
    if (r.history.val_accuracy?.length !== COMPARE_EPOCHS)
      throw new BenchError(`run ${r.label} logged ${r.history.val_accuracy?.length ?? 0} of ${COMPARE_EPOCHS} epochs`);
  }
}

/** The folder the comparison read its IDX files from, for the peer; undefined lets the peer use Debian's. */
function peerDataDir(record: RunRecord): string | undefined {
  const source = record.dataset?.source ?? '';
  if (source === 'bundled sample') return join(ROOT, 'data', 'fashion-mnist-sample');
  return existsSync(source) && statSync(source).isDirectory() ? source : undefined;
}

async function comparison(): Promise<void> {
  console.log(
    `\n== Comparison: model-lab compare ${COMPARE_FILE}, ${COMPARE_EPOCHS} epoch(s) per run, ${WORKERS} workers, then PyTorch running the same optimizers one after another`,
  );
  ensureBuilt();
  const tmp = mkdtempSync(join(tmpdir(), 'model-lab-bench-'));
  let ml: Awaited<ReturnType<typeof runCompare>>;
  try {
    ml = await runCompare(join(tmp, 'compare.json'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const { record } = ml;
  checkCanonical(record);

  const dataset = record.definition.dataset;
  const split = typeof dataset === 'object' ? dataset : {};
  const dataDir = peerDataDir(record);
  const peer = await runPeer([
    '--configs',
    JSON.stringify(record.runs.map((r) => r.optimizer)),
    '--epochs',
    String(COMPARE_EPOCHS),
    '--seed',
    String(record.runs[0]?.seed ?? SEED),
    '--validation-split',
    String(split.validation_split ?? 0.2),
    '--split-seed',
    String(split.seed ?? 42),
    ...(dataDir ? ['--data', dataDir] : []),
  ]);
  if (peer.runs.length !== record.runs.length)
    throw new BenchError(`the PyTorch peer finished ${peer.runs.length} of ${record.runs.length} runs`);

  const last = (xs: number[] | undefined) => xs?.[xs.length - 1] ?? NaN;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const width = Math.max(3, ...record.runs.map((r) => r.label.length));
  console.log(`\n${'Run'.padEnd(width)}  Model Lab s/epoch  val_acc | PyTorch s/epoch  val_acc |  diff`);
  const far: string[] = [];
  for (const [i, r] of record.runs.entries()) {
    const p = peer.runs[i];
    const mlAcc = last(r.history.val_accuracy);
    if (!Number.isFinite(mlAcc) || !Number.isFinite(p.val_accuracy))
      throw new BenchError(`run ${r.label}: a val_accuracy was not finite`);
    const diff = mlAcc - p.val_accuracy;
    if (!SHORT && Math.abs(diff) > 0.02) far.push(r.label);
    console.log(
      `${r.label.padEnd(width)}  ${fmt(mean(r.epochMs) / 1000).padStart(17)}  ${fmt(mlAcc, 4)} | ` +
        `${fmt(mean(p.epochSeconds)).padStart(15)}  ${fmt(p.val_accuracy, 4)} | ${(diff >= 0 ? '+' : '') + fmt(diff, 4)}`,
    );
  }
  console.log(
    `data: ${record.dataset?.name} (${record.dataset?.train} train / ${record.dataset?.validation} validation) from ${record.dataset?.source}; peer read ${dataDir ?? 'its default folder'}`,
  );
  console.log(`Model Lab (${record.backend}, ${WORKERS} workers): ${fmt(ml.wallSeconds, 1)} s wall, end to end`);
  console.log(
    `PyTorch ${peer.info.torch} (${peer.info.threads} thread, one run after another): ${fmt(peer.wallSeconds, 1)} s wall, end to end`,
  );
  console.log(`ratio Model Lab / PyTorch: ${fmt(ml.wallSeconds / peer.wallSeconds)} wall`);
  const labelled = ml.workers.length === record.runs.length;
  const rss = ml.workers.map(
    (w, i) => `${labelled ? record.runs[i].label : `worker ${i + 1}`} ${fmt(w.kb / 1024, 0)} MB`,
  );
  console.log(
    ml.parentKb || rss.length
      ? `peak RSS (VmHWM): model-lab compare ${fmt(ml.parentKb / 1024, 0)} MB; workers: ${rss.join(', ') || 'none seen'}`
      : 'peak RSS: not measured (no /proc)',
  );
  if (far.length)
    console.log(`final val_accuracy differs from PyTorch's by more than 2 points for ${far.join(', ')}: worth a look.`);
  // Issue 15's memory goal, checked here so that `npm test`'s short run catches a regression such as the CNN module's
  // bytecode once generated in every worker at load (262-306 MB).
  const over = ml.workers.filter((w) => w.kb > WORKER_RSS_BUDGET_MB * 1024);
  if (over.length)
    throw new BenchError(
      `a Dense worker's peak RSS is over issue 15's ${WORKER_RSS_BUDGET_MB} MB budget: ${over.map((w) => `${fmt(w.kb / 1024, 0)} MB`).join(', ')}`,
    );
}

async function main(): Promise<void> {
  const child = process.argv.find((a) => a.startsWith('--epoch-child='))?.slice('--epoch-child='.length);
  if (child) {
    const { workload, maxSteps } = JSON.parse(child) as { workload: number; maxSteps: number };
    console.log(JSON.stringify(await epochInThisProcess(WORKLOADS[workload], maxSteps)));
    return;
  }
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only && only !== 'single' && only !== 'compare')
    throw new BenchError(`--only takes single or compare, not ${only}`);
  if (only !== 'compare') await singleRun();
  if (only !== 'single') await comparison();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench: ${e instanceof BenchError ? e.message : e instanceof Error ? e.stack : String(e)}`);
    process.exit(1);
  },
);
