/**
 * Section 4: the comparison table — a row per run or per variant (mean ± std over its repeats), sortable by any
 * column — with CSV/JSON export. The Run column ties each row to its curves (the same colour and marker) and shows
 * its status as an icon; the deciding metric comes right after it; the best row is starred and rows within the
 * standard error of it are marked as tied. Shown for comparisons and whenever records are pinned.
 */
import { tag } from '../components/badge.js';
import { statusText } from '../components/badge.js';
import { button } from '../components/button.js';
import { table, td, th } from '../components/table.js';
import { clear, h, keepFocus, Memo } from '../dom.js';
import { formatDate, formatDuration, formatMetric } from '../logic/display-format.js';
import {
  comparisonRows,
  decide,
  type ComparisonRow,
  type Decision,
  type MetricKey,
} from '../../src/results/comparison-rows.js';
import { nextSort, sortRows, type SortColumn, type SortState } from '../logic/sort.js';
import type { Stat } from '../../src/results/stats.js';
import { markerOf, readPalette } from '../theme.js';
import { baseName, type Context, type ViewState } from '../state.js';

interface Column {
  column: SortColumn;
  label: string;
  numeric?: boolean;
}

/** The metric columns, the deciding one first (val_accuracy unless the comparison is decided by val_loss). */
function columns(decision: Decision): Column[] {
  const metrics: MetricKey[] = ['val_accuracy', 'val_loss', 'accuracy', 'loss'];
  const first = decision.metric ?? 'val_accuracy';
  const ordered = [first, ...metrics.filter((m) => m !== first)];
  return [
    { column: 'label', label: 'Run' },
    ...ordered.map((m) => ({ column: m, label: m, numeric: true })),
    { column: 'epochMs', label: 'Time / epoch', numeric: true },
    { column: 'changed', label: 'What changed' },
  ];
}

const STATUS_ICON: Record<ComparisonRow['status'], string> = {
  completed: '✓',
  failed: '✕',
  cancelled: '■',
  running: '▶',
  queued: '…',
};

export class ComparisonSection {
  readonly element = h('section', { class: 'ml-section', 'aria-labelledby': 'comparison-heading' });
  private readonly memo = new Memo();
  private sort: SortState | undefined;
  private rows: ComparisonRow[] = [];
  private lastState: ViewState | undefined;
  /** Rows whose "What changed" the user expanded. */
  private readonly expanded = new Set<string>();

  constructor(private readonly ctx: Context) {}

  update(state: ViewState): void {
    this.lastState = state;
    const record = state.record;
    const show = !!record && (record.kind === 'compare' || state.pinned.length > 0);
    this.element.hidden = !show;
    if (!record || !show) return;
    this.rows = comparisonRows(record, state.pinned);
    if (!this.memo.changed(JSON.stringify([this.rows, this.sort, [...this.expanded], document.body.className]))) return;
    keepFocus(this.element, () => this.render());
  }

