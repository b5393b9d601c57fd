/**
 * Finds each `keras.Sequential(...)` in a script and reads it, with the `model.add` / `model.compile` /
 * `model.fit` statements that follow it in the same block, into a ParsedModel.
 *
 * When a layer cannot be read statically (built in a loop, from a function parameter, an unknown class), the model
 * stops there: the layers before it keep their shapes and hovers, the ones after it are left out (their input
 * shape is unknown), and `incomplete` says why, so nothing trains a model that differs from the script.
 */
import type { Node } from 'web-tree-sitter';
import type { DatasetSpec, LayerSpec, ModelDefinition, ParsedModel, Range } from '../types';
import { Collector } from './collector';
import { readCompile, readFit, type FitResult } from './compile-fit';
import { FASHION_MNIST, type DataFlow } from './dataset';
import type { Seeds } from './seeds';
import { readLayer, type ReadInput } from './layers';
import { callArgs, rangeOf, statementCall, unwrap, walk } from './syntax';
import { readValue, resolveName, type ReadContext } from './values';

const UNREADABLE = 'python-unreadable';

/** One `Sequential(...)` call and the statements that build, compile and fit it, as a ParsedModel. */
export function readSequential(call: Node, ctx: ReadContext, data: DataFlow, seeds: Seeds): ParsedModel {
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
  let fit: FitResult | undefined;
  const target = modelVariable(call);
  if (target) {
    for (const s of followingStatements(target.statement)) {
      if (reassigns(s, target.name)) break;
      const direct = statementCall(s);
      const method = direct && methodOf(direct, target.name);
      const calls = method ? [{ call: direct, method, nested: undefined }] : nestedMethodCalls(s, target.name);
      for (const c of calls) {
        if (c.method === 'add') {
          if (c.nested) reader.unreadable(argOf(c.call), `it is added inside ${c.nested}, so the layers depend on how the script runs`);
          else reader.add(c.call);
        } else if (c.method === 'compile') {
          if (!fit) compileCall = c.call; // Keras trains with the last compile before fit
        } else if (!fit) {
          fit = readFit(c.call, ctx, out);
        }
        last = c.call;
      }
    }
  }
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
    const dataset = datasetOf(fit, data);
    if (dataset === undefined) {
      // validation_split belongs to a dataset; without one Model Lab recognises, it has nowhere to go.
      out.values.delete('dataset.validation_split');
      out.keys.delete('dataset.validation_split');
    }
    if (dataset !== undefined) {
      def.dataset = dataset;
      const at = rangeOf(fit.x!);
      out.value(['dataset'], at);
      if (typeof dataset === 'object') out.value(['dataset', 'name'], at);
    }
  }
  reader.finish();

  const range: Range = { start: rangeOf(call).start, end: rangeOf(last).end };
  out.value([], range);
  const parsed: ParsedModel = { definition: def, ranges: { values: out.values, keys: out.keys }, diagnostics: out.diagnostics, range };
  if (out.incomplete) parsed.incomplete = out.incomplete;
  return parsed;
}

/** Reads layers in order, carrying a pending `keras.Input` shape to the next layer, and stops at the first unreadable. */
class LayerList {
  readonly layers: LayerSpec[] = [];
  private pendingInput?: ReadInput;
  private stopped = false;

  constructor(
    private readonly out: Collector,
    private readonly ctx: ReadContext,
  ) {}

  readList(node: Node): void {
    let n = unwrap(node);
    for (let i = 0; i < 10 && n.type === 'identifier'; i++) {
      const c = this.ctx.bindings.constant(n.text);
      if ('reason' in c) return this.unreadable(n, c.reason);
      n = unwrap(c.value);
    }
    if (n.type !== 'list' && n.type !== 'tuple') {
      return this.unreadable(n, `the layer list is a ${n.type.replace(/_/g, ' ')}, only known when the script runs`);
    }
    for (const element of n.namedChildren) {
      if (!element || element.type === 'comment') continue;
      if (element.type === 'list_splat') return this.unreadable(element, 'a starred element is only known when the script runs');
      this.element(element);
    }
  }

  add(call: Node): void {
    const arg = argOf(call);
    if (arg === call) return this.unreadable(call, 'model.add() needs the layer as its argument');
    this.element(arg);
  }

  element(node: Node): void {
    if (this.stopped) return;
    const r = readLayer(node, this.ctx);
    if (!('kind' in r)) return this.unreadable(r.node, r.reason);
    if (r.kind === 'input') {
      this.pendingInput = r;
      return;
    }
    const index = this.layers.length;
    const spec = r.spec;
    this.out.addRanges(['layers', index], r.values, r.keys);
    if (this.pendingInput && spec.input_shape === undefined) {
      spec.input_shape = this.pendingInput.shape as number[];
      this.out.addRanges(['layers', index], this.pendingInput.values, this.pendingInput.keys);
    }
    this.pendingInput = undefined;
    this.layers.push(spec);
  }

  unreadable(node: Node, reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    const index = this.layers.length;
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
 * The statements after `statement` in its block and, when that block is the body of a `with` (which runs once),
 * the statements after the `with`: `with strategy.scope(): model = …` then `model.fit(…)` below it.
 */
export function* followingStatements(statement: Node): Generator<Node> {
  let current: Node | null = statement;
  while (current) {
    for (let s = current.nextNamedSibling; s; s = s.nextNamedSibling) if (s.type !== 'comment') yield s;
    const block: Node | null = current.parent;
    current = block?.type === 'block' && block.parent?.type === 'with_statement' ? block.parent : null;
  }
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

type Method = 'add' | 'compile' | 'fit';

export function methodOf(call: Node, target: string): Method | undefined {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute') return undefined;
  if (fn.childForFieldName('object')?.text !== target) return undefined;
  const m = fn.childForFieldName('attribute')?.text;
  return m === 'add' || m === 'compile' || m === 'fit' ? m : undefined;
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
  for (const n of walk(statement)) {
    if (n.type !== 'call') continue;
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

export function datasetOf(fit: FitResult, data: DataFlow): DatasetSpec | undefined {
  if (!fit.x || !data.fromFashion(fit.x)) return undefined;
  return fit.validationSplit === undefined ? FASHION_MNIST : { name: FASHION_MNIST, validation_split: fit.validationSplit };
}

/** Every `keras.Sequential(...)` call in source order. */
export function sequentialCalls(root: Node, ctx: ReadContext): Node[] {
  const calls: Node[] = [];
  for (const n of walk(root)) {
    if (n.type !== 'call') continue;
    const fn = n.childForFieldName('function');
    if (fn && resolveName(fn, ctx) === 'keras.Sequential') calls.push(n);
  }
  return calls;
}
