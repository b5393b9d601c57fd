/**
 * The confusion matrix, sized to fit. Up to 30 classes: a heat-map table whose columns are class indices (the row
 * headers are the key: index and name), so ten Fashion-MNIST classes fit a 430 px panel. More classes: a canvas heat
 * map in a scroll box (one cell per pixel pair; hover names the cell) and the largest confusions as a table — a
 * 1,000-class matrix never becomes a million DOM cells. With `onCell`, a cell (or a largest-confusions row) opens
 * the examples gallery: click, or Enter/Space on a focused cell.
 */
import { table, td, th } from '../components/table.js';
import { h } from '../dom.js';
import { formatInt, formatPercent } from '../logic/display-format.js';
import { topConfusions } from '../../src/results/confusions.js';

const TABLE_LIMIT = 30;

export type CellHandler = (actual: number, predicted: number) => void;

export function confusionMatrix(
  matrix: number[][],
  classNames: string[],
  split: string,
  onCell?: CellHandler,
): HTMLElement {
  const name = (i: number) => classNames[i] ?? String(i);
  const body =
    matrix.length <= TABLE_LIMIT ? matrixTable(matrix, name, split, onCell) : matrixCanvas(matrix, name, split, onCell);
  return h(
    'figure',
    { class: 'ml-chart ml-cm-figure' },
    h('h3', {}, 'Confusion matrix'),
    body,
    h(
      'p',
      { class: 'ml-cm-axis' },
      `Rows: actual class · columns: predicted class (by index) · colour: share of the actual class (blue: correct, red: confused)${onCell ? ' · click a cell to see its examples' : ''}`,
    ),
    topTable(matrix, name, onCell),
  );
}

function heatOf(count: number, total: number): { share: number; heat: number } {
  const share = total > 0 ? count / total : 0;
  // √share: a 5 % confusion should still show; linear intensity would leave it almost invisible.
  return { share, heat: Math.sqrt(share) };
}

function matrixTable(
  matrix: number[][],
  name: (i: number) => string,
  split: string,
  onCell: CellHandler | undefined,
): HTMLElement {
  const t = table({
    caption: `Confusion matrix on the ${split} set: rows are the actual class, columns the predicted class`,
    testId: 'confusion-matrix',
    className: 'ml-cm',
  });
  t.thead.append(
    h(
      'tr',
      {},
      h('td', { class: 'ml-cm-corner', 'aria-hidden': 'true' }, 'actual ↓ predicted →'),
      ...matrix[0].map((_, j) =>
        th(String(j), 'col', {
          class: 'ml-cm-col',
          title: `Predicted ${name(j)}`,
          'aria-label': `Predicted ${name(j)}`,
        }),
      ),
    ),
  );
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const tr = h(
      'tr',
      {},
      th(
        h(
          'span',
          {},
          h('span', { class: 'ml-cm-index' }, String(i)),
          h('span', { class: 'ml-cm-name' }, ` ${name(i)}`),
        ),
        'row',
        { title: `Actual ${name(i)}` },
      ),
    );
    row.forEach((count, j) => {
      const { share, heat } = heatOf(count, total);
      const text = `Actual ${name(i)}, predicted ${name(j)}: ${formatInt(count)} (${formatPercent(share)} of ${name(i)})`;
      const cell = td(formatInt(count), {
        'data-count': count,
        'data-actual': i,
        'data-predicted': j,
        title: onCell ? `${text} — click to see these examples` : text,
        'aria-label': onCell ? `${text}; press Enter to see these examples` : text,
        tabindex: onCell ? 0 : undefined,
        class:
          [i === j ? 'ml-diag' : '', heat > 0.6 ? 'ml-strong' : '', count === 0 ? 'ml-zero' : ''].join(' ').trim() ||
          undefined,
      });
      // A custom property through CSSOM: allowed by the CSP, unlike a style attribute.
      cell.style.setProperty('--heat', heat.toFixed(3));
      tr.append(cell);
    });
    t.tbody.append(tr);
  });
  if (onCell) {
    // One listener for every cell; the Counts / Normalised switch rewrites the cells' text, not these attributes.
    const open = (e: Event) => {
      const cell = (e.target as Element).closest('td[data-actual]');
      if (!cell) return;
      e.preventDefault();
      onCell(Number(cell.getAttribute('data-actual')), Number(cell.getAttribute('data-predicted')));
    };
    t.table.classList.add('ml-cm-clickable');
    t.table.addEventListener('click', open);
    t.table.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') open(e);
    });
  }
  // In a narrow panel the row headers show indices only; this key names them.
  const key = h('p', { class: 'ml-cm-key' }, matrix.map((_, i) => `${i} ${name(i)}`).join(' · '));
  return h('div', { class: 'ml-cm-box' }, t.wrapper, key);
}

