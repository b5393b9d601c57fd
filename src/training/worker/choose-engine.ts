/**
 * Which step engine trains a model: the fused engine (`fast/`) when it handles the model, else `stock`.
 * `force: 'stock'` (option or env MODEL_LAB_ENGINE=stock) skips the fused engine, to compare the two or rule it out.
 */
import type { EngineContext, StepEngine } from './engine';
import { createFusedEngine, fusedIneligibility } from './fused/index';
import { createStockEngine } from './stock-engine';

export interface EngineChoice {
  seed: number;
  force?: 'stock';
}

/** What a run reports: the engine that trains it, and why the fused one does not when it does not. */
export function describeEngine(engine: StepEngine, ctx: EngineContext, choice: EngineChoice): string {
  if (engine.name !== 'stock') return engine.detail ? `${engine.name} (${engine.detail})` : engine.name;
  if (choice.force === 'stock') return 'stock: chosen (engine option or MODEL_LAB_ENGINE=stock)';
  return `stock: ${fusedIneligibility(ctx) ?? 'the fused engine did not apply'}`;
}

export function chooseEngine(ctx: EngineContext, choice: EngineChoice): StepEngine {
  if (choice.force !== 'stock') {
    const fused = createFusedEngine(ctx);
    if (fused) return fused;
  }
  return createStockEngine(ctx, { seed: choice.seed });
}
