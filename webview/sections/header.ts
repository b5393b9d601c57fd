/** The page title, what the record is, and notices from the host. */
import { button } from '../components/button.js';
import { h } from '../dom.js';
import { formatDate } from '../logic/display-format.js';
import type { ViewState } from '../state.js';

export class HeaderSection {
  readonly element = h('header');
  private readonly title = h('h1', {}, 'Model Lab');
  private readonly meta = h('p', { class: 'ml-meta' });
  private readonly notices = h('div', { 'aria-live': 'polite' });
  private readonly empty = h(
    'p',
    { class: 'ml-empty' },
    'No results yet. Train or compare a model to see its results here.',
  );

  constructor() {
    this.element.append(this.title, this.meta, this.notices, this.empty);
  }

  update(state: ViewState): void {
    const record = state.record;
    this.empty.hidden = !!record;
    this.meta.hidden = !record;
    if (!record) return;
    const model = record.definition?.name ?? record.model.name;
    // A record the user renamed in the history shows their name; the model's stays in the line below.
    const name = record.title ?? model;
    this.title.textContent = name;
    document.title = `${name} — Model Lab`;
    const what = record.kind === 'compare' ? `Comparison of ${record.runs.length} runs` : 'Training run';
    const parts = [record.title ? `${what} of ${model}` : what, formatDate(record.createdAt)];
    if (record.modelFile) parts.push(record.modelFile);
    this.meta.textContent = parts.join(' · ');
  }

  notice(level: 'info' | 'error', message: string): void {
    const note = h(
      'div',
      { class: `ml-notice ml-notice-${level}`, role: level === 'error' ? 'alert' : 'status' },
      h('p', {}, message),
    );
    note.append(button({ label: 'Dismiss', onClick: () => note.remove() }));
    this.notices.append(note);
    // Keep the last few; old notices are history, not news.
    while (this.notices.childElementCount > 3) this.notices.firstElementChild?.remove();
  }
}
