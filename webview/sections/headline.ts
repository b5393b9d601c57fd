/**
 * The headline strip at the top of the panel: what a practitioner looks for first — the best (or the only) run's
 * validation accuracy and loss and its time per epoch — before the charts, so results are above the fold.
 */
import { h, clear, Memo } from '../dom.js';
import { formatDuration, formatMetric, formatPercent } from '../logic/display-format.js';
import { comparisonRows, decide } from '../../src/results/comparison-rows.js';
import type { ViewState } from '../state.js';

export class HeadlineSection {
  readonly element = h('div', {
    class: 'ml-headline',
    'data-testid': 'headline',
    role: 'group',
    'aria-label': 'Headline results',
  });
  private readonly memo = new Memo();

  update(state: ViewState): void {
    const record = state.record;
    const rows = record ? comparisonRows(record) : [];
    const decision = decide(rows);
    // The best completed row; while nothing has finished, the only row (a single live run).
    const row = rows[decision.best] ?? (rows.length === 1 ? rows[0] : undefined);
    this.element.hidden = !row;
    if (!row || !this.memo.changed(JSON.stringify([row, rows.length]))) return;
    clear(this.element);
    const stat = (label: string, value: string, title?: string) =>
      h(
        'div',
        { class: 'ml-stat', title },
        h('span', { class: 'ml-stat-label' }, label),
        h('span', { class: 'ml-stat-value' }, value),
      );
    const acc = row.metrics.val_accuracy ?? row.metrics.accuracy;
    const loss = row.metrics.val_loss ?? row.metrics.loss;
    const spread = (s: typeof acc, f: (n: number) => string) => (s?.std !== undefined ? ` ± ${f(s.std)}` : '');
    const who = rows.length > 1 ? (decision.best >= 0 ? `Best: ${row.name}` : row.name) : row.name;
    this.element.append(
      stat(rows.length > 1 ? 'Best run' : 'Run', who.replace(/^Best: /, '')),
      stat(
        row.metrics.val_accuracy ? 'Val accuracy' : 'Accuracy',
        acc ? formatPercent(acc.mean, 2) + spread(acc, (n) => formatPercent(n, 2)) : '—',
      ),
      stat(
        row.metrics.val_loss ? 'Val loss' : 'Loss',
        loss ? formatMetric(loss.mean) + spread(loss, (n) => formatMetric(n)) : '—',
      ),
      stat('Time / epoch', formatDuration(row.epochMs?.mean), 'Mean wall time per epoch, training and validation'),
    );
  }
}
