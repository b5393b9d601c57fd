/**
 * `node --experimental-wasm-relaxed-simd --no-liftoff --print-wasm-code --import tsx bench/disasm-sparse.ts [units]`:
 * compiles the canonical first layer's row kernels (the forward product that lists, and Adam's rowed update) for
 * `units` (default 100) so that V8 prints their machine code (spills: moves to or from [rbp-...] between a loop's
 * stack check, `cmpq rsp,[...]`, and its back edge).
 */
import { setFlagsFromString } from 'node:v8';
import { createFusedOptimizer } from '../src/training/worker/fused/fused-optimizers';
import { sparseForwardListing, sparseRowedUpdate } from '../src/training/worker/fused/sparse-forward';
import { workerV8Flags } from '../src/training/wasm-features';
for (const flag of workerV8Flags()) setFlagsFromString(flag);
const units = Number(process.argv[2] ?? 100);
const memory = new WebAssembly.Memory({ initial: 64 });
const heap = { memory, malloc: () => 1 << 16, free: () => {} };
const spec = { type: 'Adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false } as const;
const u = createFusedOptimizer(spec, heap, [784 * units])!.fusedUpdate(0)!;
console.log(!!sparseForwardListing(memory, true, units), !!sparseRowedUpdate(memory, true, u.name, u.program, units));
