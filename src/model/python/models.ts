/**
 * Finds each `keras.Sequential(...)` in a script and reads it, with the `model.add` / `model.compile` /
 * `model.fit` statements that follow it in the same block, into a ParsedModel.
 *
 * When a layer cannot be read statically (built in a loop, from a function parameter, an unknown class), the model
 * stops there: the layers before it keep their shapes and hovers, the ones after it are left out (their input
 * shape is unknown), and `incomplete` says why, so nothing trains a model that differs from the script.
 */
import type { Node } from './py-node';
import type {
  DatasetObject,
  DatasetSpec,
  LayerSpec,
  ModelDefinition,
  ParsedModel,
  Range,
  SummaryPrint,
  TrainingOption,
} from '../types';
import { BUILDS_ON_DATA, Collector } from './collector';
import { readCompile, readFit, readOptimizer, type FitResult } from './compile-fit';
import { unusedOptimizer } from './unused-optimizers';
import { isTestData } from './fit-callbacks';
import type { DataFlow, DataSplit, DataValue } from './dataset';
import type { Seeds } from './seeds';
import { datasetExampleShape, isImageDataset } from '../datasets';
import { arrayShape } from './array-shapes';
import { declaredInputShape } from '../layers/common';
import { lacksInputShape } from '../infer';
import { pathKey } from '../paths';
import { readLayer, sharedLayerResult, type LayerResult, type ReadInput } from './layers';
import { callArgs, firstNotBefore, rangeOf, shortText, statementCall, unwrap, walk } from './syntax';
import { callsNamed, readValue, takenBranch, type ReadContext, type Unreadable } from './values';
import { expandComprehension, loopValues, sharedLayers } from './layer-lists';
import type { ScriptIndex } from './script-index';

const UNREADABLE = 'python-unreadable';

