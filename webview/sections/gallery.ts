/**
 * The examples gallery under the confusion matrix: the examples of a clicked cell, or the most confidently wrong
 * ones. Which examples is decided here from the record (`src/results/gallery.ts`); their pixels (or CSV values)
 * come from the extension host, which reads them from the dataset on this machine when asked (`examples` request).
 * Images are drawn into canvases from the bytes; nothing is fetched from anywhere else.
 */
import type { Evaluation, ExamplePredictions, ExamplesReply, RunResult } from '../../src/protocol';
import { cellCaption, cellPositions, confidentlyWrong, galleryExamples } from '../../src/results/gallery.js';
import { button } from '../components/button.js';
import { table, td, th } from '../components/table.js';
import { clear, h } from '../dom.js';
import { formatInt, formatPercent } from '../logic/display-format.js';
import type { Host } from '../host.js';

export type GallerySelection = { kind: 'cell'; actual: number; predicted: number } | { kind: 'wrong' };

interface Shown {
  recordId: string;
  run: RunResult;
  split: 'validation' | 'test';
  classNames: string[];
  examples: ExamplePredictions;
  positions: number[];
  /** A cell's examples share their classes (the title names them); the wrong ones each name theirs. */
  labelClasses: boolean;
}

/** How large a thumbnail is drawn: 28-pixel images at 2×, 32-pixel ones at 2×, larger ones scaled to fit 72 px. */
const THUMB_PX = 64;

export class Gallery {
  readonly element = h('div', {
    class: 'ml-gallery',
    'data-testid': 'gallery',
    hidden: true,
    role: 'region',
    'aria-label': 'Examples',
    'aria-live': 'polite',
  });
  private requestId = 0;
  private shown: Shown | undefined;
  private key = '';

  constructor(private readonly host: Host) {}

  /** The gallery of a run's split: closed when the user looks at another run or split than it shows. */
  follow(recordId: string, run: RunResult, split: 'validation' | 'test'): void {
    const key = `${recordId}/${run.runId}/${split}`;
    if (key !== this.key) this.close();
    this.key = key;
  }

  close(): void {
    this.shown = undefined;
    this.requestId++;
    clear(this.element);
    this.element.hidden = true;
  }

  open(
    recordId: string,
    run: RunResult,
    split: 'validation' | 'test',
    classNames: string[],
    selection: GallerySelection,
  ): void {
    this.key = `${recordId}/${run.runId}/${split}`;
    clear(this.element);
    this.element.hidden = false;
    const name = (i: number) => classNames[i] ?? String(i);
    const found = galleryExamples(run, split);
    const title =
      selection.kind === 'wrong'
        ? 'Most confidently wrong'
        : selection.actual === selection.predicted
          ? `${name(selection.actual)}, predicted right`
          : `${name(selection.actual)} predicted as ${name(selection.predicted)}`;
    const head = h(
      'div',
      { class: 'ml-gallery-head' },
      h('h3', { 'data-testid': 'gallery-title' }, title),
      button({ label: 'Close', testId: 'gallery-close', onClick: () => this.close() }),
    );
    this.element.append(head);
    if ('reason' in found) {
      this.element.append(h('p', { class: 'ml-muted', 'data-testid': 'gallery-reason' }, found.reason));
      return;
    }
    const ex = found.examples;
    const positions =
      selection.kind === 'wrong' ? confidentlyWrong(ex) : cellPositions(ex, selection.actual, selection.predicted);
    this.element.append(h('p', { class: 'ml-muted ml-gallery-caption' }, caption(found.evaluation, ex, selection)));
    if (positions.length === 0) return;
    if (this.host.standalone) {
      this.element.append(
        h(
          'p',
          { class: 'ml-muted', 'data-testid': 'gallery-reason' },
          'The examples are read from the dataset on the machine that trained the run; open the record in VS Code to see them.',
        ),
      );
      return;
    }
    this.shown = {
      recordId,
      run,
      split,
      classNames,
      examples: ex,
      positions,
      labelClasses: selection.kind === 'wrong',
    };
    this.element.append(h('p', { class: 'ml-muted', 'data-testid': 'gallery-loading' }, 'Reading the examples…'));
    this.element.scrollIntoView?.({ block: 'nearest' });
    this.host.post({ type: 'examples', requestId: ++this.requestId, recordId, runId: run.runId, split, positions });
  }

