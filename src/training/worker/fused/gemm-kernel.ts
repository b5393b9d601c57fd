/**
 * A matrix product in WebAssembly SIMD that works on the wasm backend's tensor memory without packing.
 *
 * The backend's XNNPACK products repack their right-hand operand whenever it is a new tensor, and in training every
 * operand is new every step: for the canonical model the repacking costs more than the products themselves. This
 * kernel reads row-major operands as they are: C[M, N] = A[M, K] @ B[K, N] (or Aᵀ @ B with A stored [K, M]), in
 * tiles of 4 rows x 8 columns (four broadcast A values times two 4-wide rows of B per step of k), with 4-wide and
 * single-column tiles at the right edge and single-row tiles at the bottom. Sums run over k in order, in float32.
 */
import { HEADER, I32, IMPORT_MEMORY, section, simd, sleb, str, uleb, V128, vec } from './wasm-emit';

/** C = A @ B (or Aᵀ @ B): byte addresses in the memory, then M, N, K. K must be at least 1. */
export type Gemm = (a: number, b: number, c: number, m: number, n: number, k: number) => void;

export interface GemmKernels {
  gemm: Gemm;
  /** Aᵀ @ B with A stored row-major as [K, M]. */
  gemmTransA: Gemm;
}

// Parameters and locals of both functions.
const A = 0, B = 1, C = 2, M = 3, N = 4, K = 5;
const I = 6, J = 7, KK = 8, PB = 9, ROW_A = 10, ROW_B = 11, PC = 12;
const PA = [13, 14, 15, 16]; // pointers to A[i + r, k] (or the single A pointer when A is transposed)
const ACC = (r: number, v: number) => 17 + r * 2 + v; // 8 accumulators
const BV = [25, 26];
const S = 27;

