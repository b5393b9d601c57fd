/**
 * Section 6: past records — open one (`openRecord`), pin it for comparison with the current one (`pinRecord`),
 * rename it (`renameRecord`, inline: Enter saves, Escape cancels, an empty name restores the default) or delete it.
 */
import type { RecordListItem } from '../../src/protocol';
import { TITLE_MAX_LENGTH } from '../../src/protocol';
import { countBadge } from '../components/badge.js';
import { button } from '../components/button.js';
import { clear, h, keepFocus, Memo } from '../dom.js';
import { formatDate, formatPercent } from '../logic/display-format.js';
import type { Context, ViewState } from '../state.js';

export class HistorySection {
  readonly element = h('section', { class: 'ml-section', 'aria-labelledby': 'history-heading' });
  private readonly memo = new Memo();
  private filter = '';
  private last: ViewState | undefined;
  /** The record whose name is being edited. */
  private editing: string | undefined;

  constructor(private readonly ctx: Context) {}

  update(state: ViewState): void {
    const pinned = new Set(state.pinned.map((p) => p.id));
    const current = state.record?.id;
    // The standalone report has nothing to open: it shows the history only when it was given one.
    this.element.hidden = this.ctx.host.standalone && state.history.length === 0;
    this.last = state;
    if (!this.memo.changed(JSON.stringify([state.history, [...pinned], current, this.filter, this.editing]))) return;
    keepFocus(this.element, () => {
      clear(this.element);
      const filter = h('input', {
        type: 'search',
        class: 'ml-filter',
        placeholder: 'Filter by model, kind or date',
        value: this.filter,
        'aria-label': 'Filter the run history',
        'data-focus-key': 'history-filter',
        'data-testid': 'history-filter',
      });
      filter.addEventListener('input', () => {
        this.filter = filter.value;
        if (this.last) this.update(this.last);
      });
      this.element.append(
        h(
          'div',
          { class: 'ml-section-head' },
          h('h2', { id: 'history-heading' }, 'Run history'),
          state.history.length > 3 ? filter : null,
        ),
      );
      const list = h('ul', {
        class: 'ml-history',
        'data-testid': 'history',
        'aria-label': 'Past training and comparison records',
      });
      const words = this.filter.toLowerCase().split(/\s+/).filter(Boolean);
      const shown = state.history.filter((item) => {
        const text =
          `${item.title ?? ''} ${item.modelName} ${item.kind === 'compare' ? 'comparison compare' : 'training train'} ${formatDate(item.createdAt)} ${marks(item)}`.toLowerCase();
        return words.every((w) => text.includes(w));
      });
      for (const item of shown) list.append(this.item(item, pinned.has(item.id), item.id === current));
      if (state.history.length === 0) list.append(h('li', { class: 'ml-muted' }, 'No saved runs yet.'));
      else if (shown.length === 0) list.append(h('li', { class: 'ml-muted' }, 'No record matches the filter.'));
      this.element.append(list);
    });
  }

  private rerender(): void {
    if (this.last) this.update(this.last);
  }

  /** The inline name editor: Enter (or Save) sends the name, Escape (or Cancel) leaves it. */
  private renameForm(item: RecordListItem): HTMLElement {
    const input = h('input', {
      type: 'text',
      class: 'ml-rename',
      value: item.title ?? '',
      placeholder: item.modelName,
      maxlength: TITLE_MAX_LENGTH,
      'aria-label': `New name for ${item.title ?? item.modelName} (empty: the model's name)`,
      'data-focus-key': `rename-input-${item.id}`,
      'data-testid': 'rename-input',
    });
    const save = () => {
      this.editing = undefined;
      this.ctx.host.post({ type: 'renameRecord', id: item.id, title: input.value.trim().slice(0, TITLE_MAX_LENGTH) });
      this.rerender();
    };
    const cancel = () => {
      this.editing = undefined;
      this.rerender();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') save();
      else if (e.key === 'Escape') cancel();
    });
    requestAnimationFrame(() => input.focus());
    return h(
      'span',
      { class: 'ml-history-main ml-rename-form' },
      input,
      h(
        'span',
        { class: 'ml-actions' },
        button({ label: 'Save', appearance: 'primary', testId: 'rename-save', onClick: save }),
        button({ label: 'Cancel', testId: 'rename-cancel', onClick: cancel }),
      ),
    );
  }

  private item(item: RecordListItem, isPinned: boolean, isCurrent: boolean): HTMLLIElement {
    const kind = item.kind === 'compare' ? 'comparison' : 'training';
    const title = item.title ? `${item.title} (${item.modelName} ${kind})` : `${item.modelName} — ${kind}`;
    const detail = [formatDate(item.createdAt)];
    if (item.bestValAccuracy !== undefined) detail.push(`best val_accuracy ${formatPercent(item.bestValAccuracy)}`);
    const problems = marks(item);
    const main = h('span', { class: 'ml-history-main' });
    if (this.ctx.host.standalone || isCurrent) {
      main.append(h('span', { class: 'ml-history-open' }, title));
    } else {
      const open = h(
        'button',
        { class: 'ml-link-button ml-history-open', type: 'button', 'data-focus-key': `open-${item.id}` },
        title,
      );
      open.addEventListener('click', () => this.ctx.host.post({ type: 'openRecord', id: item.id }));
      main.append(open);
    }
    main.append(h('span', { class: 'ml-history-detail' }, detail.join(' · ')));
    if (problems) main.append(h('span', { class: 'ml-history-marks', 'data-testid': 'history-marks' }, problems));
    const li = h(
      'li',
      { 'data-record-id': item.id, 'aria-current': isCurrent ? 'true' : undefined },
      this.editing === item.id ? this.renameForm(item) : main,
      countBadge(item.runs, `${item.runs} run${item.runs === 1 ? '' : 's'}`),
    );
    const rename = button({
      label: 'Rename',
      testId: 'rename-record',
      focusKey: `rename-${item.id}`,
      ariaLabel: `Rename ${title} from ${formatDate(item.createdAt)}`,
      onClick: () => {
        this.editing = item.id;
        this.rerender();
      },
    });
    if (!this.ctx.host.standalone && this.editing !== item.id) li.append(rename);
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
      li.append(
        button({
          label: 'Delete',
          testId: 'delete-record',
          focusKey: `delete-${item.id}`,
          ariaLabel: `Delete ${title} from ${formatDate(item.createdAt)} (asks first)`,
          onClick: () => this.ctx.host.post({ type: 'deleteRecord', id: item.id }),
        }),
      );
    } else if (isCurrent) {
      li.append(h('span', { class: 'ml-muted' }, 'shown'));
    }
    return li;
  }
}

/** "1 failed · 2 stopped · 1 interrupted": what did not finish, so a partial record is never mistaken for a result. */
function marks(item: RecordListItem): string {
  const parts: string[] = [];
  if (item.failed) parts.push(`${item.failed} failed`);
  if (item.stopped) parts.push(`${item.stopped} stopped`);
  if (item.interrupted) parts.push(`${item.interrupted} interrupted`);
  return parts.join(' · ');
}