/** One `Sequential(...)` call and the statements that build, compile and fit it, as a ParsedModel. */
export function readSequential(
  call: Node,
  ctx: ReadContext,
  data: DataFlow,
  seeds: Seeds,
  methodCalls: MethodCalls,
): ParsedModel {
  const out = new Collector();
  const reader = new LayerList(out, ctx);
  const def: ModelDefinition = { layers: reader.layers };
  let last: Node = call;

  const args = callArgs(call);
  const layersArg = args.keywords.find((k) => k.name === 'layers')?.value ?? args.positional[0];
  const nameKw = args.keywords.find((k) => k.name === 'name');
  const nameArg = nameKw?.value ?? args.positional[1];
  if (nameArg) {
    const v = readValue(nameArg, ctx);
    if (v.ok && typeof v.value === 'string') {
      def.name = v.value;
      out.addRanges(['name'], v.ranges);
      if (nameKw) out.key(['name'], rangeOf(nameKw.nameNode));
    }
  }
  out.value(['layers'], rangeOf(layersArg ?? call));
  if (layersArg) reader.readList(layersArg);

  let compileCall: Node | undefined;
  let build: { call: Node; at: ReadContext } | undefined;
  let fit: FitResult | undefined;
  let evaluatesTest = false;
  const events: TrainingEvent[] = [];
  const print: SummaryPrint = {};
  /** Reads the statements after `target`'s assignment that use it; `inside` ones extend the model's range. */
  const follow = (target: { name: string; statement: Node }, inside: boolean, at: ReadContext = ctx) => {
    const statements = methodCalls.following(target.statement, target.name, true);
    for (let k = 0; k < statements.length; k++) {
      const s = statements[k];
      if (!methodCalls.touches(s, target.name)) {
        const optimizer = unusedOptimizer(s, at);
        if (optimizer) events.push({ kind: 'optimizer', node: optimizer, at: s });
        continue;
      }
      if (reassigns(s, target.name)) break;
      const branch = s.type === 'if_statement' ? knownBranch(s, at) : undefined;
      if (branch) {
        // `if USE_BN: model.add(BatchNormalization())` with a condition known before the script runs: the branch
        // taken is read in place of the if statement.
        statements.splice(k + 1, 0, ...branch.filter((b) => b.type !== 'comment'));
        if (inside) last = s;
        continue;
      }
      const unrolled = s.type === 'for_statement' ? unrollLoop(s, target.name, at) : undefined;
      if (unrolled && !Array.isArray(unrolled)) {
        reader.unreadable(unrolled.node, unrolled.reason);
        if (inside) last = s;
        continue;
      }
      if (unrolled) {
        for (const { call: add, locals } of unrolled) reader.add(add, { ...at, locals });
        if (inside) last = s;
        continue;
      }
      const direct = statementCall(s);
      const method = direct && methodOf(direct, target.name);
      const calls = method ? [{ call: direct, method, nested: undefined }] : nestedMethodCalls(s, target.name);
      for (const c of calls) {
        if (c.method === 'add') {
          if (c.nested)
            reader.unreadable(
              argOf(c.call),
              `it is added inside ${c.nested}, so the layers depend on how the script runs`,
            );
          else reader.add(c.call, at);
        } else if (c.method === 'summary') {
          readSummaryCall(c.call, at, print);
          continue;
        } else if (c.method === 'build') {
          build ??= { call: c.call, at }; // Keras builds once: a later build() of a built model changes nothing
          if (inside) last = c.call;
          continue;
        } else if (c.method === 'evaluate') {
          // `model.evaluate(x_test, y_test)`: the script measures on the test set, so Model Lab does too.
          const x = callArgs(c.call).positional[0] ?? callArgs(c.call).keywords.find((k) => k.name === 'x')?.value;
          if (x && isTestData(x, at)) evaluatesTest = true;
          continue; // the model's range ends at its fit
        } else if (c.method === 'compile') {
          if (!fit) compileCall = c.call; // Keras trains with the last compile before fit
          if (!c.nested) events.push({ kind: 'compile', node: c.call, at: c.call });
        } else {
          if (!fit) fit = readFit(c.call, at, out);
          if (!c.nested) events.push({ kind: 'fit', node: c.call, at: c.call });
        }
        if (inside) last = c.call;
      }
    }
  };
  const target = modelVariable(call);
  let trainCtx = ctx;
  if (target) {
    follow(target, true);
    // `return model` from a function: the caller's `m = build_model(...)` then `m.compile(...)`, `m.fit(...)`.
    const caller = returnedTo(target, ctx);
    if (caller) {
      // In a loop's pass (`for lr in (0.1, 0.01): m = build(); m.compile(…lr…)`), the caller's statements see the
      // loop variable's value.
      trainCtx = caller.locals ? { ...ctx, locals: caller.locals } : ctx;
      follow(caller, false, trainCtx);
    }
  }
  if (build) readBuild(build.call, build.at, def, out);
  applyTraining(def, out, { call, compileCall, fit, evaluatesTest }, trainCtx, data, seeds);
  if (!build && lacksInputShape(def)) buildsOnData(out);
  reader.finish();
  if (target) ctx.models?.register(target.name, call.startIndex, reader.layers, reader.addedAt, reader.cut);
  const trainings = trainingOptions(events, { call, evaluatesTest }, trainCtx, data, seeds);

  const range: Range = { start: rangeOf(call).start, end: rangeOf(last).end };
  out.value([], range);
  return out.toParsed(def, range, { trainings, print });
}

/**
 * `model.summary(show_trainable=True)`: the script prints the "Trainable" column, so Model Lab's summary of the model
 * does too (the first summary call that says so; a value only known when the script runs is not followed).
 */
export function readSummaryCall(call: Node, ctx: ReadContext, print: SummaryPrint): void {
  const arg = callArgs(call).keywords.find((k) => k.name === 'show_trainable')?.value;
  const v = arg && readValue(arg, ctx);
  if (v && v.ok && v.value === true) print.showTrainable = true;
}

/** A compile, fit or never-used optimizer among a model's statements, in program order. */
interface TrainingEvent {
  kind: 'compile' | 'fit' | 'optimizer';
  /** The call: model.compile(…), model.fit(…), or keras.optimizers.X(…). */
  node: Node;
  /** What the option's range covers. */
  at: Node;
}

/**
 * Every way the script sets the model up to train (ParsedModel.trainings): each compile with the first fit after it
 * (before the next compile), else the latest fit before it; each never-used optimizer with the model's compile
 * around it (the latest before, else the first after). Read into their own collector: the model's ranges and
 * diagnostics are its definition's, read once.
 */
