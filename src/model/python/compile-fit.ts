/**
 * `model.compile(...)` and `model.fit(...)` read into the definition's `compile`, `fit` and `dataset`.
 * What Model Lab would train differently if it guessed (a custom loss, an optimizer object it cannot read) marks
 * the model incomplete; what it merely ignores (callbacks, verbose) is said in an information diagnostic.
 */
import type { Node } from './py-node';
import { canonicalLoss, LOSS_CLASSES, LOSS_NAMES, untrainableLoss } from '../losses';
import { readMetric, type MetricReading } from '../metric-names';
import {
  COMMON_ARGUMENTS,
  OPTIMIZER_ALIASES,
  optimizerDef,
  otherKerasOptimizer,
  UNIMPLEMENTED_ARGUMENTS,
  unimplementedArgument,
} from '../optimizers';
import type { CompileSpec, DefPath, FitSpec, OptimizerObject } from '../types';
import type { Collector } from './collector';
import { callArgs, rangeOf, unwrap, type KeywordArg } from './syntax';
import { readValue, resolveName, type ReadContext } from './values';
import { readCallbacks, readSchedule } from './fit-callbacks';

const UNREADABLE = 'python-unreadable';
const IGNORED = 'python-ignored';

/** Positional parameters of Keras's `compile` and `fit`, in order. */
const COMPILE_PARAMS = ['optimizer', 'loss', 'metrics'];
const FIT_PARAMS = [
  'x',
  'y',
  'batch_size',
  'epochs',
  'verbose',
  'callbacks',
  'validation_split',
  'validation_data',
  'shuffle',
];
/** Arguments that do not change what is trained or how it is measured. */
const HARMLESS = new Set([
  'x',
  'y',
  'verbose',
  'run_eagerly',
  'jit_compile',
  'steps_per_execution',
  'workers',
  'use_multiprocessing',
  'max_queue_size',
]);

interface Arg {
  name: string;
  value: Node;
  keyword?: Node;
}

function namedArgs(call: Node, params: string[], out: Collector): Arg[] {
  const args = callArgs(call);
  const list: Arg[] = [];
  args.positional.forEach((value, i) => {
    if (i < params.length) list.push({ name: params[i], value });
  });
  args.keywords.forEach((kw: KeywordArg) => list.push({ name: kw.name, value: kw.value, keyword: kw.nameNode }));
  for (const s of args.splats) {
    out.report(
      s,
      'information',
      UNREADABLE,
      'Model Lab cannot read unpacked arguments statically; write the arguments out to have them used here.',
    );
  }
  return list;
}

export function readCompile(call: Node, ctx: ReadContext, out: Collector): CompileSpec {
  const compile: CompileSpec = {};
  out.value(['compile'], rangeOf(call));
  let metrics: Node | undefined;
  for (const arg of namedArgs(call, COMPILE_PARAMS, out)) {
    const path: DefPath = ['compile', arg.name];
    if (arg.keyword) out.key(path, rangeOf(arg.keyword));
    if (arg.name === 'metrics') {
      metrics = arg.value; // read once the loss is known: a specific accuracy is accuracy only for its loss
      continue;
    }
    if (arg.name === 'optimizer') {
      const opt = readOptimizer(arg.value, ctx, out);
      if (opt !== undefined) compile.optimizer = opt;
      continue;
    }
    if (arg.name === 'loss') {
      const object = readLossObject(arg.value, ctx, out);
      if (object) {
        compile.loss = object.loss;
        if (object.fromLogits) compile.from_logits = true;
        continue;
      }
    }
    if (arg.name !== 'loss') {
      if (!HARMLESS.has(arg.name)) {
        out.report(
          arg.keyword ?? arg.value,
          'information',
          IGNORED,
          `Model Lab ignores compile's '${arg.name}' when it trains this model.`,
        );
      }
      continue;
    }
    const v = readValue(arg.value, ctx);
    if (!v.ok) {
      out.report(
        v.node,
        'information',
        UNREADABLE,
        `Model Lab cannot read the loss statically: ${v.reason}; use one of Keras's loss names to train the model here.`,
        path,
      );
      out.incomplete ??= `the loss cannot be read: ${v.reason}`;
      continue;
    }
    if (typeof v.value === 'object' && v.value !== null) {
      // `loss=["mse", "sparse_categorical_crossentropy"]` or a dict: one loss per output of a multi-output model.
      out.report(
        arg.value,
        'information',
        UNREADABLE,
        'Model Lab trains models with one loss; a loss for each output (a list or a dict) is valid Keras it does not train.',
        path,
      );
      out.incomplete ??= 'it has a loss for each output';
      continue;
    }
    const untrainable = typeof v.value === 'string' ? untrainableLoss(v.value) : undefined;
    if (untrainable) {
      // Valid Keras the script may well run: not a problem of the model, but not something Model Lab can train.
      out.report(arg.value, untrainable.known ? 'information' : 'warning', UNREADABLE, `${untrainable.reason}.`, path);
      out.incomplete ??= `the loss '${String(v.value)}' is not one Model Lab trains`;
      continue;
    }
    out.addRanges(path, v.ranges);
    // Keras's upper-case aliases ('MSE', 'MAE') are its short names.
    compile.loss =
      typeof v.value === 'string' && !LOSS_NAMES.includes(v.value) ? canonicalLoss(v.value) : (v.value as string);
  }
  if (metrics) {
    const logged = readMetrics(metrics, compile.loss, ctx, out);
    if (logged) compile.metrics = logged;
  }
  return compile;
}

