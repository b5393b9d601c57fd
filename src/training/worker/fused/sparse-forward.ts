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
import type { FusedUpdate } from './fused-optimizers';
import { emitUpdate, MAX_SCALARS, type UpdateProgram } from './update-kernels';
import {
  br,
  brIf,
  F32,
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

/**
 * Accumulators of a column block (vectors of four), kept in SIMD registers with the broadcast value and the loaded
 * vectors of W's row. V8 loads all of an entry's vectors before its first multiply-add (it schedules the pure
 * multiply-adds as late as their block allows), so a block of V vectors holds 2V + 1 values: up to 7 vectors fit in
 * the 15 registers V8 allocates; at 8 the blocks were a third slower per multiply-add (spills; Round 13, 96 units: the
 * forward product 130 µs, 97 in blocks of 6). Blocks of 8 and 9 fit with an exit after every CHUNK vectors of an
 * entry (`accumulate`, `wide`): three passes over a canonical row's entries (9, 9, 7 vectors) instead of four.
 */
export const MAX_VECTORS = 9;

/** The widest block without the exits after every CHUNK vectors (`MAX_VECTORS`): the blocks' width before Round 15. */
export const NARROW_VECTORS = 7;

/**
 * Vectors of an entry between the exits of a block wider than NARROW_VECTORS. V8 drops an exit on the same condition
 * as an earlier one (a 9-vector entry's second, after 8), so the last 5 of 9 load together: 9 + 5 + 1 = 15
 * registers. Chunks of 3 were dearer (9.1 µs a canonical step: the exit after 6 dropped, 6 loads, spills).
 */
const CHUNK = 4;

/**
 * How the column blocks' loops are generated (`accumulate`), each false as before Round 15 (docs/performance.md,
 * "Round 15, Dense"); the same multiply-adds in the same order either way, so the same floats. `unrolled`: two
 * listed entries a loop iteration. `wide`: blocks of up to MAX_VECTORS vectors, not NARROW_VECTORS.
 */
export interface BlockLoops {
  unrolled: boolean;
  wide: boolean;
  /**
   * The update module's `listed` with a row function (`rowed`): false, one call of `updateRow` an input (a row of the
   * kernel), as before Round 16; otherwise (the default) one call of `updateRows`, which loops over the rows itself
   * (the same operations in the same order, so the same floats).
   */
  looped?: boolean;
}

/** The loops every kernel is generated with unless told otherwise. */
export const BLOCK_LOOPS: BlockLoops = { unrolled: true, wide: true };

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

/** `SparseForward` of Aᵀ, A's rows `pitch` bytes apart (`sparseColumns`). */
export type SparseColumns = (...args: [...Parameters<SparseForward>, pitch: number]) => number;

/**
 * `SparseForward` that also writes, at `lists`, X's non-zero entries by input (`listedLayout`): the lists the
 * weight gradient's product over each input's examples takes (`sparseListedUpdate`), made while each row's inputs
 * are compared with zero anyway instead of by a second pass down X's columns. `pitch` is ignored.
 */
export type SparseForwardListing = (...args: [...Parameters<SparseForward>, pitch: number, lists: number]) => number;

/**
 * The lists by input that `listing` writes for X [m, k]: at `lists`, per input p the address past its last entry
 * (int32s, ceil(k / 4) * 16 bytes); after them the entries, example q's (q * n * 4, X[q, p]) as in
 * `sparseColumns`'s lists for each example where X[q, p] is not zero, in order, the j-th of input p at
 * entries + j * k * 8 + p * 8 (so that consecutive inputs' entries, written together, are neighbours), with a row to
 * spare for the slot written past the last. In bytes:
 */
export const listedBytes = (m: number, k: number) => Math.ceil(k / 4) * 16 + (m + 1) * k * 8;

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

const [ADD, SUB, MUL, SHL, SHR_U, LT_U, GE_U, EQ, NE, EQZ, AND, DIV_U] = [
  0x6a, 0x6b, 0x6c, 0x74, 0x76, 0x49, 0x4f, 0x46, 0x47, 0x45, 0x71, 0x6e,
];
const [OR, GT_U, POPCNT] = [0x72, 0x4b, 0x69];
const F32X4_SPLAT = simd(0x13);
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
const call = (f: number) => [0x10, ...uleb(f)];
const I32_LOAD = [0x28, 0x02, 0x00];
const I32_STORE = [0x36, 0x02, 0x00];
const F32_LOAD = [0x2a, 0x02, 0x00];
const f32store = (offset: number) => [0x38, 0x02, ...uleb(offset)];
const v128load = (offset: number) => [...simd(0x00), 0x00, ...uleb(offset)];
const v128store = (offset: number) => [...simd(0x0b), 0x00, ...uleb(offset)];
const loadSplat = (offset: number) => [...simd(0x09), 0x02, ...uleb(offset)];
/** v128.load32_zero at the address on the stack; v128.load32_lane(lane) of (address, vector). */
const LOAD32_ZERO = [...simd(0x5c), 0x02, 0x00];
const load32Lane = (lane: number) => [...simd(0x56), 0x02, 0x00, lane];
const [FADD, FMUL, FMAX, RELAXED_MADD] = [simd(0xe4), simd(0xe6), simd(0xe9), simd(0x105)];
const V128_AND = simd(0x4e);
/** v128.store64_lane(lane) of (address, vector). */
const store64Lane = (lane: number) => [...simd(0x5b), 0x03, 0x00, lane];

/**
 * The sums of `vectors` vectors of a row of Z over `count` listed entries 8 bytes apart (locals: the list, the
 * count, W's block, and two scratch ones, an i32 and a v128), into the accumulators `acc(t)`, in list order; with
 * `step` (code leaving an i32), the entries that many bytes apart and the count's local the list's end (the
 * address past its last entry) instead. `unrolled`: two entries an iteration, with an exit after the first (an
 * odd count ends there), the same multiply-adds in the same order (the same floats): half the loop's back edges and
 * V8's stack checks (a load, a compare and a branch at every loop header), and in the forward product's 7-vector
 * blocks no count spilled to the stack and reloaded each entry. The exit also makes V8 finish the first entry's
 * multiply-adds before the second's loads; without it (two entries an iteration, one exit at the end) it loads both
 * entries' vectors first and spills (docs/performance.md, "Round 14, Dense", tried (2)).
 */
function accumulate(
  vectors: number,
  fma: boolean,
  [LIST, COUNT, W, P, S]: number[],
  acc: (t: number) => number,
  step?: number[],
  unrolled = true,
): number[] {
  const code: number[] = [];
  const entry = () => {
    code.push(...get(W), ...get(LIST), ...I32_LOAD, ADD, ...set(P));
    code.push(...get(LIST), ...loadSplat(4), ...set(S));
    for (let t = 0; t < vectors; t++) {
      if (fma) code.push(...get(S), ...get(P), ...v128load(16 * t), ...get(acc(t)), ...RELAXED_MADD, ...set(acc(t)));
      else code.push(...get(acc(t)), ...get(S), ...get(P), ...v128load(16 * t), ...FMUL, ...FADD, ...set(acc(t)));
      // In a block wider than NARROW_VECTORS, after every CHUNK vectors an exit never taken (P is W plus the entry's
      // offset, not below W) through which the sums so far leave the loop: V8 then finishes those multiply-adds
      // before it loads the next vectors, and the block's registers hold its accumulators, CHUNK vectors and the value.
      if (vectors > NARROW_VECTORS && (t + 1) % CHUNK === 0 && t + 1 < vectors)
        code.push(...get(P), ...get(W), LT_U, ...brIf(1));
    }
  };
  /** The list moved on to the next entry, leaving whether entries are left (an i32). */
  const next = step
    ? [...get(LIST), ...step, ADD, ...tee(LIST), ...get(COUNT), NE]
    : [...get(LIST), ...i32(8), ADD, ...set(LIST), ...get(COUNT), ...i32(1), SUB, ...tee(COUNT)];
  if (step) code.push(...BLOCK, ...get(LIST), ...get(COUNT), EQ, ...brIf(0), ...LOOP);
  else code.push(...BLOCK, ...get(COUNT), EQZ, ...brIf(0), ...LOOP);
  entry();
  if (unrolled) {
    code.push(...next, EQZ, ...brIf(1));
    entry();
  }
  code.push(...next, ...brIf(0), END, END);
  return code;
}

/**
 * The body of block_V on its locals (list, count, w, bias, relu, z, load, and two scratch ones): the sums from Z or
 * zero, the listed inputs' terms, the bias, relu, Z stored. `block` runs it once, `blockRow` once a column block.
 */
function blockCode(
  vectors: number,
  fma: boolean,
  [LIST, COUNT, W, BIAS, RELU, Z, LOAD, P, S]: number[],
  acc: (t: number) => number,
  unrolled: boolean,
): number[] {
  const code: number[] = [];
  code.push(...get(LOAD), ...IF);
  for (let t = 0; t < vectors; t++) code.push(...get(Z), ...v128load(16 * t), ...set(acc(t)));
  code.push(ELSE);
  for (let t = 0; t < vectors; t++) code.push(...ZERO, ...set(acc(t)));
  code.push(END);
  code.push(...accumulate(vectors, fma, [LIST, COUNT, W, P, S], acc, undefined, unrolled));
  code.push(...get(BIAS), ...IF);
  for (let t = 0; t < vectors; t++)
    code.push(...get(acc(t)), ...get(BIAS), ...v128load(16 * t), ...FADD, ...set(acc(t)));
  code.push(END);
  code.push(...get(RELU), ...IF);
  for (let t = 0; t < vectors; t++) code.push(...get(acc(t)), ...ZERO, ...FMAX, ...set(acc(t)));
  code.push(END);
  for (let t = 0; t < vectors; t++) code.push(...get(Z), ...get(acc(t)), ...v128store(16 * t));
  return code;
}

/**
 * block_V(list, count, w, bias, relu, z, load): V vectors of one row of Z, from `count` listed inputs at `list`
 * (pairs of W's row offset in bytes and X's value), W's block at `w`, the bias's at `bias` (0: none), Z's at `z`;
 * `load` 1: the sums start from Z (an earlier block of k), else from zero.
 */
function block(vectors: number, fma: boolean, unrolled: boolean): number[] {
  const [LIST, COUNT, W, BIAS, RELU, Z, LOAD] = [0, 1, 2, 3, 4, 5, 6];
  const P = 7;
  const S = 8;
  const acc = (t: number) => 9 + t;
  const code = blockCode(vectors, fma, [LIST, COUNT, W, BIAS, RELU, Z, LOAD, P, S], acc, unrolled);
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
 * row(list, count, w, bias, relu, z, load): block_V of each column block of `widths` vectors of one row of Z, one
 * after another in one function (w, bias and z moved on by the blocks before, the list read again from its start):
 * the same floats as one block_V call a block, in one call a row.
 */
function blockRow(widths: number[], fma: boolean, unrolled: boolean): number[] {
  const [LIST, COUNT, W, BIAS, RELU, Z, LOAD] = [0, 1, 2, 3, 4, 5, 6];
  const [P, WJ, BJ, ZJ, L0, C0] = [7, 8, 9, 10, 11, 12];
  const S = 13;
  const acc = (t: number) => 14 + t;
  const code: number[] = [...get(LIST), ...set(L0), ...get(COUNT), ...set(C0)];
  let J = 0;
  for (const vectors of widths) {
    code.push(...get(L0), ...set(LIST), ...get(C0), ...set(COUNT));
    code.push(...get(W), ...i32(16 * J), ADD, ...set(WJ), ...get(Z), ...i32(16 * J), ADD, ...set(ZJ));
    code.push(...get(BIAS), ...i32(16 * J), ADD, ...i32(0), ...get(BIAS), SELECT, ...set(BJ));
    code.push(...blockCode(vectors, fma, [LIST, COUNT, WJ, BJ, RELU, ZJ, LOAD, P, S], acc, unrolled));
    J += vectors;
  }
  return [
    ...vec([
      [...uleb(6), I32],
      [...uleb(1 + Math.max(...widths)), V128],
    ]),
    ...code,
    END,
  ];
}

/**
 * The v128 locals of an optimizer's program (`emitUpdate`): its scalars k_* at `scalar(i)`, its other names each a
 * local from S + `first` on, the same local for a name each time; `count` the v128 locals in all.
 */
function programLocals(program: UpdateProgram, scalar: (i: number) => number, S: number, first: number) {
  const named = new Map<string, number>();
  const locals = {
    count: first,
    local: (name: string) => {
      if (name.startsWith('k_')) return scalar(program.scalars.indexOf(name.slice(2)));
      if (!named.has(name)) named.set(name, S + locals.count++);
      return named.get(name)!;
    },
  };
  return locals;
}

/**
 * The body of update_V on its locals (list, end, w, and two scratch ones, c, d0, d1, d2, step): a row's gradient
 * from the listed inputs, then the optimizer's program on each vector. `updateBlock` runs it once, `updateRow` once
 * a column block.
 */
function updateCode(
  vectors: number,
  fma: boolean,
  program: UpdateProgram,
  [LIST, END_, W, P, S, C, D0, D1, D2, STEP]: number[],
  acc: (t: number) => number,
  local: (name: string) => number,
  unrolled: boolean,
): number[] {
  const code: number[] = [];
  for (let t = 0; t < vectors; t++) code.push(...ZERO, ...set(acc(t)));
  code.push(...accumulate(vectors, fma, [LIST, END_, W, P, S], acc, get(STEP), unrolled));
  const address = (name: string) =>
    name === 'w' || name === 'out'
      ? get(C)
      : [...get(C), ...get({ s0: D0, s1: D1, s2: D2 }[name as 's0' | 's1' | 's2']), ADD];
  for (let t = 0; t < vectors; t++)
    code.push(
      ...emitUpdate(program, {
        load: (name) => (name === 'g' ? get(acc(t)) : [...address(name), ...v128load(16 * t)]),
        store: (name, from) => [...address(name), ...get(from), ...v128store(16 * t)],
        local,
      }),
    );
  return code;
}

/**
 * update_V(list, end, w, c, d0, d1, d2, step, k0 … k7): V vectors of a gradient's row from the listed inputs `step`
 * bytes apart from `list` to `end` as in block_V (from zero: one block of k), then, instead of storing them, the optimizer's
 * program (`emitUpdate`) on them with the weight's vectors at `c` (read, and written as `out`) and its slots at
 * c + d0, c + d1, c + d2: the same f32x4 operations as the optimizer's SIMD loop, so the same floats, without the
 * gradient stored and read back.
 */
function updateBlock(vectors: number, fma: boolean, program: UpdateProgram, unrolled: boolean): number[] {
  const [LIST, END_, W, C, D0, D1, D2, STEP] = [0, 1, 2, 3, 4, 5, 6, 7];
  const scalar = (i: number) => 8 + i;
  const P = 8 + MAX_SCALARS;
  const S = P + 1;
  const acc = (t: number) => S + 1 + t;
  const locals = programLocals(program, scalar, S, 1 + vectors);
  const args = [LIST, END_, W, P, S, C, D0, D1, D2, STEP];
  const code = updateCode(vectors, fma, program, args, acc, locals.local, unrolled);
  return [
    ...vec([
      [...uleb(1), I32],
      [...uleb(locals.count), V128],
    ]),
    ...code,
    END,
  ];
}

/**
 * A kernel row's update_V of each column block of `widths` vectors, one after another (`updateRow`, `updateRows`):
 * block J's list from the row's start L0, its w and c moved on by the blocks before it (WJ, CJ).
 */
function rowUpdateCode(
  widths: number[],
  fma: boolean,
  program: UpdateProgram,
  unrolled: boolean,
  [L0, LIST, END_, W, C, P, WJ, CJ, S, D0, D1, D2, STEP]: number[],
  acc: (t: number) => number,
  local: (name: string) => number,
): number[] {
  const code: number[] = [];
  let J = 0;
  for (const vectors of widths) {
    code.push(...get(L0), ...set(LIST), ...get(W), ...i32(16 * J), ADD, ...set(WJ));
    code.push(...get(C), ...i32(16 * J), ADD, ...set(CJ));
    const args = [LIST, END_, WJ, P, S, CJ, D0, D1, D2, STEP];
    code.push(...updateCode(vectors, fma, program, args, acc, local, unrolled));
    J += vectors;
  }
  return code;
}

/**
 * row(list, end, w, c, d0, d1, d2, step, k0 … k7): update_V of each column block of `widths` vectors of one row of
 * the kernel, one after another in one function (each block's w and c moved on by the blocks before it, the list
 * read again from its start): the same operations in the same order as one update_V call a block, so the same
 * floats, in one call a row instead of one a block (784 calls a canonical step instead of 3,136: 9.7-10.5 µs a step
 * less, docs/performance.md, "Round 14, Dense").
 */
function updateRow(widths: number[], fma: boolean, program: UpdateProgram, unrolled: boolean): number[] {
  const [LIST, END_, W, C, D0, D1, D2, STEP] = [0, 1, 2, 3, 4, 5, 6, 7];
  const scalar = (i: number) => 8 + i;
  const [P, WJ, CJ, L0] = [8 + MAX_SCALARS, 9 + MAX_SCALARS, 10 + MAX_SCALARS, 11 + MAX_SCALARS];
  const S = L0 + 1;
  const acc = (t: number) => S + 1 + t;
  const widest = Math.max(...widths);
  const locals = programLocals(program, scalar, S, 1 + widest);
  const code: number[] = [...get(LIST), ...set(L0)];
  code.push(
    ...rowUpdateCode(
      widths,
      fma,
      program,
      unrolled,
      [L0, LIST, END_, W, C, P, WJ, CJ, S, D0, D1, D2, STEP],
      acc,
      locals.local,
    ),
  );
  return [
    ...vec([
      [...uleb(4), I32],
      [...uleb(locals.count), V128],
    ]),
    ...code,
    END,
  ];
}

/**
 * rows(lists, entries, count, w, c, row, d0, d1, d2, step, k0 … k7): `updateRow` of each of `count` rows of the
 * kernel (`row` bytes apart from `c`) in one call, row i's entries from entries + i * 8 to the end at lists + i * 4
 * (`listedLayout`), `step` bytes apart: the same operations in the same order as one `updateRow` call a row, so the
 * same floats, without a call, its arguments and its spills at entry per row (the scalars' splats, made once a
 * driver call, stay in this function's parameters for all its rows).
 */
function updateRows(widths: number[], fma: boolean, program: UpdateProgram, unrolled: boolean): number[] {
  const [LISTS, ENTRIES, COUNT, W, C, ROW, D0, D1, D2, STEP] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const scalar = (i: number) => 10 + i;
  const base = 10 + MAX_SCALARS;
  const [LIST, END_, P, WJ, CJ, L0, CI, I] = Array.from({ length: 8 }, (_, i) => base + i);
  const S = base + 8;
  const acc = (t: number) => S + 1 + t;
  const widest = Math.max(...widths);
  const locals = programLocals(program, scalar, S, 1 + widest);
  const code: number[] = [...BLOCK, ...get(COUNT), EQZ, ...brIf(0), ...i32(0), ...set(I), ...LOOP];
  // Row I: its entries from ENTRIES + I * 8 to its end (at LISTS + I * 4), the kernel's row at C + I * ROW.
  code.push(...get(ENTRIES), ...get(I), ...i32(3), SHL, ADD, ...set(L0));
  code.push(...get(LISTS), ...get(I), ...i32(2), SHL, ADD, ...I32_LOAD, ...set(END_));
  code.push(...get(C), ...get(I), ...get(ROW), MUL, ADD, ...set(CI));
  code.push(
    ...rowUpdateCode(
      widths,
      fma,
      program,
      unrolled,
      [L0, LIST, END_, W, CI, P, WJ, CJ, S, D0, D1, D2, STEP],
      acc,
      locals.local,
    ),
  );
  code.push(...get(I), ...i32(1), ADD, ...tee(I), ...get(COUNT), NE, ...brIf(0), END, END);
  return [
    ...vec([
      [...uleb(8), I32],
      [...uleb(locals.count), V128],
    ]),
    ...code,
    END,
  ];
}

/** A row of n units' column blocks, as `columnBlocks` and `nextBlock` make them. */
const rowWidths = (n: number, widest: number) => {
  const vecs = n / 4;
  const width = Math.ceil(vecs / Math.ceil(vecs / widest));
  const out: number[] = [];
  for (let j = 0; j < vecs; j += width) out.push(Math.min(width, vecs - j));
  return out;
};

/** Parameters of the update driver: rows' ten, the slots' three distances and MAX_SCALARS scalars. */
const UPDATE_PARAMS = 13 + MAX_SCALARS;

/**
 * ROW = n * 4 (W's and Z's row pitch); VEC = n / 4; WIDTH = ceil(VEC / ceil(VEC / widest)): a row's vectors in
 * even column blocks of at most `widest`.
 */
const columnBlocks = (N: number, [ROW, VEC, WIDTH]: number[], widest: number) => [
  ...[...get(N), ...i32(2), SHL, ...set(ROW), ...get(N), ...i32(2), SHR_U, ...set(VEC)],
  ...[...get(VEC), ...i32(widest - 1), ADD, ...i32(widest), DIV_U],
  ...[...set(WIDTH), ...get(VEC), ...get(WIDTH), ADD, ...i32(1), SUB, ...get(WIDTH), DIV_U, ...set(WIDTH)],
];

/** V = min(WIDTH, VEC - J): the vectors of the column block after the J done. */
const nextBlock = ([WIDTH, VEC, J, V]: number[]) => [
  ...[...get(WIDTH), ...get(VEC), ...get(J), SUB, ...get(WIDTH), ...get(VEC), ...get(J), SUB, LT_U],
  ...[SELECT, ...set(V)],
];

/** The address of `listedBytes`' entries at `lists` for `inputs` inputs: past their ends, ceil(inputs / 4) * 16 bytes. */
const listedEntries = (LISTS: number, INPUTS: number) => [
  ...get(LISTS),
  ...get(INPUTS),
  ...[...i32(3), ADD, ...i32(2), SHR_U, ...i32(4), SHL, ADD],
];

/**
 * rows(...) and columns(..., pitch): list every row of X (row i's list at scratch + i * k * 8; after the m lists and
 * LIST_SLACK, per row where its list starts in each block of k and where it ends; then the swizzles), then per block
 * of KB steps of k (KB rows of W, in L1) and per row, call the block functions (function V - 1 is block_V) along Z's
 * row on the row's entries in that block of k. `columns` (`strided`): X is Aᵀ for A row-major with rows `pitch`
 * bytes apart (X[i, p] = A[p, i], at x + 4i + p * pitch), its four inputs gathered lane by lane.
 */
function driver(strided: boolean, widest: number, update = false, listing = false, rowFunction?: number): number[] {
  const [X, W, BIAS, Z, M, N, K, RELU, SCRATCH, PITCH] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  // With `update`: the slots' distances from the weight in bytes, then the program's scalars (f32).
  const [D0, D1, D2] = [10, 11, 12];
  const scalar = (i: number) => 13 + i;
  // With `listing` (rows only): where the lists by input go (`listedLayout`).
  const COLS = 10;
  const base = update ? UPDATE_PARAMS : listing ? 11 : 10;
  const [I, AT, XP, END_X, OFF, ROW, J, VEC, WIDTH, V, TOTAL, K0, LIMIT, LAST, CURS, P, CUR] = Array.from(
    { length: 17 },
    (_, i) => base + i,
  );
  const VAL = base + 17;
  const [MASK, TABLE] = [base + 18, base + 19];
  const [STEPS, VX, SWZ, OFFS] = [base + 20, base + 21, base + 22, base + 23];
  // XSTEP: bytes from one input of a row of X to the next; XROW: from one row to the next; XA: a gather's address.
  const [XSTEP, XROW, XA] = [base + 24, base + 25, base + 26];
  // The scalars' splats (update).
  const splat = (i: number) => base + 27 + i;
  // Listing: JD from a row's inputs to their cursors (COLS - the row's start), SLOT a cursor's address, PJ the
  // bytes between an input's entries, E where the entries start, QOFF this example's entry offset (its row of dZ),
  // TMP; QV its splat, PBV inputs' first entries, NEV four inputs' non-zero lanes, JV their cursors, PJV PJ's
  // splat, E01 and E23 their entries.
  const [JD, SLOT, PJ, E, QOFF, TMP] = Array.from({ length: 6 }, (_, i) => base + 27 + i);
  const [QV, PBV, NEV, JV, PJV, E01, E23] = Array.from({ length: 7 }, (_, i) => base + 33 + i);
  const code: number[] = [];
  if (listing) {
    // PJ = k * 8; E = COLS + ceil(k / 4) * 16; input p's cursor at its first entry, E + p * 8.
    code.push(...get(K), ...i32(3), SHL, ...tee(PJ), ...I32X4_SPLAT, ...set(PJV));
    code.push(...listedEntries(COLS, K), ...set(E));
    code.push(...get(E), ...I32X4_SPLAT, ...i32x4([0, 8, 16, 24]), ...I32X4_ADD, ...set(PBV));
    code.push(...get(COLS), ...set(SLOT), ...BLOCK, ...LOOP, ...get(SLOT), ...get(E), GE_U, ...brIf(1));
    code.push(...get(SLOT), ...get(PBV), ...v128store(0), ...get(PBV), ...i32x4([32, 32, 32, 32]), ...I32X4_ADD);
    code.push(...set(PBV), ...get(SLOT), ...i32(16), ADD, ...set(SLOT), ...br(0), END, END);
  }
  if (update) for (let i = 0; i < MAX_SCALARS; i++) code.push(...get(scalar(i)), ...F32X4_SPLAT, ...set(splat(i)));
  if (strided) code.push(...get(PITCH), ...set(XSTEP), ...i32(4), ...set(XROW));
  else code.push(...i32(4), ...set(XSTEP), ...get(K), ...i32(2), SHL, ...set(XROW));
  /** XP + inputs * XSTEP */
  const ahead = (inputs: number) => [...get(XP), ...get(XSTEP), ...i32(inputs), MUL, ADD];
  code.push(...columnBlocks(N, [ROW, VEC, WIDTH], widest));
  code.push(...BLOCK, ...get(M), EQZ, ...get(K), EQZ, OR, ...brIf(0));
  // CURS = scratch + m * k * 8: per row where its list starts in each block of k, and where it ends (LIMIT bytes).
  code.push(...get(SCRATCH), ...get(M), ...get(K), MUL, ...i32(3), SHL, ADD, ...i32(LIST_SLACK), ADD, ...set(CURS));
  code.push(...get(K), ...i32(KB - 1), ADD, ...i32(KB_SHIFT), SHR_U, ...i32(1), ADD, ...i32(2), SHL, ...set(LIMIT));
  // After the cursors, the swizzles by mask (TABLE), written on every call; STEPS = W's offsets of four inputs.
  code.push(...get(CURS), ...get(M), ...get(LIMIT), MUL, ADD, ...set(TABLE));
  COMPACT.forEach((bytes, mask) => code.push(...get(TABLE), ...v128const(bytes), ...v128store(16 * mask)));
  code.push(...i32x4([0, 1, 2, 3]), ...get(ROW), ...I32X4_SPLAT, ...I32X4_MUL, ...set(STEPS));
  // The lists: every entry is written, AT moves on only past a non-zero value (-0 counts as zero).
  code.push(...i32(0), ...set(I), ...LOOP);
  code.push(...get(X), ...get(I), ...get(XROW), MUL, ADD, ...set(XP));
  if (listing) {
    code.push(...get(COLS), ...get(XP), SUB, ...set(JD));
    code.push(...get(I), ...get(ROW), MUL, ...tee(QOFF), ...I32X4_SPLAT, ...set(QV));
  }
  code.push(...get(SCRATCH), ...get(I), ...get(K), MUL, ...i32(3), SHL, ADD, ...set(AT), ...i32(0), ...set(OFF));
  code.push(...get(CURS), ...get(I), ...get(LIMIT), MUL, ADD, ...set(P));
  code.push(...get(XP), ...get(K), ...get(XSTEP), MUL, ADD, ...set(END_X), ...LOOP);
  // A block of k: its start recorded, LAST where its inputs end.
  code.push(...get(P), ...get(AT), ...I32_STORE, ...get(P), ...i32(4), ADD, ...set(P));
  code.push(...ahead(KB), ...get(END_X), ...ahead(KB), ...get(END_X), LT_U);
  code.push(SELECT, ...set(LAST));
  // Four inputs: one vector load of a row, or (strided) four lanes gathered down A's column.
  const load = strided
    ? [
        ...[...get(XP), ...tee(XA), ...LOAD32_ZERO],
        ...[1, 2, 3].flatMap((lane) => [
          ...set(VX),
          ...[...get(XA), ...get(XSTEP), ADD, ...tee(XA), ...get(VX), ...load32Lane(lane)],
        ]),
      ]
    : [...get(XP), ...v128load(0)];
  // Four inputs at a time, branch-free: the non-zero ones' offsets and values moved to the front (a swizzle chosen
  // by their mask), interleaved as entries, stored (32 bytes), AT moved on past those entries only; two groups an
  // iteration while they fit in the block (2 µs less a canonical batch than one), then one.
  const interleave = (from: number) =>
    [0, 1].flatMap((e) => [0, 16].flatMap((v) => [0, 1, 2, 3].map((b) => v + 4 * (from + e) + b)));
  // Listing: each of the four inputs' entry (this example's offset, its value) stored at its cursor (whether the
  // value is zero or not), the cursors of the non-zero ones moved on to their next entries.
  const entries = (lanes: number[]) => shuffle([0, 1, 2, 3, ...lanes.slice(0, 4), 0, 1, 2, 3, ...lanes.slice(4)]);
  const scatter = listing
    ? [
        ...[...get(XP), ...get(JD), ADD, ...tee(SLOT), ...v128load(0), ...set(JV)],
        ...[...get(QV), ...get(VX), ...entries([16, 17, 18, 19, 20, 21, 22, 23]), ...set(E01)],
        ...[...get(QV), ...get(VX), ...entries([24, 25, 26, 27, 28, 29, 30, 31]), ...set(E23)],
        ...[0, 1, 2, 3].flatMap((l) => [
          ...get(SLOT),
          ...i32load(4 * l),
          ...get(l < 2 ? E01 : E23),
          ...store64Lane(l & 1),
        ]),
        ...[...get(SLOT), ...get(JV), ...get(NEV), ...get(PJV), ...V128_AND, ...I32X4_ADD, ...v128store(0)],
      ]
    : [];
  const group = [
    ...[...load, ...tee(VX), ...ZERO, ...F32X4_NE, ...(listing ? tee(NEV) : []), ...I32X4_BITMASK, ...set(MASK)],
    ...scatter,
    ...[...get(TABLE), ...get(MASK), ...i32(4), SHL, ADD, ...v128load(0), ...set(SWZ)],
    ...[...get(OFF), ...I32X4_SPLAT, ...get(STEPS), ...I32X4_ADD, ...get(SWZ), ...SWIZZLE, ...set(OFFS)],
    ...[...get(VX), ...get(SWZ), ...SWIZZLE, ...set(VX)],
    ...[...get(AT), ...get(OFFS), ...get(VX), ...shuffle(interleave(0)), ...v128store(0)],
    ...[...get(AT), ...get(OFFS), ...get(VX), ...shuffle(interleave(2)), ...v128store(16)],
    ...[...get(AT), ...get(MASK), POPCNT, ...i32(3), SHL, ADD, ...set(AT)],
    ...[...get(OFF), ...get(ROW), ...i32(2), SHL, ADD, ...set(OFF), ...ahead(4), ...set(XP)],
  ];
  for (const step of [8, 4]) {
    code.push(...BLOCK, ...LOOP, ...ahead(step), ...get(LAST), GT_U, ...brIf(1));
    for (let g = 0; g < step / 4; g++) code.push(...group);
    code.push(...br(0), END, END);
  }
  // The rest of the block (k not a multiple of 4) one input at a time: every entry written, AT moved on past non-zeros.
  code.push(...BLOCK, ...get(XP), ...get(LAST), GE_U, ...brIf(0), ...LOOP);
  code.push(...get(AT), ...get(OFF), ...I32_STORE);
  code.push(...get(AT), ...get(XP), ...F32_LOAD, ...tee(VAL), ...f32store(4));
  code.push(...get(AT), ...get(VAL), 0x43, 0, 0, 0, 0, F32_NE, ...i32(3), SHL, ADD, ...set(AT));
  if (listing) {
    // The input's entry at its cursor (at SLOT = COLS + p * 4), the cursor moved on past a non-zero value.
    code.push(...get(XP), ...get(JD), ADD, ...tee(SLOT), ...I32_LOAD, ...tee(TMP), ...get(QOFF), ...I32_STORE);
    code.push(...get(TMP), ...get(VAL), ...f32store(4));
    code.push(...get(SLOT), ...get(TMP), ...get(PJ), ...get(VAL), 0x43, 0, 0, 0, 0, F32_NE, MUL, ADD, ...I32_STORE);
  }
  code.push(...get(OFF), ...get(ROW), ADD, ...set(OFF));
  code.push(...ahead(1), ...tee(XP), ...get(LAST), LT_U, ...brIf(0), END, END);
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
  if (rowFunction !== undefined && update) {
    // The row's column blocks in one call (`updateRow`): its entries, dZ, the weights' row, the slots' distances,
    // the entries' pitch and the scalars.
    code.push(...get(CUR), ...get(AT), ...get(W), ...get(Z), ...get(I), ...get(ROW), MUL, ADD);
    code.push(...get(D0), ...get(D1), ...get(D2), ...i32(8));
    for (let i = 0; i < MAX_SCALARS; i++) code.push(...get(splat(i)));
    code.push(...call(rowFunction));
  } else if (rowFunction !== undefined) {
    // The row's column blocks in one call (`blockRow`): the bias and relu on the last block of k only.
    code.push(...get(CUR), ...get(AT), ...get(CUR), SUB, ...i32(3), SHR_U, ...get(W));
    code.push(...get(BIAS), ...i32(0), ...get(LAST), SELECT, ...get(RELU), ...get(LAST), AND);
    code.push(...get(Z), ...get(I), ...get(ROW), MUL, ADD, ...get(K0), ...i32(0), NE, ...call(rowFunction));
  }
  // The row's column blocks: J vectors done; V = min(WIDTH, VEC - J).
  if (rowFunction === undefined) {
    code.push(...i32(0), ...set(J));
    code.push(...BLOCK, ...LOOP, ...get(J), ...get(VEC), GE_U, ...brIf(1));
    code.push(...nextBlock([WIDTH, VEC, J, V]));
    for (let v = 1; v <= widest; v++) {
      code.push(...get(V), ...i32(v), EQ, ...IF);
      code.push(...get(CUR), ...(update ? get(AT) : [...get(AT), ...get(CUR), SUB, ...i32(3), SHR_U]));
      code.push(...get(W), ...get(J), ...i32(4), SHL, ADD);
      if (update) {
        // The weight's vectors (Z is the weight), the slots' distances and the scalars: one k block (k <= KB).
        code.push(...get(Z), ...get(I), ...get(ROW), MUL, ADD, ...get(J), ...i32(4), SHL, ADD);
        code.push(...get(D0), ...get(D1), ...get(D2), ...i32(8));
        for (let i = 0; i < MAX_SCALARS; i++) code.push(...get(splat(i)));
        code.push(...call(v - 1), END);
        continue;
      }
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
  }
  code.push(...get(I), ...i32(1), ADD, ...tee(I), ...get(M), NE, ...brIf(0), END);
  code.push(...get(K0), ...i32(KB), ADD, ...tee(K0), ...get(K), LT_U, ...brIf(0), END);
  code.push(END, ...get(TOTAL));
  return [
    ...vec([
      [...uleb(17), I32],
      [...uleb(1), F32],
      [...uleb(2), I32],
      [...uleb(4), V128],
      [...uleb(3), I32],
      ...(update ? [[...uleb(MAX_SCALARS), V128]] : []),
      ...(listing
        ? [
            [...uleb(6), I32],
            [...uleb(7), V128],
          ]
        : []),
    ]),
    ...code,
    END,
  ];
}

/**
 * listed(x, dz, 0, c, m, n, k, 0, lists, 0, d0, d1, d2, k0 … k7): `update`'s product and update from lists by input
 * that `listing` wrote (`listedLayout`, for m inputs) instead of listing every input's examples itself: per input
 * (row of the kernel c) and column block, update_V on its entries, PJ bytes apart. Returns 0. With `rowFunction`
 * (`rowed`): per input one call of that function (`updateRow`), which runs all the row's column blocks; with
 * `rowsFunction` instead one call of that one (`updateRows`) for all the inputs.
 */
function listedDriver(widest: number, rowFunction?: number, rowsFunction?: number): number[] {
  const [W, Z, M, N, LISTS, D0, D1, D2] = [1, 3, 4, 5, 8, 10, 11, 12];
  const scalar = (i: number) => 13 + i;
  const base = UPDATE_PARAMS;
  const [I, ROW, VEC, WIDTH, J, V, PJ, E] = Array.from({ length: 8 }, (_, i) => base + i);
  const splat = (i: number) => base + 8 + i;
  const driverLocals = vec([
    [...uleb(8), I32],
    [...uleb(MAX_SCALARS), V128],
  ]);
  const code: number[] = [];
  for (let i = 0; i < MAX_SCALARS; i++) code.push(...get(scalar(i)), ...F32X4_SPLAT, ...set(splat(i)));
  code.push(...columnBlocks(N, [ROW, VEC, WIDTH], widest));
  code.push(...get(M), ...i32(3), SHL, ...set(PJ), ...listedEntries(LISTS, M), ...set(E));
  if (rowsFunction !== undefined) {
    // One call for all the rows (`updateRows`): the lists' ends and entries, their count, dZ, the kernel, its pitch,
    // the slots' distances, the step and the scalars.
    code.push(...get(LISTS), ...get(E), ...get(M), ...get(W), ...get(Z), ...get(ROW));
    code.push(...get(D0), ...get(D1), ...get(D2), ...get(PJ));
    for (let i = 0; i < MAX_SCALARS; i++) code.push(...get(splat(i)));
    code.push(...call(rowsFunction), ...i32(0));
    return [...driverLocals, ...code, END];
  }
  code.push(...BLOCK, ...get(M), EQZ, ...brIf(0), ...i32(0), ...set(I), ...LOOP);
  // A call's arguments: input I's entries (from E + I * 8 to its cursor, at LISTS + I * 4), the kernel's and dZ's
  // addresses (`w`, `z`), the slots' distances, the step and the scalars.
  const args = (w: number[], z: number[]) => {
    const a = [...get(E), ...get(I), ...i32(3), SHL, ADD, ...get(LISTS), ...get(I), ...i32(2), SHL, ADD, ...I32_LOAD];
    a.push(...w, ...z, ...get(D0), ...get(D1), ...get(D2), ...get(PJ));
    for (let i = 0; i < MAX_SCALARS; i++) a.push(...get(splat(i)));
    return a;
  };
  const dz = [...get(Z), ...get(I), ...get(ROW), MUL, ADD];
  if (rowFunction !== undefined) {
    // One call a row: the kernel's row and dZ's at their starts.
    code.push(...args(get(W), dz), ...call(rowFunction));
  } else {
    code.push(...i32(0), ...set(J), ...BLOCK, ...LOOP, ...get(J), ...get(VEC), GE_U, ...brIf(1));
    code.push(...nextBlock([WIDTH, VEC, J, V]));
    const block = [...get(J), ...i32(4), SHL, ADD];
    for (let v = 1; v <= widest; v++)
      code.push(
        ...get(V),
        ...i32(v),
        EQ,
        ...IF,
        ...args([...get(W), ...block], [...dz, ...block]),
        ...call(v - 1),
        END,
      );
    code.push(...get(J), ...get(V), ADD, ...set(J), ...br(0), END, END);
  }
  code.push(...get(I), ...i32(1), ADD, ...tee(I), ...get(M), NE, ...brIf(0), END, END, ...i32(0));
  return [...driverLocals, ...code, END];
}

/**
 * The module: block_1 … block_W, rows, columns and listing; or, for an optimizer's program, only what `update` and
 * `listed` need (update_1 … update_W and their drivers: less to generate and compile), and with `units` (a multiple
 * of 4) the row function of that width (`updateRow`) and its driver `rowed`, and for `listed` the function that
 * loops over the rows (`updateRows`) unless `loops.looped` is false; W MAX_VECTORS, or NARROW_VECTORS unless
 * `loops.wide`.
 */
function compile(fma: boolean, program?: UpdateProgram, units = 0, loops = BLOCK_LOOPS): Uint8Array<ArrayBuffer> {
  const { unrolled } = loops;
  const widest = loops.wide ? MAX_VECTORS : NARROW_VECTORS;
  const blockType = [0x60, ...vec(new Array(7).fill([I32])), ...uleb(0)];
  // rows takes the 10th parameter (pitch) too and ignores it; listing rows the 11th (where the lists go) as well.
  const rowsType = [0x60, ...vec(new Array(10).fill([I32])), ...vec([[I32]])];
  const updateBlockType = [0x60, ...vec([...new Array(8).fill([I32]), ...new Array(MAX_SCALARS).fill([V128])]), 0];
  const updateType = [0x60, ...vec([...new Array(13).fill([I32]), ...new Array(MAX_SCALARS).fill([F32])]), 1, I32];
  const listingType = [0x60, ...vec(new Array(11).fill([I32])), ...vec([[I32]])];
  const updateRowsType = [0x60, ...vec([...new Array(10).fill([I32]), ...new Array(MAX_SCALARS).fill([V128])]), 0];
  // With `units`, every driver but columns runs a row's column blocks in one call (function `row`), and an
  // optimizer's module has no block functions left.
  const rowed = units > 0 && units % 4 === 0;
  const blocks =
    program && rowed
      ? [updateRow(rowWidths(units, widest), fma, program, unrolled)]
      : Array.from({ length: widest }, (_, v) =>
          program ? updateBlock(v + 1, fma, program, unrolled) : block(v + 1, fma, unrolled),
        );
  if (rowed && !program) blocks.push(blockRow(rowWidths(units, widest), fma, unrolled));
  const row = rowed ? blocks.length - 1 : undefined;
  // With a program's row function, `listed` calls `updateRows` once unless `loops.looped` is false.
  const rows = program && rowed && loops.looped !== false ? blocks.length : undefined;
  if (rows !== undefined) blocks.push(updateRows(rowWidths(units, widest), fma, program!, unrolled));
  const drivers = program
    ? [driver(true, widest, true, false, row), listedDriver(widest, row, rows)]
    : [driver(false, widest, false, false, row), driver(true, widest), driver(false, widest, false, true, row)];
  const names = program ? ['update', 'listed'] : ['rows', 'columns', 'listing'];
  const types = program ? [3, 3] : [1, 1, 4];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec([blockType, rowsType, updateBlockType, updateType, listingType, updateRowsType])),
    ...IMPORT_MEMORY,
    ...section(3, vec([...blocks.map((_, i) => uleb(i === rows ? 5 : program ? 2 : 0)), ...types.map((t) => uleb(t))])),
    ...section(7, vec(names.map((name, i) => [...str(name), 0x00, ...uleb(blocks.length + i)]))),
    ...section(10, vec([...blocks, ...drivers].map((b) => [...uleb(b.length), ...b]))),
  ]);
}

