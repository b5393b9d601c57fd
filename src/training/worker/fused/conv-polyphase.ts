/**
 * Polyphase Winograd for 3x3 convolutions of stride 2 (the strided CNN's): per dimension such a convolution is a
 * 2-tap correlation of the even input phase (taps 0 and 2) plus a 1-tap one of the odd phase (tap 1). The even
 * phase runs as Winograd F(m, 2) tiles (m + 1 products for m outputs instead of 2m: tiles of 4, the last of o mod 4),
 * the odd phase as is, so an output dimension of o takes o + ceil(o / 4) + o "points" instead of 3o products; the
 * 7x7 output of the strided CNN takes 16 x 16 = 256 products per image and channel pair instead of 441.
 *
 * The whole image is one tile: with P points per dimension, Y = A [(G W Gᵀ) ⊙ (B X Bᵀ)] Aᵀ per image and channel
 * pair, B [P, 2o + 1] (on the padded input), A [o, P], G [P, 3], each point's G row a function of its point alone
 * (the F(m, 2) points 0, ∞, 1, -1 of every tile and 2 of a tile of 4, or the odd phase's tap 1). Points of the same
 * kind share their transformed kernel, so the products group by kind pair: 36 products [rows, cin] @ [cin, cout]
 * (rows = images x the pair's point count), in all 256 / 441 of im2col's multiplications.
 *
 * The transforms are sparse row combinations: the input transform in two passes (rows, then columns into each kind
 * pair's V), the output transform in two (columns, then rows, with bias and relu), and their adjoints for the
 * backward pass. Each transform runs as straight-line wasm generated here for the shape (one call a batch: both
 * passes image after image, offsets as immediates, coefficients ±1 as adds and subtracts), its bases per point from
 * small tables; the kernel's transforms (and all of them where the generated code does not compile) as `combine`,
 * one wasm SIMD function driven by tables of offsets and coefficients. V and M are image-major within each kind
 * pair (an image's rows of a pair together), so that a transform's reads and writes of them run in blocks.
 */
import type { ConvOp } from './conv-eligibility';
import {
  br,
  brIf,
  get,
  HEADER,
  i32,
  I32,
  IMPORT_MEMORY,
  oneFunctionModule,
  section,
  set,
  simd,
  str,
  uleb,
  V128,
  vec,
  ZERO,
} from './wasm-emit';

/** F(m, 2)'s points in order: a tile of m outputs takes the first m + 1 (∞: the kernel's leading tap). */
const POINTS = [0, Infinity, 1, -1, 2];
/** The kind of the odd phase's points (after POINTS' indices). */
const ODD = POINTS.length;
const KINDS = ODD + 1;

/** One dimension of the polyphase transform: P points over the padded input (2o + 1 rows) and o outputs. */
export interface PolyphaseAxis {
  /** Outputs, padded inputs (2o + 1), points. */
  o: number;
  n: number;
  points: number;
  /** Each point's kind (index in POINTS, or ODD) and its index among the points of its kind. */
  kind: number[];
  slot: number[];
  /** Points of each kind. */
  count: number[];
  /** B's rows: (padded input row, coefficient) terms of each point. */
  b: [number, number][][];
  /** A's rows: (point, coefficient) terms of each output. */
  a: [number, number][][];
}

