/**
 * `node --import tsx bench/sparse-forward.ts [units]`: the first layer's forward product on real Fashion-MNIST
 * batches (32 x 784 x units, default 100), the packed product against the sparse one (`sparse-forward.ts`), CPU
 * time per product, medians of 9 interleaved rounds of 600 products (200 batches, three times).
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { loadDataset, splitValidation } from '../src/data/index';
import { packedGemm, gemmWorkBytes } from '../src/training/worker/fused/packed-gemm';
import { sparseForward, sparseForwardScratch } from '../src/training/worker/fused/sparse-forward';
import { workerV8Flags } from '../src/training/wasm-features';
for (const flag of workerV8Flags()) setFlagsFromString(flag);
async function main() {
  const data = await loadDataset({
    spec: { name: 'fashion-mnist' },
    baseDir: join(__dirname, '..'),
    cacheDir: join(tmpdir(), 'model-lab-bench'),
  });
  const { train } = splitValidation(data.train, 784, 0.2, 42);
  const [m, n, k] = [32, Number(process.argv[2] ?? 100), 784];
  const memory = new WebAssembly.Memory({ initial: 400 });
  let next = 64;
  const alloc = (bytes: number) => {
    const p = next;
    next += Math.ceil((bytes + 64) / 16) * 16;
    return p;
  };
  const F = (p: number, len: number) => new Float32Array(memory.buffer, p, len);
  const batches = 200;
  const x = alloc(batches * m * k * 4),
    w = alloc(k * n * 4),
    bias = alloc(n * 4 + 32),
    z = alloc(m * n * 4),
    work = alloc(gemmWorkBytes(n, k)),
    scratch = alloc(sparseForwardScratch(m, k));
  const X = F(x, batches * m * k);
  const px = train.x as Uint8Array;
  for (let i = 0; i < batches * m * k; i++) X[i] = px[i] * data.scale;
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
          const xb = x + b * m * k * 4;
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
