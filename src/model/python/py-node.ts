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
const MADE_SHIFT = 10;
const MADE_CHUNK = 1 << MADE_SHIFT;
const NAMED = 1;
const MISSING = 2;
const HAS_ERROR = 4;

/** Type and field names by number, shared by every tree (the grammar's names and the tokens': a few hundred). */
const names = (): { list: string[]; ids: Map<string, number> } => ({ list: [''], ids: new Map([['', 0]]) });
const TYPES = names();
const FIELDS = names();
function intern(table: { list: string[]; ids: Map<string, number> }, name: string): number {
  let id = table.ids.get(name);
  if (id === undefined) {
    id = table.list.length;
    table.list.push(name);
    table.ids.set(name, id);
  }
  return id;
}
/** A copy of column `a` twice as long (`make` makes an empty one of a length). */
export function doubled<A extends Uint8Array | Uint16Array | Int32Array>(a: A, make: (n: number) => A): A {
  const b = make(a.length * 2);
  b.set(a);
  return b;
}

/** The number of a node type's name (for the loops that look at the store without making nodes). */
export const typeId = (type: string): number => intern(TYPES, type);

/**
 * The parsed script: its text and its tree, stored as columns of numbers (struct of arrays) indexed by node id, the
 * node's position in preorder (source order). A large file has millions of nodes (5 MB of Keras code: 1.85 million,
 * a third of them punctuation and keywords): one JavaScript object per node cost most of the parse in allocation
 * and garbage collection. Here the parse writes numbers only, and a `Node` object is made for a node when the reader
 * first asks for it (`node(id)`), then kept, so each node has one object and identity comparisons hold.
 */
export class Source {
  readonly lineStarts: number[] = [0];
  /** How many nodes the tree has (ids 0…count-1). */
  count = 0;
  types: Uint16Array;
  flags: Uint8Array;
  fields: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  /** The parent's id, -1 for the root. */
  parents: Int32Array;
  /** The id of the last node of each node's subtree (its own id for a leaf): the subtree is ids id…lastId. */
  lasts: Int32Array;
  /**
   * The nodes made so far, by id, in chunks of MADE_CHUNK (made when the reader asks for a node): one array of a
   * million holes would be a dictionary in V8 (past 100,000 elements), a hash lookup on every `node(id)`.
   */
  private made?: (Node | undefined)[][];

  constructor(
    readonly text: string,
    capacity = 64,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.types = new Uint16Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.fields = new Uint8Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.parents = new Int32Array(capacity);
    this.lasts = new Int32Array(capacity);
  }

  /** Makes room for nodes up to id `size - 1` (for `put`). */
  reserve(size: number): void {
    while (this.types.length < size) this.grow();
  }

  /**
   * Stores node `id` (within the room `reserve` made; `count` is the caller's to move past it); `last` may be set
   * later (`lasts[id]`).
   */
  put(
    id: number,
    type: string,
    named: boolean,
    missing: boolean,
    start: number,
    end: number,
    parent: number,
    field: string | null,
    last: number,
  ): void {
    this.types[id] = intern(TYPES, type);
    this.flags[id] = (named ? NAMED : 0) | (missing ? MISSING | HAS_ERROR : 0) | (type === 'ERROR' ? HAS_ERROR : 0);
    this.fields[id] = field === null ? 0 : intern(FIELDS, field);
    this.starts[id] = start;
    this.ends[id] = end;
    this.parents[id] = parent;
    this.lasts[id] = last;
  }

  hasErrorAt(id: number): boolean {
    return (this.flags[id] & HAS_ERROR) !== 0;
  }

  /** Marks `id` as holding an ERROR or MISSING node. */
  markError(id: number): void {
    this.flags[id] |= HAS_ERROR;
  }

