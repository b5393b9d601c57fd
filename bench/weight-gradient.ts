/**
 * `node --import tsx bench/weight-gradient.ts [units] [adam|sgd]`: the first layer's weight gradient dW = Xᵀ @ dZ
 * and the optimizer's update of its kernel, on real Fashion-MNIST batches (32 x 784 inputs, `units` default 100),
 * three ways: the packed product with its per-four-pixel lists (`sparse-lists.ts`) then the SIMD update loop (plain
 * SGD: the update in the product, `rate`); the product over each pixel's non-zero examples (`sparseColumns`) then
 * the loop; and the latter with the update in its epilogue (`updateByColumns`). CPU time per step, medians of 9
 * interleaved rounds of 600 steps; checks first that the three leave the same floats.
 */
import { setFlagsFromString } from 'node:v8';
import { createFusedOptimizer, type FusedOptimizer } from '../src/training/worker/fused/fused-optimizers';
import { packedGemm, gemmWorkBytes, rateBits } from '../src/training/worker/fused/packed-gemm';
import {
  sparseColumns,
  sparseColumnsUpdate,
  sparseForwardScratch,
  updateByColumns,
} from '../src/training/worker/fused/sparse-forward';
import { sparseListKernel } from '../src/training/worker/fused/sparse-lists';
import { workerV8Flags } from '../src/training/wasm-features';
import { INPUTS, realBatches } from './real-batches';
for (const flag of workerV8Flags()) setFlagsFromString(flag);

const OPTIMIZERS = {
  adam: { type: 'Adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  sgd: { type: 'SGD', learning_rate: 0.01, momentum: 0, nesterov: false },
};

async function main() {
  const [batch, units, inputs] = [32, Number(process.argv[2] ?? 100), INPUTS];
  const spec = OPTIMIZERS[(process.argv[3] ?? 'adam') as keyof typeof OPTIMIZERS];
  const batches = 200;
  const { memory, alloc, view: F, at } = await realBatches(batches, batch, 700);
  const heap = { memory, malloc: alloc, free: () => {} };
  const size = inputs * units;
  const dz = alloc(batch * units * 4),
    dw = alloc(size * 4),
    work = alloc(gemmWorkBytes(units, batch)),
    lists = alloc((inputs / 4) * (batch + 1) * 4),
    scratch = alloc(sparseForwardScratch(inputs, batch));
  const kernels = [alloc(size * 4), alloc(size * 4), alloc(size * 4)];
  F(dz, batch * units).forEach((_, i, a) => (a[i] = Math.random() < 0.5 ? 0 : Math.random() - 0.5));
  const init = Float32Array.from({ length: size }, () => Math.random() - 0.5);
  for (const k of kernels) F(k, size).set(init);
  const optimizers = kernels.map(() => createFusedOptimizer(spec, heap, [size])!) as FusedOptimizer[];
  const g = packedGemm(memory)!;
  const lk = sparseListKernel(memory)!;
  const columns = sparseColumns(memory, g.fma)!;
  const plan = optimizers[2].fusedUpdate(0)!;
  const fused = sparseColumnsUpdate(memory, g.fma, plan.name, plan.program)!;
  const steps = {
    packed: (xb: number) => {
      const [o, c] = [optimizers[0], kernels[0]];
      o.beginStep();
      const rate = o.plainRate();
      lk(xb, inputs, batch, lists);
      const bits = rate ? rateBits(rate) : 0;
      g.gemm(xb, 4, inputs * 4, dz, units * 4, 4, bits ? c : dw, inputs, units, batch, 0, 0, work, 0, 0, lists, bits);
      if (!bits) o.update(0, F(c, size), F(dw, size), F(c, size));
    },
    columns: (xb: number) => {
      const [o, c] = [optimizers[1], kernels[1]];
      o.beginStep();
      columns(xb, dz, 0, dw, inputs, units, batch, 0, scratch, inputs * 4);
      o.update(0, F(c, size), F(dw, size), F(c, size));
    },
    epilogue: (xb: number) => {
      const o = optimizers[2];
      o.beginStep();
      updateByColumns(fused, o.fusedUpdate(0)!, [xb, dz, kernels[2], scratch], [inputs, units, batch]);
    },
  };
  for (let b = 0; b < 20; b++) for (const step of Object.values(steps)) step(at(b));
  const [a, c, e] = kernels.map((k) => F(k, size));
  let diff = 0;
  for (let i = 0; i < size; i++) if (a[i] !== c[i] || a[i] !== e[i]) diff++;
  console.log(`after 20 steps: ${diff} of ${size} weights differ`);
  const res: Record<string, number[]> = { packed: [], columns: [], epilogue: [] };
  for (let round = 0; round < 9; round++) {
    for (const [name, step] of Object.entries(steps)) {
      const t = process.cpuUsage();
      for (let rep = 0; rep < 3; rep++) for (let b = 0; b < batches; b++) step(at(b));
      const u = process.cpuUsage(t);
      res[name].push((u.user + u.system) / (3 * batches));
    }
  }
  const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1].toFixed(1);
  console.log(
    `${spec.type} units=${units} fma=${g.fma} (us per step) packed ${med(res.packed)}, columns then the loop ${med(res.columns)}, columns with the update in the epilogue ${med(res.epilogue)}`,
  );
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
