/**
 * Keras callbacks Model Lab runs during `fit` (`fit.callbacks` in JSON, `callbacks=[keras.callbacks.X(...)]` in
 * Python): their names, arguments and Keras's defaults, in one table for the schema, the Python reader, analysis
 * and the worker. The behaviour lives in `training/worker/keras-callbacks.ts`.
 *
 * Defaults are Keras's (keras/src/callbacks/*.py). `ModelCheckpoint` keeps the best weights in the run (saved with
 * the run and exported) instead of writing a file at `filepath`.
 */

export type CallbackArgKind = 'string' | 'number' | 'integer' | 'boolean' | 'mode';

export interface CallbackDef {
  type: string;
  doc: string;
  args: readonly { name: string; default: string | number | boolean | null; kind: CallbackArgKind; doc: string }[];
}

const MONITOR = 'Quantity to watch: loss, val_loss, accuracy or val_accuracy.';
const MODE = "'min', 'max', or 'auto' (accuracy is maximised, losses are minimised).";

export const CALLBACKS: readonly CallbackDef[] = [
  {
    type: 'EarlyStopping',
    doc: 'Stop training when the monitored quantity has stopped improving.',
    args: [
      { name: 'monitor', default: 'val_loss', kind: 'string', doc: MONITOR },
      { name: 'min_delta', default: 0, kind: 'number', doc: 'Smallest change that counts as an improvement.' },
      { name: 'patience', default: 0, kind: 'integer', doc: 'Epochs without improvement before stopping.' },
      { name: 'verbose', default: 0, kind: 'integer', doc: 'Ignored (Model Lab always says why a run stopped).' },
      { name: 'mode', default: 'auto', kind: 'mode', doc: MODE },
      {
        name: 'baseline',
        default: null,
        kind: 'number',
        doc: 'The wait counter restarts only on epochs that also beat this value.',
      },
      {
        name: 'restore_best_weights',
        default: false,
        kind: 'boolean',
        doc: 'At the end, go back to the weights of the best epoch.',
      },
      {
        name: 'start_from_epoch',
        default: 0,
        kind: 'integer',
        doc: 'Epochs to train before watching for improvement.',
      },
    ],
  },
  {
    type: 'ReduceLROnPlateau',
    doc: 'Multiply the learning rate by factor when the monitored quantity has stopped improving.',
    args: [
      { name: 'monitor', default: 'val_loss', kind: 'string', doc: MONITOR },
      { name: 'factor', default: 0.1, kind: 'number', doc: 'new_lr = lr × factor (below 1).' },
      { name: 'patience', default: 10, kind: 'integer', doc: 'Epochs without improvement before lowering the rate.' },
      { name: 'verbose', default: 0, kind: 'integer', doc: 'Ignored.' },
      { name: 'mode', default: 'auto', kind: 'mode', doc: MODE },
      { name: 'min_delta', default: 1e-4, kind: 'number', doc: 'Smallest change that counts as an improvement.' },
      { name: 'cooldown', default: 0, kind: 'integer', doc: 'Epochs to wait after a reduction before counting again.' },
      { name: 'min_lr', default: 0, kind: 'number', doc: 'Lower bound on the learning rate.' },
    ],
  },
  {
    type: 'ModelCheckpoint',
    doc: 'Keep the weights of the best epoch (save_best_only) with the run; they are the ones saved and exported.',
    args: [
      { name: 'filepath', default: null, kind: 'string', doc: 'Ignored: the weights stay with the run record.' },
      { name: 'monitor', default: 'val_loss', kind: 'string', doc: MONITOR },
      { name: 'verbose', default: 0, kind: 'integer', doc: 'Ignored.' },
      {
        name: 'save_best_only',
        default: false,
        kind: 'boolean',
        doc: "Keep only the best epoch's weights (else the last).",
      },
      { name: 'save_weights_only', default: false, kind: 'boolean', doc: 'Ignored: Model Lab keeps weights.' },
      { name: 'mode', default: 'auto', kind: 'mode', doc: MODE },
    ],
  },
  {
    type: 'TerminateOnNaN',
    doc: 'Stop training as soon as a batch loss is NaN or infinite.',
    args: [],
  },
];

