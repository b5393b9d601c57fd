/**
 * A packed, cache-blocked, register-tiled matrix product in WebAssembly SIMD, for the three products of a Dense step:
 *   forward         Z  = A @ W (+ bias, relu)        A [batch, in] row-major, W [in, units] row-major
 *   input gradient  dA = dZ @ Wᵀ                     the transpose is a stride: Wᵀ is read while packing
 *   weight gradient dW = Aᵀ @ dZ                     Aᵀ is a stride of the left operand
 *
 * C[m, n] = op(A)[m, k] @ op(B)[k, n], where op(A)[i, p] sits at byte `a + i*aRow + p*aCol` and op(B)[p, j] at
 * `b + p*bRow + j*bCol`: any transpose is a choice of strides, folded into the packing of B and into the row
 * pointers of A. C is row-major with `n` columns.
 *
 * Blocking: k in blocks of KC; for each block, op(B) is packed into panels of NR = 8 columns ([kc][8], zero-padded
 * on the right) that stay in L1 while a micro-kernel walks down all of A's rows, MR = 4 at a time. The micro-kernel
 * holds a 4 x 8 tile of C in eight 4-wide registers; per step of k it loads two vectors of the panel and four
 * broadcast values of A (`v128.load32_splat`) and does eight multiply-adds: relaxed-SIMD `f32x4.relaxed_madd` when
 * the runtime has it (one fused instruction), else `f32x4.mul` then `f32x4.add`. Sums run over k in order.
 * On the last k block the epilogue adds the bias and applies relu on the registers before the store.
 * Edge tiles go through a 4 x 8 scratch tile; rows past m read row m-1 (their results are thrown away). A panel's
 * full tiles go down in one call of the micro-kernel (its `sweep`): a call per tile cost the polyphase
 * convolution's k = 32 products 11% (0.76 -> 0.67 ms for the forward pass's 36).
 *
 * A is not packed: the kernel reads it in place through four row pointers (measured on Zen 5: packing A into
 * [kc][4] micro-panels, with or without unrolling k, was no faster, and unrolling by 2 or 4 made TurboFan spill).
 * Measured in CPU time this kernel runs at 85-95% of the machine's register-only multiply-add rate (`peak`).
 */
import { hasRelaxedSimd } from '../../wasm-features';
import {
  br,
  brIf,
  get,
  HEADER,
  i32,
  I32,
  IMPORT_MEMORY,
  section,
  set,
  simd,
  str,
  tee,
  uleb,
  V128,
  vec,
  ZERO,
} from './wasm-emit';

/** Rows of the register tile. */
export const MR = 4;
/** Columns of the register tile (two 4-wide vectors). */
export const NR = 8;
/** Depth of a k block: a packed panel of B is KC x NR floats (8 KB), in L1 while A streams past it. */
export const KC = 256;

/**
 * C = op(A) @ op(B) [+ bias] [relu] [gated]. Byte addresses and byte strides; `bias` is a byte address of at least
 * ceil(n / 8) * 8 floats (0: none); `relu` 1 or 0; `work` a byte address of `gemmWorkBytes(n, k)` bytes.
 * `gate` (optional, 0: none) is the byte address of an m x n matrix G with rows `gatePitch` bytes apart:
 * C[i, j] is kept where G[i, j] > 0 and set to 0 elsewhere (relu's derivative, taken from relu's output, applied
 * to an input gradient on the registers). Where G is given its rows must be readable 8 floats past column n - 1
 * rounded down to a multiple of 8 (a full tile reads whole vectors; edge tiles read element by element).
 * `list` (optional, 0: dense) makes k sparse: for row tile t (rows 4t to 4t + 3) the int32s at
 * `list + t * (k + 1) * 4` are a count and then the steps of k to take, in order; the others are skipped (their
 * terms are zeros of A). Only for A's rows adjacent floats (aRow = 4, a transposed row-major A), m a multiple of 4,
 * and k <= KC (one k block): the caller checks (`sparseRowsFit`).
 * `rate` (optional, 0: none) the float32 bits of a learning rate r: C = C - r * op(A) @ op(B), the product never
 * stored: plain SGD's update of a kernel by its gradient (C the kernel, the product its gradient), on the registers,
 * rounded as the SIMD SGD loop rounds it (`rateBits`). Only for k <= KC (one k block: C holds the kernel until then).
 * `inPlace` (optional, 0: pack) 1: the micro-kernel reads op(B)'s panels where they are, rows bRow apart, instead
 * of packed copies; only where `inPlaceFits` (no sparse list).
 */
