/** Convolution and pooling windows for the fused CNN kernels' tests, as the engine's plan makes them. */
import assert from 'node:assert/strict';
import { windowOf } from '../../src/training/worker/fused/conv-eligibility';
import type { Geometry } from '../../src/training/worker/fused/conv-kernels';

/** The geometry the engine's plan gives a window (`conv-eligibility.ts`): TensorFlow's output sizes and padding. */
export function geometry(
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  same: boolean,
): Geometry {
  const window = windowOf({ h, w, c }, [kh, kw], [sh, sw], same ? 'same' : 'valid', 'test');
  assert.ok(typeof window !== 'string', window as string);
  return { h, w, c, ...window };
}
