/**
 * `node --import tsx bench/profile-cnn.ts [cnn|cnn-bn] [steps] [repeats] [--kernels] [--first]`: trains one bench CNN on
 * a fixed synthetic batch with the fused CNN engine (Adam) and prints CPU milliseconds per step. `--kernels` also times
 * each wasm kernel and each product shape (CPU milliseconds per step, at the microsecond resolution of
 * process.cpuUsage). `--first` prints the first ten steps' CPU times one by one (the process's warm-up: code compiled
 * at first use, fresh memory touched), the first step's system time and how much the process's RSS grew in it. Run it
 * under `node --cpu-prof` to see the JavaScript side (`bench/bench.ts` measures the same networks on Fashion-MNIST
 * against the PyTorch peer).
 */
import { setFlagsFromString } from 'node:v8';
import { selectBackend } from '../src/training/backend';
import { chooseEngine } from '../src/training/worker/choose-engine';
import { PolyphaseConv } from '../src/training/worker/fused/conv-polyphase';
import { convPoolFma, convSimd } from '../src/training/worker/fused/conv-simd';
import { F2X2, F4X4 } from '../src/training/worker/fused/conv-winograd';
import { createFusedEngine } from '../src/training/worker/fused/index';
import { winogradFused } from '../src/training/worker/fused/conv-winograd-fused';
import { tensorMemory } from '../src/training/worker/fused/memory';
import { packedGemm } from '../src/training/worker/fused/packed-gemm';
import { workerV8Flags } from '../src/training/wasm-features';
import { cnnSetup } from './cnn-setup';

for (const flag of workerV8Flags()) setFlagsFromString(flag);

async function main(): Promise<void> {
  if (process.argv[2] === 'ab') return ab();
  const steps = Number(process.argv[3] ?? 200);
  const repeats = Number(process.argv[4] ?? 1);
  const kernels = process.argv.includes('--kernels');
  const { tf, name, randomBatch, context } = await cnnSetup(process.argv[2] ?? 'cnn');
  const { x, y } = randomBatch();
  for (let r = 0; r < repeats; r++) {
    const { model, ctx } = context();
    const engine = chooseEngine(ctx as Parameters<typeof chooseEngine>[0], { seed: 1 });
    const times = kernels ? timeKernels(tf) : undefined;
    const cpu = process.cpuUsage();
    const rss = process.memoryUsage().rss;
    const first: string[] = [];
    let loss = NaN;
    for (let s = 0; s < steps; s++) {
      const before = first.length < 10 ? process.cpuUsage() : undefined;
      const out = tf.tidy(() => engine.step(x, y).loss);
      if (s === steps - 1) loss = out.dataSync()[0];
      out.dispose();
      if (before) {
        const { user, system } = process.cpuUsage(before);
        first.push(((user + system) / 1000).toFixed(1));
        if (s === 0)
          first[0] += ` (${(system / 1000).toFixed(1)} system, RSS +${((process.memoryUsage().rss - rss) / 2 ** 20).toFixed(1)} MB)`;
      }
    }
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    console.log(
      `${name}: ${engine.name} (${engine.detail ?? ''}) ${(ms / steps).toFixed(2)} ms cpu/step over ${steps} steps, loss ${loss.toFixed(4)}`,
    );
    if (process.argv.includes('--first')) console.log(`  first steps, ms cpu: ${first.join(', ')}`);
    if (times)
      for (const [what, ms] of [...times].sort((a, b) => b[1] - a[1]))
        console.log(`  ${(ms / steps).toFixed(3).padStart(7)} ms  ${what}`);
    engine.dispose();
    model.dispose();
  }
}

/**
 * `ab [network] [pairs] [options JSON] [steps]`: two fused engines in this process on the same batches, A made with
 * the ConvStack options given (e.g. '{"pooledNorm":false}'; '{}' for an A/A control), B with none; blocks of `steps`
 * (20) steps alternated (which goes first alternating too), CPU time per block. Prints the medians per step and the
 * paired median of A − B with how many pairs B was lower in; the losses of the two after the first block are
 * printed so that a variant that trains differently shows. `--swap`: B's engine made first. An option "from" (a
 * checkout's directory, e.g. '{"from":"/work/main"}') takes A's engine from that checkout's code.
 */
