/**
 * The graph (functional) form of a definition: layers that name their inputs (`"inputs": ["a", "b"]`), merges, and
 * Keras's functional summary order. The structure is resolved without shapes (`resolveGraph`, also what the worker
 * builds from); `inferGraph` then walks it in topological order for shapes and parameters.
 *
 * The summary order is Keras's `_map_graph_network`: a depth-first walk from the outputs numbers the layers as it
 * meets them; each layer's depth is its longest path to an output; layers are listed deepest first, ties in meeting
 * order.
 */
import { didYouMean } from './suggest';
import type { LayerSpec, ModelDefinition } from './types';

export interface Graph {
  /** Per layer (definition order): indices of the layers it takes, in order. */
  inbound: number[][];
  /** Layers feeding the outputs, dependencies first. */
  topological: number[];
  /** Keras's summary order (reachable layers only). */
  summaryOrder: number[];
  /** InputLayers that feed the outputs, in definition order. */
  inputs: number[];
  outputs: number[];
  /** Every layer has at most one input and each depth one layer: Keras prints such a model in the Sequential format. */
  sequentialLike: boolean;
}

export interface GraphProblem {
  path: string;
  message: string;
  code: string;
  severity: 'error' | 'warning';
}

/** A definition is a graph when any layer names its inputs or the model names its outputs. */
export function isGraph(def: ModelDefinition): boolean {
  const layers = Array.isArray(def.layers) ? def.layers : [];
  return def.outputs !== undefined || layers.some((l) => l !== null && typeof l === 'object' && 'inputs' in l);
}

const refsOf = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;

