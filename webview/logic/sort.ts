/** Sorting the comparison table by a column; rows without a value stay at the bottom in both directions. */
import type { ComparisonRow, MetricKey } from '../../src/results/comparison-rows';

export type SortColumn = 'label' | 'status' | MetricKey | 'epochMs' | 'changed';
export type SortDirection = 'ascending' | 'descending';

export interface SortState {
  column: SortColumn;
  direction: SortDirection;
}

function valueOf(row: ComparisonRow, column: SortColumn): string | number | undefined {
  switch (column) {
    case 'label':
      return row.label;
    case 'status':
      return row.status;
    case 'changed':
      return row.changed;
    case 'epochMs':
      return row.epochMs?.mean;
    default:
      return row.metrics[column]?.mean;
  }
}

/** A sorted copy; ties keep their original order. */
export function sortRows(rows: ComparisonRow[], sort: SortState): ComparisonRow[] {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: valueOf(row, sort.column) }))
    .sort((a, b) => {
      if (a.v === undefined || b.v === undefined) {
        if (a.v === b.v) return a.i - b.i;
        return a.v === undefined ? 1 : -1;
      }
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((x) => x.row);
}

/** Clicking a header: a new column starts with its natural direction (accuracy high-first), the same column flips. */
export function nextSort(current: SortState | undefined, column: SortColumn): SortState {
  if (current && current.column === column) {
    return { column, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  }
  const highFirst = column === 'accuracy' || column === 'val_accuracy';
  return { column, direction: highFirst ? 'descending' : 'ascending' };
}
