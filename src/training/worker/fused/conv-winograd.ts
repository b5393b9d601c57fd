/**
 * Winograd F(2x2, 3x3) and F(4x4, 3x3) for the fused CNN engine's 3x3 stride-1 convolutions (Lavin & Gray 2015):
 * each m x m block of output pixels (a tile, m = 2 or 4) is computed from the α x α input pixels under it (α = m + 2)
 * with α² multiplications per channel pair instead of 9m², so the convolution's products shrink 2.25x (F(2x2)) or
 * 4x (F(4x4)):
 *
 *   forward   V[ξ] = (Bᵀ d B)[ξ] per tile and channel           (conv-simd.ts winogradInput)
 *             U[ξ] = (G g Gᵀ)[ξ] per channel pair                (kernelTransform, here; winogradKernel)
 *             M[ξ] = V[ξ] @ U[ξ]   α² products [tiles, cin] @ [cin, cout]
 *             y    = Aᵀ M A (+ bias, relu)                       (winogradOutput)
 *   backward  dM   = A dy Aᵀ                                     (winogradOutputBackward, the adjoint)
 *             dU[ξ] = V[ξ]ᵀ @ dM[ξ];  dW = Gᵀ dU G               (kernelTransformBackward; winogradKernelBackward)
 *             dV[ξ] = dM[ξ] @ U[ξ]ᵀ;  dx = Σ_tiles B dV Bᵀ       (winogradInputBackward)
 *
 * The backward pass is the exact adjoint of the forward one, so the gradients are those of what was computed.
 * F(2x2, 3x3)'s matrices hold only 0, ±1 and ±½: its rounding error is within a few float32 ulps of the direct
 * sum's. F(4x4, 3x3) interpolates at 0, 1, -1, ½, -2 and ∞, the points Barabasz, Mahmoud, Gregg ("Error analysis
 * and improving the accuracy of Winograd convolution for deep neural networks", 2020) find most accurate for it in
 * float32: Bᵀ and Aᵀ hold small dyadic numbers (exact in float32), G thirds and fifteenths (the kernel transform runs
 * in double and rounds once). Its error is about 4x F(2x2)'s on average, 1e-6 relative to the outputs
 * (test/unit/fused-conv-winograd.test.ts measures both sets of points), and the engine stays within the 1e-4 bound
 * of test/integration/fused-conv-equivalence.test.ts.
 */
import type { ConvOp } from './conv-eligibility';

/**
 * One dimension of a tile: m outputs from α inputs through Bᵀ (α x α) and Aᵀ (m x α); `points` says where each of
 * its α points sits among its variant's (the transformed matrix ξ of point pair (a, b) is α·points[a] + points[b],
 * α the variant's), so that a tile of the edge axis uses the variant's own U.
 */
export interface WinogradAxis {
  m: number;
  alpha: number;
  BT: number[][];
  AT: number[][];
  points: number[];
}

/** One Winograd algorithm F(m x m, 3x3): its 1-D matrices and the kernel transform's terms. */
export interface WinogradVariant {
  /** Output tile size m, input tile size α = m + 2. */
  m: number;
  alpha: number;
  /** Bᵀ (α x α), G (α x 3), Aᵀ (m x α). */
  BT: number[][];
  G: number[][];
  AT: number[][];
  /** U[ξ = α·a + b] = Σ G[a][ky] G[b][kx] g[3ky + kx]: [ξ, tap, coefficient], zeros left out. */
  kernelTerms: [xi: number, tap: number, k: number][];
  /** The adjoint's: dW[tap] = Σ_ξ coefficient · dU[ξ]. */
  kernelTermsBackward: [tap: number, xi: number, k: number][];
  /** Name in the run record. */
  name: string;
  /** Its own axis (all α points). */
  axis: WinogradAxis;
  /**
   * A smaller axis on a subset of its points, for the last tile of a dimension whose size leaves 1 or 2 outputs
   * (F(4x4)'s: F(2, 3) at 0, 1, -1 and ∞), or none.
   */
  edge?: WinogradAxis;
}

function variant(BT: number[][], G: number[][], AT: number[][], edge?: WinogradAxis): WinogradVariant {
  const [m, alpha] = [AT.length, BT.length];
  const kernelTerms: [number, number, number][] = [];
  for (let a = 0; a < alpha; a++)
    for (let b = 0; b < alpha; b++)
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) {
          const k = G[a][ky] * G[b][kx];
          if (k !== 0) kernelTerms.push([alpha * a + b, 3 * ky + kx, k]);
        }
  const kernelTermsBackward = kernelTerms.map(([xi, tap, k]): [number, number, number] => [tap, xi, k]);
  const axis = { m, alpha, BT, AT, points: BT.map((_, i) => i) };
  return { m, alpha, BT, G, AT, kernelTerms, kernelTermsBackward, name: `F(${m}x${m}, 3x3)`, axis, edge };
}

