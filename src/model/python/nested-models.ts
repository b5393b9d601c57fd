/**
 * Models inside models, read from a script: a `keras.applications` constructor (`VGG16(weights='imagenet',
 * include_top=False, input_shape=(150, 150, 3))`) is a model of the file built from `applications.ts`; a model
 * (Sequential, functional or an application, written inline or bound to a name) used where a layer goes
 * (`model.add(conv_base)`, `keras.Sequential([generator, discriminator])`, `x = base(inputs)`) becomes a
 * `Sequential` / `Functional` layer holding the inner model's layers (the same layer objects: Keras's summary names
 * them once), and `.trainable = False` on a model or on its layers (`base.trainable = False`,
 * `base.layers[0].trainable = False`, `for layer in base.layers[:k]: layer.trainable = False`) counts as Keras
 * counts it for a model compiled after it.
 */
import { applicationArgs, applicationOf, buildApplication, type ApplicationArgs } from '../applications';
import { isGraph } from '../graph';
import { before } from '../text-lines';
import type { LayerSpec, ModelDefinition, ParsedModel, Position, Range } from '../types';
import { BUILDS_ON_DATA, Collector } from './collector';
import type { DataFlow } from './dataset';
import { MODEL_NAMES, readModelTraining } from './functional';
import type { MethodCalls } from './models';
import type { Node } from './py-node';
import type { Seeds } from './seeds';
import { callArgs, rangeOf, shortText, unwrap } from './syntax';
import { callsNamed, readValue, resolveName, type ReadContext } from './values';
import type { ReadLayer } from './layers';
import { sliceBounds, sliceIndices } from './array-shapes';

/** Every `keras.applications` constructor call in source order. */
export function applicationCalls(ctx: ReadContext): Node[] {
  return callsNamed(ctx, (name) => !!applicationOf(name));
}

/** `VGG16(…)`: the application's model, with the compile and fit of the variable it is assigned to. */
export function readApplication(
  call: Node,
  ctx: ReadContext,
  data: DataFlow,
  seeds: Seeds,
  methodCalls: MethodCalls,
): ParsedModel {
  const out = new Collector();
  const fn = call.childForFieldName('function')!;
  const type = applicationOf(resolveName(fn, ctx) ?? '')!;
  const names = applicationArgs(type);
  const args = callArgs(call);
  const given: Record<string, { value: unknown; node: Node }> = {};
  let problem: { node: Node; reason: string } | undefined;
  if (args.splats.length > 0)
    problem = { node: args.splats[0], reason: 'unpacked arguments are only known when the script runs' };
  if (args.positional.length > names.length)
    problem ??= {
      node: args.positional[names.length],
      reason: `${type} takes at most ${names.length} positional arguments`,
    };
  const pairs: [string, Node][] = [
    ...args.positional.slice(0, names.length).map((n, i): [string, Node] => [names[i], n]),
    ...args.keywords.map((k): [string, Node] => [k.name, k.value]),
  ];
  for (const [name, node] of pairs) {
    if (problem) break;
    if (!names.includes(name)) {
      problem = { node, reason: `${type}() takes no argument '${name}'` };
      break;
    }
    const v = readValue(node, ctx);
    if (name === 'input_tensor' && (!v.ok || v.value !== null))
      problem = { node, reason: 'Model Lab does not follow an input_tensor; give input_shape instead' };
    else if (!v.ok) problem = { node: v.node, reason: v.reason };
    else given[name] = { value: typeof v.value === 'number' && name === 'input_shape' ? [v.value] : v.value, node };
  }
  const parsed = (def: ModelDefinition | undefined): ParsedModel => {
    const range: Range = rangeOf(call);
    out.value([], range);
    out.value(['layers'], range);
    // Hovering the constructor's name shows the model's summary, as hovering `layers` does in a JSON model.
    out.key(['layers'], rangeOf(fn));
    return out.toParsed(def, range);
  };
  if (problem) {
    out.report(
      problem.node,
      'information',
      'python-unreadable',
      `Model Lab cannot read this ${type} statically: ${problem.reason}.`,
      ['layers', 0],
    );
    const p = parsed(undefined);
    p.incomplete = problem.reason;
    return p;
  }
  const built = buildApplication(
    type,
    Object.fromEntries(Object.entries(given).map(([k, v]) => [k, v.value])) as ApplicationArgs,
  );
  if ('error' in built) {
    // What Keras refuses is an error; a size Keras accepts but only knows when it runs is information.
    const unknown = 'unknownSize' in built;
    out.report(
      given[built.arg ?? '']?.node ?? call,
      unknown ? 'information' : 'error',
      unknown ? 'python-unreadable' : 'application',
      `${type}: ${built.error}.`,
    );
    const p = parsed(undefined);
    p.incomplete = built.error;
    return p;
  }
  const def = built.definition;
  // Every layer is the constructor's: its range is the call's.
  def.layers.forEach((_, i) => out.value(['layers', i], rangeOf(call)));
  if (given.name) out.value(['name'], rangeOf(given.name.node));
  const { last, print } = readModelTraining(call, def, out, ctx, data, seeds, methodCalls);
  const p = parsed(def);
  p.range = { start: p.range.start, end: rangeOf(last).end };
  p.ranges.values.set('', p.range);
  if (Object.keys(print).length > 0) p.summaryPrint = print;
  if (built.pretrained) {
    const at = given.weights?.node ?? fn;
    const reason = `Model Lab does not load ${type}'s pretrained ImageNet weights (Keras .h5 files it cannot download or read), so it cannot train this model as the script does; give weights=None to train it from scratch`;
    out.report(at, 'information', 'pretrained-weights', `${reason}. Its shapes and parameter counts are exact.`);
    p.untrainable = { reason, range: rangeOf(at) };
  }
  return p;
}