const bound = new Map<string, WeakMap<WebAssembly.Memory, WebAssembly.Exports | null>>();

/**
 * The module for `fma` (and an optimizer's program, under its name) bound to `memory`, its blocks' loops as `loops`
 * says (`BlockLoops`; the same floats either way).
 */
function instance(
  memory: WebAssembly.Memory,
  fma: boolean,
  program?: { name: string; program: UpdateProgram },
  units = 0,
  loops = BLOCK_LOOPS,
): WebAssembly.Exports | undefined {
  const key = `${fma} ${program?.name ?? ''} ${units} ${loops.unrolled} ${loops.wide} ${loops.looped !== false}`;
  let byMemory = bound.get(key);
  if (!byMemory) bound.set(key, (byMemory = new WeakMap()));
  let exports = byMemory.get(memory);
  if (exports === undefined) {
    try {
      const module = new WebAssembly.Module(compile(fma, program?.program, units, loops));
      exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    } catch {
      exports = null;
    }
    byMemory.set(memory, exports);
  }
  return exports ?? undefined;
}

/**
 * The kernel bound to `memory`, with relaxed-SIMD FMA when `fma` (the caller's product has it: the same floats),
 * or undefined where this runtime cannot compile it. With `units` (a multiple of 4, the n it will be called with),
 * the one that runs a row's column blocks in one call (`blockRow`, as `sparseForwardListing`), from the module of that
 * width, which a stack's other first-layer kernels then share.
 */
