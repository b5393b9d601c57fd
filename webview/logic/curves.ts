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

/** A run group's per-step training curve (smoothed), drawn thin under the epoch curves. */
export interface StepSeries {
  label: string;
  group: number;
  points: { x: number; y: number }[];
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
  /** Per-step training curves (while an epoch runs, and what a stopped run reached). */
  steps: StepSeries[];
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
  return {
    label: group.name,
    group: group.index,
    kind,
    dashed: kind === 'train',
    values,
    std: histories.length > 1 ? std : undefined,
  };
}

function drawn(series: Series[]): number {
  return Math.max(0, ...series.map((s) => s.values.filter((v) => v !== null).length));
}

export interface CurveOptions {
  /** Which curves: training, validation or both. */
  filter?: CurveFilter;
  /** Draw per-step training curves. */
  steps?: boolean;
  /** Exponential smoothing of the step curves, 0 (none) … 0.99 (TensorBoard's slider). */
  smoothing?: number;
  /** The second chart's metric: `accuracy` by default, any other logged metric, or `time` (seconds per epoch). */
  metric?: string;
}

/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the first points are not pulled toward 0.
 * Non-finite values are skipped.
 */
export function smooth(points: { x: number; y: number }[], weight: number): { x: number; y: number }[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  let last = 0;
  let n = 0;
  const out: { x: number; y: number }[] = [];
  for (const p of points) {
    if (!Number.isFinite(p.y)) continue;
    last = last * w + (1 - w) * p.y;
    n++;
    out.push({ x: p.x, y: w === 0 ? p.y : last / (1 - w ** n) });
  }
  return out;
}

/** Metrics the second chart can show: the logged metrics by their training name (accuracy first), then time. */
export function metricChoices(record: RunRecord, pinned: RunRecord[] = []): string[] {
  const names = new Set<string>();
  for (const rec of [record, ...pinned])
    for (const r of rec.runs) for (const k of Object.keys(r.history)) names.add(k.replace(/^val_/, ''));
  names.delete('loss');
  const rest = [...names].filter((m) => m !== 'accuracy').sort();
  return [...(names.has('accuracy') ? ['accuracy'] : []), ...rest, 'time'];
}

function stepSeries(group: RunGroup, metric: 'loss' | 'accuracy', smoothing: number): StepSeries | undefined {
  // Repeats would overlay noise; the group's first run that has steps stands for it.
  const run = curveRuns(group).find((r) => Array.isArray(r.steps) && r.steps.length > 0);
  if (!run?.steps) return undefined;
  const raw = run.steps
    .filter((p) => p && Number.isFinite(p.x) && Number.isFinite(metric === 'loss' ? p.loss : p.accuracy))
    .map((p) => ({ x: p.x, y: (metric === 'loss' ? p.loss : p.accuracy) as number }));
  return raw.length ? { label: group.name, group: group.index, points: smooth(raw, smoothing) } : undefined;
}

function timeSeries(group: RunGroup): Series | undefined {
  const times = curveRuns(group)
    .map((r) => r.epochMs.map((ms) => ms / 1000))
    .filter((t) => t.length > 0);
  if (!times.length) return undefined;
  const { values, std } = aggregateCurve(times);
  return {
    label: group.name,
    group: group.index,
    kind: 'val',
    dashed: false,
    values,
    std: times.length > 1 ? std : undefined,
  };
}

export function curveSet(record: RunRecord, pinned: RunRecord[] = [], opts: CurveOptions | CurveFilter = {}): CurveSet {
  const o: CurveOptions = typeof opts === 'string' ? { filter: opts } : opts;
  const filter = o.filter ?? 'both';
  const groups = groupRuns(record, pinned);
  const epochs = Math.max(
    1,
    ...[record, ...pinned].flatMap((rec) =>
      rec.runs.map((r) => Math.max(r.epochs || 0, ...Object.values(r.history).map((h) => h.length))),
    ),
  );
  const chart = (title: string, metric: string): ChartData => {
    const series =
      metric === 'time'
        ? groups.map((g) => timeSeries(g))
        : groups.flatMap((g) => [
            filter !== 'val' ? seriesOf(g, metric, 'train') : undefined,
            filter !== 'train' ? seriesOf(g, `val_${metric}`, 'val') : undefined,
          ]);
    const present = series.filter((s): s is Series => s !== undefined);
    const steps =
      o.steps && filter !== 'val' && (metric === 'loss' || metric === 'accuracy')
        ? groups.map((g) => stepSeries(g, metric, o.smoothing ?? 0.6)).filter((s): s is StepSeries => s !== undefined)
        : [];
    const legend = groups
      .filter((g) => present.some((s) => s.group === g.index) || steps.some((s) => s.group === g.index))
      .map((g) => ({ group: g.index, label: g.name }));
    return {
      title,
      yTitle: metric === 'time' ? 'seconds per epoch' : metric,
      epochs,
      series: present,
      steps,
      legend,
      points: drawn(present),
    };
  };
  const metric = o.metric ?? 'accuracy';
  const title = metric === 'time' ? 'Time per epoch' : metric === 'accuracy' ? 'Accuracy' : metric;
  return { loss: chart('Loss', 'loss'), accuracy: chart(title, metric) };
}