  private render(): void {
    clear(this.element);
    const decision = decide(this.rows);
    const best = this.rows[decision.best];
    const tied = new Set(decision.tied.map((i) => this.rows[i]));
    const rows = this.sort ? sortRows(this.rows, this.sort) : this.rows;
    const cols = columns(decision);
    const exportAs = (format: 'csv' | 'json') => () =>
      this.ctx.exporter.comparison(format, this.rows, this.lastState ? baseName(this.lastState) : 'model-lab');
    // "Repeat ×3": the shown comparison trained again with 3 repeats per variant (a new record), so every row gets a
    // standard error and near-ties are told apart from the repeats, not guessed from the validation set's size.
    const record = this.lastState?.record;
    const repeats = Math.max(1, ...this.rows.filter((r) => !r.pinned).map((r) => r.runIds.length));
    const repeat =
      record && record.kind === 'compare' && !this.ctx.host.standalone && !record.active && repeats < 3
        ? button({
            label: 'Repeat ×3',
            testId: 'repeat-comparison',
            focusKey: 'repeat-comparison',
            title: 'Train this comparison again with 3 repeats of each run, for standard errors (a new record)',
            onClick: () => this.ctx.host.post({ type: 'repeatComparison', id: record.id }),
          })
        : null;
    this.element.append(
      h(
        'div',
        { class: 'ml-section-head' },
        h('h2', { id: 'comparison-heading' }, 'Comparison'),
        h(
          'div',
          { class: 'ml-actions' },
          repeat,
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
    t.thead.append(h('tr', {}, ...cols.map((c) => this.header(c))));
    const palette = readPalette();
    for (const row of rows) {
      t.tbody.append(
        this.rowElement(row, cols, row === best, tied.has(row), palette.series[row.group % palette.series.length]),
      );
    }
    this.element.append(t.wrapper);
    if (best && decision.metric) {
      const basis = decision.metric === 'val_accuracy' ? 'highest val_accuracy' : 'lowest val_loss';
      const note = h('p', { class: 'ml-muted', 'data-testid': 'best-note' }, `★ Best: ${best.name} (${basis}).`);
      if (tied.size > 0) {
        const repeats = Math.max(...this.rows.map((r) => r.runIds.length));
        const why =
          repeats > 1 ? `the standard error of ${repeats} repeats` : 'the standard error of the validation set’s size';
        note.append(
          ` ≈ Tied with it: ${[...tied].map((r) => r.name).join(', ')} (within ${why}); more repeats would tell them apart.`,
        );
      }
      this.element.append(note);
    }
  }

  private header(c: Column): HTMLTableCellElement {
    const active = this.sort?.column === c.column;
    const direction = active ? this.sort?.direction : undefined;
    const sortButton = h(
      'button',
      { class: 'ml-sort', type: 'button', 'data-focus-key': `sort-${c.column}`, title: `Sort by ${c.label}` },
      c.label,
      h(
        'span',
        { class: 'ml-sort-arrow', 'aria-hidden': 'true' },
        direction === 'ascending' ? '▲' : direction === 'descending' ? '▼' : '',
      ),
    );
    sortButton.addEventListener('click', () => {
      this.sort = nextSort(this.sort, c.column);
      if (this.lastState) this.update(this.lastState);
    });
    return th(sortButton, 'col', {
      class: c.numeric ? 'ml-num' : undefined,
      'aria-sort': direction ?? 'none',
      'data-column': c.column,
    });
  }

  private rowElement(
    row: ComparisonRow,
    cols: Column[],
    best: boolean,
    tied: boolean,
    color: string,
  ): HTMLTableRowElement {
    const swatch = h('span', { class: 'ml-swatch', 'aria-hidden': 'true' }, markerOf(row.group).glyph);
    swatch.style.setProperty('--swatch', color);
    const status = h(
      'span',
      { class: `ml-status-icon ml-status-${row.status}`, title: [row.statusText, ...row.errors].join('\n') },
      h('span', { 'aria-hidden': 'true' }, STATUS_ICON[row.status] ?? '?'),
      h('span', { class: 'ml-sr-only' }, ` ${row.runIds.length > 1 ? row.statusText : statusText(row.status)}`),
    );
    const label = th(
      h('span', { class: 'ml-run-cell' }, swatch, status, h('span', { class: 'ml-run-name' }, row.name)),
      'row',
    );
    if (best)
      label.append(
        h('span', { class: 'ml-best-mark', title: 'Best run' }, '★', h('span', { class: 'ml-sr-only' }, ' best')),
      );
    if (tied) {
      label.append(
        h(
          'span',
          { class: 'ml-tied-mark', title: 'Tied with the best: the difference is within the standard error' },
          '≈',
          h('span', { class: 'ml-sr-only' }, ' tied with the best'),
        ),
      );
    }
    if (row.pinned) label.append(tag('pinned', `Pinned record from ${formatDate(row.recordCreatedAt)}`));
    if (row.dataBadge) label.append(tag(row.dataBadge.text, row.dataBadge.title));
    if (row.errors.length > 0) label.append(h('div', { class: 'ml-error' }, row.errors[0]));
    const cells = cols.slice(1).map((c) => {
      if (c.column === 'epochMs') return statCell(row.epochMs, formatDuration, false); // load, not the model: no spread
      if (c.column === 'changed') return this.changedCell(row);
      return statCell(row.metrics[c.column as MetricKey], (n) => formatMetric(n));
    });
    return h(
      'tr',
      {
        'data-run-id': row.runIds[0],
        'data-run-ids': row.runIds.join(' '),
        'data-status': row.status,
        'data-best': best ? 'true' : undefined,
        'data-tied': tied ? 'true' : undefined,
        class: best ? 'ml-best' : undefined,
      },
      label,
      ...cells,
    );
  }

  /** Truncated to the column with the whole text on hover; a click (or Enter) expands it in place. */
  private changedCell(row: ComparisonRow): HTMLTableCellElement {
    const open = this.expanded.has(row.key);
    const text = h(
      'button',
      {
        type: 'button',
        class: 'ml-changed-text',
        title: row.changed,
        'aria-expanded': String(open),
        'data-focus-key': `changed-${row.key}`,
      },
      row.changed,
    );
    text.addEventListener('click', () => {
      if (this.expanded.has(row.key)) this.expanded.delete(row.key);
      else this.expanded.add(row.key);
      if (this.lastState) this.update(this.lastState);
    });
    return td(text, { class: `ml-changed${open ? ' ml-expanded' : ''}` });
  }
}

function statCell(s: Stat | undefined, format: (n: number) => string, spread = true): HTMLTableCellElement {
  if (!s) return td('—', { class: 'ml-num ml-muted' });
  const cell = td(format(s.mean), { class: 'ml-num', title: s.n > 1 ? `mean of ${s.n} runs` : undefined });
  if (spread && s.std !== undefined) cell.append(h('span', { class: 'ml-std' }, ` ± ${format(s.std)}`));
  return cell;
}
