/** Section 1: the model summary, as Keras's `model.summary()` prints it, and the dataset and backend line. */
import type { DatasetInfo, RunRecord } from '../../src/protocol';
import { clear, h, Memo } from '../dom.js';
import { table, td, th } from '../components/table.js';
import { formatInt, formatShape } from '../logic/format.js';
import type { ViewState } from '../state.js';

export class SummarySection {
  readonly element = h('section', { class: 'ml-section', 'aria-labelledby': 'summary-heading' });
  private readonly memo = new Memo();

  update(state: ViewState): void {
    const record = state.record;
    this.element.hidden = !record;
    if (!record || !this.memo.changed(JSON.stringify([record.model, record.dataset, record.backend]))) return;
    clear(this.element);
    this.element.append(h('h2', { id: 'summary-heading' }, 'Model summary'), this.body(record));
  }

  private body(record: RunRecord): HTMLElement {
    const model = record.model;
    const t = table({ caption: `Layers of ${model.name}`, className: 'ml-summary-table' });
    // A graph (functional) model that is not a plain chain gets Keras's "Connected to" column.
    const connections = model.functional !== undefined && !model.functional.sequentialLike;
    t.thead.append(
      h(
        'tr',
        {},
        th('Layer (type)', 'col'),
        th('Output Shape', 'col'),
        th('Param #', 'col', { class: 'ml-num' }),
        ...(connections ? [th('Connected to', 'col')] : []),
      ),
    );
    for (const layer of model.layers) {
      t.tbody.append(
        h(
          'tr',
          {},
          th(`${layer.name} (${layer.type})`, 'row'),
          td(layer.type === 'InputLayer' && model.functional ? `[${formatShape(layer.outputShape)}]` : formatShape(layer.outputShape)),
          td(formatInt(layer.params), { class: 'ml-num' }),
          ...(connections ? [td((layer.connectedTo ?? []).join(', '))] : []),
        ),
      );
    }
    return h(
      'div',
      { 'data-testid': 'summary' },
      h('p', { class: 'ml-muted ml-meta' }, `Model: "${model.name}"`),
      t.wrapper,
      h(
        'div',
        { class: 'ml-totals' },
        h('p', {}, `Total params: ${formatInt(model.totalParams)}`),
        h('p', {}, `Trainable params: ${formatInt(model.trainableParams)}`),
        h('p', {}, `Non-trainable params: ${formatInt(model.nonTrainableParams)}`),
      ),
      h('p', { class: 'ml-dataset' }, datasetLine(record.dataset, record.backend)),
    );
  }
}

/** "Dataset: fashion-mnist — 48,000 train / 12,000 validation / 10,000 test, 10 classes, from … · Backend: wasm". */
export function datasetLine(dataset: DatasetInfo | undefined, backend: string): string {
  const be = `Backend: ${backend || 'not started yet'}`;
  if (!dataset) return `Dataset: not loaded yet · ${be}`;
  const splits = [`${formatInt(dataset.train)} train`, `${formatInt(dataset.validation)} validation`];
  if (dataset.test > 0) splits.push(`${formatInt(dataset.test)} test`);
  const kind = dataset.task === 'classification' ? `, ${dataset.classNames.length} classes` : ', regression';
  const shape = dataset.exampleShape.length ? `, examples ${dataset.exampleShape.join('×')}` : '';
  return `Dataset: ${dataset.name} — ${splits.join(' / ')}${kind}${shape}, from ${dataset.source} · ${be}`;
}
