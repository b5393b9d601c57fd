/**
 * The parsed script's named nodes grouped by type, in one pass shared by every later pass of the reader. Each of
 * the reader's file-wide passes (imports, bindings, data flow, seeds, method calls, the model calls, Python 2
 * checks) looks at a few node types only: it goes through those nodes instead of every node of the file, so a
 * large file is walked once, not once per pass.
 *
 * The file-wide loops here and in the passes count with an index rather than `for…of`: they run once per read,
 * often before V8 optimises them, and unoptimised `for…of` allocates an iterator result per element (15 MB for
 * this pass alone on 1 MB of Keras code), which the garbage collector then pays for.
 */
import { typeId, type Node, type Source } from './py-node';

const NONE: readonly Node[] = [];

export class ScriptIndex {
  /** The named nodes' ids grouped by type number (each group in source order), and where each group starts. */
  private readonly ids: Int32Array;
  private readonly groupStart = new Map<number, number>();
  private readonly groupEnd = new Map<number, number>();
  private readonly lists = new Map<string, readonly Node[]>();
  private readonly tree: Source;

  constructor(readonly root: Node) {
    // A counting sort of the store's rows by type: no node object is made until a pass asks for its type.
    const tree = (this.tree = root.tree);
    const { types, flags } = tree;
    const first = root.id;
    const last = root.lastId;
    const counts: number[] = [];
    for (let i = first; i <= last; i++) if (flags[i] & 1) counts[types[i]] = (counts[types[i]] ?? 0) + 1;
    const next: number[] = [];
    let at = 0;
    for (let t = 0; t < counts.length; t++) {
      if (!counts[t]) continue;
      this.groupStart.set(t, at);
      next[t] = at;
      at += counts[t];
      this.groupEnd.set(t, at);
    }
    this.ids = new Int32Array(at);
    for (let i = first; i <= last; i++) if (flags[i] & 1) this.ids[next[types[i]]++] = i;
  }

  /** The identifiers' ids and names, in source order (made on first use: each name is sliced from the text once). */
  private identifierIds?: Int32Array;
  private identifierNames?: string[];

  /** The text of every identifier, in the order of `ofType('identifier')`. Do not modify the list. */
  identifierTexts(): readonly string[] {
    if (!this.identifierNames) {
      const ids = this.idsOf('identifier');
      const { text, starts, ends } = this.tree;
      this.identifierIds = ids;
      this.identifierNames = new Array<string>(ids.length);
      for (let i = 0; i < ids.length; i++) this.identifierNames[i] = text.slice(starts[ids[i]], ends[ids[i]]);
    }
    return this.identifierNames;
  }

  /**
   * The first identifier of `node`'s subtree (the node itself included) whose name `names` has, in source order.
   * The subtree's identifiers are a run of the script's (ids are preorder positions), found by one bisection in an
   * array of numbers: the cost is the subtree's identifiers, not its nodes nor the number of names, and nothing is
   * allocated.
   */
  firstNamed(names: { has(name: string): boolean }, node: Node): Node | undefined {
    const texts = this.identifierTexts();
    const ids = this.identifierIds!;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid] < node.id) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < ids.length && ids[i] <= node.lastId; i++)
      if (names.has(texts[i])) return this.tree.node(ids[i]);
    return undefined;
  }

  /** The ids of the named nodes of `type`, in source order. */
  private idsOf(type: string): Int32Array {
    const t = typeId(type);
    const start = this.groupStart.get(t);
    return start === undefined ? new Int32Array(0) : this.ids.subarray(start, this.groupEnd.get(t));
  }

  /** The named nodes of `type`, in source order (made on first use). Do not modify the list. */
  ofType(type: string): readonly Node[] {
    let list = this.lists.get(type);
    if (!list) {
      const ids = this.idsOf(type);
      const nodes = new Array<Node>(ids.length);
      for (let i = 0; i < ids.length; i++) nodes[i] = this.tree.node(ids[i]);
      list = nodes.length ? nodes : NONE;
      this.lists.set(type, list);
    }
    return list;
  }

  /**
   * The named nodes of any of `types`, in source order (as one walk over the script meets them). With `keep`, only
   * the nodes whose id it keeps (a test on the store, `this.root.tree`, before any node object is made).
   */
  ofTypes(types: readonly string[], keep?: (id: number) => boolean): Node[] {
    const lists = types.map((t) => this.idsOf(t)).filter((l) => l.length > 0);
    // Node ids are preorder positions: merge the sorted lists by id (few of them are long).
    const heads = lists.map(() => 0);
    const out: Node[] = [];
    for (;;) {
      let best = -1;
      let bestId = Infinity;
      for (let k = 0; k < lists.length; k++) {
        const h = heads[k];
        if (h < lists[k].length && lists[k][h] < bestId) {
          bestId = lists[k][h];
          best = k;
        }
      }
      if (best < 0) return out;
      heads[best]++;
      if (!keep || keep(bestId)) out.push(this.tree.node(bestId));
    }
  }
}