function trainingOptions(
  events: TrainingEvent[],
  model: { call: Node; evaluatesTest: boolean },
  ctx: ReadContext,
  data: DataFlow,
  seeds: Seeds,
): TrainingOption[] {
  const options: TrainingOption[] = [];
  events.forEach((e, i) => {
    if (e.kind === 'fit') return;
    const compiles = events.filter((c) => c.kind === 'compile');
    const compileCall =
      e.kind === 'compile'
        ? e.node
        : (compiles.filter((c) => events.indexOf(c) < i).pop() ?? compiles.find((c) => events.indexOf(c) > i))?.node;
    if (!compileCall) return;
    let fitCall: Node | undefined;
    for (let j = i + 1; j < events.length && events[j].kind !== 'compile'; j++)
      if (events[j].kind === 'fit') {
        fitCall = events[j].node;
        break;
      }
    fitCall ??= events
      .slice(0, i)
      .filter((f) => f.kind === 'fit')
      .pop()?.node;
    const scratch = new Collector();
    const def: ModelDefinition = { layers: [] };
    const fit = fitCall ? readFit(fitCall, ctx, scratch) : undefined;
    applyTraining(
      def,
      scratch,
      { call: model.call, compileCall, fit, evaluatesTest: model.evaluatesTest },
      ctx,
      data,
      seeds,
    );
    const compile = def.compile ?? {};
    if (e.kind === 'optimizer') {
      const optimizer = readOptimizer(e.node, ctx, scratch);
      if (optimizer !== undefined) compile.optimizer = optimizer;
    }
    options.push({
      origin: e.kind,
      compile,
      ...(def.fit ? { fit: def.fit } : {}),
      ...(def.dataset !== undefined ? { dataset: def.dataset } : {}),
      range: rangeOf(e.at),
      ...(scratch.incomplete ? { incomplete: scratch.incomplete } : {}),
    });
  });
  return options;
}

/** Reads layers in order, carrying a pending `keras.Input` shape to the next layer, and stops at the first unreadable. */
class LayerList {
  readonly layers: LayerSpec[] = [];
  /** Where each layer was added (its source offset), for another model's `m.layers` at a later point. */
  readonly addedAt: number[] = [];
  /** Where the layers stopped being read: the unreadable layer's source offset and index. */
  cut?: { at: number; index: number };
  private pendingInput?: ReadInput;
  private stopped = false;

  constructor(
    private readonly out: Collector,
    private readonly ctx: ReadContext,
  ) {}

  readList(node: Node, ctx = this.ctx, depth = 0): void {
    let n = unwrap(node);
    for (let i = 0; i < 10 && n.type === 'identifier'; i++) {
      const c = ctx.bindings.constant(n.text, n);
      if ('reason' in c) return this.unreadable(n, c.reason);
      n = unwrap(c.value);
    }
    if (depth > 20) return this.unreadable(n, 'the layer list is built too deeply to follow');
    const shared = sharedLayers(n, ctx);
    if (shared && !Array.isArray(shared)) return this.unreadable(shared.node, shared.reason);
    if (shared) {
      // `Sequential(base.layers[:-1])`: the other model's layer objects, one by one.
      for (const layer of shared) this.accept(n, sharedLayerResult(layer, n));
      return;
    }
    if (n.type === 'binary_operator' && n.childForFieldName('operator')?.text === '+') {
      // `[Flatten(…)] + [Dense(n) for n in SIZES]`
      this.readList(n.childForFieldName('left') ?? n, ctx, depth + 1);
      this.readList(n.childForFieldName('right') ?? n, ctx, depth + 1);
      return;
    }
    if (n.type === 'list_comprehension') {
      const items = expandComprehension(n, ctx);
      if (!Array.isArray(items)) return this.unreadable(items.node, items.reason);
      for (const item of items) this.element(item.node, item.ctx);
      return;
    }
    if (n.type !== 'list' && n.type !== 'tuple') {
      return this.unreadable(n, `the layer list is a ${n.type.replace(/_/g, ' ')}, only known when the script runs`);
    }
    for (const element of n.namedChildren) {
      if (!element || element.type === 'comment') continue;
      if (element.type === 'list_splat') {
        this.readList(element.namedChildren[0] ?? element, ctx, depth + 1);
        continue;
      }
      this.element(element, ctx);
    }
  }

  add(call: Node, ctx = this.ctx): void {
    const arg = argOf(call);
    if (arg === call) return this.unreadable(call, 'model.add() needs the layer as its argument');
    this.element(arg, ctx);
  }

  element(node: Node, ctx = this.ctx): void {
    if (this.stopped) return;
    this.accept(node, readLayer(node, ctx));
  }

