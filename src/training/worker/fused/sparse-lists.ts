/**
 * The lists a sparse weight-gradient product takes (`packed-gemm.ts`, `list`), built by a WebAssembly SIMD loop over
 * the layer's input in the heap: for dW = Xᵀ @ dZ with X row-major [batch, inputs], per group of four inputs t, the
 * examples q whose four values X[q, 4t … 4t+3] are not all zero (compared as floats: -0 counts as zero), as int32s at
 * `lists + t * (batch + 1) * 4`: the count, then the examples in order. The JS loop it replaces was about a tenth of
 * a canonical training step; one vector compare per example and a branch-free store make it a few microseconds.
 */
import { HEADER, I32, IMPORT_MEMORY, section, simd, sleb, str, uleb, V128, vec } from './wasm-emit';

/** lists(x, inputs, batch, out): as above; `inputs` a multiple of 4, byte addresses. */
export type SparseListKernel = (x: number, inputs: number, batch: number, out: number) => void;

function compile(): Uint8Array<ArrayBuffer> {
  // Parameters: X, INPUTS, BATCH, OUT; locals: T (group), Q (example), AT (where the next index goes), P (x pointer),
  // BASE (this group's count), ROW (bytes per example), ZERO (v128).
  const [X, INPUTS, BATCH, OUT, T, Q, AT, P, BASE, ROW, ZERO] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const get = (l: number) => [0x20, ...uleb(l)];
  const set = (l: number) => [0x21, ...uleb(l)];
  const i32 = (v: number) => [0x41, ...sleb(v)];
  const [ADD, SUB, MUL, SHL, SHR_U, LT_U] = [0x6a, 0x6b, 0x6c, 0x74, 0x76, 0x49];
  const BLOCK = [0x02, 0x40];
  const LOOP = [0x03, 0x40];
  const END = 0x0b;
  const code = [
    ...[...simd(0x0c), ...new Array(16).fill(0)],
    ...set(ZERO),
    ...get(INPUTS),
    ...i32(2),
    SHL,
    ...set(ROW),
    ...get(OUT),
    ...set(BASE),
    ...i32(0),
    ...set(T),
    ...BLOCK,
    ...LOOP,
    // while (T < INPUTS / 4)
    ...get(T),
    ...get(INPUTS),
    ...i32(2),
    SHR_U,
    LT_U,
    0x45,
    0x0d,
    0x01,
    ...get(BASE),
    ...i32(4),
    ADD,
    ...set(AT),
    ...get(X),
    ...get(T),
    ...i32(4),
    SHL,
    ADD,
    ...set(P),
    ...i32(0),
    ...set(Q),
    ...BLOCK,
    ...LOOP,
    ...get(Q),
    ...get(BATCH),
    LT_U,
    0x45,
    0x0d,
    0x01,
    // *AT = Q; AT += 4 * any_true(X[P] != 0)
    ...get(AT),
    ...get(Q),
    0x36,
    0x02,
    0x00,
    ...get(AT),
    ...get(P),
    ...simd(0x00),
    0x00,
    0x00,
    ...get(ZERO),
    ...simd(0x42), // f32x4.ne
    ...simd(0x53), // v128.any_true
    ...i32(2),
    SHL,
    ADD,
    ...set(AT),
    ...get(P),
    ...get(ROW),
    ADD,
    ...set(P),
    ...get(Q),
    ...i32(1),
    ADD,
    ...set(Q),
    0x0c,
    0x00,
    END,
    END,
    // *BASE = (AT - BASE - 4) / 4; BASE += (BATCH + 1) * 4
    ...get(BASE),
    ...get(AT),
    ...get(BASE),
    SUB,
    ...i32(4),
    SUB,
    ...i32(2),
    SHR_U,
    0x36,
    0x02,
    0x00,
    ...get(BASE),
    ...get(BATCH),
    ...i32(1),
    ADD,
    ...i32(4),
    MUL,
    ADD,
    ...set(BASE),
    ...get(T),
    ...i32(1),
    ADD,
    ...set(T),
    0x0c,
    0x00,
    END,
    END,
    END,
  ];
  const body = [
    ...vec([
      [...uleb(6), I32],
      [...uleb(1), V128],
    ]),
    ...code,
  ];
  const type = [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...uleb(0)];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec([type])),
    ...IMPORT_MEMORY,
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...str('lists'), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

const bound = new WeakMap<WebAssembly.Memory, SparseListKernel | null>();

/** The list builder bound to `memory`, or undefined where this runtime has no wasm SIMD. */
export function sparseListKernel(memory: WebAssembly.Memory): SparseListKernel | undefined {
  let kernel = bound.get(memory);
  if (kernel === undefined) {
    try {
      kernel = new WebAssembly.Instance(new WebAssembly.Module(compile()), { env: { memory } }).exports
        .lists as SparseListKernel;
    } catch {
      kernel = null;
    }
    bound.set(memory, kernel);
  }
  return kernel ?? undefined;
}
