/**
 * A step engine performs optimizer steps on a built model. The training loop (`loop.ts`) owns batching, epochs,
 * logs, validation and stopping; an engine owns only "one step on one batch". Two engines exist:
 *  - `stock`: tf.layers model + Keras-compatible optimizer through tfjs autodiff (works for every layer);
 *  - `fused` (`fused/`): hand-written forward/backward for Dense stacks with fused optimizer updates, chosen
 *    automatically when the model qualifies. It must give the same numbers as `stock` within float tolerance.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { createRng } from '../../data/rng';
import type { Split } from '../../data/types';
import type { EffectiveOptimizer } from '../../model/optimizers';
import type { BatchShape } from './batches';

/** The tfjs namespace in use: the bundled @tensorflow/tfjs (wasm/cpu) or @tensorflow/tfjs-node when it loads. */
export type TF = typeof tfjs;

export interface EngineContext {
  tf: TF;
  /** Built by `build-model.ts` with seeded initializers; engines train its weights (and must leave them trained). */
  model: tfjs.LayersModel;
  optimizer: EffectiveOptimizer;
  /** Keras loss name: sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, mse, mae. */
  loss: string;
  /** Whether `accuracy` is tracked (classification). */
  accuracy: boolean;
  /** The loss's from_logits: the model's output is the logits (`forward.ts` compileOutput). */
  fromLogits?: boolean;
  /** The run's seed: engines draw Dropout masks from it (the same masks in `stock` and `fused`). */
  seed?: number;
}

/** Keras's `optimizer.iterations`, its current learning rate, and its slot variables per trainable weight. */
export interface OptimizerState {
  iterations: number;
  learningRate: number;
  slots: Float32Array[][];
}

export interface StepResult {
  /** Mean loss over the batch, computed before the update (as Keras reports it). */
  loss: tfjs.Scalar;
  /** Number of correct predictions in the batch, when accuracy is tracked. */
  correct?: tfjs.Scalar;
}

/** Examples `order[start … end)` of a data set as the loop hands them to `StepEngine.stepBatch`. */
export interface RawBatch {
  split: Split;
  order: ArrayLike<number>;
  start: number;
  end: number;
  shape: BatchShape;
}

/** A step's results as numbers (`StepEngine.stepValues`). */
export interface StepValues {
  loss: number;
  correct?: number;
}

export interface StepEngine {
  readonly name: string;
  /** What a run reports about the engine beyond its name (the fused engine: which products it runs). */
  readonly detail?: string;
  /**
   * One optimizer step. `x`: float32, already scaled and shaped for the model; `y`: labels as the loss takes them;
   * `lr`: this step's learning rate when the loop sets it (a schedule, ReduceLROnPlateau), else the optimizer's.
   */
  step(x: tfjs.Tensor, y: tfjs.Tensor, lr?: number): StepResult;
  /**
   * The same step with its results as numbers, for an engine that has them on the CPU anyway (the fused engine):
   * the loop then makes no tensors of them to read back. `step` stays the reference.
   */
  stepValues?(x: tfjs.Tensor, y: tfjs.Tensor, lr?: number): StepValues;
  /**
   * The same step on examples read straight from the data set, with no x and y tensors made (the fused Dense engine
   * on wasm converts the pixels into its own buffer); undefined when this engine cannot read this batch so, and the
   * loop then makes tensors for `stepValues` or `step`.
   */
  stepBatch?(batch: RawBatch, lr?: number): StepValues | undefined;
  /** Make `ctx.model`'s weights hold the trained values (before evaluation, saving, or reading weights). */
  sync(): void;
  /**
   * Whether every weight is finite, read where the engine keeps them (the fused Dense engine: its own memory, three
   * typed-array scans); undefined, the loop asks the model with tensor operations (their first call costs milliseconds).
   */
  weightsFinite?(): boolean;
  /** The optimizer's state (step count, learning rate, slots per trainable weight), to continue training later. */
  optimizerState?(): OptimizerState;
  /** Continues from a saved state; throws when it does not fit the model and optimizer. */
  loadOptimizerState?(state: OptimizerState): void;
  dispose(): void;
}

/**
 * The Dropout mask stream both engines draw from, so the same run seed drops the same units in `stock` and `fused`:
 * the run seed offset so the masks do not replay the shuffle sequence drawn from the same seed. Unseeded (only in
 * tests and the benchmark), masks are unrepeatable.
 */
export function dropoutRng(seed: number | undefined): () => number {
  return seed === undefined ? Math.random : createRng((Math.trunc(seed) ^ 0x5bd1e995) >>> 0);
}

/** Fills a Dropout mask as Keras does: each unit kept with probability 1 - rate and scaled by 1 / (1 - rate). */
export function fillDropoutMask(mask: Float32Array, rate: number, random: () => number): Float32Array {
  const kept = 1 / (1 - rate);
  for (let i = 0; i < mask.length; i++) mask[i] = random() >= rate ? kept : 0;
  return mask;
}

/** Returns an engine for this model, or undefined when it does not apply (the loop then falls back to `stock`). */
export type EngineFactory = (ctx: EngineContext) => StepEngine | undefined;
