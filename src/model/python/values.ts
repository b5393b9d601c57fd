/**
 * Reads Python expressions whose value is known without running the script: numbers (with arithmetic), strings,
 * True/False/None, tuples and lists of those, names of constants, and Keras functions or argument-less Keras
 * objects that stand for a name (`tf.nn.relu` → 'relu', `keras.losses.SparseCategoricalCrossentropy()` →
 * 'sparse_categorical_crossentropy'). Everything else is "unreadable", with the node and the reason.
 */
import { LONG_LITERAL, type Node } from './py-node';
import type { DefPath, Range } from '../types';
import type { Bindings } from './bindings';
import { canonical, type Imports } from './imports';
import type { ModelLayers } from './layer-lists';
import type { NestedModels } from './nested-models';
import type { ScriptIndex } from './script-index';
import { arrayShape, sliceBounds, sliceIndices } from './array-shapes';
import { callArgs, rangeOf, shortText, unwrap } from './syntax';

export interface ReadContext {
  imports: Imports;
  bindings: Bindings;
  /** The script's nodes by type (one pass, for the reader's file-wide passes). */
  index: ScriptIndex;
  /**
   * `resolveName`'s answers (null: no name): the same call's function is resolved by several passes and every model
   * that looks at it, and the answer depends on the script only (imports and bindings), not on where it is read.
   */
  resolved?: ResolvedNames;
  /** Values of loop variables while a loop over literal values is unrolled (`for n in (300, 100): model.add(…)`). */
  locals?: ReadonlyMap<string, unknown>;
  /**
   * The parameters of the functions a model is built in (innermost last), with the values of the call that builds
   * it or their defaults (`def create_model(hidden=200):`): in force inside `fn` only.
   */
  params?: readonly ParamScope[];
  /** The Sequential models read so far, for another model's `m.layers`. */
  models?: ModelLayers;
  /** Models used as layers (`model.add(conv_base)`): each model call read once (nested-models.ts). */
  nested?: NestedModels;
  /**
   * The shape (batch first, None as null) of a tensor a functional model's scan has followed to this point
   * (`inputs.shape[-1]`), undefined when `node` is no such tensor or its shape is not known.
   */
  tensorShape?: (node: Node) => (number | null)[] | undefined;
}

export interface ParamScope {
  fn: Node;
  values: ReadonlyMap<string, unknown>;
  /** The call of `fn` the values come from, if any. */
  call?: Node;
  /** The values of the loop variables around that call, for the pass of the loop it is read for. */
  callLocals?: ReadonlyMap<string, unknown>;
}

const inside = (n: Node, scope: Node) => scope.startIndex <= n.startIndex && n.endIndex <= scope.endIndex;

/** The value a function parameter has at `n`, unless the function assigns the name itself before `n`. */
export function paramValue(n: Node, ctx: ReadContext): { value: unknown } | undefined {
  if (!ctx.params) return undefined;
  for (let i = ctx.params.length - 1; i >= 0; i--) {
    const scope = ctx.params[i];
    if (!scope.values.has(n.text) || !inside(n, scope.fn)) continue;
    const b = ctx.bindings.resolve(n.text, n);
    if (!('reason' in b) && b.kind !== 'parameter' && inside(b.target, scope.fn)) return undefined;
    return { value: scope.values.get(n.text) };
  }
  return undefined;
}

/** A value with the source range of itself and of each element, by path relative to the value. */
export interface Readable {
  ok: true;
  value: unknown;
  ranges: [DefPath, Range][];
}
export interface Unreadable {
  ok: false;
  node: Node;
  reason: string;
}
export type ReadResult = Readable | Unreadable;

const MAX_DEPTH = 20;

/**
 * `resolveName`'s answers for one script: by node id, and by text for a plain dotted name (`keras.layers.Dense`)
 * whose first name no assignment aliases, which means the same wherever it is written (a large script spells the
 * same few names thousands of times).
 */
export class ResolvedNames {
  /** By node id: 0 not asked yet, 1 no name, else the name `names[code - 2]`. */
  private byId: Int32Array;
  private readonly names: string[] = [];
  private readonly codes = new Map<string, number>();
  readonly byText = new Map<string, string | null>();

