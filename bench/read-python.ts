/**
 * The Python reader's speed on large files: `npm run bench:read -- 5` (or `node --import tsx bench/read-python.ts 5`)
 * reads each shape of `test/unit/python-big-sources.ts` at that many megabytes (default 1) and prints the CPU time
 * (`process.cpuUsage`, garbage collector threads included) of the parse alone (`parsePythonSource`, the tree) and
 * of the whole read (`parsePythonModels`: the parse again, then the analysis), and the models found. CPU rather
 * than wall time: the machine may be shared.
 */
import { parsePythonModels } from '../src/model/python/index';
import { parsePythonSource } from '../src/model/python/tree-sitter';
import { bigSources } from '../test/unit/python-big-sources';

async function cpu<T>(f: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = process.cpuUsage();
  const result = await f();
  const used = process.cpuUsage(start);
  return { result, ms: (used.user + used.system) / 1000 };
}

async function main(): Promise<void> {
  // The parser starts once (tree-sitter's WebAssembly): that is not reading time.
  await parsePythonModels('import keras\nm=keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])\n');
  const mb = Number(process.argv[2] ?? 1);
  for (const { name, text } of bigSources(mb * 1024 * 1024)) {
    const parse = await cpu(() => parsePythonSource(text));
    const read = await cpu(() => parsePythonModels(text));
    console.log(
      `${name.padEnd(30)} parse+tree ${parse.ms.toFixed(0).padStart(5)} ms; full read ${read.ms.toFixed(0).padStart(5)} ms;`,
      `${read.result.length} models, ${parse.result.root.lastId + 1} nodes`,
    );
  }
}

void main();
