/** How numbers and shapes read in summaries, hovers and messages (Keras's conventions). */
import type { Shape } from './types';

/** `79510` → `79,510` (Keras's totals; always en-US grouping, whatever the machine's locale). */
export function thousands(n: number): string {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.abs(Math.trunc(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * `[null, 100]` → `(None, 100)`; a one-element shape keeps Python's trailing comma, `(None,)`, unless `tupleComma` is
 * false: Keras 3's summary joins the dimensions itself and prints `(None)`.
 */
export function formatShape(shape: Shape, tupleComma = true): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return parts.length === 1 && tupleComma ? `(${parts[0]},)` : `(${parts.join(', ')})`;
}

/** `'a', 'b' or 'c'` for messages. */
export function quoteList(items: readonly string[]): string {
  const q = items.map((s) => `'${s}'`);
  if (q.length <= 1) return q.join('');
  return `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** A value as a user wrote it, shortened for one-line messages. */
export function showValue(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = `'${v}'`;
  else if (v === undefined) s = 'nothing';
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
