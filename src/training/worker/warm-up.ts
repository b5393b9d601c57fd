/**
 * The fused engine's code warmed while the worker waits for its data set.
 *
 * A fresh worker's first steps run code V8 has not optimised yet: JavaScript in the interpreter and WebAssembly in
 * its baseline compiler (Liftoff) until both are hot enough to be compiled again by the optimising compiler, which
 * then runs beside the training. That made a fresh process's first epoch about 10% slower in wall time and 15-30%
 * dearer in CPU time than the next one. The data set takes a second or more to arrive (reading, gunzip off the main
 * thread), with the main thread idle; `warmWhile` spends that wait on throwaway steps of the same network on made-up
 * pixels, through the same engine code (Dense and CNN; a separate model and engine, disposed afterwards: the run's own model, its
 * weights, its optimizer state and its random streams are not touched, and its numbers are bit-equal with or without
 * it). It stops as soon as the data has arrived, so it never delays the run by more than one step.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Split } from '../../data/types';
import type { ModelDefinition } from '../../model/types';
import type { EffectiveOptimizer } from '../../model/optimizers';
import type { ModelInfo } from '../model-info';
import { makeBatch, type BatchShape } from './batches';
import { buildModel } from './build-model';
import type { EngineContext, TF } from './engine';
import { compileOutput } from './forward';
import { createFusedEngine } from './fused/index';
import { labelKind, resolveAccuracy, type LossName } from './losses';

/** At most this many throwaway steps: enough for V8 to have compiled the step's hot code optimised. */
export const WARM_STEPS = 40;
/** No warm-up for networks above this many weights: its model and engine would double their memory for a while. */
export const WARM_MAX_WEIGHTS = 2_000_000;

export interface WarmUp {
  /** Builds a throwaway copy of the run's model, as the run builds it. */
  build(): tfjs.LayersModel;
  /** The engine context of the run, without its model. */
  context: Omit<EngineContext, 'model'>;
  /** The run's batch size and the shape of its examples; the made-up pixels are uint8 scaled by 1/255. */
  batchSize: number;
  inputShape: number[];
  exampleSize: number;
  labels: BatchShape['labels'];
  numClasses: number;
  /** Step budget (default WARM_STEPS). */
  steps?: number;
}

/**
 * The warm-up of a run's model as the run builds and trains it (`run.ts`, and the benchmark's epoch process, which
 * does what a worker does), or undefined where there is none: the input shape known only from the data (None), or
 * the fused engine not wanted.
 */
export function modelWarmUp(
  tf: TF,
  definition: ModelDefinition,
  info: ModelInfo,
  run: { loss: LossName; optimizer: EffectiveOptimizer; seed: number; batchSize: number },
): WarmUp | undefined {
  const shape = info.inputShape;
  if (!shape || shape.some((d) => d === null)) return undefined;
  const inputShape = shape as number[];
  const { loss, seed } = run;
  return {
    build: () => {
      const model = buildModel(tf, definition, { names: info.names, inputShape, seed });
      compileOutput(model, outputLogits(info, loss));
      return model;
    },
    context: {
      tf,
      optimizer: run.optimizer,
      loss,
      accuracy: info.trackAccuracy && resolveAccuracy(loss, info.outputUnits) !== undefined,
      fromLogits: info.fromLogits,
      seed,
    },
    batchSize: run.batchSize,
    inputShape,
    exampleSize: inputShape.reduce((a, b) => a * b, 1),
    labels: labelKind(loss),
    numClasses: info.outputUnits,
  };
}

/** With from_logits the model's output is the logits; Keras's loss picks softmax or sigmoid for them by its kind. */
export function outputLogits(info: ModelInfo, loss: LossName): 'sigmoid' | 'softmax' | undefined {
  if (!info.fromLogits) return undefined;
  return loss === 'binary_crossentropy' ? 'sigmoid' : 'softmax';
}

/** What `warmWhile` did, for tests and the benchmark. */
export interface WarmReport {
  steps: number;
  /** Why it took no step, when it took none. */
  skipped?: string;
}

/**
 * `pending`'s value, after spending the wait on throwaway fused steps of `warm`'s network (one per turn of the event
 * loop, so `pending`'s I/O goes on). `report` receives what was done.
 */
export async function warmWhile<T>(pending: Promise<T>, warm: WarmUp, report?: (r: WarmReport) => void): Promise<T> {
  let settled = false;
  const done = pending.then(
    () => void (settled = true),
    () => void (settled = true),
  );
  const result: WarmReport = { steps: 0 };
  let model: tfjs.LayersModel | undefined;
  let engine: ReturnType<typeof createFusedEngine>;
  const turn = () => new Promise((r) => setImmediate(r));
  try {
    // A turn of the event loop first: data that is there already (cached, or a promise already settled) is not kept
    // waiting by the build.
    await turn();
    if (settled) {
      report?.(result);
      return pending;
    }
    model = warm.build();
    const weights = model.countParams();
    if (weights > WARM_MAX_WEIGHTS) result.skipped = `${weights} weights (more than ${WARM_MAX_WEIGHTS})`;
    else engine = createFusedEngine({ ...warm.context, model });
    if (!result.skipped && !engine) result.skipped = 'not trained by the fused engine';
    const split = engine && madeUpSplit(warm);
    const shape: BatchShape = {
      inputShape: warm.inputShape,
      exampleSize: warm.exampleSize,
      scale: 1 / 255,
      labels: warm.labels,
      numClasses: warm.numClasses,
    };
    const order = split && Uint32Array.from({ length: split.count }, (_, i) => i);
    const budget = warm.steps ?? WARM_STEPS;
    while (engine && split && order && !settled && result.steps < budget) {
      const batch = { split, order, start: 0, end: split.count, shape };
      // An engine that does not read batches itself (the CNN engine) takes them as tensors, as the loop gives them.
      if (!engine.stepBatch?.(batch)) {
        const { tf } = warm.context;
        tf.tidy(() => {
          const { x, y } = makeBatch(tf, split, order, 0, split.count, shape);
          engine!.stepValues!(x, y);
        });
      }
      result.steps++;
      await turn();
    }
  } catch (e) {
    // A warm-up is an optimisation only: whatever went wrong here, the run itself will meet and report.
    result.skipped = `failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    engine?.dispose();
    model?.dispose();
  }
  report?.(result);
  await done;
  return pending;
}

/**
 * One batch of made-up examples: about half the pixels zero (as in Fashion-MNIST, so the first layer's sparse path
 * runs), the rest spread over 1-255, and every class among the labels.
 */
function madeUpSplit(warm: WarmUp): Split {
  const count = warm.batchSize;
  const x = new Uint8Array(count * warm.exampleSize);
  for (let i = 0; i < x.length; i++) x[i] = Math.imul(i, 0x9e3779b1) >>> 31 ? 1 + ((i * 40503) % 255) : 0;
  const y =
    warm.labels === 'float'
      ? Float32Array.from({ length: count }, (_, i) => i % 2)
      : Int32Array.from({ length: count }, (_, i) => i % Math.max(1, warm.numClasses));
  return { x, y, count };
}