function matrixCanvas(
  matrix: number[][],
  name: (i: number) => string,
  split: string,
  onCell: CellHandler | undefined,
): HTMLElement {
  const n = matrix.length;
  const cell = n <= 250 ? 3 : n <= 500 ? 2 : 1;
  const canvas = h('canvas', {
    class: 'ml-cm-canvas',
    'data-testid': 'confusion-matrix',
    'data-classes': n,
    role: 'img',
    'aria-label': `Confusion matrix on the ${split} set as a heat map of ${formatInt(n)} × ${formatInt(n)} classes; the largest confusions are listed below.`,
  });
  canvas.width = n * cell;
  canvas.height = n * cell;
  // Drawn once shown, when the theme's colours can be read.
  requestAnimationFrame(() => {
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const style = getComputedStyle(document.body);
    const blue = style.getPropertyValue('--vscode-charts-blue').trim() || '#3794ff';
    const red = style.getPropertyValue('--vscode-charts-red').trim() || '#f14c4c';
    matrix.forEach((row, i) => {
      let total = 0;
      for (const v of row) total += v;
      row.forEach((count, j) => {
        if (!(count > 0)) return;
        ctx.globalAlpha = Math.max(0.15, heatOf(count, total).heat);
        ctx.fillStyle = i === j ? blue : red;
        ctx.fillRect(j * cell, i * cell, cell, cell);
      });
    });
  });
  const cellAt = (e: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    return {
      j: Math.floor(((e.clientX - r.left) / r.width) * n),
      i: Math.floor(((e.clientY - r.top) / r.height) * n),
    };
  };
  if (onCell) {
    canvas.classList.add('ml-cm-clickable');
    canvas.addEventListener('click', (e) => {
      const { i, j } = cellAt(e);
      if (matrix[i]?.[j] !== undefined) onCell(i, j);
    });
  }
  canvas.addEventListener('mousemove', (e) => {
    const { i, j } = cellAt(e);
    const count = matrix[i]?.[j];
    if (count === undefined) return;
    const total = matrix[i].reduce((a, b) => a + b, 0);
    canvas.title = `Actual ${i} ${name(i)}, predicted ${j} ${name(j)}: ${formatInt(count)} (${formatPercent(heatOf(count, total).share)} of ${name(i)})`;
  });
  return h('div', { class: 'ml-cm-scroll' }, canvas);
}

function cellLink(text: string, onClick: () => void): HTMLElement {
  const b = h('button', { type: 'button', class: 'ml-link-button', title: 'Show these examples' }, text);
  b.addEventListener('click', onClick);
  return b;
}

/** The largest confusions (off-diagonal cells), for any size; the only readable view of a big matrix. */
function topTable(
  matrix: number[][],
  name: (i: number) => string,
  onCell: CellHandler | undefined,
): HTMLElement | null {
  const top = topConfusions(matrix, matrix.length > TABLE_LIMIT ? 20 : 5);
  if (top.length === 0) return null;
  const t = table({ caption: 'The largest confusions', testId: 'top-confusions', className: 'ml-top-confusions' });
  t.thead.append(
    h(
      'tr',
      {},
      th('Actual', 'col'),
      th('Predicted as', 'col'),
      th('Count', 'col', { class: 'ml-num' }),
      th('Share', 'col', { class: 'ml-num' }),
    ),
  );
  for (const c of top) {
    t.tbody.append(
      h(
        'tr',
        {},
        td(
          onCell
            ? cellLink(`${c.actual} ${name(c.actual)}`, () => onCell(c.actual, c.predicted))
            : `${c.actual} ${name(c.actual)}`,
        ),
        td(`${c.predicted} ${name(c.predicted)}`),
        td(formatInt(c.count), { class: 'ml-num' }),
        td(formatPercent(c.share), { class: 'ml-num' }),
      ),
    );
  }
  return h('div', { class: 'ml-top' }, h('h3', {}, 'Largest confusions'), t.wrapper);
}