  constructor(nodes = 0) {
    this.byId = new Int32Array(nodes);
  }

  /** The answer for node `id`: undefined if not asked yet, null for no name. */
  get(id: number): string | null | undefined {
    const code = id < this.byId.length ? this.byId[id] : 0;
    return code === 0 ? undefined : code === 1 ? null : this.names[code - 2];
  }

  set(id: number, name: string | null): void {
    if (id >= this.byId.length) {
      const more = new Int32Array(Math.max(id + 1, this.byId.length * 2));
      more.set(this.byId);
      this.byId = more;
    }
    let code = 1;
    if (name !== null) {
      code = this.codes.get(name) ?? 0;
      if (code === 0) {
        code = this.names.push(name) + 1;
        this.codes.set(name, code);
      }
    }
    this.byId[id] = code;
  }

  /** `calleeNames`'s list, made once per read. */
  callees?: readonly (string | undefined)[];
}

/**
 * The name each call of the script calls (`resolveName` of its function: `keras.layers.Dense`; undefined for none),
 * in the order of `ctx.index.ofType('call')`. Resolved once per read and shared by the file-wide passes that look
 * for the calls of some names (models, applications, data loaders, seeds, `clear_session`): each went through every
 * call of the script and asked its function's name again.
 */
export function calleeNames(ctx: ReadContext): readonly (string | undefined)[] {
  if (ctx.resolved?.callees) return ctx.resolved.callees;
  const calls = ctx.index.ofType('call');
  const names = new Array<string | undefined>(calls.length);
  for (let i = 0; i < calls.length; i++) {
    const fn = calls[i].childForFieldName('function');
    names[i] = fn ? resolveName(fn, ctx) : undefined;
  }
  if (ctx.resolved) ctx.resolved.callees = names;
  return names;
}

/** The script's calls whose name (see `calleeNames`) passes `test`, in source order. */
export function callsNamed(ctx: ReadContext, test: (name: string) => boolean): Node[] {
  const calls = ctx.index.ofType('call');
  const names = calleeNames(ctx);
  const out: Node[] = [];
  for (let i = 0; i < calls.length; i++) {
    const name = names[i];
    if (name !== undefined && test(name)) out.push(calls[i]);
  }
  return out;
}

/** A name or attribute chain written without spaces, comments or brackets. */
const PLAIN_DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Canonical Keras name of a name or attribute chain (`tf.keras.layers.Dense` → `keras.layers.Dense`). */
export function resolveName(node: Node, ctx: ReadContext, depth = 0): string | undefined {
  const cache = ctx.resolved;
  if (depth > 0 || !cache) return resolveUncached(node, ctx, depth);
  const known = cache.get(node.id);
  if (known !== undefined) return known ?? undefined;
  let name: string | null | undefined;
  const type = node.type;
  if (type === 'identifier' || type === 'attribute') {
    const text = node.text;
    const dot = text.indexOf('.');
    if (!ctx.bindings.mayAlias(dot < 0 ? text : text.slice(0, dot)) && PLAIN_DOTTED.test(text)) {
      name = cache.byText.get(text);
      if (name === undefined) cache.byText.set(text, (name = resolveUncached(node, ctx, depth) ?? null));
    }
  }
  if (name === undefined) name = resolveUncached(node, ctx, depth) ?? null;
  cache.set(node.id, name);
  return name ?? undefined;
}

function resolveUncached(node: Node, ctx: ReadContext, depth: number): string | undefined {
  const n = unwrap(node);
  // `fashion_mnist = keras.datasets.fashion_mnist` then `fashion_mnist.load_data()`: follow the alias.
  let head = n;
  while (head.type === 'attribute' && head.childForFieldName('object')) head = head.childForFieldName('object')!;
  if (head.type === 'identifier' && depth < 10 && ctx.bindings.mayAlias(head.text)) {
    const c = ctx.bindings.constant(head.text, head);
    if ('value' in c) {
      const v = unwrap(c.value);
      if (v.type === 'identifier' || v.type === 'attribute') {
        const base = resolveName(v, ctx, depth + 1);
        const rest = n.text.slice(head.text.length).replace(/\s+/g, '');
        return base === undefined ? undefined : canonical(base + rest);
      }
    }
  }
  return ctx.imports.resolve(n, (name) => ctx.bindings.has(name));
}

