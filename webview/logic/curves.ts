/**
 * What the two charts draw, as plain series (the chart module only adds colours). One group (a single training
 * run): training (dashed) and validation (solid) of that run. Several groups (a comparison, or pinned records):
 * the loss chart overlays training (dashed) and validation (solid) per group; the accuracy chart shows
 * val_accuracy per group. Groups of repeats draw the mean per epoch with a ± std band.
 */
import type { RunRecord } from '../../src/protocol';
import { groupRuns, type RunGroup } from '../../src/results/run-groups';
import { mean, sampleStd } from '../../src/results/stats';

export interface Series {
  label: string;
  /** Index of the group, for its colour. */
  group: number;
  /** Training curves are dashed, validation solid. */
  dashed: boolean;
  /** Value per epoch (index 0 = epoch 1); null where no run has reached that epoch. */
  values: (number | null)[];
  /** ± std per epoch when the group has repeats. */
  std?: (number | null)[];
}

export interface ChartData {
  title: string;
  /** 1 … the longest planned or reached epoch count. */
  epochs: number;
  series: Series[];
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

function seriesOf(group: RunGroup, index: number, metric: string, label: string, dashed: boolean): Series | undefined {
  const histories = curveRuns(group)
    .map((r) => r.history[metric])
    .filter((h): h is number[] => Array.isArray(h) && h.length > 0);
  if (histories.length === 0) return undefined;
  const { values, std } = aggregateCurve(histories);
  return { label, group: index, dashed, values, std: histories.length > 1 ? std : undefined };
}

function drawn(series: Series[]): number {
  return Math.max(0, ...series.map((s) => s.values.filter((v) => v !== null).length));
}

export function curveSet(record: RunRecord, pinned: RunRecord[] = []): CurveSet {
  const groups = groupRuns(record, pinned);
  const epochs = Math.max(
    1,
    ...[record, ...pinned].flatMap((rec) => rec.runs.map((r) => Math.max(r.epochs || 0, ...Object.values(r.history).map((h) => h.length)))),
  );
  const single = groups.length === 1;
  const nameOf = (g: RunGroup) => (g.pinned ? `${g.label} (pinned)` : g.label);
  const make = (title: string, series: (Series | undefined)[]): ChartData => {
    const present = series.filter((s): s is Series => s !== undefined);
    return { title, epochs, series: present, points: drawn(present) };
  };

  if (single) {
    const g = groups[0];
    return {
      loss: make('Loss', [seriesOf(g, 0, 'loss', 'training loss', true), seriesOf(g, 1, 'val_loss', 'validation loss', false)]),
      accuracy: make('Accuracy', [
        seriesOf(g, 0, 'accuracy', 'training accuracy', true),
        seriesOf(g, 1, 'val_accuracy', 'validation accuracy', false),
      ]),
    };
  }
  const loss = groups.flatMap((g, i) => [
    seriesOf(g, i, 'loss', `${nameOf(g)} — training`, true),
    seriesOf(g, i, 'val_loss', `${nameOf(g)} — validation`, false),
  ]);
  const hasVal = groups.some((g) => g.runs.some((r) => (r.history.val_accuracy?.length ?? 0) > 0));
  const metric = hasVal ? 'val_accuracy' : 'accuracy';
  const accuracy = groups.map((g, i) => seriesOf(g, i, metric, nameOf(g), !hasVal));
  return { loss: make('Loss', loss), accuracy: make(hasVal ? 'Validation accuracy' : 'Training accuracy', accuracy) };
}
