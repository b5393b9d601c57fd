/**
 * The learning rate per epoch (history `lr`, logged when a schedule or ReduceLROnPlateau changes it), one line per
 * run, as a third chart under the training curves. Hidden when no run logs `lr`.
 */
import type { RunRecord } from '../../src/protocol';
import type { ChartData, Series } from '../logic/curves.js';
import { runName } from '../logic/display-format.js';

export function learningRateChart(record: RunRecord): ChartData | undefined {
  const runs = record.runs.filter((r) => (r.history.lr?.length ?? 0) > 0);
  if (runs.length === 0) return undefined;
  const series: Series[] = runs.map((r, i) => ({
    label: runs.length === 1 ? 'learning rate' : runName(r, record.runs),
    group: record.runs.indexOf(r) >= 0 ? record.runs.indexOf(r) : i,
    kind: 'train',
    dashed: false,
    values: r.history.lr.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)),
  }));
  const epochs = Math.max(1, ...record.runs.map((r) => Math.max(r.epochs || 0, r.history.lr?.length ?? 0)));
  return {
    title: 'Learning rate',
    yTitle: 'learning rate',
    epochs,
    series,
    steps: [],
    legend: runs.length > 1 ? series.map((s) => ({ group: s.group, label: s.label })) : [],
    points: Math.max(...series.map((s) => s.values.filter((v) => v !== null).length)),
  };
}