  private accept(node: Node, r: LayerResult): void {
    if (this.stopped) return;
    if (!('kind' in r)) return this.unreadable(r.node, r.reason);
    if (r.kind === 'input') {
      this.pendingInput = r;
      return;
    }
    const index = this.layers.length;
    const spec = r.spec;
    this.out.addRanges(['layers', index], r.values, r.keys);
    if (this.pendingInput && declaredInputShape(spec) === undefined) {
      spec.input_shape = this.pendingInput.shape as number[];
      this.out.addRanges(['layers', index], this.pendingInput.values, this.pendingInput.keys);
    }
    this.pendingInput = undefined;
    this.layers.push(spec);
    this.addedAt.push(node.startIndex);
  }

  unreadable(node: Node, reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    const index = this.layers.length;
    this.cut = { at: node.startIndex, index };
    this.out.report(
      node,
      'information',
      UNREADABLE,
      `Model Lab cannot read this layer statically: ${reason}; shapes after it are unknown, so write the layer out with literal values (or module constants) to see them and train here.`,
      ['layers', index],
    );
    this.out.incomplete ??= `layer ${index + 1} cannot be read statically (${reason})`;
  }

  finish(): void {
    // A trailing keras.Input with no layer after it declares nothing Model Lab shows.
    this.pendingInput = undefined;
  }
}

/**
 * Where a model built in a function goes when the function returns it (`return model` in the same block): the
 * variable the call Model Lab reads the function's parameters from (the call that builds this model, see
 * function-params.ts) is assigned to, if it is a plain `m = build_model(...)`.
 */
export function returnedTo(
  target: { name: string; statement: Node },
  ctx: ReadContext,
): { name: string; statement: Node; locals?: ReadonlyMap<string, unknown> } | undefined {
  const block = target.statement.parent;
  const fn = block?.parent;
  if (block?.type !== 'block' || fn?.type !== 'function_definition') return undefined;
  const returned = block.namedChildren.some(
    (s) =>
      s.type === 'return_statement' &&
      s.startIndex > target.statement.startIndex &&
      s.namedChild(0)?.text === target.name,
  );
  const name = fn.childForFieldName('name')?.text;
  if (!returned || !name) return undefined;
  const scope = ctx.params?.find((p) => p.fn.id === fn.id);
  const call =
    scope?.call ?? ctx.bindings.callsOf(name).find((c) => c.childForFieldName('function')?.type === 'identifier');
  const caller = call && modelVariable(call);
  if (!caller || caller.name.includes('.')) return undefined;
  return scope?.callLocals ? { ...caller, locals: scope.callLocals } : caller;
}

function argOf(call: Node): Node {
  const args = callArgs(call);
  return args.keywords.find((k) => k.name === 'layer')?.value ?? args.positional[0] ?? args.splats[0] ?? call;
}

/** The statement `name = keras.Sequential(...)` (or `self.model = …`) the call is assigned in, if any. */
export function modelVariable(call: Node): { name: string; statement: Node } | undefined {
  const assignment = call.parent;
  if (assignment?.type !== 'assignment' || assignment.childForFieldName('right')?.id !== call.id) return undefined;
  const left = assignment.childForFieldName('left');
  const statement = assignment.parent;
  if (!left || !statement || statement.type !== 'expression_statement') return undefined;
  if (left.type !== 'identifier' && left.type !== 'attribute') return undefined;
  return { name: left.text, statement };
}

type Method = 'add' | 'build' | 'compile' | 'fit' | 'evaluate' | 'summary';

export function methodOf(call: Node, target: string): Method | undefined {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute') return undefined;
  if (fn.childForFieldName('object')?.text !== target) return undefined;
  const m = fn.childForFieldName('attribute')?.text;
  return isMethod(m) ? m : undefined;
}

/** The model methods whose calls the reader follows. */
function isMethod(m: string | undefined): m is Method {
  return m === 'add' || m === 'build' || m === 'compile' || m === 'fit' || m === 'evaluate' || m === 'summary';
}

const NESTING: Record<string, string> = {
  for_statement: 'a for loop',
  while_statement: 'a while loop',
  if_statement: 'an if statement',
  function_definition: 'a function',
  list_comprehension: 'a comprehension',
};

/** `model.add/compile/fit` calls somewhere inside a compound statement, with what they sit in. */
function nestedMethodCalls(statement: Node, target: string): { call: Node; method: Method; nested?: string }[] {
  const found: { call: Node; method: Method; nested?: string }[] = [];
  for (const n of statement.subtreeOfTypes(['call'])) {
    const method = methodOf(n, target);
    if (!method) continue;
    let nested: string | undefined;
    for (let p = n.parent; p && p.id !== statement.parent?.id; p = p.parent) {
      if (NESTING[p.type]) nested = NESTING[p.type];
    }
    // compile and fit read the same wherever they sit; only the layers depend on control flow.
    if (method !== 'add' && nested && /function/.test(nested)) continue;
    found.push({ call: n, method, nested });
  }
  return found;
}