const get = (l: number) => [0x20, ...uleb(l)];
const set = (l: number) => [0x21, ...uleb(l)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const ADD = 0x6a, SUB = 0x6b, MUL = 0x6c, SHL = 0x74, GT_U = 0x4b;
const f32load = (offset: number) => [0x2a, 0x02, ...uleb(offset)];
const f32store = [0x38, 0x02, 0x00];
const v128load = (offset: number) => [...simd(0x00), 0x00, ...uleb(offset)];
const v128store = (offset: number) => [...simd(0x0b), 0x00, ...uleb(offset)];
const SPLAT = simd(0x13), FMUL = simd(0xe6), FADD = simd(0xe4);
const ZERO = [...simd(0x0c), ...new Array(16).fill(0)];
const EXTRACT0 = [...simd(0x1f), 0x00];
const incr = (l: number, by: number[]) => [...get(l), ...by, ADD, ...set(l)];

/** A tile of `rows` (4 or 1) x `vectors` (2, 1: that many 4-wide columns; 0: one scalar column) at (I, J). */
function tile(rows: number, vectors: number, transA: boolean): number[] {
  const width = Math.max(vectors, 1);
  const code: number[] = [];
  for (let r = 0; r < rows; r++) for (let v = 0; v < width; v++) code.push(...ZERO, ...set(ACC(r, v)));
  if (transA) {
    // A stored [K, M]: A[i + r, k] sits at a + (k * M + i + r) * 4, so the rows of a tile are adjacent.
    code.push(...get(A), ...get(I), ...i32(2), SHL, ADD, ...set(PA[0]));
  } else {
    for (let r = 0; r < rows; r++) code.push(...get(A), ...get(I), ...i32(r), ADD, ...get(ROW_A), MUL, ADD, ...set(PA[r]));
  }
  code.push(...get(B), ...get(J), ...i32(2), SHL, ADD, ...set(PB), ...get(K), ...set(KK));
  code.push(0x03, 0x40); // loop over k
  for (let v = 0; v < width; v++) {
    code.push(...get(PB), ...(vectors ? v128load(v * 16) : [...f32load(0), ...SPLAT]), ...set(BV[v]));
  }
  for (let r = 0; r < rows; r++) {
    code.push(...(transA ? get(PA[0]) : get(PA[r])), ...f32load(transA ? r * 4 : 0), ...SPLAT, ...set(S));
    for (let v = 0; v < width; v++) code.push(...get(ACC(r, v)), ...get(S), ...get(BV[v]), ...FMUL, ...FADD, ...set(ACC(r, v)));
    if (!transA) code.push(...incr(PA[r], i32(4)));
  }
  if (transA) code.push(...incr(PA[0], [...get(M), ...i32(2), SHL]));
  code.push(...incr(PB, get(ROW_B)));
  code.push(...get(KK), ...i32(1), SUB, ...set(KK), ...get(KK), 0x0d, 0x00, 0x0b); // k -= 1; br_if k != 0; end
  for (let r = 0; r < rows; r++) {
    code.push(...get(C), ...get(I), ...i32(r), ADD, ...get(ROW_B), MUL, ADD, ...get(J), ...i32(2), SHL, ADD, ...set(PC));
    for (let v = 0; v < width; v++) {
      code.push(...get(PC), ...get(ACC(r, v)), ...(vectors ? v128store(v * 16) : [...EXTRACT0, ...f32store]));
    }
  }
  return code;
}

/** `while (counter + step <= limit) { body; counter += step }` */
function loopWhileFits(counter: number, step: number, limit: number, body: number[]): number[] {
  return [
    0x02, 0x40, 0x03, 0x40,
    ...get(counter), ...i32(step), ADD, ...get(limit), GT_U, 0x0d, 0x01,
    ...body,
    ...incr(counter, i32(step)),
    0x0c, 0x00, 0x0b, 0x0b,
  ];
}

function columns(rows: number, transA: boolean): number[] {
  return [
    ...i32(0), ...set(J),
    ...loopWhileFits(J, 8, N, tile(rows, 2, transA)),
    // if (j + 4 <= n) one 4-wide tile
    ...get(J), ...i32(4), ADD, ...get(N), GT_U, 0x45, 0x04, 0x40, ...tile(rows, 1, transA), ...incr(J, i32(4)), 0x0b,
    ...loopWhileFits(J, 1, N, tile(rows, 0, transA)),
  ];
}

function body(transA: boolean): number[] {
  const code = [
    ...get(K), ...i32(2), SHL, ...set(ROW_A),
    ...get(N), ...i32(2), SHL, ...set(ROW_B),
    ...i32(0), ...set(I),
    ...loopWhileFits(I, 4, M, columns(4, transA)),
    ...loopWhileFits(I, 1, M, columns(1, transA)),
    0x0b,
  ];
  const locals = vec([
    [...uleb(PA[3] - I + 1), I32],
    [...uleb(S - ACC(0, 0) + 1), V128],
  ]);
  return [...locals, ...code];
}

function compile(): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec(new Array(6).fill([I32])), ...uleb(0)];
  const bodies = [body(false), body(true)];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec([type])),
    ...IMPORT_MEMORY,
    ...section(3, vec([uleb(0), uleb(0)])),
    ...section(7, vec([
      [...str('gemm'), 0x00, 0x00],
      [...str('gemm_ta'), 0x00, 0x01],
    ])),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

const instances = new WeakMap<WebAssembly.Memory, GemmKernels>();

/** The kernels bound to `memory`, or undefined when this runtime has no wasm SIMD. */
export function gemmKernels(memory: WebAssembly.Memory): GemmKernels | undefined {
  let kernels = instances.get(memory);
  if (!kernels) {
    try {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(compile()), { env: { memory } }).exports;
      kernels = { gemm: exports.gemm as Gemm, gemmTransA: exports.gemm_ta as Gemm };
    } catch {
      return undefined;
    }
    instances.set(memory, kernels);
  }
  return kernels;
}
