/**
 * One element of a Sequential model (`keras.layers.Dense(100, activation='relu')`, `keras.Input(shape=(28, 28))`,
 * or a name bound to one) read into a layer spec, with positional arguments named from the layer registry.
 */
import type { Node } from './py-node';
import { LEAKY_RELU_SLOPE } from '../activations';
import { BUILT_APPLICATIONS } from '../applications';
import { layerDef } from '../layers/registry';
import { ARG_ALIASES, CLASS_ALIASES, LOWERCASED_ARGS } from './keras-names';
import { isModelCall } from './nested-models';
import { SharedLayer, shareLayer } from './layer-lists';
import type { DefPath, LayerSpec, Range } from '../types';
import { callArgs, rangeOf, shortText, unwrap, type CallArgs, type KeywordArg } from './syntax';
import { LayerArgument } from './function-params';
import {
  paramValue,
  readValue,
  resolveName,
  truthy,
  type ReadContext,
  type ReadResult,
  type Unreadable,
} from './values';

/** Paths are relative to the layer (`['units']`); the caller prefixes `layers[i]`. */
export interface ReadLayer {
  kind: 'layer';
  spec: LayerSpec;
  /** The layer expression as written (the call), for `layers[i]`. */
  node: Node;
  values: [DefPath, Range][];
  keys: [DefPath, Range][];
}

/** `keras.Input(shape=…)` / `InputLayer(…)`: not a layer in the definition but the next layer's `input_shape`. */
export interface ReadInput {
  kind: 'input';
  shape: unknown;
  values: [DefPath, Range][];
  keys: [DefPath, Range][];
}

export type LayerResult = ReadLayer | ReadInput | Unreadable;

/**
 * Arguments whose None the definition keeps as null (the schema accepts it), rather than reading as the default:
 * these, and every `*_regularizer` and `*_constraint` (None is "no penalty", "no constraint").
 */
const NONE_IS_A_VALUE = new Set(['strides', 'noise_shape', 'seed', 'output_padding', 'axis']); // Normalization(axis=None)
const noneIsAValue = (arg: string) => NONE_IS_A_VALUE.has(arg) || /_(regularizer|constraint)$/.test(arg);

