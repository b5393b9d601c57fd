/**
 * A model-building function called several times (`a = create_model()`, `b = create_model(hidden=300)`) makes one
 * model per call, as running the script does. The first call's model is the one shown inside the function (its
 * hovers, inlay hints and diagnostics there); each later call's model lives at its call: its range is the call's
 * statement through the compile and fit of the variable it is assigned to, hovering the function's name there shows
 * its summary, and a problem of the function is reported once (by the first call's model), not once per call.
 */
import { pathKey } from '../paths';
import { before, compareRanges, containsPosition } from '../text-lines';
import type { ParsedModel, Range } from '../types';
import { buildingCalls, contextAt, runsAt } from './function-params';
import { enclosingStatement } from './functional';
import type { Node } from './py-node';
import { rangeOf } from './syntax';
import type { ReadContext } from './values';

/** One model read, with the node whose place in a run of the script orders it among the file's models. */
export interface ReadModel {
  parsed: ParsedModel;
  runsAt: Node;
}

/** The models `call` (a `Sequential(...)` or `Model(...)`) makes: one per call of its function, or itself. */
export function modelsPerCall(call: Node, ctx: ReadContext, read: (ctx: ReadContext) => ParsedModel): ReadModel[] {
  const building = buildingCalls(call, ctx);
  if (!building || building.calls.length <= 1)
    return [{ parsed: read(contextAt(call, ctx)), runsAt: runsAt(call, ctx) }];
  const { fn, calls } = building;
  const first = read(contextAt(call, ctx, 0, calls[0]));
  return [
    { parsed: first, runsAt: runsAt(call, ctx, calls[0].call) },
    ...calls.slice(1).map((c) => ({
      parsed: atCallSite(read(contextAt(call, ctx, 0, c)), fn, c.call, first),
      runsAt: runsAt(call, ctx, c.call),
    })),
  ];
}

/** The file's models in the order one run of the script makes them (source order at the top level). */
export function inRunOrder(models: ReadModel[]): ReadModel[] {
  // A model call inside another's arguments (`Sequential([Sequential([…]), …])`) runs first, as Python evaluates
  // arguments before the call.
  const inside = (a: Node, b: Node) => b.startIndex <= a.startIndex && a.endIndex <= b.endIndex && a.id !== b.id;
  return [...models].sort(
    (a, b) =>
      (inside(a.runsAt, b.runsAt) ? -1 : inside(b.runsAt, a.runsAt) ? 1 : a.runsAt.startIndex - b.runsAt.startIndex) ||
      compareRanges(a.parsed.range, b.parsed.range),
  );
}

function atCallSite(parsed: ParsedModel, fn: Node, call: Node, first: ParsedModel): ParsedModel {
  const body = rangeOf(fn);
  const inBody = (r: Range) => containsPosition(body, r.start) && containsPosition(body, r.end);
  const statement = enclosingStatement(call) ?? call;
  let range = rangeOf(statement);
  for (const map of [parsed.ranges.values, parsed.ranges.keys])
    for (const [key, r] of map) {
      if (inBody(r)) map.delete(key);
      else if (map === parsed.ranges.values && before(range.end, r.end)) range = { start: range.start, end: r.end };
    }
  parsed.range = range;
  parsed.ranges.values.set(pathKey([]), range);
  // Hovering the function's name at the call shows this model's summary, as hovering `layers` does in a JSON model.
  parsed.ranges.keys.set(pathKey(['layers']), rangeOf(call.childForFieldName('function') ?? call));
  const same = new Set(first.diagnostics.map((d) => JSON.stringify([d.message, d.range])));
  parsed.diagnostics = parsed.diagnostics.filter(
    (d) => !inBody(d.range) || !same.has(JSON.stringify([d.message, d.range])),
  );
  return parsed;
}