export type PackedGemm = (
  a: number,
  aRow: number,
  aCol: number,
  b: number,
  bRow: number,
  bCol: number,
  c: number,
  m: number,
  n: number,
  k: number,
  bias: number,
  relu: number,
  work: number,
  gate?: number,
  gatePitch?: number,
  list?: number,
  rate?: number,
  inPlace?: number,
) => void;

export interface PackedGemmKernel {
  gemm: PackedGemm;
  /** Whether the multiply-adds are relaxed-SIMD fused ones. */
  fma: boolean;
  /** PEAK_CHAINS x `iterations` register-only multiply-adds (8 flops each); 16 bytes at `out` receive a result. */
  peak(iterations: number, out: number): void;
}

/** The `rate` argument for learning rate `lr`: its float32 bits (0 for a rate of zero, which is no update). */
export const rateBits = (lr: number) => new Int32Array(Float32Array.of(lr).buffer)[0];

/**
 * Whether op(B) may be read in place (`inPlace`, no packing): row-major (not transposed) with whole panels, rows
 * of at most 64 floats (a k block's panel then spans at most KC 256-byte rows, in L1 while A's rows pass it).
 * Measured on the polyphase convolution's weight-gradient products (B = dM, 64 columns): 0.05 ms (6%) less.
 */
export const inPlaceFits = (transB: boolean, n: number) => !transB && n % NR === 0 && n <= 64;

/** Whether `list` may be used for a product of this layout and shape. */
export const sparseRowsFit = (aRow: number, m: number, k: number) => aRow === 4 && m % MR === 0 && k <= KC;

/** Bytes of the `work` area for products with at most `n` columns and depth `k`: the edge tile and the packed B. */
export function gemmWorkBytes(n: number, k: number): number {
  return MR * NR * 4 + Math.min(k, KC) * Math.ceil(n / NR) * NR * 4;
}

// ---- a little assembler -------------------------------------------------------------------------------------
const ADD = 0x6a,
  SUB = 0x6b,
  MUL = 0x6c,
  AND = 0x71,
  LT_U = 0x49,
  GE_U = 0x4f,
  EQZ = 0x45,
  NE = 0x47;
const SELECT = 0x1b;
const IF = [0x04, 0x40],
  IF_I32 = [0x04, I32],
  ELSE = 0x05,
  END = 0x0b,
  BLOCK = [0x02, 0x40],
  LOOP = [0x03, 0x40];
const f32load = (offset = 0) => [0x2a, 0x02, ...uleb(offset)];
const I32LOAD = [0x28, 0x02, 0x00];
const f32store = (offset = 0) => [0x38, 0x02, ...uleb(offset)];
const F32CONST0 = [0x43, 0, 0, 0, 0];
const v128load = (offset = 0) => [...simd(0x00), 0x00, ...uleb(offset)];
const v128store = (offset = 0) => [...simd(0x0b), 0x00, ...uleb(offset)];
const loadSplat = (offset = 0) => [...simd(0x09), 0x02, ...uleb(offset)];
const FMUL = simd(0xe6),
  FADD = simd(0xe4),
  FSUB = simd(0xe5),
  FMAX = simd(0xe9);
const RELAXED_MADD = simd(0x105);
const F32X4_SPLAT = simd(0x13);
const F32_REINTERPRET_I32 = 0xbe;
const FGT = simd(0x44),
  VAND = simd(0x4e);
const incr = (l: number, by: number[]) => [...get(l), ...by, ADD, ...set(l)];
/** `for (l = from; l < limit; l += step) body` with the test at the top (limit and step as code). */
const forLoop = (l: number, from: number[], limit: number[], step: number[], body: number[]) => [
  ...from,
  ...set(l),
  ...BLOCK,
  ...LOOP,
  ...get(l),
  ...limit,
  GE_U,
  ...brIf(1),
  ...body,
  ...incr(l, step),
  ...br(0),
  END,
  END,
];

