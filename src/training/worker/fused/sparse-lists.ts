/**
 * The lists a sparse weight-gradient product takes (`packed-gemm.ts`, `list`), built by a WebAssembly SIMD loop over
 * the layer's input in the heap: for dW = Xᵀ @ dZ with X row-major [batch, inputs], per group of four inputs t, the
 * examples q whose four values X[q, 4t … 4t+3] are not all zero (compared as floats: -0 counts as zero), as int32s at
 * `lists + t * (batch + 1) * 4`: the count, then the examples in order. The JS loop it replaces was about a tenth of
 * a canonical training step; one vector compare per example and a branch-free store make it a few microseconds.
 */
import { get, i32, I32, oneFunctionModule, set, simd, V128 } from './wasm-emit';

/** lists(x, inputs, batch, out): as above; `inputs` a multiple of 4, byte addresses. */
export type SparseListKernel = (x: number, inputs: number, batch: number, out: number) => void;

const [ADD, SUB, MUL, SHL, SHR_U, LT_U, EQZ] = [0x6a, 0x6b, 0x6c, 0x74, 0x76, 0x49, 0x45];
/** `local = a op b` with a and b as code. */
const assign = (local: number, a: number[], op: number, b: number[]) => [...a, ...b, op, ...set(local)];
/** `while (cond) body`, cond as code leaving an i32. */
const whileLoop = (cond: number[], body: number[]) => [
  ...[0x02, 0x40, 0x03, 0x40],
  ...[...cond, EQZ, 0x0d, 0x01],
  ...[...body, 0x0c, 0x00, 0x0b, 0x0b],
];
const I32_STORE = [0x36, 0x02, 0x00];
const V128_LOAD = [...simd(0x00), 0x00, 0x00];
const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];

function compile(): Uint8Array<ArrayBuffer> {
  // Parameters X, INPUTS, BATCH, OUT; locals T (group), Q (example), AT (where the next index goes), P (pointer
  // into x), BASE (this group's count), ROW (bytes per example), ZERO (a v128 of zeros).
  const [X, INPUTS, BATCH, OUT, T, Q, AT, P, BASE, ROW, ZERO] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const example = [
    // *AT = Q; AT += 4 * any_true(x[P .. P+3] != 0); P += ROW; Q += 1
    ...[...get(AT), ...get(Q), ...I32_STORE],
    ...[...get(P), ...V128_LOAD, ...get(ZERO), ...simd(0x42) /* f32x4.ne */, ...simd(0x53) /* any_true */],
    ...[...i32(2), SHL, ...get(AT), ADD, ...set(AT)],
    ...assign(P, get(P), ADD, get(ROW)),
    ...assign(Q, get(Q), ADD, i32(1)),
  ];
  const group = [
    ...assign(AT, get(BASE), ADD, i32(4)),
    ...assign(P, get(X), ADD, [...get(T), ...i32(4), SHL]),
    ...[...i32(0), ...set(Q)],
    ...whileLoop([...get(Q), ...get(BATCH), LT_U], example),
    // *BASE = (AT - BASE - 4) / 4; BASE += (BATCH + 1) * 4; T += 1
    ...[...get(BASE), ...get(AT), ...get(BASE), SUB, ...i32(4), SUB, ...i32(2), SHR_U, ...I32_STORE],
    ...assign(BASE, get(BASE), ADD, [...get(BATCH), ...i32(1), ADD, ...i32(4), MUL]),
    ...assign(T, get(T), ADD, i32(1)),
  ];
  const code = [
    ...[...V128_ZERO, ...set(ZERO)],
    ...assign(ROW, get(INPUTS), SHL, i32(2)),
    ...[...get(OUT), ...set(BASE), ...i32(0), ...set(T)],
    ...whileLoop([...get(T), ...get(INPUTS), ...i32(2), SHR_U, LT_U], group),
  ];
  return oneFunctionModule(
    'lists',
    [I32, I32, I32, I32],
    [
      [6, I32],
      [1, V128],
    ],
    code,
  );
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