export const sparseForward = (memory: WebAssembly.Memory, fma: boolean, units = 0, loops = BLOCK_LOOPS) =>
  instance(memory, fma, undefined, units, loops)?.rows as SparseForward | undefined;

/**
 * The same product with X the transpose of a row-major A whose rows are `pitch` bytes apart (`columns`): for the
 * first layer's weight gradient dW = Xᵀ @ dZ over each input's non-zero examples (A = X, W = dZ, Z = dW).
 */
export const sparseColumns = (memory: WebAssembly.Memory, fma: boolean, units = 0, loops = BLOCK_LOOPS) =>
  instance(memory, fma, undefined, units, loops)?.columns as SparseColumns | undefined;

/**
 * `SparseColumns` with an optimizer's update as its epilogue (`updateBlock`): z is the weight, updated in place by
 * the gradient the product computes, which is never stored; slots at the weight's address plus d0, d1, d2 bytes;
 * the program's scalars in declared order (padded to MAX_SCALARS). Only for k <= KB (one block of k).
 */
export type SparseColumnsUpdate = (
  ...args: [...Parameters<SparseColumns>, d0: number, d1: number, d2: number, ...scalars: number[]]
) => number;

/**
 * `SparseColumnsUpdate` from lists that `listing` wrote (`listed`): x, bias, relu and pitch ignored, `scratch` the
 * lists; returns 0.
 */
