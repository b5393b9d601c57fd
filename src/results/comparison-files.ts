/** The comparison as CSV and JSON files (the panel's host and the standalone report write the same text). */
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
export function csvField(value: string | number | boolean | undefined): string {
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
