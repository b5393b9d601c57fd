/**
 * Section 2: live training — a line per run (status, the running epoch's batch progress, errors), the Stop
 * button, and the loss and accuracy charts. Updated in place (not rebuilt) because updates arrive up to 10 times a
 * second and a rebuilt Stop button would lose keyboard focus.
 */
import { callbackSummary } from './callback-notes.js';
import { learningRateChart } from './lr-chart.js';
import type { RunResult } from '../../src/protocol';
import { statusBadge } from '../components/badge.js';
import { button } from '../components/button.js';
import { progressBar, progressRing, type ProgressBar } from '../components/progress.js';
import { LineChart } from '../charts/line-chart.js';
import { clear, h, keepFocus } from '../dom.js';
import { curveSet, metricChoices, type CurveFilter } from '../logic/curves.js';
import { formatDuration, runName } from '../logic/display-format.js';
import { batchFraction, progressLine } from '../logic/run-progress.js';
import type { Palette } from '../theme.js';
import { baseName, type Context, type ViewState } from '../state.js';

const isLive = (r: RunResult) => r.status === 'running' || r.status === 'queued';

class RunLine {
  readonly element: HTMLLIElement;
  private readonly label = h('span', { class: 'ml-run-label' });
  private readonly badgeSlot = h('span');
  private readonly summary = h('span', { class: 'ml-run-summary' });
  private readonly controls = h('span', { class: 'ml-actions' });
  private readonly line = h('div', { class: 'ml-run-line', 'aria-live': 'off' });
  private readonly bar: ProgressBar;
  private readonly error = h('p', { class: 'ml-error', role: 'alert' });
  private shownStatus = '';
  private readonly ring: HTMLElement;
  private readonly stop: HTMLElement | undefined;

  constructor(
    run: RunResult,
    /** The run's label, with `#n` when its variant has repeats. */
    private readonly name: string,
    single: boolean,
    ctx: Context,
  ) {
    this.bar = progressBar(`Progress of ${name}'s current epoch`);
    this.ring = progressRing(`${name} is training`);
    if (!single && !ctx.host.standalone) {
      this.stop = button({
        label: 'Stop',
        testId: 'stop-run',
        ariaLabel: `Stop ${name}`,
        focusKey: `stop-${run.runId}`,
        onClick: () => ctx.host.post({ type: 'stop', runId: run.runId }),
      });
    }
    this.controls.append(this.ring, ...(this.stop ? [this.stop] : []));
    this.element = h(
      'li',
      { class: 'ml-run', 'data-run-id': run.runId, 'data-testid': single ? 'run-status' : undefined },
      this.label,
      this.badgeSlot,
      this.summary,
      this.controls,
      this.line,
      this.bar.element,
      this.error,
    );
  }

  update(run: RunResult): void {
    this.element.setAttribute('data-status', run.status);
    this.label.textContent = this.name;
    if (this.shownStatus !== run.status) {
      clear(this.badgeSlot);
      this.badgeSlot.append(statusBadge(run.status));
      this.shownStatus = run.status;
    }
    const live = isLive(run);
    const running = run.status === 'running';
    const done = Math.max(0, ...Object.values(run.history).map((h) => h.length));
    this.summary.textContent = live ? '' : finishedText(run, done);
    this.line.textContent = progressLine(run);
    this.line.hidden = !live;
    this.bar.element.hidden = !running;
    if (running) this.bar.set(batchFraction(run), progressLine(run));
    this.ring.hidden = !running;
    if (this.stop) this.stop.hidden = !live;
    this.error.textContent = run.status === 'failed' ? run.error || 'The run failed without an error message.' : '';
    this.error.hidden = run.status !== 'failed';
  }
}

function finishedText(run: RunResult, done: number): string {
  const epochs = `${done}/${run.epochs} epoch${run.epochs === 1 ? '' : 's'}`;
  const time = run.durationMs > 0 ? ` in ${formatDuration(run.durationMs)}` : '';
  const backend = run.backend ? ` on ${run.backend}` : '';
  if (run.status === 'completed') return `${epochs}${time}${backend}${callbackSummary(run)}`;
  if (run.status === 'cancelled') return `stopped after ${epochs}${time}`;
  return `after ${epochs}`;
}

const FILTERS: { id: CurveFilter; label: string; title: string }[] = [
  { id: 'train', label: 'Train', title: 'Show the training curves only (dashed)' },
  { id: 'val', label: 'Validation', title: 'Show the validation curves only (solid)' },
  { id: 'both', label: 'Both', title: 'Show training (dashed) and validation (solid) curves' },
];

