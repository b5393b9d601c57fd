/**
 * Picks the TensorFlow.js backend a run trains on.
 *
 * `@tensorflow/tfjs-node` is optional and native (its install downloads libtensorflow), so it is required at run
 * time and may be missing; when it loads we must use ITS tf namespace, which carries its own tfjs-core. Otherwise
 * the bundled @tensorflow/tfjs runs on the wasm backend (or the pure-JS cpu backend on request).
 *
 * The bundled tfjs is loaded only when it is the one used: tfjs-core keeps its kernel registry on a process-wide
 * global, so loading both copies makes each re-register the other's kernels (hundreds of warnings per worker).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BackendName } from '../protocol';
import type { TF } from './worker/engine';
import { addWasmConv2DBackpropFilter } from './worker/wasm-conv-grad';
import { useKerasMaxPoolGrad } from './worker/wasm-maxpool-grad';
import { addWasmUnsortedSegmentSum } from './worker/wasm-segment-sum';
import { useExplicitTransposeMatMul } from './worker/wasm-matmul';
import { wasmDir } from './paths';
import { backendAdvice, type Audience } from './advice';

export interface SelectedBackend {
  tf: TF;
  /** The backend that really runs, as tfjs reports it: `tensorflow`, `tensorflow-gpu`, `wasm` or `cpu`. */
  backend: string;
  /** Why this backend and not another (one sentence), kept in the run's record and shown by the panel. */
  note: string;
}

/**
 * Where the native packages may be: next to Model Lab (its own node_modules, a CLI install), and `nativeDir`, the
 * folder the editor's `Model Lab: Install Native Backend` installs into (`<dir>/node_modules/@tensorflow/tfjs-node`).
 */
export interface NativePlaces {
  nativeDir?: string;
}

/** A backend the user asked for cannot run here; the message says what to do. */
export class BackendError extends Error {}

type Native = { tf: TF; from: string } | { problem: string };

/**
 * The backend for a run, and in `note` why it and not another: the user learns that installing tfjs-node would help,
 * that wasm failed, or that native TensorFlow was found.
 */
export async function selectBackend(
  requested: BackendName = 'auto',
  audience?: Audience,
  places: NativePlaces = {},
): Promise<SelectedBackend> {
  switch (requested) {
    case 'tensorflow':
    case 'tensorflow-gpu': {
      const pkg = nativePackage(requested);
      const native = loadNative(pkg, places);
      if ('problem' in native) throw new BackendError(nativeMissing(requested, native.problem, audience));
      return useNative(native.tf, requested, chosenBy(requested, audience, `${pkg} ${native.from}`));
    }
    case 'wasm':
    case 'cpu':
      return { ...(await useBundled(requested, audience)), note: chosenBy(requested, audience) };
    case 'auto':
    default: {
      // The GPU build is only for those who installed it on purpose: its absence is not worth a word.
      const gpuPkg = nativePackage('tensorflow-gpu');
      const gpu = loadNative(gpuPkg, places);
      if ('tf' in gpu) return useNative(gpu.tf, 'tensorflow-gpu', nativeChosen(gpuPkg, gpu.from));
      const pkg = nativePackage('tensorflow');
      const native = loadNative(pkg, places);
      if ('tf' in native) return useNative(native.tf, 'tensorflow', nativeChosen(pkg, native.from));
      try {
        const selected = await useBundled('wasm');
        const advice =
          audience === 'editor'
            ? `run 'Model Lab: Install Native Backend' for native TensorFlow speed`
            : 'install it next to Model Lab for native TensorFlow speed';
        return {
          ...selected,
          note: `Training on the bundled WebAssembly backend because ${pkg} ${native.problem} (${advice}).`,
        };
      } catch (e) {
        // The wasm binary may be missing from a broken install; pure JS is slow but always works.
        const why = firstLine(e).replace(/\.$/, '');
        const selected = await useBundled('cpu');
        return {
          ...selected,
          note: `Training on the slow pure-JavaScript cpu backend because the WebAssembly backend failed to start (${why}); rebuild Model Lab with 'npm run build' to restore it.`,
        };
      }
    }
  }
}

/** The note of a backend asked for by name: nothing else was considered. */
function chosenBy(requested: BackendName, audience?: Audience, detail?: string): string {
  return `Training on ${requested} as asked (${backendAdvice(requested, audience)})${detail ? `, with ${detail}` : ''}.`;
}