// ---- micro-kernel: micro(pa, aRow, aCol, pb, kc, c, ldc, mode, bias, rows, gate, gatePitch) --------------------
// mode: bit 0 load C (else start from zero), bit 1 add bias, bit 2 relu, bit 3 gate (keep where G > 0; full tiles
// only, `gate` at the tile's top-left), bit 4 update (C - rate * the tile, `rate` the bits of an f32). pa points at row 0, column 0 of the tile
// in A, whose rows are aRow apart (rows past `rows` re-read the last real row); pb is the packed panel; c the
// tile's top-left, ldc C's row pitch in bytes.
const U = {
  pa: 0,
  aRow: 1,
  aCol: 2,
  pb: 3,
  kc: 4,
  c: 5,
  ldc: 6,
  mode: 7,
  bias: 8,
  rows: 9,
  gate: 10,
  gatePitch: 11,
  list: 12,
  rate: 13,
};
const MICRO_PARAMS = 14;

/**
 * The micro-kernel's code. With `sweep` it takes a 15th parameter, `tiles`: the tile and the tiles - 1 below it
 * (pa, c and gate stepping MR rows down, the same panel and depth), for the driver's runs of full tiles; the
 * sparse list only with tiles = 1.
 */
function micro(fma: boolean, sweep = false): number[] {
  const params = MICRO_PARAMS + (sweep ? 2 : 0);
  const [tiles, pbStep] = [MICRO_PARAMS, MICRO_PARAMS + 1];
  const UP = Array.from({ length: MR }, (_, r) => params + r); // row pointers into A
  const UCR = params + MR; // C row pointer
  // With sweep: kc and pb at the tile's start (the k loop counts them on).
  const [kc0, pb0] = [UCR + 1, UCR + 2];
  const lastI32 = sweep ? pb0 : UCR;
  const UACC = (r: number, v: number) => lastI32 + 1 + r * 2 + v; // MR x 2 v128
  const UB = [UACC(MR, 0), UACC(MR, 1)];
  const US = UB[1] + 1;
  const UBIAS = [US + 1, US + 2];
  const code: number[] = [];
  if (sweep) code.push(...get(U.kc), ...set(kc0), ...get(U.pb), ...set(pb0), ...LOOP);
  for (let r = 0; r < MR; r++) {
    // pa + aRow * min(r, rows - 1)
    code.push(
      ...get(U.pa),
      ...get(U.aRow),
      ...i32(r),
      ...get(U.rows),
      ...i32(1),
      SUB,
      ...i32(r),
      ...get(U.rows),
      LT_U,
      SELECT,
      MUL,
      ADD,
      ...set(UP[r]),
    );
  }
  // Accumulators: from C (an earlier k block) or zero.
  code.push(...get(U.mode), ...i32(1), AND, ...IF);
  for (let r = 0; r < MR; r++) {
    code.push(...get(U.c), ...get(U.ldc), ...i32(r), MUL, ADD, ...set(UCR));
    for (let v = 0; v < 2; v++) code.push(...get(UCR), ...v128load(v * 16), ...set(UACC(r, v)));
  }
  code.push(ELSE);
  for (let r = 0; r < MR; r++) for (let v = 0; v < 2; v++) code.push(...ZERO, ...set(UACC(r, v)));
  code.push(END);
  // Sparse k (list != 0): only the steps of k the list names, [count, k...]; A's four rows are adjacent floats.
  code.push(...get(U.list), ...IF);
  code.push(...get(U.list), ...I32LOAD, ...set(U.kc), ...BLOCK, ...get(U.kc), EQZ, ...brIf(0), ...LOOP);
  code.push(...incr(U.list, i32(4)), ...get(U.list), ...I32LOAD, ...set(UCR));
  code.push(...get(U.pa), ...get(UCR), ...get(U.aCol), MUL, ADD, ...set(UP[0]));
  code.push(...get(U.pb), ...get(UCR), ...i32(NR * 4), MUL, ADD, ...set(UP[1]));
  code.push(...get(UP[1]), ...v128load(0), ...set(UB[0]), ...get(UP[1]), ...v128load(16), ...set(UB[1]));
  for (let r = 0; r < MR; r++) {
    code.push(...get(UP[0]), ...loadSplat(r * 4), ...set(US));
    for (let v = 0; v < 2; v++) {
      if (fma) code.push(...get(US), ...get(UB[v]), ...get(UACC(r, v)), ...RELAXED_MADD, ...set(UACC(r, v)));
      else code.push(...get(UACC(r, v)), ...get(US), ...get(UB[v]), ...FMUL, ...FADD, ...set(UACC(r, v)));
    }
  }
  code.push(...get(U.kc), ...i32(1), SUB, ...tee(U.kc), ...brIf(0), END, END);
  code.push(ELSE);
  // The k loop (kc >= 1).
  code.push(...LOOP);
  code.push(...get(U.pb), ...v128load(0), ...set(UB[0]), ...get(U.pb), ...v128load(16), ...set(UB[1]));
  for (let r = 0; r < MR; r++) {
    code.push(...get(UP[r]), ...loadSplat(0), ...set(US));
    for (let v = 0; v < 2; v++) {
      if (fma) code.push(...get(US), ...get(UB[v]), ...get(UACC(r, v)), ...RELAXED_MADD, ...set(UACC(r, v)));
      else code.push(...get(UACC(r, v)), ...get(US), ...get(UB[v]), ...FMUL, ...FADD, ...set(UACC(r, v)));
    }
    code.push(...incr(UP[r], get(U.aCol)));
  }
  code.push(...incr(U.pb, sweep ? get(pbStep) : i32(NR * 4)));
  code.push(...get(U.kc), ...i32(1), SUB, ...tee(U.kc), ...brIf(0), END);
  code.push(END);
  // Epilogue on the registers: bias, then relu.
  code.push(...get(U.mode), ...i32(2), AND, ...IF);
  for (let v = 0; v < 2; v++) code.push(...get(U.bias), ...v128load(v * 16), ...set(UBIAS[v]));
  for (let r = 0; r < MR; r++)
    for (let v = 0; v < 2; v++) code.push(...get(UACC(r, v)), ...get(UBIAS[v]), ...FADD, ...set(UACC(r, v)));
  code.push(END);
  code.push(...get(U.mode), ...i32(4), AND, ...IF);
  // relu: max(x, 0) lane-wise (tfjs's relu is x > 0 ? x : 0; the two differ only in the sign of a zero).
  for (let r = 0; r < MR; r++)
    for (let v = 0; v < 2; v++) code.push(...get(UACC(r, v)), ...ZERO, ...FMAX, ...set(UACC(r, v)));
  code.push(END);
  code.push(...get(U.mode), ...i32(8), AND, ...IF);
  // gate: acc & (G > 0) lane-wise.
  for (let r = 0; r < MR; r++) {
    code.push(...get(U.gate), ...get(U.gatePitch), ...i32(r), MUL, ADD, ...set(UCR));
    for (let v = 0; v < 2; v++)
      code.push(...get(UACC(r, v)), ...get(UCR), ...v128load(v * 16), ...ZERO, ...FGT, ...VAND, ...set(UACC(r, v)));
  }
  code.push(END);
  code.push(...get(U.mode), ...i32(16), AND, ...IF);
  // update: C - rate * acc, a multiply then a subtraction in float32 (as the SIMD SGD loop rounds them).
  code.push(...get(U.rate), F32_REINTERPRET_I32, ...F32X4_SPLAT, ...set(UBIAS[0]));
  for (let r = 0; r < MR; r++) {
    code.push(...get(U.c), ...get(U.ldc), ...i32(r), MUL, ADD, ...set(UCR));
    for (let v = 0; v < 2; v++)
      code.push(
        ...get(UCR),
        ...v128load(v * 16),
        ...get(UBIAS[0]),
        ...get(UACC(r, v)),
        ...FMUL,
        ...FSUB,
        ...set(UACC(r, v)),
      );
  }
  code.push(END);
  for (let r = 0; r < MR; r++) {
    code.push(...get(U.c), ...get(U.ldc), ...i32(r), MUL, ADD, ...set(UCR));
    for (let v = 0; v < 2; v++) code.push(...get(UCR), ...get(UACC(r, v)), ...v128store(v * 16));
  }
  if (sweep) {
    const rowsDown = (pointer: number, pitch: number) => incr(pointer, [...get(pitch), ...i32(MR), MUL]);
    code.push(...get(tiles), ...i32(1), SUB, ...tee(tiles), ...IF);
    code.push(...rowsDown(U.pa, U.aRow), ...rowsDown(U.c, U.ldc), ...rowsDown(U.gate, U.gatePitch));
    code.push(...get(kc0), ...set(U.kc), ...get(pb0), ...set(U.pb), ...br(1), END, END);
  }
  code.push(END);
  const locals = vec([
    [...uleb(lastI32 - UP[0] + 1), I32],
    [...uleb(UBIAS[1] - UACC(0, 0) + 1), V128],
  ]);
  return [...locals, ...code];
}