export function readLayer(node: Node, ctx: ReadContext, depth = 0): LayerResult {
  const n = unwrap(node);
  const fail = (reason: string, at: Node = n): Unreadable => ({ ok: false, node: at, reason });
  const local = n.type === 'identifier' ? ctx.locals?.get(n.text) : undefined;
  if (local instanceof SharedLayer) return sharedLayerResult(local, n);
  const param = n.type === 'identifier' ? paramValue(n, ctx)?.value : undefined;
  if (param instanceof LayerArgument && depth < 10) {
    // `def model_fn(a_layer=None): … model.add(a_layer)` called as `model_fn(keras.layers.Dropout(0.3))`: the layer
    // is where the call writes it (a later call's model keeps no range inside the function, call-models.ts).
    return readLayer(param.node, param.ctx, depth + 1);
  }
  if (n.type === 'identifier' && depth < 10) {
    // A layer built earlier and bound to a name: `hidden = Dense(100)` … `[hidden, …]`.
    const c = ctx.bindings.constant(n.text, n);
    if ('reason' in c) return fail(c.reason);
    const inner = readLayer(c.value, ctx, depth + 1);
    if ('kind' in inner && inner.kind === 'layer')
      return { ...inner, node: n, values: [[[], rangeOf(n)], ...inner.values.filter(([p]) => p.length > 0)] };
    return inner;
  }
  if (n.type === 'conditional_expression' && depth < 10) {
    // `Dense(64) if WIDE else Dense(16)` with a condition known before the script runs.
    const [yes, cond, no] = n.namedChildren.filter((c) => c.type !== 'comment');
    const c = cond ? readValue(cond, ctx) : undefined;
    if (!c?.ok) return fail(`the condition '${shortText(cond ?? n)}' is only known when the script runs`, cond ?? n);
    return readLayer(truthy(c.value) ? yes : no, ctx, depth + 1);
  }
  if (n.type !== 'call') return fail(`this ${n.type.replace(/_/g, ' ')} only becomes a layer when the script runs`);
  const called = n.childForFieldName('function');
  const own = callArgs(n);
  const partial = called ? partialOf(called, own, ctx) : undefined;
  const fn = partial?.fn ?? called;
  const name = fn ? resolveName(fn, ctx) : undefined;
  if (!fn || !name) return fail(notAKerasLayer(fn ?? n, ctx));

  const args = partial?.args ?? own;
  if (args.splats.length > 0) return fail('unpacked arguments are only known when the script runs', args.splats[0]);

  if (name === 'keras.Input' || name === 'keras.layers.InputLayer') return readInput(n, name, args, ctx);
  if (ctx.nested && isModelCall(name)) return ctx.nested.asLayer(n, n);

  const m = /^keras\.layers\.(\w+)$/.exec(name);
  if (!m && /^keras\.applications\.(?:\w+\.)?[A-Z]\w*$/.test(name))
    return fail(`'${shortText(fn)}' is a Keras application Model Lab does not build (it builds ${BUILT_APPLICATIONS})`);
  if (!m) return fail(notAKerasLayer(fn, ctx));
  const type = CLASS_ALIASES[m[1]] ?? m[1];
  const def = layerDef(type);
  if (!def) return fail(`Model Lab does not support the Keras layer '${m[1]}' yet`);
  if (args.positional.length > def.positionalArgs.length) {
    return fail(
      `${type} takes at most ${def.positionalArgs.length} positional arguments here`,
      args.positional[def.positionalArgs.length],
    );
  }

  const spec: LayerSpec = { type };
  const values: [DefPath, Range][] = [[[], rangeOf(n)]];
  const keys: [DefPath, Range][] = [];
  const put = (written: string, valueNode: Node, keyNode?: Node): Unreadable | undefined => {
    const arg = ARG_ALIASES[type]?.[written] ?? written;
    if (arg === def.wraps) {
      // Bidirectional(LSTM(64)): the wrapped layer is a layer call of its own.
      const inner = readLayer(valueNode, ctx, depth + 1);
      if (!('kind' in inner)) return inner;
      if (inner.kind !== 'layer') return { ok: false, node: valueNode, reason: `${type} wraps a layer, not an input` };
      spec[arg] = inner.spec;
      for (const [p, r] of inner.values) values.push([[arg, ...p], r]);
      for (const [p, r] of inner.keys) keys.push([[arg, ...p], r]);
      if (keyNode) keys.push([[arg], rangeOf(keyNode)]);
      return undefined;
    }
    const v =
      arg === 'activation'
        ? readActivation(valueNode, ctx, depth, (made) => activationLayers.set(spec, made))
        : readValue(valueNode, ctx);
    if (!v.ok) return v;
    // A call given for a function parameter (`build_model(shape, len(class_names))`) is a layer where one is used,
    // and no value of an argument.
    if (v.value instanceof LayerArgument)
      return fail(
        `'${shortText(valueNode)}' is given '${shortText(v.value.node)}', only computed when the script runs`,
        valueNode,
      );
    if (arg === 'input_shape' && Array.isArray(v.value) && v.value.length === 0) return scalarInput(valueNode);
    // Keras reads activation=None as no activation, which the definition spells 'linear'; other arguments given
    // None take Keras's default (data_format=None is channels_last), unless None is a value of their own.
    if (arg === 'activation' && v.value === null) spec[arg] = 'linear';
    else if (typeof v.value === 'string' && LOWERCASED_ARGS.has(arg)) spec[arg] = v.value.toLowerCase();
    else if (v.value !== null || noneIsAValue(arg)) spec[arg] = v.value;
    for (const [p, r] of v.ranges) values.push([[arg, ...p], r]);
    if (keyNode) keys.push([[arg], rangeOf(keyNode)]);
    return undefined;
  };
  for (let i = 0; i < args.positional.length; i++) {
    const problem = put(def.positionalArgs[i], args.positional[i]);
    if (problem) return problem;
  }
  for (const kw of args.keywords) {
    const problem = put(kw.name, kw.value, kw.nameNode);
    if (problem) return problem;
  }
  return { kind: 'layer', spec, node: n, values, keys };
}

