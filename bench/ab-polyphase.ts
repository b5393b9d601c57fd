/**
 * `node --import tsx bench/ab-polyphase.ts [transforms|step] [rounds] [block] [--aa]`: an in-process A/B of the
 * polyphase convolution's transforms, `combine`'s tables (A) against the generated code (B), alternated in blocks
 * (which goes first alternates too), CPU time, paired medians of B - A per step. `transforms`: the strided CNN's
 * second convolution (32 images, 14x14x32 -> 7x7x64) forward and backward with its products left out; `step`: whole
 * training steps of `cnn-bn` (bench/profile-cnn.ts's synthetic batch, Adam). `--aa`: both sides A (the control).
 */
import { setFlagsFromString } from 'node:v8';
import { chooseEngine } from '../src/training/worker/choose-engine';
import { PolyphaseConv, polyphaseCombine, polyphaseGenerated } from '../src/training/worker/fused/conv-polyphase';
import { tensorMemory } from '../src/training/worker/fused/memory';
import { packedGemm } from '../src/training/worker/fused/packed-gemm';
import { hasRelaxedSimd, workerV8Flags } from '../src/training/wasm-features';
import { cnnSetup } from './cnn-setup';

for (const flag of workerV8Flags()) setFlagsFromString(flag);

const mode = process.argv[2] ?? 'transforms';
const rounds = Number(process.argv[3] ?? 30);
const block = Number(process.argv[4] ?? 20);
const aa = process.argv.includes('--aa');

const cpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function stepper(): Promise<() => void> {
  // combine's tables built for every transform (not only the kernel's), so that the A/B can switch at any step.
  polyphaseGenerated.tables = !process.argv.includes('--first');
  if (mode === 'transforms') {
    const memory = new WebAssembly.Memory({ initial: 1024 });
    const F = new Float32Array(memory.buffer);
    const combine = polyphaseCombine(memory, hasRelaxedSimd())!;
    const shape = { h: 14, w: 14, cin: 32, cout: 64, oh: 7, ow: 7, top: 0, left: 0 };
    const conv = new PolyphaseConv(shape, combine, () => {});
    const batch = 32;
    const base = Number(process.argv.find((a) => a.startsWith('--base='))?.slice(7) ?? 256);
    const floats = conv.floats(batch);
    conv.place(base, batch);
    const kernel = base + floats + 64;
    const bias = kernel + 9 * 32 * 64 + 64;
    const out = bias + 64 + 64;
    const dz = out + batch * 49 * 64 + 64;
    const dk = dz + batch * 49 * 64 + 64;
    const dx = dk + 9 * 32 * 64 + 64;
    if ((dx + batch * 196 * 32) * 4 > memory.buffer.byteLength) throw new Error('memory');
    let seed = 1;
    for (let i = 0; i < dx + batch * 196 * 32; i++)
      F[i] = (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
    const part = process.argv.find((a) => a.startsWith('--part='))?.slice(7);
    if (part === 'forward') return () => conv.forward(F, kernel, bias, out, batch, true);
    if (part === 'dkernel') return () => conv.backward(F, dz, dk, -1, batch);
    return () => {
      conv.forward(F, kernel, bias, out, batch, true);
      conv.backward(F, dz, dk, dx, batch);
    };
  }
  const { tf, randomBatch, context } = await cnnSetup('cnn-bn');
  const { x, y } = randomBatch();
  const { ctx } = context();
  const engine = chooseEngine(ctx as Parameters<typeof chooseEngine>[0], { seed: 1 });
  if (process.argv.includes('--conv')) {
    // The products' CPU time too (all of the step's: the polyphase convolution's and the others, same on both sides).
    const gemm = packedGemm(tensorMemory(tf).heap!.memory) as unknown as Record<string, (...args: unknown[]) => void>;
    const run = gemm.gemm;
    gemm.gemm = function (this: unknown, ...args: unknown[]) {
      const start = cpu();
      run.apply(this, args);
      inGemm += cpu() - start;
    };
  }
  console.log(`engine ${engine.name} (${engine.detail ?? ''})`);
  return () => tf.dispose(engine.step(x, y).loss);
}

/** CPU ms in the polyphase convolution's forward and backward (its products included), `step` mode. */
let inConv = 0;
let inGemm = 0;
if (process.argv.includes('--conv'))
  for (const key of ['forward', 'backward'] as const) {
    const proto = PolyphaseConv.prototype as unknown as Record<string, (...args: unknown[]) => void>;
    const run = proto[key];
    proto[key] = function (this: unknown, ...args: unknown[]) {
      const start = cpu();
      run.apply(this, args);
      inConv += cpu() - start;
    };
  }

/**
 * Wraps PolyphaseConv's generated transforms (each function list wrapped at its first use) so that each call adds
 * its time on `clock` to `add(function index, ms)`.
 */
function timeGenerated(clock: () => number, add: (i: number, ms: number) => void): void {
  const proto = PolyphaseConv.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const generated = proto.generated;
  const wrapped = new WeakMap<object, unknown>();
  proto.generated = function (this: object) {
    const fns = generated.call(this) as ((...args: number[]) => void)[] | null;
    if (!fns) return fns;
    if (!wrapped.has(fns))
      wrapped.set(
        fns,
        fns.map((f, i) => (...args: number[]) => {
          const start = clock();
          f(...args);
          add(i, clock() - start);
        }),
      );
    return wrapped.get(fns);
  };
}

/** CPU ms in the generated transforms, `--gen`. */
let inGen = 0;
if (process.argv.includes('--gen')) timeGenerated(cpu, (_, ms) => (inGen += ms));

/** Wall ms in `combine`'s runs but the kernel's (A) and in the generated transforms (B), `--wall`. */
const inWall = [0, 0];
const perFn: number[] = [];
let steps = 0;
if (process.argv.includes('--wall')) {
  const proto = PolyphaseConv.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const run = proto.run;
  proto.run = function (this: object, ...args: unknown[]) {
    if (args[0] === 'kernel' || args[0] === 'kernelBack') return run.apply(this, args);
    const start = performance.now();
    run.apply(this, args);
    inWall[0] += performance.now() - start;
  };
  timeGenerated(
    () => performance.now(),
    (i, ms) => {
      inWall[1] += ms;
      perFn[i] = (perFn[i] ?? 0) + ms;
    },
  );
}

async function main(): Promise<void> {
  if (process.argv.includes('--first')) {
    // The first steps of a fresh engine with one variant only (`--first --tables`: combine's tables).
    polyphaseGenerated.on = !process.argv.includes('--tables');
    const t0 = cpu();
    const step = await stepper();
    const times = [cpu() - t0];
    for (let s = 0; s < 10; s++) {
      const start = cpu();
      step();
      times.push(cpu() - start);
    }
    console.log(
      `${polyphaseGenerated.on ? 'generated' : 'tables'}: engine built in ${times[0].toFixed(1)} ms, first steps ${times
        .slice(1)
        .map((t) => t.toFixed(1))
        .join(', ')} ms cpu`,
    );
    return;
  }
  // `--layout`: A point-major V and M, B image-major, two engines (or convolutions) built side by side, generated.
  // `--main`: the same with A on combine's tables (main's transforms and layout), B generated and image-major.
  const main = process.argv.includes('--main');
  const layout = main || process.argv.includes('--layout');
  polyphaseGenerated.imageMajor = !layout;
  const step0 = await stepper();
  polyphaseGenerated.imageMajor = !aa;
  const step1 = layout ? await stepper() : step0;
  const timeBlock = (generated: boolean) => {
    if (!layout || main) polyphaseGenerated.on = generated && !(main && aa);
    const step = generated ? step1 : step0;
    const [start, conv, gemm, gen, wall] = [cpu(), inConv, inGemm, inGen, inWall[0] + inWall[1]];
    for (let s = 0; s < block; s++) step();
    if (generated) steps += block;
    convs[generated ? 1 : 0].push((inConv - conv) / block);
    gemms[generated ? 1 : 0].push((inGemm - gemm) / block);
    gens[generated ? 1 : 0].push((inGen - gen) / block);
    walls[generated ? 1 : 0].push((inWall[0] + inWall[1] - wall) / block);
    return (cpu() - start) / block;
  };
  const convs: number[][] = [[], []];
  const gemms: number[][] = [[], []];
  const gens: number[][] = [[], []];
  const walls: number[][] = [[], []];
  for (let w = 0; w < 3; w++) {
    timeBlock(false);
    timeBlock(layout || !aa);
  }
  const [as, bs, ds]: number[][] = [[], [], []];
  for (let r = 0; r < rounds; r++) {
    let a: number, b: number;
    if (r % 2) {
      b = timeBlock(layout || !aa);
      a = timeBlock(false);
    } else {
      a = timeBlock(false);
      b = timeBlock(layout || !aa);
    }
    as.push(a);
    bs.push(b);
    ds.push(b - a);
  }
  const median = (v: number[]) => {
    const s = [...v].sort((p, q) => p - q);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  if (perFn.length) console.log('generated functions, ms a step:', perFn.map((t) => (t / steps).toFixed(3)).join(' '));
  const lower = ds.filter((d) => d < 0).length;
  console.log(
    (inConv
      ? `polyphase conv: A ${median(convs[0]).toFixed(3)} ms, B ${median(convs[1]).toFixed(3)} ms; products (timed): A ${median(gemms[0]).toFixed(3)}, B ${median(gemms[1]).toFixed(3)}; `
      : '') +
      (inWall[0] + inWall[1]
        ? `transforms' wall time: A ${median(walls[0]).toFixed(3)}, B ${median(walls[1]).toFixed(3)} ms; `
        : '') +
      (inGen ? `generated transforms (B): ${median(gens[1]).toFixed(3)} ms; ` : '') +
      `${mode}${aa ? ' (A/A)' : ''}: A (tables) ${median(as).toFixed(3)} ms, B (${aa ? 'tables' : 'generated'}) ${median(bs).toFixed(3)} ms per step; paired median B - A ${median(ds).toFixed(3)} ms, B lower in ${lower}/${rounds} (blocks of ${block})`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
