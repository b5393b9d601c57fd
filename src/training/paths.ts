/**
 * Where Model Lab's own files are at run time. The same code runs bundled (dist/*.js), from src/ under tsx (tests),
 * and inside the extension host, so paths are found by walking up to the package root instead of being fixed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder holding Model Lab's package.json, searched upwards from `from`; undefined when there is none. */
export function packageRoot(from: string = __dirname): string | undefined {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'model-lab') return dir;
      } catch {
        // An unreadable package.json on the way up is not ours; keep walking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** dist/worker.js: next to the running bundle, else in the package's dist/ (running from src/ under tsx). */
export function defaultWorkerPath(from: string = __dirname): string {
  const beside = join(from, 'worker.js');
  if (existsSync(beside)) return beside;
  const root = packageRoot(from);
  return join(root ?? from, 'dist', 'worker.js');
}

/** The folder holding tfjs-backend-wasm.wasm: next to the bundle (esbuild copies it), else in node_modules. */
export function wasmDir(from: string = __dirname): string | undefined {
  if (existsSync(join(from, 'tfjs-backend-wasm.wasm'))) return from;
  const root = packageRoot(from);
  const candidates = [
    root && join(root, 'dist'),
    root && join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
  ];
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'tfjs-backend-wasm.wasm')));
}
