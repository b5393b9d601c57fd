/**
 * The Python parser: web-tree-sitter with the tree-sitter-python grammar, both WebAssembly, started once on first
 * use. No Python interpreter is involved: Model Lab reads the source, it never runs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Parser as ParserType, Tree } from 'web-tree-sitter';
import { buildTree, type SourceTree } from './py-node';

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

/** Parses Python source into Model Lab's own tree (see py-node.ts); tree-sitter's tree is freed before returning. */
export async function parsePythonSource(text: string): Promise<SourceTree> {
  // tree-sitter-python takes time quadratic in a run of comment lines (2,000 took 3 s, 4,000 took 10 s), and
  // comments say nothing about a model: they are parsed as spaces of the same length, so every position stays.
  const scanned = blankComments(text);
  const tree = await parsePythonTree(scanned);
  try {
    return buildTree(tree, text);
  } finally {
    tree.delete();
  }
}

/**
 * `text` with every comment replaced by spaces. A small scanner, not a regular expression: a `#` inside a string
 * (a line of a docstring, `'#fff'`) is no comment, and a closing `"""` after it must survive.
 */
const TRIPLE_DOUBLE = /["\\]/g;
const TRIPLE_SINGLE = /['\\]/g;
const DOUBLE = /["\\\n]/g;
const SINGLE = /['\\\n]/g;

export function blankComments(text: string): string {
  const parts: string[] = [];
  let copied = 0;
  let i = 0;
  const n = text.length;
  // Jump from one `#` or quote to the next: the text between them is copied as it is.
  const next = /[#"']/g;
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
      parts.push(text.slice(copied, i), ' '.repeat(end - i));
      copied = i = end;
    } else if (c === '"' || c === "'") {
      const triple = text.startsWith(c + c + c, i);
      i += triple ? 3 : 1;
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
        else if (triple ? text.startsWith(c + c + c, i) : d === c) {
          i += triple ? 3 : 1;
          break;
        } else if (d === '\n')
          break; // an unterminated string ends with its line
        else i++;
      }
    }
  }
  parts.push(text.slice(copied));
  return parts.join('');
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
