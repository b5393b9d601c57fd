/**
 * Tables. The toolkit's data grid cannot carry row/column header scopes, per-cell heat colours or sortable header
 * buttons, so results use native tables styled like it (see `.ml-table` in styles).
 */
import { h, type Attrs } from '../dom.js';

export function table(opts: { caption?: string; testId?: string; className?: string; label?: string }): {
  table: HTMLTableElement;
  thead: HTMLTableSectionElement;
  tbody: HTMLTableSectionElement;
  wrapper: HTMLElement;
} {
  const thead = h('thead');
  const tbody = h('tbody');
  const t = h(
    'table',
    { class: `ml-table ${opts.className ?? ''}`.trim(), 'data-testid': opts.testId, 'aria-label': opts.label },
    opts.caption ? h('caption', { class: 'ml-sr-only' }, opts.caption) : null,
    thead,
    tbody,
  );
  // Wide tables scroll on their own instead of widening the whole panel.
  const wrapper = h('div', { class: 'ml-table-scroll' }, t);
  return { table: t, thead, tbody, wrapper };
}

export function th(text: string | Node, scope: 'col' | 'row', attrs: Attrs = {}): HTMLTableCellElement {
  return h('th', { scope, ...attrs }, text);
}

export function td(text: string | Node, attrs: Attrs = {}): HTMLTableCellElement {
  return h('td', attrs, text);
}