export type SparseListedUpdate = SparseColumnsUpdate;

/** The depth up to which `sparseColumnsUpdate` applies (its sums must be complete in one block of k). */
export const UPDATE_DEPTH = KB;

/** `SparseColumnsUpdate` for the optimizer's program `name` (compiled once per program and memory). */
export const sparseColumnsUpdate = (
  memory: WebAssembly.Memory,
  fma: boolean,
  name: string,
  program: UpdateProgram,
  units = 0,
  loops = BLOCK_LOOPS,
) => instance(memory, fma, { name, program }, units, loops)?.update as SparseColumnsUpdate | undefined;

/** `SparseListedUpdate` for the optimizer's program `name` (the same module as `sparseColumnsUpdate`'s). */
export const sparseListedUpdate = (
  memory: WebAssembly.Memory,
  fma: boolean,
  name: string,
  program: UpdateProgram,
  loops = BLOCK_LOOPS,
) => instance(memory, fma, { name, program }, 0, loops)?.listed as SparseListedUpdate | undefined;

/**
 * `SparseListedUpdate` for kernels of `units` columns with one call for all the rows (`updateRows`; with `loops.looped`
 * false, one call a row, `updateRow`) instead of one a column block: the same floats.
 */
export const sparseRowedUpdate = (
  memory: WebAssembly.Memory,
  fma: boolean,
  name: string,
  program: UpdateProgram,
  units: number,
  loops = BLOCK_LOOPS,
) => instance(memory, fma, { name, program }, units, loops)?.listed as SparseListedUpdate | undefined;

