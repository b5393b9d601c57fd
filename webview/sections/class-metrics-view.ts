/**
 * Beside the confusion matrix: precision, recall and F1 per class (the pure numbers are `src/model/class-metrics.ts`)
 * and a Counts / Normalised switch that shows each cell as a count or as the share of its actual class.
 */
import { classMetrics, macroAverage, normalizeRows } from '../logic/class-metrics.js';
import { table, td, th } from '../components/table.js';
import { h } from '../dom.js';
import { formatInt, formatPercent } from '../logic/display-format.js';

export function classMetricsTable(matrix: number[][], classNames: string[]): HTMLElement {
  const rows = classMetrics(matrix, classNames);
  const t = table({
    caption: 'Precision, recall and F1 per class',
    testId: 'class-metrics',
    className: 'ml-class-metrics',
  });
  t.thead.append(
    h('tr', {}, th('class', 'col'), th('precision', 'col'), th('recall', 'col'), th('F1', 'col'), th('support', 'col')),
  );
  for (const r of rows) {
    t.tbody.append(
      h(
        'tr',
        {},
        th(r.className, 'row'),
        td(formatPercent(r.precision), { class: 'ml-num' }),
        td(formatPercent(r.recall), { class: 'ml-num' }),
        td(formatPercent(r.f1), { class: 'ml-num' }),
        td(formatInt(r.support), { class: 'ml-num' }),
      ),
    );
  }
  const avg = macroAverage(rows);
  t.tbody.append(
    h(
      'tr',
      {},
      th('macro average', 'row'),
      td(formatPercent(avg.precision), { class: 'ml-num' }),
      td(formatPercent(avg.recall), { class: 'ml-num' }),
      td(formatPercent(avg.f1), { class: 'ml-num' }),
      td(formatInt(rows.reduce((a, r) => a + r.support, 0)), { class: 'ml-num' }),
    ),
  );
  return h(
    'div',
    {},
    h('h3', {}, 'Precision, recall and F1 per class'),
    t.wrapper,
    h(
      'p',
      { class: 'ml-muted' },
      'Recall is the per-class accuracy; precision is the share of predictions of a class that were right.',
    ),
  );
}

/** Adds a Counts / Normalised switch to a confusion-matrix figure: cells show counts or the share of their row. */
export function addNormalisedSwitch(figure: HTMLElement, matrix: number[][]): void {
  const shares = normalizeRows(matrix);
  const cells = [...figure.querySelectorAll<HTMLTableCellElement>('td[data-count]')];
  const k = matrix[0]?.length ?? 0;
  const show = (normalised: boolean) => {
    cells.forEach((cell, n) => {
      const i = Math.floor(n / k);
      const j = n % k;
      cell.textContent = normalised ? formatPercent(shares[i][j]) : formatInt(matrix[i][j]);
    });
    counts.setAttribute('aria-pressed', String(!normalised));
    norm.setAttribute('aria-pressed', String(normalised));
  };
  const counts = h(
    'button',
    { type: 'button', class: 'ml-toggle', 'data-testid': 'cm-counts', 'aria-pressed': 'true' },
    'Counts',
  );
  const norm = h(
    'button',
    { type: 'button', class: 'ml-toggle', 'data-testid': 'cm-normalised', 'aria-pressed': 'false' },
    'Normalised',
  );
  counts.addEventListener('click', () => show(false));
  norm.addEventListener('click', () => show(true));
  figure
    .querySelector('h3')
    ?.after(h('div', { class: 'ml-actions', role: 'group', 'aria-label': 'Confusion matrix values' }, counts, norm));
}
