/**
 * A definition's `compare` section → the list of runs to train: one per optimizer and/or variant, each a complete
 * definition with the overrides applied.
 */
import { effectiveOptimizer, optimizerLabel, type EffectiveOptimizer } from './optimizers';
import { setPath } from './paths';
import type { ModelDefinition, OptimizerSpec } from './types';

/** One comparison variant: its label and the overrides it sets (dotted paths → values). */
export interface VariantInfo {
  label: string;
  set: Record<string, unknown>;
}

export interface ComparisonPlan {
  label: string;
  /** The definition to train: overrides applied, `compare` removed. */
  definition: ModelDefinition;
  variant: VariantInfo;
  optimizer: EffectiveOptimizer;
}

/** Keras's classic comparison: plain SGD, faster SGD, Nesterov momentum, then the adaptive three. */
export const DEFAULT_COMPARISON: readonly OptimizerSpec[] = [
  'sgd',
  { type: 'SGD', learning_rate: 0.1 },
  { type: 'SGD', momentum: 0.9, nesterov: true },
  'adagrad',
  'rmsprop',
  'adam',
];

/**
 * With only `optimizers` (or no `compare` at all: the default six), one run per optimizer; with only `variants`, one
 * per variant; with both, every variant with every optimizer (`sigmoid · Adam`). Labels are made unique (`Adam #2`).
 * Variant paths must have been checked by `analyze` first: an invalid path throws here.
 */
export function expandComparison(def: ModelDefinition): ComparisonPlan[] {
  const { compare, ...base } = def;
  const optimizers = compare?.optimizers?.length
    ? compare.optimizers
    : compare?.variants?.length
      ? undefined
      : DEFAULT_COMPARISON;
  const variants = compare?.variants?.length ? compare.variants : undefined;

  const plans: ComparisonPlan[] = [];
  const add = (label: string, set: Record<string, unknown>) => {
    let definition = base as ModelDefinition;
    for (const [path, value] of Object.entries(set)) definition = setPath(definition, path, value);
    plans.push({
      label,
      definition,
      variant: { label, set },
      optimizer: effectiveOptimizer(definition.compile?.optimizer),
    });
  };
  if (variants && optimizers) {
    for (const v of variants)
      for (const o of optimizers) add(`${v.label} · ${optimizerLabel(o)}`, { ...v.set, 'compile.optimizer': o });
  } else if (variants) {
    for (const v of variants) add(v.label, { ...v.set });
  } else if (optimizers) {
    for (const o of optimizers) add(optimizerLabel(o), { 'compile.optimizer': o });
  }
  return uniqueLabels(plans);
}

function uniqueLabels(plans: ComparisonPlan[]): ComparisonPlan[] {
  const counts = new Map<string, number>();
  for (const p of plans) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
  const seen = new Map<string, number>();
  return plans.map((p) => {
    if ((counts.get(p.label) ?? 0) < 2) return p;
    const n = (seen.get(p.label) ?? 0) + 1;
    seen.set(p.label, n);
    const label = `${p.label} #${n}`;
    return { ...p, label, variant: { ...p.variant, label } };
  });
}

/** Runs per variant (`compare.repeats`, default 1). */
export function compareRepeats(def: ModelDefinition): number {
  const r = def.compare?.repeats;
  return typeof r === 'number' && Number.isInteger(r) && r >= 1 ? r : 1;
}