export class TrainingSection {
  readonly element = h('section', { class: 'ml-section', 'aria-labelledby': 'training-heading' });
  private readonly list = h('ul', { class: 'ml-runs', 'aria-label': 'Runs' });
  private readonly lines = new Map<string, RunLine>();
  private readonly stopSlot = h('div', { class: 'ml-actions' });
  private readonly controls = h('div', { class: 'ml-chart-controls', role: 'group', 'aria-label': 'Chart options' });
  private readonly loss: LineChart;
  private readonly accuracy: LineChart;
  private readonly lr: LineChart;
  private recordKey = '';
  private curvesKey = '';
  private stop: HTMLElement | undefined;
  private filter: CurveFilter = 'both';
  private logY = false;
  /** Per-step curves: the user's choice, else on for a single run or while training, off for a finished comparison. */
  private steps: boolean | undefined;
  private metricPicked = false;
  private smoothing = 0.6;
  private metric = 'accuracy';
  private choices: string[] = [];
  private palette: Palette | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly state: () => ViewState,
  ) {
    const png = (name: string, dataUrl: string) => ctx.exporter.png(name, dataUrl, baseName(this.state()));
    this.loss = new LineChart('loss', png);
    this.accuracy = new LineChart('accuracy', png);
    this.lr = new LineChart('learning-rate', png);
    this.lr.element.hidden = true;
    this.renderControls();
    const history = button({
      label: 'History CSV',
      title: "Every run's history in long format: run, epoch, metric, value, with each run's settings",
      testId: 'export-history',
      onClick: () => {
        const s = this.state();
        if (s.record) ctx.exporter.history([s.record, ...s.pinned], baseName(s));
      },
    });
    this.element.append(
      h(
        'div',
        { class: 'ml-section-head' },
        h('h2', { id: 'training-heading' }, 'Training'),
        h('div', { class: 'ml-actions' }, history, this.stopSlot),
      ),
      this.list,
      this.controls,
      h('div', { class: 'ml-charts' }, this.loss.element, this.accuracy.element, this.lr.element),
    );
  }

  /** Train / Validation / Both, the line-style key, and the log scale for the loss. */
  private renderControls(): void {
    clear(this.controls);
    const seg = h('div', { class: 'ml-segmented', 'data-testid': 'curve-filter' });
    for (const f of FILTERS) {
      const b = h(
        'button',
        {
          type: 'button',
          class: 'ml-seg',
          'aria-pressed': String(this.filter === f.id),
          title: f.title,
          'data-focus-key': `filter-${f.id}`,
          'data-filter': f.id,
        },
        f.label,
      );
      b.addEventListener('click', () => {
        this.filter = f.id;
        this.renderControls();
        this.redraw();
      });
      seg.append(b);
    }
    const log = h('input', { type: 'checkbox', id: 'loss-log', 'data-focus-key': 'loss-log', checked: this.logY });
    log.addEventListener('change', () => {
      this.logY = log.checked;
      this.redraw();
    });
    const steps = h('input', {
      type: 'checkbox',
      id: 'show-steps',
      'data-focus-key': 'show-steps',
      checked: this.showSteps(),
    });
    steps.addEventListener('change', () => {
      this.steps = steps.checked;
      this.redraw();
    });
    const smoothing = h('input', {
      type: 'range',
      id: 'smoothing',
      min: 0,
      max: 0.95,
      step: 0.05,
      value: this.smoothing,
      'data-focus-key': 'smoothing',
      'aria-label': 'Smoothing of the per-step curves',
      title: `Smoothing ${this.smoothing.toFixed(2)}`,
    });
    smoothing.addEventListener('input', () => {
      this.smoothing = Number(smoothing.value);
      smoothing.title = `Smoothing ${this.smoothing.toFixed(2)}`;
      this.redraw();
    });
    const metric = h('select', {
      id: 'metric-picker',
      'data-testid': 'metric-picker',
      'data-focus-key': 'metric-picker',
      'aria-label': 'Metric of the second chart',
    });
    for (const m of this.choices.length ? this.choices : ['accuracy', 'time']) {
      metric.append(h('option', { value: m, selected: m === this.metric }, m === 'time' ? 'time per epoch' : m));
    }
    metric.addEventListener('change', () => {
      this.metric = metric.value;
      this.metricPicked = true;
      this.redraw();
    });
    this.controls.append(
      seg,
      h(
        'span',
        { class: 'ml-line-key', 'data-testid': 'line-key' },
        h('span', { class: 'ml-key-solid', 'aria-hidden': 'true' }),
        'validation',
        h('span', { class: 'ml-key-dashed', 'aria-hidden': 'true' }),
        'training',
      ),
      h('label', { class: 'ml-check' }, steps, 'Per-step curves'),
      h('label', { class: 'ml-check', for: 'smoothing' }, 'Smoothing', smoothing),
      h('label', { class: 'ml-check' }, log, 'Log-scale loss'),
      h('label', { class: 'ml-check', for: 'metric-picker' }, 'Second chart', metric),
    );
  }

  private showSteps(): boolean {
    if (this.steps !== undefined) return this.steps;
    const record = this.state().record;
    return !record || record.runs.length === 1 || !!record.active || record.runs.some(isLive);
  }

  private redraw(): void {
    this.curvesKey = '';
    if (this.palette) this.update(this.state(), this.palette);
  }

  update(state: ViewState, palette: Palette): void {
    const record = state.record;
    this.element.hidden = !record;
    if (!record) return;
    const single = record.kind === 'train' && record.runs.length === 1;
    const key = `${record.id}|${single}|${record.runs.map((r) => r.runId).join(',')}`;
    if (key !== this.recordKey) {
      this.recordKey = key;
      clear(this.list);
      this.lines.clear();
      for (const run of record.runs) {
        const line = new RunLine(run, runName(run, record.runs), single, this.ctx);
        this.lines.set(run.runId, line);
        this.list.append(line.element);
      }
      this.buildStop(single ? record.runs[0]?.runId : undefined, single);
    }
    for (const run of record.runs) this.lines.get(run.runId)?.update(run);
    // A finished comparison's statuses are in its table (icons, errors): the run list would push the charts down.
    this.list.hidden = record.kind === 'compare' && !record.active && !record.runs.some(isLive);
    if (this.stop) this.stop.hidden = !(record.active || record.runs.some(isLive));

    this.palette = palette;
    const choices = metricChoices(record, state.pinned);
    if (choices.join() !== this.choices.join()) {
      this.choices = choices;
      if (!this.metricPicked || !choices.includes(this.metric)) this.metric = choices[0];
      keepFocus(this.controls, () => this.renderControls());
    }
    const stepsBox = this.controls.querySelector<HTMLInputElement>('#show-steps');
    if (stepsBox && this.steps === undefined) stepsBox.checked = this.showSteps();
    const curves = curveSet(record, state.pinned, {
      filter: this.filter,
      steps: this.showSteps(),
      smoothing: this.smoothing,
      metric: this.metric,
    });
    const best = bestEpochOf(record);
    const curvesKey = JSON.stringify([curves, best, this.logY]);
    if (curvesKey !== this.curvesKey) {
      this.curvesKey = curvesKey;
      this.loss.update(curves.loss, palette, { logY: this.logY, bestEpoch: best });
      this.accuracy.update(curves.accuracy, palette, { bestEpoch: best });
      const lr = learningRateChart(record);
      this.lr.element.hidden = !lr;
      if (lr) this.lr.update(lr, palette);
    }
  }

  repaint(palette: Palette): void {
    this.palette = palette;
    this.loss.repaint(palette);
    this.accuracy.repaint(palette);
    this.lr.repaint(palette);
  }

  private buildStop(runId: string | undefined, single: boolean): void {
    clear(this.stopSlot);
    this.stop = undefined;
    if (this.ctx.host.standalone) return;
    this.stop = button({
      label: single ? 'Stop' : 'Stop all',
      appearance: 'primary',
      testId: 'stop',
      focusKey: 'stop',
      title: single
        ? 'Stop training after the current batch'
        : 'Stop every run of this comparison after its current batch',
      onClick: () => this.ctx.host.post(runId ? { type: 'stop', runId } : { type: 'stop' }),
    });
    this.stopSlot.append(this.stop);
  }
}

/** The epoch of a single run's best val_accuracy (else lowest val_loss): where early stopping would have kept it. */
function bestEpochOf(record: ViewState['record']): number | undefined {
  if (!record || record.runs.length !== 1) return undefined;
  const h = record.runs[0].history;
  const acc = h.val_accuracy;
  const loss = h.val_loss;
  const pick = (xs: number[], better: (a: number, b: number) => boolean) =>
    xs.reduce((bi, v, i) => (better(v, xs[bi]) ? i : bi), 0) + 1;
  if (acc && acc.length > 1) return pick(acc, (a, b) => a > b);
  if (loss && loss.length > 1) return pick(loss, (a, b) => a < b);
  return undefined;
}
