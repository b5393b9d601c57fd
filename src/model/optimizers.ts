/**
 * Keras optimizers: aliases, class names and Keras 2.x defaults (keras-reference.md), so every part shows and
 * trains the optimizer the user would get from Keras.
 */
import {
  effectiveSchedule,
  isScheduleSpec,
  learningRateAt,
  scheduleLabel,
  type EffectiveSchedule,
} from './lr-schedules';
import type { OptimizerSpec } from './types';

/** An optimizer with every Keras hyper-parameter filled in (defaults included). */
export interface EffectiveOptimizer {
  type: string;
  [hyperParameter: string]: string | number | boolean;
}

export interface OptimizerDef {
  /** Keras class name. */
  type: OptimizerName;
  /** Keras string alias for `compile(optimizer=...)`. */
  alias: string;
  doc: string;
  /** Every hyper-parameter with its Keras default, in Keras's constructor order. */
  defaults: Readonly<Record<string, number | boolean>>;
  /** One line per hyper-parameter for hovers and the schema. */
  params: Readonly<Record<string, string>>;
}

const LR = 'Step size of each update.';
const EPS = 'Small constant for numerical stability.';
const WEIGHT_DECAY =
  'Decoupled weight decay: each step first sets w -= w * weight_decay * learning_rate (Keras 3, tf.keras >= 2.11).';

/**
 * The table every part reads. Its `type`s make `OptimizerName`: the engines key their rules by it
 * (`Record<OptimizerName, …>`), so an entry added here without a stock rule and a fused rule fails `tsc`.
 */
