/** Mean and spread of repeated runs, and how far apart two results must be before one is better. */

export interface Stat {
  mean: number;
  /** Sample standard deviation (n − 1): repeats are a sample of what the seed could have given. Absent when n < 2. */
  std?: number;
  n: number;
}

export function mean(values: number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function sampleStd(values: number[]): number | undefined {
  if (values.length < 2) return undefined;
  const m = mean(values);
  let sq = 0;
  for (const v of values) sq += (v - m) * (v - m);
  return Math.sqrt(sq / (values.length - 1));
}

/** Mean ± std of the finite values; undefined when there are none. */
export function stat(values: (number | undefined)[]): Stat | undefined {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return undefined;
  return { mean: mean(finite), std: sampleStd(finite), n: finite.length };
}

/**
 * The standard error of a mean result. From the repeats when there are several (std / √n); otherwise, for an
 * accuracy measured on `examples` validation examples, the binomial one (√(p(1 − p) / examples)); otherwise unknown.
 */
export function standardError(s: Stat, opts: { accuracy: boolean; examples?: number }): number | undefined {
  if (s.n > 1 && s.std !== undefined) return s.std / Math.sqrt(s.n);
  if (opts.accuracy && opts.examples && opts.examples > 0 && s.mean >= 0 && s.mean <= 1) {
    return Math.sqrt((s.mean * (1 - s.mean)) / opts.examples);
  }
  return undefined;
}
