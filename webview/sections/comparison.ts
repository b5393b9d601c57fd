/**
 * Section 4: the comparison table — a row per run or per variant (mean ± std over its repeats), the best row
 * highlighted, sortable by any column — with CSV/JSON export. Shown for comparisons and whenever records are pinned.
 */
import { statusBadge, tag } from '../components/badge.js';
import { button } from '../components/button.js';
import { table, td, th } from '../components/table.js';
import { clear, h, keepFocus, Memo } from '../dom.js';
import { formatDate, formatDuration, formatMetric } from '../logic/display-format.js';
import { bestRowIndex, comparisonRows, type ComparisonRow, type MetricKey } from '../../src/results/comparison-rows.js';
import { nextSort, sortRows, type SortColumn, type SortState } from '../logic/sort.js';
import type { Stat } from '../../src/results/stats.js';
import { baseName, type Context, type ViewState } from '../state.js';

const COLUMNS: { column: SortColumn; label: string; numeric?: boolean }[] = [
  { column: 'label', label: 'Run' },
  { column: 'status', label: 'Status' },
  { column: 'loss', label: 'loss', numeric: true },
  { column: 'accuracy', label: 'accuracy', numeric: true },
  { column: 'val_loss', label: 'val_loss', numeric: true },
  { column: 'val_accuracy', label: 'val_accuracy', numeric: true },
  { column: 'epochMs', label: 'Time / epoch', numeric: true },
  { column: 'changed', label: 'What changed' },
];

export class ComparisonSection {
  readonly element = h('section', { class: 'ml-section', 'aria-labelledby': 'comparison-heading' });
  private readonly memo = new Memo();
  private sort: SortState | undefined;
  private rows: ComparisonRow[] = [];
  private lastState: ViewState | undefined;

  constructor(private readonly ctx: Context) {}

  update(state: ViewState): void {
    this.lastState = state;
    const record = state.record;
    const show = !!record && (record.kind === 'compare' || state.pinned.length > 0);
    this.element.hidden = !show;
    if (!record || !show) return;
    this.rows = comparisonRows(record, state.pinned);
    if (!this.memo.changed(JSON.stringify([this.rows, this.sort]))) return;
    keepFocus(this.element, () => this.render());
  }

  private render(): void {
    clear(this.element);
    const best = this.rows[bestRowIndex(this.rows)];
    const rows = this.sort ? sortRows(this.rows, this.sort) : this.rows;
    const exportAs = (format: 'csv' | 'json') => () =>
      this.ctx.exporter.comparison(format, this.rows, this.lastState ? baseName(this.lastState) : 'model-lab');
    this.element.append(
      h(
        'div',
        { class: 'ml-section-head' },
        h('h2', { id: 'comparison-heading' }, 'Comparison'),
        h(
          'div',
          { class: 'ml-actions' },
          button({ label: 'Export CSV', onClick: exportAs('csv'), focusKey: 'export-csv', testId: 'export-csv' }),
          button({ label: 'Export JSON', onClick: exportAs('json'), focusKey: 'export-json', testId: 'export-json' }),
        ),
      ),
    );
    const t = table({
      caption: 'Runs compared by their final epoch; variants with repeats show mean ± standard deviation',
      testId: 'comparison',
      className: 'ml-compare-table',
    });
    t.thead.append(h('tr', {}, ...COLUMNS.map((c) => this.header(c))));
    for (const row of rows) t.tbody.append(rowElement(row, row === best));
    this.element.append(t.wrapper);
    if (best) {
      const basis = best.metrics.val_accuracy ? 'highest val_accuracy' : 'lowest val_loss';
      this.element.append(h('p', { class: 'ml-muted' }, `Best: ${best.label} (${basis}).`));
    }
  }

  private header(c: (typeof COLUMNS)[number]): HTMLTableCellElement {
    const active = this.sort?.column === c.column;
    const direction = active ? this.sort?.direction : undefined;
    const sortButton = h(
      'button',
      { class: 'ml-sort', type: 'button', 'data-focus-key': `sort-${c.column}`, title: `Sort by ${c.label}` },
      c.label,
      h('span', { class: 'ml-sort-arrow', 'aria-hidden': 'true' }, direction === 'ascending' ? '▲' : direction === 'descending' ? '▼' : ''),
    );
    sortButton.addEventListener('click', () => {
      this.sort = nextSort(this.sort, c.column);
      if (this.lastState) this.update(this.lastState);
    });
    return th(sortButton, 'col', { class: c.numeric ? 'ml-num' : undefined, 'aria-sort': direction ?? 'none' });
  }
}

function statCell(s: Stat | undefined, format: (n: number) => string, spread = true): HTMLTableCellElement {
  if (!s) return td('—', { class: 'ml-num ml-muted' });
  const cell = td(format(s.mean), { class: 'ml-num', title: s.n > 1 ? `mean of ${s.n} runs` : undefined });
  if (spread && s.std !== undefined) cell.append(h('span', { class: 'ml-std' }, ` ± ${format(s.std)}`));
  return cell;
}

function rowElement(row: ComparisonRow, best: boolean): HTMLTableRowElement {
  const label = th(row.label, 'row');
  if (best) label.append(h('span', { class: 'ml-best-mark', title: 'Best run' }, '★', h('span', { class: 'ml-sr-only' }, ' best')));
  if (row.pinned) {
    label.append(tag('pinned', `Pinned record from ${formatDate(row.recordCreatedAt)}`));
  }
  const metric = (key: MetricKey) => statCell(row.metrics[key], (n) => formatMetric(n));
  const status = td(statusBadge(row.status, row.statusText), { title: row.errors.join('\n') || undefined });
  if (row.errors.length > 0) status.append(h('div', { class: 'ml-error' }, row.errors[0]));
  return h(
    'tr',
    {
      'data-run-id': row.runIds[0],
      'data-run-ids': row.runIds.join(' '),
      'data-status': row.status,
      'data-best': best ? 'true' : undefined,
      class: best ? 'ml-best' : undefined,
    },
    label,
    status,
    metric('loss'),
    metric('accuracy'),
    metric('val_loss'),
    metric('val_accuracy'),
    // Time per epoch varies with the machine's load, not the model: its spread would be noise.
    statCell(row.epochMs, formatDuration, false),
    td(row.changed, { class: 'ml-changed' }),
  );
}
