/**
 * A model built inside a function (`def create_model(hidden=200, rate=0.2): …`) reads its parameters as the call
 * that builds it gives them: the arguments of that call (positional or keyword), else the parameter's default. A
 * function called several times builds one model per call (`buildingCalls`, read in index.ts); an enclosing
 * function is read with its first call's arguments. A function the file never calls is read with its defaults. A
 * parameter with neither a known argument nor a default stays unknown, and whatever uses it says so.
 */
import type { Node } from './py-node';
import { callArgs, unwrap } from './syntax';
import { loopValues } from './layer-lists';
import { readValue, type ParamScope, type ReadContext } from './values';

/**
 * A call given for a parameter that is not a value Model Lab reads (`model_fn(keras.layers.Dropout(0.3))`): read as a
 * layer where the function uses the parameter as one (`model.add(a_layer)`, layers.ts), in the caller's context.
 * As a condition (`if a_layer:`, `if a_layer is not None:`) it is an object: true, not None.
 */
export class LayerArgument {
  constructor(
    readonly node: Node,
    readonly ctx: ReadContext,
  ) {}
}

/** How many enclosing calls are followed to give an argument its value (a function called from a function …). */
const MAX_NESTING = 5;

export interface Param {
  name: string;
  default?: Node;
  /** Takes positional arguments (before a `*` or `*args`). */
  positional: boolean;
}

export function parametersOf(fn: Node): Param[] | undefined {
  const list = fn.childForFieldName('parameters');
  if (!list) return [];
  const out: Param[] = [];
  let positional = true;
  for (const p of list.namedChildren) {
    if (p.type === 'comment' || p.type === 'positional_separator') continue;
    if (p.type === 'keyword_separator' || p.type === 'list_splat_pattern') {
      positional = false;
      continue;
    }
    if (p.type === 'dictionary_splat_pattern') continue;
    if (p.type === 'identifier') out.push({ name: p.text, positional });
    else if (p.type === 'typed_parameter') {
      const id = p.namedChildren.find((c) => c.type === 'identifier');
      if (id) out.push({ name: id.text, positional });
    } else {
      const name = p.childForFieldName('name');
      const value = p.childForFieldName('value');
      if (name?.type === 'identifier') out.push({ name: name.text, default: value ?? undefined, positional });
    }
  }
  return out;
}

/** The argument a call gives each parameter, by name (positional ones in order, then keywords). */
export function argumentsByParameter(params: Param[], args: ReturnType<typeof callArgs>): Map<string, Node> {
  const given = new Map<string, Node>();
  const positional = params.filter((p) => p.positional);
  args.positional.forEach((a, i) => {
    if (i < positional.length) given.set(positional[i].name, a);
  });
  for (const k of args.keywords) given.set(k.name, k.value);
  return given;
}

function enclosingFunctions(node: Node): Node[] {
  const functions: Node[] = [];
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') functions.unshift(p);
  return functions;
}

export function isMethodDef(fn: Node): boolean {
  return fn.parent?.type === 'block' && fn.parent.parent?.type === 'class_definition';
}

/** The calls of function `fn` in source order (`name(…)`, or `x.name(…)` for a method). */
function callsOfFunction(fn: Node, ctx: ReadContext): Node[] {
  const name = fn.childForFieldName('name')?.text;
  if (!name) return [];
  const isMethod = isMethodDef(fn);
  return ctx.bindings.callsOf(name).filter((c) => {
    const f = c.childForFieldName('function');
    return isMethod ? f?.type === 'attribute' : f?.type === 'identifier';
  });
}

/** One run of a function's call: the call, and the loop variables' values when it runs once per pass of a loop. */
export interface CallRun {
  call: Node;
  locals?: ReadonlyMap<string, unknown>;
}

/**
 * The calls that each build the model made at `node` (a `Sequential(...)` or `Model(...)` call): the calls of the
 * function it sits in directly, in source order, with the function, a call in a loop or comprehension over literal
 * values once per pass (`[build(n) for n in (64, 128)]`, `for lr in (0.1, 0.01): m = build()`); none outside a
 * function or for a function the file never calls.
 */
