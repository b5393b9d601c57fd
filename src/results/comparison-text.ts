/**
 * The comparison as the CLI prints it: a plain-text table of the shared comparison rows, the best row starred and
 * near-ties marked by the same rule the panel and the HTML report use (`decide`).
 */
import { thousands } from '../model/number-format';
import { comparisonRows, decide, METRIC_KEYS, type ComparisonRow, type RecordRuns } from './comparison-rows';
import type { Stat } from './stats';

export function comparisonTable(record: RecordRuns): string {
  const rows = comparisonRows(record);
  const { best, metric, tied } = decide(rows);
  const repeats = Math.max(1, ...rows.map((r) => r.runIds.length));
  const shown = METRIC_KEYS.filter((m) => rows.some((r) => r.metrics[m] !== undefined));
  const fmt = (s: Stat | undefined, digits = 4) =>
    s === undefined
      ? '-'
      : s.std !== undefined
        ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`
        : s.mean.toFixed(digits);
  const mark = (i: number) => (i === best ? '*' : tied.includes(i) ? '=' : '');
  const header = ['', 'Run', ...shown, 's/epoch'];
  const body = rows.map((r, i) => [
    mark(i),
    r.label,
    ...shown.map((m) => fmt(r.metrics[m])),
    // Time per epoch varies with the machine's load, not the model: its spread would be noise.
    r.epochMs === undefined ? '-' : (r.epochMs.mean / 1000).toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i <= 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...body.map(line)];
  for (const r of rows) {
    const note = problem(r);
    if (note) out.push(`  ${r.label}: ${note}`);
  }
  if (best >= 0 && metric) {
    out.push('', `* best by ${metric}${repeats > 1 ? ` (mean of ${repeats} runs ± standard deviation)` : ''}.`);
    if (tied.length)
      out.push(
        tieNote(
          rows[best],
          tied.map((i) => rows[i]),
          metric,
          repeats,
        ),
      );
  }
  return out.join('\n') + '\n';
}

/** What a row's numbers do not show: runs that failed or did not finish. */
function problem(row: ComparisonRow): string | undefined {
  if (row.status === 'completed' && row.errors.length === 0 && row.reporting === row.runIds.length) return undefined;
  return row.errors.length ? `${row.statusText}: ${row.errors[0]}` : row.statusText;
}

function tieNote(best: ComparisonRow, tied: ComparisonRow[], metric: string, repeats: number): string {
  const basis =
    repeats > 1
      ? `the standard error of ${repeats} repeats`
      : best.validationExamples
        ? `the standard error of ${thousands(best.validationExamples)} validation examples`
        : 'no measurable margin';
  const advice =
    repeats > 1 ? 'run more repeats to tell them apart' : 'one run each cannot tell them apart (try --repeats 3)';
  return `= tied with ${best.label}: ${tied.map((r) => r.label).join(', ')} ${tied.length === 1 ? 'is' : 'are'} within ${basis} on ${metric}; ${advice}.`;
}
