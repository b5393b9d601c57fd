/**
 * Keras learning-rate schedules (`keras.optimizers.schedules.*`) as an optimizer's `learning_rate`: their names,
 * arguments, defaults and formulas, in one place for the schema, the Python reader, hovers and both training engines.
 *
 * A schedule is a function of the optimizer's step count: Keras evaluates it at `optimizer.iterations`, the number
 * of updates already made (0 for the first batch). Formulas follow keras/src/optimizers/schedules/
 * learning_rate_schedule.py (Keras 3; the same as TF 2.x Keras, plus CosineDecay's warmup).
 */

export interface ScheduleDef {
  /** Keras class name. */
  type: string;
  doc: string;
  /** Arguments in Keras's constructor order; `undefined` default = required. */
  args: readonly {
    name: string;
    default?: number | boolean | null;
    doc: string;
    kind: 'number' | 'integer' | 'boolean' | 'numbers';
  }[];
}

export const SCHEDULES: readonly ScheduleDef[] = [
  {
    type: 'ExponentialDecay',
    doc: 'initial_learning_rate · decay_rate ^ (step / decay_steps); with staircase the exponent is an integer.',
    args: [
      { name: 'initial_learning_rate', doc: 'Learning rate at step 0.', kind: 'number' },
      { name: 'decay_steps', doc: 'Steps over which the rate is multiplied by decay_rate once.', kind: 'number' },
      { name: 'decay_rate', doc: 'Factor per decay_steps.', kind: 'number' },
      {
        name: 'staircase',
        default: false,
        doc: 'Decay in whole steps (floor of step / decay_steps).',
        kind: 'boolean',
      },
    ],
  },
  {
    type: 'PiecewiseConstantDecay',
    doc: 'values[0] up to and including step boundaries[0], values[1] up to boundaries[1], …, values[-1] after the last.',
    args: [
      { name: 'boundaries', doc: 'Increasing step numbers where the rate changes.', kind: 'numbers' },
      { name: 'values', doc: 'One more rate than boundaries.', kind: 'numbers' },
    ],
  },
  {
    type: 'CosineDecay',
    doc: 'Optional linear warmup to warmup_target over warmup_steps, then half a cosine from the rate down to alpha × the rate over decay_steps.',
    args: [
      { name: 'initial_learning_rate', doc: 'Learning rate at step 0.', kind: 'number' },
      { name: 'decay_steps', doc: 'Steps of the cosine decay.', kind: 'number' },
      { name: 'alpha', default: 0.0, doc: 'Final rate as a fraction of the decayed-from rate.', kind: 'number' },
      {
        name: 'warmup_target',
        default: null,
        doc: 'Rate reached at the end of the warmup (none: no warmup).',
        kind: 'number',
      },
      { name: 'warmup_steps', default: 0, doc: 'Steps of linear warmup.', kind: 'number' },
    ],
  },
  {
    type: 'InverseTimeDecay',
    doc: 'initial_learning_rate / (1 + decay_rate · step / decay_steps); with staircase the ratio is an integer.',
    args: [
      { name: 'initial_learning_rate', doc: 'Learning rate at step 0.', kind: 'number' },
      { name: 'decay_steps', doc: 'Steps per unit of decay.', kind: 'number' },
      { name: 'decay_rate', doc: 'Decay per decay_steps.', kind: 'number' },
      {
        name: 'staircase',
        default: false,
        doc: 'Decay in whole steps (floor of step / decay_steps).',
        kind: 'boolean',
      },
    ],
  },
];

export const SCHEDULE_TYPES: readonly string[] = SCHEDULES.map((s) => s.type);

export function scheduleDef(type: string): ScheduleDef | undefined {
  return SCHEDULES.find((s) => s.type === type);
}

/** A schedule as written (`{ "type": "ExponentialDecay", … }`), with defaults filled in by `effectiveSchedule`. */
export interface ScheduleSpec {
  type: string;
  [arg: string]: unknown;
}

/** True for a `learning_rate` value that is a schedule object rather than a number. */
export function isScheduleSpec(v: unknown): v is ScheduleSpec {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string';
}

export interface EffectiveSchedule {
  type: string;
  [arg: string]: string | number | boolean | number[] | null;
}

/**
 * The schedule with Keras's defaults filled in, or a one-sentence reason why it cannot run (an unknown type, a
 * missing or wrong argument). The schema reports the same problems at their position; this is the check the
 * worker relies on.
 */
