/**
 * The fused step engine: hand-written forward/backward for Dense stacks (`dense-stack.ts`) and one loop per weight
 * for the optimizer update (`fused-optimizers.ts`), chosen by the loop whenever `eligibility.ts` accepts the model.
 * It computes what the stock engine computes (same losses, same Keras update rules, the same Dropout masks for the
 * same seed) with far fewer kernels a step.
 */
import { dropoutRng, type EngineContext, type StepEngine } from '../engine';
import { DenseStack, dropoutSampler, type DenseStackOptions } from './dense-stack';
import { planStack } from './eligibility';
import { createFusedOptimizer } from './fused-optimizers';
import { tensorMemory } from './memory';

/** `options` are for tests (plain SIMD where FMA is available); a run passes none. */
export const createFusedEngine = (ctx: EngineContext, options: DenseStackOptions = {}): StepEngine | undefined => {
  const plan = planStack(ctx.model, ctx.loss, ctx.accuracy);
  if (typeof plan === 'string') return undefined;
  const { tf } = ctx;
  if (!createFusedOptimizer(ctx.optimizer)) return undefined;
  const stack = new DenseStack(tf, plan, dropoutSampler(dropoutRng(ctx.seed)), options);
  // All optimizer state is allocated now: an allocation during a step could grow the wasm memory under live views.
  const optimizer = createFusedOptimizer(ctx.optimizer, tensorMemory(tf).heap, stack.paramSizes())!;
  const update = optimizer.update.bind(optimizer);
  let learningRate = optimizer.hyper.learning_rate as number;
  const engine: StepEngine = {
    name: 'fused',
    detail: `${stack.products} products`,
    step(x, y, lr) {
      if (lr !== undefined) learningRate = lr;
      optimizer.beginStep(lr);
      const { loss, correct } = stack.pass(x, y, update);
      return { loss: tf.scalar(loss), correct: plan.accuracy ? tf.scalar(correct) : undefined };
    },
    sync() {
      stack.writeBack();
    },
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
  const plan = planStack(ctx.model, ctx.loss, ctx.accuracy);
  if (typeof plan === 'string') return plan;
  if (!createFusedOptimizer(ctx.optimizer))
    return `optimizer ${ctx.optimizer.type} has arguments the fused engine does not implement`;
  return undefined;
}