/** Why a call is no layer Model Lab reads: a class or function the file defines says so, else it is not Keras's. */
function notAKerasLayer(fn: Node, ctx: ReadContext): string {
  const b = fn.type === 'identifier' ? ctx.bindings.resolve(fn.text, fn) : undefined;
  const target = b && !('reason' in b) ? b.target : undefined;
  const def = target?.parent;
  const defines = def && def.childForFieldName('name')?.id === target?.id;
  if (defines && def.type === 'class_definition')
    return `'${fn.text}' is a layer class this file defines; Model Lab reads Keras's own layers, not a custom layer's code`;
  if (defines && def.type === 'function_definition')
    return `'${fn.text}(…)' calls a function of this file; what it returns is only known when the script runs`;
  return `'${shortText(fn)}' is not a Keras layer class Model Lab knows`;
}

/**
 * The layers whose `activation=` is an activation layer constructed in the argument (`Dense(64,
 * activation=LeakyReLU(0.2))`), with that layer's default name: Keras names the object when it is made, so its name
 * counter moves on (a later `LeakyReLU()` layer is `leaky_re_lu_1`). `nameAsKerasSession` counts it.
 */
export const activationLayers = new WeakMap<LayerSpec, string>();

/**
 * An `activation=` argument: a name or function (`'relu'`, `tf.nn.relu`), or an activation layer standing for the
 * same function (`activation=keras.layers.LeakyReLU(0.2)`, as GAN discriminators write it: Keras calls any callable).
 */
function readActivation(n: Node, ctx: ReadContext, depth: number, made: (name: string) => void): ReadResult {
  const value = readValue(n, ctx);
  const type = unwrap(n).type;
  if (value.ok || (type !== 'call' && type !== 'identifier') || depth > 10) return value;
  const layer = readLayer(n, ctx, depth + 1);
  if (!('kind' in layer) || layer.kind !== 'layer') return value;
  const name = activationOfLayer(layer.spec);
  if (typeof name !== 'string') return { ok: false, node: n, reason: name.reason };
  // A layer constructed right here takes a name from Keras's session as any layer does; one bound to a name earlier
  // (`act = LeakyReLU(0.2)`) was counted where it was made, which the session names do not follow.
  const d = layerDef(String(layer.spec.type));
  if (type === 'call' && d && layer.spec.name === undefined) made(d.defaultName);
  return { ok: true, value: name, ranges: [[[], rangeOf(n)]] };
}

/** The activation name an activation layer computes, or why it is none Model Lab has. */
function activationOfLayer(spec: LayerSpec): string | { reason: string } {
  const keras2 = (arg: string) => spec[arg] ?? layerDef(spec.type)?.args[arg]?.default;
  switch (spec.type) {
    case 'Activation':
      return typeof spec.activation === 'string'
        ? spec.activation
        : { reason: 'this Activation has no named function' };
    case 'LeakyReLU': {
      const slope = Number(keras2('alpha'));
      return slope === LEAKY_RELU_SLOPE
        ? 'leaky_relu'
        : {
            reason: `a LeakyReLU of slope ${slope} as an activation is not one Model Lab has (its 'leaky_relu' is Keras's, slope ${LEAKY_RELU_SLOPE}); add a LeakyReLU layer after this one instead`,
          };
    }
    case 'ReLU':
      return spec.max_value == null && !Number(keras2('negative_slope')) && !Number(keras2('threshold'))
        ? 'relu'
        : {
            reason: 'a ReLU with arguments as an activation is not one Model Lab has; add it as a layer after this one',
          };
    case 'ELU':
      return Number(keras2('alpha')) === 1
        ? 'elu'
        : {
            reason:
              'an ELU with alpha other than 1 as an activation is not one Model Lab has; add it as a layer after this one',
          };
    case 'Softmax':
      return spec.axis === undefined || spec.axis === -1
        ? 'softmax'
        : { reason: 'a Softmax over another axis as an activation is not one Model Lab has; add it as a layer' };
    default:
      return {
        reason: `a ${spec.type} layer as an activation is not one Model Lab reads; add it as a layer after this one`,
      };
  }
}

