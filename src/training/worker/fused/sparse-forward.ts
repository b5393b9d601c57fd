/**
 * The first Dense layer's forward product Z = X @ W (+ bias, relu) one example at a time, over that example's
 * non-zero inputs only: for X row-major [m, k] and W row-major [k, n], each row of X is first listed (every input
 * p with X[i, p] != 0, as W's row offset and the value; four inputs at a time, branch-free: a vector compare, its
 * mask choosing a swizzle that moves the non-zero ones to the front), then for each block of up to MAX_VECTORS vectors of Z's row
 * the block's accumulators take one broadcast multiply-add per listed input with W's row read in place (no packing).
 * Fashion-MNIST images are half zeros, so this does half the multiply-adds of the dense product, which cannot skip
 * a step of k unless all four images of its register tile are zero there (21% of the time, `packed-gemm.ts`).
 * Sums run over k in order, zero terms left out: the same floats as `packedGemm` with the same FMA choice (a term
 * 0 * w adds nothing), bias then relu on the registers as its epilogue does. For W that stays in L2 (each example
 * reads half of it); the caller decides (`sparseForwardFits`).
 */
import { F32, I32, HEADER, IMPORT_MEMORY, section, simd, sleb, str, uleb, V128, vec } from './wasm-emit';

/** Accumulators of a column block (vectors of four): V8 keeps them and two temporaries in the 16 SIMD registers. */
export const MAX_VECTORS = 8;

/**
 * rows(x, w, bias, z, m, n, k, relu, scratch): Z = X @ W as above; `bias` 0 for none, else a byte address of n
 * floats; `relu` 1 or 0; `scratch` a byte address of `sparseForwardScratch(m, k)` bytes; n a multiple of 4; byte addresses. Returns the
 * count of non-zero entries of X (the caller's measure of how sparse its input is).
 */
export type SparseForward = (
  x: number,
  w: number,
  bias: number,
  z: number,
  m: number,
  n: number,
  k: number,
  relu: number,
  scratch: number,
) => number;

/**
 * The density of non-zero inputs above which the dense product is faster (measured on the canonical 784 x 100
 * layer: at half zeros the sparse product takes 0.85 of its time; each non-zero input costs it one load per multiply-add).
 */
export const SPARSE_DENSITY = 0.6;

/**
 * Bytes of the scratch area for m rows of depth k: the rows' lists (and LIST_SLACK), then a cursor and an end per
 * row, then the 16 swizzles by mask.
 */
export const sparseForwardScratch = (m: number, k: number) =>
  m * k * 8 + LIST_SLACK + m * (Math.ceil(k / KB) + 1) * 4 + 16 * 16;

/** Whether `sparseForward` suits a layer: whole vectors of units, and W small enough to stay in L2 (1 MB here). */
export const sparseForwardFits = (inputs: number, units: number) => units % 4 === 0 && inputs * units * 4 <= 512 * 1024;

const get = (l: number) => [0x20, ...uleb(l)];
const set = (l: number) => [0x21, ...uleb(l)];
const tee = (l: number) => [0x22, ...uleb(l)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const [ADD, SUB, MUL, SHL, SHR_U, LT_U, GE_U, EQ, NE, EQZ, AND, DIV_U] = [
  0x6a, 0x6b, 0x6c, 0x74, 0x76, 0x49, 0x4f, 0x46, 0x47, 0x45, 0x71, 0x6e,
];
const [OR, GT_U, POPCNT] = [0x72, 0x4b, 0x69];
const [F32X4_NE, I32X4_BITMASK, SWIZZLE, I32X4_SPLAT, I32X4_ADD, I32X4_MUL] = [
  simd(0x42),
  simd(0xa4),
  simd(0x0e),
  simd(0x11),
  simd(0xae),
  simd(0xb5),
];
const v128const = (bytes: number[]) => [...simd(0x0c), ...bytes];
const i32x4 = (lanes: number[]) =>
  v128const(lanes.flatMap((v) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24]));