export function reassigns(statement: Node, target: string): boolean {
  const expr = statement.type === 'expression_statement' ? statement.namedChild(0) : undefined;
  if (expr?.type !== 'assignment') return false;
  const left = expr.childForFieldName('left');
  return !!left && Array.from(walk(left)).some((n) => n.text === target);
}

/**
 * What a model's `compile`, `fit` and seed calls give its definition (Sequential and functional models alike): the
 * compile arguments, the fit arguments with the script's seed, and the dataset the fit's data comes from.
 */
export function applyTraining(
  def: ModelDefinition,
  out: Collector,
  found: { call: Node; compileCall?: Node; fit?: FitResult; evaluatesTest?: boolean },
  ctx: ReadContext,
  data: DataFlow,
  seeds: Seeds,
): void {
  const { call, compileCall, evaluatesTest } = found;
  let fit = found.fit;
  if (compileCall) def.compile = readCompile(compileCall, ctx, out);
  const seedArg = seeds.before(call);
  const seed = seedArg && readValue(seedArg, ctx);
  if (seed && seed.ok && typeof seed.value === 'number') {
    fit = fit ?? { fit: {} };
    fit.fit.seed = seed.value;
    out.addRanges(['fit', 'seed'], seed.ranges);
  }
  if (fit) {
    if (Object.keys(fit.fit).length > 0) def.fit = fit.fit;
    const { dataset, validationUnread, scaleUnread, unshuffled } = datasetOf(fit, data);
    if (unshuffled && fit.x) {
      out.report(
        fit.x,
        'information',
        'python-ignored',
        'train_test_split(shuffle=False) holds out the last examples; Model Lab holds out a seeded pick of the same size instead.',
      );
    }
    if (scaleUnread && fit.x) {
      out.report(
        fit.x,
        'information',
        'python-ignored',
        'Model Lab cannot follow what is done to these pixel values without running the script (only multiplying or dividing by a number is followed); it trains on the pixels scaled to [0, 1].',
      );
    }
    if (fit.validationData && validationUnread) {
      out.report(
        fit.validationData.keyword ?? fit.validationData.value,
        'information',
        'python-ignored',
        `Model Lab ignores fit's 'validation_data' when it trains this model: ${validationUnread}; it validates on its own seeded split (validation_split).`,
      );
    }
    if (dataset === undefined || typeof dataset === 'string' || dataset.validation_split === undefined) {
      // validation_split belongs to a dataset; without one Model Lab recognises, it has nowhere to go.
      out.values.delete('dataset.validation_split');
      out.keys.delete('dataset.validation_split');
    }
    if (dataset === undefined && fit.x) {
      out.report(
        fit.x,
        'information',
        'python-ignored',
        'Model Lab cannot tell what data this is without running the script (it follows keras.datasets loaders); Train runs this model on its default data set, Fashion-MNIST.',
      );
    }
    if (dataset !== undefined) {
      def.dataset = evaluatesTest
        ? { ...(typeof dataset === 'string' ? { name: dataset } : dataset), evaluate_test: true }
        : dataset;
      const at = rangeOf(fit.x!);
      out.value(['dataset'], at);
      if (typeof dataset === 'object') out.value(['dataset', 'name'], at);
      fittedInputShape(def, fit.x!, ctx, out);
    }
  }
}

/**
 * A Sequential model that nothing gives an input shape (no input_shape, keras.Input, build, or fitted data Model Lab
 * follows) is not wrong in Python: Keras builds it on the data it is first called on. Its shapes are unknown here,
 * so it is marked incomplete (shown, not trained) with an information at its first layer.
 */
function buildsOnData(out: Collector): void {
  const at = out.values.get(pathKey(['layers', 0]));
  if (!at) return;
  const why = BUILDS_ON_DATA;
  out.report(
    at,
    'information',
    'no-input-shape',
    `${why}, which Model Lab does not follow here; give the first layer input_shape=(…), start with keras.Input(shape=(…)) or call model.build((None, …)) to see its shapes and train it here.`,
    ['layers', 0],
  );
  out.incomplete ??= why;
}