  /** The host's answer: drawn when it answers the latest request, dropped otherwise. */
  receive(reply: ExamplesReply): void {
    const shown = this.shown;
    if (!shown || reply.requestId !== this.requestId || reply.runId !== shown.run.runId) return;
    this.element.querySelector('[data-testid="gallery-loading"]')?.remove();
    if (reply.kind === 'unavailable') {
      this.element.append(h('p', { class: 'ml-muted', 'data-testid': 'gallery-reason' }, reply.reason));
      return;
    }
    const ex = shown.examples;
    const name = (i: number) => shown.classNames[i] ?? String(i);
    const label = (p: number) =>
      `Example ${ex.index[p]} of the ${ex.source === 'train' ? 'training' : 'test'} file: ${name(ex.actual[p])}, predicted ${name(ex.predicted[p])} (${formatPercent(ex.confidence[p])})`;
    if (reply.kind === 'image') {
      const grid = h('ul', { class: 'ml-gallery-grid', 'data-testid': 'gallery-images' });
      for (const item of reply.items) {
        if (!shown.positions.includes(item.position) || !item.pixels) continue;
        const p = item.position;
        const canvas = drawImage(item.pixels, reply.shape);
        canvas.setAttribute('aria-label', label(p));
        canvas.setAttribute('role', 'img');
        const wrong = shown.labelClasses && ex.actual[p] !== ex.predicted[p];
        grid.append(
          h(
            'li',
            { title: label(p), 'data-index': ex.index[p] },
            canvas,
            h(
              'span',
              { class: 'ml-gallery-label' },
              wrong ? h('span', { class: 'ml-gallery-wrong' }, `${name(ex.predicted[p])} `) : null,
              formatPercent(ex.confidence[p], 0),
            ),
            wrong ? h('span', { class: 'ml-gallery-truth ml-muted' }, `is ${name(ex.actual[p])}`) : null,
          ),
        );
      }
      this.element.append(grid);
      return;
    }
    const t = table({ caption: 'Examples', testId: 'gallery-rows', className: 'ml-gallery-rows' });
    t.thead.append(
      h(
        'tr',
        {},
        th('Row', 'col', { class: 'ml-num' }),
        th('Actual', 'col'),
        th('Predicted', 'col'),
        th('Confidence', 'col', { class: 'ml-num' }),
        ...reply.columns.map((c) => th(c, 'col', { class: 'ml-num' })),
      ),
    );
    for (const item of reply.items) {
      const p = item.position;
      if (!shown.positions.includes(p)) continue;
      t.tbody.append(
        h(
          'tr',
          { title: label(p) },
          // The header is line 1 of the file: example i is on line i + 2.
          td(formatInt(ex.index[p] + 2), { class: 'ml-num', title: 'Line in the CSV file' }),
          td(name(ex.actual[p])),
          td(name(ex.predicted[p])),
          td(formatPercent(ex.confidence[p]), { class: 'ml-num' }),
          ...(item.values ?? []).map((v) => td(String(v), { class: 'ml-num' })),
        ),
      );
    }
    this.element.append(t.wrapper);
  }
}

function caption(ev: Evaluation, ex: ExamplePredictions, selection: GallerySelection): string {
  const set = `the ${ev.split} set`;
  if (selection.kind === 'wrong') {
    return `The wrong predictions of ${set} the model was surest of, surest first (from the ${formatInt(ex.index.length)} examples the record keeps of ${formatInt(ex.evaluated)}).`;
  }
  const total = ev.confusionMatrix?.[selection.actual]?.[selection.predicted] ?? 0;
  const shown = cellPositions(ex, selection.actual, selection.predicted).length;
  return cellCaption(shown, total);
}

/** A canvas holding the image's own pixels (grey or RGB bytes), scaled up by CSS without smoothing. */
function drawImage(base64: string, [height, width, channels]: [number, number, number]): HTMLCanvasElement {
  const canvas = h('canvas', { class: 'ml-gallery-image' });
  canvas.width = width;
  canvas.height = height;
  const scale = Math.max(1, Math.floor(THUMB_PX / Math.max(width, height)));
  canvas.style.width = `${width * scale}px`;
  canvas.style.height = `${height * scale}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const o = i * 4;
    if (channels === 1) {
      image.data[o] = image.data[o + 1] = image.data[o + 2] = bytes[i];
    } else {
      image.data[o] = bytes[i * 3];
      image.data[o + 1] = bytes[i * 3 + 1];
      image.data[o + 2] = bytes[i * 3 + 2];
    }
    image.data[o + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}