/** i8x16.shuffle of two vectors with these 16 lane indices (0-15 the first, 16-31 the second). */
const shuffle = (lanes: number[]) => [...simd(0x0d), ...lanes];
/** Bytes a row's list may be written past its last entry (a group of four inputs stores 32 bytes of entries). */
const LIST_SLACK = 32;
/**
 * Per mask of four non-zero lanes, the byte indices of i8x16.swizzle that move those lanes (int32s) to the front, in
 * order (the rest of the vector is don't-care).
 */
const COMPACT = Array.from({ length: 16 }, (_, mask) => {
  const lanes = [0, 1, 2, 3].filter((l) => mask & (1 << l));
  while (lanes.length < 4) lanes.push(0);
  return lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
});
const SELECT = 0x1b;
const ELSE = 0x05;
const i32load = (offset: number) => [0x28, 0x02, ...uleb(offset)];
/** Steps of k per block: KB rows of W (25 KB for 100 units) stay in L1 while every row of X passes. */
const KB = 64;
const KB_SHIFT = 6;
const F32_NE = 0x5c;
const [IF, END, BLOCK, LOOP] = [[0x04, 0x40], 0x0b, [0x02, 0x40], [0x03, 0x40]];
const brIf = (d: number) => [0x0d, ...uleb(d)];
const br = (d: number) => [0x0c, ...uleb(d)];
const call = (f: number) => [0x10, ...uleb(f)];
const I32_LOAD = [0x28, 0x02, 0x00];
const I32_STORE = [0x36, 0x02, 0x00];
const F32_LOAD = [0x2a, 0x02, 0x00];
const f32store = (offset: number) => [0x38, 0x02, ...uleb(offset)];
const v128load = (offset: number) => [...simd(0x00), 0x00, ...uleb(offset)];
const v128store = (offset: number) => [...simd(0x0b), 0x00, ...uleb(offset)];
const loadSplat = (offset: number) => [...simd(0x09), 0x02, ...uleb(offset)];
const [FADD, FMUL, FMAX, RELAXED_MADD] = [simd(0xe4), simd(0xe6), simd(0xe9), simd(0x105)];
const ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];

/**
 * block_V(list, count, w, bias, relu, z, load): V vectors of one row of Z, from `count` listed inputs at `list`
 * (pairs of W's row offset in bytes and X's value), W's block at `w`, the bias's at `bias` (0: none), Z's at `z`;
 * `load` 1: the sums start from Z (an earlier block of k), else from zero.
 */
function block(vectors: number, fma: boolean): number[] {
  const [LIST, COUNT, W, BIAS, RELU, Z, LOAD] = [0, 1, 2, 3, 4, 5, 6];
  const P = 7;
  const S = 8;
  const acc = (t: number) => 9 + t;
  const code: number[] = [];
  code.push(...get(LOAD), ...IF);
  for (let t = 0; t < vectors; t++) code.push(...get(Z), ...v128load(16 * t), ...set(acc(t)));
  code.push(ELSE);
  for (let t = 0; t < vectors; t++) code.push(...ZERO, ...set(acc(t)));
  code.push(END);
  code.push(...BLOCK, ...get(COUNT), EQZ, ...brIf(0), ...LOOP);
  code.push(...get(W), ...get(LIST), ...I32_LOAD, ADD, ...set(P));
  code.push(...get(LIST), ...loadSplat(4), ...set(S));
  for (let t = 0; t < vectors; t++) {
    if (fma) code.push(...get(S), ...get(P), ...v128load(16 * t), ...get(acc(t)), ...RELAXED_MADD, ...set(acc(t)));
    else code.push(...get(acc(t)), ...get(S), ...get(P), ...v128load(16 * t), ...FMUL, ...FADD, ...set(acc(t)));
  }
  code.push(...get(LIST), ...i32(8), ADD, ...set(LIST));
  code.push(...get(COUNT), ...i32(1), SUB, ...tee(COUNT), ...brIf(0), END, END);
  code.push(...get(BIAS), ...IF);
  for (let t = 0; t < vectors; t++)
    code.push(...get(acc(t)), ...get(BIAS), ...v128load(16 * t), ...FADD, ...set(acc(t)));
  code.push(END);
  code.push(...get(RELU), ...IF);
  for (let t = 0; t < vectors; t++) code.push(...get(acc(t)), ...ZERO, ...FMAX, ...set(acc(t)));
  code.push(END);
  for (let t = 0; t < vectors; t++) code.push(...get(Z), ...get(acc(t)), ...v128store(16 * t));
  return [
    ...vec([
      [...uleb(1), I32],
      [...uleb(1 + vectors), V128],
    ]),
    ...code,
    END,
  ];
}

