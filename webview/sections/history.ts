/** Section 6: past records — open one (`openRecord`) or pin it for comparison with the current one (`pinRecord`). */
import type { RecordListItem } from '../../src/protocol';
import { countBadge } from '../components/badge.js';
import { button } from '../components/button.js';
import { clear, h, keepFocus, Memo } from '../dom.js';
import { formatDate, formatPercent } from '../logic/display-format.js';
import type { Context, ViewState } from '../state.js';

export class HistorySection {
  readonly element = h('section', { class: 'ml-section', 'aria-labelledby': 'history-heading' });
  private readonly memo = new Memo();

  constructor(private readonly ctx: Context) {}

  update(state: ViewState): void {
    const pinned = new Set(state.pinned.map((p) => p.id));
    const current = state.record?.id;
    // The standalone report has nothing to open: it shows the history only when it was given one.
    this.element.hidden = this.ctx.host.standalone && state.history.length === 0;
    if (!this.memo.changed(JSON.stringify([state.history, [...pinned], current]))) return;
    keepFocus(this.element, () => {
      clear(this.element);
      this.element.append(h('h2', { id: 'history-heading' }, 'Run history'));
      const list = h('ul', { class: 'ml-history', 'data-testid': 'history', 'aria-label': 'Past training and comparison records' });
      for (const item of state.history) list.append(this.item(item, pinned.has(item.id), item.id === current));
      if (state.history.length === 0) list.append(h('li', { class: 'ml-muted' }, 'No saved runs yet.'));
      this.element.append(list);
    });
  }

  private item(item: RecordListItem, isPinned: boolean, isCurrent: boolean): HTMLLIElement {
    const title = `${item.modelName} — ${item.kind === 'compare' ? 'comparison' : 'training'}`;
    const detail = [formatDate(item.createdAt)];
    if (item.bestValAccuracy !== undefined) detail.push(`best val_accuracy ${formatPercent(item.bestValAccuracy)}`);
    const main = h('span', { class: 'ml-history-main' });
    if (this.ctx.host.standalone || isCurrent) {
      main.append(h('span', { class: 'ml-history-open' }, title));
    } else {
      const open = h('button', { class: 'ml-link-button ml-history-open', type: 'button', 'data-focus-key': `open-${item.id}` }, title);
      open.addEventListener('click', () => this.ctx.host.post({ type: 'openRecord', id: item.id }));
      main.append(open);
    }
    main.append(h('span', { class: 'ml-history-detail' }, detail.join(' · ')));
    const li = h('li', { 'data-record-id': item.id, 'aria-current': isCurrent ? 'true' : undefined }, main, countBadge(item.runs, `${item.runs} run${item.runs === 1 ? '' : 's'}`));
    if (!this.ctx.host.standalone && !isCurrent) {
      li.append(
        button({
          label: isPinned ? 'Unpin' : 'Pin',
          pressed: isPinned,
          testId: 'pin',
          focusKey: `pin-${item.id}`,
          ariaLabel: `Pin ${title} from ${formatDate(item.createdAt)} to compare with the current record`,
          onClick: () => this.ctx.host.post({ type: 'pinRecord', id: item.id, pinned: !isPinned }),
        }),
      );
    } else if (isCurrent) {
      li.append(h('span', { class: 'ml-muted' }, 'shown'));
    }
    return li;
  }
}
