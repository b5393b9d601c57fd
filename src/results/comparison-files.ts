/** The comparison as CSV and JSON files (the panel's host and the standalone report write the same text). */
import type { RunRecord, RunResult } from '../protocol';
import { METRIC_KEYS, type ComparisonRow } from './comparison-rows';

const HEADER = [
  'label',
  'status',
  'runs',
  'reporting_runs',
  ...METRIC_KEYS.flatMap((k) => [k, `${k}_std`]),
  'epoch_ms',
  'changed',
  'record_id',
  'pinned',
  'run_ids',
];

/** RFC 4180 field; text that a spreadsheet would run as a formula (=, +, -, @) is prefixed with a quote. */
export function csvField(value: string | number | boolean | undefined | null): string {
  if (value === null) return '';
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function comparisonCsv(rows: ComparisonRow[]): string {
  const lines = [HEADER.join(',')];
  for (const row of rows) {
    const fields: (string | number | boolean | undefined)[] = [
      row.label,
      row.status,
      row.runIds.length,
      row.reporting,
      ...METRIC_KEYS.flatMap((k) => [row.metrics[k]?.mean, row.metrics[k]?.std]),
      row.epochMs?.mean,
      row.changed,
      row.recordId,
      row.pinned,
      row.runIds.join(' '),
    ];
    lines.push(fields.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** Plain data, one object per row, numbers unrounded. */
export function comparisonJson(rows: ComparisonRow[]): string {
  const out = rows.map((row) => ({
    label: row.label,
    status: row.status,
    runIds: row.runIds,
    reportingRuns: row.reporting,
    recordId: row.recordId,
    pinned: row.pinned,
    changed: row.changed,
    metrics: row.metrics,
    epochMs: row.epochMs,
    errors: row.errors,
  }));
  return JSON.stringify(out, null, 2) + '\n';
}

/** Hyper-parameter columns of the long-format history: the optimizer's, then each variant override by path. */
function hyperColumns(runs: RunResult[]): string[] {
  const opt = new Set<string>();
  const set = new Set<string>();
  for (const r of runs) {
    for (const k of Object.keys(r.optimizer)) if (k !== 'type') opt.add(k);
    for (const k of Object.keys(r.variant?.set ?? {})) set.add(k);
  }
  return [...[...opt].sort(), ...[...set].sort()];
}

/**
 * Every run's history in long format — one line per (run, epoch, metric) — with the run's settings as columns, the
 * shape pandas, R and spreadsheets pivot from: record_id, run, run_id, repeat, seed, status, optimizer, its
 * hyper-parameters and the variant's overrides, epoch, metric, value.
 */
export function historyCsv(records: Pick<RunRecord, 'id' | 'runs'>[]): string {
  const runs = records.flatMap((rec) => rec.runs.map((run) => ({ rec, run })));
  const hyper = hyperColumns(runs.map((x) => x.run));
  const lines = [
    ['record_id', 'run', 'run_id', 'repeat', 'seed', 'status', 'optimizer', ...hyper, 'epoch', 'metric', 'value']
      .map(csvField)
      .join(','),
  ];
  for (const { rec, run } of runs) {
    const settings = hyper.map((k) => {
      const v = k in run.optimizer ? run.optimizer[k] : run.variant?.set[k];
      return v === undefined ? undefined : typeof v === 'number' ? v : typeof v === 'string' ? v : JSON.stringify(v);
    });
    const head = [
      rec.id,
      run.variant?.label ?? run.label,
      run.runId,
      run.repeat,
      run.seed,
      run.status,
      run.optimizer.type,
      ...settings,
    ];
    const metrics = Object.keys(run.history).sort();
    const epochs = Math.max(0, ...metrics.map((m) => run.history[m].length));
    for (let e = 0; e < epochs; e++) {
      for (const m of metrics) {
        const v = run.history[m][e];
        if (typeof v === 'number') lines.push([...head, e + 1, m, v].map(csvField).join(','));
      }
      const ms = run.epochMs[e];
      if (typeof ms === 'number') lines.push([...head, e + 1, 'epoch_seconds', ms / 1000].map(csvField).join(','));
    }
  }
  return lines.join('\r\n') + '\r\n';
}
