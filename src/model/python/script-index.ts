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

  /** The identifiers' ids and names, in source order (made on first use: each name is sliced from the text once). */
  private identifierIds?: Int32Array;
  private identifierNames?: string[];

  /** The text of every identifier, in the order of `ofType('identifier')`. Do not modify the list. */
  identifierTexts(): readonly string[] {
    if (!this.identifierNames) {
      const ids = this.ofType('identifier');
      this.identifierIds = new Int32Array(ids.length);
      this.identifierNames = new Array<string>(ids.length);
      for (let i = 0; i < ids.length; i++) {
        this.identifierIds[i] = ids[i].id;
        this.identifierNames[i] = ids[i].text;
      }
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
      if (names.has(texts[i])) return this.ofType('identifier')[i];
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