/**
 * A value read from `node`, with the node's range (made only here: most nodes `readValue` is asked about are not
 * values, and a range is two searches of the line starts and five objects).
 */
const leafAt = (node: Node, value: unknown): Readable => ({ ok: true, value, ranges: [[[], rangeOf(node)]] });
const failed = (node: Node, reason: string): Unreadable => ({ ok: false, node, reason });

export function readValue(node: Node, ctx: ReadContext, depth = 0): ReadResult {
  const n = unwrap(node);
  if (depth > MAX_DEPTH) return failed(n, 'its definition is too deeply nested');

  switch (n.type) {
    case 'integer':
    case 'float': {
      if (/[jJ]$/.test(n.text)) return failed(n, 'complex numbers are not model arguments');
      const text = n.text.replace(/_/g, '');
      const value = /^0[oO]/.test(text) ? parseInt(text.slice(2), 8) : Number(text);
      return Number.isFinite(value)
        ? leafAt(node, value)
        : failed(n, `'${shortText(n)}' is not a number Model Lab can read`);
    }
    case 'true':
      return leafAt(node, true);
    case 'false':
      return leafAt(node, false);
    case 'none':
      return leafAt(node, null);
    case 'string':
    case 'concatenated_string': {
      const s = readString(n);
      return typeof s === 'string' ? leafAt(node, s) : failed(n, s.reason);
    }
    case 'unary_operator': {
      const operand = n.childForFieldName('argument');
      const op = n.childForFieldName('operator')?.text ?? n.child(0)?.text;
      if (!operand) return failed(n, 'this expression is incomplete');
      const inner = readValue(operand, ctx, depth + 1);
      if (!inner.ok) return inner;
      if (typeof inner.value !== 'number') return failed(n, `'${op}' applies to numbers only here`);
      if (op === '-') return leafAt(node, -inner.value);
      if (op === '+') return leafAt(node, inner.value);
      return failed(n, `the operator '${op}' is not evaluated by Model Lab`);
    }
    case 'binary_operator': {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      const op = n.childForFieldName('operator')?.text;
      if (!left || !right || !op) return failed(n, 'this expression is incomplete');
      const a = readValue(left, ctx, depth + 1);
      if (!a.ok) return a;
      const b = readValue(right, ctx, depth + 1);
      if (!b.ok) return b;
      // `IMG_SIZE + (3,)`: tuples and lists join, as Python's + does (the TensorFlow tutorials' image shapes).
      if (op === '+' && Array.isArray(a.value) && Array.isArray(b.value)) {
        if (itemCount(a.value) + itemCount(b.value) > MAX_ITEMS)
          return failed(
            n,
            `a list joined to more than ${MAX_ITEMS.toLocaleString('en-US')} items is not evaluated by Model Lab`,
          );
        return leafAt(node, [...a.value, ...b.value]);
      }
      // `(1, 2, 4, 8) * 2`, `[64] * 3 + [128] * 4`: a tuple or list repeated, as Python's * does (Hands-On ML's WaveNet).
      const repeated = op === '*' ? (repetition(a.value, b.value) ?? repetition(b.value, a.value)) : undefined;
      if (typeof repeated === 'string') return failed(n, repeated);
      if (repeated) return leafAt(node, repeated);
      const value = arithmetic(op, a.value, b.value);
      return value === undefined
        ? failed(n, `Model Lab only evaluates arithmetic on numbers, not '${shortText(n)}'`)
        : leafAt(node, value);
    }
    case 'tuple':
    case 'expression_list':
    case 'list': {
      const items: unknown[] = [];
      const ranges: [DefPath, Range][] = [[[], rangeOf(node)]];
      for (const child of n.namedChildren) {
        if (!child || child.type === 'comment') continue;
        if (child.type === 'list_splat') return failed(child, 'a starred element is only known when the script runs');
        const item = readValue(child, ctx, depth + 1);
        if (!item.ok) return item;
        for (const [p, r] of item.ranges) ranges.push([[items.length, ...p], r]);
        items.push(item.value);
      }
      return { ok: true, value: items, ranges };
    }
    case 'identifier':
    case 'attribute': {
      if (n.type === 'identifier' && ctx.locals?.has(n.text)) return leafAt(node, ctx.locals.get(n.text));
      const param = n.type === 'identifier' ? paramValue(n, ctx) : undefined;
      if (param) return leafAt(node, param.value);
      const known = namedValue(n, ctx);
      if (known !== undefined) return leafAt(node, known);
      if (n.type === 'attribute') {
        const object = n.childForFieldName('object');
        if (n.childForFieldName('attribute')?.text === 'shape' && object) {
          // `X.shape` of an array from a Keras dataset loader (`input_shape=X_train.shape[1:]`).
          const s = arrayShape(object, ctx);
          if (s && 'shape' in s) return leafAt(node, s.shape);
          // `inputs.shape[-1]` of a Keras tensor the functional scan followed (keras.io's transformer blocks).
          const t = ctx.tensorShape?.(object);
          if (t) return leafAt(node, t);
        }
        return failed(n, `'${shortText(n)}' is only known when the script runs`);
      }
      const decide = (s: Node) => takenBranch(s, ctx);
      const b = ctx.bindings.resolve(n.text, n, decide);
      if (!('reason' in b) && b.kind === 'unpacked' && b.value && b.path) {
        // `a, b = 1, 2` or `(x, y), _ = pairs`: the element of the value at the name's place.
        const whole = readValue(b.value, ctx, depth + 1);
        if (!whole.ok) return failed(n, `'${n.text}' gets its value when the script runs (${whole.reason})`);
        let v: unknown = whole.value;
        for (const i of b.path) v = Array.isArray(v) && i < v.length ? v[i] : undefined;
        return v === undefined ? failed(n, `'${n.text}' is unpacked from a value of another length`) : leafAt(node, v);
      }
      const c = ctx.bindings.constant(n.text, n, decide);
      if ('reason' in c) return failed(n, c.reason);
      const inner = readValue(c.value, ctx, depth + 1);
      if (!inner.ok)
        return inner.node === unwrap(c.value)
          ? failed(n, `'${n.text}' gets its value when the script runs (${inner.reason})`)
          : inner;
      // The use site is where a problem with this value shows; elements keep their ranges in the constant.
      return {
        ok: true,
        value: inner.value,
        ranges: [[[], rangeOf(node)], ...inner.ranges.filter(([p]) => p.length > 0)],
      };
    }
    case 'subscript': {
      const value = n.childForFieldName('value');
      const subs = n.childrenForFieldName('subscript');
      if (!value || subs.length !== 1) return failed(n, `'${shortText(n)}' is only known when the script runs`);
      const v = readValue(value, ctx, depth + 1);
      if (!v.ok) return v;
      const seq = v.value;
      if (!Array.isArray(seq) && typeof seq !== 'string')
        return failed(n, `'${shortText(value)}' is not a tuple, list or string Model Lab can index`);
      const sub = subs[0];
      if (sub.type === 'slice') {
        const bounds = sliceBounds(sub, ctx);
        if (!bounds) return failed(n, `the slice '${shortText(sub)}' is only known when the script runs`);
        const picked = sliceIndices(seq.length, bounds).map((i) => seq[i]);
        return leafAt(node, typeof seq === 'string' ? picked.join('') : picked);
      }
      const i = readValue(sub, ctx, depth + 1);
      if (!i.ok) return i;
      if (!Number.isInteger(i.value)) return failed(n, `'${shortText(sub)}' is not an integer index`);
      const at = (i.value as number) < 0 ? seq.length + (i.value as number) : (i.value as number);
      if (at < 0 || at >= seq.length)
        return failed(n, `the index ${String(i.value)} is out of range (${seq.length} items)`);
      return leafAt(node, seq[at]);
    }
    case 'conditional_expression': {
      // `a if condition else b` with a condition known before the script runs.
      const [yes, cond, no] = n.namedChildren.filter((c) => c.type !== 'comment');
      if (!yes || !cond || !no) return failed(n, 'this expression is incomplete');
      const c = readValue(cond, ctx, depth + 1);
      if (!c.ok) return failed(cond, `the condition '${shortText(cond)}' is only known when the script runs`);
      return readValue(truthy(c.value) ? yes : no, ctx, depth + 1);
    }
    case 'not_operator': {
      const arg = n.childForFieldName('argument');
      const v = arg ? readValue(arg, ctx, depth + 1) : undefined;
      if (!v) return failed(n, 'this expression is incomplete');
      return v.ok ? leafAt(node, !truthy(v.value)) : v;
    }
    case 'boolean_operator': {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      const op = n.childForFieldName('operator')?.text;
      if (!left || !right) return failed(n, 'this expression is incomplete');
      const a = readValue(left, ctx, depth + 1);
      if (!a.ok) return a;
      // Python's short circuit: `a and b` is a when a is falsy, `a or b` is a when a is truthy.
      if ((op === 'and') !== truthy(a.value)) return leafAt(node, a.value);
      const b = readValue(right, ctx, depth + 1);
      return b.ok ? leafAt(node, b.value) : b;
    }
    case 'comparison_operator': {
      const operands = n.namedChildren.filter((c) => c.type !== 'comment');
      const values: unknown[] = [];
      for (const o of operands) {
        const v = readValue(o, ctx, depth + 1);
        if (!v.ok) return v;
        values.push(v.value);
      }
      // The operators between the operands (`not in` and `is not` are two tokens).
      const ops: string[] = [];
      for (let k = 0; k + 1 < operands.length; k++) {
        const between = n.children.filter(
          (c) => !c.isNamed && c.startIndex >= operands[k].endIndex && c.endIndex <= operands[k + 1].startIndex,
        );
        ops.push(between.map((c) => c.text).join(' '));
      }
      let result = true;
      for (let k = 0; k < ops.length && result; k++) {
        const r = compare(ops[k], values[k], values[k + 1]);
        if (r === undefined) return failed(n, `Model Lab does not evaluate '${shortText(n)}'`);
        result = r;
      }
      return leafAt(node, result);
    }
    case 'call': {
      const fn = n.childForFieldName('function');
      const name = fn ? resolveName(fn, ctx) : undefined;
      const short = namedObject(name);
      const args = callArgs(n);
      if (short !== undefined && args.positional.length + args.keywords.length + args.splats.length === 0)
        return leafAt(node, short);
      const object = name ? configObject(name, n, ctx, depth) : undefined;
      if (object) return object;
      const builtin = fn?.type === 'identifier' && !ctx.bindings.has(fn.text) ? BUILTINS[fn.text] : undefined;
      if (builtin && args.positional.length === 1 && args.keywords.length + args.splats.length === 0) {
        // `len(chars)` of a string literal, `int(past / step)` of constants: Python's builtins on known values.
        const v = readValue(args.positional[0], ctx, depth + 1);
        const out = v.ok ? builtin(v.value) : undefined;
        if (out !== undefined) return leafAt(node, out);
      }
      if (short !== undefined)
        return failed(n, `'${shortText(fn ?? n)}' with arguments is more than a name Model Lab can use`);
      return failed(n, `'${shortText(fn ?? n)}(…)' is only computed when the script runs`);
    }
    case 'ellipsis':
      // tree-sitter.ts parses a long run of numbers as `[...]`; the node's text is still the script's.
      if (n.text !== '...')
        return failed(
          n.parent ?? n,
          `a list of ${LONG_LITERAL.toLocaleString('en-US')} or more characters of numbers is not read`,
        );
      return failed(n, 'Ellipsis is not a value a layer takes');
    default:
      return failed(n, `this ${n.type.replace(/_/g, ' ')} is only computed when the script runs`);
  }
}

