/**
 * Real Fashion-MNIST batches (the bench's training split, scaled floats) in a wasm memory of their own, with a bump
 * allocator, for the benches of the first layer's sparse kernels (`sparse-forward.ts`, `weight-gradient.ts`).
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadDataset, splitValidation } from '../src/data/index';

export const INPUTS = 784;

export async function realBatches(batches: number, batch: number, pages: number) {
  const data = await loadDataset({
    spec: { name: 'fashion-mnist' },
    baseDir: join(__dirname, '..'),
    cacheDir: join(tmpdir(), 'model-lab-bench'),
  });
  const { train } = splitValidation(data.train, INPUTS, 0.2, 42);
  const memory = new WebAssembly.Memory({ initial: pages });
  let next = 64;
  /** `bytes` (and 64 to spare), 16-byte aligned. */
  const alloc = (bytes: number) => {
    const p = next;
    next += Math.ceil((bytes + 64) / 16) * 16;
    return p;
  };
  const view = (p: number, len: number) => new Float32Array(memory.buffer, p, len);
  const size = batches * batch * INPUTS;
  const x = alloc(size * 4);
  const pixels = train.x as Uint8Array;
  const X = view(x, size);
  for (let i = 0; i < size; i++) X[i] = pixels[i] * data.scale;
  /** Batch b's address. */
  const at = (b: number) => x + b * batch * INPUTS * 4;
  return { memory, alloc, view, at };
}