/**
 * `DefaultConv2D = partial(keras.layers.Conv2D, kernel_size=3, padding="same")` then `DefaultConv2D(filters=64)`:
 * the class the partial wraps, with its arguments first and the call's after them (a keyword given in both is the
 * call's), as functools.partial does. Partials of partials unwrap too.
 */
function partialOf(fn: Node, args: CallArgs, ctx: ReadContext): { fn: Node; args: CallArgs } | undefined {
  let found: { fn: Node; args: CallArgs } | undefined;
  let current = unwrap(fn);
  for (let i = 0; i < 10 && current.type === 'identifier'; i++) {
    const c = ctx.bindings.constant(current.text, current);
    const v = 'value' in c ? unwrap(c.value) : undefined;
    const f = v?.type === 'call' ? v.childForFieldName('function') : undefined;
    if (!v || !f || resolveName(f, ctx) !== 'functools.partial') break;
    const p = callArgs(v);
    const [cls, ...positional] = p.positional;
    if (!cls) break;
    const outer = found?.args ?? args;
    const overridden = new Set(outer.keywords.map((k) => k.name));
    found = {
      fn: cls,
      args: {
        positional: [...positional, ...outer.positional],
        keywords: [...p.keywords.filter((k) => !overridden.has(k.name)), ...outer.keywords],
        splats: [...p.splats, ...outer.splats],
      },
    };
    current = unwrap(cls);
  }
  return found;
}

/** Another model's layer object used at `at` (`for layer in base.layers: model.add(layer)`). */
export function sharedLayerResult(layer: SharedLayer, at: Node): ReadLayer {
  return { kind: 'layer', spec: shareLayer(layer), node: at, values: [[[], rangeOf(at)]], keys: [] };
}

/**
 * `keras.Input(shape=[], dtype=tf.string)` or `input_shape=[]`: one scalar (a string, for a TextVectorization) per
 * example, valid Keras whose shapes Model Lab does not carry yet: the model stops there with this reason.
 */
function scalarInput(at: Node): Unreadable {
  return { ok: false, node: at, reason: 'an input of one scalar per example (shape ()) is not read by Model Lab yet' };
}

function readInput(call: Node, name: string, args: ReturnType<typeof callArgs>, ctx: ReadContext): LayerResult {
  // keras.Input(shape, batch_size, name, …); InputLayer(input_shape, …) in Keras 2, InputLayer(shape, …) in Keras 3.
  let shapeNode: Node | undefined = args.positional[0];
  let keyNode: KeywordArg | undefined;
  for (const kw of args.keywords) {
    if (kw.name === 'shape' || kw.name === 'input_shape') {
      shapeNode = kw.value;
      keyNode = kw;
    }
  }
  if (!shapeNode)
    return { ok: false, node: call, reason: `'${name.replace(/^keras\./, '')}' without a shape gives no input shape` };
  const v = readValue(shapeNode, ctx);
  if (!v.ok) return v;
  // `keras.Input(shape=784)` (or `shape=(784)`, which is the same int) means (784,), as Keras standardises it.
  // A None dimension (`shape=(None, 28)`) stays null: a variable size, as Keras prints it.
  const shape = typeof v.value === 'number' ? [v.value] : v.value;
  if (Array.isArray(shape) && shape.length === 0) return scalarInput(shapeNode);
  return {
    kind: 'input',
    shape,
    values: v.ranges.map(([p, r]) => [['input_shape', ...p], r] as [DefPath, Range]),
    keys: keyNode ? [[['input_shape'], rangeOf(keyNode.nameNode)]] : [],
  };
}