/**
 * `metrics=[…]` (or one metric): each entry a name or a `keras.metrics` object. Accuracy, by any of its Keras
 * names, is kept as `accuracy` (or `acc` as written); other Keras metrics are said not to be logged and left out,
 * so they never make the model wrong. Undefined when nothing was readable at all.
 */
function readMetrics(node: Node, loss: unknown, ctx: ReadContext, out: Collector): string[] | undefined {
  const path: DefPath = ['compile', 'metrics'];
  const n = boundCall(node, ctx);
  const items = n.type === 'list' || n.type === 'tuple' ? n.namedChildren.filter((c) => c.type !== 'comment') : [n];
  if (n.type === 'list' || n.type === 'tuple') out.value(path, rangeOf(n));
  const lossName = typeof loss === 'string' ? loss : undefined;
  const kept: string[] = [];
  for (const item of items) {
    const m = boundCall(item, ctx);
    const fn = m.type === 'call' ? m.childForFieldName('function') : null;
    const cls = fn ? /^keras\.metrics\.(\w+)$/.exec(resolveName(fn, ctx) ?? '')?.[1] : undefined;
    let reading: MetricReading;
    let written = 'accuracy';
    if (cls) {
      reading = readMetric(cls, lossName, true);
      const threshold = callArgs(m).keywords.find((k) => k.name === 'threshold');
      if (reading.kind === 'accuracy' && threshold) {
        const t = readValue(threshold.value, ctx);
        if (!t.ok || t.value !== 0.5)
          reading = {
            kind: 'unlogged',
            reason: `Model Lab logs binary accuracy at Keras's default threshold 0.5 only; this one is not logged`,
          };
      }
    } else {
      const v = readValue(item, ctx);
      if (!v.ok || typeof v.value !== 'string') {
        const reason = v.ok ? 'it is not a metric name' : v.reason;
        out.report(
          v.ok ? item : v.node,
          'information',
          UNREADABLE,
          `Model Lab cannot read this metric statically: ${reason}; it logs loss and accuracy ('accuracy' in metrics).`,
          path,
        );
        continue;
      }
      reading = readMetric(v.value, lossName);
      if (reading.kind === 'accuracy' && (v.value === 'accuracy' || v.value === 'acc')) written = v.value;
    }
    if (reading.kind !== 'accuracy') {
      out.report(
        item,
        reading.kind === 'unknown' && !cls ? 'warning' : 'information',
        IGNORED,
        `${reading.reason}.`,
        path,
      );
      continue;
    }
    out.value([...path, kept.length], rangeOf(item));
    kept.push(written);
  }
  return kept.length > 0 || items.length === 0 ? kept : undefined;
}

/**
 * Keras 2's crossentropy loss objects (classes in `LOSS_CLASSES`): their positional parameters in order, and the
 * default of each parameter that changes the loss (`name` is a label; `reduction`'s default is checked on its own).
 */