/**
 * Positional parameters of the Keras objects with arguments that a definition holds as `{ type, …config }`
 * (initializers, constraints) or, for regularizers, `{ l1, l2 }` with Keras's default factors.
 */
const OBJECTS: Record<
  string,
  {
    kind: 'initializers' | 'constraints' | 'regularizers';
    type: string;
    params: string[];
    defaults?: Record<string, number>;
  }
> = {
  RandomNormal: { kind: 'initializers', type: 'RandomNormal', params: ['mean', 'stddev', 'seed'] },
  RandomUniform: { kind: 'initializers', type: 'RandomUniform', params: ['minval', 'maxval', 'seed'] },
  TruncatedNormal: { kind: 'initializers', type: 'TruncatedNormal', params: ['mean', 'stddev', 'seed'] },
  Constant: { kind: 'initializers', type: 'Constant', params: ['value'] },
  VarianceScaling: { kind: 'initializers', type: 'VarianceScaling', params: ['scale', 'mode', 'distribution', 'seed'] },
  Orthogonal: { kind: 'initializers', type: 'Orthogonal', params: ['gain', 'seed'] },
  Identity: { kind: 'initializers', type: 'Identity', params: ['gain'] },
  GlorotUniform: { kind: 'initializers', type: 'GlorotUniform', params: ['seed'] },
  GlorotNormal: { kind: 'initializers', type: 'GlorotNormal', params: ['seed'] },
  HeNormal: { kind: 'initializers', type: 'HeNormal', params: ['seed'] },
  HeUniform: { kind: 'initializers', type: 'HeUniform', params: ['seed'] },
  LecunNormal: { kind: 'initializers', type: 'LecunNormal', params: ['seed'] },
  LecunUniform: { kind: 'initializers', type: 'LecunUniform', params: ['seed'] },
  MaxNorm: { kind: 'constraints', type: 'MaxNorm', params: ['max_value', 'axis'] },
  max_norm: { kind: 'constraints', type: 'MaxNorm', params: ['max_value', 'axis'] },
  NonNeg: { kind: 'constraints', type: 'NonNeg', params: [] },
  non_neg: { kind: 'constraints', type: 'NonNeg', params: [] },
  UnitNorm: { kind: 'constraints', type: 'UnitNorm', params: ['axis'] },
  unit_norm: { kind: 'constraints', type: 'UnitNorm', params: ['axis'] },
  MinMaxNorm: { kind: 'constraints', type: 'MinMaxNorm', params: ['min_value', 'max_value', 'rate', 'axis'] },
  min_max_norm: { kind: 'constraints', type: 'MinMaxNorm', params: ['min_value', 'max_value', 'rate', 'axis'] },
  l1: { kind: 'regularizers', type: '', params: ['l1'], defaults: { l1: 0.01 } },
  L1: { kind: 'regularizers', type: '', params: ['l1'], defaults: { l1: 0.01 } },
  l2: { kind: 'regularizers', type: '', params: ['l2'], defaults: { l2: 0.01 } },
  L2: { kind: 'regularizers', type: '', params: ['l2'], defaults: { l2: 0.01 } },
  l1_l2: { kind: 'regularizers', type: '', params: ['l1', 'l2'], defaults: { l1: 0.01, l2: 0.01 } },
  L1L2: { kind: 'regularizers', type: '', params: ['l1', 'l2'], defaults: { l1: 0, l2: 0 } },
};