  private grow(): void {
    this.types = doubled(this.types, (n) => new Uint16Array(n));
    this.flags = doubled(this.flags, (n) => new Uint8Array(n));
    this.fields = doubled(this.fields, (n) => new Uint8Array(n));
    this.starts = doubled(this.starts, (n) => new Int32Array(n));
    this.ends = doubled(this.ends, (n) => new Int32Array(n));
    this.parents = doubled(this.parents, (n) => new Int32Array(n));
    this.lasts = doubled(this.lasts, (n) => new Int32Array(n));
  }

  /** The node `id` (made on first use, then the same object). */
  node(id: number): Node {
    const chunks = (this.made ??= new Array<(Node | undefined)[]>((this.count >> MADE_SHIFT) + 1));
    const made = (chunks[id >> MADE_SHIFT] ??= new Array<Node | undefined>(MADE_CHUNK));
    let node = made[id & (MADE_CHUNK - 1)];
    if (!node) {
      made[id & (MADE_CHUNK - 1)] = node = new Node(this, id);
      this.madeCount++;
    }
    return node;
  }

  /**
   * Each node's index among its parent's children, made in one pass on the first question (few readers ask): not a
   * column the parse fills, as 4 bytes a node is memory it must first touch (7 MB on 5 MB of Keras code).
   */
  private indices?: Int32Array;

  indexOf(id: number): number {
    if (!this.indices) {
      const { lasts } = this;
      const indices = (this.indices = new Int32Array(this.count));
      for (let p = 0; p < this.count; p++)
        for (let c = p + 1, k = 0, last = lasts[p]; c <= last; c = lasts[c] + 1, k++) indices[c] = k;
    }
    return this.indices[id];
  }

  /**
   * Each node's children, by id, made on the first question: few nodes are asked (1,546 of the 156,074 nodes a read
   * of 1 MB of dense Keras code makes), so a field on every node would cost more than this map.
   */
  private childLists = new Map<number, Node[]>();

  childrenOf(id: number): Node[] {
    let kids = this.childLists.get(id);
    if (!kids) {
      const { lasts } = this;
      const last = lasts[id];
      let count = 0;
      for (let c = id + 1; c <= last; c = lasts[c] + 1) count++;
      // Counted first: an array grown by push keeps room for 17 elements, and every node's list lives to the
      // read's end (a tenth of what a read of dense code kept was that room).
      kids = count === 0 ? NO_CHILDREN : new Array<Node>(count);
      for (let c = id + 1, k = 0; c <= last; c = lasts[c] + 1) kids[k++] = this.node(c);
      this.childLists.set(id, kids);
    }
    return kids;
  }

  /** How many nodes have been made into objects so far (for tests and profiling). */
  madeCount = 0;

  typeName(id: number): string {
    return TYPES.list[this.types[id]];
  }