const LOSS_OBJECT_PARAMS: Record<string, { params: string[]; defaults: Record<string, unknown> }> = {
  sparse_categorical_crossentropy: {
    params: ['from_logits', 'ignore_class', 'reduction', 'name'],
    defaults: { ignore_class: null },
  },
  categorical_crossentropy: {
    params: ['from_logits', 'label_smoothing', 'axis', 'reduction', 'name'],
    defaults: { label_smoothing: 0, axis: -1 },
  },
  binary_crossentropy: {
    params: ['from_logits', 'label_smoothing', 'axis', 'reduction', 'name'],
    defaults: { label_smoothing: 0, axis: -1 },
  },
};

/** Keras's default reduction, by its string or its `keras.losses.Reduction` member. */
const DEFAULT_REDUCTION = /^(?:auto|sum_over_batch_size)$/i;

/**
 * A crossentropy loss object (`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`, also through a
 * variable: `loss_fn = …` then `loss=loss_fn`): the loss's name and its from_logits. Undefined when `node` is not
 * one (the caller reads it as a loss name). An argument that changes the loss in a way Model Lab does not train
 * (label_smoothing, ignore_class, axis, a non-default reduction) or cannot read marks the model not trainable.
 */
function readLossObject(
  node: Node,
  ctx: ReadContext,
  out: Collector,
): { loss: string; fromLogits: boolean } | undefined {
  const path: DefPath = ['compile', 'loss'];
  const n = boundCall(node, ctx);
  const fn = n.type === 'call' ? n.childForFieldName('function') : null;
  const name = fn ? resolveName(fn, ctx) : undefined;
  const m = name ? /^keras\.losses\.(\w+)$/.exec(name) : null;
  const loss = m ? Object.entries(LOSS_CLASSES).find(([, cls]) => cls === m[1])?.[0] : undefined;
  if (!loss) return undefined;
  const object = { loss, ...LOSS_OBJECT_PARAMS[loss] };
  out.value(path, rangeOf(unwrap(node)));
  let fromLogits = false;
  const refuse = (at: Node, key: string, reason: string) => {
    out.report(
      at,
      'information',
      UNREADABLE,
      `Model Lab cannot train with this loss's ${key}: ${reason}; Model Lab trains ${object.loss} with Keras's defaults for every argument but from_logits.`,
      path,
    );
    out.incomplete ??= `the loss's ${key} cannot be used: ${reason}`;
  };
  for (const arg of namedArgs(n, object.params, out)) {
    if (arg.name === 'name') continue; // a label for the logs, not part of the loss
    const at = arg.keyword ?? arg.value;
    if (arg.name === 'reduction') {
      const member = resolveName(arg.value, ctx);
      const v = readValue(arg.value, ctx);
      const text = member?.startsWith('keras.losses.Reduction.')
        ? member.slice('keras.losses.Reduction.'.length)
        : v.ok && typeof v.value === 'string'
          ? v.value
          : undefined;
      if (text === undefined || !DEFAULT_REDUCTION.test(text))
        refuse(at, 'reduction', text === undefined ? 'it cannot be read statically' : `'${text}' is not the default`);
      continue;
    }
    const v = readValue(arg.value, ctx);
    if (!v.ok) {
      refuse(v.node, arg.name, v.reason);
      continue;
    }
    if (arg.name === 'from_logits') {
      if (typeof v.value !== 'boolean') {
        refuse(arg.value, 'from_logits', 'it is not True or False');
        continue;
      }
      fromLogits = v.value;
      out.addRanges(['compile', 'from_logits'], v.ranges);
      if (arg.keyword) out.key(['compile', 'from_logits'], rangeOf(arg.keyword));
      continue;
    }
    if (!Object.hasOwn(object.defaults, arg.name)) {
      refuse(at, arg.name, 'it is not an argument of this loss in Keras 2');
      continue;
    }
    const fallback = object.defaults[arg.name];
    if (v.value !== fallback && !(typeof fallback === 'number' && v.value === fallback))
      refuse(at, arg.name, `${JSON.stringify(v.value)} is not Keras's default ${JSON.stringify(fallback)}`);
  }
  return { loss: object.loss, fromLogits };
}

/** What a compile argument names: through variables (`loss_fn = …` then `loss=loss_fn`) to the value assigned. */
function boundCall(node: Node, ctx: ReadContext): Node {
  let n = unwrap(node);
  for (let i = 0; i < 10 && n.type === 'identifier'; i++) {
    const c = ctx.bindings.constant(n.text, n);
    if ('reason' in c) break;
    n = unwrap(c.value);
  }
  return n;
}

