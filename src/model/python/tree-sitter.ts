/**
 * The Python parser: web-tree-sitter with the tree-sitter-python grammar, both WebAssembly, started once on first
 * use. No Python interpreter is involved: Model Lab reads the source, it never runs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Parser as ParserType, Tree } from 'web-tree-sitter';
import { Bail, parseFastOrBail } from './py-parse';
import { buildTree, LONG_LITERAL, type OffsetMap, type SourceTree } from './py-node';

/**
 * Loaded with require() so that bundlers take the package's CommonJS build: its ES module build reads
 * `import.meta.url`, which does not exist in the CommonJS bundles Model Lab ships.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Language, Parser } = require('web-tree-sitter') as typeof import('web-tree-sitter');

let ready: Promise<ParserType> | undefined;

/** Parses Python source; the caller must `delete()` the tree when done (it lives in WebAssembly memory). */
export async function parsePythonTree(text: string): Promise<Tree> {
  ready ??= start().catch((e: unknown) => {
    ready = undefined; // let a later call retry instead of caching the failure forever
    throw e;
  });
  const parser = await ready;
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree for the Python source');
  return tree;
}

/**
 * Parses Python source into Model Lab's own tree (see py-node.ts): by the fast parser (py-parse.ts) when it reads
 * the script, else by tree-sitter, whose tree is copied and freed before returning. Both give the same tree.
 */
export async function parsePythonSource(text: string): Promise<SourceTree> {
  const compact = compactSource(text);
  const fast = parseFastOrBail(compact.text, text, compact.offsets);
  if (!(fast instanceof Bail)) return fast;
  return parseWithTreeSitter(text, compact.text, compact.offsets);
}

/** The tree-sitter path alone (the differential tests compare the fast parser with it). */
export async function parseWithTreeSitter(text: string, compact: string, offsets: OffsetMap): Promise<SourceTree> {
  const tree = await parsePythonTree(compact);
  try {
    return buildTree(tree, text, offsets);
  } finally {
    tree.delete();
  }
}

/**
 * What tree-sitter parses: the script without what cannot describe a model, and where each kept piece sits in the
 * script, so every node keeps its real position (see OffsetMap in py-node.ts). Left out:
 * - comments: tree-sitter-python takes time quadratic in a run of comment lines (2,000 took 3 s, 4,000 took 10 s);
 * - the content of a string LONG_LITERAL characters or longer (docstrings, embedded text): its value is read from
 *   the script's text when a model uses it (values.ts);
 * - the content of a bracketed run of numbers LONG_LITERAL characters or longer (weights or data pasted into a
 *   script): parsing it costs a node per number and comma, as much as the code around it. It is parsed as `[...]`
 *   (a list holding Python's Ellipsis), so a model that did use it says it is unreadable instead of reading a
 *   wrong value;
 * - line continuations (a backslash ending a line, outside strings), each a space: Python joins the two lines into
 *   one, and tree-sitter would keep the backslash as a node among a call's arguments.
 * Line breaks outside those parts all stay, so the parse sees the same statements.
 */
export function compactSource(text: string): { text: string; offsets: OffsetMap } {
  const { comments, longStrings, continuations } = scanSource(text);
  const literals = longLiteralRanges(blankRanges(text, comments));
  // What is left out, in order: [start, end, what the parse sees instead]. One left-out part may hold others (a
  // comment inside a number list, numbers inside a docstring): the outer one goes.
  const cuts: [number, number, string][] = [
    ...comments.map(([s, e]): [number, number, string] => [s, e, '']),
    ...longStrings.map(([s, e]): [number, number, string] => [s, e, '']),
    ...literals.map(([open, close]): [number, number, string] => [open + 1, close, '...']),
    ...continuations.map(([s, e]): [number, number, string] => [s, e, ' ']),
  ].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const parts: string[] = [];
  const compactStarts: number[] = [];
  const sourceStarts: number[] = [];
  let size = 0;
  const keep = (piece: string, at: number) => {
    if (piece.length === 0) return;
    compactStarts.push(size);
    sourceStarts.push(at);
    parts.push(piece);
    size += piece.length;
  };
  let copied = 0;
  for (const [start, end, instead] of cuts) {
    if (start < copied) continue;
    keep(text.slice(copied, start), copied);
    keep(instead, start);
    copied = end;
  }
  keep(text.slice(copied), copied);
  return { text: parts.join(''), offsets: { compactStarts, sourceStarts } };
}

/** `text` with every comment replaced by spaces of the same length. */
export function blankComments(text: string): string {
  return blankRanges(text, scanSource(text).comments);
}

/** Blanks for `blankRanges` to slice (a slice shares its text: a file's thousands of comments make no copies). */
const SPACES = ' '.repeat(4096);

function blankRanges(text: string, ranges: readonly (readonly [number, number])[]): string {
  const parts: string[] = [];
  let copied = 0;
  for (let i = 0; i < ranges.length; i++) {
    const [start, end] = ranges[i];
    const n = end - start;
    parts.push(text.slice(copied, start), n <= SPACES.length ? SPACES.slice(0, n) : ' '.repeat(n));
    copied = end;
  }
  parts.push(text.slice(copied));
  return parts.join('');
}

/**
 * Where the comments are ([start, end) for each, up to its line break) and the contents of the strings at least
 * LONG_LITERAL long (f-strings aside). A small scanner, not a regular expression:
 * a `#` inside a string (a line of a docstring, `'#fff'`) is no comment, and a closing `"""` after it must survive.
 */
