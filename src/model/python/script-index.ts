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
  /** The root's subtree in source order (preorder); a node's place in it is `id - first`. */
  private readonly all: readonly Node[];
  private readonly first: number;

  constructor(readonly root: Node) {
    const all = walk(root);
    this.all = all;
    this.first = root.id;
    for (let i = 0; i < all.length; i++) {
      const n = all[i];
      if (!n.isNamed) continue; // punctuation and keywords: no pass looks them up
      const list = this.byType.get(n.type);
      if (list) list.push(n);
      else this.byType.set(n.type, [n]);
    }
  }

  /** The named nodes of `type`, in source order. Do not modify the list. */
  ofType(type: string): readonly Node[] {
    return this.byType.get(type) ?? NONE;
  }

  /** The named nodes of any of `types`, in source order (as one walk over the script meets them). */
  ofTypes(types: readonly string[]): Node[] {
    const lists = types.map((t) => this.ofType(t)).filter((l) => l.length > 0);
    if (lists.length <= 1) return lists.length === 0 ? [] : lists[0].slice();
    // Node ids are preorder positions: marking the wanted ones and reading the marks in order merges the lists in
    // one pass over a byte per node, without sorting.
    const wanted = new Uint8Array(this.all.length);
    for (const list of lists) for (let i = 0; i < list.length; i++) wanted[list[i].id - this.first] = 1;
    const out: Node[] = [];
    for (let i = 0; i < wanted.length; i++) if (wanted[i] === 1) out.push(this.all[i]);
    return out;
  }
}
