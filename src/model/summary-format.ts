/**
 * `model.summary()` in the style the user chose: Keras 2.x's table (the default; for a Sequential model line_length
 * 65, columns at 29 and 55) or Keras 3's boxed one (summary-keras3.ts).
 */
import { formatShape, thousands } from './number-format';
import { formatFunctionalSummary } from './summary-functional';
import { formatKeras3Summary, type Keras3Options } from './summary-keras3';
import type { Graph } from './graph';
import type { LayerInfo } from './infer';
import type { LayerSummary, ModelSummary } from './types';

const LINE = 65;
const POSITIONS = [29, 55, 65];

/** Which Keras's `model.summary()` to print: Keras 2.x's table or Keras 3's boxed one (`pip install keras` today). */
export const SUMMARY_STYLES = ['keras2', 'keras3'] as const;
export type SummaryStyle = (typeof SUMMARY_STYLES)[number];

export interface SummaryOptions extends Keras3Options {
  /** 'keras2' unless given. */
  style?: SummaryStyle;
  /** Keras 2's class of the layers an operator made (SummaryPrint.keras2Types). */
  keras2Types?: Record<string, string>;
}

/**
 * Keras 2 pads every row with spaces to 65 columns; Model Lab trims the trailing spaces (they are invisible and editors
 * strip them), which is the only difference from Keras's text. Keras 3's text is exact.
 */
export function formatSummary(summary: ModelSummary, options: SummaryOptions = {}): string {
  if (options.style === 'keras3') return formatKeras3Summary(summary, options);
  if (summary.functional) return formatFunctionalSummary(summary, options.showTrainable, options.keras2Types);
  const { line, positions } = keras2Layout({ line: LINE, positions: POSITIONS }, options.showTrainable);
  const trainable = options.showTrainable ? ['Trainable'] : [];
  const lines: string[] = [];
  lines.push(`Model: "${summary.name}"`);
  lines.push('_'.repeat(line));
  lines.push(...row(['Layer (type)', 'Output Shape', 'Param #', ...trainable], positions));
  lines.push('='.repeat(line));
  for (const l of summary.layers) {
    const fields = [`${l.name} (${l.type})`, formatShape(l.outputShape), String(l.params)];
    if (options.showTrainable) fields.push(keras2Trainable(l));
    lines.push(...row(fields, positions));
    lines.push('');
  }
  lines.push('='.repeat(line), ...keras2Totals(summary), '_'.repeat(line));
  if (summary.complete === false && summary.incomplete) lines.push(incompleteLine(summary.incomplete));
  return lines.join('\n') + '\n';
}

/**
 * Keras 2's `show_trainable=True`: the line 11 columns longer, a "Trainable" column ending there (layer_utils.py
 * `print_summary`).
 */
export function keras2Layout(
  layout: { line: number; positions: readonly number[] },
  showTrainable?: boolean,
): { line: number; positions: readonly number[] } {
  if (!showTrainable) return layout;
  const line = layout.line + 11;
  return { line, positions: [...layout.positions, line] };
}

/**
 * Keras 2's Trainable cell: `Y` unless the layer is frozen (`trainable=False`, with or without weights, as Keras 2
 * prints `"Y" if layer.trainable else "N"`), or has weights none of which train (a frozen nested model's row).
 */
export function keras2Trainable(l: LayerSummary): string {
  return l.frozen || (l.params > 0 && l.trainableParams === 0) ? 'N' : 'Y';
}

/** The three totals under every summary, in Keras's order and words. */
export function totals(summary: ModelSummary): { label: string; count: number }[] {
  return [
    { label: 'Total params', count: summary.totalParams },
    { label: 'Trainable params', count: summary.trainableParams },
    { label: 'Non-trainable params', count: summary.nonTrainableParams },
  ];
}

/** Keras 2's totals lines: `Total params: 79,510`. */
export function keras2Totals(summary: ModelSummary): string[] {
  return totals(summary).map((t) => `${t.label}: ${thousands(t.count)}`);
}

/** The line under a summary of a model read only in part. */
export function incompleteLine(at: NonNullable<ModelSummary['incomplete']>): string {
  return `Incomplete: ${at.reason} (line ${at.line}, column ${at.character}); the layers from there on are not shown or counted in the totals above.`;
}

/** Keras's print_row: each field cut to its column (less 2 spaces), continuing on extra lines when too long. */
export function row(fields: string[], positions: readonly number[] = POSITIONS): string[] {
  const left = [...fields];
  const out: string[] = [];
  while (left.some((f) => f.length > 0)) {
    let line = '';
    for (let col = 0; col < left.length; col++) {
      const start = col > 0 ? positions[col - 1] : 0;
      const space = col !== positions.length - 1 ? 2 : 0;
      let cutoff = positions[col] - start - space;
      let fit = left[col].slice(0, cutoff);
      // Keras prefers to break a long tuple after "),", "},", "],", "',".
      const breaks = ['),', '},', '],', "',"]
        .map((b) => (fit.indexOf(b) >= 0 ? fit.indexOf(b) + b.length : -1))
        .filter((c) => c >= 0);
      if (breaks.length) {
        cutoff = Math.min(...breaks);
        fit = fit.slice(0, cutoff);
      }
      if (col === 0) line += ' ';
      line += fit + ' '.repeat(space);
      left[col] = left[col].slice(cutoff);
      line += ' '.repeat(Math.max(0, positions[col] - line.length));
    }
    out.push(line.trimEnd());
  }
  return out;
}

/**
 * The summary JSON from analysed layers (all of which have shapes). A layer list leaves its InputLayer out, as Keras's
 * Sequential does; a graph lists its layers in Keras's functional order with what each is connected to.
 */
export function toModelSummary(name: string, all: readonly LayerInfo[], graph?: Graph): ModelSummary {
  const layers = graph
    ? graph.summaryOrder.map((i) => all[i])
    : all.filter((l, i) => !(i === 0 && l.type === 'InputLayer'));
  const summaryLayers = layers.map((l) => ({
    name: l.name,
    type: l.type,
    inputShape: l.inputShape ?? [],
    outputShape: l.outputShape ?? [],
    params: l.params,
    trainableParams: l.trainable,
    nonTrainableParams: l.nonTrainable,
    ...(l.frozen ? { frozen: true as const } : {}),
    ...(l.int64 ? { int64Params: l.int64 } : {}),
    ...(graph ? { connectedTo: graph.inbound[l.index].map((j) => `${all[j].name}[0][0]`) } : {}),
  }));
  const sum = (f: (l: LayerInfo) => number) => layers.reduce((a, l) => a + f(l), 0);
  return {
    name,
    layers: summaryLayers,
    totalParams: sum((l) => l.params),
    trainableParams: sum((l) => l.trainable),
    nonTrainableParams: sum((l) => l.nonTrainable),
    ...(graph ? { functional: { sequentialLike: graph.sequentialLike } } : {}),
  };
}