export function buildingCalls(node: Node, ctx: ReadContext): { fn: Node; calls: CallRun[] } | undefined {
  const fn = enclosingFunctions(node).pop();
  return fn ? { fn, calls: callsOfFunction(fn, ctx).flatMap((call) => passes(call, ctx)) } : undefined;
}

/**
 * The runs of a call: one per pass of the loop or single-clause comprehension directly around it (in its scope) over
 * values known before the script runs, else the call once.
 */
function passes(call: Node, ctx: ReadContext): CallRun[] {
  for (let p = call.parent; p && p.type !== 'function_definition' && p.type !== 'module'; p = p.parent) {
    let variable: Node | null = null;
    let iterable: Node | null = null;
    if (p.type === 'for_statement' && inside(call, p.childForFieldName('body'))) {
      variable = p.childForFieldName('left');
      iterable = p.childForFieldName('right');
    } else if (p.type === 'list_comprehension' && inside(call, p.childForFieldName('body'))) {
      const clauses = p.namedChildren.filter((c) => c.type === 'for_in_clause' || c.type === 'if_clause');
      if (clauses.length !== 1 || clauses[0].type !== 'for_in_clause') return [{ call }];
      variable = clauses[0].childForFieldName('left');
      iterable = clauses[0].childForFieldName('right');
    } else continue;
    const name = variable?.type === 'identifier' ? variable.text : undefined;
    const values = name && iterable ? loopValues(iterable, ctx) : undefined;
    if (!name || !Array.isArray(values)) return [{ call }];
    return values.map((v) => ({ call, locals: new Map([...(ctx.locals ?? []), [name, v]]) }));
  }
  return [{ call }];
}

const inside = (n: Node, scope: Node | null) =>
  !!scope && scope.startIndex <= n.startIndex && n.endIndex <= scope.endIndex;

/**
 * Where one run of the script makes what `node` makes: `node` itself at the top level, else where the call of its
 * function (`chosen`, else the first) runs, followed out through enclosing functions. Orders the models as Keras
 * names them.
 */
export function runsAt(node: Node, ctx: ReadContext, chosen?: Node, nesting = 0): Node {
  const fn = enclosingFunctions(node).pop();
  if (!fn || nesting > MAX_NESTING) return node;
  const call = chosen ?? callsOfFunction(fn, ctx)[0];
  return call ? runsAt(call, ctx, undefined, nesting + 1) : node;
}

/**
 * `ctx` with the parameters of every function that `node` sits in, innermost last; `chosen` is the call of the
 * innermost function to read (else its first call).
 */
export function contextAt(node: Node, ctx: ReadContext, nesting = 0, chosen?: CallRun): ReadContext {
  const functions = enclosingFunctions(node);
  if (functions.length === 0 || nesting > MAX_NESTING) return ctx;
  const scopes: ParamScope[] = [...(ctx.params ?? [])];
  for (const fn of functions) {
    const name = fn.childForFieldName('name')?.text;
    let params = parametersOf(fn);
    if (!name || !params) continue;
    if (isMethodDef(fn) && params[0] && !params[0].default) params = params.slice(1); // self, cls
    const run = fn.id === functions[functions.length - 1].id ? chosen : undefined;
    const call = run?.call ?? callsOfFunction(fn, ctx)[0];
    const values = new Map<string, unknown>();
    const outer = call ? contextAt(call, ctx, nesting + 1) : ctx;
    const callerCtx = run?.locals ? { ...outer, locals: run.locals } : outer;
    const args = call ? callArgs(call) : undefined;
    const given = args && args.splats.length === 0 ? argumentsByParameter(params, args) : new Map<string, Node>();
    for (const p of params) {
      const arg = given.get(p.name);
      // A call with *args/**kwargs gives values only known when the script runs: no default is assumed then.
      const source = arg ?? (args && args.splats.length > 0 ? undefined : p.default);
      if (!source) continue;
      const at = arg ? callerCtx : ctx;
      const v = readValue(source, at);
      if (v.ok) values.set(p.name, v.value);
      else if (unwrap(source).type === 'call') values.set(p.name, new LayerArgument(source, at));
    }
    scopes.push({ fn, values, ...(call ? { call } : {}), ...(run?.locals ? { callLocals: run.locals } : {}) });
  }
  return { ...ctx, params: scopes };
}
