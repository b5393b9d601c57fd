/**
 * What one layer type must know. Adding a layer to Model Lab is adding one `LayerDef` file and one line in
 * `registry.ts`: the schema (completion, hover, validation), shapes, parameter counts, summary names and the Python
 * front end all read it from there.
 */
import type { LayerArgs } from '../types';

/**
 * One dimension of an example's shape: a size, or null for a dimension Keras leaves variable (`None`, as in
 * `input_shape=(None, 10)`: sequences of any length).
 */
export type Dim = number | null;

/** A JSON-schema fragment (draft-07) with the description VS Code shows on hover and completion. */
export type JsonSchema = Record<string, unknown>;

export interface ArgDef {
  schema: JsonSchema;
  /** Keras's default, shown in hovers and used for shapes when the argument is absent. */
  default?: unknown;
}

/** Output shape of one example (no batch dimension), or why the layer cannot take its input. */
export type ShapeResult = { shape: Dim[] } | { error: string; arg?: string };

export interface ParamCount {
  trainable: number;
  nonTrainable: number;
  /** The count as a person would work it out: `784 × 100 weights + 100 biases = 78,500`. */
  arithmetic: string;
  /** Non-trainable int64 values among them (Normalization's count): 8 bytes each in Keras 3's sizes, not 4. */
  int64?: number;
}

export interface LayerDef {
  /** Keras class name, the `type` in a definition. */
  type: string;
  /** Keras's default layer name before the per-type counter: `dense`, `max_pooling2d`. */
  defaultName: string;
  /** One line for hovers. */
  doc: string;
  /** Argument names in the order Keras's Python constructor takes them positionally. */
  positionalArgs: readonly string[];
  /** This layer's own arguments (the common `name`, `input_shape`, `trainable` are added by the registry). */
  args: Readonly<Record<string, ArgDef>>;
  required: readonly string[];
  /** `args` already passed the schema; `input` is one example's shape (no batch dimension). */
  outputShape(input: readonly Dim[], args: LayerArgs): ShapeResult;
  params(input: readonly Dim[], args: LayerArgs): ParamCount;
  /** The activation the layer applies, for hover docs. */
  activationOf?(args: LayerArgs): string | undefined;
  /** The call's tensor arguments, in order, of a layer called on several (attention: query, value, key). */
  callInputs?: readonly string[];
  /** Arguments Keras takes when the layer is called, not constructed (`use_causal_mask`); kept with the layer here. */
  callArgs?: readonly string[];
  /** Layers that merge several inputs (Add, Concatenate, …), usable in a graph model only. */
  merge?: MergeRule;
  /** The argument holding a wrapped layer (Bidirectional, TimeDistributed): a layer object of its own. */
  wraps?: string;
  /**
   * Why Model Lab shows this layer but does not train a model holding it (random augmentation, statistics from
   * adapt(), strings); undefined when it trains. Its builder refuses with the same sentence.
   */
  notTrained?(args: LayerArgs): string | undefined;
}

export interface MergeRule {
  /** Fewest and most inputs the layer takes. */
  min: number;
  max?: number;
  /** Output shape from the inputs' shapes (no batch dimension), or why they cannot merge. */
  outputShape(inputs: readonly (readonly Dim[])[], args: LayerArgs): ShapeResult;
  /** One sentence for the hover: how the output shape follows from the inputs. */
  explain(inputs: readonly (readonly Dim[])[], args: LayerArgs): string;
  /** Weights that depend on several inputs (MultiHeadAttention's projections); merges without weights leave it out. */
  params?(inputs: readonly (readonly Dim[])[], args: LayerArgs): ParamCount;
}
