/** The comparison table's rows: one per run group, with mean ± std of the final epoch's metrics. */
import type { RunRecord, RunStatus } from '../../src/protocol';
import { formatOptimizerChange, formatVariantSet } from './change';
import { groupRuns, groupStatus, groupStatusText, reportingRuns, type RunGroup } from './groups';
import { stat, type Stat } from './stats';

export const METRIC_KEYS = ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface ComparisonRow {
  key: string;
  label: string;
  recordId: string;
  recordCreatedAt: string;
  pinned: boolean;
  runIds: string[];
  status: RunStatus;
  statusText: string;
  /** Error messages of failed runs, for the status cell's tooltip. */
  errors: string[];
  metrics: Partial<Record<MetricKey, Stat>>;
  /** Mean time per epoch over the reporting runs, in ms. */
  epochMs?: Stat;
  /** Runs the numbers are computed from. */
  reporting: number;
  changed: string;
}

export function comparisonRows(record: RunRecord, pinned: RunRecord[] = []): ComparisonRow[] {
  const groups = groupRuns(record, pinned);
  const optimizers = groups.map((g) => g.runs[0].optimizer);
  return groups.map((group) => rowOf(group, optimizers));
}

function rowOf(group: RunGroup, allOptimizers: RunGroup['runs'][number]['optimizer'][]): ComparisonRow {
  const reporting = reportingRuns(group.runs);
  const metrics: ComparisonRow['metrics'] = {};
  for (const key of METRIC_KEYS) {
    const s = stat(reporting.map((r) => last(r.history[key])));
    if (s) metrics[key] = s;
  }
  const first = group.runs[0];
  return {
    key: group.key,
    label: group.label,
    recordId: group.recordId,
    recordCreatedAt: group.recordCreatedAt,
    pinned: group.pinned,
    runIds: group.runs.map((r) => r.runId),
    status: groupStatus(group.runs),
    statusText: groupStatusText(group.runs),
    errors: group.runs.filter((r) => r.status === 'failed' && r.error).map((r) => r.error as string),
    metrics,
    epochMs: stat(reporting.map((r) => (r.epochMs.length ? r.epochMs.reduce((a, b) => a + b, 0) / r.epochMs.length : undefined))),
    reporting: reporting.length,
    changed:
      first.variant && Object.keys(first.variant.set).length > 0
        ? formatVariantSet(first.variant.set)
        : formatOptimizerChange(first.optimizer, allOptimizers),
  };
}

function last(values: number[] | undefined): number | undefined {
  return values && values.length > 0 ? values[values.length - 1] : undefined;
}

/**
 * The best row: highest mean val_accuracy, else lowest mean val_loss (classification without a validation split has
 * neither, and then nothing is highlighted). Failed rows never win. Returns -1 when no row qualifies.
 */
export function bestRowIndex(rows: ComparisonRow[]): number {
  // Only a finished row can be best: a running or stopped row's partial numbers are not comparable.
  const indexed = rows.map((row, i) => ({ row, i }));
  const completed = indexed.filter(({ row }) => row.status === 'completed');
  const candidates = completed.length ? completed : indexed.filter(({ row }) => row.status !== 'failed');
  const pick = (key: MetricKey, better: (a: number, b: number) => boolean): number => {
    let best = -1;
    let bestValue = NaN;
    for (const { row, i } of candidates) {
      const v = row.metrics[key]?.mean;
      if (v === undefined) continue;
      if (best === -1 || better(v, bestValue)) {
        best = i;
        bestValue = v;
      }
    }
    return best;
  };
  const byAccuracy = pick('val_accuracy', (a, b) => a > b);
  return byAccuracy !== -1 ? byAccuracy : pick('val_loss', (a, b) => a < b);
}
