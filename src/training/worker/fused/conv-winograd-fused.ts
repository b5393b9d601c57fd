/**
 * The fused Winograd forward pass of the CNN engine: the α² products of a block of MR tiles and NR output channels
 * run into a scratch tile each (the packed product's own micro-kernel, `packed-gemm.ts`), and the output transform
 * reads them from there, so M, α²/m² times the output's size, is never written out and read back (for the small
 * CNN's F(4x4, 3x3) layer 4.7 MB a step each way). The code is `conv-simd.ts`'s `winogradFusedFunctions`; this file
 * compiles it with the micro-kernel and binds it to a memory. It computes the same floats as the unfused products
 * and `winogradOutput` (test/unit/fused-conv-winograd.test.ts).
 */
import { hasRelaxedSimd } from '../../wasm-features';
import { compileModule, winogradFusedFunctions } from './conv-simd';
import { F2X2, F4X4, partKinds, type PartKind, type WinogradVariant } from './conv-winograd';
import { gemmMicroKernel, MR, NR } from './packed-gemm';

type Call = (...args: number[]) => void;

/** The fused forward of one variant: `pack` U into panels, then `forward` each part (arguments as in conv-simd.ts). */
export interface WinogradFused {
  pack: Call;
  forward: Partial<Record<PartKind, Call>>;
  /** Bytes of the scratch `forward` needs. */
  scratchBytes: number;
}

const instances = new Map<string, WeakMap<WebAssembly.Memory, Map<WinogradVariant, WinogradFused>>>();

/** Whether the fused forward takes a convolution of these channel counts (one k block of the micro-kernel). */
export const winogradFusedFits = (cin: number, cout: number) => cout % NR === 0 && cin <= 256;

/**
 * The fused forward bound to `memory` for `variant`, with relaxed-SIMD FMA products when the runtime has them and
 * `fma` is not false (as `packedGemm`), or undefined where the runtime has no wasm SIMD.
 */
export function winogradFused(
  memory: WebAssembly.Memory,
  variant: WinogradVariant,
  fma?: boolean,
): WinogradFused | undefined {
  const withFma = fma !== false && hasRelaxedSimd();
  let byMemory = instances.get(String(withFma));
  if (!byMemory) instances.set(String(withFma), (byMemory = new WeakMap()));
  let byVariant = byMemory.get(memory);
  if (!byVariant) {
    try {
      byVariant = new Map();
      for (const v of [F2X2, F4X4]) {
        const module = new WebAssembly.Module(
          compileModule(winogradFusedFunctions(v, MR, NR), gemmMicroKernel(withFma)),
        );
        const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
        byVariant.set(v, {
          pack: exports.winogradPack as Call,
          forward: Object.fromEntries(
            partKinds(v).map((kind) => [kind, exports[`winogradForwardFused${kind === 'FF' ? '' : kind}`] as Call]),
          ),
          scratchBytes: v.alpha ** 2 * MR * NR * 4,
        });
      }
    } catch {
      return undefined;
    }
    byMemory.set(memory, byVariant);
  }
  return byVariant.get(variant);
}