async function ab(): Promise<void> {
  const pairs = Number(process.argv[4] ?? 40);
  const options = JSON.parse(process.argv[5] ?? '{}') as Record<string, unknown>;
  const steps = Number(process.argv[6]?.startsWith('--') ? 20 : (process.argv[6] ?? 20));
  const { name, randomBatch, context } = await cnnSetup(process.argv[3] ?? 'cnn-bn');
  // Eight batches cycled, so that the engines see changing data as in an epoch.
  const batches = Array.from({ length: 8 }, randomBatch);
  // {"from": "/work/main"}: A's engine from that checkout's engine code (same tfjs, model and batches).
  const { from, ...rest } = options as { from?: string };
  const other = from
    ? ((await import(`${from}/src/training/worker/fused/index`)) as { createFusedEngine: typeof createFusedEngine })
    : undefined;
  const make = (opts: Record<string, unknown>, create = createFusedEngine) => {
    const { ctx } = context();
    return create(ctx as Parameters<typeof createFusedEngine>[0], opts)!;
  };
  const makeA = () => make(rest, other?.createFusedEngine);
  // The engine made first can run faster or slower for where its buffers fall (the small CNN's A/A: 0.2 ms):
  // `--swap` makes B first, so that runs in both orders cancel it.
  const swap = process.argv.includes('--swap');
  const engines = swap ? [make({}), makeA()].reverse() : [makeA(), make({})];
  let at = [0, 0];
  const block = (e: number) => {
    const cpu = process.cpuUsage();
    let loss = 0;
    for (let s = 0; s < steps; s++) {
      const { x, y } = batches[at[e]++ % batches.length];
      loss = engines[e].stepValues!(x, y).loss;
    }
    const used = process.cpuUsage(cpu);
    return { ms: (used.user + used.system) / 1000 / steps, loss };
  };
  const first = [block(0), block(1)];
  console.log(
    `${name}: A ${JSON.stringify(options)} vs B {}; losses after ${steps} steps ${first[0].loss} / ${first[1].loss}`,
  );
  at = [0, 0];
  const [a, b, d]: number[][] = [[], [], []];
  for (let p = 0; p < pairs; p++) {
    const order = p % 2 === 0 ? [0, 1] : [1, 0];
    const t: number[] = [];
    for (const e of order) t[e] = block(e).ms;
    a.push(t[0]);
    b.push(t[1]);
    d.push(t[0] - t[1]);
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
  const lower = d.filter((v) => v > 0).length;
  console.log(
    `  ms cpu/step median A ${median(a).toFixed(3)}, B ${median(b).toFixed(3)}; A − B paired median ${(median(d) * 1000).toFixed(1)} µs, B lower in ${lower} of ${pairs}`,
  );
  for (const e of engines) e.dispose();
}

/** Wraps every kernel of conv-simd.ts and the product bound to the wasm memory with a CPU-time timer. */
function timeKernels(tf: Awaited<ReturnType<typeof selectBackend>>['tf']): Map<string, number> {
  const times = new Map<string, number>();
  const memory = tensorMemory(tf).heap!.memory;
  const wrap = (target: Record<string, unknown>, key: string, label: (args: number[]) => string) => {
    const run = target[key] as (...args: number[]) => void;
    target[key] = function (this: unknown, ...args: number[]) {
      const start = process.cpuUsage();
      run.apply(this, args);
      const what = label(args);
      const used = process.cpuUsage(start);
      times.set(what, (times.get(what) ?? 0) + (used.user + used.system) / 1e3);
    };
  };
  const simd = convSimd(memory) as unknown as Record<string, unknown>;
  for (const key of Object.keys(simd)) wrap(simd, key, () => key);
  const fma = convPoolFma(memory) as unknown as Record<string, unknown> | undefined;
  if (fma) for (const key of Object.keys(fma)) wrap(fma, key, () => `${key} (FMA)`);
  for (const variant of [F2X2, F4X4]) {
    const fused = winogradFused(memory, variant)!;
    wrap(fused as unknown as Record<string, unknown>, 'pack', () => `fused Winograd ${variant.name} pack`);
    for (const kind of Object.keys(fused.forward))
      wrap(fused.forward, kind, () => `fused Winograd ${variant.name} forward${kind === 'FF' ? '' : ` ${kind}`}`);
  }
  // A polyphase convolution's passes as wholes (their products also counted by shape below; the transforms run as
  // 32 calls an image each, too short for this timer).
  for (const key of ['forward', 'backward'])
    wrap(
      PolyphaseConv.prototype as unknown as Record<string, unknown>,
      key,
      () => `polyphase ${key} (its products included)`,
    );
  const shape = (a: number[]) => `product m ${a[7]}, n ${a[8]}, k ${a[9]}${a[1] === 4 && a[7] > 1 ? ', Aᵀ' : ''}`;
  wrap(packedGemm(memory) as unknown as Record<string, unknown>, 'gemm', shape);
  return times;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
