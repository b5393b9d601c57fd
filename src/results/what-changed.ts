/** The "what changed" column: what distinguishes one run (or variant) from the others. */
import type { EffectiveOptimizer } from '../protocol';

/** A set value as the user wrote it in the definition: strings bare (`sigmoid`), everything else as JSON. */
export function formatSetValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** An optimizer object as Keras code reads: `{ type: 'SGD', learning_rate: 0.1 }` → `SGD(learning_rate=0.1)`. */
export function formatOptimizerSpec(value: Record<string, unknown>): string {
  const args = Object.keys(value)
    .filter((k) => k !== 'type' && k !== 'label')
    .map((k) => `${k}=${formatSetValue(value[k])}`);
  return `${String(value.type)}(${args.join(', ')})`;
}

/** `{ "layers[1].activation": "sigmoid", "fit.batch_size": 64 }` → `layers[1].activation = sigmoid, fit.batch_size = 64`. */
export function formatVariantSet(set: Record<string, unknown>): string {
  return Object.keys(set)
    .map((path) => {
      const value = set[path];
      const isOptimizer =
        path === 'compile.optimizer' && value && typeof value === 'object' && !Array.isArray(value) && 'type' in value;
      return `${path} = ${isOptimizer ? formatOptimizerSpec(value as Record<string, unknown>) : formatSetValue(value)}`;
    })
    .join(', ');
}

/**
 * The optimizer's hyper-parameters that tell it apart from the others in `all` (every one of them when nothing
 * differs, e.g. a single run): `adam: learning_rate = 0.01`.
 */
export function formatOptimizerChange(optimizer: EffectiveOptimizer, all: EffectiveOptimizer[]): string {
  const keys = Object.keys(optimizer).filter((k) => k !== 'type' && k !== 'label');
  const differing = keys.filter((k) => all.some((other) => other[k] !== optimizer[k]));
  const sameType = all.every((other) => other.type === optimizer.type);
  const shown = differing.length > 0 ? differing : sameType && all.length > 1 ? [] : keys;
  const params = shown.map((k) => `${k} = ${formatSetValue(optimizer[k])}`).join(', ');
  return params ? `${optimizer.type}: ${params}` : optimizer.type;
}

/** Every leaf of a definition by path: `layers[1].activation` → `relu`; arrays of numbers stay one value. */
function leaves(value: unknown, path: string, out: Map<string, string>): void {
  if (Array.isArray(value) && !value.every((v) => typeof v === 'number' || v === null)) {
    value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, formatSetValue(value));
  }
}

/** Parts of a definition that say nothing about how a run trained: its name and the comparison plan. */
const IGNORED = /^(name|compare)(\.|\[|$)/;

/**
 * Every setting in which `definition` differs from `reference` (a pinned record's model against the one shown):
 * `layers[1].activation = sigmoid`, `fit.epochs = 10`, `dataset = mnist`; `layers[3] = (none)` for what it lacks.
 */
export function definitionChanges(definition: unknown, reference: unknown): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  leaves(definition, '', a);
  leaves(reference, '', b);
  const out: string[] = [];
  for (const [path, value] of a) if (!IGNORED.test(path) && b.get(path) !== value) out.push(`${path} = ${value}`);
  for (const path of b.keys()) if (!IGNORED.test(path) && !a.has(path)) out.push(`${path} = (none)`);
  return out;
}
