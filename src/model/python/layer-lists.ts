/**
 * Lists of layers a script computes rather than writes out, when their values are knowable: list comprehensions
 * over literal values or `range(…)` (`[Dense(n) for n in (300, 100)]`), and another model's layers
 * (`base.layers[:-1]`, `[l for l in base.layers if …]`), which are the same layer objects in Keras: they keep their
 * names and weights, so the reader marks them as shared (`sharedOriginal`) for Keras's session naming.
 */
import type { Node } from './py-node';
import type { LayerSpec } from '../types';
import { sliceBounds, sliceIndices } from './array-shapes';
import { callArgs, shortText, unwrap } from './syntax';
import { readValue, truthy, type ReadContext, type Unreadable } from './values';

/** Most items a comprehension or loop is unrolled to; a longer one is left to run time. */
export const MAX_UNROLL = 1000;

/** A layer object of another model, as a loop variable's value. */
export class SharedLayer {
  constructor(readonly spec: LayerSpec) {}
}

/** A layer copied from another model → the original's spec (the name Keras gave it is the original's). */
export const sharedOriginal = new WeakMap<LayerSpec, LayerSpec>();

/** A copy of a shared layer for a new model's definition, remembering its original. */
export function shareLayer(layer: SharedLayer): LayerSpec {
  const original = sharedOriginal.get(layer.spec) ?? layer.spec;
  const copy = structuredClone(original);
  sharedOriginal.set(copy, original);
  return copy;
}

/** The Sequential models read so far, by the variable they are assigned to, with where each layer was added. */
export class ModelLayers {
  private readonly byName = new Map<
    string,
    { start: number; layers: LayerSpec[]; addedAt: number[]; cut?: { at: number; index: number } }[]
  >();

  /** `cut`: where the model's layers stopped being read (the unreadable layer's offset and index), if they did. */
  register(
    name: string,
    start: number,
    layers: LayerSpec[],
    addedAt: number[],
    cut?: { at: number; index: number },
  ): void {
    const list = this.byName.get(name) ?? [];
    list.push({ start, layers, addedAt, ...(cut ? { cut } : {}) });
    this.byName.set(name, list);
  }

  /**
   * The layers `name.layers` holds at `at`: the last model assigned to `name` before it, its layers added before it;
   * why they are not known when that model was cut short at an unreadable layer before `at`.
   */
  layersAt(name: string, at: Node): LayerSpec[] | { unknown: string } | undefined {
    const models = (this.byName.get(name) ?? []).filter((m) => m.start < at.startIndex);
    const m = models[models.length - 1];
    if (m?.cut && m.cut.at < at.startIndex)
      return { unknown: `layer ${m.cut.index + 1} of '${name}' cannot be read statically` };
    return m?.layers.filter((_, i) => m.addedAt[i] < at.startIndex);
  }
}

/**
 * `base.layers`, `base.layers[:-1]`, `base.layers[2]`: another Sequential model's layer objects, or why they are not
 * known (that model was cut short at a layer Model Lab cannot read).
 */
export function sharedLayers(node: Node, ctx: ReadContext): SharedLayer[] | Unreadable | undefined {
  const n = unwrap(node);
  if (n.type === 'subscript') {
    const value = n.childForFieldName('value');
    const subs = n.childrenForFieldName('subscript');
    const all = value ? sharedLayers(value, ctx) : undefined;
    if (!all || !Array.isArray(all)) return all;
    if (subs.length !== 1) return undefined;
    if (subs[0].type === 'slice') {
      const bounds = sliceBounds(subs[0], ctx);
      return bounds ? sliceIndices(all.length, bounds).map((i) => all[i]) : undefined;
    }
    return undefined;
  }
  if (n.type !== 'attribute' || n.childForFieldName('attribute')?.text !== 'layers') return undefined;
  const object = n.childForFieldName('object');
  if (!object || !ctx.models) return undefined;
  const specs = ctx.models.layersAt(object.text, n);
  if (specs && 'unknown' in specs) return { ok: false, node: n, reason: `'${n.text}' is not known: ${specs.unknown}` };
  return specs?.map((s) => new SharedLayer(s));
}

/**
 * The values a `for` iterates over when the source states them: a literal tuple or list, `range(…)`, or `m.layers`
 * (or why `m.layers` is not known).
 */
export function loopValues(iterable: Node, ctx: ReadContext): unknown[] | Unreadable | undefined {
  const n = unwrap(iterable);
  const shared = sharedLayers(n, ctx);
  if (shared) return shared;
  if (n.type === 'call' && n.childForFieldName('function')?.text === 'range' && !ctx.bindings.has('range')) {
    const args = callArgs(n);
    if (args.keywords.length > 0 || args.splats.length > 0 || args.positional.length < 1 || args.positional.length > 3)
      return undefined;
    const nums = args.positional.map((a) => readValue(a, ctx));
    if (!nums.every((r) => r.ok && Number.isInteger(r.value))) return undefined;
    const [a, b, step] = nums.map((r) => (r as { value: number }).value);
    const [start, stop, by] = nums.length === 1 ? [0, a, 1] : [a, b, step ?? 1];
    if (by === 0 || Math.abs((stop - start) / by) > MAX_UNROLL) return undefined;
    const out: number[] = [];
    for (let i = start; by > 0 ? i < stop : i > stop; i += by) out.push(i);
    return out;
  }
  const v = readValue(n, ctx);
  return v.ok && Array.isArray(v.value) && v.value.length <= MAX_UNROLL ? v.value : undefined;
}

/** Each element a list comprehension makes, as its body with the loop variables' values, or why it is unknown. */
export function expandComprehension(
  comprehension: Node,
  ctx: ReadContext,
): { node: Node; ctx: ReadContext }[] | Unreadable {
  const body = comprehension.childForFieldName('body');
  const clauses = comprehension.namedChildren.filter((c) => c.type === 'for_in_clause' || c.type === 'if_clause');
  if (!body) return { ok: false, node: comprehension, reason: 'this comprehension is incomplete' };
  const out: { node: Node; ctx: ReadContext }[] = [];
  const expand = (i: number, c: ReadContext): Unreadable | undefined => {
    if (out.length > MAX_UNROLL)
      return { ok: false, node: comprehension, reason: `it makes more than ${MAX_UNROLL} layers` };
    if (i === clauses.length) {
      out.push({ node: body, ctx: c });
      return undefined;
    }
    const clause = clauses[i];
    if (clause.type === 'if_clause') {
      const cond = clause.namedChildren.find((x) => x.type !== 'comment');
      const v = cond ? readValue(cond, c) : undefined;
      if (!v?.ok)
        return {
          ok: false,
          node: cond ?? clause,
          reason: `the condition '${shortText(cond ?? clause)}' is only known when the script runs`,
        };
      return truthy(v.value) ? expand(i + 1, c) : undefined;
    }
    const left = clause.childForFieldName('left');
    const right = clause.childForFieldName('right');
    if (left?.type !== 'identifier' || !right)
      return { ok: false, node: clause, reason: 'only a comprehension over one plain name is read' };
    const values = loopValues(right, c);
    if (values && !Array.isArray(values)) return values;
    if (!values)
      return {
        ok: false,
        node: right,
        reason: `'${shortText(right)}' is only known when the script runs (a literal tuple, range(…) or another model's .layers is read)`,
      };
    for (const v of values) {
      const problem = expand(i + 1, { ...c, locals: new Map([...(c.locals ?? []), [left.text, v]]) });
      if (problem) return problem;
    }
    return undefined;
  };
  const problem = expand(0, ctx);
  return problem ?? out;
}
