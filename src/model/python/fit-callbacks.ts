/**
 * Keras objects passed to `fit` and `compile` that change how a model trains: `callbacks=[keras.callbacks.X(...)]`
 * and a learning-rate schedule as an optimizer's `learning_rate` (`keras.optimizers.schedules.X(...)`), read into
 * the same `{ "type": …, args }` objects a `.model.json` holds (`model/callbacks.ts`, `model/lr-schedules.ts`).
 * An unknown class or an argument that cannot be read is said where it is and marks the model incomplete: training
 * without a callback the script uses would not be the script's training.
 */
import { isUnloggedKerasMetric, monitorAsLogged } from '../metric-names';
import type { Node } from './py-node';
import { callbackDef } from '../callbacks';
import { scheduleDef } from '../lr-schedules';
import type { DefPath } from '../types';
import type { Collector } from './collector';
import type { ScriptIndex } from './script-index';
import { callArgs, rangeOf, unwrap } from './syntax';
import { readValue, resolveName, type ReadContext } from './values';

const UNREADABLE = 'python-unreadable';

/** Follows `cb = keras.callbacks.EarlyStopping(...)` to its call. */
function follow(node: Node, ctx: ReadContext): Node {
  let n = unwrap(node);
  for (let i = 0; i < 10 && n.type === 'identifier'; i++) {
    const c = ctx.bindings.constant(n.text, n); // the assignment in force at this use
    if ('reason' in c) break;
    n = unwrap(c.value);
  }
  return n;
}

/** The Keras class a call constructs under `prefix` (`keras.callbacks.`), with the call; else undefined. */
function kerasCall(node: Node, ctx: ReadContext, prefix: string): { name: string; call: Node } | undefined {
  const n = follow(node, ctx);
  if (n.type !== 'call') return undefined;
  const fn = n.childForFieldName('function');
  const name = fn ? resolveName(fn, ctx) : undefined;
  return name?.startsWith(prefix) ? { name: name.slice(prefix.length), call: n } : undefined;
}

/** Keras arguments outside Model Lab's definitions that change nothing at these values (`save_freq='epoch'`). */
const HARMLESS_EXTRA: Record<string, (v: unknown) => boolean> = {
  save_freq: (v) => v === 'epoch',
  options: (v) => v === null,
  initial_value_threshold: (v) => v === null,
  name: () => true, // a schedule's label
};

/** Reads a call's arguments (positional in `order`) into `target`; false when one cannot be read. */
function readArgs(
  call: Node,
  order: readonly string[],
  target: Record<string, unknown>,
  path: DefPath,
  what: string,
  ctx: ReadContext,
  out: Collector,
): boolean {
  const args = callArgs(call);
  const list = [
    ...args.positional.map((value, i) => ({
      name: order[i] ?? `#${i}`,
      value,
      keyword: undefined as Node | undefined,
    })),
    ...args.keywords.map((k) => ({ name: k.name, value: k.value, keyword: k.nameNode as Node | undefined })),
  ];
  let ok = args.splats.length === 0;
  if (!ok)
    out.report(
      args.splats[0],
      'information',
      UNREADABLE,
      `Model Lab cannot read unpacked arguments of ${what} statically; write them out.`,
      path,
    );
  for (const arg of list) {
    const v = readValue(arg.value, ctx);
    if (!v.ok) {
      out.report(
        v.node,
        'information',
        UNREADABLE,
        `Model Lab cannot read ${what}'s ${arg.name} statically: ${v.reason}; write the value in the call to train the model here.`,
        [...path, arg.name],
      );
      ok = false;
      continue;
    }
    if (!order.includes(arg.name)) {
      // Keras takes it, Model Lab's definition does not: harmless at its default, else the training would differ.
      if (HARMLESS_EXTRA[arg.name]?.(v.value)) continue;
      out.report(
        arg.keyword ?? arg.value,
        'information',
        UNREADABLE,
        `Model Lab's ${what} does not take '${arg.name}' (${JSON.stringify(v.value)}); it takes ${order.join(', ')}.`,
        [...path, arg.name],
      );
      out.incomplete ??= `${what}'s '${arg.name}' is not one Model Lab runs`;
      ok = false;
      continue;
    }
    target[arg.name] = v.value;
    out.addRanges([...path, arg.name], v.ranges);
    if (arg.keyword) out.key([...path, arg.name], rangeOf(arg.keyword));
  }
  return ok;
}

