/**
 * What training needs from the model core about a definition: resolved layer names, the input shape, the summary,
 * the loss and the effective optimizer. A definition the core finds errors in is refused here with the first error,
 * so the worker never builds a model the editor would have underlined.
 */
import { analyzeDefinition } from '../model/analyze';
import { ZERO_RANGE } from '../model/text-lines';
import type { ModelDefinition, ModelSummary } from '../model/types';
import type { EffectiveOptimizer } from '../protocol';

/** The definition cannot be trained as written; the message says what to change. */
export class ModelError extends Error {}

export interface ModelInfo {
  names: string[];
  /** Shape of one input example when the definition fixes it (input_shape or the dataset's known shape). */
  inputShape?: number[];
  summary: ModelSummary;
  loss: string;
  optimizer: EffectiveOptimizer;
  /** Units of the output layer. */
  outputUnits: number;
  /** `compile.metrics` asks for accuracy (Keras tracks only what is asked). */
  trackAccuracy: boolean;
}

export function describeModel(definition: ModelDefinition): ModelInfo {
  const analysis = analyzeDefinition(definition, { values: new Map(), keys: new Map() }, ZERO_RANGE);
  const error = analysis.diagnostics.find((d) => d.severity === 'error');
  if (error) throw new ModelError(error.path ? `${error.path}: ${error.message}` : error.message);
  if (!analysis.summary) throw new ModelError('The model has no layers Model Lab can train; add at least one layer.');
  const last = analysis.layers[analysis.layers.length - 1]?.outputShape;
  const outputUnits = last ? Number(last[last.length - 1]) : 1;
  const metrics = definition.compile?.metrics ?? [];
  return {
    names: analysis.layers.map((l) => l.name),
    inputShape: analysis.inputShape,
    summary: analysis.summary,
    loss: analysis.loss,
    optimizer: analysis.optimizer,
    outputUnits,
    trackAccuracy: metrics.some((m) => m === 'accuracy' || m === 'acc'),
  };
}