/**
 * The models of a script used as layers: each model call is read once (whether it is reached first as a model of
 * the file or as another model's layer), and a model used as a layer is one `Sequential` / `Functional` layer whose
 * `layers` are the inner model's own layer objects.
 */
export class NestedModels {
  private readonly byCall = new Map<number, ParsedModel>();
  private readonly reading = new Set<number>();
  /** The nested layer → the inner model's definition (its name is given once the session's names are). */
  private readonly sources = new WeakMap<LayerSpec, ModelDefinition>();
  /** The inner model's definition → the variable-free facts of its use: where it was used, for the trainable rule. */
  private readonly events: TrainableEvent[] = [];

  constructor(private readonly readModel: (call: Node) => ParsedModel | undefined) {}

  /** The model a model call makes, read once. */
  model(call: Node, read: () => ParsedModel): ParsedModel {
    const known = this.byCall.get(call.id);
    if (known) return known;
    this.reading.add(call.id);
    try {
      const parsed = read();
      this.byCall.set(call.id, parsed);
      return parsed;
    } finally {
      this.reading.delete(call.id);
    }
  }

  /** The layer a model call makes where a layer goes (`at` is the expression as written), or why it cannot. */
  asLayer(call: Node, at: Node): ReadLayer | { ok: false; node: Node; reason: string } {
    if (this.reading.has(call.id)) return { ok: false, node: at, reason: 'a model cannot contain itself' };
    const inner = this.byCall.get(call.id) ?? this.readModel(call);
    // A model without an input shape is built on what it is called on: the outer model's shapes, as in Keras.
    if (!inner?.definition || (inner.incomplete && inner.incomplete !== BUILDS_ON_DATA))
      return {
        ok: false,
        node: at,
        reason: `the model '${shortText(at)}' is not read whole${inner?.incomplete ? ` (${inner.incomplete})` : ''}`,
      };
    const def = inner.definition;
    const spec: LayerSpec = { type: isGraph(def) ? 'Functional' : 'Sequential', layers: def.layers };
    if (isGraph(def) && def.outputs !== undefined) spec.outputs = def.outputs;
    if (def.name !== undefined) spec.name = def.name;
    this.sources.set(spec, def);
    return { kind: 'layer', spec, node: at, values: [[[], rangeOf(at)]], keys: [] };
  }

  /**
   * A model holding a model Model Lab cannot train as the script does (pretrained weights it does not load) cannot
   * train either: it says why, at the inner model's reason.
   */
  propagateUntrainable(models: readonly ParsedModel[]): void {
    const byDef = new Map<ModelDefinition, ParsedModel>();
    for (const m of this.byCall.values()) if (m.definition) byDef.set(m.definition, m);
    const find = (d: ModelDefinition, depth: number): ParsedModel['untrainable'] => {
      for (const layer of d.layers) {
        const src = this.sources.get(layer);
        const inner = src && (byDef.get(src)?.untrainable ?? (depth < 20 ? find(src, depth + 1) : undefined));
        if (inner) return inner;
      }
      return undefined;
    };
    for (const m of models)
      if (m.definition && !m.untrainable) {
        const inner = find(m.definition, 0);
        if (inner) m.untrainable = inner;
      }
  }

