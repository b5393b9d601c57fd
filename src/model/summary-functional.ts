/**
 * `model.summary()` of a functional (graph) model as Keras 2.x prints it (TF 2.8+): InputLayer rows whose shape is a
 * list (`[(None, 32)]`), and — unless the graph is a plain chain, which Keras prints in the Sequential layout — a
 * fourth "Connected to" column (line_length 98, columns at 32, 53, 65) holding Python's repr of the list
 * `['dense[0][0]', 'dense_1[0][0]']`, broken after each `',`.
 */
import { formatShape } from './number-format';
import { keras2Layout, keras2Totals, keras2Trainable, row } from './summary-format';
import type { LayerSummary, ModelSummary } from './types';

const CHAIN = { line: 65, positions: [29, 55, 65] };
const GRAPH = { line: 98, positions: [32, 53, 65, 98] };

export function formatFunctionalSummary(
  summary: ModelSummary,
  showTrainable?: boolean,
  keras2Types: Readonly<Record<string, string>> = {},
): string {
  const chain = summary.functional?.sequentialLike === true;
  const { line, positions } = keras2Layout(chain ? CHAIN : GRAPH, showTrainable);
  const header = [
    'Layer (type)',
    'Output Shape',
    'Param #',
    ...(chain ? [] : ['Connected to']),
    ...(showTrainable ? ['Trainable'] : []),
  ];
  const lines = [`Model: "${summary.name}"`, '_'.repeat(line), ...row(header, positions), '='.repeat(line)];
  for (const l of summary.layers) {
    const fields = [`${l.name} (${keras2Types[l.name] ?? l.type})`, shapeText(l), String(l.params)];
    if (!chain) fields.push(`[${(l.connectedTo ?? []).map((c) => `'${c}'`).join(', ')}]`);
    if (showTrainable) fields.push(keras2Trainable(l));
    lines.push(...row(fields, positions), '');
  }
  lines.push('='.repeat(line), ...keras2Totals(summary), '_'.repeat(line));
  return lines.join('\n') + '\n';
}

/** An InputLayer's output_shape is a list of one shape in Keras 2, printed as such. */
function shapeText(l: LayerSummary): string {
  const s = formatShape(l.outputShape);
  return l.type === 'InputLayer' ? `[${s}]` : s;
}
