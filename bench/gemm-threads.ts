/**
 * `node --import tsx bench/gemm-threads.ts [repeats]`: does splitting the products of one Dense step across two
 * threads pay on this machine? The wide step's eight products (784-512-512-10, batch 128, the layouts a step uses)
 * run in a shared WebAssembly memory, first on this thread alone, then with rows split between this thread and a
 * worker thread (SharedArrayBuffer + Atomics: the worker waits on a flag, multiplies its half, signals back).
 * Interleaved repeats; prints wall ms per step, CPU ms per step (all threads) and the wall speed-up, median and spread.
 * An experiment, not the engine: the tfjs wasm backend's heap is not a shared memory, so the engine cannot hand its
 * tensors to another thread without copying them.
 */
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { workerV8Flags } from '../src/training/wasm-features';
import { gemmWorkBytes, MR, packedGemm } from '../src/training/worker/fused/packed-gemm';

for (const flag of workerV8Flags()) setFlagsFromString(flag);

/** Control words (Int32) at the start of the memory: [0] job flag, [1] done flag, [2..] the job's 13 arguments. */
const CONTROL = 0;
const ARGS = 2;

function workerMain(): void {
  const { memory, work } = workerData as { memory: WebAssembly.Memory; work: number };
  const kernel = packedGemm(memory, { shared: true })!;
  const control = new Int32Array(memory.buffer, CONTROL, 16);
  parentPort!.postMessage('ready');
  for (;;) {
    Atomics.wait(control, 0, 0);
    if (Atomics.load(control, 0) < 0) return;
    const a = Array.from(control.subarray(ARGS, ARGS + 12));
    kernel.gemm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], work);
    Atomics.store(control, 0, 0);
    Atomics.store(control, 1, 1);
    Atomics.notify(control, 1);
  }
}

type Layout = 'A@B' | 'At@B' | 'A@Bt';

async function main(): Promise<void> {
  const repeats = Number(process.argv[2] ?? 5);
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 65536, shared: true });
  const kernel = packedGemm(memory, { shared: true });
  if (!kernel) throw new Error('no wasm SIMD');
  let next = 1024;
  const alloc = (bytes: number) => {
    const p = next;
    next += Math.ceil(bytes / 64) * 64 + 64;
    return p;
  };
  const workMain = alloc(gemmWorkBytes(1024, 1 << 20));
  const workWorker = alloc(gemmWorkBytes(1024, 1 << 20));
  const batch = 128;
  const widths = [784, 512, 512, 10];
  const products: { layout: Layout; m: number; n: number; k: number; a: number; b: number; c: number }[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const [i, u] = [widths[l], widths[l + 1]];
    const shapes: [Layout, number, number, number][] = [
      ['A@B', batch, u, i],
      ['At@B', i, u, batch],
    ];
    if (l > 0) shapes.push(['A@Bt', batch, i, u]);
    for (const [layout, m, n, k] of shapes)
      products.push({ layout, m, n, k, a: alloc(m * k * 4), b: alloc(k * n * 4), c: alloc(m * n * 4) });
  }
  new Float32Array(memory.buffer, 1024, (next - 1024) / 4).fill(0.01);
  const control = new Int32Array(memory.buffer, CONTROL, 16);
  // The worker runs this file through tsx's CommonJS hook, with this process's V8 flags.
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, {
    eval: true,
    workerData: { memory, work: workWorker },
  });
  await new Promise((resolve) => worker.once('message', resolve));

  const args = (p: (typeof products)[number], row0: number, rows: number): number[] => {
    const [aRow, aCol] = p.layout === 'At@B' ? [4, p.m * 4] : [p.k * 4, 4];
    const [bRow, bCol] = p.layout === 'A@Bt' ? [4, p.k * 4] : [p.n * 4, 4];
    return [p.a + row0 * aRow, aRow, aCol, p.b, bRow, bCol, p.c + row0 * p.n * 4, rows, p.n, p.k, 0, 0];
  };
  const single = () => {
    for (const p of products) {
      const x = args(p, 0, p.m);
      kernel.gemm(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11], workMain);
    }
  };
  const split = () => {
    for (const p of products) {
      // Rows in two halves, a multiple of the tile height: the worker takes the second.
      const half = Math.ceil(p.m / 2 / MR) * MR;
      control.set(args(p, half, p.m - half), ARGS);
      Atomics.store(control, 1, 0);
      Atomics.store(control, 0, 1);
      Atomics.notify(control, 0);
      const x = args(p, 0, half);
      kernel.gemm(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11], workMain);
      Atomics.wait(control, 1, 0);
    }
  };
  const steps = 40;
  const time = (f: () => void) => {
    const cpu = process.cpuUsage(); // the whole process: both threads
    const t = performance.now();
    for (let s = 0; s < steps; s++) f();
    const used = process.cpuUsage(cpu);
    return { wall: (performance.now() - t) / steps, cpu: (used.user + used.system) / 1000 / steps };
  };
  time(single);
  time(split);
  const rows: { one: ReturnType<typeof time>; two: ReturnType<typeof time> }[] = [];
  for (let r = 0; r < repeats; r++) rows.push({ one: time(single), two: time(split) });
  Atomics.store(control, 0, -1);
  Atomics.notify(control, 0);
  await worker.terminate();
  const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  const f = (x: number) => x.toFixed(2);
  const speedups = rows.map((r) => r.one.wall / r.two.wall);
  console.log(`wide step products (8), ${repeats} interleaved repeats of ${steps} steps:`);
  console.log(
    `  one thread:  ${f(med(rows.map((r) => r.one.wall)))} ms wall, ${f(med(rows.map((r) => r.one.cpu)))} ms cpu per step`,
  );
  console.log(
    `  two threads: ${f(med(rows.map((r) => r.two.wall)))} ms wall, ${f(med(rows.map((r) => r.two.cpu)))} ms cpu per step`,
  );
  console.log(
    `  wall speed-up ${f(med(speedups))} (${f(Math.min(...speedups))}-${f(Math.max(...speedups))}); load average ${loadavg()[0].toFixed(1)}`,
  );
}

if (isMainThread)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
else workerMain();
