/**
 * What the two charts draw, as plain series (the chart module only adds colours and markers). Every run group
 * (a single run, a variant's repeats, a pinned record's run) has one colour, one marker and one legend entry; its
 * training curve is dashed and its validation curve solid, and the Train / Validation / Both toggle picks which are
 * drawn. Groups of repeats draw the mean per epoch with a ± std band.
 */
import type { RunRecord } from '../../src/protocol';
import { groupRuns, type RunGroup } from '../../src/results/run-groups';
import { mean, sampleStd } from '../../src/results/stats';

export type CurveKind = 'train' | 'val';
/** Which curves the toggle shows. */
export type CurveFilter = 'train' | 'val' | 'both';

export interface Series {
  /** The group's unique name (its legend entry). */
  label: string;
  /** Index of the group, for its colour and marker. */
  group: number;
  kind: CurveKind;
  /** Training curves are dashed, validation solid. */
  dashed: boolean;
  /** Value per epoch (index 0 = epoch 1); null where no run has reached that epoch. */
  values: (number | null)[];
  /** ± std per epoch when the group has repeats. */
  std?: (number | null)[];
}

export interface LegendEntry {
  group: number;
  label: string;
}

export interface ChartData {
  title: string;
  /** The y axis: the metric's name. */
  yTitle: string;
  /** 1 … the longest planned or reached epoch count. */
  epochs: number;
  series: Series[];
  /** One entry per group that has a curve in this chart. */
  legend: LegendEntry[];
  /** The longest series, in drawn points: the test hook `data-points`. */
  points: number;
}

export interface CurveSet {
  loss: ChartData;
  accuracy: ChartData;
}

/** Mean and std per epoch over runs that may have reached different epochs. */
export function aggregateCurve(histories: number[][]): { values: (number | null)[]; std: (number | null)[] } {
  const length = Math.max(0, ...histories.map((h) => h.length));
  const values: (number | null)[] = [];
  const std: (number | null)[] = [];
  for (let i = 0; i < length; i++) {
    const at = histories.map((h) => h[i]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    values.push(at.length ? mean(at) : null);
    std.push(sampleStd(at) ?? null);
  }
  return { values, std };
}

/** A failed run's partial curve is noise next to the others, but it is all there is when every run failed. */
function curveRuns(group: RunGroup): RunGroup['runs'] {
  const ok = group.runs.filter((r) => r.status !== 'failed');
  return ok.length > 0 ? ok : group.runs;
}

function seriesOf(group: RunGroup, metric: string, kind: CurveKind): Series | undefined {
  const histories = curveRuns(group)
    .map((r) => r.history[metric])
    .filter((h): h is number[] => Array.isArray(h) && h.length > 0);
  if (histories.length === 0) return undefined;
  const { values, std } = aggregateCurve(histories);
  return { label: group.name, group: group.index, kind, dashed: kind === 'train', values, std: histories.length > 1 ? std : undefined };
}

function drawn(series: Series[]): number {
  return Math.max(0, ...series.map((s) => s.values.filter((v) => v !== null).length));
}

export function curveSet(record: RunRecord, pinned: RunRecord[] = [], filter: CurveFilter = 'both'): CurveSet {
  const groups = groupRuns(record, pinned);
  const epochs = Math.max(
    1,
    ...[record, ...pinned].flatMap((rec) => rec.runs.map((r) => Math.max(r.epochs || 0, ...Object.values(r.history).map((h) => h.length)))),
  );
  const chart = (title: string, metric: string): ChartData => {
    const series = groups.flatMap((g) => [
      filter !== 'val' ? seriesOf(g, metric, 'train') : undefined,
      filter !== 'train' ? seriesOf(g, `val_${metric}`, 'val') : undefined,
    ]);
    const present = series.filter((s): s is Series => s !== undefined);
    const legend = groups.filter((g) => present.some((s) => s.group === g.index)).map((g) => ({ group: g.index, label: g.name }));
    return { title, yTitle: metric, epochs, series: present, legend, points: drawn(present) };
  };
  return { loss: chart('Loss', 'loss'), accuracy: chart('Accuracy', 'accuracy') };
}
