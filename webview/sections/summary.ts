/**
 * The model summary, as Keras's `model.summary()` prints it, and the dataset and backend line: reference material,
 * so it sits below the results and folds away (the panel remembers whether it was open).
 */
import type { DatasetInfo, RunRecord } from '../../src/protocol';
import { recordModels } from '../../src/results/record-models.js';
import { clear, h, Memo } from '../dom.js';
import { table, td, th } from '../components/table.js';
import { formatInt, formatShape } from '../logic/display-format.js';
import type { ViewState } from '../state.js';

type ModelSummary = RunRecord['model'];

export class SummarySection {
  readonly element = h('section', { class: 'ml-section', 'aria-labelledby': 'summary-heading' });
  private readonly details = h('details', { class: 'ml-collapsible', open: true });
  private readonly heading = h(
    'summary',
    { 'data-testid': 'summary-toggle' },
    h('h2', { id: 'summary-heading' }, 'Model summary'),
  );
  private readonly memo = new Memo();

  constructor() {
    this.element.append(this.details);
  }

  update(state: ViewState): void {
    const record = state.record;
    this.element.hidden = !record;
    if (!record) return;
    const models = recordModels(record);
    if (!this.memo.changed(JSON.stringify([models, record.dataset, record.backend, record.backendNote]))) return;
    clear(this.details);
    const brief = h(
      'span',
      { class: 'ml-muted ml-summary-brief' },
      ` ${models.length > 1 ? `${models.length} models` : `${formatInt(models[0].model.totalParams)} params`} · ${record.dataset?.name ?? 'dataset not loaded yet'}`,
    );
    clear(this.heading);
    this.heading.append(
      h('h2', { id: 'summary-heading' }, models.length > 1 ? 'Model summaries' : 'Model summary'),
      brief,
    );
    this.details.append(
      this.heading,
      // A comparison of several models shows each one's summary, named with the runs that train it.
      ...models.map(({ model, labels }, i) =>
        modelSummary(model, models.length > 1 ? labels : [], i === 0 ? 'summary' : 'summary-more'),
      ),
      h('p', { class: 'ml-dataset' }, datasetLine(record.dataset, record.backend)),
      // Why this backend and not another ("tfjs-node is not installed", "native TensorFlow loaded").
      ...(record.backendNote
        ? [h('p', { class: 'ml-muted ml-backend-note', 'data-testid': 'backend-note' }, record.backendNote)]
        : []),
    );
  }
}

/** Keras's summary of one model as a table, a diagram and the totals; `labels` name the runs that train it. */
function modelSummary(model: ModelSummary, labels: string[], testId: string): HTMLElement {
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
        td(
          layer.type === 'InputLayer' && model.functional
            ? `[${formatShape(layer.outputShape)}]`
            : formatShape(layer.outputShape),
        ),
        td(formatInt(layer.params), { class: 'ml-num' }),
        ...(connections ? [td((layer.connectedTo ?? []).join(', '))] : []),
      ),
    );
  }
  return h(
    'div',
    { class: 'ml-model-summary', 'data-testid': testId },
    h(
      'p',
      { class: 'ml-muted ml-meta' },
      `Model: "${model.name}"${labels.length ? ` · trained by ${labels.join(', ')}` : ''}`,
    ),
    h('div', { class: 'ml-summary-body' }, t.wrapper, layerDiagram(model)),
    h(
      'div',
      { class: 'ml-totals' },
      h('p', {}, `Total params: ${formatInt(model.totalParams)}`),
      h('p', {}, `Trainable params: ${formatInt(model.trainableParams)}`),
      h('p', {}, `Non-trainable params: ${formatInt(model.nonTrainableParams)}`),
    ),
  );
}

/** "Dataset: fashion-mnist — 48,000 train / 12,000 validation / 10,000 test, 10 classes, from … · Backend: wasm". */
export function datasetLine(dataset: DatasetInfo | undefined, backend: string): string {
  const be = `Backend: ${backend || 'not started yet'}`;
  if (!dataset) return `Dataset: not loaded yet · ${be}`;
  const splits = [`${formatInt(dataset.train)} train`, `${formatInt(dataset.validation)} validation`];
  if (dataset.test > 0) splits.push(`${formatInt(dataset.test)} test`);
  const kind = dataset.task === 'classification' ? `, ${dataset.classNames.length} classes` : ', regression';
  // A CSV row is a vector of features; an image is a grid.
  const shape =
    dataset.exampleShape.length === 1
      ? `, ${formatInt(dataset.exampleShape[0])} feature${dataset.exampleShape[0] === 1 ? '' : 's'}`
      : dataset.exampleShape.length
        ? `, examples ${dataset.exampleShape.join('×')}`
        : '';
  return `Dataset: ${dataset.name} — ${splits.join(' / ')}${kind}${shape}, from ${dataset.source} · ${be}`;
}

/**
 * The model as a diagram: a box per layer (name, type, output shape, parameters) with the data flowing down, the
 * input first. A Sequential stack is a chain; the summary holds no graph edges, so a functional model is drawn in
 * its summary order too.
 */
export function layerDiagram(model: ModelSummary): HTMLElement {
  const list = h('ol', {
    class: 'ml-diagram',
    'data-testid': 'layer-diagram',
    'aria-label': `Layers of ${model.name}, input first`,
  });
  const first = model.layers[0];
  if (first?.inputShape) list.append(h('li', { class: 'ml-diagram-io' }, `Input ${formatShape(first.inputShape)}`));
  for (const layer of model.layers) {
    list.append(
      h(
        'li',
        { class: 'ml-diagram-layer' },
        h('span', { class: 'ml-diagram-type' }, layer.type),
        h('span', { class: 'ml-muted' }, ` ${layer.name}`),
        h(
          'div',
          { class: 'ml-diagram-detail' },
          `${formatShape(layer.outputShape)} · ${formatInt(layer.params)} params`,
        ),
      ),
    );
  }
  return h('figure', { class: 'ml-diagram-figure' }, h('h3', {}, 'Layers'), list);
}
