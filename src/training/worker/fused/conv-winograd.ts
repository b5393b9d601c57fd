/**
 * Winograd F(2x2, 3x3) for the fused CNN engine's 3x3 stride-1 convolutions (Lavin & Gray 2015): each 2x2 block of
 * output pixels (a tile) is computed from the 4x4 input pixels under it with 16 multiplications per channel pair
 * instead of 36, so the convolution's products shrink 2.25x:
 *
 *   forward   V[ξ] = (Bᵀ d B)[ξ] per tile and channel           (conv-simd.ts winogradInput)
 *             U[ξ] = (G g Gᵀ)[ξ] per channel pair                (kernelTransform, here; winogradKernel)
 *             M[ξ] = V[ξ] @ U[ξ]   16 products [tiles, cin] @ [cin, cout]
 *             y    = Aᵀ M A (+ bias, relu)                       (winogradOutput)
 *   backward  dM   = A dy Aᵀ                                     (winogradOutputBackward, the adjoint)
 *             dU[ξ] = V[ξ]ᵀ @ dM[ξ];  dW = Gᵀ dU G               (kernelTransformBackward; winogradKernelBackward)
 *             dV[ξ] = dM[ξ] @ U[ξ]ᵀ;  dx = Σ_tiles B dV Bᵀ       (winogradInputBackward)
 *
 * The backward pass is the exact adjoint of the forward one, so the gradients are those of what was computed.
 * F(2x2, 3x3)'s matrices hold only 0, ±1 and ±½: its rounding error is within a few float32 ulps of the direct
 * sum's (test/integration/fused-conv-equivalence.test.ts holds it to the stock engine within 1e-4).
 */
import type { ConvOp } from './conv-eligibility';

/** G, the kernel transform's 1-D matrix (4x3). */
const G = [
  [1, 0, 0],
  [0.5, 0.5, 0.5],
  [0.5, -0.5, 0.5],
  [0, 0, 1],
];

/** Whether a convolution runs as Winograd F(2x2, 3x3): 3x3, stride 1, channels in whole vectors. */
export function winogradFits(op: Extract<ConvOp, { kind: 'conv' }>): boolean {
  return op.kh === 3 && op.kw === 3 && op.sh === 1 && op.sw === 1 && op.input.c % 4 === 0 && op.output.c % 4 === 0;
}

/** Tiles of an output of oh x ow pixels per image: rows, columns. */
export const tilesOf = (oh: number, ow: number): [number, number] => [Math.ceil(oh / 2), Math.ceil(ow / 2)];

/** The 16 x 9 coefficients: U[ξ = 4a + b] = Σ G[a][ky] G[b][kx] g[3ky + kx]; zeros left out. */
export const KERNEL_TERMS: [xi: number, tap: number, k: number][] = [];
for (let a = 0; a < 4; a++)
  for (let b = 0; b < 4; b++)
    for (let ky = 0; ky < 3; ky++)
      for (let kx = 0; kx < 3; kx++) {
        const k = G[a][ky] * G[b][kx];
        if (k !== 0) KERNEL_TERMS.push([4 * a + b, 3 * ky + kx, k]);
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

/** The adjoint's terms: dW[tap] = Σ_ξ coefficient · dU[ξ]. */
export const KERNEL_TERMS_BACKWARD: [tap: number, xi: number, k: number][] = KERNEL_TERMS.map(([xi, tap, k]) => [
  tap,
  xi,
  k,
]);

/**
 * U[ξ] = (G g Gᵀ)[ξ]: the Keras kernel [3, 3, cin, cout] at `kernel` is nine [cin, cout] blocks, U sixteen (float
 * offsets into F; `pairs` = cin·cout).
 */
export const kernelTransform = (F: Float32Array, kernel: number, u: number, pairs: number, acc: Float64Array) =>
  combineBlocks(F, kernel, u, pairs, 16, KERNEL_TERMS, acc);

/** dW = Gᵀ dU G, the adjoint of kernelTransform: dW[tap] = Σ_ξ coefficient · dU[ξ]. */
export const kernelTransformBackward = (F: Float32Array, du: number, dw: number, pairs: number, acc: Float64Array) =>
  combineBlocks(F, du, dw, pairs, 9, KERNEL_TERMS_BACKWARD, acc);