/**
 * `model.build(input_shape=(None, 28, 28))` / `model.build((None, 784))`: Keras builds the model for that batch shape,
 * so the first layer takes the shape without its batch axis, unless it declares its own (then it is built already).
 */
function readBuild(call: Node, ctx: ReadContext, def: ModelDefinition, out: Collector): void {
  const args = callArgs(call);
  const arg = args.keywords.find((k) => k.name === 'input_shape')?.value ?? args.positional[0];
  const first = def.layers[0];
  if (!arg || !first || ['InputLayer', 'Sequential', 'Functional'].includes(first.type)) return;
  if (declaredInputShape(first) !== undefined) return;
  const v = readValue(arg, ctx);
  if (!v.ok) {
    out.report(
      v.node,
      'information',
      UNREADABLE,
      `Model Lab cannot read the shape this model is built with: ${v.reason}; write it out, e.g. model.build((None, 28, 28)), to see its shapes and train here.`,
    );
    out.incomplete ??= `the shape model.build() gets cannot be read statically (${v.reason})`;
    return;
  }
  const shape = v.value;
  const dims = Array.isArray(shape) ? shape.slice(1) : [];
  if (dims.length === 0 || !dims.every((d) => d === null || (Number.isInteger(d) && (d as number) > 0))) {
    out.report(
      arg,
      'error',
      'build-shape',
      `model.build() takes the batch axis first, then one example's sizes: e.g. (None, 28, 28) for 28 × 28 examples; got ${shortText(arg)}.`,
    );
    out.incomplete ??= 'the shape model.build() gets has no example shape';
    return;
  }
  first.input_shape = dims as number[];
  out.value(['layers', 0, 'input_shape'], rangeOf(arg));
}

/**
 * Keras builds a model declared without an input shape on the array it is first fitted on: Hands-On ML 3's MNIST
 * CNN fits `X_train[..., np.newaxis]`, so its input is (28, 28, 1), not the data set's (28, 28). Where the fitted
 * array's example shape is known and differs from the data set's, it becomes the first layer's input shape (the
 * data set's own shape needs nothing: the definition's dataset gives it).
 */
function fittedInputShape(def: ModelDefinition, x: Node, ctx: ReadContext, out: Collector): void {
  const first = def.layers[0];
  if (!first || ['InputLayer', 'Sequential', 'Functional'].includes(first.type)) return; // a model holds its own
  if (declaredInputShape(first) !== undefined) return;
  const shaped = arrayShape(x, ctx);
  const example = shaped && 'shape' in shaped ? shaped.shape.slice(1) : undefined;
  if (!example || example.length === 0 || !example.every((d) => typeof d === 'number' && d > 0)) return;
  const fromData = datasetExampleShape(def.dataset);
  if (fromData && fromData.length === example.length && fromData.every((d, i) => d === example[i])) return;
  first.input_shape = example;
  out.value(['layers', 0, 'input_shape'], rangeOf(x));
}

/**
 * The dataset a fit trains on, with the validation split the script makes: fit's `validation_split`, else the
 * held-out part of a `train_test_split` passed as `validation_data` or left beside the training part (its fraction
 * and `random_state` become `validation_split` and the split's seed), else `validation_data` from the test arrays
 * (validated on the test set: no split, the test set evaluated). `validationUnread` says why a `validation_data`
 * could not be followed.
 */
export function datasetOf(
  fit: FitResult,
  data: DataFlow,
): { dataset?: DatasetSpec; validationUnread?: string; scaleUnread?: boolean; unshuffled?: boolean } {
  const value = fit.x ? data.valueOf(fit.x) : undefined;
  if (!value) return fit.validationData ? { validationUnread: 'the training data is not a dataset it knows' } : {};
  const base: DatasetObject = typeof value.dataset === 'string' ? { name: value.dataset } : { ...value.dataset };
  // Pixels multiplied by something else than the 1/255 Model Lab gives images (raw 0–255 values: scale 1).
  if (value.scale !== undefined && isImageDataset(base) && Math.abs(value.scale * 255 - 1) > 1e-9)
    base.scale = value.scale;
  const found = datasetAndSplit(fit, data, value, base);
  return {
    ...found,
    ...(value.scale === undefined && isImageDataset(base) ? { scaleUnread: true } : {}),
    ...(found.split && !found.split.shuffle ? { unshuffled: true } : {}),
  };
}

