/**
 * Section 2: live training — a line per run (status, the running epoch's batch progress, errors), the Stop
 * button, and the loss and accuracy charts. Updated in place (not rebuilt) because updates arrive up to 10 times a
 * second and a rebuilt Stop button would lose keyboard focus.
 */
import type { RunResult } from '../../src/protocol';
import { statusBadge } from '../components/badge.js';
import { button } from '../components/button.js';
import { progressBar, progressRing, type ProgressBar } from '../components/progress.js';
import { LineChart } from '../charts/line-chart.js';
import { clear, h } from '../dom.js';
import { curveSet } from '../logic/curves.js';
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
  if (run.status === 'completed') return `${epochs}${time}${backend}`;
  if (run.status === 'cancelled') return `stopped after ${epochs}${time}`;
  return `after ${epochs}`;
}

export class TrainingSection {
  readonly element = h('section', { class: 'ml-section', 'aria-labelledby': 'training-heading' });
  private readonly list = h('ul', { class: 'ml-runs', 'aria-label': 'Runs' });
  private readonly lines = new Map<string, RunLine>();
  private readonly stopSlot = h('div', { class: 'ml-actions' });
  private readonly loss: LineChart;
  private readonly accuracy: LineChart;
  private recordKey = '';
  private curvesKey = '';
  private stop: HTMLElement | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly state: () => ViewState,
  ) {
    const png = (name: string, dataUrl: string) => ctx.exporter.png(name, dataUrl, baseName(this.state()));
    this.loss = new LineChart('loss', png);
    this.accuracy = new LineChart('accuracy', png);
    this.element.append(
      h('div', { class: 'ml-section-head' }, h('h2', { id: 'training-heading' }, 'Training'), this.stopSlot),
      this.list,
      h('div', { class: 'ml-charts' }, this.loss.element, this.accuracy.element),
    );
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
    if (this.stop) this.stop.hidden = !(record.active || record.runs.some(isLive));

    const curves = curveSet(record, state.pinned);
    const curvesKey = JSON.stringify(curves);
    if (curvesKey !== this.curvesKey) {
      this.curvesKey = curvesKey;
      this.loss.update(curves.loss, palette);
      this.accuracy.update(curves.accuracy, palette);
    }
  }

  repaint(palette: Palette): void {
    this.loss.repaint(palette);
    this.accuracy.repaint(palette);
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
      title: single ? 'Stop training after the current batch' : 'Stop every run of this comparison after its current batch',
      onClick: () => this.ctx.host.post(runId ? { type: 'stop', runId } : { type: 'stop' }),
    });
    this.stopSlot.append(this.stop);
  }
}
