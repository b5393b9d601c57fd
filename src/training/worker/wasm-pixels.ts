/**
 * A batch of uint8 pixels into a float32 tensor on the wasm backend, without a JS float array in between: the
 * examples' bytes are copied into a staging area of the wasm heap (a native memcpy per example) and a WebAssembly
 * SIMD loop converts them, eight at a time, straight into the new tensor's memory. The JS loop it replaces (convert,
 * multiply in double, round, store, then a copy into the heap) was about a tenth of a canonical training step.
 *
 * Exactness: the JS path computes fround(byte * scale) in double. Where scale = 1/d, f32(byte) / f32(d) in float32
 * is the correctly rounded quotient of the same real number, which is checked for all 256 bytes when a scale is
 * first seen (1/255 passes); a scale that fails uses the JS path, so every path gives the same floats.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { TF } from './engine';
import type { WasmHeap } from './fused/fused-optimizers';
import { tensorMemory } from './fused/memory';
import { F32, get, I32, oneFunctionModule, set, simd, uleb, V128 } from './fused/wasm-emit';

/** pixels(src, dst, groups, divisor): dst[i] = f32(src[i]) / divisor for i < groups * 8 (src bytes, dst floats). */
type PixelKernel = (src: number, dst: number, groups: number, divisor: number) => void;

function compile(): Uint8Array<ArrayBuffer> {
  const [SRC, DST, GROUPS, DIV, D] = [0, 1, 2, 3, 4];
  const code = [
    ...get(DIV),
    ...simd(0x13), // f32x4.splat
    ...set(D),
    0x02,
    0x40, // block
    ...get(GROUPS),
    0x45, // i32.eqz
    0x0d,
    0x00, // br_if 0
    0x03,
    0x40, // loop
    ...get(DST),
    ...get(SRC),
    ...simd(0x02),
    0x00,
    0x00, // v128.load8x8_u: eight bytes as i16x8
    ...simd(0xa9), // i32x4.extend_low_i16x8_u
    ...simd(0xfb), // f32x4.convert_i32x4_u
    ...get(D),
    ...simd(0xe7), // f32x4.div
    ...simd(0x0b),
    0x00,
    0x00, // v128.store
    ...get(DST),
    ...get(SRC),
    ...simd(0x02),
    0x00,
    0x00,
    ...simd(0xaa), // i32x4.extend_high_i16x8_u
    ...simd(0xfb),
    ...get(D),
    ...simd(0xe7),
    ...simd(0x0b),
    0x00,
    0x10, // v128.store offset 16
    ...get(SRC),
    0x41,
    0x08,
    0x6a,
    ...set(SRC),
    ...get(DST),
    0x41,
    0x20,
    0x6a,
    ...set(DST),
    ...get(GROUPS),
    0x41,
    0x01,
    0x6b,
    0x22,
    ...uleb(GROUPS), // local.tee
    0x0d,
    0x00, // br_if 0 (loop)
    0x0b,
    0x0b, // end loop, end block
  ];
  return oneFunctionModule('pixels', [I32, I32, I32, F32], [[1, V128]], code);
}

interface Bound {
  kernel: PixelKernel;
  staging: number;
  bytes: number;
}
const bound = new WeakMap<WebAssembly.Memory, Bound | null>();
const divisors = new Map<number, number | undefined>();

/** f32(d) when f32(byte) / f32(d) in float32 equals fround(byte * scale) for every byte, else undefined. */
export function exactDivisor(scale: number): number | undefined {
  if (!divisors.has(scale)) {
    const d = Math.fround(1 / scale);
    let exact = Number.isFinite(d) && d !== 0;
    const q = new Float32Array(1);
    for (let b = 0; b < 256 && exact; b++) {
      q[0] = b / d; // double quotient of two floats, rounded once to float32 = float32 division
      exact = q[0] === Math.fround(b * scale);
    }
    divisors.set(scale, exact ? d : undefined);
  }
  return divisors.get(scale);
}

/**
 * x of `size` examples (`order[start …]`, `n` bytes each) as a float32 tensor of `shape`, each byte divided as the
 * scale says, or undefined when this path does not apply (not wasm, no SIMD, a scale it cannot match exactly).
 */
export function pixelBatch(
  tf: TF,
  src: Uint8Array,
  order: ArrayLike<number>,
  start: number,
  size: number,
  n: number,
  scale: number,
  shape: number[],
): tfjs.Tensor | undefined {
  const mem = tensorMemory(tf);
  const fill = mem.heap && pixelFiller(mem.heap, src, order, start, size, n, scale);
  return fill ? mem.create(shape, fill) : undefined;
}

/**
 * The filler of a float32 array of the heap (at least `size * n` floats) with examples `order[start …]` (`n` bytes
 * each), each byte divided as `scale` says; undefined when this path does not apply (no SIMD, a scale it cannot
 * match exactly). Making it may allocate in the heap: do it before taking any view, and fill before the next
 * allocation. The fused Dense engine fills its own input buffer with it (no tensor per batch).
 */
export function pixelFiller(
  heap: WasmHeap,
  src: Uint8Array,
  order: ArrayLike<number>,
  start: number,
  size: number,
  n: number,
  scale: number,
): ((out: Float32Array) => void) | undefined {
  const divisor = exactDivisor(scale);
  if (divisor === undefined) return undefined;
  let b = bound.get(heap.memory);
  if (b === undefined) {
    try {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(compile()), { env: { memory: heap.memory } })
        .exports;
      b = { kernel: exports.pixels as PixelKernel, staging: 0, bytes: 0 };
    } catch {
      b = null;
    }
    bound.set(heap.memory, b);
  }
  if (!b) return undefined;
  const bytes = size * n;
  if (b.bytes < bytes) {
    // Before any view is taken: this allocation may grow (and so move) the memory. Kept for the next batches.
    if (b.staging) heap.free(b.staging);
    b.staging = heap.malloc(bytes);
    b.bytes = b.staging ? bytes : 0;
    if (!b.staging) return undefined;
  }
  const { kernel, staging } = b;
  return (out) => {
    const heapBytes = new Uint8Array(out.buffer);
    touchRows(src, order, start, size, n);
    for (let e = 0; e < size; e++) {
      const from = order[start + e] * n;
      heapBytes.set(src.subarray(from, from + n), staging + e * n);
    }
    const groups = bytes >> 3;
    kernel(staging, out.byteOffset, groups, divisor);
    for (let i = groups * 8; i < bytes; i++) out[i] = heapBytes[staging + i] / divisor;
  };
}

/** Bytes between the loads of `touchRows`: a cache line. */
const LINE = 64;

/**
 * Reads one byte of every cache line of the examples' rows before they are copied: a batch's rows lie anywhere in a
 * data set of tens of megabytes, so nearly every line is a cache miss, and these loads, independent of each other,
 * have their misses served together, where each row's copy would wait for its own (a canonical step, 32 rows of 784
 * bytes: 4.5-4.7 µs less, docs/performance.md, "Round 12, Dense").
 */
function touchRows(src: Uint8Array, order: ArrayLike<number>, start: number, size: number, n: number): void {
  let sum = 0;
  for (let e = 0; e < size; e++) {
    const from = order[start + e] * n;
    for (let at = from; at < from + n; at += LINE) sum += src[at];
    sum += src[from + n - 1];
  }
  _touched = sum;
}
/** The last sum of `touchRows`, kept so that no compiler drops its loads as unused. */
let _touched = 0;