const TABLE = [
  {
    type: 'SGD',
    alias: 'sgd',
    doc: 'Stochastic gradient descent, optionally with (Nesterov) momentum.',
    defaults: { learning_rate: 0.01, momentum: 0.0, nesterov: false },
    params: {
      learning_rate: LR,
      momentum: 'Fraction of the previous update added to the next (0 = none).',
      nesterov: 'Use Nesterov momentum.',
    },
  },
  {
    type: 'RMSprop',
    alias: 'rmsprop',
    doc: 'Divides the gradient by a running average of its recent magnitude.',
    defaults: { learning_rate: 0.001, rho: 0.9, momentum: 0.0, epsilon: 1e-7, centered: false },
    params: {
      learning_rate: LR,
      rho: 'Decay rate of the moving average of squared gradients.',
      momentum: 'Momentum.',
      epsilon: EPS,
      centered: 'Normalise by the estimated variance of the gradient.',
    },
  },
  {
    type: 'Adam',
    alias: 'adam',
    doc: 'Adaptive moment estimation: momentum plus per-weight step sizes.',
    defaults: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
    params: {
      learning_rate: LR,
      beta_1: 'Decay rate of the first-moment (mean) estimate.',
      beta_2: 'Decay rate of the second-moment (variance) estimate.',
      epsilon: EPS,
      amsgrad: 'Use the AMSGrad variant.',
    },
  },
  {
    type: 'Adagrad',
    alias: 'adagrad',
    doc: 'Per-weight step sizes that shrink with the sum of past squared gradients.',
    defaults: { learning_rate: 0.001, initial_accumulator_value: 0.1, epsilon: 1e-7 },
    params: { learning_rate: LR, initial_accumulator_value: 'Starting value of the accumulators.', epsilon: EPS },
  },
  {
    type: 'Adamax',
    alias: 'adamax',
    doc: 'Adam with the infinity norm in place of the second moment.',
    defaults: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
    params: {
      learning_rate: LR,
      beta_1: 'Decay rate of the first-moment estimate.',
      beta_2: 'Decay rate of the weighted infinity norm.',
      epsilon: EPS,
    },
  },
  {
    type: 'Nadam',
    alias: 'nadam',
    doc: "Adam with Nesterov momentum (Keras 3's and tf.keras 2.11+'s momentum schedule).",
    defaults: { learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
    params: {
      learning_rate: LR,
      beta_1: 'Decay rate of the first-moment (mean) estimate; the momentum cache is beta_1 * (1 - 0.5 * 0.96^t).',
      beta_2: 'Decay rate of the second-moment (variance) estimate.',
      epsilon: EPS,
    },
  },
  {
    type: 'AdamW',
    alias: 'adamw',
    doc: 'Adam with decoupled weight decay (Loshchilov and Hutter).',
    defaults: { learning_rate: 0.001, weight_decay: 0.004, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
    params: {
      learning_rate: LR,
      weight_decay: WEIGHT_DECAY,
      beta_1: 'Decay rate of the first-moment (mean) estimate.',
      beta_2: 'Decay rate of the second-moment (variance) estimate.',
      epsilon: EPS,
      amsgrad: 'Use the AMSGrad variant.',
    },
  },
  {
    type: 'Adadelta',
    alias: 'adadelta',
    doc: 'Adapts step sizes from a moving window of updates.',
    defaults: { learning_rate: 0.001, rho: 0.95, epsilon: 1e-7 },
    params: { learning_rate: LR, rho: 'Decay rate.', epsilon: EPS },
  },
] as const satisfies readonly (Omit<OptimizerDef, 'type'> & { type: string })[];

/** A Keras optimizer class name Model Lab trains with: `'SGD' | 'RMSprop' | …`, one per entry of the table. */
export type OptimizerName = (typeof TABLE)[number]['type'];

export const OPTIMIZERS: readonly OptimizerDef[] = TABLE;

export const OPTIMIZER_TYPES: readonly OptimizerName[] = OPTIMIZERS.map((o) => o.type);
export const OPTIMIZER_ALIASES: readonly string[] = OPTIMIZERS.map((o) => o.alias);

/**
 * Keras optimizers Model Lab has no rule for (`'ftrl'`, `keras.optimizers.Lion(…)`): valid Keras a script runs, so
 * information and not trained there, never "unknown".
 */
const OTHER_KERAS_OPTIMIZERS = ['Adafactor', 'Ftrl', 'Lamb', 'Lion', 'LossScaleOptimizer', 'Muon'];

/** The Keras class name of an optimizer Keras has and Model Lab does not, by alias or class name; else undefined. */
export function otherKerasOptimizer(name: string): string | undefined {
  const lower = name.toLowerCase();
  return OTHER_KERAS_OPTIMIZERS.find((o) => o.toLowerCase() === lower);
}

/** Finds an optimizer by alias or class name, case-insensitively (`'sgd'`, `'SGD'`, `'RMSProp'`). */
export function optimizerDef(name: string): OptimizerDef | undefined {
  const lower = name.toLowerCase();
  return OPTIMIZERS.find((o) => o.alias === lower || o.type.toLowerCase() === lower);
}

/** The optimizer named `name` (alias or class name), or an error naming the ones there are. */
export function requireOptimizer(name: string): OptimizerDef {
  const def = optimizerDef(name);
  if (!def) throw new Error(`Unknown optimizer '${name}': use one of ${OPTIMIZER_TYPES.join(', ')}.`);
  return def;
}

/** Keras's `compile()` default. */
export const DEFAULT_OPTIMIZER = 'rmsprop';

/**
 * The optimizer with every Keras default filled in and `type` as the Keras class name. Unknown names keep their
 * type and given arguments (analysis reports them); `label` is presentation, not a hyper-parameter, so it is dropped.
 * Keras 2.x's deprecated `lr` is read as `learning_rate`.
 */
export function effectiveOptimizer(spec?: OptimizerSpec): EffectiveOptimizer {
  const given = spec ?? DEFAULT_OPTIMIZER;
  const name = typeof given === 'string' ? given : String(given.type ?? '');
  const def = optimizerDef(name);
  const out: EffectiveOptimizer = { type: def?.type ?? name };
  if (def) Object.assign(out, def.defaults);
  if (typeof given === 'object' && given !== null) {
    for (const [k, v] of Object.entries(given)) {
      if (k === 'type' || k === 'label') continue;
      const key = k === 'lr' ? 'learning_rate' : k;
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') out[key] = v;
      else if (key === 'learning_rate' && isScheduleSpec(v)) {
        // A schedule: `learning_rate` shows its rate at step 0 and `learning_rate_schedule` names it; the worker
        // reads the schedule itself from the definition (`learningRateSchedule`).
        const schedule = effectiveSchedule(v);
        if (typeof schedule !== 'string') {
          out.learning_rate = learningRateAt(schedule, 0);
          out[SCHEDULE_KEY] = scheduleLabel(schedule);
        }
      }
    }
  }
  return out;
}

/** Key of the effective optimizer that names its learning-rate schedule; not a hyper-parameter of the update rule. */
export const SCHEDULE_KEY = 'learning_rate_schedule';

/**
 * The optimizer's learning-rate schedule, when its `learning_rate` is one (`{ "type": "ExponentialDecay", … }` or
 * `keras.optimizers.schedules.ExponentialDecay(...)` in Python); a string says why it cannot be used.
 */
export function learningRateSchedule(spec?: OptimizerSpec): EffectiveSchedule | string | undefined {
  if (typeof spec !== 'object' || spec === null) return undefined;
  const lr = spec.learning_rate ?? spec.lr;
  return isScheduleSpec(lr) ? effectiveSchedule(lr) : undefined;
}

/**
 * A short name for charts and tables: the user's `label`, else the class name with the arguments that differ from
 * Keras's defaults: `SGD`, `SGD(lr=0.1)`, `SGD(momentum=0.9, nesterov)`.
 */
export function optimizerLabel(spec?: OptimizerSpec): string {
  if (typeof spec === 'object' && spec !== null && typeof spec.label === 'string' && spec.label.trim() !== '') {
    return spec.label;
  }
  const eff = effectiveOptimizer(spec);
  const def = optimizerDef(eff.type);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(eff)) {
    if (k === 'type') continue;
    if (k === 'learning_rate' && SCHEDULE_KEY in eff) continue;
    if (def && def.defaults[k] === v) continue;
    const name = k === 'learning_rate' || k === SCHEDULE_KEY ? 'lr' : k;
    if (v === true) parts.push(name);
    else if (v === false) parts.push(`${name}=False`);
    else parts.push(`${name}=${v}`);
  }
  return parts.length ? `${eff.type}(${parts.join(', ')})` : eff.type;
}

/** An optimizer ready to train: its class name and every hyper-parameter typed, Keras defaults filled in. */
export interface TrainingOptimizer {
  type: OptimizerName;
  hyper: Record<string, number | boolean>;
  /** Arguments given that the optimizer does not have (Keras would reject them; analysis reports them). */
  unknown: string[];
}

/**
 * Arguments every Keras 3 (and tf.keras >= 2.11) optimizer takes besides its own, with their description: each
 * engine applies them in one place for every optimizer (`weight_decay`: before the update, as Keras's
 * `_apply_weight_decay`). Not in the optimizers' defaults: Keras's default is None, no decay.
 */
export const COMMON_ARGUMENTS: Readonly<Record<string, string>> = {
  weight_decay: WEIGHT_DECAY,
  clipnorm: "Clips each weight's gradient to this L2 norm: g * clipnorm / max(norm(g), clipnorm), before the update.",
  clipvalue: 'Clips each gradient value to [-clipvalue, clipvalue] before the update.',
  global_clipnorm:
    'Clips all gradients together so that their joint L2 norm is at most this (g * c / max(global norm, c)).',
};

/** The gradient clipping a run's optimizer asks for: only the positive values (Keras: None or 0 clips nothing). */
export interface GradientClipping {
  value?: number;
  norm?: number;
  globalNorm?: number;
}

/**
 * Clipping from normalised hyper-parameters (`trainingOptimizer`'s), or undefined for none. The engines apply it to
 * every gradient before weight decay and the update, in tf.keras 2's order (value, then each norm, then the global
 * norm); Keras 3 accepts only one of the three, so its order never matters there.
 */
export function gradientClipping(hyper: Readonly<Record<string, number | boolean>>): GradientClipping | undefined {
  const positive = (name: string) => {
    const v = hyper[name];
    return typeof v === 'number' && v > 0 ? v : undefined;
  };
  const clip: GradientClipping = {
    value: positive('clipvalue'),
    norm: positive('clipnorm'),
    globalNorm: positive('global_clipnorm'),
  };
  return clip.value || clip.norm || clip.globalNorm ? clip : undefined;
}

/**
 * What Keras says of several clipping arguments on one optimizer (the analysis reports it): clipnorm with
 * global_clipnorm is an error in every Keras; clipvalue with another is one in Keras 3 ("Only one of …") but tf.keras
 * 2 clips by value and then by norm, as Model Lab trains it.
 */
export function clippingConflict(
  opt: Readonly<Record<string, unknown>>,
): { error: boolean; key: string; message: string } | undefined {
  const set = ['clipnorm', 'clipvalue', 'global_clipnorm'].filter((k) => opt[k] !== undefined && opt[k] !== null);
  if (set.length < 2) return undefined;
  // Said at the argument Keras names second: global_clipnorm where it is set, else clipvalue.
  const key = set.includes('global_clipnorm') ? 'global_clipnorm' : 'clipvalue';
  if (set.includes('clipnorm') && set.includes('global_clipnorm')) {
    return {
      error: true,
      key,
      message: 'clipnorm and global_clipnorm cannot both be set (Keras raises a ValueError).',
    };
  }
  return {
    error: false,
    key,
    message: `Keras 3 accepts only one of clipnorm, clipvalue and global_clipnorm (it raises a ValueError); tf.keras 2 clips by value first, then by ${set.includes('clipnorm') ? 'norm' : 'global norm'}, as Model Lab trains it.`,
  };
}

/**
 * The other arguments every Keras 3 optimizer takes, which Model Lab does not implement, with what Keras does with
 * them; a value of None or False is Keras's default and changes nothing.
 */
export const UNIMPLEMENTED_ARGUMENTS: Readonly<Record<string, string>> = {
  use_ema: 'keeps a moving average of the weights',
  ema_momentum: 'keeps a moving average of the weights',
  ema_overwrite_frequency: 'overwrites the weights with their moving average',
  loss_scale_factor: 'scales the loss',
  gradient_accumulation_steps: 'accumulates gradients over several batches',
};

/** One sentence for an optimizer argument Model Lab does not implement, or undefined. */
export function unimplementedArgument(name: string): string | undefined {
  const what = UNIMPLEMENTED_ARGUMENTS[name];
  return what && `Model Lab does not implement the optimizer argument '${name}' (Keras ${what})`;
}

/** Arguments every Keras optimizer accepts that change no update rule (a schedule's name: the loop passes its rates). */
const IGNORED_ARGUMENTS: ReadonlySet<string> = new Set(['type', 'label', 'name', 'learning_rate_schedule']);

/**
 * The one argument normaliser for training: class name by alias or name (unknown names throw), `lr` read as
 * `learning_rate`, numbers finite, booleans `true`/`false` (or the strings 'true'/'false'); a wrong type throws.
 * Both engines use it, so they can never disagree on what a run's optimizer is.
 */
export function trainingOptimizer(spec: EffectiveOptimizer): TrainingOptimizer {
  const def = requireOptimizer(String(spec.type));
  const hyper: Record<string, number | boolean> = { ...def.defaults };
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(spec)) {
    if (IGNORED_ARGUMENTS.has(key)) continue;
    const name = key === 'lr' ? 'learning_rate' : key;
    if (name in COMMON_ARGUMENTS && !(name in def.defaults)) {
      // A negative decay would grow the weights; tf.keras 2 rejects a negative clip.
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new Error(`Optimizer ${def.type}: ${name} must be a number >= 0, got ${JSON.stringify(value)}.`);
      }
      hyper[name] = value;
      continue;
    }
    if (!(name in def.defaults)) {
      unknown.push(name);
      continue;
    }
    if (typeof def.defaults[name] === 'boolean') {
      if (typeof value === 'boolean') hyper[name] = value;
      else if (value === 'true' || value === 'false') hyper[name] = value === 'true';
      else throw new Error(`Optimizer ${def.type}: ${name} must be true or false, got ${JSON.stringify(value)}.`);
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      hyper[name] = value;
    } else {
      throw new Error(`Optimizer ${def.type}: ${name} must be a number, got ${JSON.stringify(value)}.`);
    }
  }
  return { type: def.type, hyper, unknown };
}
