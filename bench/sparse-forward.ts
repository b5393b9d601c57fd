/**
 * `node --import tsx bench/sparse-forward.ts [units]`: the first layer's forward product on real Fashion-MNIST
 * batches (32 x 784 x units, default 100), the packed product against the sparse one (`sparse-forward.ts`), CPU
 * time per product, medians of 9 interleaved rounds of 600 products (200 batches, three times).
 */
import { setFlagsFromString } from 'node:v8';
import { packedGemm, gemmWorkBytes } from '../src/training/worker/fused/packed-gemm';
import { sparseForward, sparseForwardScratch } from '../src/training/worker/fused/sparse-forward';
import { workerV8Flags } from '../src/training/wasm-features';
import { INPUTS, realBatches } from './real-batches';
for (const flag of workerV8Flags()) setFlagsFromString(flag);
async function main() {
  const [m, n, k] = [32, Number(process.argv[2] ?? 100), INPUTS];
  const batches = 200;
  const { memory, alloc, view: F, at } = await realBatches(batches, m, 400);
  const w = alloc(k * n * 4),
    bias = alloc(n * 4 + 32),
    z = alloc(m * n * 4),
    work = alloc(gemmWorkBytes(n, k)),
    scratch = alloc(sparseForwardScratch(m, k));
  F(w, k * n).forEach((_, i, a) => (a[i] = Math.random() - 0.5));
  const g = packedGemm(memory)!;
  const sf = sparseForward(memory, g.fma)!;
  let nnz = 0;
  const res = { gemm: [] as number[], sparse: [] as number[] };
  for (let round = 0; round < 9; round++) {
    for (const which of ['gemm', 'sparse'] as const) {
      const t = process.cpuUsage();
      for (let rep = 0; rep < 3; rep++)
        for (let b = 0; b < batches; b++) {
          const xb = at(b);
          if (which === 'gemm') g.gemm(xb, k * 4, 4, w, n * 4, 4, z, m, n, k, bias, 1, work, 0, n * 4, 0, 0);
          else nnz = sf(xb, w, bias, z, m, n, k, 1, scratch);
        }
      const u = process.cpuUsage(t);
      res[which].push((u.user + u.system) / (3 * batches));
    }
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1].toFixed(1);
  console.log(
    `n=${n} fma=${g.fma} density(last)=${(nnz / (m * k)).toFixed(3)} gemm ${med(res.gemm)} us, sparse ${med(res.sparse)} us (medians of 9 rounds; min ${Math.min(...res.gemm).toFixed(1)} / ${Math.min(...res.sparse).toFixed(1)})`,
  );
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
