/**
 * `node --import tsx bench/first-conv.ts [rounds] [calls]`: the strided CNN's first convolution kernels alone
 * (`convSingleMoments` and `convSingleNormBackward`, FMA, at the bench's geometry: batch 32, 28x28 'same' stride 2 to
 * 14x14x32), each variant in one module, `calls` calls a variant per round, variants alternated round by round; CPU
 * µs a call, medians over rounds, and each variant's paired median against the first (the one-pass kernel) with how
 * many rounds it was lower in. Variants: one pass; split (two passes, splatting loads); split with rows (two passes,
 * a vector load a window row and shuffles). `--plain`: the kernels without relaxed-SIMD multiply-adds.
 */
import { compileModule, firstConvVariants as v } from '../src/training/worker/fused/conv-simd';
import { workerV8Flags } from '../src/training/wasm-features';
import { setFlagsFromString } from 'node:v8';

for (const flag of workerV8Flags()) setFlagsFromString(flag);

const fma = !process.argv.includes('--plain');
const rounds = Number(process.argv[2] ?? 60);
const calls = Number(process.argv[3] ?? 20);
const [batch, oh, ow, c, stride, ph, pw] = [32, 14, 14, 32, 2, 29, 29];
const n = batch * oh * ow * c;
const sizes = { xp: batch * ph * pw + 8, kernel: 9 * c, bias: c, z: n, dy: n, dx: n, dk: 10 * c, block: 11 * c + 8 };
let floats = 0;
const at: Record<string, number> = {};
for (const [k, size] of Object.entries(sizes)) {
  at[k] = floats;
  floats += Math.ceil(size / 16) * 16;
}
const memory = new WebAssembly.Memory({ initial: Math.ceil((floats * 4) / 65536) + 1 });
const F = new Float32Array(memory.buffer);
let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
for (let i = 0; i < floats; i++) F[i] = random();
const module = new WebAssembly.Module(
  compileModule({
    f0: v.convSingleMomentsFn(fma),
    f1: v.convSingleMomentsSplitFn(fma, false),
    f2: v.convSingleMomentsSplitFn(fma, true),
    b0: v.convSingleNormBackwardFn(fma),
    b1: v.convSingleNormBackwardSplitFn(fma, false),
    b2: v.convSingleNormBackwardSplitFn(fma, true),
  }),
);
const k = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...a: number[]) => void>;
const geometry = [batch, oh, ow, c, stride, stride, ph, pw, at.block * 4];
const forward = (f: string) => () => k[f](at.xp * 4, at.kernel * 4, at.bias * 4, at.z * 4, 1, ...geometry);
const backward = (f: string, split: boolean) => () =>
  k[f](at.xp * 4, at.z * 4, at.dy * 4, at.dk * 4, (at.dk + 9 * c) * 4, 1, ...geometry, ...(split ? [at.dx * 4] : []));
const variants: [string, () => void][] = [
  ['forward, one pass', forward('f0')],
  ['forward, split', forward('f1')],
  ['forward, split, rows', forward('f2')],
  ['backward, one pass', backward('b0', false)],
  ['backward, split', backward('b1', true)],
  ['backward, split, rows', backward('b2', true)],
];
const times = variants.map(() => [] as number[]);
for (let r = 0; r < rounds + 5; r++) {
  const order = variants.map((_, i) => i);
  if (r % 2) order.reverse();
  for (const i of order) {
    const cpu = process.cpuUsage();
    for (let j = 0; j < calls; j++) variants[i][1]();
    const used = process.cpuUsage(cpu);
    if (r >= 5) times[i].push((used.user + used.system) / calls);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [i, [name]] of variants.entries()) {
  const base = i < 3 ? 0 : 3;
  const d = times[i].map((t, r) => t - times[base][r]);
  const lower = d.filter((x) => x < 0).length;
  console.log(
    `${name.padEnd(24)} ${median(times[i]).toFixed(1).padStart(7)} µs` +
      (i === base ? '' : `; paired median vs one pass ${median(d).toFixed(1)} µs, lower in ${lower} of ${rounds}`),
  );
}