// ---- driver: gemm(a, aRow, aCol, b, bRow, bCol, c, m, n, k, bias, relu, work, gate, gatePitch) -----------------
const G = {
  a: 0,
  aRow: 1,
  aCol: 2,
  b: 3,
  bRow: 4,
  bCol: 5,
  c: 6,
  m: 7,
  n: 8,
  k: 9,
  bias: 10,
  relu: 11,
  work: 12,
  gate: 13,
  gatePitch: 14,
  list: 15,
  rate: 16,
  inPlace: 17,
};
const GEMM_PARAMS = 18;
const L = Object.fromEntries(
  [
    'pc',
    'kc',
    'j0',
    'i0',
    'kk',
    'v',
    'src',
    'dst',
    'panels',
    'panel',
    'full',
    'mode',
    'ct',
    'ldc',
    'rows',
    'cols',
    'r',
    'tile',
    'pack',
    'pb',
    'gated',
    'v0',
    'span',
  ].map((name, i) => [name, GEMM_PARAMS + i]),
) as Record<
  | 'pc'
  | 'kc'
  | 'j0'
  | 'i0'
  | 'kk'
  | 'v'
  | 'src'
  | 'dst'
  | 'panels'
  | 'panel'
  | 'full'
  | 'mode'
  | 'ct'
  | 'ldc'
  | 'rows'
  | 'cols'
  | 'r'
  | 'tile'
  | 'pack'
  | 'pb'
  | 'gated'
  | 'v0'
  | 'span',
  number