/** A string alias (`'adam'`) or an optimizer object (`keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)`). */
export function readOptimizer(node: Node, ctx: ReadContext, out: Collector) {
  const path: DefPath = ['compile', 'optimizer'];
  const use = unwrap(node);
  // `opt = keras.optimizers.SGD(…)` earlier in the file, then `optimizer=opt`.
  const n = boundCall(node, ctx);
  const fn = n.type === 'call' ? n.childForFieldName('function') : null;
  const name = fn ? resolveName(fn, ctx) : undefined;
  const m = name ? /^keras\.optimizers\.(\w+)$/.exec(name) : null;
  if (!m) {
    const v = readValue(node, ctx);
    if (v.ok && typeof v.value === 'string') {
      const other = otherKerasOptimizer(v.value);
      if (other) return notTrained(other, node, out);
      out.addRanges(path, v.ranges);
      return v.value;
    }
    const reason = v.ok ? 'it is not an optimizer name' : v.reason;
    out.report(
      v.ok ? node : v.node,
      'information',
      UNREADABLE,
      `Model Lab cannot read this optimizer statically: ${reason}; write keras.optimizers.X(...) or a name like 'adam' in the call.`,
      path,
    );
    out.incomplete ??= `the optimizer cannot be read: ${reason}`;
    return undefined;
  }

  const def = optimizerDef(m[1]);
  const other = def ? undefined : otherKerasOptimizer(m[1]);
  if (other) return notTrained(other, use, out);
  const opt: OptimizerObject = { type: def?.type ?? m[1] };
  out.value(path, rangeOf(use));
  /** Keras 2's `decay=`: the learning rate divided by (1 + decay · iterations), trained as that schedule. */
  let legacyDecay: { rate: unknown; at: Node } | undefined;
  if (def?.type === 'Nadam' && fn && /\blegacy\s*\.\s*Nadam$/.test(fn.text)) {
    // `canonical` reads keras.optimizers.legacy.X as X; for Nadam the legacy rule differs (`nadamSchedule`).
    out.report(
      fn,
      'warning',
      IGNORED,
      "Model Lab trains Keras 3's Nadam (momentum cache beta_1 * (1 - 0.5 * 0.96^t)), not legacy Keras 2's (0.96^(0.004 t)), so its numbers can differ from this optimizer's.",
      path,
    );
  }
  const order = def ? Object.keys(def.defaults) : ['learning_rate'];
  for (const arg of namedArgs(n, order, out)) {
    if (arg.name === 'name') continue; // a label for TensorBoard, not a hyper-parameter
    // Keras 2 still accepts the deprecated `lr`; it is the learning rate.
    const key = arg.name === 'lr' ? 'learning_rate' : arg.name;
    if (key === 'learning_rate') {
      const schedule = readSchedule(arg.value, [...path, key], ctx, out);
      if (schedule !== null) {
        if (schedule) opt[key] = schedule;
        if (arg.keyword) out.key([...path, key], rangeOf(arg.keyword));
        continue;
      }
    }
    const v = readValue(arg.value, ctx);
    if (!v.ok) {
      out.report(
        v.node,
        'information',
        UNREADABLE,
        `Model Lab cannot read this optimizer argument statically: ${v.reason}; write the number in the call to train the model here.`,
        [...path, key],
      );
      out.incomplete ??= `the optimizer's ${key} cannot be read: ${v.reason}`;
      continue;
    }
    if (key === 'decay' && def && !('decay' in def.defaults)) {
      legacyDecay = { rate: v.value, at: arg.keyword ?? arg.value };
      continue;
    }
    // Keras 3's base-optimizer arguments: None or False is their default (weight_decay and clipping are trained, the
    // rest not); AdamW's own weight_decay is not one of them.
    if (v.value === null || v.value === false) {
      if (key in UNIMPLEMENTED_ARGUMENTS || (key in COMMON_ARGUMENTS && !(def && key in def.defaults))) continue;
    }
    const unimplemented = unimplementedArgument(key);
    if (unimplemented) {
      out.report(
        arg.keyword ?? arg.value,
        'warning',
        IGNORED,
        `${unimplemented}: it trains without it, so its numbers can differ from Keras's.`,
        [...path, key],
      );
      continue;
    }
    opt[key] = v.value;
    out.addRanges([...path, key], v.ranges);
    if (arg.keyword) out.key([...path, key], rangeOf(arg.keyword));
  }
  if (legacyDecay) applyLegacyDecay(opt, def!.defaults.learning_rate, legacyDecay, out);
  return opt;
}

