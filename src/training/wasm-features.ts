/**
 * WebAssembly features the fused engine's kernels use when the runtime has them, and the V8 flag that turns one on
 * in a forked worker. Relaxed SIMD gives `f32x4.relaxed_madd` (a fused multiply-add): on by default in recent V8
 * (VS Code's extension host, Node 22+), behind `--experimental-wasm-relaxed-simd` in Node 20.
 */

/** (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd) */
const RELAXED_MADD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, 0x03,
  0x02, 0x01, 0x00, 0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

/** Whether this process's WebAssembly accepts relaxed-SIMD code. */
export function hasRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(RELAXED_MADD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Flags for a forked worker, which runs the same V8 as this process: none when relaxed SIMD is on already, the
 * Node 20 flag when it is not (not under Electron, whose V8 has it on when it has it at all).
 */
export function workerV8Flags(): string[] {
  if (hasRelaxedSimd() || process.versions.electron) return [];
  return ['--experimental-wasm-relaxed-simd'];
}