/**
 * rows(...): lists every row of X (row i's list at scratch + i * k * 8; after the m lists and LIST_SLACK, per row
 * where its list starts in each block of k and where it ends; then the swizzles), then
 * per block of KB steps of k (KB rows of W, in L1) and per row, calls the block functions (function V - 1 is
 * block_V) along Z's row on the row's entries in that block of k.
 */
function driver(): number[] {
  const [X, W, BIAS, Z, M, N, K, RELU, SCRATCH] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [I, AT, XP, END_X, OFF, ROW, J, VEC, WIDTH, V, TOTAL, K0, LIMIT, LAST, CURS, P, CUR] = Array.from(
    { length: 17 },
    (_, i) => 9 + i,
  );
  const VAL = 26;
  const [MASK, TABLE] = [27, 28];
  const [STEPS, VX, SWZ, OFFS] = [29, 30, 31, 32];
  const code: number[] = [];
  // ROW = n * 4 (W's and Z's row pitch); VEC = n / 4; WIDTH = ceil(VEC / ceil(VEC / MAX_VECTORS)): even blocks.
  code.push(...get(N), ...i32(2), SHL, ...set(ROW), ...get(N), ...i32(2), SHR_U, ...set(VEC));
  code.push(...get(VEC), ...i32(MAX_VECTORS - 1), ADD, ...i32(MAX_VECTORS), DIV_U);
  code.push(...set(WIDTH), ...get(VEC), ...get(WIDTH), ADD, ...i32(1), SUB, ...get(WIDTH), DIV_U, ...set(WIDTH));
  code.push(...BLOCK, ...get(M), EQZ, ...get(K), EQZ, OR, ...brIf(0));
  // CURS = scratch + m * k * 8: per row where its list starts in each block of k, and where it ends (LIMIT bytes).
  code.push(...get(SCRATCH), ...get(M), ...get(K), MUL, ...i32(3), SHL, ADD, ...i32(LIST_SLACK), ADD, ...set(CURS));
  code.push(...get(K), ...i32(KB - 1), ADD, ...i32(KB_SHIFT), SHR_U, ...i32(1), ADD, ...i32(2), SHL, ...set(LIMIT));
  // After the cursors, the swizzles by mask (TABLE), written on every call; STEPS = W's offsets of four inputs.
  code.push(...get(CURS), ...get(M), ...get(LIMIT), MUL, ADD, ...set(TABLE));
  COMPACT.forEach((bytes, mask) => code.push(...get(TABLE), ...v128const(bytes), ...v128store(16 * mask)));
  code.push(...i32x4([0, 1, 2, 3]), ...get(ROW), ...I32X4_SPLAT, ...I32X4_MUL, ...set(STEPS));
  // The lists: every entry is written, AT moves on only past a non-zero value (-0 counts as zero).
  code.push(...get(X), ...set(XP), ...i32(0), ...set(I), ...LOOP);
  code.push(...get(SCRATCH), ...get(I), ...get(K), MUL, ...i32(3), SHL, ADD, ...set(AT), ...i32(0), ...set(OFF));
  code.push(...get(CURS), ...get(I), ...get(LIMIT), MUL, ADD, ...set(P));
  code.push(...get(XP), ...get(K), ...i32(2), SHL, ADD, ...set(END_X), ...LOOP);
  // A block of k: its start recorded, LAST where its inputs end.
  code.push(...get(P), ...get(AT), ...I32_STORE, ...get(P), ...i32(4), ADD, ...set(P));
  code.push(...get(XP), ...i32(KB * 4), ADD, ...get(END_X), ...get(XP), ...i32(KB * 4), ADD, ...get(END_X), LT_U);
  code.push(SELECT, ...set(LAST));
  // Four inputs at a time, branch-free: the non-zero ones' offsets and values moved to the front (a swizzle chosen
  // by their mask), interleaved as entries, stored (32 bytes), AT moved on past those entries only; two groups an
  // iteration while they fit in the block (2 µs less a canonical batch than one), then one.
  const interleave = (from: number) =>
    [0, 1].flatMap((e) => [0, 16].flatMap((v) => [0, 1, 2, 3].map((b) => v + 4 * (from + e) + b)));
  const group = [
    ...[...get(XP), ...v128load(0), ...tee(VX), ...ZERO, ...F32X4_NE, ...I32X4_BITMASK, ...set(MASK)],
    ...[...get(TABLE), ...get(MASK), ...i32(4), SHL, ADD, ...v128load(0), ...set(SWZ)],
    ...[...get(OFF), ...I32X4_SPLAT, ...get(STEPS), ...I32X4_ADD, ...get(SWZ), ...SWIZZLE, ...set(OFFS)],
    ...[...get(VX), ...get(SWZ), ...SWIZZLE, ...set(VX)],
    ...[...get(AT), ...get(OFFS), ...get(VX), ...shuffle(interleave(0)), ...v128store(0)],
    ...[...get(AT), ...get(OFFS), ...get(VX), ...shuffle(interleave(2)), ...v128store(16)],
    ...[...get(AT), ...get(MASK), POPCNT, ...i32(3), SHL, ADD, ...set(AT)],
    ...[...get(OFF), ...get(ROW), ...i32(2), SHL, ADD, ...set(OFF), ...get(XP), ...i32(16), ADD, ...set(XP)],
  ];
  for (const step of [32, 16]) {
    code.push(...BLOCK, ...LOOP, ...get(XP), ...i32(step), ADD, ...get(LAST), GT_U, ...brIf(1));
    for (let g = 0; g < step / 16; g++) code.push(...group);
    code.push(...br(0), END, END);
  }
  // The rest of the block (k not a multiple of 4) one input at a time: every entry written, AT moved on past non-zeros.
  code.push(...BLOCK, ...get(XP), ...get(LAST), GE_U, ...brIf(0), ...LOOP);
  code.push(...get(AT), ...get(OFF), ...I32_STORE);
  code.push(...get(AT), ...get(XP), ...F32_LOAD, ...tee(VAL), ...f32store(4));
  code.push(...get(AT), ...get(VAL), 0x43, 0, 0, 0, 0, F32_NE, ...i32(3), SHL, ADD, ...set(AT));
  code.push(...get(OFF), ...get(ROW), ADD, ...set(OFF));
  code.push(...get(XP), ...i32(4), ADD, ...tee(XP), ...get(LAST), LT_U, ...brIf(0), END, END);
  code.push(...get(XP), ...get(END_X), LT_U, ...brIf(0), END);
  code.push(...get(P), ...get(AT), ...I32_STORE);
  code.push(...get(TOTAL), ...get(AT), ...get(SCRATCH), ...get(I), ...get(K), MUL, ...i32(3), SHL, ADD, SUB);
  code.push(...i32(3), SHR_U, ADD, ...set(TOTAL));
  code.push(...get(I), ...i32(1), ADD, ...tee(I), ...get(M), NE, ...brIf(0), END);
  // Blocks of k: LAST whether it ends k.
  code.push(...i32(0), ...set(K0), ...LOOP);
  code.push(...get(K0), ...i32(KB), ADD, ...get(K), GE_U, ...set(LAST));
  code.push(...i32(0), ...set(I), ...LOOP);
  // The row's entries in this block: from CUR to AT.
  code.push(...get(CURS), ...get(I), ...get(LIMIT), MUL, ADD, ...get(K0), ...i32(KB_SHIFT - 2), SHR_U, ADD);
  code.push(...tee(P), ...I32_LOAD, ...set(CUR), ...get(P), ...i32load(4), ...set(AT));
  // The row's column blocks: J vectors done; V = min(WIDTH, VEC - J).
  code.push(...i32(0), ...set(J));
  code.push(...BLOCK, ...LOOP, ...get(J), ...get(VEC), GE_U, ...brIf(1));
  code.push(...get(WIDTH), ...get(VEC), ...get(J), SUB, ...get(WIDTH), ...get(VEC), ...get(J), SUB, LT_U);
  code.push(SELECT, ...set(V));
  for (let v = 1; v <= MAX_VECTORS; v++) {
    code.push(...get(V), ...i32(v), EQ, ...IF);
    code.push(...get(CUR), ...get(AT), ...get(CUR), SUB, ...i32(3), SHR_U, ...get(W), ...get(J), ...i32(4), SHL, ADD);
    // The bias and relu on the last block of k only.
    code.push(
      ...get(BIAS),
      ...get(J),
      ...i32(4),
      SHL,
      ADD,
      ...i32(0),
      ...get(BIAS),
      ...i32(0),
      ...get(LAST),
      SELECT,
      SELECT,
    );
    code.push(...get(RELU), ...get(LAST), AND);
    code.push(...get(Z), ...get(I), ...get(ROW), MUL, ADD, ...get(J), ...i32(4), SHL, ADD, ...get(K0), ...i32(0), NE);
    code.push(...call(v - 1), END);
  }
  code.push(...get(J), ...get(V), ADD, ...set(J), ...br(0), END, END);
  code.push(...get(I), ...i32(1), ADD, ...tee(I), ...get(M), NE, ...brIf(0), END);
  code.push(...get(K0), ...i32(KB), ADD, ...tee(K0), ...get(K), LT_U, ...brIf(0), END);
  code.push(END, ...get(TOTAL));
  return [
    ...vec([
      [...uleb(17), I32],
      [...uleb(1), F32],
      [...uleb(2), I32],
      [...uleb(4), V128],
    ]),
    ...code,
    END,
  ];
}

