/**
 * What training needs from the model core about a definition: resolved layer names, the input shape, the summary,
 * the loss and the effective optimizer. A definition the core finds errors in is refused here with the first error,
 * so the worker never builds a model the editor would have underlined.
 */
import { analyzeUnplaced } from '../model/analyze';
import { asksForAccuracy } from '../model/callbacks';
import { formatShape } from '../model/number-format';
import type { ModelDefinition, ModelSummary } from '../model/types';
import type { EffectiveOptimizer } from '../protocol';

/** The definition cannot be trained as written; the message says what to change. */
export class ModelError extends Error {}

export interface ModelInfo {
  names: string[];
  /** Shape of one input example when the definition fixes it (input_shape or the dataset's known shape). */
  inputShape?: (number | null)[];
  summary: ModelSummary;
  loss: string;
  optimizer: EffectiveOptimizer;
  /** Units of the output layer. */
  outputUnits: number;
  /** Index (in the definition) of the output layer: the last, or a graph's output. */
  outputIndex: number;
  /** `compile.from_logits`: the output is the logits (only with a crossentropy; the core refuses it otherwise). */
  fromLogits: boolean;
  /** `compile.metrics` asks for accuracy (Keras tracks only what is asked). */
  trackAccuracy: boolean;
}

export function describeModel(definition: ModelDefinition): ModelInfo {
  const analysis = analyzeUnplaced(definition);
  const error = analysis.diagnostics.find((d) => d.severity === 'error');
  if (error) throw new ModelError(error.path ? `${error.path}: ${error.message}` : error.message);
  if (!analysis.summary) throw new ModelError('The model has no layers Model Lab can train; add at least one layer.');
  const graph = analysis.graph;
  if (graph && (graph.inputs.length !== 1 || graph.outputs.length !== 1)) {
    throw new ModelError(
      `This graph model has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; a dataset gives one input and one target, so Model Lab trains graphs with one of each (it can still show this one's summary).`,
    );
  }
  const output = graph ? graph.outputs[0] : analysis.layers.length - 1;
  const last = analysis.layers[output]?.outputShape;
  if (last && last[last.length - 1] === null)
    throw new ModelError(
      `The output of '${analysis.layers[output].name}' has a None last dimension ${formatShape(last)}; end the model with a layer of known size, such as Dense.`,
    );
  const outputUnits = last ? Number(last[last.length - 1]) : 1;
  return {
    names: analysis.layers.map((l) => l.name),
    inputShape: analysis.inputShape,
    summary: analysis.summary,
    loss: analysis.loss,
    optimizer: analysis.optimizer,
    outputUnits,
    outputIndex: output,
    fromLogits: definition.compile?.from_logits === true,
    trackAccuracy: asksForAccuracy(definition.compile?.metrics),
  };
}