/**
 * The matrices of F(m, 3) by Toom-Cook at the finite points `points` and ∞ (correlation form, y[i] = Σ_k d[i+k]
 * g[k]): Aᵀ[i][j] = p_j^i, G[j][k] = p_j^k / Π_{l≠j} (p_j - p_l), Bᵀ's rows the coefficients of Π_{l≠j} (x - p_l),
 * the last ones ∞'s.
 */
export function toomCook(points: number[], m: number): { BT: number[][]; G: number[][]; AT: number[][] } {
  const alpha = points.length + 1;
  const poly = (roots: number[]) => {
    let c = [1];
    for (const r of roots) {
      const next = new Array<number>(c.length + 1).fill(0);
      c.forEach((v, i) => {
        next[i + 1] += v;
        next[i] -= r * v;
      });
      c = next;
    }
    return [...c, ...new Array<number>(alpha - c.length).fill(0)];
  };
  const AT = Array.from({ length: m }, (_, i) => [...points.map((p) => p ** i), i === m - 1 ? 1 : 0]);
  const G = points.map((p, j) => {
    const den = points.reduce((d, q, l) => (l === j ? d : d * (p - q)), 1);
    return [0, 1, 2].map((k) => p ** k / den);
  });
  G.push([0, 0, 1]);
  const BT = points.map((_, j) => poly(points.filter((__, l) => l !== j)));
  BT.push(poly(points));
  return { BT, G, AT };
}

