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
import type { Node } from './py-node';
import { walk } from './syntax';

const NONE: readonly Node[] = [];

export class ScriptIndex {
  private readonly byType = new Map<string, Node[]>();
  constructor(readonly root: Node) {
    const all = walk(root);
    for (let i = 0; i < all.length; i++) {
      const n = all[i];
      if (!n.isNamed) continue; // punctuation and keywords: no pass looks them up
      const list = this.byType.get(n.type);
      if (list) list.push(n);
      else this.byType.set(n.type, [n]);
    }
  }

  /**
   * The first identifier of `node`'s subtree (the node itself included) whose name `names` has, in source order.
   * The subtree's identifiers are a run of the script's (ids are preorder positions), found by one bisection: the
   * cost is the subtree's identifiers, not its nodes nor the number of names, and nothing is allocated.
   */
  firstNamed(names: { has(name: string): boolean }, node: Node): Node | undefined {
    const ids = this.ofType('identifier');
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid].id < node.id) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < ids.length && ids[i].id <= node.lastId; i++) if (names.has(ids[i].text)) return ids[i];
    return undefined;
  }

  /** The named nodes of `type`, in source order. Do not modify the list. */
  ofType(type: string): readonly Node[] {
    return this.byType.get(type) ?? NONE;
  }

  /** The named nodes of any of `types`, in source order (as one walk over the script meets them). */
  ofTypes(types: readonly string[]): Node[] {
    const lists = types.map((t) => this.ofType(t)).filter((l) => l.length > 0);
    // Node ids are preorder positions: merge the sorted lists by id (few of them are long).
    const heads = lists.map(() => 0);
    const out: Node[] = [];
    for (;;) {
      let best = -1;
      let bestId = Infinity;
      for (let k = 0; k < lists.length; k++) {
        const h = heads[k];
        if (h < lists[k].length && lists[k][h].id < bestId) {
          bestId = lists[k][h].id;
          best = k;
        }
      }
      if (best < 0) return out;
      out.push(lists[best][heads[best]++]);
    }
  }
}
