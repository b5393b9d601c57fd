/**
 * Allocation for kernel tests in a test's own memory: 16-byte aligned blocks from byte 64 on, each with 64 bytes to
 * spare after it (a product's full tile may read a vector past a row), never freed.
 */
export function bumpAlloc(): (bytes: number) => number {
  let next = 64;
  return (bytes) => {
    const p = next;
    next += Math.ceil((bytes + 64) / 16) * 16;
    return p;
  };
}

/** A WasmHeap over `memory` that allocates as `bumpAlloc` does. */
export const bumpHeap = (memory: WebAssembly.Memory) => ({ memory, malloc: bumpAlloc(), free: () => {} });
