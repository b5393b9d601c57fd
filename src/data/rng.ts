/**
 * A tiny seeded PRNG (mulberry32). Model Lab owns its randomness so that the same seed gives the same validation
 * split and the same epoch shuffles in the CLI, the editor and every worker, whatever backend tfjs picked.
 */
export interface Rng {
  /** Next float in [0, 1). */
  (): number;
  /** Next integer in [0, n). */
  int(n: number): number;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T;
}

export function createRng(seed: number): Rng {
  // Any number is a valid seed; fold it to 32 bits so 42 and 42.0 (and 2^32 + 42) agree.
  let state = Math.trunc(seed) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const shuffle = <T extends { length: number; [i: number]: unknown }>(array: T): T => {
    for (let i = array.length - 1; i > 0; i--) {
      const j = int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  };
  return Object.assign(next, { int, shuffle });
}
