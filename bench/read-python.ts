/**
 * The Python reader's speed on large files: `npm run bench:read -- 5` (or `node --import tsx bench/read-python.ts 5`)
 * reads each shape of `test/unit/python-big-sources.ts` at that many megabytes (default 1) and prints the CPU time
 * (`process.cpuUsage`, garbage collector threads included) of the parse alone (`parsePythonSource`, the tree) and
 * of the whole read (`parsePythonModels`: the parse again, then the analysis), and the models found. CPU rather
 * than wall time: the machine may be shared. With `alloc` after the size (`-- 5 alloc`), it also prints how many
 * megabytes the whole read allocates (V8's sampling heap profiler, collected objects included): unlike CPU time it
 * does not move with the machine's load, and on dense code the garbage collector's share follows it.
 */
import { Session } from 'node:inspector';
import { parsePythonModels } from '../src/model/python/index';
import { parsePythonSource } from '../src/model/python/tree-sitter';
import { bigSources } from '../test/unit/python-big-sources';

async function cpu<T>(f: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = process.cpuUsage();
  const result = await f();
  const used = process.cpuUsage(start);
  return { result, ms: (used.user + used.system) / 1000 };
}

interface SamplingNode {
  selfSize: number;
  children: SamplingNode[];
}

/** The megabytes `f` allocates, from a sampling heap profile that keeps the samples of collected objects. */
async function allocated(f: () => Promise<unknown>): Promise<number> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<{ profile?: { head: SamplingNode } }>((resolve, reject) =>
      session.post(method, params, (e, r) => (e ? reject(e) : resolve(r as { profile?: { head: SamplingNode } }))),
    );
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await f();
  const { profile } = await post('HeapProfiler.stopSampling');
  session.disconnect();
  const total = (n: SamplingNode): number => n.children.reduce((s, c) => s + total(c), n.selfSize);
  return profile ? total(profile.head) / 1e6 : NaN;
}

async function main(): Promise<void> {
  // The parser starts once (tree-sitter's WebAssembly): that is not reading time.
  await parsePythonModels('import keras\nm=keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])\n');
  const mb = Number(process.argv[2] ?? 1);
  const alloc = process.argv[3] === 'alloc';
  for (const { name, text } of bigSources(mb * 1024 * 1024)) {
    const parse = await cpu(() => parsePythonSource(text));
    const read = await cpu(() => parsePythonModels(text));
    const mbAllocated = alloc ? `; ${(await allocated(() => parsePythonModels(text))).toFixed(0)} MB allocated` : '';
    console.log(
      `${name.padEnd(30)} parse+tree ${parse.ms.toFixed(0).padStart(5)} ms; full read ${read.ms.toFixed(0).padStart(5)} ms;`,
      `${read.result.length} models, ${parse.result.root.lastId + 1} nodes${mbAllocated}`,
    );
  }
}

void main();
