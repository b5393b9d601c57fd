/**
 * The parsed script as plain JavaScript objects, built in one pass over tree-sitter's tree.
 *
 * Why not use tree-sitter's nodes directly: they keep no parent pointer, so `parent` and `nextSibling` walk down
 * from the root or across every sibling each time they are asked; reading a script that way was quadratic (5,000
 * comment lines took 24 s). Here every node knows its parent, its index among its siblings and its field name, so
 * every question the reader asks is O(1), and the whole tree is built iteratively, so no nesting depth can overflow
 * the JavaScript stack. The class keeps the names of the tree-sitter API the reader uses (`childForFieldName`,
 * `namedChildren`, `startPosition`, …) so the reader's modules read the same as before.
 */
import type { Tree } from 'web-tree-sitter';

/** Deeper than this the script is refused with a positioned error (CPython itself stops at 200 nested brackets). */
export const MAX_TREE_DEPTH = 1000;

/**
 * How long a bracketed run of numbers must be (in characters) before the parse leaves it out (tree-sitter.ts); the
 * reader then says such a value is not read.
 */
export const LONG_LITERAL = 2000;

export interface Point {
  row: number;
  column: number;
}

const NO_CHILDREN: Node[] = [];
const NAMED = 1;
const MISSING = 2;
const HAS_ERROR = 4;

export class Source {
  readonly lineStarts: number[] = [0];
  /** Every node in preorder (source order); a node's `id` is its index here. */
  ordered: Node[] = [];
  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  point(index: number): Point {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { row: lo, column: index - this.lineStarts[lo] };
  }
}

export class Node {
  /** Leaves share one empty array: most nodes of a large file are leaves. */
  children: Node[] = NO_CHILDREN;
  parent: Node | null = null;
  /** The id of the last node of this node's subtree (its own id for a leaf): the subtree is ids id…lastId. */
  lastId: number;
  /** This node's index in its parent's `children`. */
  index = 0;
  /** The grammar field this node fills in its parent (`function`, `arguments`, `left`), if any. */
  field: string | null = null;
  /** isNamed, isMissing and hasError as bits: a large file has millions of nodes, and each field costs memory. */
  private flags: number;
  private named?: Node[];

  constructor(
    private readonly source: Source,
    /** Set once, when the tree is numbered in preorder (py-parse.ts builds a node before its number is known). */
    public id: number,
    /** Set once: py-parse.ts reads `(a, b)` as a tuple, then names it a tuple_pattern when it is assigned to. */
    public type: string,
    isNamed: boolean,
    isMissing: boolean,
    readonly startIndex: number,
    readonly endIndex: number,
  ) {
    this.lastId = id;
    this.flags = (isNamed ? NAMED : 0) | (isMissing ? MISSING : 0);
  }

  get isNamed(): boolean {
    return (this.flags & NAMED) !== 0;
  }

  get isMissing(): boolean {
    return (this.flags & MISSING) !== 0;
  }

  /** Whether this node is or holds an ERROR or MISSING node. */
  get hasError(): boolean {
    return (this.flags & HAS_ERROR) !== 0;
  }

  set hasError(value: boolean) {
    this.flags = value ? this.flags | HAS_ERROR : this.flags & ~HAS_ERROR;
  }

  /** This node and every node below it, in source order (a slice of the tree's preorder list, no walking). */
  subtree(): Node[] {
    const all = this.source.ordered;
    return this.id === 0 && this.lastId === all.length - 1 ? all : all.slice(this.id, this.lastId + 1);
  }

  get text(): string {
    return this.source.text.slice(this.startIndex, this.endIndex);
  }

  get isError(): boolean {
    return this.type === 'ERROR';
  }

  get startPosition(): Point {
    return this.source.point(this.startIndex);
  }

  get endPosition(): Point {
    return this.source.point(this.endIndex);
  }

  get namedChildren(): Node[] {
    this.named ??= this.children.filter((c) => c.isNamed);
    return this.named;
  }

  get namedChildCount(): number {
    return this.namedChildren.length;
  }

  namedChild(i: number): Node | null {
    return this.namedChildren[i] ?? null;
  }

  child(i: number): Node | null {
    return this.children[i] ?? null;
  }

  childForFieldName(name: string): Node | null {
    for (const c of this.children) if (c.field === name) return c;
    return null;
  }

  childrenForFieldName(name: string): Node[] {
    return this.children.filter((c) => c.field === name);
  }

  get nextSibling(): Node | null {
    return this.parent?.children[this.index + 1] ?? null;
  }

  get nextNamedSibling(): Node | null {
    const siblings = this.parent?.children ?? [];
    for (let i = this.index + 1; i < siblings.length; i++) if (siblings[i].isNamed) return siblings[i];
    return null;
  }

