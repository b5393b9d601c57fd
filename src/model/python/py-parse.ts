/**
 * The fast path of the Python parser: a hand-written tokenizer and recursive-descent parser that builds the very
 * tree tree-sitter-python gives (py-node.ts's `Node`s: every node's type, named-ness, field, position and order,
 * the anonymous tokens included) for the code it knows, in plain JavaScript, about 20 times faster than
 * tree-sitter's parse plus the copy of its tree out of WebAssembly.
 *
 * It is an optimisation only. On anything it does not know (a rare form: `match`, `async`, Python 2 `print`,
 * decorators' odd expressions, …) and on every syntax error it gives up (throws `Bail`), and the script goes to
 * tree-sitter as before, which also gives broken files their error recovery and positioned errors.
 * The differential tests (test/unit/python-fast-parse.test.ts) hold it to tree-sitter's tree on every fixture and on
 * mutated ones.
 *
 * It reads the compacted text (tree-sitter.ts's compactSource: no comments, no long literals, no line
 * continuations), as tree-sitter does, and maps positions back with the same OffsetMap, so both paths give the
 * same tree by construction of the text.
 */
import { doubled, MAX_TREE_DEPTH, mapper, Source, type OffsetMap, type SourceTree } from './py-node';

/** Thrown when the fast parser gives the script to tree-sitter; `reason` is for tests and profiling. */
export class Bail {
  /** Where in the parsed text the fast parser was when it gave up. */
  at = -1;
  constructor(readonly reason: string) {}
}

function bail(reason: string): never {
  throw new Bail(reason);
}

/** Nesting (brackets, unary operators, blocks) deeper than this goes to tree-sitter, which bounds the tree's depth. */
const MAX_NESTING = 150;

const enum T {
  Name,
  Keyword,
  Op,
  Number,
  String,
  Newline,
  Indent,
  Dedent,
  End,
}

const KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

/** tree-sitter-python's binary operator precedences (grammar.js PREC; note `^` binds tighter than `&` there). */
const BINARY = new Map<string, number>([
  ['|', 14],
  ['&', 15],
  ['^', 16],
  ['<<', 17],
  ['>>', 17],
  ['+', 18],
  ['-', 18],
  ['*', 19],
  ['@', 19],
  ['/', 19],
  ['%', 19],
  ['//', 19],
  ['**', 21],
]);
const COMPARISONS = new Set(['<', '<=', '==', '!=', '>=', '>']);
/** The keywords that continue an operand into a larger expression (with BINARY and COMPARISONS). */
const CONTINUING_KEYWORDS = new Set(['and', 'or', 'in', 'not', 'is']);
const AUGMENTED = new Set(['+=', '-=', '*=', '/=', '@=', '//=', '%=', '**=', '>>=', '<<=', '&=', '^=', '|=']);
const OPS3 = new Set(['**=', '//=', '>>=', '<<=', '...']);
const OPS2 = new Set([
  '->',
  ':=',
  '**',
  '//',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '@=',
  '&=',
  '|=',
  '^=',
]);
const OPS1 = '+-*/%@&|^~<>()[]{},:;.=';

/** The keywords by their first character's code, to tell a name from a keyword without slicing it. */
const KEYWORDS_BY_FIRST: (string[] | undefined)[] = [];
for (const k of KEYWORDS) (KEYWORDS_BY_FIRST[k.charCodeAt(0)] ??= []).push(k);

/**
 * Operators by their characters' codes (one, two or three of them below 128), each its canonical string: an
 * anonymous node's type is its token's text, and a large file has millions of them; a slice of the source for each
 * would be kept alive by the tree. A name is not sliced at all; a keyword gets its string from KEYWORDS.
 */
const OP1: (string | undefined)[] = [];
const OP2: (string | undefined)[] = [];
const OP3 = new Map<number, string>();
for (const op of OPS1) OP1[op.charCodeAt(0)] = op;
for (const op of OPS2) OP2[op.charCodeAt(0) * 128 + op.charCodeAt(1)] = op;
for (const op of OPS3) OP3.set((op.charCodeAt(0) * 128 + op.charCodeAt(1)) * 128 + op.charCodeAt(2), op);

