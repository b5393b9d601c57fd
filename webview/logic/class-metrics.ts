/**
 * Per-class precision, recall and F1 from a confusion matrix (rows: actual class, columns: predicted), as
 * scikit-learn's `classification_report` computes them (a class never predicted has precision 0, never present
 * recall 0), and the matrix normalised per actual class (`confusion_matrix(normalize="true")`). Pure: the panel
 * and the standalone HTML report draw with it.
 */

export interface ClassMetrics {
  className: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples of this class (the row's total). */
  support: number;
}

export function classMetrics(matrix: readonly (readonly number[])[], classNames: readonly string[]): ClassMetrics[] {
  const k = matrix.length;
  const predicted = Array.from({ length: k }, (_, j) => matrix.reduce((sum, row) => sum + (row[j] ?? 0), 0));
  return matrix.map((row, i) => {
    const tp = row[i] ?? 0;
    const support = row.reduce((a, b) => a + b, 0);
    const precision = predicted[i] > 0 ? tp / predicted[i] : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { className: classNames[i] ?? String(i), precision, recall, f1, support };
  });
}

/** Unweighted means over classes (scikit-learn's "macro avg"). */
export function macroAverage(metrics: readonly ClassMetrics[]): { precision: number; recall: number; f1: number } {
  const n = metrics.length || 1;
  const mean = (key: 'precision' | 'recall' | 'f1') => metrics.reduce((a, m) => a + m[key], 0) / n;
  return { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') };
}

/** Each row divided by its total: the share of an actual class given each prediction (a row of zeros stays zeros). */
export function normalizeRows(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total > 0 ? v / total : 0));
  });
}
