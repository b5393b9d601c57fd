/**
 * Section 3: evaluation of one run — loss/accuracy on the split, the confusion matrix as a heat map (actual rows ×
 * predicted columns, colour intensity = share of the actual class) and accuracy per class. A clicked cell, or
 * "Most confidently wrong", opens the examples gallery (`gallery.ts`) below the matrix.
 */
import type { Evaluation, ExamplesReply, RunResult } from '../../src/protocol';
import { button } from '../components/button.js';
import { Gallery } from './gallery.js';
import { tabs } from '../components/tabs.js';
import { addNormalisedSwitch, classMetricsTable } from './class-metrics-view.js';
import { clear, h, keepFocus, Memo } from '../dom.js';
import { confusionMatrix } from './confusion-matrix.js';
import { formatInt, formatMetric, formatPercent, runName } from '../logic/display-format.js';
import { bestRowIndex, comparisonRows } from '../../src/results/comparison-rows.js';
import type { Context, ViewState } from '../state.js';

export class EvaluationSection {
  readonly element = h('section', { class: 'ml-section', 'aria-labelledby': 'evaluation-heading' });
  private readonly memo = new Memo();
  /** The run the user picked; the best run until they pick one. */
  private selected: string | undefined;
  private split: 'validation' | 'test' = 'validation';
  private lastState: ViewState | undefined;
  private readonly gallery: Gallery;

  constructor(ctx: Context) {
    this.gallery = new Gallery(ctx.host);
  }

  /** The host's answer to the gallery's request for example pixels. */
  examples(reply: ExamplesReply): void {
    this.gallery.receive(reply);
  }

  update(state: ViewState): void {
    this.lastState = state;
    const record = state.record;
    const runs = (record?.runs ?? []).filter((r) => r.evaluation || r.testEvaluation);
    this.element.hidden = runs.length === 0;
    if (!record || runs.length === 0) return;
    const run = runs.find((r) => r.runId === this.selected) ?? defaultRun(state, runs);
    if (
      !this.memo.changed(
        JSON.stringify([run.runId, runs.map((r) => [r.runId, r.label]), run.evaluation, run.testEvaluation]),
      )
    )
      return;
    keepFocus(this.element, () => this.render(record.id, runs, run, record.dataset?.classNames ?? []));
  }

  private render(recordId: string, runs: RunResult[], run: RunResult, classNames: string[]): void {
    clear(this.element);
    const head = h('div', { class: 'ml-eval-head' }, h('h2', { id: 'evaluation-heading' }, 'Evaluation'));
    if (runs.length > 1) {
      const select = h('select', { id: 'evaluation-run', 'data-focus-key': 'evaluation-run' });
      for (const r of runs)
        select.append(h('option', { value: r.runId, selected: r.runId === run.runId }, runName(r, runs)));
      select.addEventListener('change', () => {
        this.selected = select.value;
        if (this.lastState) this.update(this.lastState);
      });
      head.append(h('label', { for: 'evaluation-run' }, 'Run'), select);
    }
    this.element.append(head);

    const splits = [
      run.evaluation
        ? { id: 'validation', label: `${capitalize(run.evaluation.split)} set`, evaluation: run.evaluation }
        : undefined,
      run.testEvaluation ? { id: 'test', label: 'Test set', evaluation: run.testEvaluation } : undefined,
    ].filter((s) => s !== undefined);
    const view = (evaluation: Evaluation, split: 'validation' | 'test') => {
      this.gallery.follow(recordId, run, split);
      const open = (selection: Parameters<Gallery['open']>[4]) =>
        this.gallery.open(recordId, run, split, classNames, selection);
      return evaluationView(evaluation, classNames, this.gallery.element, open);
    };
    if (splits.length === 1) {
      this.element.append(view(splits[0].evaluation, splits[0].id as 'validation' | 'test'));
      return;
    }
    const active = splits.some((s) => s.id === this.split) ? this.split : splits[0].id;
    this.element.append(
      tabs(splits, active, (id, into) => {
        this.split = id as 'validation' | 'test';
        const s = splits.find((x) => x.id === id);
        if (s) into.append(view(s.evaluation, this.split));
      }),
    );
  }
}

/** The best run of the comparison (as the table highlights it), else the first run with an evaluation. */
function defaultRun(state: ViewState, runs: RunResult[]): RunResult {
  if (!state.record) return runs[0];
  const rows = comparisonRows(state.record);
  const best = rows[bestRowIndex(rows)];
  return runs.find((r) => best?.runIds.includes(r.runId) && r.status === 'completed') ?? runs[0];
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function evaluationView(
  ev: Evaluation,
  datasetClasses: string[],
  gallery: HTMLElement,
  open: (selection: Parameters<Gallery['open']>[4]) => void,
): HTMLElement {
  const metrics = [`loss ${formatMetric(ev.loss)}`];
  if (ev.accuracy !== undefined) metrics.push(`accuracy ${formatPercent(ev.accuracy, 2)}`);
  const body = h('div', { class: 'ml-eval-body' });
  const classNames = datasetClasses.length > 0 ? datasetClasses : (ev.perClassAccuracy?.map((c) => c.className) ?? []);
  const matrix = ev.confusionMatrix;
  let wrong: HTMLElement | null = null;
  if (matrix && matrix.length > 0) {
    const figure = confusionMatrix(matrix, classNames, ev.split, (actual, predicted) =>
      open({ kind: 'cell', actual, predicted }),
    );
    addNormalisedSwitch(figure, matrix);
    // The gallery opens right under the matrix (full width), so a click shows its examples where the eye already is.
    body.append(figure, gallery, classMetricsTable(matrix, classNames));
    wrong = button({
      label: 'Most confidently wrong',
      testId: 'gallery-wrong',
      title: 'The wrong predictions the model was surest of, with their images or rows',
      onClick: () => open({ kind: 'wrong' }),
    });
  }
  if (ev.perClassAccuracy && ev.perClassAccuracy.length > 0) body.append(perClass(ev.perClassAccuracy));
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'ml-eval-line' },
      h('p', { class: 'ml-eval-metrics' }, `On the ${ev.split} set: ${metrics.join(' · ')}`),
      wrong,
    ),
    body,
  );
}

function perClass(items: NonNullable<Evaluation['perClassAccuracy']>): HTMLElement {
  const list = h('ul', { class: 'ml-classes', 'aria-label': 'Accuracy per class' });
  for (const c of items) {
    const fill = h('div');
    fill.style.width = `${Math.max(0, Math.min(1, c.accuracy)) * 100}%`;
    list.append(
      h(
        'li',
        {},
        h('span', {}, c.className),
        h('span', { class: 'ml-class-meter', 'aria-hidden': 'true' }, fill),
        h('span', { class: 'ml-num' }, formatPercent(c.accuracy)),
        h('span', { class: 'ml-muted' }, `of ${formatInt(c.count)}`),
      ),
    );
  }
  return h('div', {}, h('h3', {}, 'Accuracy per class'), list);
}