/** The graph, or the problems that keep it from being one (positioned by definition path). */
export function resolveGraph(
  def: ModelDefinition,
  names: readonly string[],
): { graph?: Graph; problems: GraphProblem[] } {
  const specs: LayerSpec[] = Array.isArray(def.layers) ? def.layers : [];
  const problems: GraphProblem[] = [];
  const fail = (path: string, message: string, code: string, severity: 'error' | 'warning' = 'error') =>
    problems.push({ path, message, code, severity });
  const byName = new Map<string, number>();
  names.forEach((n, i) => {
    if (!byName.has(n)) byName.set(n, i);
  });
  const isInput = (i: number) => specs[i]?.type === 'InputLayer';
  let malformed = false;

  const inbound: number[][] = specs.map((spec, i) => {
    if (!spec || typeof spec !== 'object') return [];
    if (isInput(i)) {
      if (spec.inputs !== undefined)
        fail(`layers[${i}].inputs`, 'An InputLayer starts the graph; it takes no "inputs".', 'graph-input');
      return [];
    }
    const refs = spec.inputs === undefined ? undefined : refsOf(spec.inputs);
    if (spec.inputs !== undefined && (!refs || refs.length === 0)) {
      malformed = true; // the schema reports it; the graph is not known until it is fixed
      return [];
    }
    if (!refs) {
      if (i === 0)
        fail(
          `layers[0].type`,
          'A graph model starts from an InputLayer: add { "type": "InputLayer", "shape": [...] } as the first layer.',
          'graph-input',
        );
      return i === 0 ? [] : [i - 1];
    }
    const out: number[] = [];
    refs.forEach((ref, k) => {
      const path = typeof spec.inputs === 'string' ? `layers[${i}].inputs` : `layers[${i}].inputs[${k}]`;
      const j = byName.get(ref);
      if (j === undefined)
        fail(
          path,
          unknownName(
            ref,
            names.filter((_, x) => x !== i),
          ),
          'unknown-input',
        );
      else if (j === i) fail(path, `Layer '${names[i]}' cannot take its own output as input.`, 'graph-cycle');
      else out.push(j);
    });
    return out;
  });

  let outputs: number[];
  const given = def.outputs === undefined ? undefined : refsOf(def.outputs);
  if (given) {
    outputs = [];
    given.forEach((ref, k) => {
      const j = byName.get(ref);
      const path = typeof def.outputs === 'string' ? 'outputs' : `outputs[${k}]`;
      if (j === undefined) fail(path, unknownName(ref, names), 'unknown-input');
      else outputs.push(j);
    });
  } else outputs = specs.length > 0 ? [specs.length - 1] : [];
  if (malformed || problems.some((p) => p.severity === 'error')) return { problems };

  // Keras's _build_map: depth-first from each output, numbering layers as met; a layer met again while its own
  // inputs are still being walked closes a cycle.
  const indexOf = new Map<number, number>();
  const state = new Map<number, 'open' | 'done'>();
  const finished: number[] = [];
  let cycle: number[] | undefined;
  // Iterative, so a 100,000-layer chain cannot overflow the call stack.
  const visit = (root: number): void => {
    if (state.get(root) === 'done') return;
    const stack: { node: number; next: number }[] = [];
    const enter = (i: number) => {
      if (!indexOf.has(i)) indexOf.set(i, indexOf.size);
      state.set(i, 'open');
      stack.push({ node: i, next: 0 });
    };
    enter(root);
    while (stack.length > 0 && !cycle) {
      const top = stack[stack.length - 1];
      if (top.next < inbound[top.node].length) {
        const j = inbound[top.node][top.next++];
        const seen = state.get(j);
        if (seen === 'open') cycle = [...stack.slice(stack.findIndex((f) => f.node === j)).map((f) => f.node), j];
        else if (seen !== 'done') enter(j);
      } else {
        state.set(top.node, 'done');
        finished.push(top.node);
        stack.pop();
      }
    }
  };
  for (const o of outputs) if (!cycle) visit(o);
  if (cycle) {
    const first = cycle[0];
    fail(
      specs[first]?.inputs !== undefined ? `layers[${first}].inputs` : `layers[${first}].type`,
      `These layers feed each other in a circle: ${loopText(cycle.map((i) => names[i]))}; a model's data must flow one way.`,
      'graph-cycle',
    );
    return { problems };
  }

  // Depths, walking the finished list backwards (outputs first): a layer sits one deeper than its deepest consumer.
  const depth = new Map<number, number>();
  for (const i of [...finished].reverse()) {
    const d = depth.get(i) ?? 0;
    for (const j of inbound[i]) depth.set(j, Math.max(depth.get(j) ?? 0, d + 1));
    depth.set(i, d);
  }
  const summaryOrder = [...finished].sort((a, b) => depth.get(b)! - depth.get(a)! || indexOf.get(a)! - indexOf.get(b)!);
  const reached = new Set(finished);
  specs.forEach((_, i) => {
    if (!reached.has(i)) {
      fail(
        `layers[${i}].type`,
        `Layer '${names[i]}' does not lead to the model's output${outputs.length === 1 ? ` '${names[outputs[0]]}'` : 's'}, so Keras leaves it out of the model; connect it or remove it.`,
        'graph-unused',
        'warning',
      );
    }
  });
  const inputs = finished.filter(isInput).sort((a, b) => a - b);
  for (const i of finished) {
    if (inbound[i].length === 0 && !isInput(i) && i !== 0)
      fail(`layers[${i}].type`, `Layer '${names[i]}' has no input.`, 'graph-input');
  }
  const byDepth = new Map<number, number>();
  for (const i of finished) byDepth.set(depth.get(i)!, (byDepth.get(depth.get(i)!) ?? 0) + 1);
  const sequentialLike = finished.every((i) => inbound[i].length <= 1) && [...byDepth.values()].every((n) => n === 1);
  return { graph: { inbound, topological: finished, summaryOrder, inputs, outputs, sequentialLike }, problems };
}

function unknownName(ref: string, names: readonly string[]): string {
  const hint = didYouMean(ref, names);
  if (hint) return `No layer is named '${ref}'${hint}`;
  const some = names
    .slice(0, 6)
    .map((n) => `'${n}'`)
    .join(', ');
  return `No layer is named '${ref}'; the layers here are ${some}${names.length > 6 ? ', …' : ''}.`;
}

/** `a → b → a`, shortened for long loops: `a → b → c → … (120 layers) → a`. */
function loopText(loop: string[]): string {
  if (loop.length <= 8) return loop.join(' → ');
  return `${loop.slice(0, 4).join(' → ')} → … (${loop.length - 1} layers) → ${loop[loop.length - 1]}`;
}