export function effectiveSchedule(spec: ScheduleSpec): EffectiveSchedule | string {
  const def = scheduleDef(spec.type);
  if (!def) return `Unknown learning-rate schedule '${spec.type}'; use one of ${SCHEDULE_TYPES.join(', ')}.`;
  const out: EffectiveSchedule = { type: def.type };
  for (const a of def.args) {
    const v = spec[a.name];
    if (v === undefined || (v === null && a.default === null)) {
      if (a.default === undefined) return `${def.type} needs ${a.name}.`;
      out[a.name] = a.default;
      continue;
    }
    const ok =
      a.kind === 'boolean'
        ? typeof v === 'boolean'
        : a.kind === 'numbers'
          ? Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))
          : typeof v === 'number' && Number.isFinite(v);
    if (!ok)
      return `${def.type}: ${a.name} must be ${a.kind === 'boolean' ? 'true or false' : a.kind === 'numbers' ? 'a list of numbers' : 'a number'}.`;
    out[a.name] = v as number | boolean | number[];
  }
  for (const k of Object.keys(spec)) {
    if (k !== 'type' && k !== 'name' && !def.args.some((a) => a.name === k))
      return `${def.type} has no argument '${k}'.`;
  }
  if (def.type === 'PiecewiseConstantDecay') {
    const b = out.boundaries as number[];
    const v = out.values as number[];
    if (v.length !== b.length + 1)
      return `PiecewiseConstantDecay needs one more value than boundaries (${b.length} boundaries, ${v.length} values).`;
    if (b.some((x, i) => i > 0 && x <= b[i - 1])) return 'PiecewiseConstantDecay: boundaries must increase.';
  } else if ((out.decay_steps as number) <= 0) {
    return `${def.type}: decay_steps must be greater than 0.`;
  }
  if (def.type === 'CosineDecay' && out.warmup_target !== null && (out.warmup_steps as number) <= 0) {
    return 'CosineDecay: warmup_target needs warmup_steps greater than 0.';
  }
  return out;
}

/** The learning rate Keras's schedule gives at `step` (the number of updates already made). */
export function learningRateAt(s: EffectiveSchedule, step: number): number {
  const n = (k: string) => s[k] as number;
  switch (s.type) {
    case 'ExponentialDecay': {
      let p = step / n('decay_steps');
      if (s.staircase) p = Math.floor(p);
      return n('initial_learning_rate') * n('decay_rate') ** p;
    }
    case 'InverseTimeDecay': {
      let p = step / n('decay_steps');
      if (s.staircase) p = Math.floor(p);
      return n('initial_learning_rate') / (1 + n('decay_rate') * p);
    }
    case 'PiecewiseConstantDecay': {
      const b = s.boundaries as number[];
      const v = s.values as number[];
      // Keras: step <= b[0] → v[0]; b[i-1] < step <= b[i] → v[i]; step > b[-1] → v[-1].
      for (let i = 0; i < b.length; i++) if (step <= b[i]) return v[i];
      return v[v.length - 1];
    }
    case 'CosineDecay': {
      const initial = n('initial_learning_rate');
      const decaySteps = n('decay_steps');
      const alpha = n('alpha');
      const decay = (t: number, from: number) => {
        const cosine = 0.5 * (1 + Math.cos((Math.PI * t) / decaySteps));
        return from * ((1 - alpha) * cosine + alpha);
      };
      if (s.warmup_target === null) return decay(Math.min(step, decaySteps), initial);
      const target = n('warmup_target');
      const warmup = n('warmup_steps');
      const t = Math.min(step, decaySteps + warmup);
      if (t < warmup) return (target - initial) * (t / warmup) + initial;
      return decay(t - warmup, target);
    }
    default:
      throw new Error(`Unknown learning-rate schedule '${s.type}'.`);
  }
}

/** `ExponentialDecay(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.96, staircase=True)`, for labels and hovers. */
export function scheduleLabel(s: EffectiveSchedule): string {
  const def = scheduleDef(s.type);
  const parts = (def?.args ?? []).map((a) => {
    const v = s[a.name];
    const text =
      v === null
        ? 'None'
        : v === true
          ? 'True'
          : v === false
            ? 'False'
            : Array.isArray(v)
              ? `[${v.join(', ')}]`
              : String(v);
    return `${a.name}=${text}`;
  });
  return `${s.type}(${parts.join(', ')})`;
}
