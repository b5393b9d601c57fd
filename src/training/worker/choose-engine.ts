/**
 * Which step engine trains a model: the fused engine (`fast/`) when it handles the model, else `stock`.
 * `force: 'stock'` (option or env MODEL_LAB_ENGINE=stock) skips the fused engine, to compare the two or rule it out.
 */
import type { EngineContext, StepEngine } from './engine';
import { createFusedEngine } from './fused/index';
import { createStockEngine } from './stock-engine';

export interface EngineChoice {
  seed: number;
  force?: 'stock';
}

export function chooseEngine(ctx: EngineContext, choice: EngineChoice): StepEngine {
  if (choice.force !== 'stock') {
    const fused = createFusedEngine(ctx);
    if (fused) return fused;
  }
  return createStockEngine(ctx, { seed: choice.seed });
}