const TRIPLE_DOUBLE = /["\\]/g;
const TRIPLE_SINGLE = /['\\]/g;
const DOUBLE = /["\\\n]/g;
const SINGLE = /['\\\n]/g;

function scanSource(text: string): {
  comments: [number, number][];
  longStrings: [number, number][];
  continuations: [number, number][];
} {
  const found: [number, number][] = [];
  const longStrings: [number, number][] = [];
  const continuations: [number, number][] = [];
  let i = 0;
  const n = text.length;
  // Jump from one `#`, quote or backslash to the next: the text between them is code.
  const next = /[#"'\\]/g;
  const hasCR = text.includes('\r');
  while (i < n) {
    next.lastIndex = i;
    const m = next.exec(text);
    if (!m) break;
    i = m.index;
    const c = text[i];
    if (c === '#') {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      if (hasCR) {
        const cr = text.indexOf('\r', i);
        if (cr >= 0 && cr < end) end = cr;
      }
      found.push([i, end]);
      i = end;
    } else if (c === '\\') {
      // Outside a string a backslash is a line continuation: it and its line break join two lines into one.
      const end = text.startsWith('\r\n', i + 1) ? i + 3 : text[i + 1] === '\n' || text[i + 1] === '\r' ? i + 2 : i + 1;
      if (end > i + 1) continuations.push([i, end]);
      i = end;
    } else if (c === '"' || c === "'") {
      const three = c === '"' ? '"""' : "'''";
      const triple = text.startsWith(three, i);
      // An f-string's content is code (its {names}); any other string's is only its value.
      const p1 = text.charCodeAt(i - 1);
      const p2 = text.charCodeAt(i - 2);
      const formatted = p1 === 102 || p1 === 70 || p2 === 102 || p2 === 70; // f or F in the prefix
      i += triple ? 3 : 1;
      const content = i;
      // Inside the string only a backslash, its quote and (for a one-line string) a line break matter.
      const stop = triple ? (c === '"' ? TRIPLE_DOUBLE : TRIPLE_SINGLE) : c === '"' ? DOUBLE : SINGLE;
      while (i < n) {
        stop.lastIndex = i;
        const s = stop.exec(text);
        if (!s) {
          i = n;
          break;
        }
        i = s.index;
        const d = text[i];
        if (d === '\\') i += 2;
        else if (triple ? text.startsWith(three, i) : d === c) {
          if (i - content >= LONG_LITERAL && !formatted) longStrings.push([content, i]);
          i += triple ? 3 : 1;
          break;
        } else if (d === '\n')
          break; // an unterminated string ends with its line
        else i++;
      }
    }
  }
  return { comments: found, longStrings, continuations };
}

/** A run of the characters a bracketed list of numbers is made of, at least LONG_LITERAL long. */
const NUMBER_RUN = new RegExp(`[\\[(][-+\\d.eEjJxXoObB_,\\s\\[\\]()]{${LONG_LITERAL - 1},}`, 'g');

/**
 * The bracketed runs of numbers at least LONG_LITERAL long, each as [open, close]: the indices of its opening and
 * closing brackets, in order. Read on the text with its comments blanked, so a run goes on across a comment.
 */
function longLiteralRanges(text: string): [number, number][] {
  const found: [number, number][] = [];
  NUMBER_RUN.lastIndex = 0;
  for (let m = NUMBER_RUN.exec(text); m; m = NUMBER_RUN.exec(text)) {
    const runEnd = m.index + m[0].length;
    // From each opening bracket in the run, the extent of its balanced brackets, if that ends inside the run.
    for (let open = m.index; open < runEnd;) {
      const close = matching(text, open, runEnd);
      if (close < 0) {
        open = nextOpen(text, open + 1, runEnd);
        continue;
      }
      if (close - open + 1 >= LONG_LITERAL) found.push([open, close]);
      open = nextOpen(text, close + 1, runEnd);
    }
  }
  return found;
}

function nextOpen(text: string, from: number, end: number): number {
  for (let i = from; i < end; i++) if (text[i] === '[' || text[i] === '(') return i;
  return end;
}

/** The index of the bracket closing the one at `open`, or -1 when it does not close before `end` (or nests deep). */
function matching(text: string, open: number, end: number): number {
  const stack: string[] = [];
  for (let i = open; i < end; i++) {
    const c = text[i];
    if (c === '[' || c === '(') {
      // Nesting this deep is no data array: the parse must see it to refuse the file (MAX_TREE_DEPTH).
      if (stack.length >= 100) return -1;
      stack.push(c === '[' ? ']' : ')');
    } else if (c === ']' || c === ')') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

async function start(): Promise<ParserType> {
  const runtime = readFileSync(findAsset('web-tree-sitter.wasm', 'web-tree-sitter/web-tree-sitter.wasm'));
  await Parser.init({ wasmBinary: runtime });
  const grammar = readFileSync(findAsset('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'));
  const language = await Language.load(new Uint8Array(grammar));
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/**
 * The bundles load the wasm files copied next to them into dist/ (esbuild.config.mjs); from source under tsx they
 * come from node_modules.
 */
function findAsset(file: string, modulePath: string): string {
  const beside = join(__dirname, file);
  if (existsSync(beside)) return beside;
  try {
    return require.resolve(modulePath);
  } catch {
    throw new Error(`cannot find ${file} next to ${__dirname} or in node_modules; reinstall Model Lab`);
  }
}
