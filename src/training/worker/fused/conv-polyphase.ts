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
 * The transforms are sparse row combinations (`combine`, one wasm SIMD function driven by tables of offsets and
 * coefficients built here): the input transform in two passes (rows, then columns into each kind pair's V), the
 * output transform in two (columns, then rows, with bias and relu), and their adjoints for the backward pass.
 */
import type { ConvOp } from './conv-eligibility';
import { br, brIf, get, i32, I32, oneFunctionModule, set, simd, uleb, V128, ZERO } from './wasm-emit';

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
  }
  return combine;
}

/** The `wide` argument of `combine` for rows of len bytes (and a bias repeating every `period` bytes, 0: none). */
export const wideBytes = (len: number, period = 0) => (period && period % 64 ? 0 : len - (len % 64));

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
  private built = { batch: 0, capacity: 0, tables: [] as CombineTable[] };
  /** Each table's byte address and row count, once written. */
  private readonly at = {} as Record<(typeof TABLES)[number], [number, number]>;

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
    if (this.built.batch !== batch || this.built.capacity !== capacity)
      this.built = { batch, capacity, tables: this.buildTables(batch) };
    return this.built.tables.reduce((sum, t) => sum + t.words.length, 0);
  }

  /** Floats of the buffers for batches up to `capacity` (the tables' included: they are built here). */
  floats(capacity: number): number {
    return this.place(0, capacity) + this.tableWords(capacity) + 4;
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

  /**
   * The combine tables for a batch: byte offsets relative to each call's bases (V, M at image 0 of a pass: the
   * image's rows follow at a stride of cin or cout floats, so a call per image shifts its base by that).
   */
  private buildTables(batch: number): CombineTable[] {
    const { cin, cout, w, h, ow, oh, top, left } = this.shape;
    const { rows, cols, groups, groupOf } = this;
    const [P, Q, nc] = [rows.points, cols.points, cols.n];
    const group = (p: number, q: number) => groups[groupOf[rows.kind[p]][cols.kind[q]]];
    // The row of point pair (p, q) for image 0 in its group, in floats from the group's start over c channels.
    const pairRow = (p: number, q: number) => (rows.slot[p] * this.cols.count[cols.kind[q]] + cols.slot[q]) * batch;
    const vAt = (p: number, q: number) => (group(p, q).v - groups[0].v + pairRow(p, q) * cin) * 4;
    const mAt = (p: number, q: number) => (group(p, q).m - groups[0].v + pairRow(p, q) * cout) * 4;
    const kernel = new CombineTable();
    const kernelBack = new CombineTable();
    const pairs = cin * cout;
    const tapTerms = (g: Group): [number, number][] => {
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
    };
    for (const g of groups) kernel.row((g.u - groups[0].u) * 4, tapTerms(g));
    for (let tap = 0; tap < 9; tap++)
      kernelBack.row(
        tap * pairs * 4,
        groups.flatMap((g) =>
          tapTerms(g).flatMap(([at, coef]) =>
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
    for (let p = 0; p < P; p++)
      for (let q = 0; q < Q; q++)
        inCols.row(
          vAt(p, q),
          cols.b[q].map(([s, c]) => [(p * nc + s) * cin * 4, c]),
        );
    // Forward output transform, per image: S[p][j] = Σ A[j][q] M(p, q); Y[i] = bias + Σ A[i][p] S[p] (rows ow·cout).
    const outCols = new CombineTable();
    for (let p = 0; p < P; p++)
      for (let j = 0; j < ow; j++)
        outCols.row(
          (p * ow + j) * cout * 4,
          cols.a[j].map(([q, c]) => [mAt(p, q), c]),
        );
    const outRows = new CombineTable();
    for (let i = 0; i < oh; i++)
      outRows.row(
        i * ow * cout * 4,
        rows.a[i].map(([p, c]) => [p * ow * cout * 4, c]),
      );
    // Their adjoints: dS[p] = Σ A[i][p] dY[i]; dM(p, q) = Σ A[j][q] dS[p][j]; dT[p][s] = Σ B[q][s] dV(p, q);
    // dX[r] = Σ B[p][r] dT[p] over the image's rows and columns (the padding's gradients dropped).
    const transpose = (m: [number, number][][], n: number) => {
      const t: [number, number][][] = Array.from({ length: n }, () => []);
      m.forEach((terms, i) => terms.forEach(([j, c]) => t[j].push([i, c])));
      return t;
    };
    const [aRowsT, aColsT, bRowsT, bColsT] = [
      transpose(rows.a, P),
      transpose(cols.a, Q),
      transpose(rows.b, rows.n),
      transpose(cols.b, nc),
    ];
    const dOutRows = new CombineTable();
    for (let p = 0; p < P; p++)
      dOutRows.row(
        p * ow * cout * 4,
        aRowsT[p].map(([i, c]) => [i * ow * cout * 4, c]),
      );
    const dOutCols = new CombineTable();
    for (let p = 0; p < P; p++)
      for (let q = 0; q < Q; q++)
        dOutCols.row(
          mAt(p, q),
          aColsT[q].map(([j, c]) => [(p * ow + j) * cout * 4, c]),
        );
    const dInCols = new CombineTable();
    for (let p = 0; p < P; p++)
      for (let s = 0; s < nc; s++)
        dInCols.row(
          (p * nc + s) * cin * 4,
          bColsT[s].map(([q, c]) => [vAt(p, q), c]),
        );
    const dInRows = new CombineTable();
    for (let r = Math.max(top, 0); r < Math.min(top + h, rows.n); r++)
      dInRows.row(
        (r - top) * w * cin * 4,
        bRowsT[r].map(([p, c]) => [(p * nc + left) * cin * 4, c]),
      );
    return [kernel, kernelBack, inRows, inCols, outCols, outRows, dOutRows, dOutCols, dInCols, dInRows];
  }

  /** The tables for `batch` written at their place (again only when the batch changes). */
  private tablesFor(F: Float32Array, batch: number): void {
    if (batch === this.tableBatch) return;
    if (batch > this.capacity) throw new Error(`polyphase convolution: batch ${batch} above capacity ${this.capacity}`);
    this.tableWords(batch);
    let word = this.tables;
    this.built.tables.forEach((t, i) => {
      this.at[TABLES[i]] = [word * 4, t.rows];
      new Int32Array(F.buffer).set(t.words, word);
      word += t.words.length;
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
  ): void {
    const [table, n] = this.at[name];
    this.combine(
      input * 4,
      out * 4,
      table,
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
    this.run('kernel', kernel, g0.u, cin * cout);
    const image = rows.n * cols.n * cin;
    for (let b = 0; b < batch; b++) {
      this.run('inRows', this.padded + b * image, scratch, cols.n * cin);
      this.run('inCols', scratch, v0 + b * cin, cin);
    }
    for (const g of groups) this.product(g.v, false, g.u, false, g.m, g.perImage * batch, cout, cin);
    for (let b = 0; b < batch; b++) {
      this.run('outCols', v0 + b * cout, scratch, cout);
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
    for (let b = 0; b < batch; b++) {
      this.run('dOutRows', dz + b * oh * ow * cout, scratch, ow * cout);
      this.run('dOutCols', scratch, v0 + b * cout, cout);
    }
    for (const g of groups) this.product(g.v, true, g.m, false, g.du, cin, cout, g.perImage * batch);
    this.run('kernelBack', g0.u, dkernel, cin * cout);
    if (dx < 0) return;
    for (const g of groups) this.product(g.m, false, g.u, true, g.v, g.perImage * batch, cin, cout);
    const covered = top + h <= rows.n && left + w <= cols.n;
    if (!covered) F.fill(0, dx, dx + batch * h * w * cin);
    const width = Math.min(w, cols.n - left);
    for (let b = 0; b < batch; b++) {
      this.run('dInCols', v0 + b * cin, scratch, cin);
      this.run('dInRows', scratch, dx + b * h * w * cin, width * cin);
    }
  }
}