/** `keras.regularizers.l2(0.001)` → `{ l2: 0.001 }`; `keras.initializers.RandomNormal(stddev=0.05)` → `{ type, stddev }`. */
function configObject(name: string, call: Node, ctx: ReadContext, depth: number): ReadResult | undefined {
  const m = /^keras\.(initializers|constraints|regularizers)\.(\w+)$/.exec(name);
  const spec = m ? OBJECTS[m[2]] : undefined;
  if (!m || !spec || spec.kind !== m[1]) return undefined;
  const args = callArgs(call);
  if (args.splats.length > 0)
    return { ok: false, node: args.splats[0], reason: 'unpacked arguments are only known when the script runs' };
  const value: Record<string, unknown> = spec.type ? { type: spec.type } : { ...spec.defaults };
  const ranges: [DefPath, Range][] = [[[], rangeOf(call)]];
  const pairs: [string, Node][] = [];
  args.positional.forEach((v, i) => {
    if (i < spec.params.length) pairs.push([spec.params[i], v]);
  });
  for (const kw of args.keywords) pairs.push([kw.name, kw.value]);
  for (const [key, node] of pairs) {
    const v = readValue(node, ctx, depth + 1);
    if (!v.ok) return v;
    if (!spec.params.includes(key))
      return { ok: false, node, reason: `'${m[2]}' takes no argument '${key}' that Model Lab knows` };
    value[key] = v.value;
    for (const [p, r] of v.ranges) ranges.push([[key, ...p], r]);
  }
  return { ok: true, value, ranges };
}

