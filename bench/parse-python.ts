/**
 * The Python parser's speed alone: `npm run bench:parse -- 5 [rounds] [shape]` (bundled by esbuild, as the
 * extension is; or `node --import tsx bench/parse-python.ts 5`) parses each shape of
 * `test/unit/python-big-sources.ts` (or the one whose name holds `shape`) at that many megabytes and prints the CPU
 * time (`process.cpuUsage`, garbage collector threads included) of the first parse in the process (cold: the engine
 * also compiles the parser) and the median of `rounds` more (warm, default 3), split into `compactSource` (the scan
 * that leaves comments and long literals out), the fast parse into the column tree, and the `ScriptIndex` over it.
 */
import { parseFastOrBail } from '../src/model/python/py-parse';
import { ScriptIndex } from '../src/model/python/script-index';
import { compactSource } from '../src/model/python/tree-sitter';
import { bigSources } from '../test/unit/python-big-sources';

function cpu<T>(f: () => T): { result: T; ms: number } {
  const start = process.cpuUsage();
  const result = f();
  const used = process.cpuUsage(start);
  return { result, ms: (used.user + used.system) / 1000 };
}

function once(text: string): { scan: number; parse: number; index: number; nodes: number } {
  const compact = cpu(() => compactSource(text));
  const parse = cpu(() => parseFastOrBail(compact.result.text, text, compact.result.offsets));
  const tree = parse.result;
  if (!('root' in tree)) throw new Error(`the fast parser bailed: ${tree.reason}`);
  const index = cpu(() => new ScriptIndex(tree.root));
  return { scan: compact.ms, parse: parse.ms, index: index.ms, nodes: tree.root.lastId + 1 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const f = (ms: number) => ms.toFixed(0).padStart(5);

const mb = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 3);
const only = process.argv[4];
for (const { name, text } of bigSources(mb * 1024 * 1024)) {
  if (only && !name.includes(only)) continue;
  const cold = once(text);
  const warm = Array.from({ length: rounds }, () => once(text));
  const w = (k: 'scan' | 'parse' | 'index') => (warm.length ? median(warm.map((r) => r[k])) : NaN);
  console.log(
    `${name.padEnd(30)} cold scan ${f(cold.scan)} parse ${f(cold.parse)} index ${f(cold.index)} = ${f(cold.scan + cold.parse + cold.index)} ms;`,
    `warm scan ${f(w('scan'))} parse ${f(w('parse'))} index ${f(w('index'))} ms; ${cold.nodes} nodes`,
  );
}