function nativeChosen(pkg: string, from: string): string {
  return `Training on native TensorFlow rather than WebAssembly: ${pkg} ${from} loaded.`;
}

function nativeMissing(requested: 'tensorflow' | 'tensorflow-gpu', problem: string, audience?: Audience): string {
  const pkg = nativePackage(requested);
  const install =
    audience === 'editor' ? `run 'Model Lab: Install Native Backend'` : `run 'npm install ${pkg}' next to Model Lab`;
  return `The '${requested}' backend needs ${pkg}, which ${problem}: ${install}, or use ${backendAdvice('wasm', audience)}.`;
}

/** Whether `requested` can run here, checked without loading TensorFlow.js (for a check before starting runs). */
export function backendProblem(
  requested: BackendName,
  audience?: Audience,
  places: NativePlaces = {},
): string | undefined {
  if (requested === 'tensorflow' || requested === 'tensorflow-gpu') {
    return resolveNative(nativePackage(requested), places)
      ? undefined
      : nativeMissing(requested, 'is not installed', audience);
  }
  if (requested === 'wasm' && !wasmDir()) {
    return `The wasm backend files (tfjs-backend-wasm.wasm) are missing: rebuild Model Lab with \`npm run build\`, or use ${backendAdvice('cpu', audience)}.`;
  }
  return undefined;
}

export function nativePackage(backend: 'tensorflow' | 'tensorflow-gpu'): string {
  return backend === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
}

/**
 * Where `pkg` resolves: next to Model Lab first (a CLI install), then in the native folder. `from` says which, for
 * the note. No TensorFlow is loaded here (the preflight runs in the extension host).
 */
export function resolveNative(pkg: string, places: NativePlaces): { path: string; from: string } | undefined {
  try {
    // A plain require keeps it external in the esbuild bundle (it is listed as external) and optional here.
    return { path: require.resolve(pkg), from: 'next to Model Lab' };
  } catch {
    // Not next to Model Lab: try the installed copy.
  }
  if (!places.nativeDir) return undefined;
  const path = resolveInFolder(pkg, places.nativeDir);
  return path ? { path, from: "installed in Model Lab's storage" } : undefined;
}

/** The file `require(pkg)` loads for a module in `dir` (its node_modules, then its parents'), if any. */
export function resolveInFolder(pkg: string, dir: string): string | undefined {
  try {
    return createRequire(join(dir, 'package.json')).resolve(pkg);
  } catch {
    return undefined;
  }
}

function loadNative(pkg: string, places: NativePlaces): Native {
  const found = resolveNative(pkg, places);
  if (!found) return { problem: 'is not installed' };
  try {
    return { tf: require(found.path) as TF, from: found.from };
  } catch (e) {
    return { problem: `failed to load (${firstLine(e)})` };
  }
}

async function useNative(tf: TF, requested: 'tensorflow' | 'tensorflow-gpu', note: string): Promise<SelectedBackend> {
  await tf.ready();
  const actual = tf.getBackend();
  // tfjs-node-gpu registers its backend under the same name as tfjs-node.
  return { tf, backend: actual === 'tensorflow' ? requested : actual, note };
}

let wasmPathsSet = false;

async function useBundled(name: 'wasm' | 'cpu', audience?: Audience): Promise<Omit<SelectedBackend, 'note'>> {
  // Required here, not imported at the top, so that a tfjs-node run never loads it (see the file comment).
  const tf = require('@tensorflow/tfjs') as TF;
  if (name === 'wasm' && !wasmPathsSet) {
    const dir = wasmDir();
    if (!dir)
      throw new BackendError(
        'The wasm backend files (tfjs-backend-wasm.wasm) are missing: rebuild Model Lab with `npm run build`.',
      );
    const { setWasmPaths } = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(dir.endsWith('/') ? dir : dir + '/');
    wasmPathsSet = true;
  }
  // The cpu backend greets Node users with a multi-line hint to install tfjs-node; they chose cpu on purpose.
  if (name === 'cpu') tf.env().set('PROD', true);
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new BackendError(`The ${name} backend failed to start: try ${backendAdvice('cpu', audience)}.`);
  }
  await tf.ready();
  const actual = tf.getBackend();
  if (actual === 'wasm') {
    useExplicitTransposeMatMul(tf);
    addWasmConv2DBackpropFilter(tf);
    useKerasMaxPoolGrad(tf);
    addWasmUnsortedSegmentSum(tf);
  }
  return { tf, backend: actual };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
}