function datasetAndSplit(
  fit: FitResult,
  data: DataFlow,
  value: DataValue,
  base: DatasetObject,
): { dataset?: DatasetSpec; validationUnread?: string; split?: DataSplit } {
  const asSpec = (o: DatasetObject): DatasetSpec => (Object.keys(o).length === 1 && o.name ? o.name : o);
  const fromSplit = (s: DataSplit): DatasetObject => ({
    ...base,
    validation_split: s.fraction,
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
  });
  if (fit.validationSplit !== undefined) return { dataset: { ...base, validation_split: fit.validationSplit } };
  if (fit.validationData) {
    const [xv] = fitValidationParts(fit.validationData.value);
    const v = xv ? data.valueOf(xv) : undefined;
    const same = v && JSON.stringify(v.dataset) === JSON.stringify(value.dataset);
    if (same && v.split?.part === 'validation') return { dataset: fromSplit(v.split), split: v.split };
    if (same && v.source === 'test') return { dataset: { ...base, validation_split: 0, evaluate_test: true } };
    const why = !v
      ? 'it is not data Model Lab can follow to a dataset'
      : !same
        ? 'it comes from other data than the training set'
        : 'it is not the held-out part of a train_test_split or the test set';
    return value.split?.part === 'train'
      ? { dataset: fromSplit(value.split), split: value.split, validationUnread: why }
      : { dataset: asSpec(base), validationUnread: why };
  }
  if (value.split?.part === 'train') return { dataset: fromSplit(value.split), split: value.split };
  return { dataset: asSpec(base) };
}

/** `(x_val, y_val)` (or a list) as its parts; anything else as itself. */
function fitValidationParts(node: Node): Node[] {
  const n = unwrap(node);
  if (n.type === 'tuple' || n.type === 'list' || n.type === 'parenthesized_expression')
    return n.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
  return [n];
}

/**
 * Which statements call `add`, `compile`, `fit` or `evaluate` on which variable, found in one pass over the script: a model's
 * reader skips the other statements of its block without looking inside them, so reading stays linear in the
 * size of the script however many models it holds.
 */
export class MethodCalls {
  private readonly byStatement = new Map<number, Set<string>>();
  /** Per block (by its id) and name: the block's statements that touch the name, in source order. */
  private readonly byBlock = new Map<number, Map<string, Node[]>>();
  /** Per block (by its id): its statements that build an optimizer never used (see unusedOptimizer), in order. */
  private readonly optimizers = new Map<number, Node[]>();

  constructor(index: ScriptIndex, ctx: ReadContext) {
    // The names whose methods are called: only their re-assignments matter (`x = 1` a hundred thousand times
    // does not).
    const objects = new Set<string>();
    /** The method calls, in source order, with the name they are called on (each call is looked at once). */
    const methodCalls: { call: Node; object: string }[] = [];
    const calls = index.ofType('call');
    for (let i = 0; i < calls.length; i++) {
      const n = calls[i];
      const fn = n.childForFieldName('function');
      if (fn?.type !== 'attribute' || !isMethod(fn.childForFieldName('attribute')?.text)) continue;
      const object = fn.childForFieldName('object');
      if (!object) continue;
      methodCalls.push({ call: n, object: object.text });
      objects.add(object.text);
    }
    // The assignments and the method calls, merged in source order.
    const assignments = index.ofType('assignment');
    for (let i = 0, j = 0; i < assignments.length || j < methodCalls.length;) {
      if (j < methodCalls.length && (i >= assignments.length || methodCalls[j].call.id < assignments[i].id)) {
        const { call, object } = methodCalls[j++];
        for (let p = call.parent; p; p = p.parent) if (!this.mark(p, object)) break; // its ancestors have it already
        continue;
      }
      const n = assignments[i++];
      if (n.parent?.type === 'expression_statement') {
        const statement = n.parent;
        if (isStatement(statement) && unusedOptimizer(statement, ctx))
          listOf(this.optimizers, statement).push(statement);
        // A statement that re-assigns the variable ends its model's statements: it must be looked at too.
        const left = n.childForFieldName('left') ?? n;
        if (left.type === 'identifier' ? objects.has(left.text) : true)
          for (const id of walk(left)) if (objects.has(id.text)) this.mark(statement, id.text);
      }
    }
  }