/** Functions Keras also accepts by name: `tf.nn.relu`, `keras.activations.softmax`, `keras.losses.mse`. */
function namedValue(node: Node, ctx: ReadContext): string | undefined {
  const name = resolveName(node, ctx);
  const m =
    name &&
    (/^(?:tensorflow\.nn|tensorflow\.math|keras\.(?:activations|losses|metrics|initializers))\.([a-z_0-9]+)$/.exec(
      name,
    ) ??
      DTYPE.exec(name));
  return m ? m[1] : undefined;
}

/** `tf.uint8`, `np.float32`, `tf.dtypes.int32`: a dtype is its name, as Keras takes either. */
const DTYPE = /^(?:tensorflow(?:\.dtypes)?|numpy)\.((?:b?float|u?int)(?:8|16|32|64)|bool|string|complex(?:64|128))$/;

/** Argument-less Keras objects that mean the same as their name: `keras.initializers.HeNormal()` → 'he_normal'. */
function namedObject(name: string | undefined): string | undefined {
  const m = name && /^keras\.(?:losses|metrics|initializers)\.([A-Z]\w*)$/.exec(name);
  return m ? snakeCase(m[1]) : undefined;
}

/** `SparseCategoricalCrossentropy` → `sparse_categorical_crossentropy`, as Keras names its functions. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** Python builtins of one argument read on values known before the script runs (undefined: not such a value). */
const BUILTINS: Readonly<Record<string, (v: unknown) => unknown>> = {
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? [...v].length : undefined),
  int: (v) =>
    typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : typeof v === 'boolean' ? Number(v) : undefined,
  float: (v) => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : undefined),
};

