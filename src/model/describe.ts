/**
 * Editor logic as pure functions over a parsed model and its analysis: hovers and inlay hints. The VS Code
 * providers only convert positions and wrap the results.
 */
import type { Analysis } from './analyze';
import { ACTIVATIONS } from './activations';
import { formatShape, thousands } from './number-format';
import { formatSummary, type SummaryStyle } from './summary-format';
import { COMMON_ARGS, layerDef, notTrainedLayers } from './layers/registry';
import { LOSSES, normalizeLoss } from './losses';
import { effectiveOptimizer, optimizerDef } from './optimizers';
import { compareRanges, containsPosition } from './text-lines';
import type { DefPath, OptimizerSpec, ParsedModel, Position, Range } from './types';
import { getPath, parsePathKey } from './paths';

export interface Hover {
  markdown: string;
  range: Range;
}

export interface InlayHint {
  position: Position;
  label: string;
}

/** The innermost path whose value (or key) contains `pos`, with that range; `onKey` when it is the key. */
export function pathAt(
  parsed: ParsedModel,
  pos: Position,
): { path: DefPath; range: Range; onKey: boolean } | undefined {
  let best: { key: string; range: Range; onKey: boolean } | undefined;
  const consider = (key: string, range: Range, onKey: boolean) => {
    if (!containsPosition(range, pos)) return;
    if (!best || isInside(range, best.range)) best = { key, range, onKey };
  };
  for (const [key, range] of parsed.ranges.values) consider(key, range, false);
  for (const [key, range] of parsed.ranges.keys) consider(key, range, true);
  if (!best) return undefined;
  const path = parsePathKey(best.key);
  return path ? { path, range: best.range, onKey: best.onKey } : undefined;
}

function isInside(inner: Range, outer: Range): boolean {
  return (
    compareRanges(inner, outer) !== 0 && containsPosition(outer, inner.start) && containsPosition(outer, inner.end)
  );
}

/** `summaryStyle` is the Keras whose model.summary() the hover on the layer list prints (Keras 2's unless given). */
export function hoverAt(
  parsed: ParsedModel,
  analysis: Analysis,
  pos: Position,
  summaryStyle?: SummaryStyle,
): Hover | undefined {
  const hit = pathAt(parsed, pos);
  if (!hit) return undefined;
  const { path, range, onKey } = hit;
  const def = parsed.definition;

  if (path.length === 1 && path[0] === 'layers' && onKey) {
    const markdown = analysis.summary
      ? '```\n' + formatSummary(analysis.summary, { ...analysis.summaryPrint, style: summaryStyle }) + '```'
      : `No summary yet: ${problemCount(analysis)} to fix first (see Problems).`;
    return { markdown, range };
  }
  if (path[0] === 'layers' && typeof path[1] === 'number') {
    const markdown = layerMarkdown(analysis, path[1], path.length >= 3 ? String(path[2]) : undefined);
    return markdown ? { markdown, range } : undefined;
  }
  const optimizerPath =
    (path[0] === 'compile' && path[1] === 'optimizer') ||
    (path[0] === 'compare' && path[1] === 'optimizers' && typeof path[2] === 'number');
  if (optimizerPath && def) {
    const spec = getPath(def, path.slice(0, path[0] === 'compile' ? 2 : 3)) as OptimizerSpec | undefined;
    const markdown = optimizerMarkdown(spec);
    return markdown ? { markdown, range } : undefined;
  }
  if (path[0] === 'compile' && (path[1] === 'loss' || path[1] === 'from_logits') && path.length === 2) {
    const loss = normalizeLoss(analysis.loss);
    const doc = LOSSES[loss]?.doc;
    if (!doc) return undefined;
    const logits =
      def?.compile?.from_logits === true
        ? `\n\n\`from_logits=True\`: the last layer's output is the logits; the loss applies ${loss === 'binary_crossentropy' ? 'sigmoid' : 'softmax'} to it itself.`
        : '';
    return {
      markdown: `**${loss}**${def?.compile?.from_logits === true ? ' (from logits)' : ''}\n\n${doc}${logits}`,
      range,
    };
  }
  // Without an optimizer, the `compile` key tells which one Keras uses anyway.
  if (path.length === 1 && path[0] === 'compile' && onKey && def?.compile?.optimizer === undefined) {
    const markdown = optimizerMarkdown(undefined);
    return markdown ? { markdown, range } : undefined;
  }
  return undefined;
}