  get previousNamedSibling(): Node | null {
    const siblings = this.parent?.children ?? [];
    for (let i = this.index - 1; i >= 0; i--) if (siblings[i].isNamed) return siblings[i];
    return null;
  }

  /** The root of the tree this node is in. */
  get root(): Node {
    return this.parent ? this.parent.root : this;
  }

  /** Every node of `type` below this one, in source order (iterative: deep trees do not overflow the stack). */
  descendantsOfType(type: string): Node[] {
    const found: Node[] = [];
    const stack: Node[] = [...this.children].reverse();
    while (stack.length) {
      const n = stack.pop()!;
      if (n.type === type) found.push(n);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
    return found;
  }
}

export interface SourceTree {
  root: Node;
  /** The first node nested deeper than MAX_TREE_DEPTH; its subtree is left out of the tree. */
  tooDeep?: Node;
}

/**
 * Where the pieces of the text tree-sitter parsed come from in the script (tree-sitter.ts leaves comments and long
 * number lists out): piece k starts at `compactStarts[k]` in the parsed text and at `sourceStarts[k]` in the
 * script, both increasing.
 */
export interface OffsetMap {
  compactStarts: readonly number[];
  sourceStarts: readonly number[];
}

/** The script offset of a parsed-text offset: a node's start belongs to the piece it starts, its end to the one it ends. */
export function mapper(offsets: OffsetMap | undefined): (index: number, isEnd: boolean) => number {
  if (!offsets) return (index) => index;
  const { compactStarts, sourceStarts } = offsets;
  return (index, isEnd) => {
    // The last piece starting at or before the offset (strictly before, for an end).
    let lo = 0;
    let hi = compactStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (isEnd ? compactStarts[mid] < index : compactStarts[mid] <= index) lo = mid + 1;
      else hi = mid;
    }
    const k = lo - 1;
    return k < 0 ? index : sourceStarts[k] + (index - compactStarts[k]);
  };
}

/**
 * Copies tree-sitter's tree (which the caller then deletes) into `Node`s, iteratively with one cursor. With
 * `offsets`, tree-sitter parsed a compacted text, and every node gets its position in `text`, the script.
 */
export function buildTree(tree: Tree, text: string, offsets?: OffsetMap): SourceTree {
  const source = new Source(text);
  const map = mapper(offsets);
  const cursor = tree.walk();
  let nextId = 0;
  // Type names, their named-ness and field names by id, looked up in JavaScript: every cursor getter is a call into
  // WebAssembly, and this loop is most of the reader's cost on a large file.
  const language = tree.language;
  const types = new Map<number, { type: string; named: boolean }>();
  const typeOf = (id: number) => {
    let t = types.get(id);
    if (!t)
      types.set(id, (t = { type: language.types[id] || 'ERROR', named: language.nodeTypeIsNamed(id) || id === 65535 }));
    return t;
  };
  const make = (): Node => {
    const compactStart = cursor.startIndex;
    const compactEnd = cursor.endIndex;
    // Only a zero-width node can be one tree-sitter inserted (MISSING); asking costs another call.
    const missing = compactStart === compactEnd && cursor.nodeIsMissing;
    const start = map(compactStart, false);
    const end = compactEnd === compactStart ? start : map(compactEnd, true);
    const { type, named } = typeOf(cursor.nodeTypeId);
    const node = new Node(source, nextId++, type, named, missing, start, end);
    node.hasError = missing || type === 'ERROR';
    source.ordered.push(node);
    return node;
  };
  const result: SourceTree = { root: make() };
  // `stack` holds the nodes from the root down to the parent of the node the cursor is on.
  const stack: Node[] = [result.root];
  try {
    if (!cursor.gotoFirstChild()) return result;
    for (;;) {
      const parent = stack[stack.length - 1];
      const node = make();
      node.parent = parent;
      node.index = parent.children.length;
      node.field = language.fields[cursor.currentFieldId] ?? null;
      if (parent.children === NO_CHILDREN) parent.children = [];
      parent.children.push(node);
      if (node.hasError) parent.hasError = true;
      if (stack.length >= MAX_TREE_DEPTH) result.tooDeep ??= node;
      else if (cursor.gotoFirstChild()) {
        stack.push(node);
        continue;
      }
      // No children to visit: on to the next sibling, climbing while a parent's children are all done.
      while (!cursor.gotoNextSibling()) {
        cursor.gotoParent();
        const done = stack.pop()!;
        done.lastId = nextId - 1;
        if (stack.length === 0) return result;
        if (done.hasError) stack[stack.length - 1].hasError = true;
      }
    }
  } finally {
    cursor.delete();
  }
}