  /** `copy` stands for the same inner model as `spec` (a reader copied the layer). */
  alias(copy: LayerSpec, spec: LayerSpec): void {
    const src = this.sources.get(spec);
    if (src) this.sources.set(copy, src);
  }

  /** The inner model's definition a nested layer stands for. */
  sourceOf(spec: LayerSpec): ModelDefinition | undefined {
    return this.sources.get(spec);
  }

  /** The model a name holds at `at` (`conv_base` → the VGG16 call's model), if it is one read here. */
  private modelAt(name: Node, ctx: ReadContext): ModelDefinition | undefined {
    const c = ctx.bindings.constant(name.text, name);
    if (!('value' in c)) return undefined;
    const v = unwrap(c.value);
    return v.type === 'call' ? this.byCall.get(v.id)?.definition : undefined;
  }

  /**
   * The script's `.trainable = True/False` statements on models read here and on their layers, in source order;
   * an unreadable one (a loop with conditions, a value known only when the script runs) is a positioned
   * information diagnostic of the model it changes.
   */
  readTrainable(ctx: ReadContext): void {
    const assignments = ctx.index.ofType('assignment');
    for (let i = 0; i < assignments.length; i++) {
      const a = assignments[i];
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      if (left?.type !== 'attribute' || left.childForFieldName('attribute')?.text !== 'trainable' || !right) continue;
      const object = unwrap(left.childForFieldName('object')!);
      const value = readValue(right, ctx);
      const at = rangeOf(a).start;
      const loop = enclosingLoop(a);
      if (loop) {
        this.loopEvents(loop, a, object, value.ok ? value.value : undefined, ctx);
        continue;
      }
      const target = this.targetOf(object, ctx);
      if (!target) continue;
      if (!value.ok || typeof value.value !== 'boolean') {
        this.unfollowed.push({
          def: target.def,
          node: a,
          reason: `'${shortText(right)}' is only known when the script runs`,
        });
        continue;
      }
      this.events.push({ at, target: target.layer ?? target.def, value: value.value });
    }
  }

  /** Statements changing `trainable` that Model Lab could not follow, by the model they concern. */
  readonly unfollowed: { def: ModelDefinition; node: Node; reason: string }[] = [];

  /** `base`, `base.layers[2]`, `base.layers[-1]`: the model, or one of its layers. */
  private targetOf(object: Node, ctx: ReadContext): { def: ModelDefinition; layer?: LayerSpec } | undefined {
    if (object.type === 'identifier') {
      const def = this.modelAt(object, ctx);
      return def ? { def } : undefined;
    }
    if (object.type !== 'subscript') return undefined;
    const list = unwrap(object.childForFieldName('value')!);
    const base =
      list.type === 'attribute' && list.childForFieldName('attribute')?.text === 'layers'
        ? unwrap(list.childForFieldName('object')!)
        : undefined;
    const def = base?.type === 'identifier' ? this.modelAt(base, ctx) : undefined;
    const subs = object.childrenForFieldName('subscript');
    if (!def || subs.length !== 1) return undefined;
    const k = readValue(subs[0], ctx);
    if (!k.ok || typeof k.value !== 'number' || !Number.isInteger(k.value)) return undefined;
    const layer = def.layers.at(k.value);
    return layer ? { def, layer } : undefined;
  }