/**
 * The forward product that also lists X's entries by input (`SparseForwardListing`); with `units` (a multiple of 4,
 * the n it will be called with), the one that runs a row's column blocks in one call (`blockRow`): the same floats.
 */
export const sparseForwardListing = (memory: WebAssembly.Memory, fma: boolean, units = 0, loops = BLOCK_LOOPS) =>
  instance(memory, fma, undefined, units, loops)?.listing as SparseForwardListing | undefined;

/**
 * The first layer's weight gradient of X (row-major [k, m]) and dZ ([k, n]) applied to its kernel `c` by `u`'s
 * update in the product's epilogue (`kernel`, for `u`'s program): every argument spelled out, as a spread call
 * goes through V8's slow generic JS-to-wasm wrapper.
 */
export function updateByColumns(
  kernel: SparseColumnsUpdate | SparseListedUpdate,
  u: FusedUpdate,
  [x, dz, c, scratch]: [number, number, number, number],
  [m, n, k]: [number, number, number],
): void {
  const [s0, s1, s2] = u.slots;
  const q = u.scalars;
  kernel(
    x,
    dz,
    0,
    c,
    m,
    n,
    k,
    0,
    scratch,
    m * 4,
    s0 - c,
    s1 - c,
    s2 - c,
    q[0],
    q[1],
    q[2],
    q[3],
    q[4],
    q[5],
    q[6],
    q[7],
  );
}
