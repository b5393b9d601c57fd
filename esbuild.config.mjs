// Builds every bundle Model Lab ships. Run by `npm run build` and by `npm install` (prepare).
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
mkdirSync('dist', { recursive: true });

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

/** Node bundles: the extension host, the CLI and the training worker. */
const nodeTargets = [
  { entry: 'src/extension.ts', out: 'dist/extension.js' },
  { entry: 'src/cli.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { entry: 'src/training/worker/main.ts', out: 'dist/worker.js' },
];
/** Browser bundles: the results panel UI (also used by the standalone HTML report). */
const browserTargets = [{ entry: 'webview/main.ts', out: 'dist/webview.js' }];

const builds = [];
for (const t of nodeTargets.filter((t) => existsSync(t.entry))) {
  builds.push({
    ...common,
    entryPoints: [t.entry],
    outfile: t.out,
    platform: 'node',
    target: 'node20',
    // Prefer ES module entries: jsonc-parser's UMD main cannot be bundled (it requires files dynamically).
    mainFields: ['module', 'main'],
    format: 'cjs',
    // vscode is provided by the host; tfjs-node is optional and native, loaded at run time when present.
    external: ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
    banner: t.banner ? { js: t.banner } : undefined,
  });
}
for (const t of browserTargets.filter((t) => existsSync(t.entry))) {
  builds.push({
    ...common,
    entryPoints: [t.entry],
    outfile: t.out,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
  });
}

/** A package's folder, also for packages whose `exports` hide their package.json. */
function packageDir(name) {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && dir.endsWith(name)) return dir;
  }
  throw new Error(`cannot find the folder of ${name}`);
}

/** Run-time assets the bundles load from next to themselves. */
function copyAssets() {
  const wasmDir = packageDir('@tensorflow/tfjs-backend-wasm');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    copyFileSync(join(wasmDir, 'dist', f), join('dist', f));
  }
  const tsDir = packageDir('web-tree-sitter');
  copyFileSync(join(tsDir, 'web-tree-sitter.wasm'), 'dist/web-tree-sitter.wasm');
  const pyDir = packageDir('tree-sitter-python');
  copyFileSync(join(pyDir, 'tree-sitter-python.wasm'), 'dist/tree-sitter-python.wasm');
}

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  copyAssets();
  if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
}