/** Python's truth value of a literal. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v) || typeof v === 'string') return v.length > 0;
  return v !== null && v !== false && v !== 0 && v !== undefined;
}

/** The if statements whose conditions are being read (a condition that needs its own statement's branch is unknown). */
const deciding = new Set<Node>();

/**
 * The block an if statement runs when its conditions are known before the script runs (`if num_classes == 2:` in
 * a function called with `num_classes=2`), null when it runs none, undefined when a condition depends on how the
 * script runs.
 */
export function takenBranch(statement: Node, ctx: ReadContext): Node | null | undefined {
  if (deciding.has(statement)) return undefined;
  deciding.add(statement);
  try {
    const clauses: { condition?: Node; body: Node | null }[] = [
      {
        condition: statement.childForFieldName('condition') ?? undefined,
        body: statement.childForFieldName('consequence'),
      },
    ];
    for (const alt of statement.childrenForFieldName('alternative')) {
      if (alt.type === 'elif_clause')
        clauses.push({
          condition: alt.childForFieldName('condition') ?? undefined,
          body: alt.childForFieldName('consequence'),
        });
      else clauses.push({ body: alt.childForFieldName('body') });
    }
    for (const c of clauses) {
      if (c.condition) {
        const v = readValue(c.condition, ctx);
        if (!v.ok) return undefined;
        if (!truthy(v.value)) continue;
      }
      return c.body;
    }
    return null;
  } finally {
    deciding.delete(statement);
  }
}

const same = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b)
    ? a.length === b.length && a.every((x, i) => same(x, b[i]))
    : a === b ||
      (typeof a === 'boolean' && typeof b === 'number' && Number(a) === b) ||
      (typeof b === 'boolean' && typeof a === 'number' && Number(b) === a);