function inverse(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    const d = a[c][c];
    for (let j = 0; j < 2 * n; j++) a[c][j] /= d;
    for (let r = 0; r < n; r++) {
      const f = a[r][c];
      if (r !== c && f) for (let j = 0; j < 2 * n; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((row) => row.slice(n));
}

/**
 * The axis of o outputs. F(m, 2) by the transposition of the polynomial product: y = Vₘᵀ diag(V₂ g) C⁻ᵀ d, with
 * V the evaluation at the points (∞: the leading coefficient) and C the m + 1 points' Vandermonde matrix; so B's
 * rows are C⁻ᵀ's, A's the powers of each point, G's rows w0 + a·w2 (∞: w2).
 */
export function polyphaseAxis(o: number): PolyphaseAxis {
  const axis: PolyphaseAxis = { o, n: 2 * o + 1, points: 0, kind: [], slot: [], count: [], b: [], a: [] };
  axis.count = new Array<number>(KINDS).fill(0);
  for (let i = 0; i < o; i++) axis.a.push([]);
  const add = (kind: number, b: [number, number][]) => {
    axis.kind.push(kind);
    axis.slot.push(axis.count[kind]++);
    axis.b.push(b);
    return axis.points++;
  };
  for (let start = 0; start < o; start += 4) {
    const m = Math.min(4, o - start);
    const points = POINTS.slice(0, m + 1);
    const power = (a: number, k: number, top: number) => (a === Infinity ? (k === top ? 1 : 0) : a ** k);
    const ci = inverse(points.map((a) => points.map((_, k) => power(a, k, m))));
    points.forEach((a, j) => {
      const b: [number, number][] = [];
      for (let r = 0; r <= m; r++) if (Math.abs(ci[r][j]) > 1e-12) b.push([2 * (start + r), ci[r][j]]);
      const p = add(j, b);
      for (let i = 0; i < m; i++) if (power(a, i, m - 1)) axis.a[start + i].push([p, power(a, i, m - 1)]);
    });
  }
  for (let i = 0; i < o; i++) axis.a[i].push([add(ODD, [[2 * i + 1, 1]]), 1]);
  return axis;
}

/** A point kind's G row applied to three taps (w0, w1, w2). */
export const kindTap = (kind: number, w0: number, w1: number, w2: number) =>
  kind === ODD ? w1 : POINTS[kind] === Infinity ? w2 : w0 + POINTS[kind] * w2;

/**
 * Whether a convolution runs as polyphase Winograd: 3x3, stride 2, outputs of at least 2 a side, channel counts
 * multiples of 4 (`combine` moves whole vectors).
 */
export const polyphaseFits = (op: ConvOp) =>
  op.kind === 'conv' &&
  op.input.c % 4 === 0 &&
  op.output.c % 4 === 0 &&
  op.kh === 3 &&
  op.kw === 3 &&
  op.sh === 2 &&
  op.sw === 2 &&
  op.output.h >= 2 &&
  op.output.w >= 2;

/**
 * Whether polyphase Winograd pays for a convolution that fits: outputs of at least 4 a side. Measured at 32 images,
 * 32 -> 64 channels, forward and both gradients against im2col's (CPU): 7x7 outputs 3.04-3.14 ms against 3.77-3.80,
 * 4x4 1.05-1.11 against 1.22, 3x3 0.62-0.73 against 0.69 and 2x2 0.30-0.44 against 0.30 (the transforms' cost no
 * longer below the products saved).
 */
export const polyphasePays = (op: Extract<ConvOp, { kind: 'conv' }>) => op.output.h >= 4 && op.output.w >= 4;

// ---- combine: out[row] = bias + Σ coef · in[row'] over vectors of floats, rows and terms from a table ----------
const [ADD, SUB, MUL, EQZ, GE_S, SELECT] = [0x6a, 0x6b, 0x6c, 0x45, 0x4e, 0x1b];
const [BLOCK, LOOP, END] = [[0x02, 0x40], [0x03, 0x40], 0x0b];
const I32LOAD = (offset: number) => [0x28, 0x02, ...uleb(offset)];
const F32LOAD = (offset: number) => [0x2a, 0x02, ...uleb(offset)];
const V_LOAD = (offset: number) => [...simd(0x00), 0x00, ...uleb(offset)];
const V_STORE = (offset: number) => [...simd(0x0b), 0x00, ...uleb(offset)];
const [SPLAT, F_ADD, F_MUL, F_MAX, RELAXED_MADD] = [simd(0x13), simd(0xe4), simd(0xe6), simd(0xe9), simd(0x105)];
const [IF, ELSE] = [[0x04, 0x40], 0x05];

/**
 * combine(in, out, table, n, len, wide, bias, period, relu), byte addresses and lengths: for each of n table rows
 * (i32 out offset, i32 term count, then per term i32 in offset and f32 coefficient), the row of len bytes (a
 * multiple of 16) at out + offset = [bias] + Σ coefficient · row at in + offset, summed in the table's order (each
 * term a multiply then an add, or with `fma` one relaxed-SIMD multiply-add: 8% less time for the eight passes, as
 * the products round), then max(·, 0) with relu. The bias repeats every `period` bytes; the first `wide` bytes (a
 * multiple of 64, and of `period` with a bias) go four vectors at a time.
 */
function combineCode(fma: boolean): number[] {
  const [inB, outB, table, n, len, wide, bias, period, relu] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [t, out, count, off, bo, e, c, src, coef, acc] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  // A pass over a row's vectors, `width` at a time; `biased`: from the bias (else from zero).
  const pass = (width: number, end: number, biased: boolean) => {
    const accs = Array.from({ length: width }, (_, k) => acc + k);
    return [
      ...BLOCK,
      ...LOOP,
      ...get(off),
      ...get(end),
      GE_S,
      ...brIf(1),
      ...accs.flatMap((a, k) => [...(biased ? [...get(bias), ...get(bo), ADD, ...V_LOAD(16 * k)] : ZERO), ...set(a)]),
      ...get(t),
      ...set(e),
      ...get(count),
      ...set(c),
      ...BLOCK,
      ...LOOP,
      ...get(c),
      EQZ,
      ...brIf(1),
      ...get(e),
      ...F32LOAD(4),
      ...SPLAT,
      ...set(coef),
      ...get(inB),
      ...get(e),
      ...I32LOAD(0),
      ADD,
      ...get(off),
      ADD,
      ...set(src),
      ...accs.flatMap((a, k) => [
        ...(fma
          ? [...get(coef), ...get(src), ...V_LOAD(16 * k), ...get(a), ...RELAXED_MADD]
          : [...get(a), ...get(coef), ...get(src), ...V_LOAD(16 * k), ...F_MUL, ...F_ADD]),
        ...set(a),
      ]),
      ...get(e),
      ...i32(8),
      ADD,
      ...set(e),
      ...get(c),
      ...i32(1),
      SUB,
      ...set(c),
      ...br(0),
      END,
      END,
      ...get(relu),
      ...IF,
      ...accs.flatMap((a) => [...get(a), ...ZERO, ...F_MAX, ...set(a)]),
      END,
      ...accs.flatMap((a, k) => [...get(out), ...get(off), ADD, ...get(a), ...V_STORE(16 * k)]),
      ...get(off),
      ...i32(16 * width),
      ADD,
      ...set(off),
      ...(biased
        ? [
            ...get(bo),
            ...i32(16 * width),
            ADD,
            ...set(bo),
            ...get(bo),
            ...get(period),
            SUB,
            ...get(bo),
            ...get(bo),
            ...get(period),
            GE_S,
            SELECT,
            ...set(bo),
          ]
        : []),
      ...br(0),
      END,
      END,
    ];
  };
  return [
    ...get(table),
    ...set(t),
    ...BLOCK,
    ...LOOP,
    ...get(n),
    EQZ,
    ...brIf(1),
    ...get(outB),
    ...get(t),
    ...I32LOAD(0),
    ADD,
    ...set(out),
    ...get(t),
    ...I32LOAD(4),
    ...set(count),
    ...get(t),
    ...i32(8),
    ADD,
    ...set(t),
    ...i32(0),
    ...set(off),
    ...i32(0),
    ...set(bo),
    ...get(bias),
    ...IF,
    ...pass(4, wide, true),
    ...pass(1, len, true),
    ELSE,
    ...pass(4, wide, false),
    ...pass(1, len, false),
    END,
    ...get(t),
    ...get(count),
    ...i32(8),
    MUL,
    ADD,
    ...set(t),
    ...get(n),
    ...i32(1),
    SUB,
    ...set(n),
    ...br(0),
    END,
    END,
  ];
}

export type Combine = (
  input: number,
  out: number,
  table: number,
  n: number,
  len: number,
  wide: number,
  bias: number,
  period: number,
  relu: number,
) => void;

/** Each bound `combine`'s memory and FMA choice (the generated transforms are compiled for the same). */
const combineOf = new WeakMap<Combine, { memory: WebAssembly.Memory; fma: boolean }>();

const combines = [new WeakMap<WebAssembly.Memory, Combine>(), new WeakMap<WebAssembly.Memory, Combine>()];

/**
 * `combine` bound to `memory` (undefined where the runtime has no wasm SIMD); with `fma` (the product's choice:
 * relaxed SIMD present) each term a relaxed-SIMD multiply-add, rounded once.
 */
export function polyphaseCombine(memory: WebAssembly.Memory, fma = false): Combine | undefined {
  let combine = combines[fma ? 1 : 0].get(memory);
  if (!combine) {
    try {
      const bytes = oneFunctionModule(
        'combine',
        new Array<number>(9).fill(I32),
        [
          [8, I32],
          [5, V128],
        ],
        combineCode(fma),
      );
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      combine = instance.exports.combine as Combine;
    } catch {
      return undefined;
    }
    combines[fma ? 1 : 0].set(memory, combine);
    combineOf.set(combine, { memory, fma });
  }
  return combine;
}

/** The `wide` argument of `combine` for rows of len bytes (and a bias repeating every `period` bytes, 0: none). */
export const wideBytes = (len: number, period = 0) => (period && period % 64 ? 0 : len - (len % 64));

// ---- generated transforms: each transform's two passes as straight-line wasm, one call a batch -----------------
/** A term of a generated row: the vector at base `base` + `at` (+ 16 bytes per vector) times `coef`. */
interface GenTerm {
  base: number;
  at: number;
  coef: number;
}
/** A generated row: the vectors at base `base` + `at` = [bias] + Σ terms, summed in order. */
interface GenRow {
  base: number;
  at: number;
  terms: GenTerm[];
}
/**
 * A pass: `iterations` times, each base = its root (0 the pass's source, 1 its destination, 2 the bias) plus the
 * iteration's word of the pass's table (a word a base, in base order); then every row's `vectors` vectors. With
 * `bias` the rows start from the vectors at base 2 (same offsets as the row's vectors within the iteration).
 */
interface GenPass {
  roots: number[];
  rows: GenRow[];
  vectors: number;
  iterations: number;
  words: number[];
  bias: boolean;
  relu: boolean;
}
/**
 * A transform: per image, pass 0 from `input` into the scratch, pass 1 from the scratch into `out`; input and out
 * advance by their strides (bytes) from image to image. (The kernel's transforms: one pass, one image, from `input`
 * into `scratch`.)
 */
interface GenTransform {
  passes: GenPass[];
  strideIn: number;
  strideOut: number;
  /** The passes' tables image after image (`tabStride` bytes an image), or once for all (0). */
  words: number[];
  tabStride: number;
}

/** The generated functions' arguments: byte addresses (tab: the transform's pass tables, pass 0's first). */
export type Generated = (
  input: number,
  out: number,
  scratch: number,
  bias: number,
  images: number,
  tab: number,
) => void;

const [F_SUB, F_NEG] = [simd(0xe5), simd(0xe1)];
const F32CONST = (v: number) => {
  const b = new Uint8Array(new Float32Array([v]).buffer);
  return [0x43, ...b];
};

/** The body of a generated transform's function (params input, out, scratch, bias, images, tab). */
function generatedCode(t: GenTransform, fma: boolean, locals: { i32: number; v128: number }): number[] {
  const [inL, outL, scratchL, biasL, imagesL, tabL, tp, it] = [0, 1, 2, 3, 4, 5, 6, 7];
  const nBases = Math.max(...t.passes.map((p) => p.roots.length));
  const base0 = 8;
  const coefs = [
    ...new Set(t.passes.flatMap((p) => p.rows.flatMap((r) => r.terms.map((x) => Math.fround(x.coef))))),
  ].filter((c) => c !== 1 && c !== -1);
  const acc = base0 + nBases;
  const coefL = (c: number) => acc + 1 + coefs.indexOf(Math.fround(c));
  locals.i32 = 2 + nBases;
  locals.v128 = 1 + coefs.length;
  const code: number[] = [];
  // Byte by byte in the rows (no small arrays: a transform is some 20000 terms, built once per shape at a cold start).
  const emit = (bytes: number[]) => {
    for (const b of bytes) code.push(b);
  };
  const local = (op: number, l: number) => (l < 128 ? code.push(op, l) : emit([op, ...uleb(l)]));
  const memory = (op: number, offset: number) => {
    code.push(0xfd, op, 0x00);
    do {
      code.push((offset & 0x7f) | (offset > 0x7f ? 0x80 : 0));
      offset >>>= 7;
    } while (offset);
  };
  for (const c of coefs) code.push(...F32CONST(c), ...SPLAT, ...set(coefL(c)));
  code.push(...BLOCK, ...LOOP, ...get(imagesL), EQZ, ...brIf(1), ...get(tabL), ...set(tp));
  t.passes.forEach((pass, k) => {
    const roots = k === 0 ? [inL, scratchL, biasL] : [scratchL, outL, biasL];
    code.push(...i32(pass.iterations), ...set(it), ...LOOP);
    pass.roots.forEach((r, b) => code.push(...get(roots[r]), ...get(tp), ...I32LOAD(4 * b), ADD, ...set(base0 + b)));
    for (const row of pass.rows)
      for (let v = 0; v < pass.vectors; v++) {
        const load = (x: GenTerm) => {
          local(0x20, base0 + x.base);
          memory(0x00, x.at + 16 * v);
        };
        local(0x20, base0 + row.base);
        let started = false;
        if (pass.bias) {
          local(0x20, base0 + 2);
          memory(0x00, 16 * v);
          started = true;
        }
        for (const x of row.terms) {
          const c = Math.fround(x.coef);
          if (!started) {
            if (c === 1) load(x);
            else if (c === -1) {
              load(x);
              emit(F_NEG);
            } else {
              local(0x20, coefL(c));
              load(x);
              emit(F_MUL);
            }
            started = true;
          } else if (c === 1) {
            load(x);
            emit(F_ADD);
          } else if (c === -1) {
            load(x);
            emit(F_SUB);
          } else if (fma) {
            local(0x21, acc);
            local(0x20, coefL(c));
            load(x);
            local(0x20, acc);
            emit(RELAXED_MADD);
          } else {
            local(0x20, coefL(c));
            load(x);
            emit(F_MUL);
            emit(F_ADD);
          }
        }
        if (!started) emit(ZERO);
        if (pass.relu) emit([...ZERO, ...F_MAX]);
        memory(0x0b, row.at + 16 * v);
      }
    code.push(...get(tp), ...i32(4 * pass.roots.length), ADD, ...set(tp));
    code.push(...get(it), ...i32(1), SUB, ...set(it), ...get(it), ...brIf(0), END);
  });
  if (t.tabStride) code.push(...get(tabL), ...i32(t.tabStride), ADD, ...set(tabL));
  code.push(...get(inL), ...i32(t.strideIn), ADD, ...set(inL));
  code.push(...get(outL), ...i32(t.strideOut), ADD, ...set(outL));
  code.push(...get(imagesL), ...i32(1), SUB, ...set(imagesL), ...br(0), END, END);
  return code;
}

/** A module exporting one function per transform (f0, f1, ...), importing env.memory. */
function generatedModule(transforms: GenTransform[], fma: boolean): Uint8Array<ArrayBuffer> {
  const bodies = transforms.map((t) => {
    const locals = { i32: 0, v128: 0 };
    const code = generatedCode(t, fma, locals);
    const body = [...uleb(2), ...uleb(locals.i32), I32, ...uleb(locals.v128), V128];
    for (const b of code) body.push(b);
    body.push(END);
    return body;
  });
  const type = [0x60, ...uleb(6), ...new Array<number>(6).fill(I32), ...uleb(0)];
  const head = [
    ...HEADER,
    ...section(1, vec([type])),
    ...IMPORT_MEMORY,
    ...section(3, vec(transforms.map(() => uleb(0)))),
    ...section(7, vec(transforms.map((_, i) => [...str(`f${i}`), 0x00, ...uleb(i)]))),
  ];
  // The code section assembled in place (spreading some 60 kB of bodies through `section` and `vec` took 60 ms).
  const sizes = bodies.map((b) => uleb(b.length));
  const codeSize = uleb(bodies.length).length + bodies.reduce((sum, b, i) => sum + sizes[i].length + b.length, 0);
  const bytes = new Uint8Array(head.length + 1 + uleb(codeSize).length + codeSize);
  let at = 0;
  const put = (b: ArrayLike<number>) => {
    bytes.set(b, at);
    at += b.length;
  };
  put(head);
  put([10, ...uleb(codeSize), ...uleb(bodies.length)]);
  bodies.forEach((b, i) => {
    put(sizes[i]);
    put(b);
  });
  return bytes;
}

/**
 * `on`: the generated transforms where they compile (else `combine`'s tables); `tables`: `combine`'s tables built for
 * every transform even where the generated ones compile, so that `on` can be switched at any step (A/B measurements
 * and tests; otherwise only the kernel's two tables are built, 10-20 ms less of a cold start). Read when the tables
 * are built (at `floats` and when the batch changes) and at every pass. `imageMajor`: V and M image-major within
 * each kind pair (`pairRow`), read when a convolution is constructed; false (point-major) for A/B measurements and
 * tests. In-process, whole steps of the strided CNN, two engines: image-major against point-major (both generated)
 * -0.10 ms a step, the transforms 0.49 -> 0.35 ms (`bench/ab-polyphase.ts step 40 10 --layout --wall`).
 */
export const polyphaseGenerated = { on: true, tables: false, imageMajor: true };

const generatedCache = new WeakMap<WebAssembly.Memory, Map<string, Generated[]>>();

/** A combine table being built: rows of (out offset, [(in offset, coefficient)]), all in bytes. */
export class CombineTable {
  readonly words: number[] = [];
  rows = 0;
  private readonly f32 = new Float32Array(1);
  private readonly bits = new Int32Array(this.f32.buffer);
  row(out: number, terms: [number, number][]): void {
    this.words.push(out, terms.length);
    for (const [at, coef] of terms) {
      this.f32[0] = coef;
      this.words.push(at, this.bits[0]);
    }
    this.rows++;
  }
}

/** The combine tables of a polyphase convolution, in `buildTables`' order. */
const TABLES = [
  'kernel',
  'kernelBack',
  'inRows',
  'inCols',
  'outCols',
  'outRows',
  'dOutRows',
  'dOutCols',
  'dInCols',
  'dInRows',
] as const;

/** A convolution's shape as the polyphase transforms need it. */
export interface PolyphaseShape {
  h: number;
  w: number;
  cin: number;
  cout: number;
  oh: number;
  ow: number;
  top: number;
  left: number;
}

/** A kind pair's products: its rows per image and float offsets of V, M (dV, dM) and U (dU) at the capacity. */
interface Group {
  kr: number;
  kc: number;
  perImage: number;
  v: number;
  m: number;
  u: number;
  du: number;
}

/** The engine's product on float offsets (`ConvStack.product` without bias and relu). */
type Product = (
  ...args: [a: number, transA: boolean, b: number, transB: boolean, c: number, m: number, n: number, k: number]
) => void;

/**
 * One stride-2 3x3 convolution as polyphase Winograd over heap buffers (float offsets): `forward` from its padded
 * input [batch, 2oh + 1, 2ow + 1, cin] (the caller writes it: im2col with a 1x1 window, or im2colAffine), `backward`
 * into the kernel's gradient and dL/dx. Buffers: `floats(capacity)` of them at `place`'s base.
 */
export class PolyphaseConv {
  readonly rows: PolyphaseAxis;
  readonly cols: PolyphaseAxis;
  private readonly groups: Group[] = [];
  /** Group index of each (row kind, column kind). */
  private readonly groupOf: number[][] = [];
  private capacity = 0;
  /** Float offsets: padded input, scratch, tables (int32 words). */
  padded = -1;
  private scratch = -1;
  private tables = -1;
  private tableBatch = 0;
  /** The tables last built and their batch (built once for the capacity, a cold start's JavaScript: 10-20 ms). */
  private built = { batch: 0, capacity: 0, tables: [] as CombineTable[], gen: [] as GenTransform[], full: true };
  /** The generated transforms (fin, fout without and with bias and relu, dout, din), once compiled; null: none. */
  private fns: Generated[] | null | undefined;
  /** V and M image-major (`pairRow`), read at construction from `polyphaseGenerated.imageMajor`. */
  private readonly imageMajor = polyphaseGenerated.imageMajor;
  /** Byte addresses of the generated transforms' tables (fin, fout, dout, din), once written. */
  private genAt: number[] = [];
  /** Words of the tables `floats` made room for. */
  private sized = 0;
  /** Each table's byte address and row count, once written. */
  private readonly at = {} as Record<(typeof TABLES)[number], [number, number, number]>;

  constructor(
    readonly shape: PolyphaseShape,
    private readonly combine: Combine,
    private readonly product: Product,
  ) {
    this.rows = polyphaseAxis(shape.oh);
    this.cols = polyphaseAxis(shape.ow);
    for (let kr = 0; kr < KINDS; kr++) {
      this.groupOf.push([]);
      for (let kc = 0; kc < KINDS; kc++) {
        const perImage = this.rows.count[kr] * this.cols.count[kc];
        this.groupOf[kr].push(perImage ? this.groups.length : -1);
        if (perImage) this.groups.push({ kr, kc, perImage, v: -1, m: -1, u: -1, du: -1 });
      }
    }
  }

  /**
   * The row of point pair (p, q) of image b in its group (of `batch` images): image-major (an image's rows of a
   * group together, the transforms' reads and writes of V and M in runs of several rows) or point-major (a pair's
   * rows of all images together, each image's rows a batch apart).
   */
  private readonly pairRow = (p: number, q: number, b: number, batch: number) => {
    const { rows, cols } = this;
    const slot = rows.slot[p] * cols.count[cols.kind[q]] + cols.slot[q];
    return this.imageMajor
      ? b * this.groups[this.groupOf[rows.kind[p]][cols.kind[q]]].perImage + slot
      : slot * batch + b;
  };

  /** Products per image and channel pair (im2col's: 9·oh·ow). */
  get products(): number {
    return this.rows.points * this.cols.points;
  }

  private get scratchFloats(): number {
    const { cin, cout, ow } = this.shape;
    return this.rows.points * Math.max(this.cols.n * cin, ow * cout);
  }

  /** Words of all tables (their sizes do not depend on the batch). */
  private tableWords(batch: number): number {
    const { capacity } = this;
    if (this.built.batch !== batch || this.built.capacity !== capacity || this.built.full !== this.full())
      this.built = { batch, capacity, tables: this.buildTables(batch), gen: this.plan(batch), full: this.full() };
    const gen = this.built.gen.reduce((sum, t) => sum + t.words.length, 0);
    return this.built.tables.reduce((sum, t) => sum + t.words.length, 0) + gen;
  }

  /** Floats of the buffers for batches up to `capacity` (the tables' included: they are built here). */
  floats(capacity: number): number {
    const floats = this.place(0, capacity);
    this.sized = this.tableWords(capacity);
    return floats + this.sized + 4;
  }

  /**
   * Lays the buffers out from float offset `base` (16-byte aligned) for batches up to `capacity`; the floats before
   * the tables. The tables hold offsets relative to the layout's, the same at any base.
   */
  place(base: number, capacity: number): number {
    const { cin, cout } = this.shape;
    let next = base;
    const take = (n: number) => {
      const at = next;
      next += Math.ceil(n / 4) * 4;
      return at;
    };
    this.capacity = capacity;
    this.padded = take(capacity * this.rows.n * this.cols.n * cin);
    for (const g of this.groups) {
      g.v = take(capacity * g.perImage * cin);
      g.m = take(capacity * g.perImage * cout);
      g.u = take(cin * cout);
      g.du = take(cin * cout);
    }
    this.scratch = take(this.scratchFloats);
    this.tables = take(0);
    this.tableBatch = 0;
    return next - base;
  }

  /** Each kind pair's U as (tap's byte offset in the kernel [3, 3, cin, cout], coefficient): G row ⊗ G column. */
  private tapTerms(): [number, number][][] {
    const pairs = this.shape.cin * this.shape.cout;
    return this.groups.map((g) => {
      const terms: [number, number][] = [];
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) {
          const r = [0, 0, 0];
          const c = [0, 0, 0];
          r[ky] = 1;
          c[kx] = 1;
          const coef =
            kindTap(g.kr, ...(r as [number, number, number])) * kindTap(g.kc, ...(c as [number, number, number]));
          if (coef) terms.push([(ky * 3 + kx) * pairs * 4, coef]);
        }
      return terms;
    });
  }

  /** The adjoint transforms' terms: A's and B's rows and columns transposed (each output's (input, coefficient)). */
  private adjoints(): [number, number][][][] {
    const { rows, cols } = this;
    const transpose = (m: [number, number][][], n: number) => {
      const t: [number, number][][] = Array.from({ length: n }, () => []);
      m.forEach((terms, i) => terms.forEach(([j, c]) => t[j].push([i, c])));
      return t;
    };
    return [
      transpose(rows.a, rows.points),
      transpose(cols.a, cols.points),
      transpose(rows.b, rows.n),
      transpose(cols.b, cols.n),
    ];
  }

  /** Whether `combine`'s tables are needed for the transforms (where the generated code does not compile, or A/B). */
  private full(): boolean {
    return polyphaseGenerated.tables || !polyphaseGenerated.on || !this.generated();
  }

  /**
   * The combine tables for a batch: byte offsets relative to each call's bases (V, M at their start where they are
   * image-major, with the column passes' tables an image each; else at image 0 of a pass: the image's rows follow
   * at a stride of cin or cout floats, so a call per image shifts its base by that).
   */
  private buildTables(batch: number): CombineTable[] {
    const { cin, cout, w, h, ow, oh, top, left } = this.shape;
    const { rows, cols, groups, groupOf } = this;
    const [P, Q, nc] = [rows.points, cols.points, cols.n];
    const group = (p: number, q: number) => groups[groupOf[rows.kind[p]][cols.kind[q]]];
    const { pairRow } = this;
    const vAt = (p: number, q: number, b: number) => (group(p, q).v - groups[0].v + pairRow(p, q, b, batch) * cin) * 4;
    const mAt = (p: number, q: number, b: number) => (group(p, q).m - groups[0].v + pairRow(p, q, b, batch) * cout) * 4;
    // The column passes' tables: for each image where the layout is image-major, else for image 0 (the calls shift V).
    const images = this.imageMajor ? batch : 1;
    const kernel = new CombineTable();
    const kernelBack = new CombineTable();
    if (!this.full()) return TABLES.map(() => new CombineTable());
    const taps = this.tapTerms();
    const pairs = cin * cout;
    groups.forEach((g, i) => kernel.row((g.u - groups[0].u) * 4, taps[i]));
    for (let tap = 0; tap < 9; tap++)
      kernelBack.row(
        tap * pairs * 4,
        groups.flatMap((g, i) =>
          taps[i].flatMap(([at, coef]) =>
            at === tap * pairs * 4 ? [[(g.du - groups[0].u) * 4, coef] as [number, number]] : [],
          ),
        ),
      );
    // Forward input transform, per image: T[p] = Σ B[p][r] X[r] (rows of nc·cin); V(p, q) = Σ B[q][s] T[p][s].
    const inRows = new CombineTable();
    for (let p = 0; p < P; p++)
      inRows.row(
        p * nc * cin * 4,
        rows.b[p].map(([r, c]) => [r * nc * cin * 4, c]),
      );
    const inCols = new CombineTable();
    for (let b = 0; b < images; b++)
      for (let p = 0; p < P; p++)
        for (let q = 0; q < Q; q++)
          inCols.row(
            vAt(p, q, b),
            cols.b[q].map(([s, c]) => [(p * nc + s) * cin * 4, c]),
          );
    // Forward output transform, per image: S[p][j] = Σ A[j][q] M(p, q); Y[i] = bias + Σ A[i][p] S[p] (rows ow·cout).
    const outCols = new CombineTable();
    for (let b = 0; b < images; b++)
      for (let p = 0; p < P; p++)
        for (let j = 0; j < ow; j++)
          outCols.row(
            (p * ow + j) * cout * 4,
            cols.a[j].map(([q, c]) => [mAt(p, q, b), c]),
          );
    const outRows = new CombineTable();
    for (let i = 0; i < oh; i++)
      outRows.row(
        i * ow * cout * 4,
        rows.a[i].map(([p, c]) => [p * ow * cout * 4, c]),
      );
    // Their adjoints: dS[p] = Σ A[i][p] dY[i]; dM(p, q) = Σ A[j][q] dS[p][j]; dT[p][s] = Σ B[q][s] dV(p, q);
    // dX[r] = Σ B[p][r] dT[p] over the image's rows and columns (the padding's gradients dropped).
    const [aRowsT, aColsT, bRowsT, bColsT] = this.adjoints();
    const dOutRows = new CombineTable();
    for (let p = 0; p < P; p++)
      dOutRows.row(
        p * ow * cout * 4,
        aRowsT[p].map(([i, c]) => [i * ow * cout * 4, c]),
      );
    const dOutCols = new CombineTable();
    for (let b = 0; b < images; b++)
      for (let p = 0; p < P; p++)
        for (let q = 0; q < Q; q++)
          dOutCols.row(
            mAt(p, q, b),
            aColsT[q].map(([j, c]) => [(p * ow + j) * cout * 4, c]),
          );
    const dInCols = new CombineTable();
    for (let b = 0; b < images; b++)
      for (let p = 0; p < P; p++)
        for (let s = 0; s < nc; s++)
          dInCols.row(
            (p * nc + s) * cin * 4,
            bColsT[s].map(([q, c]) => [vAt(p, q, b), c]),
          );
    const dInRows = new CombineTable();
    for (let r = Math.max(top, 0); r < Math.min(top + h, rows.n); r++)
      dInRows.row(
        (r - top) * w * cin * 4,
        bRowsT[r].map(([p, c]) => [(p * nc + left) * cin * 4, c]),
      );
    return [kernel, kernelBack, inRows, inCols, outCols, outRows, dOutRows, dOutCols, dInCols, dInRows];
  }

  /**
   * The generated transforms for a batch (their code is the same at every batch, their tables not): the forward
   * input transform, the output transform (one, its variants differ only in bias and relu), dM from dZ and dX from
   * dV, each as its two passes (a row pass over chunks of the image's long rows, a column pass a point at a time).
   */
  private plan(batch: number): GenTransform[] {
    const { cin, cout, w, h, ow, oh, top, left } = this.shape;
    const { rows, cols, groups, groupOf } = this;
    const [P, Q, nc] = [rows.points, cols.points, cols.n];
    const group = (p: number, q: number) => groups[groupOf[rows.kind[p]][cols.kind[q]]];
    const { pairRow, imageMajor } = this;
    const vAt = (p: number, q: number, b: number) => (group(p, q).v - groups[0].v + pairRow(p, q, b, batch) * cin) * 4;
    const mAt = (p: number, q: number, b: number) => (group(p, q).m - groups[0].v + pairRow(p, q, b, batch) * cout) * 4;
    // A row pass: rows (out offset, terms (in offset, coefficient)) of len bytes, chunks of up to 8 vectors (and of
    // a bias repeating every `period` bytes: its base's words are the chunks' offsets in it; the output transform's
    // variants with and without a bias share the code's chunking and the tables)
    const rowPass = (list: [number, [number, number][]][], len: number, period = 0): GenPass => {
      const total = len / 16;
      let width = 8;
      while (width > 1 && (total % width || (period && (period / 16) % width))) width /= 2;
      const words: number[] = [];
      for (let off = 0; off < len; off += 16 * width) words.push(off, off, period ? off % period : 0);
      return {
        roots: [0, 1, 2],
        rows: list.map(([at, terms]) => ({ base: 1, at, terms: terms.map(([a, coef]) => ({ base: 0, at: a, coef })) })),
        vectors: width,
        iterations: total / width,
        words,
        bias: false,
        relu: false,
      };
    };
    // A column pass, a point p at a time: base 0 the point's row of the scratch (root `own`: 0 source, 1
    // destination) at `fixed(p)`, base 1 + q the pair (p, q)'s row of V or M (the other root) at `pair(p, q)`.
    const colPass = (
      own: number,
      fixed: (p: number) => number,
      pair: (p: number, q: number, b: number) => number,
      list: GenRow[],
      c: number,
    ): GenPass & { image: (b: number) => number[] } => {
      const image = (b: number) => {
        const words: number[] = [];
        for (let p = 0; p < P; p++) words.push(fixed(p), ...Array.from({ length: Q }, (_, q) => pair(p, q, b)));
        return words;
      };
      const words = image(0);
      return {
        roots: [own, ...new Array<number>(Q).fill(1 - own)],
        rows: list,
        vectors: c / 4,
        iterations: P,
        words,
        image,
        bias: false,
        relu: false,
      };
    };
    const [aRowsT, aColsT, bRowsT, bColsT] = this.adjoints();
    const inRows = rowPass(
      rows.b.map((terms, p) => [p * nc * cin * 4, terms.map(([r, c]) => [r * nc * cin * 4, c])]),
      nc * cin * 4,
    );
    const inCols = colPass(
      0,
      (p) => p * nc * cin * 4,
      vAt,
      cols.b.map((terms, q) => ({
        base: 1 + q,
        at: 0,
        terms: terms.map(([s, coef]) => ({ base: 0, at: s * cin * 4, coef })),
      })),
      cin,
    );
    const outCols = colPass(
      1,
      (p) => p * ow * cout * 4,
      mAt,
      cols.a.map((terms, j) => ({
        base: 0,
        at: j * cout * 4,
        terms: terms.map(([q, coef]) => ({ base: 1 + q, at: 0, coef })),
      })),
      cout,
    );
    const outRows = rowPass(
      rows.a.map((terms, i) => [i * ow * cout * 4, terms.map(([p, c]) => [p * ow * cout * 4, c])]),
      ow * cout * 4,
      cout * 4,
    );
    const dOutRows = rowPass(
      aRowsT.map((terms, p) => [p * ow * cout * 4, terms.map(([i, c]) => [i * ow * cout * 4, c])]),
      ow * cout * 4,
    );
    const dOutCols = colPass(
      0,
      (p) => p * ow * cout * 4,
      mAt,
      aColsT.map((terms, q) => ({
        base: 1 + q,
        at: 0,
        terms: terms.map(([j, coef]) => ({ base: 0, at: j * cout * 4, coef })),
      })),
      cout,
    );
    const dInCols = colPass(
      1,
      (p) => p * nc * cin * 4,
      vAt,
      bColsT.map((terms, s) => ({
        base: 0,
        at: s * cin * 4,
        terms: terms.map(([q, coef]) => ({ base: 1 + q, at: 0, coef })),
      })),
      cin,
    );
    const dInRows = rowPass(
      bRowsT
        .map((terms, r) => [r, terms] as const)
        .filter(([r]) => r >= Math.max(top, 0) && r < Math.min(top + h, rows.n))
        .map(([r, terms]) => [(r - top) * w * cin * 4, terms.map(([p, c]) => [(p * nc + left) * cin * 4, c])]),
      Math.min(w, nc - left) * cin * 4,
    );
    const image = rows.n * nc * cin * 4;
    // Image-major V and M: the column passes' bases from a table an image (V, M's roots fixed); else one table,
    // the roots shifted a row an image.
    const transform = (passes: [GenPass, GenPass], cols: 0 | 1, strideIn: number, strideOut: number): GenTransform => {
      const col = passes[cols] as GenPass & { image: (b: number) => number[] };
      if (!imageMajor) return { passes, strideIn, strideOut, words: passes.flatMap((p) => p.words), tabStride: 0 };
      const words: number[] = [];
      for (let b = 0; b < batch; b++)
        for (let k = 0; k < 2; k++) words.push(...(k === cols ? col.image(b) : passes[k].words));
      const perImage = passes[0].words.length + passes[1].words.length;
      return {
        passes,
        strideIn: cols === 1 ? strideIn : 0,
        strideOut: cols === 1 ? 0 : strideOut,
        words,
        tabStride: perImage * 4,
      };
    };
    // The kernel's transforms: one image, one pass over rows of cin·cout floats in chunks of up to 8 vectors, a base
    // for each kind pair's U or dU (their offsets depend on the capacity: in the tables, not the code).
    const taps = this.tapTerms();
    const pairs = cin * cout;
    const uAt = groups.map((g) => (g.u - groups[0].u) * 4);
    const duAt = groups.map((g) => (g.du - groups[0].u) * 4);
    let width = 8;
    while (width > 1 && (pairs / 4) % width) width /= 2;
    const chunks = Array.from({ length: pairs / 4 / width }, (_, k) => k * 16 * width);
    const G = groups.length;
    const once = (pass: GenPass): GenTransform => ({
      passes: [pass],
      strideIn: 0,
      strideOut: 0,
      words: pass.words,
      tabStride: 0,
    });
    const kernelPass: GenPass = {
      roots: [0, ...new Array<number>(G).fill(1)],
      rows: taps.map((terms, i) => ({ base: 1 + i, at: 0, terms: terms.map(([at, coef]) => ({ base: 0, at, coef })) })),
      vectors: width,
      iterations: chunks.length,
      words: chunks.flatMap((off) => [off, ...uAt.map((at) => at + off)]),
      bias: false,
      relu: false,
    };
    const kernelBackPass: GenPass = {
      roots: [...new Array<number>(G).fill(0), 1],
      rows: Array.from({ length: 9 }, (_, tap) => ({
        base: G,
        at: tap * pairs * 4,
        terms: taps.flatMap((terms, i) =>
          terms.filter(([at]) => at === tap * pairs * 4).map(([, coef]) => ({ base: i, at: 0, coef })),
        ),
      })),
      vectors: width,
      iterations: chunks.length,
      words: chunks.flatMap((off) => [...duAt.map((at) => at + off), off]),
      bias: false,
      relu: false,
    };
    return [
      transform([inRows, inCols], 1, image, cin * 4),
      transform([outCols, outRows], 0, cout * 4, oh * ow * cout * 4),
      transform([dOutRows, dOutCols], 1, oh * ow * cout * 4, cout * 4),
      transform([dInCols, dInRows], 0, cin * 4, h * w * cin * 4),
      once(kernelPass),
      once(kernelBackPass),
    ];
  }

  /** The generated transforms' functions, compiled at first use (null where they do not compile or would be large). */
  private generated(): Generated[] | null {
    if (this.fns !== undefined) return this.fns;
    this.fns = null;
    const bound = combineOf.get(this.combine);
    const { cin, cout } = this.shape;
    if (!bound || cin > 128 || cout > 128) return null;
    const key = JSON.stringify({ ...this.shape, fma: bound.fma });
    let cache = generatedCache.get(bound.memory);
    if (!cache) generatedCache.set(bound.memory, (cache = new Map()));
    let fns = cache.get(key);
    if (!fns) {
      const [fin, fout, dout, din, kernel, kernelBack] = this.plan(1);
      const flagged = (bias: boolean, relu: boolean): GenTransform => ({
        ...fout,
        passes: [fout.passes[0], { ...fout.passes[1], bias, relu }],
      });
      const list = [
        fin,
        flagged(false, false),
        flagged(false, true),
        flagged(true, false),
        flagged(true, true),
        dout,
        din,
        kernel,
        kernelBack,
      ];
      try {
        const module = new WebAssembly.Module(generatedModule(list, bound.fma));
        const exports = new WebAssembly.Instance(module, { env: { memory: bound.memory } }).exports;
        fns = list.map((_, i) => exports[`f${i}`] as Generated);
      } catch {
        return null;
      }
      cache.set(key, fns);
    }
    return (this.fns = fns);
  }

  /** The tables for `batch` written at their place (again only when the batch changes). */
  private tablesFor(F: Float32Array, batch: number): void {
    if (batch === this.tableBatch) return;
    if (batch > this.capacity) throw new Error(`polyphase convolution: batch ${batch} above capacity ${this.capacity}`);
    if (this.tableWords(batch) > this.sized) throw new Error('polyphase convolution: tables above their place');
    let word = this.tables;
    const images = this.imageMajor ? batch : 1;
    this.built.tables.forEach((t, i) => {
      const cols = ['inCols', 'outCols', 'dOutCols', 'dInCols'].includes(TABLES[i]);
      const n = cols && this.imageMajor ? images : 0;
      this.at[TABLES[i]] = [word * 4, t.rows / Math.max(n, 1), n ? (t.words.length / n) * 4 : 0];
      new Int32Array(F.buffer).set(t.words, word);
      word += t.words.length;
    });
    this.genAt = this.built.gen.map((t) => {
      const at = word * 4;
      new Int32Array(F.buffer).set(t.words, word);
      word += t.words.length;
      return at;
    });
    this.tableBatch = batch;
  }

  private run(
    name: (typeof TABLES)[number],
    input: number,
    out: number,
    len: number,
    bias = 0,
    period = 0,
    relu = false,
    image = 0,
  ): void {
    const [table, n, perImage] = this.at[name];
    this.combine(
      input * 4,
      out * 4,
      table + image * perImage,
      n,
      len * 4,
      wideBytes(len * 4, period * 4),
      bias * 4,
      period * 4,
      relu ? 1 : 0,
    );
  }

  /** Z = conv(X) + bias [relu] into `out` [batch, oh, ow, cout] from `padded` and the kernel at `kernel`. */
  forward(F: Float32Array, kernel: number, bias: number, out: number, batch: number, relu: boolean): void {
    this.tablesFor(F, batch);
    const { cin, cout, oh, ow } = this.shape;
    const { rows, cols, groups, scratch } = this;
    const [g0, v0] = [groups[0], groups[0].v];
    const fns = polyphaseGenerated.on || !this.built.full ? this.generated() : null;
    if (fns) fns[7](kernel * 4, 0, g0.u * 4, 0, 1, this.genAt[4]);
    else this.run('kernel', kernel, g0.u, cin * cout);
    if (fns) {
      const [tin, tout] = this.genAt;
      fns[0](this.padded * 4, v0 * 4, scratch * 4, 0, batch, tin);
      for (const g of groups) this.product(g.v, false, g.u, false, g.m, g.perImage * batch, cout, cin);
      const f = fns[1 + (bias > 0 ? 2 : 0) + (relu ? 1 : 0)];
      f(v0 * 4, out * 4, scratch * 4, bias * 4, batch, tout);
      return;
    }
    const image = rows.n * cols.n * cin;
    for (let b = 0; b < batch; b++) {
      this.run('inRows', this.padded + b * image, scratch, cols.n * cin);
      this.run('inCols', scratch, this.imageMajor ? v0 : v0 + b * cin, cin, 0, 0, false, b);
    }
    for (const g of groups) this.product(g.v, false, g.u, false, g.m, g.perImage * batch, cout, cin);
    for (let b = 0; b < batch; b++) {
      this.run('outCols', this.imageMajor ? v0 : v0 + b * cout, scratch, cout, 0, 0, false, b);
      this.run('outRows', scratch, out + b * oh * ow * cout, ow * cout, bias, bias > 0 ? cout : 0, relu);
    }
  }

  /**
   * From dZ [batch, oh, ow, cout] (the relu's derivative applied): the kernel's gradient into `dkernel` and, when
   * `dx` ≥ 0, dL/dX into dx [batch, h, w, cin]. V (forward's) is overwritten.
   */
  backward(F: Float32Array, dz: number, dkernel: number, dx: number, batch: number): void {
    this.tablesFor(F, batch);
    const { cin, cout, oh, ow, h, w, top, left } = this.shape;
    const { rows, cols, groups, scratch } = this;
    const [g0, v0] = [groups[0], groups[0].v];
    const fns = polyphaseGenerated.on || !this.built.full ? this.generated() : null;
    if (fns) fns[5](dz * 4, v0 * 4, scratch * 4, 0, batch, this.genAt[2]);
    else
      for (let b = 0; b < batch; b++) {
        this.run('dOutRows', dz + b * oh * ow * cout, scratch, ow * cout);
        this.run('dOutCols', scratch, this.imageMajor ? v0 : v0 + b * cout, cout, 0, 0, false, b);
      }
    for (const g of groups) this.product(g.v, true, g.m, false, g.du, cin, cout, g.perImage * batch);
    if (fns) fns[8](g0.u * 4, 0, dkernel * 4, 0, 1, this.genAt[5]);
    else this.run('kernelBack', g0.u, dkernel, cin * cout);
    if (dx < 0) return;
    for (const g of groups) this.product(g.m, false, g.u, true, g.v, g.perImage * batch, cin, cout);
    const covered = top + h <= rows.n && left + w <= cols.n;
    if (!covered) F.fill(0, dx, dx + batch * h * w * cin);
    if (fns) {
      fns[6](v0 * 4, dx * 4, scratch * 4, 0, batch, this.genAt[3]);
      return;
    }
    const width = Math.min(w, cols.n - left);
    for (let b = 0; b < batch; b++) {
      this.run('dInCols', this.imageMajor ? v0 : v0 + b * cin, scratch, cin, 0, 0, false, b);
      this.run('dInRows', scratch, dx + b * h * w * cin, width * cin);
    }
  }
}