/** F(2x2, 3x3) (Lavin's matrices: 0, ±1 and ±½). */
export const F2X2 = variant(
  [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ],
  [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
);

/** The finite interpolation points of F(4x4, 3x3) (with ∞). */
export const F4X4_POINTS = [0, 1, -1, 0.5, -2];
const f4 = toomCook(F4X4_POINTS, 4);

/**
 * F(m', 3) at a subset `subset` of the finite points `points` (and ∞) that multiplies by the kernel transform of
 * the full set: Toom-Cook's G row of a point p is (1, p, p²) / Π_{q≠p} (p - q) over the other points, so the
 * subset's G rows are the full set's times den_full(p) / den_subset(p); that factor moves into Aᵀ's column of p.
 */
export function edgeAxis(points: number[], subset: number[]): WinogradAxis {
  const m = subset.length - 1;
  const { BT, AT } = toomCook(subset, m);
  const den = (set: number[], p: number) => set.reduce((d, q) => (q === p ? d : d * (p - q)), 1);
  const scale = [...subset.map((p) => den(points, p) / den(subset, p)), 1];
  return {
    m,
    alpha: subset.length + 1,
    BT,
    AT: AT.map((row) => row.map((k, j) => k * scale[j])),
    points: [...subset.map((p) => points.indexOf(p)), points.length],
  };
}

/**
 * F(4x4, 3x3): 36 products per tile of 16 outputs; a dimension whose size is 1 or 2 past a multiple of 4 ends with
 * a tile of F(2, 3) at 0, 1, -1 and ∞ on F(4x4)'s U (24 products per 4x2 or 2x4 tile, 16 per 2x2 one).
 */
export const F4X4 = variant(f4.BT, f4.G, f4.AT, edgeAxis(F4X4_POINTS, [0, 1, -1]));

/** Whether a convolution runs as Winograd: 3x3, stride 1, channels in whole vectors. */
export function winogradFits(op: Extract<ConvOp, { kind: 'conv' }>): boolean {
  return op.kh === 3 && op.kw === 3 && op.sh === 1 && op.sw === 1 && op.input.c % 4 === 0 && op.output.c % 4 === 0;
}

/** Tiles of an output of oh x ow pixels per image for tiles of m x m: rows, columns. */
export const tilesOf = (oh: number, ow: number, m = 2): [number, number] => [Math.ceil(oh / m), Math.ceil(ow / m)];

/** Which axes a part's rows and columns take: F the variant's own, E its edge. */
export type PartKind = 'FF' | 'EF' | 'FE' | 'EE';
/** The kinds of part a variant's tilings have, in their order. */
export const partKinds = (v: WinogradVariant): PartKind[] => (v.edge ? ['EF', 'FF', 'FE', 'EE'] : ['FF']);

/** The tiles of one kind: th x tw of them per image, the first output pixel at (oy, ox). */
export interface WinogradPart {
  kind: PartKind;
  rows: WinogradAxis;
  cols: WinogradAxis;
  oy: number;
  ox: number;
  th: number;
  tw: number;
  /** Tiles per image of the parts before this one: its rows of V and M start at batch · before. */
  before: number;
}

/** A Winograd convolution's tiles: its parts and, per ξ, the rows of V[ξ] and M[ξ] its products use. */
export interface WinogradTiling {
  variant: WinogradVariant;
  parts: WinogradPart[];
  /** Tiles per image (rows of V[ξ] per image). */
  tiles: number;
  /** Per ξ, the parts that use it: their rows [lo, hi) per image (times the batch), a contiguous range. */
  ranges: [lo: number, hi: number][];
}

/**
 * The tiles of an oh x ow output. Per dimension, tiles of the variant's m, and where 1 or 2 outputs are left past
 * them and the variant has an edge axis, one edge tile (for the small CNN's 14x14 with F(4x4): 4 + 4 + 4 + 2, 484
 * products per image and channel pair instead of 16 tiles' 576). The parts go in the order EF, FF, FE, EE, so that
 * the tiles using any ξ are one range of rows: every part uses the ξ of points the edge shares, FF alone the rest.
 */
export function winogradTiling(oh: number, ow: number, variant: WinogradVariant): WinogradTiling {
  const { m, axis, edge } = variant;
  const split = (o: number): [full: number, edge: number] =>
    edge && o % m !== 0 && o % m <= edge.m ? [Math.floor(o / m), 1] : [Math.ceil(o / m), 0];
  const [[rf, re], [cf, ce]] = [split(oh), split(ow)];
  const parts: WinogradPart[] = [];
  let before = 0;
  for (const kind of partKinds(variant)) {
    const [er, ec] = [kind[0] === 'E', kind[1] === 'E'];
    const [th, tw] = [er ? re : rf, ec ? ce : cf];
    if (th * tw === 0) continue;
    const [rows, cols] = [er ? edge! : axis, ec ? edge! : axis];
    parts.push({ kind, rows, cols, oy: er ? rf * m : 0, ox: ec ? cf * m : 0, th, tw, before });
    before += th * tw;
  }
  const ranges = Array.from({ length: variant.alpha ** 2 }, (_, xi): [number, number] => {
    const [a, b] = [Math.floor(xi / variant.alpha), xi % variant.alpha];
    const using = parts.filter((p) => p.rows.points.includes(a) && p.cols.points.includes(b));
    if (!using.length) return [0, 0];
    const [lo, hi] = [
      using[0].before,
      using[using.length - 1].before + using[using.length - 1].th * using[using.length - 1].tw,
    ];
    if (using.reduce((n, p) => n + p.th * p.tw, 0) !== hi - lo)
      throw new Error(`Winograd ξ ${xi}: its tiles are not one range`);
    return [lo, hi];
  });
  return { variant, parts, tiles: before, ranges };
}

/** Products per image and channel pair of a tiling (Σ over ξ of its rows). */
export const tilingProducts = (t: WinogradTiling) => t.ranges.reduce((n, [lo, hi]) => n + hi - lo, 0);

/**
 * The variant for an output of oh x ow pixels: F(4x4) where its transformed data (and its products) are smaller
 * than F(2x2)'s counted as whole F(4x4) tiles (36 per tile of 16 against 16 per 4 pixels: not on outputs so small
 * that F(4x4)'s tiles are mostly padding). Its edge tiles then make it cheaper still; where they would tip the
 * choice (6x6, 3x2) F(2x2) stays, not measured against it.
 */
export function winogradVariant(oh: number, ow: number): WinogradVariant {
  const size = (v: WinogradVariant) => v.alpha ** 2 * tilesOf(oh, ow, v.m).reduce((a, b) => a * b);
  return size(F4X4) < size(F2X2) ? F4X4 : F2X2;
}

/**
 * Per output block o: Σ k · block `from` of `terms` [o, from, k], each block `pairs` floats, summed in double: the
 * definition of conv-simd.ts's winogradKernel / winogradKernelBackward, which the engine runs (bit-equal, tested).
 */
function combineBlocks(
  F: Float32Array,
  source: number,
  target: number,
  pairs: number,
  outputs: number,
  terms: [number, number, number][],
  acc: Float64Array,
): void {
  for (let o = 0; o < outputs; o++) {
    const sum = acc.subarray(0, pairs).fill(0);
    for (const [to, from, k] of terms) {
      if (to !== o) continue;
      for (let i = 0, at = source + from * pairs; i < pairs; i++) sum[i] += k * F[at + i];
    }
    F.set(sum, target + o * pairs);
  }
}

/**
 * U[ξ] = (G g Gᵀ)[ξ]: the Keras kernel [3, 3, cin, cout] at `kernel` is nine [cin, cout] blocks, U α² (float
 * offsets into F; `pairs` = cin·cout).
 */
export const kernelTransform = (
  F: Float32Array,
  kernel: number,
  u: number,
  pairs: number,
  acc: Float64Array,
  v: WinogradVariant = F2X2,
) => combineBlocks(F, kernel, u, pairs, v.alpha ** 2, v.kernelTerms, acc);

/** dW = Gᵀ dU G, the adjoint of kernelTransform: dW[tap] = Σ_ξ coefficient · dU[ξ]. */
export const kernelTransformBackward = (
  F: Float32Array,
  du: number,
  dw: number,
  pairs: number,
  acc: Float64Array,
  v: WinogradVariant = F2X2,
) => combineBlocks(F, du, dw, pairs, 9, v.kernelTermsBackward, acc);