/**
 * Keras 2's optimizers (`keras.optimizers.RMSprop(lr=0.0008, decay=1e-8)`, Deep Learning with Python's first
 * edition) scale the learning rate by 1 / (1 + decay · iterations), iterations counted from 0 at the first update:
 * Keras's InverseTimeDecay(lr, decay_steps=1, decay_rate=decay) exactly, which Model Lab trains. `decay=0` is
 * Keras 2's default.
 */
function applyLegacyDecay(
  opt: OptimizerObject,
  defaultRate: unknown,
  decay: { rate: unknown; at: Node },
  out: Collector,
): void {
  const path: DefPath = ['compile', 'optimizer', 'learning_rate'];
  if (decay.rate === 0 || decay.rate === null) return;
  const rate = opt.learning_rate ?? defaultRate;
  if (typeof decay.rate !== 'number' || !(decay.rate > 0) || typeof rate !== 'number') {
    out.report(
      decay.at,
      'warning',
      IGNORED,
      typeof rate !== 'number'
        ? "Model Lab does not combine Keras 2's decay with a learning-rate schedule: it trains the schedule without it."
        : "Keras 2's decay must be a number of 0 or more; Model Lab trains without it.",
      path,
    );
    return;
  }
  opt.learning_rate = { type: 'InverseTimeDecay', initial_learning_rate: rate, decay_steps: 1, decay_rate: decay.rate };
  out.value(path, rangeOf(decay.at));
}

function notTrained(name: string, at: Node, out: Collector): undefined {
  out.report(
    at,
    'information',
    UNREADABLE,
    `Model Lab does not train with Keras's ${name} optimizer (it trains ${OPTIMIZER_ALIASES.join(', ')}).`,
    ['compile', 'optimizer'],
  );
  out.incomplete ??= `the optimizer ${name} is not one Model Lab trains`;
  return undefined;
}

export interface FitResult {
  fit: FitSpec;
  validationSplit?: number;
  /** The training data argument, to tell which dataset it comes from. */
  x?: Node;
  /** `validation_data=(x_val, y_val)`: which split it is is the data flow's to tell (`applyTraining`). */
  validationData?: { value: Node; keyword?: Node };
}

export function readFit(call: Node, ctx: ReadContext, out: Collector): FitResult {
  const result: FitResult = { fit: {} };
  out.value(['fit'], rangeOf(call));
  for (const arg of namedArgs(call, FIT_PARAMS, out)) {
    if (arg.name === 'x') result.x = arg.value;
    if (HARMLESS.has(arg.name)) continue;
    if (arg.name === 'validation_data') {
      result.validationData = { value: arg.value, keyword: arg.keyword };
      continue;
    }
    if (arg.name === 'callbacks') {
      const callbacks = readCallbacks(arg.value, ctx, out);
      if (callbacks) result.fit.callbacks = callbacks as NonNullable<FitSpec['callbacks']>;
      continue;
    }
    const path: DefPath = arg.name === 'validation_split' ? ['dataset', 'validation_split'] : ['fit', arg.name];
    if (!['epochs', 'batch_size', 'shuffle', 'validation_split'].includes(arg.name)) {
      out.report(
        arg.keyword ?? arg.value,
        'information',
        IGNORED,
        `Model Lab ignores fit's '${arg.name}' when it trains this model.`,
      );
      continue;
    }
    const v = readValue(arg.value, ctx);
    if (!v.ok) {
      out.report(
        v.node,
        'information',
        UNREADABLE,
        `Model Lab cannot read '${arg.name}' statically: ${v.reason}; it trains with its default until the value is written in the call.`,
        path,
      );
      continue;
    }
    out.addRanges(path, v.ranges);
    if (arg.keyword) out.key(path, rangeOf(arg.keyword));
    if (arg.name === 'validation_split') result.validationSplit = v.value as number;
    else (result.fit as Record<string, unknown>)[arg.name] = v.value;
  }
  return result;
}
