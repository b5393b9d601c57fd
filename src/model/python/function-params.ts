/**
 * A model built inside a function (`def create_model(hidden=200, rate=0.2): …`) reads its parameters as the call
 * that builds it gives them: the arguments of the function's first call in the file (positional or keyword), else
 * the parameter's default. A function the file never calls is read with its defaults. A parameter with neither a
 * known argument nor a default stays unknown, and whatever uses it says so.
 */
import type { Node } from './py-node';
import { callArgs } from './syntax';
import { readValue, type ParamScope, type ReadContext } from './values';

/** How many enclosing calls are followed to give an argument its value (a function called from a function …). */
const MAX_NESTING = 5;

interface Param {
  name: string;
  default?: Node;
  /** Takes positional arguments (before a `*` or `*args`). */
  positional: boolean;
}

function parametersOf(fn: Node): Param[] | undefined {
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

/** `ctx` with the parameters of every function that `node` sits in, innermost last. */
export function contextAt(node: Node, ctx: ReadContext, nesting = 0): ReadContext {
  const functions: Node[] = [];
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition') functions.unshift(p);
  if (functions.length === 0 || nesting > MAX_NESTING) return ctx;
  const scopes: ParamScope[] = [...(ctx.params ?? [])];
  for (const fn of functions) {
    const name = fn.childForFieldName('name')?.text;
    let params = parametersOf(fn);
    if (!name || !params) continue;
    const isMethod = fn.parent?.type === 'block' && fn.parent.parent?.type === 'class_definition';
    if (isMethod && params[0] && !params[0].default) params = params.slice(1); // self, cls
    const call = ctx.bindings.callsOf(name).find((c) => {
      const f = c.childForFieldName('function');
      return isMethod ? f?.type === 'attribute' : f?.type === 'identifier';
    });
    const values = new Map<string, unknown>();
    const callerCtx = call ? contextAt(call, ctx, nesting + 1) : ctx;
    const args = call ? callArgs(call) : undefined;
    const given = new Map<string, Node>();
    if (args && args.splats.length === 0) {
      const positional = params.filter((p) => p.positional);
      args.positional.forEach((a, i) => {
        if (i < positional.length) given.set(positional[i].name, a);
      });
      for (const k of args.keywords) given.set(k.name, k.value);
    }
    for (const p of params) {
      const arg = given.get(p.name);
      // A call with *args/**kwargs gives values only known when the script runs: no default is assumed then.
      const source = arg ?? (args && args.splats.length > 0 ? undefined : p.default);
      if (!source) continue;
      const v = readValue(source, arg ? callerCtx : ctx);
      if (v.ok) values.set(p.name, v.value);
    }
    scopes.push({ fn, values });
  }
  return { ...ctx, params: scopes };
}