/**
 * `callbacks=[...]`: a list of `keras.callbacks.X(...)` calls. Returns the list, or undefined (with a diagnostic
 * and `incomplete` set) when it cannot be read.
 */
export function readCallbacks(node: Node, ctx: ReadContext, out: Collector): Record<string, unknown>[] | undefined {
  const list = follow(node, ctx);
  if (list.type !== 'list' && list.type !== 'tuple') {
    out.report(
      node,
      'information',
      UNREADABLE,
      'Model Lab cannot read these callbacks statically; write the list of keras.callbacks.X(...) in the call.',
      ['fit', 'callbacks'],
    );
    out.incomplete ??= 'the callbacks cannot be read';
    return undefined;
  }
  out.value(['fit', 'callbacks'], rangeOf(list));
  const result: Record<string, unknown>[] = [];
  for (const element of list.namedChildren) {
    if (!element || element.type === 'comment') continue;
    const i = result.length;
    const path: DefPath = ['fit', 'callbacks', i];
    const found = kerasCall(element, ctx, 'keras.callbacks.');
    const def = found && callbackDef(found.name);
    if (!found || !def) {
      const what = found ? `keras.callbacks.${found.name}` : 'this callback';
      out.report(
        element,
        'information',
        UNREADABLE,
        `Model Lab does not run ${what}; it runs EarlyStopping, ReduceLROnPlateau, ModelCheckpoint and TerminateOnNaN.`,
        path,
      );
      out.incomplete ??= `the callback ${found ? found.name : element.text.slice(0, 40)} is not one Model Lab runs`;
      return undefined;
    }
    const cb: Record<string, unknown> = { type: def.type };
    out.value(path, rangeOf(found.call));
    if (
      !readArgs(
        found.call,
        def.args.map((a) => a.name),
        cb,
        path,
        def.type,
        ctx,
        out,
      )
    ) {
      out.incomplete ??= `an argument of ${def.type} cannot be read`;
      return undefined;
    }
    // `monitor='val_acc'` (Deep Learning with Python) is the accuracy Model Lab logs as val_accuracy.
    if (typeof cb.monitor === 'string') cb.monitor = monitorAsLogged(cb.monitor);
    const watched = typeof cb.monitor === 'string' ? cb.monitor.replace(/^val_/, '') : undefined;
    if (watched && isUnloggedKerasMetric(watched)) {
      // Keras logs it (the script's metrics ask for it); Model Lab does not, so its callback would never act.
      out.report(
        found.call,
        'information',
        UNREADABLE,
        `Model Lab cannot run this ${def.type}: it watches '${String(cb.monitor)}', a metric Model Lab does not log (it logs loss and accuracy).`,
        path,
      );
      out.incomplete ??= `${def.type} watches '${String(cb.monitor)}', which Model Lab does not log`;
      return undefined;
    }
    result.push(cb);
  }
  return result;
}

/**
 * An optimizer's `learning_rate=keras.optimizers.schedules.X(...)`: the schedule object, `null` when the value is
 * not a schedule call (the caller reads it as a number), or undefined after reporting what cannot be read.
 */