  /** `for layer in base.layers[:k]: layer.trainable = False`, a body doing nothing else; else unfollowed. */
  private loopEvents(loop: Node, a: Node, object: Node, value: unknown, ctx: ReadContext): void {
    const variable = loop.childForFieldName('left');
    const iterable = loop.childForFieldName('right');
    const body = loop.childForFieldName('body');
    let list = iterable ? unwrap(iterable) : undefined;
    let slice: Node | undefined;
    if (list?.type === 'subscript') {
      const subs = list.childrenForFieldName('subscript');
      slice = subs.length === 1 && subs[0].type === 'slice' ? subs[0] : undefined;
      list = slice ? unwrap(list.childForFieldName('value')!) : undefined;
    }
    const base =
      list?.type === 'attribute' && list.childForFieldName('attribute')?.text === 'layers'
        ? unwrap(list.childForFieldName('object')!)
        : undefined;
    const def = base?.type === 'identifier' ? this.modelAt(base, ctx) : undefined;
    if (!def) return;
    const statements = body?.namedChildren.filter((s) => s.type !== 'comment') ?? [];
    const simple =
      variable?.type === 'identifier' &&
      object.type === 'identifier' &&
      object.text === variable.text &&
      statements.length === 1 &&
      statements[0].id === a.parent?.id &&
      typeof value === 'boolean';
    const bounds = slice ? sliceBounds(slice, ctx) : undefined;
    if (!simple || (slice && !bounds)) {
      this.unfollowed.push({
        def,
        node: loop,
        reason: 'this loop changes which layers train in a way only known when the script runs',
      });
      return;
    }
    const at = rangeOf(loop).start;
    const indices = bounds ? sliceIndices(def.layers.length, bounds) : def.layers.map((_, i) => i);
    for (const i of indices) this.events.push({ at, target: def.layers[i], value: value as boolean });
  }

  /**
   * Each model's layers with `trainable` as the script leaves it where Keras fixes what trains: at the model's
   * compile (else at the end of the script). A model's `trainable` reaches all its layers when it is set (as in
   * TensorFlow 2); a layer trains when it and every model around it are trainable. The definitions get fresh layer
   * objects (a model and the models it is used in may see different moments).
   */
  applyTrainable(models: readonly ParsedModel[]): void {
    if (this.events.length === 0 && this.unfollowed.length === 0) return;
    // Every model's layers are worked out from the layer objects as read, then replaced.
    const updates: [ModelDefinition, LayerSpec[]][] = [];
    for (const model of models) {
      const def = model.definition;
      if (!def) continue;
      const point = model.ranges.values.get('compile')?.start;
      const state = new Map<object, boolean>();
      const inside = (d: ModelDefinition, f: (layer: LayerSpec) => void, depth = 0) => {
        for (const layer of d.layers) {
          f(layer);
          const src = this.sources.get(layer);
          if (src && depth < 20) inside(src, f, depth + 1);
        }
      };
      const involved = new Set<object>([def]);
      inside(def, (l) => {
        involved.add(l);
        const src = this.sources.get(l);
        if (src) involved.add(src);
      });
      for (const e of this.events) {
        if (point && !before(e.at, point)) continue;
        if (!involved.has(e.target)) continue;
        state.set(e.target, e.value);
        if (!('type' in e.target)) inside(e.target as ModelDefinition, (l) => state.set(l, e.value));
      }
      for (const u of this.unfollowed) {
        if (!involved.has(u.def)) continue;
        if (point && !before(rangeOf(u.node).start, point)) continue;
        model.diagnostics.push({
          range: rangeOf(u.node),
          severity: 'information',
          code: 'python-trainable',
          message: `Model Lab cannot follow this change of which layers train: ${u.reason}; the trainable counts leave it out.`,
        });
      }
      if (state.size === 0) continue;
      const resolve = (layers: LayerSpec[], depth: number): LayerSpec[] =>
        layers.map((layer) => {
          const src = this.sources.get(layer);
          const own = state.get(layer) ?? layer.trainable !== false;
          const trainable = own && (src ? (state.get(src) ?? true) : true);
          const copy: LayerSpec = { ...layer };
          if (trainable) delete copy.trainable;
          else copy.trainable = false;
          if (src && depth < 20) {
            copy.layers = resolve(src.layers, depth + 1);
            this.sources.set(copy, src);
          }
          return copy;
        });
      const own = state.get(def);
      updates.push([def, resolve(def.layers, 0).map((l) => (own === false ? { ...l, trainable: false } : l))]);
    }
    for (const [def, layers] of updates) def.layers = layers;
  }
}

interface TrainableEvent {
  at: Position;
  /** A layer spec, or a model's definition. */
  target: LayerSpec | ModelDefinition;
  value: boolean;
}

/** The for loop whose body holds `node`, if any (not past a function). */
function enclosingLoop(node: Node): Node | undefined {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === 'for_statement' || n.type === 'while_statement') return n;
    if (n.type === 'function_definition' || n.type === 'class_definition') return undefined;
  }
  return undefined;
}

/** Whether a canonical name makes a model: keras.Sequential, keras.Model or a keras.applications constructor. */
export function isModelCall(name: string): boolean {
  return name === 'keras.Sequential' || MODEL_NAMES.has(name) || !!applicationOf(name);
}
