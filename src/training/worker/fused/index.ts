/**
 * The fused step engine: hand-written forward/backward for Dense stacks (`dense-stack.ts`) and for CNNs
 * (`conv-stack.ts`: Conv2D, pooling, BatchNormalization, Dropout, Dense), and one loop per weight for the optimizer
 * update (`fused-optimizers.ts`), chosen by the loop whenever `eligibility.ts` or `conv-eligibility.ts` accepts the
 * model. It computes what the stock engine computes (same losses, same Keras update rules, the same Dropout masks for
 * the same seed) with far fewer kernels a step.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { dropoutRng, type EngineContext, type RawBatch, type StepEngine, type StepValues } from '../engine';
import { planConvStack, type ConvPlan } from './conv-eligibility';
import { ConvStack, type ConvStackOptions } from './conv-stack';
import {
  DenseStack,
  dropoutSampler,
  type DenseStackOptions,
  type OwnUpdate,
  type ParamUpdate,
  type PassResult,
} from './dense-stack';
import { planStack, type StackPlan } from './eligibility';
import { gradientClipping } from '../../../model/optimizers';
import { clipGradients } from '../gradient-clipping';
import { createFusedOptimizer, type FusedOptimizerOptions } from './fused-optimizers';
import { tensorMemory } from './memory';
import { packedGemm } from './packed-gemm';

type GradientHook = (grads: Float32Array[]) => void;

/** What the engine needs of either stack. */
interface FusedStack {
  readonly products: string;
  /** What else the run record should say about how it computes (the CNN engine: its Winograd convolutions). */
  readonly method?: string;
  paramSizes(): number[];
  /**
   * `own`: the optimizer, for a stack that applies a weight's update itself (Dense: its first kernel's).
   * `gradients` sees every gradient of the step, in parameter order, before the first update and may change them in
   * place (the optimizer's clipping); a stack then updates every weight through `update` (no update fused).
   */
  pass(x: tfjs.Tensor, y: tfjs.Tensor, update?: ParamUpdate, gradients?: GradientHook, own?: OwnUpdate): PassResult;
  /** Reads a batch straight from the data set for `passLoaded`, or says it cannot (Dense on wasm: `dense-stack.ts`). */
  loadBatch?(batch: RawBatch): boolean;
  passLoaded?(update?: ParamUpdate, own?: OwnUpdate, gradients?: GradientHook): PassResult;
  /** Prepares (compiles) before the first step what applying `own`'s updates in the pass will need. */
  prepare?(own: OwnUpdate): void;
  writeBack(): void;
  /** Whether every parameter is finite, read from the stack's own copy (no tensors). */
  paramsFinite?(): boolean;
  dispose(): void;
}

/** The Dense plan when the model is a Dense stack, else the CNN plan, else why neither applies. */
function plan(ctx: EngineContext): { dense: StackPlan } | { conv: ConvPlan } | string {
  const dense = planStack(ctx.model, ctx.loss, ctx.accuracy, ctx.fromLogits);
  if (typeof dense !== 'string') return { dense };
  const conv = planConvStack(ctx.model, ctx.loss, ctx.accuracy, ctx.fromLogits);
  if (typeof conv !== 'string') {
    const heap = tensorMemory(ctx.tf).heap;
    if (!heap || !packedGemm(heap.memory)) return 'the fused CNN engine needs the wasm backend with SIMD';
    return { conv };
  }
  // A model with a layer only the CNN engine knows is told the CNN planner's reason; a plain stack the Dense one's.
  const cnn = ctx.model.layers.some((l) =>
    ['Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'BatchNormalization'].includes(l.getClassName()),
  );
  return cnn ? conv : dense;
}

/** `options` are for tests (plain SIMD where FMA is available); a run passes none. */
export const createFusedEngine = (
  ctx: EngineContext,
  options: DenseStackOptions & ConvStackOptions & FusedOptimizerOptions = {},
): StepEngine | undefined => {
  const chosen = plan(ctx);
  if (typeof chosen === 'string') return undefined;
  const { tf } = ctx;
  if (!createFusedOptimizer(ctx.optimizer)) return undefined;
  const stack: FusedStack =
    'dense' in chosen
      ? new DenseStack(tf, chosen.dense, dropoutSampler(dropoutRng(ctx.seed)), options)
      : new ConvStack(tf, chosen.conv, dropoutRng(ctx.seed), options);
  const accuracy = 'dense' in chosen ? chosen.dense.accuracy : chosen.conv.accuracy;
  // All optimizer state is allocated now: an allocation during a step could grow the wasm memory under live views.
  const optimizer = createFusedOptimizer(ctx.optimizer, tensorMemory(tf).heap, stack.paramSizes(), options)!;
  const update = optimizer.update.bind(optimizer);
  // Clipping needs the step's gradients before the first update: the stack hands them over (and so does not fuse
  // an update into its products).
  const clip = gradientClipping(optimizer.hyper);
  const gradients = clip && ((grads: Float32Array[]) => clipGradients(grads, clip));
  if (!gradients) stack.prepare?.(optimizer);
  let learningRate = optimizer.hyper.learning_rate as number;
  // A step: `begin` starts the optimizer's step (its return: the optimizer, for a pass that applies an update
  // itself), then the pass (which updates the weights) runs and `values` reports it. No closure is made per step.
  const begin = (lr: number | undefined): OwnUpdate | undefined => {
    if (lr !== undefined) learningRate = lr;
    optimizer.beginStep(lr);
    return gradients ? undefined : optimizer;
  };
  const values = ({ loss, correct }: PassResult): StepValues => ({ loss, correct: accuracy ? correct : undefined });
  const engine: StepEngine = {
    name: 'fused',
    detail: `${'dense' in chosen ? '' : 'CNN, '}${stack.products} products${stack.method ? `, ${stack.method}` : ''}`,
    stepValues(x, y, lr) {
      const rate = begin(lr);
      return values(stack.pass(x, y, update, gradients, rate));
    },
    stepBatch(batch, lr) {
      if (!stack.loadBatch?.(batch)) return undefined;
      const rate = begin(lr);
      return values(stack.passLoaded!(update, rate, gradients));
    },
    step(x, y, lr) {
      const { loss, correct } = engine.stepValues!(x, y, lr);
      return { loss: tf.scalar(loss), correct: correct === undefined ? undefined : tf.scalar(correct) };
    },
    sync() {
      stack.writeBack();
    },
    weightsFinite: stack.paramsFinite && (() => stack.paramsFinite!()),
    optimizerState() {
      return { iterations: optimizer.iterations, learningRate: learningRate, slots: optimizer.exportSlots() };
    },
    loadOptimizerState(s) {
      optimizer.importSlots(s.iterations, s.learningRate, s.slots);
      learningRate = s.learningRate;
    },
    dispose() {
      stack.dispose();
      optimizer.dispose();
    },
  };
  return engine;
};

/** Why the fused engine does not apply to this context, or undefined when it does (for logs and the benchmark). */
export function fusedIneligibility(ctx: EngineContext): string | undefined {
  const chosen = plan(ctx);
  if (typeof chosen === 'string') return chosen;
  if (!createFusedOptimizer(ctx.optimizer))
    return `optimizer ${ctx.optimizer.type} has arguments the fused engine does not implement`;
  return undefined;
}
