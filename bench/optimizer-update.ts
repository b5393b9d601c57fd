/**
 * CPU time of one fused optimizer update (the SIMD loop) over the wide model's first kernel, 784 x 2000 weights, in a
 * wasm memory: `node --import tsx bench/optimizer-update.ts`. Rounds interleave the optimizers; each row is the
 * median of 7 rounds of 20 updates, so the machine's load weighs on all of them alike. Relaxed SIMD on, as in the
 * engine's workers: rows marked "as written" run the programs without their multiply-add forms
 * (`FusedOptimizerOptions.multiplyAdd` false).
 */
import { setFlagsFromString } from 'node:v8';
import { workerV8Flags } from '../src/training/wasm-features';
import {
  createFusedOptimizer,
  type FusedOptimizerOptions,
  type WasmHeap,
} from '../src/training/worker/fused/fused-optimizers';
import type { EffectiveOptimizer } from '../src/protocol';

for (const flag of workerV8Flags()) setFlagsFromString(flag);

const SIZE = 784 * 2000;
const ROUNDS = 7;
const UPDATES = 20;

const memory = new WebAssembly.Memory({ initial: 1 });
let next = 64;
const heap: WasmHeap = {
  memory,
  malloc: (bytes) => {
    const p = next;
    next += Math.ceil(bytes / 16) * 16;
    if (next > memory.buffer.byteLength) memory.grow(Math.ceil((next - memory.buffer.byteLength) / 65536));
    return p;
  },
  free: () => {},
};

const WRITTEN: FusedOptimizerOptions = { multiplyAdd: false };
const SPECS: Record<string, EffectiveOptimizer | [EffectiveOptimizer, FusedOptimizerOptions]> = {
  Adam: { type: 'Adam' },
  'Adam, as written': [{ type: 'Adam' }, WRITTEN],
  AdamW: { type: 'AdamW' },
  'AdamW, as written': [{ type: 'AdamW' }, WRITTEN],
  Nadam: { type: 'Nadam' },
  'SGD momentum': { type: 'SGD', momentum: 0.9 },
  'SGD momentum, weight_decay': { type: 'SGD', momentum: 0.9, weight_decay: 0.01 },
};
const optimizers = Object.entries(SPECS).map(([name, entry]) => {
  const [spec, options] = Array.isArray(entry) ? entry : [entry, {}];
  const opt = createFusedOptimizer(spec, heap, [SIZE], options);
  if (!opt?.simd) throw new Error(`${name}: no SIMD loop`);
  return { name, opt, ms: [] as number[] };
});
const [w, g, out] = [0, 1, 2].map(() => heap.malloc(SIZE * 4));
const view = (p: number) => new Float32Array(memory.buffer, p, SIZE);
view(w).forEach((_, i, a) => (a[i] = Math.sin(i)));
view(g).forEach((_, i, a) => (a[i] = Math.cos(i) * 0.01));

for (let round = 0; round < ROUNDS; round++) {
  for (const o of optimizers) {
    const start = process.cpuUsage();
    for (let s = 0; s < UPDATES; s++) {
      o.opt.beginStep();
      o.opt.update(0, view(w), view(g), view(out));
    }
    const used = process.cpuUsage(start);
    o.ms.push((used.user + used.system) / 1000 / UPDATES);
  }
}
for (const o of optimizers) {
  const sorted = [...o.ms].sort((a, b) => a - b);
  console.log(`${o.name.padEnd(28)} ${sorted[ROUNDS >> 1].toFixed(2)} CPU ms per update (min ${sorted[0].toFixed(2)})`);
}
