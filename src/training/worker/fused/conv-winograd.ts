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
}

function variant(BT: number[][], G: number[][], AT: number[][]): WinogradVariant {
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
  return { m, alpha, BT, G, AT, kernelTerms, kernelTermsBackward, name: `F(${m}x${m}, 3x3)` };
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
/** F(4x4, 3x3): 36 products per tile of 16 outputs. */
export const F4X4 = variant(f4.BT, f4.G, f4.AT);

/** Whether a convolution runs as Winograd: 3x3, stride 1, channels in whole vectors. */
export function winogradFits(op: Extract<ConvOp, { kind: 'conv' }>): boolean {
  return op.kh === 3 && op.kw === 3 && op.sh === 1 && op.sw === 1 && op.input.c % 4 === 0 && op.output.c % 4 === 0;
}

/** Tiles of an output of oh x ow pixels per image for tiles of m x m: rows, columns. */
export const tilesOf = (oh: number, ow: number, m = 2): [number, number] => [Math.ceil(oh / m), Math.ceil(ow / m)];

/**
 * The variant for an output of oh x ow pixels: F(4x4) where its transformed data (and its products) are smaller
 * than F(2x2)'s (36 per tile of 16 against 16 per 4 pixels: not on outputs so small that F(4x4)'s tiles are mostly
 * padding).
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
