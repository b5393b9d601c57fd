/**
 * The Python parser: web-tree-sitter with the tree-sitter-python grammar, both WebAssembly, started once on first
 * use. No Python interpreter is involved: Model Lab reads the source, it never runs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Parser as ParserType, Tree } from 'web-tree-sitter';

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