function problemCount(analysis: Analysis): string {
  const n = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  return n === 1 ? '1 error' : `${n} errors`;
}

function layerMarkdown(analysis: Analysis, index: number, arg: string | undefined): string | undefined {
  const layer = analysis.layers[index];
  if (!layer) return undefined;
  const d = layerDef(layer.type);
  const lines: string[] = [`**${layer.name} (${layer.type})**`, ''];
  if (d) lines.push(d.doc, '');
  const argDef = arg && d ? (d.args[arg] ?? COMMON_ARGS[arg]) : undefined;
  const argDoc = argDef?.schema.description;
  if (arg && argDoc)
    lines.push(
      `\`${arg}\`: ${String(argDoc)}${argDef?.default !== undefined && argDef.default !== null ? ` (default ${JSON.stringify(argDef.default)})` : ''}`,
      '',
    );
  if (layer.inputShape && layer.outputShape) {
    const inputs = layer.inputShapes ?? [layer.inputShape];
    lines.push(
      `- Shape: ${inputs.map((sh) => `\`${formatShape(sh)}\``).join(' and ')} → \`${formatShape(layer.outputShape)}\``,
    );
    if (layer.mergeExplain) lines.push(`- ${layer.mergeExplain}`);
    lines.push(`- Parameters: ${thousands(layer.params)}${layer.params > 0 ? ` (${layer.arithmetic})` : ''}`);
    lines.push(`- Trainable: ${thousands(layer.trainable)} · Non-trainable: ${thousands(layer.nonTrainable)}`);
    const known = analysis.layers.filter((l) => l.outputShape);
    const running = known.filter((l) => l.index <= index).reduce((a, l) => a + l.params, 0);
    const total = analysis.summary?.totalParams ?? known.reduce((a, l) => a + l.params, 0);
    lines.push(`- Running total: ${thousands(running)} of ${thousands(total)} params`);
  } else {
    lines.push('- Shape and parameters unknown until the problems before this layer are fixed.');
  }
  if (layer.activation) {
    const doc = ACTIVATIONS[layer.activation]?.doc;
    lines.push(`- Activation \`${layer.activation}\`${doc ? `: ${doc}` : ''}`);
  }
  const notTrained = notTrainedLayers(analysis.definition?.layers).find((l) => l.index === index);
  if (notTrained) lines.push(`- Not trained by Model Lab: ${notTrained.reason}.`);
  return lines.join('\n');
}

/** The optimizer with Keras's defaults filled in, marking what the definition set. */
export function optimizerMarkdown(spec: OptimizerSpec | undefined): string | undefined {
  const eff = effectiveOptimizer(spec);
  const def = optimizerDef(eff.type);
  if (!def) return undefined;
  const given = typeof spec === 'object' && spec !== null ? spec : {};
  const lines = [
    `**${def.type}**${spec === undefined ? ' (Keras default)' : ''}`,
    '',
    def.doc,
    '',
    '| hyper-parameter | value | |',
    '| --- | --- | --- |',
  ];
  for (const [k, v] of Object.entries(eff)) {
    if (k === 'type') continue;
    const set = k in given || (k === 'learning_rate' && 'lr' in given);
    lines.push(`| ${k} | ${String(v)} | ${set ? 'set here' : 'Keras default'} |`);
  }
  return lines.join('\n');
}

/** `(None, 100) · 78,500 params` after each layer's opening brace (at the end of a layer without one, as in Python). */
export function inlayHints(parsed: ParsedModel, analysis: Analysis): InlayHint[] {
  const hints: InlayHint[] = [];
  for (const layer of analysis.layers) {
    if (!layer.outputShape) continue;
    const range = parsed.ranges.values.get(`layers[${layer.index}]`);
    if (!range) continue;
    const isJsonObject = parsed.ranges.keys.has(`layers[${layer.index}].type`);
    const position = isJsonObject ? { line: range.start.line, character: range.start.character + 1 } : range.end;
    const params = layer.params === 1 ? '1 param' : `${thousands(layer.params)} params`;
    hints.push({ position, label: `${formatShape(layer.outputShape)} · ${params}` });
  }
  return hints;
}