export const CALLBACK_TYPES: readonly string[] = CALLBACKS.map((c) => c.type);

export function callbackDef(type: string): CallbackDef | undefined {
  return CALLBACKS.find((c) => c.type === type);
}

export interface CallbackSpec {
  type: string;
  [arg: string]: unknown;
}

export interface EffectiveCallback {
  type: string;
  [arg: string]: string | number | boolean | null;
}

/** Names a monitor can take in a run: what the epoch logs hold. */
export function availableLogs(trackAccuracy: boolean, validated: boolean): string[] {
  const base = trackAccuracy ? ['loss', 'accuracy'] : ['loss'];
  return validated ? [...base, ...base.map((m) => `val_${m}`)] : base;
}

/**
 * Every callback with Keras's defaults filled in, or a one-sentence reason the list cannot run. Arguments are
 * checked by the schema at their position in the file; this is what the worker relies on.
 */
export function effectiveCallbacks(specs: unknown): EffectiveCallback[] | string {
  if (specs === undefined) return [];
  if (!Array.isArray(specs)) return 'fit.callbacks must be a list.';
  const out: EffectiveCallback[] = [];
  for (const [i, spec] of specs.entries()) {
    const where = `fit.callbacks[${i}]`;
    const type =
      typeof spec === 'string'
        ? spec
        : typeof spec === 'object' && spec !== null
          ? (spec as CallbackSpec).type
          : undefined;
    const def = typeof type === 'string' ? callbackDef(type) : undefined;
    if (!def) return `${where}: unknown callback ${JSON.stringify(type)}; use one of ${CALLBACK_TYPES.join(', ')}.`;
    const given = typeof spec === 'object' ? (spec as CallbackSpec) : { type: def.type };
    const cb: EffectiveCallback = { type: def.type };
    for (const a of def.args) {
      const v = given[a.name];
      if (v === undefined || v === null) {
        cb[a.name] = a.default;
        continue;
      }
      const ok =
        a.kind === 'boolean'
          ? typeof v === 'boolean'
          : a.kind === 'string'
            ? typeof v === 'string'
            : a.kind === 'mode'
              ? v === 'auto' || v === 'min' || v === 'max'
              : a.kind === 'integer'
                ? Number.isInteger(v) && (v as number) >= 0
                : typeof v === 'number' && Number.isFinite(v);
      if (!ok) return `${where}: ${def.type}'s ${a.name} must be ${describeKind(a.kind)}.`;
      cb[a.name] = v as string | number | boolean;
    }
    for (const k of Object.keys(given)) {
      if (k !== 'type' && !def.args.some((a) => a.name === k)) return `${where}: ${def.type} has no argument '${k}'.`;
    }
    if (def.type === 'ReduceLROnPlateau' && ((cb.factor as number) >= 1 || (cb.factor as number) <= 0)) {
      return `${where}: ReduceLROnPlateau's factor must be between 0 and 1 (Keras refuses factor >= 1.0), got ${cb.factor}.`;
    }
    out.push(cb);
  }
  return out;
}

function describeKind(kind: CallbackArgKind): string {
  switch (kind) {
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'mode':
      return "'auto', 'min' or 'max'";
    case 'integer':
      return 'a whole number ≥ 0';
    default:
      return 'a number';
  }
}

/** The metric names Keras reads as accuracy: `accuracy`, and Keras 2's older `acc` (Deep Learning with Python's). */
export const ACCURACY_METRICS: readonly string[] = ['accuracy', 'acc'];

/** Whether `compile.metrics` asks for accuracy (Keras tracks only what is asked). */
export function asksForAccuracy(metrics: readonly string[] | undefined): boolean {
  return (metrics ?? []).some((m) => ACCURACY_METRICS.includes(m));
}

/**
 * Whether a larger value of `monitor` is better, as Keras decides in mode 'auto': losses are minimised and
 * accuracy is maximised; undefined when Keras could not tell (it then asks for mode='min' or 'max').
 */
export function higherIsBetter(monitor: string, mode: string): boolean | undefined {
  if (mode === 'max') return true;
  if (mode === 'min') return false;
  const name = monitor.replace(/^val_/, '');
  if (name === 'loss') return false;
  if (ACCURACY_METRICS.includes(name)) return true;
  return undefined;
}
