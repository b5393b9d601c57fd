/** The results UI: owns the view state and the sections, applies host messages, persists state. */
import type { HostToWebview } from '../src/protocol';
import { h } from './dom.js';
import { ComparisonSection } from './sections/comparison.js';
import { EvaluationSection } from './sections/evaluation.js';
import { HeaderSection } from './sections/header.js';
import { HeadlineSection } from './sections/headline.js';
import { HistorySection } from './sections/history.js';
import { SummarySection } from './sections/summary.js';
import { TrainingSection } from './sections/training.js';
import { readPalette, watchTheme } from './theme.js';
import type { Context, ViewState } from './state.js';

export class App {
  private state: ViewState = { history: [], pinned: [] };
  private readonly header = new HeaderSection();
  private readonly headline = new HeadlineSection();
  private readonly summary = new SummarySection();
  private readonly training: TrainingSection;
  private readonly comparison: ComparisonSection;
  private readonly evaluation: EvaluationSection;
  private readonly history: HistorySection;

  constructor(
    root: HTMLElement,
    private readonly ctx: Context,
  ) {
    this.training = new TrainingSection(ctx, () => this.state);
    this.comparison = new ComparisonSection(ctx);
    this.history = new HistorySection(ctx);
    this.evaluation = new EvaluationSection(ctx);
    root.append(
      h(
        'main',
        { class: 'ml-app' },
        // Results first: the headline, the curves, the comparison; the model summary is reference, lower down.
        this.header.element,
        this.headline.element,
        this.training.element,
        this.comparison.element,
        this.evaluation.element,
        this.summary.element,
        this.history.element,
      ),
    );
    watchTheme(() => {
      this.training.repaint(readPalette());
      this.comparison.update(this.state);
    });
  }

  /** Restores what `vscode.setState` kept, so a re-shown panel draws before the host answers `ready`. */
  restore(saved: unknown): void {
    const view = (saved as { view?: ViewState } | undefined)?.view;
    if (view && Array.isArray(view.history) && Array.isArray(view.pinned)) this.render({ ...view });
    else this.render(this.state);
  }

  handle(message: HostToWebview): void {
    switch (message.type) {
      case 'show':
        this.render({ record: message.record, history: message.history, pinned: message.pinned });
        break;
      case 'update':
        // An update for a record no longer shown (the user opened another) is stale.
        if (this.state.record && this.state.record.id !== message.record.id) return;
        this.render({ ...this.state, record: message.record });
        break;
      case 'history':
        this.render({ ...this.state, history: message.history });
        break;
      case 'notice':
        this.header.notice(message.level, message.message);
        return;
      case 'examples':
        this.evaluation.examples(message);
        return;
    }
    this.ctx.host.setState({ view: this.state });
  }

  private render(state: ViewState): void {
    this.state = state;
    const palette = readPalette();
    this.header.update(state);
    this.headline.update(state);
    this.summary.update(state);
    this.training.update(state, palette);
    this.comparison.update(state);
    this.evaluation.update(state);
    this.history.update(state);
    if (state.record) document.body.setAttribute('data-ready', 'true');
  }
}