  isNamed(id: number): boolean {
    return (this.flags[id] & NAMED) !== 0;
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

/**
 * One node of the tree: a view of the store's row `id` with the names of the tree-sitter API the reader uses
 * (`childForFieldName`, `namedChildren`, `startPosition`, …), so the reader's modules read the same as with
 * tree-sitter's nodes. Every question is O(1) or O(children): a node's children are the ids after it, each
 * subtree a run of ids.
 */
export class Node {
  private named?: Node[];

  constructor(
    /** The store this node is a row of. */
    readonly tree: Source,
    readonly id: number,
  ) {}

  get type(): string {
    return TYPES.list[this.tree.types[this.id]];
  }

  get isNamed(): boolean {
    return (this.tree.flags[this.id] & NAMED) !== 0;
  }

  get isMissing(): boolean {
    return (this.tree.flags[this.id] & MISSING) !== 0;
  }

  /** Whether this node is or holds an ERROR or MISSING node. */
  get hasError(): boolean {
    return (this.tree.flags[this.id] & HAS_ERROR) !== 0;
  }

  get startIndex(): number {
    return this.tree.starts[this.id];
  }

  get endIndex(): number {
    return this.tree.ends[this.id];
  }

  /** The id of the last node of this node's subtree (its own id for a leaf): the subtree is ids id…lastId. */
  get lastId(): number {
    return this.tree.lasts[this.id];
  }

  /** This node's index in its parent's `children`. */
  get index(): number {
    return this.tree.indexOf(this.id);
  }

  /** The grammar field this node fills in its parent (`function`, `arguments`, `left`), if any. */
  get field(): string | null {
    const f = this.tree.fields[this.id];
    return f === 0 ? null : FIELDS.list[f];
  }

  get parent(): Node | null {
    const p = this.tree.parents[this.id];
    return p < 0 ? null : this.tree.node(p);
  }

  get children(): Node[] {
    return this.tree.childrenOf(this.id);
  }

  /** This node and every node below it, in source order (made from the run of ids, no walking). */
  subtree(): Node[] {
    const last = this.lastId;
    const out = new Array<Node>(last - this.id + 1);
    for (let i = this.id; i <= last; i++) out[i - this.id] = this.tree.node(i);
    return out;
  }

  /**
   * This node and every node below it whose type is one of `types`, in source order: what `subtree()` filtered by
   * type gives, from a scan of the store's type column, so only the matches are made into objects (a statement's
   * walk for its assignments or identifiers made every node of it, most of them never asked anything else).
   */
  subtreeOfTypes(types: readonly string[]): Node[] {
    const found: Node[] = [];
    const wanted = types.map((t) => TYPES.ids.get(t) ?? -1);
    const { types: column } = this.tree;
    for (let i = this.id, last = this.lastId; i <= last; i++)
      if (wanted.includes(column[i])) found.push(this.tree.node(i));
    return found;
  }

  get text(): string {
    return this.tree.text.slice(this.startIndex, this.endIndex);
  }

  get isError(): boolean {
    return this.type === 'ERROR';
  }

  get startPosition(): Point {
    return this.tree.point(this.startIndex);
  }

  get endPosition(): Point {
    return this.tree.point(this.endIndex);
  }

  /** The named children, found in the store (the punctuation and keywords between them are not made). */
  get namedChildren(): Node[] {
    if (!this.named) {
      // Counted first, as `children`.
      const { lasts, flags } = this.tree;
      const last = lasts[this.id];
      let count = 0;
      for (let c = this.id + 1; c <= last; c = lasts[c] + 1) if (flags[c] & NAMED) count++;
      const named = (this.named = count === 0 ? NO_CHILDREN : new Array<Node>(count));
      for (let c = this.id + 1, k = 0; c <= last; c = lasts[c] + 1)
        if (flags[c] & NAMED) named[k++] = this.tree.node(c);
    }
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

  /** The first child filling field `name`, found in the store (no other child is made). */
  childForFieldName(name: string): Node | null {
    const f = FIELDS.ids.get(name);
    if (f === undefined) return null;
    const { lasts, fields } = this.tree;
    const last = lasts[this.id];
    for (let c = this.id + 1; c <= last; c = lasts[c] + 1) if (fields[c] === f) return this.tree.node(c);
    return null;
  }

  childrenForFieldName(name: string): Node[] {
    return this.children.filter((c) => c.field === name);
  }

  get nextSibling(): Node | null {
    const p = this.tree.parents[this.id];
    const next = this.tree.lasts[this.id] + 1;
    return p >= 0 && next <= this.tree.lasts[p] ? this.tree.node(next) : null;
  }

  get nextNamedSibling(): Node | null {
    const { parents, lasts, flags } = this.tree;
    const p = parents[this.id];
    if (p < 0) return null;
    for (let c = lasts[this.id] + 1; c <= lasts[p]; c = lasts[c] + 1) if (flags[c] & NAMED) return this.tree.node(c);
    return null;
  }

  get previousNamedSibling(): Node | null {
    const siblings = this.parent?.children ?? [];
    for (let i = this.index - 1; i >= 0; i--) if (siblings[i].isNamed) return siblings[i];
    return null;
  }

  /** The root of the tree this node is in. */
  get root(): Node {
    return this.tree.node(0);
  }

  /** Every node of `type` below this one, in source order (a scan of the store: only the matches are made). */
  descendantsOfType(type: string): Node[] {
    const found: Node[] = [];
    const t = TYPES.ids.get(type);
    if (t === undefined) return found;
    const { types } = this.tree;
    for (let i = this.id + 1, last = this.lastId; i <= last; i++) if (types[i] === t) found.push(this.tree.node(i));
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
  const n = compactStarts.length;
  // The piece of the last answer: a parse asks in source order, mostly within the same piece or the next.
  let k = -1;
  return (index, isEnd) => {
    // The last piece starting at or before the offset (strictly before, for an end).
    for (let tries = 0; tries < 2 && k >= 0; tries++, k++) {
      const from = compactStarts[k];
      const to = k + 1 < n ? compactStarts[k + 1] : Infinity;
      if (isEnd ? from < index && index <= to : from <= index && index < to) return sourceStarts[k] + (index - from);
      if (isEnd ? index <= from : index < from) break;
    }
    let lo = 0;
    let hi = compactStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (isEnd ? compactStarts[mid] < index : compactStarts[mid] <= index) lo = mid + 1;
      else hi = mid;
    }
    k = lo - 1;
    return k < 0 ? index : sourceStarts[k] + (index - compactStarts[k]);
  };
}

/**
 * Copies tree-sitter's tree (which the caller then deletes) into `Node`s, iteratively with one cursor. With
 * `offsets`, tree-sitter parsed a compacted text, and every node gets its position in `text`, the script.
 */
export function buildTree(tree: Tree, text: string, offsets?: OffsetMap): SourceTree {
  const source = new Source(text, 1024);
  const map = mapper(offsets);
  const cursor = tree.walk();
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
  const make = (parent: number, field: string | null): number => {
    const compactStart = cursor.startIndex;
    const compactEnd = cursor.endIndex;
    // Only a zero-width node can be one tree-sitter inserted (MISSING); asking costs another call.
    const missing = compactStart === compactEnd && cursor.nodeIsMissing;
    const start = map(compactStart, false);
    const end = compactEnd === compactStart ? start : map(compactEnd, true);
    const { type, named } = typeOf(cursor.nodeTypeId);
    const id = source.count++;
    source.reserve(id + 1);
    source.put(id, type, named, missing, start, end, parent, field, id);
    return id;
  };
  const result = (tooDeep: number): SourceTree => ({
    root: source.node(0),
    ...(tooDeep >= 0 ? { tooDeep: source.node(tooDeep) } : {}),
  });
  make(-1, null);
  let tooDeep = -1;
  // `stack` holds the ids from the root down to the parent of the node the cursor is on.
  const stack: number[] = [0];
  try {
    if (!cursor.gotoFirstChild()) return result(tooDeep);
    for (;;) {
      const depth = stack.length;
      const parent = stack[depth - 1];
      const id = make(parent, language.fields[cursor.currentFieldId] ?? null);
      if (source.hasErrorAt(id)) source.markError(parent);
      if (depth >= MAX_TREE_DEPTH) {
        if (tooDeep < 0) tooDeep = id;
      } else if (cursor.gotoFirstChild()) {
        stack.push(id);
        continue;
      }
      // No children to visit: on to the next sibling, climbing while a parent's children are all done.
      while (!cursor.gotoNextSibling()) {
        cursor.gotoParent();
        const done = stack.pop()!;
        source.lasts[done] = source.count - 1;
        if (stack.length === 0) return result(tooDeep);
        if (source.hasErrorAt(done)) source.markError(stack[stack.length - 1]);
      }
    }
  } finally {
    cursor.delete();
  }
}