>;
const SHL = 0x74,
  SHR_U = 0x76,
  EQ = 0x46,
  LE_U = 0x4d,
  OR = 0x72,
  F32_GT = 0x5e;
const times4 = (l: number) => [...get(l), ...i32(2), SHL];
const min = (a: number[], b: number[]) => [...a, ...b, ...a, ...b, LT_U, SELECT];

/**
 * Copies the existing rows x cols of a tile between C (pitch ldc) and the scratch tile (pitch NR floats): a row's
 * first four columns as one vector when it has at least four (the 13th panel of a 100-unit layer has exactly four),
 * the rest element by element.
 */
function tileCopy(toScratch: boolean): number[] {
  const scratch = [...get(L.tile), ...get(L.r), ...i32(NR * 4), MUL, ADD, ...times4(L.v), ADD];
  const inC = [...get(L.ct), ...get(L.r), ...get(L.ldc), MUL, ADD, ...times4(L.v), ADD];
  const [to, from] = toScratch ? [scratch, inC] : [inC, scratch];
  const wide = [...get(L.cols), ...i32(4), GE_U];
  return forLoop(L.r, i32(0), get(L.rows), i32(1), [
    ...i32(0),
    ...set(L.v),
    ...wide,
    ...IF,
    ...to,
    ...from,
    ...v128load(0),
    ...v128store(0),
    END,
    ...forLoop(L.v, [...i32(4), ...i32(0), ...wide, SELECT], get(L.cols), i32(1), [
      ...to,
      ...from,
      ...f32load(0),
      ...f32store(0),
    ]),
  ]);
}

/** Edge tiles under a gate: C[i0 + r, j0 + v] = 0 where !(G[i0 + r, j0 + v] > 0), element by element. */
function tileGate(): number[] {
  const inC = [...get(L.ct), ...get(L.r), ...get(L.ldc), MUL, ADD, ...times4(L.v), ADD];
  const inG = [
    ...get(G.gate),
    ...get(L.i0),
    ...get(L.r),
    ADD,
    ...get(G.gatePitch),
    MUL,
    ADD,
    ...get(L.j0),
    ...get(L.v),
    ADD,
    ...i32(2),
    SHL,
    ADD,
  ];
  return forLoop(L.r, i32(0), get(L.rows), i32(1), [
    ...forLoop(L.v, i32(0), get(L.cols), i32(1), [
      ...inG,
      ...f32load(0),
      ...F32CONST0,
      F32_GT,
      EQZ,
      ...IF,
      ...inC,
      ...F32CONST0,
      ...f32store(0),
      END,
    ]),
  ]);
}

/** `(param != 0 && this is the last k block) << shift`: a mode bit of the epilogues, which run on the last block. */
const onLast = (param: number, shift: number) => [
  ...get(param),
  ...i32(0),
  NE,
  ...get(L.full),
  AND,
  ...(shift ? [...i32(shift), SHL] : []),
];