function compile(fma: boolean): Uint8Array<ArrayBuffer> {
  const blockType = [0x60, ...vec(new Array(7).fill([I32])), ...uleb(0)];
  const rowsType = [0x60, ...vec(new Array(9).fill([I32])), ...vec([[I32]])];
  const blocks = Array.from({ length: MAX_VECTORS }, (_, v) => block(v + 1, fma));
  const bodies = [...blocks, driver()];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec([blockType, rowsType])),
    ...IMPORT_MEMORY,
    ...section(3, vec([...blocks.map(() => uleb(0)), uleb(1)])),
    ...section(7, vec([[...str('rows'), 0x00, ...uleb(MAX_VECTORS)]])),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]);
}

const bound = new Map<boolean, WeakMap<WebAssembly.Memory, SparseForward | null>>();

/**
 * The kernel bound to `memory`, with relaxed-SIMD FMA when `fma` (the caller's product has it: the same floats),
 * or undefined where this runtime cannot compile it.
 */
export function sparseForward(memory: WebAssembly.Memory, fma: boolean): SparseForward | undefined {
  let byMemory = bound.get(fma);
  if (!byMemory) bound.set(fma, (byMemory = new WeakMap()));
  let kernel = byMemory.get(memory);
  if (kernel === undefined) {
    try {
      kernel = new WebAssembly.Instance(new WebAssembly.Module(compile(fma)), { env: { memory } }).exports
        .rows as SparseForward;
    } catch {
      kernel = null;
    }
    byMemory.set(memory, kernel);
  }
  return kernel ?? undefined;
}