const DIGITS = '[0-9](?:_?[0-9])*_?';
const EXPONENT = `[eE][+-]?${DIGITS}`;
const FLOAT = new RegExp(
  `(?:${DIGITS}\\.(?:${DIGITS})?(?:${EXPONENT})?|\\.${DIGITS}(?:${EXPONENT})?|${DIGITS}${EXPONENT})[jJ]?`,
  'y',
);
const INTEGER = new RegExp(
  `0[xX](?:_?[A-Fa-f0-9]+)+[Ll]?|0[oO](?:_?[0-7]+)+[Ll]?|0[bB](?:_?[01]+)+[Ll]?|${DIGITS}[LlJj]?`,
  'y',
);
const ESCAPE = /\\(?:u[a-fA-F\d]{4}|U[a-fA-F\d]{8}|x[a-fA-F\d]{2}|\d{1,3}|\r?\n|['"abfrntv\\]|N\{[^}]+\})/y;
const STRING_PREFIX = /^[rRbBuUfFtT]+$/;

/**
 * A node as the parse builds it, before it has a place in the tree: its number in the parser's scratch store (the
 * `b…` columns of FastParser), where the nodes of the statement being read are kept in postorder, each node right
 * after its children, so a subtree is the run of numbers ending at its root (its size is kept). The parse makes a
 * top-level statement's nodes there, `emit` writes them into the tree's store (py-node.ts's `Source`) in preorder,
 * and the scratch store is reused for the next statement: no object per node.
 */
type Built = number;

/** A subtree taken out of the scratch store as objects, for the rare rewrites that reorder nodes (type hints). */
interface Loose {
  type: string;
  named: boolean;
  start: number;
  end: number;
  field: string | null;
  children: Loose[];
}

const looseNode = (type: string, children: Loose[]): Loose => ({
  type,
  named: true,
  start: children[0].start,
  end: children[children.length - 1].end,
  field: null,
  children,
});

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

const LAMBDA_PARAMETERS = true;

/** Parses `text` (the compacted script) into the tree tree-sitter would give; throws `Bail` when it cannot. */
export function parseFast(text: string, sourceText: string, offsets?: OffsetMap): SourceTree {
  return new FastParser(text, sourceText, offsets).module();
}

class FastParser {
  private readonly n: number;
  private readonly source: Source;
  private readonly map: (index: number, isEnd: boolean) => number;
  // The tokenizer's state.
  private pos = 0;
  private depth = 0;
  private readonly indents: number[] = [0];
  private pendingDedents = 0;
  private atLineStart = true;
  private prev: T = T.Newline;
  // The current token.
  private tok: T = T.End;
  private val = '';
  /** The current token's binary operator precedence (BINARY), -1 when it is no binary operator. */
  private prec = -1;
  /** Whether the current token may continue an operand into an operator (binary, comparison, `and`, `or`). */
  private continues = false;
  private start = 0;
  private end = 0;
  private nesting = 0;
  /** Where the last token taken as a leaf ended. */
  private taken = 0;

  get position(): number {
    return this.start;
  }

  constructor(
    private readonly s: string,
    sourceText: string,
    offsets: OffsetMap | undefined,
  ) {
    this.n = s.length;
    this.source = new Source(sourceText, Math.max(64, Math.ceil(s.length / 2)));
    this.map = mapper(offsets);
  }

  // ---- tokenizer ----

  private set(tok: T, start: number, end: number, val: string): void {
    this.tok = tok;
    this.start = start;
    this.end = end;
    this.val = val;
    this.prev = tok;
    this.prec = -1;
    this.continues = tok === T.Keyword && CONTINUING_KEYWORDS.has(val);
  }

  private next(): void {
    const s = this.s;
    if (this.pendingDedents > 0) {
      this.pendingDedents--;
      this.set(T.Dedent, this.pos, this.pos, '');
      return;
    }
    if (this.atLineStart && this.depth === 0) {
      this.atLineStart = false;
      let i = this.pos;
      let col = 0;
      for (;;) {
        const c = s.charCodeAt(i);
        if (c === 32) {
          col++;
          i++;
        } else if (c === 10) {
          col = 0;
          i++;
        } else if (c === 13) {
          if (s.charCodeAt(i + 1) !== 10) bail('a lone carriage return');
          col = 0;
          i++;
        } else if (c === 9 || c === 12 || c === 92) bail('a tab, form feed or backslash in indentation');
        else break;
      }
      this.pos = i;
      if (i < this.n) {
        const current = this.indents[this.indents.length - 1];
        if (col > current) {
          this.indents.push(col);
          this.set(T.Indent, i, i, '');
          return;
        }
        if (col < current) {
          let k = 0;
          while (this.indents[this.indents.length - 1] > col) {
            this.indents.pop();
            k++;
          }
          if (this.indents[this.indents.length - 1] !== col) bail('a dedent to no enclosing level');
          this.pendingDedents = k - 1;
          this.set(T.Dedent, i, i, '');
          return;
        }
      }
    }
    let i = this.pos;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 12) {
        i++;
        continue;
      }
      if (c === 13) {
        if (s.charCodeAt(i + 1) !== 10) bail('a lone carriage return');
        i++;
        continue;
      }
      if (c === 10) {
        i++;
        if (this.depth > 0) continue;
        this.pos = i;
        this.atLineStart = true;
        this.set(T.Newline, i - 1, i - 1, '');
        return;
      }
      break;
    }
    this.pos = i;
    if (i >= this.n) {
      if (this.depth > 0) bail('unclosed bracket');
      if (this.prev !== T.Newline && this.prev !== T.Dedent) {
        this.set(T.Newline, i, i, '');
        return;
      }
      if (this.indents.length > 1) {
        this.indents.pop();
        this.set(T.Dedent, i, i, '');
        return;
      }
      this.set(T.End, i, i, '');
      return;
    }
    const c = s.charCodeAt(i);
    if (isNameStart(c)) {
      let j = i + 1;
      while (isNameChar(s.charCodeAt(j))) j++;
      const q = s.charCodeAt(j);
      if ((q === 34 || q === 39) && j - i <= 3 && STRING_PREFIX.test(s.slice(i, j))) {
        this.set(T.String, i, i, '');
        return;
      }
      if (q >= 128) bail('a non-ASCII name');
      this.pos = j;
      // A name's text is not sliced (the tree keeps positions): only a keyword gets its string, the canonical one.
      const candidates = KEYWORDS_BY_FIRST[c];
      if (candidates !== undefined)
        for (let k = 0; k < candidates.length; k++) {
          const keyword = candidates[k];
          if (keyword.length === j - i && s.startsWith(keyword, i)) return this.set(T.Keyword, i, j, keyword);
        }
      this.set(T.Name, i, j, '');
      return;
    }
    if (c === 34 || c === 39) {
      this.set(T.String, i, i, '');
      return;
    }
    if (c >= 48 && c <= 57) {
      // A run of digits ended by neither a name's character nor a dot is an integer (most numbers).
      let j = i + 1;
      let d = s.charCodeAt(j);
      while (d >= 48 && d <= 57) d = s.charCodeAt(++j);
      if (!isNameChar(d) && d !== 46 && !(d >= 128)) {
        this.pos = j;
        return this.set(T.Number, i, j, 'integer');
      }
    }
    if ((c >= 48 && c <= 57) || (c === 46 && s.charCodeAt(i + 1) >= 48 && s.charCodeAt(i + 1) <= 57)) {
      FLOAT.lastIndex = i;
      let m = FLOAT.exec(s);
      let type = 'float';
      INTEGER.lastIndex = i;
      const m2 = INTEGER.exec(s);
      if (!m || (m2 && m2[0].length >= m[0].length)) {
        m = m2;
        type = 'integer';
      }
      if (!m) bail('a number');
      const j = i + m[0].length;
      const after = s.charCodeAt(j);
      if (isNameChar(after) || after === 46 || after >= 128) bail('a number run into a name');
      this.pos = j;
      this.set(T.Number, i, j, type);
      return;
    }
    if (c >= 128) bail('a non-ASCII character');
    const c1 = s.charCodeAt(i + 1);
    if (c1 === c) {
      const three = OP3.get((c * 128 + c1) * 128 + s.charCodeAt(i + 2));
      if (three !== undefined) return this.op(three, i);
    }
    if (c === 60 && c1 === 62) bail('<>');
    const two = c1 < 128 ? OP2[c * 128 + c1] : undefined;
    if (two !== undefined) return this.op(two, i);
    const one = OP1[c];
    if (one !== undefined) return this.op(one, i);
    if (c === 33) return this.op('!', i);
    bail(`the character ${JSON.stringify(s[i])}`);
  }

  private op(value: string, i: number): void {
    const c = value.charCodeAt(0);
    if (value.length === 1) {
      if (c === 40 || c === 91 || c === 123) this.depth++;
      else if (c === 41 || c === 93 || c === 125) this.depth--;
    }
    this.pos = i + value.length;
    this.set(T.Op, i, i + value.length, value);
    const prec = BINARY.get(value);
    if (prec !== undefined) this.prec = prec;
    this.continues = prec !== undefined || COMPARISONS.has(value);
  }

  /** The current token's kind, unnarrowed (TypeScript does not see `next()` change it). */
  private current(): T {
    return this.tok;
  }

  /** Whether the current token is the name `word` (names are not sliced: `val` is empty for them). */
  private nameIs(word: string): boolean {
    return this.tok === T.Name && this.end - this.start === word.length && this.s.startsWith(word, this.start);
  }

  private is(value: string): boolean {
    return (this.tok === T.Op || this.tok === T.Keyword) && this.val === value;
  }

  /** Whether the character after the current token (skipping blanks) is `=` but not `==`. */
  private equalsFollows(): boolean {
    let i = this.end;
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) i++;
      else break;
    }
    return s.charCodeAt(i) === 61 && s.charCodeAt(i + 1) !== 61;
  }

  // ---- nodes ----

  // The scratch store (see Built): by node number, its type, field, named-ness, span and subtree size.
  private bCount = 0;
  private readonly bTypes: string[] = [];
  private readonly bFields: (string | null)[] = [];
  private bNamed = new Uint8Array(256);
  private bStarts = new Int32Array(256);
  private bEnds = new Int32Array(256);
  private bSizes = new Int32Array(256);

  /** A new node in the scratch store: a leaf (`size` 1), or the root of the `size - 1` nodes before it. */
  private make(type: string, named: boolean, start: number, end: number, size: number): Built {
    const b = this.bCount++;
    if (b === this.bSizes.length) {
      this.bNamed = doubled(this.bNamed, (n) => new Uint8Array(n));
      this.bStarts = doubled(this.bStarts, (n) => new Int32Array(n));
      this.bEnds = doubled(this.bEnds, (n) => new Int32Array(n));
      this.bSizes = doubled(this.bSizes, (n) => new Int32Array(n));
    }
    this.bTypes[b] = type;
    this.bFields[b] = null;
    this.bNamed[b] = named ? 1 : 0;
    this.bStarts[b] = start;
    this.bEnds[b] = end;
    this.bSizes[b] = size;
    return b;
  }

  /** A node's type (`pattern` renames a few: the parse reads `(a, b)` as a tuple, then finds it assigned to). */
  private kind(b: Built): string {
    return this.bTypes[b];
  }

  /** A node's children, in order (read from the subtree sizes). */
  private kids(b: Built): Built[] {
    const out: Built[] = [];
    for (let c = b - 1; c > b - this.bSizes[b]; c -= this.bSizes[c]) out.push(c);
    return out.reverse();
  }

  /**
   * A node over `children`, which must be the last subtrees made, in order, with nothing between them: checked,
   * since a node left out or made out of order would shift the tree (a parser bug then sends the script to
   * tree-sitter instead of giving a wrong tree).
   */
  private adopt(type: string, named: boolean, start: number, end: number, children: Built[]): Built {
    let at = this.bCount - 1;
    for (let i = children.length - 1; i >= 0; i--) {
      if (children[i] !== at) bail('internal: a node made out of order');
      at -= this.bSizes[at];
    }
    return this.make(type, named, start, end, this.bCount - at);
  }

  /** The subtree at `b` as objects. */
  private loosen(b: Built): Loose {
    const children = this.kids(b).map((c) => this.loosen(c));
    const { bTypes, bFields, bNamed, bStarts, bEnds } = this;
    return { type: bTypes[b], named: bNamed[b] === 1, start: bStarts[b], end: bEnds[b], field: bFields[b], children };
  }

  /** Appends a subtree of objects to the scratch store. */
  private fasten(node: Loose): Built {
    const children = node.children.map((c) => this.fasten(c));
    const b = children.length
      ? this.adopt(node.type, node.named, node.start, node.end, children)
      : this.make(node.type, node.named, node.start, node.end, 1);
    this.bFields[b] = node.field;
    return b;
  }

  private leaf(type: string, named: boolean, start: number, end: number): Built {
    const from = this.map(start, false);
    return this.make(type, named, from, end === start ? from : this.map(end, true), 1);
  }

  /** The current token as a leaf (anonymous: keywords and operators), and on to the next token. */
  private take(): Built {
    const node = this.leaf(this.val, false, this.start, this.end);
    this.taken = this.end;
    this.next();
    return node;
  }

  private expect(value: string): Built {
    if (!this.is(value)) bail(`expected '${value}'`);
    return this.take();
  }

  private name(): Built {
    if (this.tok !== T.Name) bail('expected a name');
    const node = this.leaf('identifier', true, this.start, this.end);
    this.next();
    return node;
  }

  private node(type: string, children: Built[]): Built {
    const first = children[0];
    const last = children[children.length - 1];
    return this.adopt(type, true, this.bStarts[first], this.bEnds[last], children);
  }

  /**
   * A node over every subtree made since `first`'s, `first` included: its children, in order, with no list made
   * (the common nodes: a call, an attribute, an operator, an argument list).
   */
  private nodeFrom(type: string, first: Built): Built {
    // The subtree of `first` starts at first - size + 1; the new node counts itself.
    const size = this.bCount - (first - this.bSizes[first] + 1) + 1;
    return this.make(type, true, this.bStarts[first], this.bEnds[this.bCount - 1], size);
  }

  private span(type: string, start: number, end: number, children: Built[]): Built {
    if (!children.length) return this.leaf(type, true, start, end);
    const from = this.map(start, false);
    return this.adopt(type, true, from, end === start ? from : this.map(end, true), children);
  }

  private enter(): void {
    if (++this.nesting > MAX_NESTING) bail('nested too deep');
  }

  // ---- statements ----

  module(): SourceTree {
    this.next();
    const source = this.source;
    source.reserve(1);
    source.put(source.count++, 'module', true, false, 0, this.n > 0 ? this.map(this.n, true) : 0, -1, null, 0);
    // Each top-level statement is written into the store as soon as it is read; the scratch store is then reused.
    const children: Built[] = [];
    let count = 0;
    while (this.tok !== T.End) {
      this.statement(children);
      for (let i = 0; i < children.length; i++) {
        const b = children[i];
        if (count === 0) source.starts[0] = this.bStarts[b];
        const id = source.count;
        source.reserve(id + this.bSizes[b]);
        this.emit(b, id, 0, 1);
        count++;
        source.count = id + this.bSizes[b];
      }
      children.length = 0;
      this.bCount = 0;
    }
    if (count === 0 && this.n > 0) bail('no statements');
    source.lasts[0] = source.count - 1;
    return { root: source.node(0) };
  }

  /**
   * Writes the scratch store's subtree `b` into the tree's store in preorder, as node `id` (a child of `parent`):
   * its subtree is ids id…id+size-1, its last child's subtree ends there, and each elder sibling's ends where the
   * next one's starts. A tree deeper than tree-sitter keeps goes back to tree-sitter, which
   * gives the positioned error.
   */
  private emit(b: Built, id: number, parent: number, depth: number): void {
    const sizes = this.bSizes;
    const size = sizes[b];
    const { bTypes, bNamed, bStarts, bEnds, bFields } = this;
    this.source.put(id, bTypes[b], bNamed[b] === 1, false, bStarts[b], bEnds[b], parent, bFields[b], id + size - 1);
    if (size === 1) return;
    // Refused before going deeper: the recursion stays under MAX_TREE_DEPTH frames.
    if (depth >= MAX_TREE_DEPTH - 10) bail('a tree too deep');
    let next = id + size;
    for (let c = b - 1; c > b - size; c -= sizes[c]) {
      next -= sizes[c];
      this.emit(c, next, id, depth + 1);
    }
  }

  private statement(out: Built[]): void {
    const t = this.tok;
    if (t === T.Keyword) {
      switch (this.val) {
        case 'if':
          return void out.push(this.ifStatement());
        case 'for':
          return void out.push(this.forStatement());
        case 'while':
          return void out.push(this.whileStatement());
        case 'try':
          return void out.push(this.tryStatement());
        case 'with':
          return void out.push(this.withStatement());
        case 'def':
          return void out.push(this.functionDefinition());
        case 'class':
          return void out.push(this.classDefinition());
      }
    } else if (t === T.Op && this.val === '@') return void out.push(this.decorated());
    this.simpleStatements(out);
  }

  private simpleStatements(out: Built[]): void {
    for (;;) {
      out.push(this.simpleStatement());
      if (this.is(';')) {
        out.push(this.take());
        if (this.tok === T.Newline) break;
        continue;
      }
      break;
    }
    if (this.tok !== T.Newline) bail('expected the end of the line');
    this.next();
  }

  private simpleStatement(): Built {
    if (this.tok === T.Keyword) {
      switch (this.val) {
        case 'import':
          return this.importStatement();
        case 'from':
          return this.importFrom();
        case 'return': {
          const kids = [this.take()];
          if (!this.endsStatement()) kids.push(this.expressions());
          return this.node('return_statement', kids);
        }
        case 'pass':
          return this.node('pass_statement', [this.take()]);
        case 'break':
          return this.node('break_statement', [this.take()]);
        case 'continue':
          return this.node('continue_statement', [this.take()]);
        case 'del':
          return this.node('delete_statement', [this.take(), this.expressions()]);
        case 'raise': {
          const kids = [this.take()];
          if (!this.endsStatement() && !this.is('from')) kids.push(this.expressions());
          if (this.is('from')) {
            kids.push(this.take());
            kids.push(this.field(this.expression(), 'cause'));
          }
          return this.node('raise_statement', kids);
        }
        case 'global':
        case 'nonlocal': {
          const type = this.val === 'global' ? 'global_statement' : 'nonlocal_statement';
          const kids = [this.take(), this.name()];
          while (this.is(',')) kids.push(this.take(), this.name());
          return this.node(type, kids);
        }
        case 'assert': {
          const kids = [this.take(), this.expression()];
          while (this.is(',')) kids.push(this.take(), this.expression());
          return this.node('assert_statement', kids);
        }
        case 'yield':
          return this.node('expression_statement', [this.yieldExpression()]);
        case 'lambda':
        case 'not':
        case 'None':
        case 'True':
        case 'False':
          return this.expressionStatement();
        default:
          bail(`the keyword '${this.val}' here`);
      }
    }
    if (this.nameIs('print') || this.nameIs('exec')) {
      // Python 2's print statement is another node; only a plain call is read here.
      if (this.s[this.end] !== '(') bail('print or exec without parentheses');
      const statement = this.expressionStatement();
      const kids = this.kids(statement);
      if (kids.length !== 1 || this.kind(kids[0]) !== 'call') bail('print or exec');
      return statement;
    }
    if (this.nameIs('type') || this.nameIs('match')) {
      const c = this.s[this.end];
      if (c !== '(' && c !== '.' && c !== '[' && c !== ' ' && c !== '=') bail('type or match');
    }
    return this.expressionStatement();
  }

  private endsStatement(): boolean {
    return this.tok === T.Newline || this.is(';');
  }

  private field(node: Built, name: string): Built {
    this.bFields[node] = name;
    return node;
  }

  private expressionStatement(): Built {
    const items = this.starredList();
    if (this.is('=')) return this.nodeFrom('expression_statement', this.assignment(items));
    if (this.tok === T.Op && AUGMENTED.has(this.val)) {
      const left = this.field(this.target(items), 'left');
      const op = this.field(this.take(), 'operator');
      const right = this.field(this.rightHandSide(), 'right');
      return this.node('expression_statement', [this.node('augmented_assignment', [left, op, right])]);
    }
    if (this.is(':')) {
      if (items.length !== 1) bail('an annotated list');
      const left = this.field(this.pattern(items[0]), 'left');
      const kids = [left, this.take(), this.field(this.type(), 'type')];
      if (this.is('=')) kids.push(this.take(), this.field(this.rightHandSide(), 'right'));
      return this.node('expression_statement', [this.node('assignment', kids)]);
    }
    for (const item of items) if (this.kind(item) === 'list_splat') bail('a starred expression statement');
    return this.node('expression_statement', items);
  }

  /** `a = b`, `a, b = c = d`: `items` is what came before the `=`. */
  private assignment(items: Built[]): Built {
    const left = this.field(this.target(items), 'left');
    const eq = this.take();
    const right = this.field(this.rightHandSide(), 'right');
    return this.node3('assignment', left, eq, right);
  }

  private rightHandSide(): Built {
    if (this.is('yield')) return this.yieldExpression();
    const items = this.starredList();
    if (this.is('=')) return this.assignment(items);
    if (this.tok === T.Op && AUGMENTED.has(this.val)) bail('a chained augmented assignment');
    return this.listOf(items, 'expression_list');
  }

  /** Expressions separated by commas (a trailing one allowed), each possibly `*x`, as [e, ',', e, …]. */
  private starredList(): Built[] {
    const items = [this.starred()];
    while (this.is(',')) {
      items.push(this.take());
      if (this.endsStatement() || this.is('=') || this.is(':') || (this.tok === T.Op && AUGMENTED.has(this.val))) break;
      items.push(this.starred());
    }
    return items;
  }

  private starred(): Built {
    if (this.is('*')) {
      const star = this.take();
      const operand = this.postfix();
      const kind = this.kind(operand);
      if (kind !== 'identifier' && kind !== 'attribute' && kind !== 'subscript') bail('a starred expression');
      return this.node('list_splat', [star, operand]);
    }
    return this.expression();
  }

  private listOf(items: Built[], type: string): Built {
    return items.length === 1 ? items[0] : this.node(type, items);
  }

  /** An assignment's left side as tree-sitter's patterns: one pattern, or a pattern_list. */
  private target(items: Built[]): Built {
    if (items.length === 1) return this.pattern(items[0]);
    for (const item of items) if (this.kind(item) !== ',') this.pattern(item);
    return this.node('pattern_list', items);
  }

  /** Renames an expression read before an `=` (or in a for) to the pattern tree-sitter reads there. */
  private pattern(node: Built): Built {
    const kind = this.kind(node);
    switch (kind) {
      case 'identifier':
      case 'attribute':
      case 'subscript':
        return node;
      case 'list_splat':
        this.bTypes[node] = 'list_splat_pattern';
        return node;
      case 'tuple':
      case 'list':
        this.bTypes[node] = kind === 'tuple' ? 'tuple_pattern' : 'list_pattern';
        for (const c of this.kids(node)) if (this.bNamed[c]) this.pattern(c);
        return node;
      default:
        return bail(`a ${kind} as an assignment target`);
    }
  }

  /** `_expressions`: one expression, or an expression_list. */
  private expressions(): Built {
    const first = this.expression();
    if (!this.is(',')) return first;
    const items = [first];
    while (this.is(',')) {
      items.push(this.take());
      if (this.endsStatement() || this.is(':') || this.is('=') || this.is('from')) break;
      items.push(this.expression());
    }
    return this.node('expression_list', items);
  }

  private yieldExpression(): Built {
    const kids = [this.take()];
    if (this.is('from')) kids.push(this.take(), this.expression());
    else if (!this.endsStatement() && !this.is(')') && !this.is(']') && !this.is('}') && !this.is('='))
      kids.push(this.expressions());
    return this.node('yield', kids);
  }

  private dottedName(): Built {
    const kids = [this.name()];
    while (this.is('.')) kids.push(this.take(), this.name());
    return this.node('dotted_name', kids);
  }

  private importNames(kids: Built[]): void {
    for (;;) {
      const dotted = this.dottedName();
      if (this.is('as')) {
        const as = this.take();
        const alias = this.field(this.name(), 'alias');
        kids.push(this.field(this.node('aliased_import', [this.field(dotted, 'name'), as, alias]), 'name'));
      } else kids.push(this.field(dotted, 'name'));
      if (!this.is(',')) return;
      kids.push(this.take());
      if (this.endsStatement() || this.is(')')) return;
    }
  }

  private importStatement(): Built {
    const kids = [this.take()];
    this.importNames(kids);
    return this.node('import_statement', kids);
  }

  private importFrom(): Built {
    const from = this.take();
    if (this.nameIs('__future__')) bail('a __future__ import');
    let module: Built;
    if (this.is('.')) {
      const dots: Built[] = [];
      while (this.is('.')) dots.push(this.take());
      const prefix = this.node('import_prefix', dots);
      module = this.node('relative_import', this.tok === T.Name ? [prefix, this.dottedName()] : [prefix]);
    } else module = this.dottedName();
    const kids = [from, this.field(module, 'module_name'), this.expect('import')];
    if (this.is('*')) {
      kids.push(this.node('wildcard_import', [this.take()]));
    } else if (this.is('(')) {
      kids.push(this.take());
      this.importNames(kids);
      kids.push(this.expect(')'));
    } else this.importNames(kids);
    return this.node('import_from_statement', kids);
  }

  // ---- compound statements ----

  /** `: body`: an indented block, or simple statements on the same line, as a `block`. */
  private suite(): Built {
    this.enter();
    const kids: Built[] = [];
    if (this.tok === T.Newline) {
      this.next();
      if (this.current() !== T.Indent) {
        // No indented line: tree-sitter reads an empty block where the line ends (a cell of magics only).
        this.nesting--;
        return this.field(this.span('block', this.taken, this.taken, []), 'body');
      }
      this.next();
      while (this.current() !== T.Dedent) {
        if (this.current() === T.End) bail('end of file in a block');
        this.statement(kids);
      }
      this.next();
    } else this.simpleStatements(kids);
    this.nesting--;
    return this.field(this.node('block', kids), 'body');
  }

  private ifStatement(): Built {
    const kids = [this.take(), this.field(this.expression(), 'condition'), this.expect(':')];
    kids.push(this.field(this.suite(), 'consequence'));
    while (this.is('elif')) {
      const clause = [this.take(), this.field(this.expression(), 'condition'), this.expect(':')];
      clause.push(this.field(this.suite(), 'consequence'));
      kids.push(this.field(this.node('elif_clause', clause), 'alternative'));
    }
    if (this.is('else')) kids.push(this.field(this.elseClause(), 'alternative'));
    return this.node('if_statement', kids);
  }

  private elseClause(): Built {
    return this.node('else_clause', [this.take(), this.expect(':'), this.suite()]);
  }

  private forStatement(): Built {
    const kids = [this.take(), this.field(this.targets(), 'left'), this.expect('in')];
    kids.push(this.field(this.expressions(), 'right'), this.expect(':'), this.suite());
    if (this.is('else')) kids.push(this.field(this.elseClause(), 'alternative'));
    return this.node('for_statement', kids);
  }

  /** A for's targets (`x`, `i, (a, b)`), read up to `in`. */
  private targets(): Built {
    const items = [this.pattern(this.starredTarget())];
    while (this.is(',')) {
      items.push(this.take());
      if (this.is('in')) break;
      items.push(this.pattern(this.starredTarget()));
    }
    return items.length === 1 ? items[0] : this.node('pattern_list', items);
  }

  private starredTarget(): Built {
    if (this.is('*')) {
      const star = this.take();
      return this.node('list_splat', [star, this.postfix()]);
    }
    return this.postfix();
  }

  private whileStatement(): Built {
    const kids = [this.take(), this.field(this.expression(), 'condition'), this.expect(':'), this.suite()];
    if (this.is('else')) kids.push(this.field(this.elseClause(), 'alternative'));
    return this.node('while_statement', kids);
  }

  private tryStatement(): Built {
    const kids = [this.take(), this.expect(':'), this.suite()];
    let handlers = 0;
    while (this.is('except')) {
      handlers++;
      const clause = [this.take()];
      if (this.is('*')) bail('except*');
      if (!this.is(':')) {
        const value = this.asPattern();
        if (this.is(',')) bail('except with a list');
        clause.push(this.field(value, 'value'));
      }
      clause.push(this.expect(':'));
      const block = this.suite();
      this.bFields[block] = null;
      clause.push(block);
      kids.push(this.node('except_clause', clause));
    }
    if (this.is('else')) {
      if (handlers === 0) bail('try-else without except');
      kids.push(this.elseClause());
    }
    if (this.is('finally')) {
      const clause = [this.take(), this.expect(':')];
      const block = this.suite();
      this.bFields[block] = null;
      clause.push(block);
      kids.push(this.node('finally_clause', clause));
    }
    return this.node('try_statement', kids);
  }

  /** An expression, or `expression as target` (in `with` and `except`). */
  private asPattern(): Built {
    const value = this.expression();
    if (!this.is('as')) return value;
    const as = this.take();
    const target = this.expression();
    this.bFields[target] = null;
    const alias = this.field(this.node('as_pattern_target', [target]), 'alias');
    return this.node('as_pattern', [value, as, alias]);
  }

  private withStatement(): Built {
    const kids = [this.take()];
    if (this.is('(')) bail('a parenthesized with');
    const items: Built[] = [];
    for (;;) {
      items.push(this.node('with_item', [this.field(this.asPattern(), 'value')]));
      if (!this.is(',')) break;
      items.push(this.take());
    }
    kids.push(this.node('with_clause', items), this.expect(':'), this.suite());
    return this.node('with_statement', kids);
  }

  private decorated(): Built {
    const kids: Built[] = [];
    while (this.is('@')) {
      const at = this.take();
      const expression = this.expression();
      kids.push(this.node('decorator', [at, expression]));
      if (this.tok !== T.Newline) bail('expected the end of a decorator');
      this.next();
    }
    if (this.is('def')) kids.push(this.field(this.functionDefinition(), 'definition'));
    else if (this.is('class')) kids.push(this.field(this.classDefinition(), 'definition'));
    else bail('a decorator before no definition');
    return this.node('decorated_definition', kids);
  }

  private functionDefinition(): Built {
    const kids = [this.take(), this.field(this.name(), 'name')];
    if (this.is('[')) bail('type parameters');
    const open = this.expect('(');
    const parameters = [open];
    this.parameters(parameters, ')', !LAMBDA_PARAMETERS);
    parameters.push(this.expect(')'));
    kids.push(this.field(this.node('parameters', parameters), 'parameters'));
    if (this.is('->')) kids.push(this.take(), this.field(this.type(), 'return_type'));
    kids.push(this.expect(':'), this.suite());
    return this.node('function_definition', kids);
  }

  /** A def's or lambda's parameters into `out`, up to `close` (not taken). */
  private parameters(out: Built[], close: string, lambda: boolean): void {
    while (!this.is(close)) {
      out.push(this.parameter(lambda));
      if (!this.is(',')) break;
      out.push(this.take());
    }
  }

  private parameter(lambda: boolean): Built {
    if (this.is('/')) return this.node('positional_separator', [this.take()]);
    if (this.is('*') || this.is('**')) {
      const double = this.val === '**';
      const star = this.take();
      if (!double && (this.is(',') || this.is(')') || this.is(':'))) return this.node('keyword_separator', [star]);
      const splat = this.node(double ? 'dictionary_splat_pattern' : 'list_splat_pattern', [star, this.name()]);
      if (!lambda && this.is(':'))
        return this.node('typed_parameter', [splat, this.take(), this.field(this.type(), 'type')]);
      return splat;
    }
    const name = this.name();
    if (!lambda && this.is(':')) {
      const colon = this.take();
      const type = this.field(this.type(), 'type');
      if (this.is('=')) {
        const eq = this.take();
        return this.node('typed_default_parameter', [
          this.field(name, 'name'),
          colon,
          type,
          eq,
          this.field(this.expression(), 'value'),
        ]);
      }
      return this.node('typed_parameter', [name, colon, type]);
    }
    if (this.is('=')) {
      const eq = this.take();
      return this.node('default_parameter', [this.field(name, 'name'), eq, this.field(this.expression(), 'value')]);
    }
    return name;
  }

  /** A type hint: tree-sitter's `type`, for the forms read here (a name, `None`, `X[...]` of those, `A | B`). */
  private type(): Built {
    const e = this.expression();
    if (this.kind(e) !== 'subscript') return this.node('type', [this.typeOf(e)]);
    // A generic type's nodes are reordered (wrapped in `type` nodes): taken out as objects and put back.
    const loose = this.loosen(e);
    this.bCount = e - this.bSizes[e] + 1;
    return this.fasten(looseNode('type', [this.looseType(loose)]));
  }

  /** A type hint that is no generic type (those go to `looseType`). */
  private typeOf(e: Built): Built {
    const kind = this.kind(e);
    if (kind === 'identifier' || kind === 'none') return e;
    if (kind === 'binary_operator') {
      const [left, op, right] = this.kids(e).map((c) => this.kind(c));
      const simple = (n: string) => n === 'identifier' || n === 'none';
      if (op === '|' && simple(left) && simple(right)) return e;
      return bail('a type hint with an operator');
    }
    return bail(`a type hint of ${kind}`);
  }

  /** A type hint, as objects: a generic type `X[...]` gets its `type` and `type_parameter` nodes. */
  private looseType(e: Loose): Loose {
    if (e.type !== 'subscript') {
      if (e.type === 'binary_operator' || e.type === 'identifier' || e.type === 'none') {
        const [left, op, right] = e.children.map((c) => c.type);
        const simple = (n: string) => n === 'identifier' || n === 'none';
        if (e.type !== 'binary_operator' || (op === '|' && simple(left) && simple(right))) return e;
        return bail('a type hint with an operator');
      }
      return bail(`a type hint of ${e.type}`);
    }
    const [value, ...rest] = e.children;
    if (value.type !== 'identifier') bail('a generic type of an attribute');
    value.field = null;
    const params = rest.map((c) => {
      if (!c.named) return c;
      c.field = null;
      return looseNode('type', [this.looseType(c)]);
    });
    return looseNode('generic_type', [value, looseNode('type_parameter', params)]);
  }

  private classDefinition(): Built {
    const kids = [this.take(), this.field(this.name(), 'name')];
    if (this.is('[')) bail('type parameters');
    if (this.is('(')) kids.push(this.field(this.argumentList(this.take()), 'superclasses'));
    kids.push(this.expect(':'), this.suite());
    return this.node('class_definition', kids);
  }

  // ---- expressions ----

  /** tree-sitter's `expression`: lambda, conditional and named expressions over `or`. */
  private expression(noConditional = false): Built {
    if (this.is('lambda')) return this.lambda();
    this.enter();
    let e: Built;
    if (this.startsAtom()) {
      // An atom with its postfixes, then the operator levels only when an operator follows (most operands are
      // plain: a name, a call, a number), instead of one call per precedence level for every operand.
      const first = this.postfix();
      e = this.continues ? this.or(0, first) : first;
    } else e = this.or();
    if (this.is(':=')) {
      if (this.kind(e) !== 'identifier') bail('a walrus on no name');
      const op = this.take();
      e = this.node('named_expression', [this.field(e, 'name'), op, this.field(this.expression(), 'value')]);
    } else if (this.is('if') && !noConditional) {
      const kw = this.take();
      const condition = this.or();
      if (this.is('if')) bail('a conditional in a condition');
      const otherwise = this.expect('else');
      e = this.node('conditional_expression', [e, kw, condition, otherwise, this.expression()]);
    }
    this.nesting--;
    return e;
  }

  private lambda(): Built {
    const kids = [this.take()];
    if (!this.is(':')) {
      const params: Built[] = [];
      this.parameters(params, ':', LAMBDA_PARAMETERS);
      kids.push(this.field(this.node('lambda_parameters', params), 'parameters'));
    }
    kids.push(this.expect(':'), this.field(this.expression(), 'body'));
    return this.node('lambda', kids);
  }

  /** Whether the current token starts an atom (what `postfix` reads): no unary operator, `not` or `lambda`. */
  private startsAtom(): boolean {
    const t = this.tok;
    if (t === T.Name || t === T.Number || t === T.String) return true;
    const v = this.val;
    if (t === T.Op) return v === '(' || v === '[' || v === '{' || v === '...';
    return t === T.Keyword && (v === 'None' || v === 'True' || v === 'False');
  }

  /**
   * `or` (level 0) over `and` (level 1) over `not`: left-associated boolean_operators. `first`, when given, is the
   * first operand's atom with its postfixes, already read.
   */
  private or(level = 0, first?: Built): Built {
    const keyword = level === 0 ? 'or' : 'and';
    let left = level === 0 ? this.or(1, first) : first ? this.comparison(first) : this.not();
    while (this.is(keyword)) {
      const op = this.field(this.take(), 'operator');
      const right = level === 0 ? this.or(1) : this.not();
      left = this.node3('boolean_operator', this.field(left, 'left'), op, this.field(right, 'right'));
    }
    return left;
  }

  private not(): Built {
    if (!this.is('not')) return this.comparison();
    this.enter();
    const op = this.take();
    const node = this.node('not_operator', [op, this.field(this.not(), 'argument')]);
    this.nesting--;
    return node;
  }

  private comparison(operand?: Built): Built {
    const first = this.binary(0, operand);
    if (!this.isComparison()) return first;
    const kids = [first];
    while (this.isComparison()) {
      let op: Built;
      if (this.is('not')) {
        const not = this.take();
        if (!this.is('in')) bail("'not' without 'in'");
        op = this.pairOperator('not in', not, this.take());
      } else if (this.is('is')) {
        const is = this.take();
        op = this.is('not') ? this.pairOperator('is not', is, this.take()) : is;
      } else op = this.take();
      kids.push(this.field(op, 'operators'), this.binary(0));
    }
    return this.node('comparison_operator', kids);
  }

  /** `not in`, `is not`: one anonymous node holding its two keywords. */
  /** A node of three children (`a`, `b`, `c`: the last three subtrees made, checked as `adopt` does). */
  private node3(type: string, a: Built, b: Built, c: Built): Built {
    const sizes = this.bSizes;
    if (c !== this.bCount - 1 || b !== c - sizes[c] || a !== b - sizes[b]) bail('internal: a node made out of order');
    return this.make(type, true, this.bStarts[a], this.bEnds[c], sizes[a] + sizes[b] + sizes[c] + 1);
  }

  private pairOperator(type: string, first: Built, second: Built): Built {
    return this.adopt(type, false, this.bStarts[first], this.bEnds[second], [first, second]);
  }

  private isComparison(): boolean {
    if (this.tok === T.Op) return this.continues && this.prec < 0;
    return this.tok === T.Keyword && (this.val === 'in' || this.val === 'not' || this.val === 'is');
  }

  /** Binary operators by precedence climbing, with tree-sitter-python's precedences (`**` to the right). */
  private binary(min: number, operand?: Built): Built {
    let left = operand ?? this.unary();
    for (;;) {
      const prec = this.prec;
      if (prec < 0 || prec < min) return left;
      const op = this.field(this.take(), 'operator');
      // Each precedence level recurses at most once per operand, but `**` recurses into itself: bound it.
      if (prec === 21) this.enter();
      const right = this.binary(prec === 21 ? 21 : prec + 1);
      if (prec === 21) this.nesting--;
      left = this.node3('binary_operator', this.field(left, 'left'), op, this.field(right, 'right'));
    }
  }

  private unary(): Built {
    if (this.tok === T.Op && (this.val === '-' || this.val === '+' || this.val === '~')) {
      this.enter();
      const op = this.field(this.take(), 'operator');
      const node = this.node('unary_operator', [op, this.field(this.binary(21), 'argument')]);
      this.nesting--;
      return node;
    }
    return this.postfix();
  }

  /** An atom with its attributes, calls and subscripts. */
  private postfix(): Built {
    let e = this.atom();
    for (;;) {
      if (this.tok !== T.Op) return e;
      const v = this.val;
      if (v === '.') {
        this.field(e, 'object');
        this.take();
        this.field(this.name(), 'attribute');
        e = this.nodeFrom('attribute', e);
      } else if (v === '(') {
        this.field(e, 'function');
        this.field(this.argumentList(this.take()), 'arguments');
        e = this.nodeFrom('call', e);
      } else if (v === '[') {
        e = this.subscript(e);
      } else return e;
    }
  }

  private subscript(value: Built): Built {
    this.enter();
    const kids = [this.field(value, 'value'), this.take()];
    for (;;) {
      kids.push(this.field(this.sliceOrExpression(), 'subscript'));
      if (!this.is(',')) break;
      kids.push(this.take());
      if (this.is(']')) break;
    }
    kids.push(this.expect(']'));
    this.nesting--;
    return this.node('subscript', kids);
  }

  private sliceOrExpression(): Built {
    const kids: Built[] = [];
    if (!this.is(':')) {
      const e = this.expression();
      if (!this.is(':')) return e;
      kids.push(e);
    }
    kids.push(this.take());
    if (!this.is(':') && !this.is(',') && !this.is(']')) kids.push(this.expression());
    if (this.is(':')) {
      kids.push(this.take());
      if (!this.is(',') && !this.is(']')) kids.push(this.expression());
    }
    return this.node('slice', kids);
  }

  /** `(args)` after `open`: an argument_list, or a generator_expression as the only argument. */
  private argumentList(open: Built): Built {
    this.enter();
    let args = 0;
    while (!this.is(')')) {
      let arg: Built;
      if (this.is('*') || this.is('**')) {
        const double = this.val === '**';
        const star = this.take();
        arg = this.node(double ? 'dictionary_splat' : 'list_splat', [star, this.expression()]);
      } else if (this.tok === T.Name && this.equalsFollows()) {
        const name = this.field(this.name(), 'name');
        const eq = this.take();
        arg = this.node3('keyword_argument', name, eq, this.field(this.expression(), 'value'));
      } else {
        if (this.is('(') && this.s.startsWith('*', this.end)) bail('a parenthesized list splat');
        arg = this.expression();
        if (this.is('for')) {
          if (args !== 0) bail('a generator after other arguments');
          const node = this.comprehension('generator_expression', open, arg, ')');
          this.nesting--;
          return node;
        }
      }
      args++;
      if (!this.is(',')) break;
      this.take();
    }
    this.expect(')');
    this.nesting--;
    return this.nodeFrom('argument_list', open);
  }

  /** `[body for … in … if …]` and its kin, from the opening bracket's leaf and the body already read. */
  private comprehension(type: string, open: Built, body: Built, close: string): Built {
    const kids = [open, this.field(body, 'body')];
    while (this.is('for') || this.is('if')) {
      if (this.is('for')) {
        const clause = [this.take(), this.field(this.targets(), 'left'), this.expect('in')];
        clause.push(this.field(this.expression(true), 'right'));
        if (this.is(',')) bail('a for-in over a list');
        kids.push(this.node('for_in_clause', clause));
      } else {
        const kw = this.take();
        const condition = this.expression(true);
        if (this.is('else')) bail('a conditional after a comprehension condition');
        kids.push(this.node('if_clause', [kw, condition]));
      }
    }
    kids.push(this.expect(close));
    return this.node(type, kids);
  }

  private atom(): Built {
    const t = this.tok;
    if (t === T.Name) return this.name();
    if (t === T.Number) {
      const node = this.leaf(this.val, true, this.start, this.end);
      this.next();
      return node;
    }
    if (t === T.String) return this.strings();
    if (t === T.Keyword) {
      const v = this.val;
      if (v === 'None' || v === 'True' || v === 'False') {
        const node = this.leaf(v === 'None' ? 'none' : v === 'True' ? 'true' : 'false', true, this.start, this.end);
        this.next();
        return node;
      }
      return bail(`the keyword '${v}' in an expression`);
    }
    if (t === T.Op) {
      switch (this.val) {
        case '(':
        case '[':
        case '{': {
          this.enter();
          const bracket = this.val;
          const open = this.take();
          const node =
            bracket === '(' ? this.parenthesized(open) : bracket === '[' ? this.list(open) : this.braces(open);
          this.nesting--;
          return node;
        }
        case '...': {
          const node = this.leaf('ellipsis', true, this.start, this.end);
          this.next();
          return node;
        }
      }
    }
    return bail(`'${this.val}' where an expression was expected`);
  }

  /** An element of a list, tuple or set: an expression, `*x` or a yield. */
  private element(): Built {
    if (this.is('*')) {
      const star = this.take();
      return this.node('list_splat', [star, this.expression()]);
    }
    if (this.is('yield')) return this.yieldExpression();
    if (this.is('(') && this.s.startsWith('*', this.end)) bail('a parenthesized list splat');
    return this.expression();
  }

  /** The rest of a collection after its first element, up to `close`, into `kids`. */
  private elements(close: string): void {
    while (this.is(',')) {
      this.take();
      if (this.is(close)) break;
      this.element();
    }
    this.expect(close);
  }

  /** After `open` and its first element: a comprehension (`comprehension`), or the collection `type` to `close`. */
  private collection(open: Built, first: Built, close: string, type: string, comprehension: string): Built {
    if (this.is('for')) {
      const kind = this.kind(first);
      if (kind === 'list_splat' || kind === 'yield') bail(`a starred ${comprehension}`);
      return this.comprehension(comprehension, open, first, close);
    }
    this.elements(close);
    return this.nodeFrom(type, open);
  }

  private parenthesized(open: Built): Built {
    if (this.is(')')) return this.node('tuple', [open, this.take()]);
    const first = this.element();
    if (!this.is(')')) return this.collection(open, first, ')', 'tuple', 'generator_expression');
    if (this.kind(first) === 'list_splat') bail('a parenthesized list splat');
    return this.node('parenthesized_expression', [open, first, this.take()]);
  }

  private list(open: Built): Built {
    if (this.is(']')) return this.node('list', [open, this.take()]);
    return this.collection(open, this.element(), ']', 'list', 'list_comprehension');
  }

  private braces(open: Built): Built {
    if (this.is('}')) return this.node('dictionary', [open, this.take()]);
    if (this.is('**')) return this.dictionary(open);
    const first = this.element();
    if (this.is(':')) {
      const kind = this.kind(first);
      if (kind === 'list_splat' || kind === 'yield') bail('a starred key');
      const pair = this.pair(first);
      if (this.is('for')) return this.comprehension('dictionary_comprehension', open, pair, '}');
      return this.dictionary(open, pair);
    }
    if (this.kind(first) === 'yield') bail('a yield in a set');
    return this.collection(open, first, '}', 'set', 'set_comprehension');
  }

  private pair(key: Built): Built {
    const colon = this.take();
    return this.node3('pair', this.field(key, 'key'), colon, this.field(this.expression(), 'value'));
  }

  private dictionary(open: Built, first?: Built): Built {
    const kids = [open];
    if (first) {
      kids.push(first);
      if (!this.is(',')) return this.node('dictionary', [...kids, this.expect('}')]);
      kids.push(this.take());
    }
    while (!this.is('}')) {
      if (this.is('**')) {
        const star = this.take();
        kids.push(this.node('dictionary_splat', [star, this.expression()]));
      } else kids.push(this.pair(this.expression()));
      if (!this.is(',')) break;
      kids.push(this.take());
    }
    kids.push(this.expect('}'));
    return this.node('dictionary', kids);
  }

  // ---- strings ----

  /** One string, or several side by side as a concatenated_string. */
  private strings(): Built {
    const first = this.string();
    if (this.tok !== T.String) return first;
    const kids = [first];
    while (this.tok === T.String) kids.push(this.string());
    return this.node('concatenated_string', kids);
  }

  /** A string at the current token, scanned as tree-sitter-python's external scanner does. */
  private string(): Built {
    const s = this.s;
    const start = this.start;
    let i = start;
    let format = false;
    let raw = false;
    let bytes = false;
    for (;;) {
      const c = s[i];
      if (c === 'f' || c === 'F' || c === 't' || c === 'T') format = true;
      else if (c === 'r' || c === 'R') raw = true;
      else if (c === 'b' || c === 'B') bytes = true;
      else if (c !== 'u' && c !== 'U') break;
      i++;
    }
    const quote = s[i];
    const triple = s[i + 1] === quote && s[i + 2] === quote;
    i += triple ? 3 : 1;
    const first = this.leaf('string_start', true, start, i);
    let contentStart = -1;
    // The content's first escape sequence (its children are the nodes made from it on), or -1.
    let contentFirst = -1;
    const closeContent = (at: number) => {
      if (contentStart >= 0) {
        if (contentFirst < 0) this.leaf('string_content', true, contentStart, at);
        else {
          const from = this.map(contentStart, false);
          const end = this.map(at, true);
          const size = this.bCount - contentFirst + 1;
          this.make('string_content', true, from, end, size);
        }
      }
      contentStart = -1;
      contentFirst = -1;
    };
    const n = this.n;
    for (;;) {
      if (i >= n) bail('an unterminated string');
      const c = s.charCodeAt(i);
      if (s[i] === quote) {
        if (!triple) break;
        if (s[i + 1] === quote && s[i + 2] === quote) break;
        if (contentStart < 0) contentStart = i;
        i++;
        continue;
      }
      if (c === 10 && !triple) bail('a line break in a one-line string');
      if (c === 92) {
        if (contentStart < 0) contentStart = i;
        if (raw) {
          i++;
          if (s[i] === quote || s[i] === '\\') i++;
          if (s[i] === '\r') {
            i++;
            if (s[i] === '\n') i++;
          } else if (s[i] === '\n') i++;
          continue;
        }
        const d = s[i + 1];
        if (bytes && (d === 'N' || d === 'u' || d === 'U')) {
          i += 2;
          continue;
        }
        ESCAPE.lastIndex = i;
        const m = ESCAPE.exec(s);
        if (m) {
          if (contentFirst < 0) contentFirst = this.bCount;
          this.leaf('escape_sequence', true, i, i + m[0].length);
          i += m[0].length;
        } else {
          // tree-sitter's `_not_escape_sequence`: the backslash alone, an anonymous `\` in the tree.
          if (contentFirst < 0) contentFirst = this.bCount;
          this.leaf('\\', false, i, i + 1);
          i++;
        }
        continue;
      }
      if (format && (c === 123 || c === 125)) {
        if (s.charCodeAt(i + 1) === c) {
          if (contentStart < 0) contentStart = i;
          if (contentFirst < 0) contentFirst = this.bCount;
          this.leaf('escape_interpolation', true, i, i + 2);
          i += 2;
          continue;
        }
        if (c === 125) bail("a lone '}' in an f-string");
        closeContent(i);
        this.interpolation(i, 'interpolation');
        i = this.resume;
        continue;
      }
      if (contentStart < 0) contentStart = i;
      i++;
    }
    closeContent(i);
    const end = i + (triple ? 3 : 1);
    this.leaf('string_end', true, i, end);
    this.pos = end;
    this.next();
    return this.nodeFrom('string', first);
  }

  /** Where the string's scan goes on after an interpolation. */
  private resume = 0;

  /** `{expression=!r:spec}` at `at` in an f-string. */
  private interpolation(at: number, type: string): Built {
    this.enter();
    const s = this.s;
    const kids = [this.leaf('{', false, at, at + 1)];
    const savedDepth = this.depth;
    this.depth = savedDepth + 1;
    this.pos = at + 1;
    this.next();
    const expression = this.expression();
    if (this.is(',')) bail('a list in an interpolation');
    kids.push(this.field(expression, 'expression'));
    let j = this.start;
    if (s[j] === '=' && s[j + 1] !== '=') {
      kids.push(this.leaf('=', false, j, j + 1));
      j++;
    }
    if (s[j] === '!') {
      const c = s.charCodeAt(j + 1);
      if (!(c >= 97 && c <= 122)) bail('a conversion');
      kids.push(this.field(this.leaf('type_conversion', true, j, j + 2), 'type_conversion'));
      j += 2;
    }
    if (s[j] === ':') {
      if (s[j + 1] === '=') bail(':= in an interpolation');
      const spec = [this.leaf(':', false, j, j + 1)];
      let k = j + 1;
      for (;;) {
        const c = s[k];
        if (c === undefined || c === '\n') bail('an unterminated format specifier');
        if (c === '}') break;
        if (c === '{') {
          spec.push(this.interpolation(k, 'format_expression'));
          k = this.resume;
        } else k++;
      }
      kids.push(this.field(this.span('format_specifier', j, k, spec), 'format_specifier'));
      j = k;
    }
    if (s[j] !== '}') bail('an unterminated interpolation');
    kids.push(this.leaf('}', false, j, j + 1));
    this.depth = savedDepth;
    this.resume = j + 1;
    this.nesting--;
    return this.node(type, kids);
  }
}

/**
 * The fast parser's tree, or the Bail saying why it gave up. Any other failure of its own (a stack overflow on a
 * pathological line, a bug) is a bail too, with the error's message: the script then goes to tree-sitter.
 */
export function parseFastOrBail(text: string, sourceText: string, offsets?: OffsetMap): SourceTree | Bail {
  const parser = new FastParser(text, sourceText, offsets);
  try {
    return parser.module();
  } catch (e) {
    const reason = e instanceof Bail ? e : new Bail(`internal: ${e instanceof Error ? e.message : String(e)}`);
    reason.at = parser.position;
    return reason;
  }
}