function driver(): number[] {
  const code: number[] = [];
  code.push(...get(G.work), ...set(L.tile), ...get(G.work), ...i32(MR * NR * 4), ADD, ...set(L.pack));
  code.push(...get(G.n), ...i32(NR - 1), ADD, ...i32(3), SHR_U, ...set(L.panels));
  code.push(...get(G.n), ...i32(2), SHL, ...set(L.ldc));

  // src = the panel's first column in B's row pc (row-major B: its first vector).
  const panelStart = [...get(G.b), ...get(L.pc), ...get(G.bRow), MUL, ADD, ...times4(L.j0), ADD, ...set(L.src)];
  // Pack op(B)[pc : pc+kc, every column] into panels of [kc][NR].
  const pack = forLoop(L.panel, i32(0), get(L.panels), i32(1), [
    ...get(L.panel),
    ...i32(NR),
    MUL,
    ...set(L.j0),
    ...get(L.pack),
    ...get(L.panel),
    ...get(L.kc),
    MUL,
    ...i32(NR * 4),
    MUL,
    ADD,
    ...set(L.dst),
    // Row-major B, a whole panel: two vector copies per step of k.
    ...get(G.bCol),
    ...i32(4),
    EQ,
    ...get(L.j0),
    ...i32(NR),
    ADD,
    ...get(G.n),
    LE_U,
    AND,
    ...IF,
    ...panelStart,
    ...forLoop(L.kk, i32(0), get(L.kc), i32(1), [
      ...get(L.dst),
      ...get(L.src),
      ...v128load(0),
      ...v128store(0),
      ...get(L.dst),
      ...get(L.src),
      ...v128load(16),
      ...v128store(16),
      ...incr(L.dst, i32(NR * 4)),
      ...incr(L.src, get(G.bRow)),
    ]),
    ELSE,
    // The right edge of a row-major B with four columns or more left (a 100-unit layer's 13th panel): its first
    // four columns as one vector per step of k, and when they are the last ones, a zero vector for the other four.
    ...i32(0),
    ...set(L.v0),
    ...get(G.bCol),
    ...i32(4),
    EQ,
    ...get(L.j0),
    ...i32(4),
    ADD,
    ...get(G.n),
    LE_U,
    AND,
    ...IF,
    ...i32(8),
    ...i32(4),
    ...get(L.j0),
    ...i32(4),
    ADD,
    ...get(G.n),
    EQ,
    SELECT,
    ...set(L.v0),
    ...panelStart,
    ...get(L.dst),
    ...set(L.pb),
    ...forLoop(L.kk, i32(0), get(L.kc), i32(1), [
      ...get(L.pb),
      ...get(L.src),
      ...v128load(0),
      ...v128store(0),
      ...get(L.v0),
      ...i32(NR),
      EQ,
      ...IF,
      ...get(L.pb),
      ...ZERO,
      ...v128store(16),
      END,
      ...incr(L.pb, i32(NR * 4)),
      ...incr(L.src, get(G.bRow)),
    ]),
    END,
    // A transposed B, or the rest of the right edge: column by column (contiguous in k for a transposed row-major
    // matrix), zeros past n.
    ...forLoop(L.v, get(L.v0), i32(NR), i32(1), [
      ...get(L.dst),
      ...times4(L.v),
      ADD,
      ...set(L.pb),
      ...get(L.j0),
      ...get(L.v),
      ADD,
      ...get(G.n),
      LT_U,
      ...IF,
      ...get(G.b),
      ...get(L.pc),
      ...get(G.bRow),
      MUL,
      ADD,
      ...get(L.j0),
      ...get(L.v),
      ADD,
      ...get(G.bCol),
      MUL,
      ADD,
      ...set(L.src),
      ...forLoop(L.kk, i32(0), get(L.kc), i32(1), [
        ...get(L.pb),
        ...get(L.src),
        ...f32load(0),
        ...f32store(0),
        ...incr(L.src, get(G.bRow)),
        ...incr(L.pb, i32(NR * 4)),
      ]),
      ELSE,
      ...forLoop(L.kk, i32(0), get(L.kc), i32(1), [
        ...get(L.pb),
        ...F32CONST0,
        ...f32store(0),
        ...incr(L.pb, i32(NR * 4)),
      ]),
      END,
    ]),
    END,
  ]);

  // Over the panels, down the rows of A.
  const tiles = forLoop(L.panel, i32(0), get(L.panels), i32(1), [
    ...get(L.panel),
    ...i32(NR),
    MUL,
    ...set(L.j0),
    ...get(G.b),
    ...get(L.pc),
    ...get(G.bRow),
    MUL,
    ADD,
    ...times4(L.j0),
    ADD,
    ...get(L.pack),
    ...get(L.panel),
    ...get(L.kc),
    MUL,
    ...i32(NR * 4),
    MUL,
    ADD,
    ...get(G.inPlace),
    SELECT,
    ...set(L.pb),
    ...forLoop(L.i0, i32(0), get(G.m), i32(MR), [
      ...min([...get(G.m), ...get(L.i0), SUB], i32(MR)),
      ...set(L.rows),
      ...min([...get(G.n), ...get(L.j0), SUB], i32(NR)),
      ...set(L.cols),
      ...get(L.rows),
      ...i32(MR),
      EQ,
      ...get(L.cols),
      ...i32(NR),
      EQ,
      AND,
      ...set(L.full),
      ...get(G.c),
      ...get(L.i0),
      ...get(G.n),
      MUL,
      ...get(L.j0),
      ADD,
      ...i32(2),
      SHL,
      ADD,
      ...set(L.ct),
      // An edge tile is computed in the scratch tile, filled from C when an earlier k block left sums there or the
      // update reads C.
      ...get(L.full),
      EQZ,
      ...get(L.pc),
      ...get(G.rate),
      OR,
      ...i32(0),
      NE,
      AND,
      ...IF,
      ...tileCopy(true),
      END,
      // A at (i0, pc)
      ...get(G.a),
      ...get(L.i0),
      ...get(G.aRow),
      MUL,
      ADD,
      ...get(L.pc),
      ...get(G.aCol),
      MUL,
      ADD,
      ...get(G.aRow),
      ...get(G.aCol),
      ...get(L.pb),
      ...get(L.kc),
      ...get(L.ct),
      ...get(L.tile),
      ...get(L.full),
      SELECT,
      ...get(L.ldc),
      ...i32(NR * 4),
      ...get(L.full),
      SELECT,
      ...get(L.mode),
      ...get(L.gated),
      ...get(L.full),
      AND,
      ...i32(3),
      SHL,
      OR,
      ...get(G.bias),
      ...times4(L.j0),
      ADD,
      ...get(L.rows),
      ...get(G.gate),
      ...get(L.i0),
      ...get(G.gatePitch),
      MUL,
      ADD,
      ...times4(L.j0),
      ADD,
      ...get(G.gatePitch),
      // this row tile's list: list + (i0 / MR) * (k + 1) * 4 bytes, or 0
      ...get(G.list),
      ...get(L.i0),
      ...get(G.k),
      ...i32(1),
      ADD,
      MUL,
      ADD,
      ...get(G.list),
      ...i32(0),
      NE,
      MUL,
      ...get(G.rate),
      // the run of full tiles from this one down (a dense k and a whole panel), else this tile alone
      ...get(L.full),
      ...get(G.list),
      EQZ,
      AND,
      ...IF_I32,
      ...get(G.m),
      ...get(L.i0),
      SUB,
      ...i32(2),
      SHR_U,
      ELSE,
      ...i32(1),
      END,
      ...tee(L.span),
      ...get(G.bRow),
      ...i32(NR * 4),
      ...get(G.inPlace),
      SELECT,
      0x10,
      0x00, // call micro
      ...incr(L.i0, [...get(L.span), ...i32(1), SUB, ...i32(MR), MUL]),
      ...get(L.full),
      EQZ,
      ...IF,
      ...tileCopy(false),
      ...get(L.gated),
      ...IF,
      ...tileGate(),
      END,
      END,
    ]),
  ]);

  code.push(
    ...forLoop(L.pc, i32(0), get(G.k), i32(KC), [
      ...min([...get(G.k), ...get(L.pc), SUB], i32(KC)),
      ...set(L.kc),
      // mode: accumulate after the first block; bias and relu on the last one.
      ...get(L.pc),
      ...i32(0),
      NE, // bit 0
      ...get(L.pc),
      ...get(L.kc),
      ADD,
      ...get(G.k),
      EQ,
      ...set(L.full), // (full reused as "last")
      ...onLast(G.bias, 1),
      OR,
      ...onLast(G.relu, 2),
      OR,
      ...onLast(G.rate, 4),
      OR,
      ...set(L.mode),
      ...onLast(G.gate, 0),
      ...set(L.gated),
      ...get(G.inPlace),
      EQZ,
      ...IF,
      ...pack,
      END,
      ...tiles,
    ]),
  );
  code.push(END);
  const locals = vec([[...uleb(L.span - L.pc + 1), I32]]);
  return [...locals, ...code];
}

