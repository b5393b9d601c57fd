/** What a confusion matrix says at a glance, also when it has a thousand classes: its largest confusions. */

export interface Confusion {
  actual: number;
  predicted: number;
  count: number;
  /** Share of the actual class's examples. */
  share: number;
}

/**
 * The `limit` largest off-diagonal cells, largest count first (ties: the larger share, then the lower indices).
 * One pass with a small sorted buffer: bounded memory and time for 1,000 × 1,000.
 */
export function topConfusions(matrix: number[][], limit = 20): Confusion[] {
  const top: Confusion[] = [];
  const worse = (a: Confusion, b: Confusion) =>
    b.count - a.count || b.share - a.share || a.actual - b.actual || a.predicted - b.predicted;
  matrix.forEach((row, actual) => {
    let total = 0;
    for (const v of row) total += v;
    row.forEach((count, predicted) => {
      if (predicted === actual || !(count > 0)) return;
      const c = { actual, predicted, count, share: total > 0 ? count / total : 0 };
      if (top.length === limit && worse(c, top[top.length - 1]) >= 0) return;
      top.push(c);
      top.sort(worse);
      if (top.length > limit) top.pop();
    });
  });
  return top;
}