export function readSchedule(
  node: Node,
  path: DefPath,
  ctx: ReadContext,
  out: Collector,
): Record<string, unknown> | null | undefined {
  const found = kerasCall(node, ctx, 'keras.optimizers.schedules.');
  if (!found) return null;
  const def = scheduleDef(found.name);
  if (!def) {
    out.report(
      node,
      'information',
      UNREADABLE,
      `Model Lab does not implement the schedule ${found.name}; it has ExponentialDecay, PiecewiseConstantDecay, CosineDecay and InverseTimeDecay.`,
      path,
    );
    out.incomplete ??= `the learning-rate schedule ${found.name} is not one Model Lab has`;
    return undefined;
  }
  const schedule: Record<string, unknown> = { type: def.type };
  out.value(path, rangeOf(found.call));
  if (
    !readArgs(
      found.call,
      def.args.map((a) => a.name),
      schedule,
      path,
      def.type,
      ctx,
      out,
    )
  ) {
    out.incomplete ??= `an argument of ${def.type} cannot be read`;
    return undefined;
  }
  return schedule;
}

const LOADER = 'keras.datasets.fashion_mnist.load_data';

/**
 * Whether `x` (the first argument of `model.evaluate`) is Fashion-MNIST's test split: a name bound from the second
 * pair of `(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()`, or computed from one
 * (`x_test = x_test / 255.0`, also position by position in `a, b = f(a), g(b)`).
 */
export function isTestData(x: Node, ctx: ReadContext): boolean {
  let marks = TEST_MARKS.get(ctx.index);
  if (!marks) TEST_MARKS.set(ctx.index, (marks = testDataMarks(ctx)));
  // A name is test data at `x` when the last assignment to it before `x` made it so.
  return identifiersIn(unwrap(x)).some((name) => {
    const list = marks.get(name);
    if (!list) return false;
    let lo = 0;
    let hi = list.length; // the first mark at or after x
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].at < x.startIndex) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && list[lo - 1].test;
  });
}

/** Per script, each name's assignments in source order, each saying whether it leaves the name test data. */
const TEST_MARKS = new WeakMap<ScriptIndex, Map<string, { at: number; test: boolean }[]>>();

const identifiersIn = (n: Node): string[] => n.subtreeOfTypes(['identifier']).map((d) => d.text);

/** One pass over the script's assignments, in order, as running it would (see isTestData). */
function testDataMarks(ctx: ReadContext): Map<string, { at: number; test: boolean }[]> {
  const marks = new Map<string, { at: number; test: boolean }[]>();
  const test = new Set<string>();
  const set = (name: string, at: number, on: boolean) => {
    if (on) test.add(name);
    else test.delete(name);
    const list = marks.get(name) ?? [];
    list.push({ at, test: on });
    marks.set(name, list);
  };
  const uses = (n: Node) => ctx.index.firstNamed(test, n) !== undefined;
  const parts = (n: Node) =>
    n.type === 'pattern_list' || n.type === 'expression_list' || n.type === 'tuple_pattern' || n.type === 'tuple'
      ? n.namedChildren.filter((c): c is Node => !!c)
      : [n];
  const assignments = ctx.index.ofType('assignment');
  for (let i = 0; i < assignments.length; i++) {
    const a = assignments[i];
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (!left || !right) continue;
    const fn = unwrap(right).type === 'call' ? unwrap(right).childForFieldName('function') : null;
    if (fn && resolveName(fn, ctx) === LOADER) {
      const halves = parts(unwrap(left));
      if (halves.length === 2) identifiersIn(halves[1]).forEach((name) => set(name, a.startIndex, true));
      continue;
    }
    // Nothing holds test data yet, or this assignment neither reads nor assigns a name that does: it changes nothing.
    if (test.size === 0 || !uses(a)) continue;
    const l = parts(unwrap(left));
    const r = parts(unwrap(right));
    const pairs = l.length === r.length ? l.map((t, i) => [t, r[i]] as const) : [[unwrap(left), right] as const];
    for (const [target, value] of pairs) {
      const on = uses(value);
      for (const name of identifiersIn(target)) if (on || test.has(name)) set(name, a.startIndex, on);
    }
  }
  return marks;
}