// ---- peak(iterations, out): the multiply-add rate on registers alone ------------------------------------------
/** Independent chains in `peak`: enough to cover the multiply-add latency on both pipes of a modern core. */
export const PEAK_CHAINS = 12;

/** PEAK_CHAINS independent chains of acc = acc * m + a, `iterations` times; the sums go to `out` (kept alive). */
function peak(fma: boolean): number[] {
  const [iters, out, m, a] = [0, 1, 2, 3];
  const acc = (c: number) => 4 + c;
  const f32x4 = (v: number) => [
    ...simd(0x0c),
    ...Array.from({ length: 4 }, () => [...new Uint8Array(new Float32Array([v]).buffer)]).flat(),
  ];
  const code: number[] = [...f32x4(0.9999), ...set(m), ...f32x4(1e-4), ...set(a)];
  for (let c = 0; c < PEAK_CHAINS; c++) code.push(...f32x4(c / PEAK_CHAINS), ...set(acc(c)));
  code.push(...LOOP);
  for (let c = 0; c < PEAK_CHAINS; c++) {
    if (fma) code.push(...get(acc(c)), ...get(m), ...get(a), ...RELAXED_MADD, ...set(acc(c)));
    else code.push(...get(acc(c)), ...get(m), ...FMUL, ...get(a), ...FADD, ...set(acc(c)));
  }
  code.push(...get(iters), ...i32(1), SUB, ...tee(iters), ...brIf(0), END);
  for (let c = 0; c < PEAK_CHAINS; c++) code.push(...get(out), ...get(acc(c)), ...v128store(0));
  code.push(END);
  return [...vec([[...uleb(2 + PEAK_CHAINS), V128]]), ...code];
}

