/**
 * `node --import tsx bench/block-loops.ts [units] [rounds]`: the first layer's sparse kernels on real Fashion-MNIST
 * batches (32 x 784 x `units`, default 100) with their column blocks' loops two listed entries an iteration (the
 * default) against one (`unrolled` false, `sparse-forward.ts`, `accumulate`): the forward
 * product that lists (`listing`, rowed) alone, and it followed by the first kernel's Adam update from its lists
 * (`listed`, rowed) as in a step; CPU time per batch, `rounds` rounds (default 30) of 200 batches alternated, paired
 * medians of the rounds' differences (one - two entries an iteration) and how many rounds two were cheaper in. The
 * same floats: it checks first that both leave the same weights.
 */
import { setFlagsFromString } from 'node:v8';
import { createFusedOptimizer } from '../src/training/worker/fused/fused-optimizers';
import { packedGemm } from '../src/training/worker/fused/packed-gemm';
import {
  listedBytes,
  sparseForwardListing,
  sparseForwardScratch,
  sparseRowedUpdate,
  updateByColumns,
} from '../src/training/worker/fused/sparse-forward';
import { workerV8Flags } from '../src/training/wasm-features';
import { INPUTS, realBatches } from './real-batches';
for (const flag of workerV8Flags()) setFlagsFromString(flag);

async function main() {
  const [m, n, k] = [32, Number(process.argv[2] ?? 100), INPUTS];
  const rounds = Number(process.argv[3] ?? 30);
  const batches = 200;
  const { memory, alloc, view: F, at } = await realBatches(batches, m, 700);
  const heap = { memory, malloc: alloc, free: () => {} };
  const fma = packedGemm(memory)!.fma;
  const spec = {
    type: 'Adam',
    learning_rate: 0.001,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
  } as const;
  // Per side: W, bias, Z, scratch, the lists, dZ, the optimizer.
  const sides = [false, true].map((unrolled) => {
    const sizes = [k * n * 4, n * 4 + 32, m * n * 4, sparseForwardScratch(m, k), listedBytes(m, k)];
    const [w, bias, z, scratch, lists] = sizes.map(alloc);
    const dz = alloc(m * n * 4);
    F(w, k * n).forEach((_, i, a) => (a[i] = Math.sin(i) / 4));
    F(bias, n).fill(0.01);
    F(dz, m * n).forEach((_, i, a) => (a[i] = i % 3 ? Math.cos(i) / 8 : 0));
    const o = createFusedOptimizer(spec, heap, [k * n])!;
    const u0 = o.fusedUpdate(0)!;
    const listing = sparseForwardListing(memory, fma, n, unrolled)!;
    const update = sparseRowedUpdate(memory, fma, u0.name, u0.program, n, unrolled)!;
    const forward = (b: number) => listing(at(b), w, bias, z, m, n, k, 1, scratch, 0, lists);
    const step = (b: number) => {
      forward(b);
      o.beginStep();
      updateByColumns(update, o.fusedUpdate(0)!, [0, dz, w, lists], [k, n, m]);
    };
    return { forward, step, w };
  });
  for (const s of sides) for (let b = 0; b < batches; b++) s.step(b);
  const [w0, w1] = sides.map((s) => F(s.w, k * n));
  const differ = w0.filter((v, i) => !Object.is(v, w1[i])).length;
  console.log(`after ${batches} steps: ${differ} of ${k * n} weights differ`);
  const time = (f: (b: number) => unknown) => {
    const t = process.cpuUsage();
    for (let b = 0; b < batches; b++) f(b);
    const u = process.cpuUsage(t);
    return (u.user + u.system) / batches;
  };
  const res = { forward: [[], []] as number[][], step: [[], []] as number[][] };
  for (let r = 0; r < rounds; r++)
    for (const what of ['forward', 'step'] as const)
      for (const side of r % 2 ? [1, 0] : [0, 1]) res[what][side].push(time(sides[side][what]));
  const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1].toFixed(1);
  for (const what of ['forward', 'step'] as const) {
    const [one, two] = res[what];
    const d = one.map((v, i) => v - two[i]);
    console.log(
      `n=${n} fma=${fma} ${what === 'forward' ? 'forward that lists' : 'it then the Adam update from its lists'}: one entry an iteration ${med(one)} us, two ${med(two)}, paired median ${med(d)}, two cheaper in ${d.filter((x) => x > 0).length} of ${rounds}`,
    );
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
