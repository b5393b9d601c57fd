/**
 * The comparison's rows — one per run group, with mean ± std of the final epoch's metrics — and the one rule that
 * decides which row is best and which rows are tied with it. The panel's table, its exports, the standalone report
 * and the CLI's printed table all read these, so they always name the same best run.
 */
import type { RunRecord, RunStatus } from '../protocol';
import { definitionChanges, formatOptimizerChange, formatVariantSet } from './what-changed';
import { groupRuns, groupStatus, groupStatusText, reportingRuns, type RecordLike, type RunGroup } from './run-groups';
import { standardError, stat, type Stat } from './stats';

export const METRIC_KEYS = ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface ComparisonRow {
  key: string;
  label: string;
  /** The unique name the panel shows (`model · optimizer` for pinned records). */
  name: string;
  /** The group's position: its curves' colour and marker. */
  group: number;
  /** A pinned record trained on other data, or on the same data split differently. */
  dataBadge?: { text: 'other data' | 'other split'; title: string };
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
  /** Validation examples the metrics were measured on (for the standard error of a single run's accuracy). */
  validationExamples?: number;
}

/** The parts of a record the rows read (the CLI has them before its record is complete). */
export type RecordRuns = RecordLike & Partial<Pick<RunRecord, 'dataset'>>;

export function comparisonRows(record: RecordRuns, pinned: RecordRuns[] = []): ComparisonRow[] {
  const groups = groupRuns(record, pinned);
  const optimizers = groups.map((g) => g.runs[0].optimizer);
  const records = new Map([record, ...pinned].map((r) => [r.id, r]));
  return groups.map((group) => {
    const own = records.get(group.recordId) as RecordRuns;
    const row = rowOf(group, optimizers, own.dataset?.validation);
    if (group.pinned) pinnedDifferences(row, group, own, record);
    return row;
  });
}

/** A pinned group says every setting in which its run differs from the shown record, and whether its data did. */
function pinnedDifferences(row: ComparisonRow, group: RunGroup, own: RecordRuns, shown: RecordRuns): void {
  const changes = own.definition && shown.definition ? definitionChanges(own.definition, shown.definition) : [];
  const epochs = group.runs[0].epochs;
  const shownEpochs = shown.runs[0]?.epochs;
  if (shownEpochs !== undefined && epochs !== shownEpochs && !changes.some((c) => c.startsWith('fit.epochs ')))
    changes.push(`epochs = ${epochs}`);
  if (changes.length) row.changed = [row.changed, ...changes].join(', ');
  const a = own.dataset;
  const b = shown.dataset;
  if (!a || !b) return;
  if (a.name !== b.name || a.source !== b.source || a.train + a.validation !== b.train + b.validation) {
    row.dataBadge = {
      text: 'other data',
      title: `Trained on ${a.name} (${a.source}), not ${b.name}: its numbers are not comparable`,
    };
  } else if (a.validation !== b.validation) {
    row.dataBadge = {
      text: 'other split',
      title: `Same data split differently (${a.train} train / ${a.validation} validation, not ${b.train} / ${b.validation})`,
    };
  }
}

function rowOf(
  group: RunGroup,
  allOptimizers: RunGroup['runs'][number]['optimizer'][],
  validationExamples: number | undefined,
): ComparisonRow {
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
    name: group.name,
    group: group.index,
    recordId: group.recordId,
    recordCreatedAt: group.recordCreatedAt,
    pinned: group.pinned,
    runIds: group.runs.map((r) => r.runId),
    status: groupStatus(group.runs),
    statusText: groupStatusText(group.runs),
    errors: group.runs.filter((r) => r.status === 'failed' && r.error).map((r) => r.error as string),
    metrics,
    epochMs: stat(
      reporting.map((r) => (r.epochMs.length ? r.epochMs.reduce((a, b) => a + b, 0) / r.epochMs.length : undefined)),
    ),
    reporting: reporting.length,
    changed:
      first.variant && Object.keys(first.variant.set).length > 0
        ? formatVariantSet(first.variant.set)
        : formatOptimizerChange(first.optimizer, allOptimizers),
    validationExamples,
  };
}

function last(values: number[] | undefined): number | undefined {
  return values && values.length > 0 ? values[values.length - 1] : undefined;
}

/** The metrics that can decide a comparison, in order of preference, and which way is better. */
const DECIDING: readonly { key: MetricKey; higher: boolean }[] = [
  { key: 'val_accuracy', higher: true },
  { key: 'val_loss', higher: false },
];

export interface Decision {
  /** Index of the best row, -1 when no row qualifies. */
  best: number;
  /** The metric that decided (`val_accuracy`, else `val_loss`). */
  metric?: MetricKey;
  /** Rows within one standard error of the best on that metric (the best itself excluded): near-ties. */
  tied: number[];
  /** Candidates in order, best first. */
  ranking: number[];
}

/**
 * The best row: highest mean val_accuracy, else lowest mean val_loss (without a validation split nothing is
 * highlighted: training numbers reward overfitting). Only completed rows compete — a failed, stopped or interrupted
 * run's partial numbers are not comparable — except while nothing has completed yet, when the running rows' numbers
 * so far are ranked. A row is tied with the best when their difference is within the standard error of the
 * difference (from the repeats, else from the validation set's size for accuracy).
 */
export function decide(rows: ComparisonRow[]): Decision {
  const indexed = rows.map((row, i) => ({ row, i }));
  const completed = indexed.filter(({ row }) => row.status === 'completed');
  const candidates = completed.length ? completed : indexed.filter(({ row }) => row.status === 'running');
  for (const { key, higher } of DECIDING) {
    const ranked = candidates
      .filter(({ row }) => row.metrics[key] !== undefined)
      .sort((a, b) => {
        const d = (a.row.metrics[key] as Stat).mean - (b.row.metrics[key] as Stat).mean;
        return (higher ? -d : d) || a.i - b.i;
      });
    if (ranked.length === 0) continue;
    const top = ranked[0];
    const se = (row: ComparisonRow) =>
      standardError(row.metrics[key] as Stat, { accuracy: key.endsWith('accuracy'), examples: row.validationExamples });
    const tied = ranked.slice(1).filter(({ row }) => {
      const gap = Math.abs((row.metrics[key] as Stat).mean - (top.row.metrics[key] as Stat).mean);
      const a = se(top.row);
      const b = se(row);
      if (a === undefined && b === undefined) return gap === 0;
      return gap <= Math.sqrt((a ?? 0) ** 2 + (b ?? 0) ** 2);
    });
    return { best: top.i, metric: key, tied: tied.map(({ i }) => i), ranking: ranked.map(({ i }) => i) };
  }
  return { best: -1, tied: [], ranking: [] };
}

/** The index of the best row (see `decide`), -1 when no row qualifies. */
export function bestRowIndex(rows: ComparisonRow[]): number {
  return decide(rows).best;
}
