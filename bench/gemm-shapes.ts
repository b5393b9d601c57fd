/**
 * `node --import tsx bench/gemm-shapes.ts [reps]`: GFLOP/s (CPU time) of the packed product on each product of the
 * wide (784-512-512-10, batch 128) and canonical (784-100-10, batch 32) Dense steps, in their real layouts, next
 * to the register-only peak. For tuning the kernel; `npm run bench` measures whole epochs.
 */
import { setFlagsFromString } from 'node:v8';
import { workerV8Flags } from '../src/training/wasm-features';
import { gemmWorkBytes, packedGemm, PEAK_CHAINS } from '../src/training/worker/fused/packed-gemm';

for (const flag of workerV8Flags()) setFlagsFromString(flag);

type Layout = 'A@B' | 'At@B' | 'A@Bt';
const products = (batch: number, widths: number[]): [string, Layout, number, number, number][] => {
  const out: [string, Layout, number, number, number][] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const [i, u] = [widths[l], widths[l + 1]];
    out.push([`fwd ${i}x${u}`, 'A@B', batch, u, i]);
    out.push([`dW ${i}x${u}`, 'At@B', i, u, batch]);
    if (l > 0) out.push([`dA ${i}x${u}`, 'A@Bt', batch, i, u]);
  }
  return out;
};

const reps = Number(process.argv[2] ?? 50);
const memory = new WebAssembly.Memory({ initial: 2048 });
for (const fma of [true, false]) {
  const kernel = packedGemm(memory, { fma });
  if (!kernel || kernel.fma !== fma) continue;
  const cpu0 = process.cpuUsage();
  kernel.peak(5e6, 0);
  const u0 = process.cpuUsage(cpu0);
  const peak = (5e6 * PEAK_CHAINS * 8) / ((u0.user + u0.system) / 1e6) / 1e9;
  console.log(`${fma ? 'relaxed-SIMD FMA' : 'mul + add'}: peak ${peak.toFixed(1)} GFLOP/s`);
  for (const [batch, widths] of [
    [128, [784, 512, 512, 10]],
    [32, [784, 100, 10]],
  ] as [number, number[]][]) {
    let total = 0;
    let flops = 0;
    for (const [name, layout, m, n, k] of products(batch, widths)) {
      let next = 64;
      const alloc = (bytes: number) => {
        const p = next;
        next += Math.ceil(bytes / 64) * 64 + 64;
        return p;
      };
      const a = alloc(m * k * 4);
      const b = alloc(k * n * 4);
      const c = alloc(m * n * 4);
      const bias = alloc(Math.ceil(n / 8) * 32);
      const work = alloc(gemmWorkBytes(Math.max(n, 1024), 1 << 20));
      new Float32Array(memory.buffer, 0, next / 4).fill(0.01);
      const [aRow, aCol] = layout === 'At@B' ? [4, m * 4] : [k * 4, 4];
      const [bRow, bCol] = layout === 'A@Bt' ? [4, k * 4] : [n * 4, 4];
      const run = () =>
        kernel.gemm(
          a,
          aRow,
          aCol,
          b,
          bRow,
          bCol,
          c,
          m,
          n,
          k,
          layout === 'A@B' ? bias : 0,
          layout === 'A@B' ? 1 : 0,
          work,
        );
      for (let r = 0; r < 5; r++) run();
      const cpu = process.cpuUsage();
      for (let r = 0; r < reps; r++) run();
      const used = process.cpuUsage(cpu);
      const s = (used.user + used.system) / 1e6 / reps;
      total += s;
      flops += 2 * m * n * k;
      console.log(
        `  b${batch} ${name.padEnd(12)} ${layout.padEnd(5)} m=${m} n=${n} k=${k}: ${(s * 1e3).toFixed(3)} ms, ${((2 * m * n * k) / s / 1e9).toFixed(1)} GFLOP/s`,
      );
    }
    console.log(
      `  b${batch} all products: ${(total * 1e3).toFixed(3)} ms/step, ${(flops / total / 1e9).toFixed(1)} GFLOP/s`,
    );
  }
}