  private mark(statement: Node, name: string): boolean {
    const names = this.byStatement.get(statement.id) ?? new Set<string>();
    if (names.has(name)) return false;
    names.add(name);
    this.byStatement.set(statement.id, names);
    // Nodes are marked in source order, so each block's list stays sorted.
    if (isStatement(statement)) {
      const byName = this.byBlock.get(statement.parent!.id) ?? new Map<string, Node[]>();
      this.byBlock.set(statement.parent!.id, byName);
      const list = byName.get(name);
      if (list) list.push(statement);
      else byName.set(name, [statement]);
    }
    return true;
  }

  /** Whether `statement` calls one of those methods on `target` anywhere inside it, or assigns it. */
  touches(statement: Node, target: string): boolean {
    return this.byStatement.get(statement.id)?.has(target) ?? false;
  }

  /**
   * The statements after `statement` in its block and, when that block is the body of a `with` (which runs once),
   * after the `with` (`with strategy.scope(): model = …` then `model.fit(…)` below it) that a model's reader must
   * look at: those that touch `target` and, with `optimizers`, those that build a never-used optimizer; in source order. Found from the per-block
   * lists, so reading a file's models does not look at every later statement once per model.
   */
  following(statement: Node, target: string, optimizers = false): Node[] {
    const out: Node[] = [];
    let current: Node | null = statement;
    while (current) {
      const block: Node | null = current.parent;
      if (!block) break;
      const touching = after(this.byBlock.get(block.id)?.get(target), current);
      const built = optimizers ? after(this.optimizers.get(block.id), current) : [];
      // Merge the two sorted lists (a statement in both is looked at once).
      let i = 0;
      let j = 0;
      while (i < touching.length || j < built.length) {
        const a = touching[i];
        const b = built[j];
        if (b === undefined || (a !== undefined && a.startIndex <= b.startIndex)) {
          out.push(a);
          i++;
          if (b === a) j++;
        } else {
          out.push(b);
          j++;
        }
      }
      current = block.type === 'block' && block.parent?.type === 'with_statement' ? block.parent : null;
    }
    return out;
  }
}

/** A statement of a block or of the module (not a comment). */
function isStatement(node: Node): boolean {
  const type = node.parent?.type;
  return (type === 'block' || type === 'module') && node.type !== 'comment';
}

function listOf(map: Map<number, Node[]>, statement: Node): Node[] {
  const id = statement.parent!.id;
  let list = map.get(id);
  if (!list) map.set(id, (list = []));
  return list;
}

/** The statements of a sorted list that start after `statement` ends. */
function after(list: readonly Node[] | undefined, statement: Node): readonly Node[] {
  if (!list) return [];
  return list.slice(firstNotBefore(list.length, (i) => list[i].startIndex < statement.endIndex));
}

/**
 * `for n in (300, 100, 50): model.add(Dense(n))` (or over a list, or `range(…)` of numbers), unrolled into the
 * `add` calls it makes with the loop variable's value each time. Only a loop whose body does nothing but add
 * layers to this model, over values known without running the script; anything else is left as it was (undefined).
 */
function unrollLoop(
  loop: Node,
  target: string,
  ctx: ReadContext,
): { call: Node; locals: Map<string, unknown> }[] | Unreadable | undefined {
  const variable = loop.childForFieldName('left');
  const iterable = loop.childForFieldName('right');
  const body = loop.childForFieldName('body');
  if (variable?.type !== 'identifier' || !iterable || !body || loop.childForFieldName('alternative')) return undefined;
  const adds: Node[] = [];
  for (const s of body.namedChildren) {
    if (s.type === 'comment' || s.type === 'pass_statement') continue;
    const call = statementCall(s);
    if (!call || s.namedChild(0)?.type !== 'call' || methodOf(call, target) !== 'add') return undefined;
    adds.push(call);
  }
  const values = loopValues(iterable, ctx);
  if (!values || !Array.isArray(values)) return values;
  return values.flatMap((v) =>
    adds.map((call) => ({ call, locals: new Map([...(ctx.locals ?? []), [variable.text, v]]) })),
  );
}

/**
 * The statements of the branch an if statement takes when its conditions are known before the script runs (none
 * when no branch is taken), or undefined when a condition depends on how the script runs.
 */
function knownBranch(statement: Node, ctx: ReadContext): Node[] | undefined {
  const body = takenBranch(statement, ctx);
  return body === undefined ? undefined : (body?.namedChildren ?? []);
}

/** Every `keras.Sequential(...)` call in source order. */
export function sequentialCalls(ctx: ReadContext): Node[] {
  return callsNamed(ctx, (name) => name === 'keras.Sequential');
}