/** The memory import of a shared memory (threads): flags 3 (shared, with a maximum), 0 to 65536 pages. */
const IMPORT_SHARED_MEMORY = section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x03, 0x00, ...uleb(65536)]]));

function compile(fma: boolean, shared = false): Uint8Array<ArrayBuffer> {
  const microType = [0x60, ...vec(new Array(MICRO_PARAMS + 2).fill([I32])), ...uleb(0)];
  const gemmType = [0x60, ...vec(new Array(GEMM_PARAMS).fill([I32])), ...uleb(0)];
  const peakType = [0x60, ...vec([[I32], [I32]]), ...uleb(0)];
  const bodies = [micro(fma, true), driver(), peak(fma)];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec([microType, gemmType, peakType])),
    ...(shared ? IMPORT_SHARED_MEMORY : IMPORT_MEMORY),
    ...section(3, vec([uleb(0), uleb(1), uleb(2)])),
    ...section(
      7,
      vec([
        [...str('gemm'), 0x00, 0x01],
        [...str('peak'), 0x00, 0x02],
      ]),
    ),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

const instances = new Map<string, WeakMap<WebAssembly.Memory, PackedGemmKernel>>();

/**
 * The product bound to `memory`: with relaxed-SIMD FMA when the runtime has it and `fma` is not false, else plain
 * SIMD; undefined when the runtime has no wasm SIMD at all. `shared`: `memory` is a shared memory (one per thread
 * that multiplies in it; `bench/gemm-threads.ts` measures that).
 */
export function packedGemm(
  memory: WebAssembly.Memory,
  options: { fma?: boolean; shared?: boolean } = {},
): PackedGemmKernel | undefined {
  const fma = options.fma !== false && hasRelaxedSimd();
  const key = `${fma} ${!!options.shared}`;
  let byMemory = instances.get(key);
  if (!byMemory) instances.set(key, (byMemory = new WeakMap()));
  let kernel = byMemory.get(memory);
  if (!kernel) {
    try {
      const module = new WebAssembly.Module(compile(fma, options.shared));
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
      kernel = { gemm: exports.gemm as PackedGemm, fma, peak: exports.peak as PackedGemmKernel['peak'] };
    } catch {
      return undefined;
    }
    byMemory.set(memory, kernel);
  }
  return kernel;
}

/**
 * The micro-kernel as a wasm function body (its locals first) and its parameter count, for a module that drives it
 * itself (`conv-winograd-fused.ts`: the Winograd products of a block of tiles into a scratch tile each). Its
 * parameters and modes are those documented on `micro` above.
 */
export const gemmMicroKernel = (fma: boolean) => ({ body: micro(fma), params: MICRO_PARAMS });