function compare(op: string, a: unknown, b: unknown): boolean | undefined {
  switch (op) {
    case '==':
      return same(a, b);
    case '!=':
      return !same(a, b);
    case 'is':
      return a === null || b === null || typeof a === 'boolean' || typeof b === 'boolean' ? a === b : undefined;
    case 'is not':
      return a === null || b === null || typeof a === 'boolean' || typeof b === 'boolean' ? a !== b : undefined;
    case 'in':
    case 'not in': {
      const found = Array.isArray(b)
        ? b.some((x) => same(a, x))
        : typeof b === 'string' && typeof a === 'string'
          ? b.includes(a)
          : undefined;
      return found === undefined ? undefined : op === 'in' ? found : !found;
    }
  }
  const ordered = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!ordered) return undefined;
  const [x, y] = [a as number, b as number];
  if (op === '<') return x < y;
  if (op === '<=') return x <= y;
  if (op === '>') return x > y;
  if (op === '>=') return x >= y;
  return undefined;
}

/**
 * Most items a list made by `+` or `*` may hold here, nested lists' items counted: a bound on the memory and time a
 * line of the script can ask for (`[[0] * 100000] * 100000` is ten billion values to whatever reads it).
 */
const MAX_ITEMS = 100_000;

/** The items of a list, each nested list's counted too (a list shared by several places counts at each); past MAX_ITEMS, stops. */
function itemCount(list: readonly unknown[]): number {
  let n = 0;
  for (const x of list) {
    n += Array.isArray(x) ? 1 + itemCount(x) : 1;
    if (n > MAX_ITEMS) break;
  }
  return n;
}

/** `items * times` for a list or tuple and an int (Python: an empty list for times ≤ 0); a reason past the bound. */
function repetition(items: unknown, times: unknown): unknown[] | string | undefined {
  if (!Array.isArray(items) || typeof times !== 'number' || !Number.isInteger(times)) return undefined;
  if (times <= 0 || items.length === 0) return [];
  if (itemCount(items) * times > MAX_ITEMS) {
    return `a list repeated to more than ${MAX_ITEMS.toLocaleString('en-US')} items is not evaluated by Model Lab`;
  }
  const out: unknown[] = [];
  for (let i = 0; i < times; i++) out.push(...items);
  return out;
}

function arithmetic(op: string, a: unknown, b: unknown): number | undefined {
  if (typeof a !== 'number' || typeof b !== 'number') return undefined;
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : a / b;
    case '//':
      return b === 0 ? undefined : Math.floor(a / b);
    case '%':
      return b === 0 ? undefined : a - b * Math.floor(a / b);
    case '**':
      return a ** b;
    default:
      return undefined;
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/** Python's common escapes; a backslash before a line break continues the line. */
function unescapeOne(whole: string, c: string): string {
  if (c === '\n' || c === '\r\n') return '';
  return ESCAPES[c] ?? whole;
}

/** The text of a plain (or raw) string literal; f-strings and bytes depend on more than the source. */
function readString(node: Node): string | { reason: string } {
  if (node.type === 'concatenated_string') {
    let out = '';
    for (const part of node.namedChildren) {
      if (!part) continue;
      const s = readString(part);
      if (typeof s !== 'string') return s;
      out += s;
    }
    return out;
  }
  const start = node.namedChildren.find((c) => c?.type === 'string_start')?.text ?? '';
  const prefix = start.replace(/['"]/g, '').toLowerCase();
  if (prefix.includes('f')) return { reason: 'an f-string is only known when the script runs' };
  if (prefix.includes('b')) return { reason: 'a bytes literal is not a model argument' };
  const raw = prefix.includes('r');
  const unescape = (t: string) => (raw ? t : t.replace(/\\(\r?\n|.)/g, unescapeOne));
  const children = node.namedChildren;
  const first = children[0];
  const last = children[children.length - 1];
  if (
    children.length === 2 &&
    first.type === 'string_start' &&
    last.type === 'string_end' &&
    first.endIndex < last.startIndex
  ) {
    // A string LONG_LITERAL or longer whose content tree-sitter.ts left out of the parse: the script has it.
    return unescape(node.text.slice(first.endIndex - node.startIndex, last.startIndex - node.startIndex));
  }
  let out = '';
  for (const c of children) {
    if (!c) continue;
    if (c.type === 'string_content') out += unescape(c.text);
    else if (c.type === 'interpolation') return { reason: 'an f-string is only known when the script runs' };
  }
  return out;
}
