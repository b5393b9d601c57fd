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
}

/** A backend the user asked for cannot run here; the message says what to do. */
export class BackendError extends Error {}

type Native = { tf: TF } | { problem: string };

/**
 * `notify` hears why `auto` settled on a slower backend than the best one (one sentence), so the user learns that
 * installing tfjs-node would help, or that wasm failed.
 */
export async function selectBackend(
  requested: BackendName = 'auto',
  notify?: (message: string) => void,
  audience?: Audience,
): Promise<SelectedBackend> {
  switch (requested) {
    case 'tensorflow':
    case 'tensorflow-gpu': {
      const pkg = nativePackage(requested);
      const native = loadNative(pkg);
      if ('problem' in native) {
        throw new BackendError(
          `The '${requested}' backend needs ${pkg}, which ${native.problem}: run 'npm install ${pkg}' next to Model Lab, or use ${backendAdvice('wasm', audience)}.`,
        );
      }
      return useNative(native.tf, requested);
    }
    case 'wasm':
      return useBundled('wasm', audience);
    case 'cpu':
      return useBundled('cpu', audience);
    case 'auto':
    default: {
      // The GPU build is only for those who installed it on purpose: its absence is not worth a word.
      const gpu = loadNative(nativePackage('tensorflow-gpu'));
      if ('tf' in gpu) return useNative(gpu.tf, 'tensorflow-gpu');
      const pkg = nativePackage('tensorflow');
      const native = loadNative(pkg);
      if ('tf' in native) return useNative(native.tf, 'tensorflow');
      try {
        const selected = await useBundled('wasm');
        notify?.(
          `Training on the bundled WebAssembly backend because ${pkg} ${native.problem} (install it next to Model Lab for native TensorFlow speed).`,
        );
        return selected;
      } catch (e) {
        // The wasm binary may be missing from a broken install; pure JS is slow but always works.
        const why = firstLine(e).replace(/\.$/, '');
        const selected = await useBundled('cpu');
        notify?.(
          `Training on the slow pure-JavaScript cpu backend because the WebAssembly backend failed to start (${why}); rebuild Model Lab with 'npm run build' to restore it.`,
        );
        return selected;
      }
    }
  }
}

/** Whether `requested` can run here, checked without loading TensorFlow.js (for a check before starting runs). */
export function backendProblem(requested: BackendName, audience?: Audience): string | undefined {
  if (requested === 'tensorflow' || requested === 'tensorflow-gpu') {
    const pkg = nativePackage(requested);
    try {
      require.resolve(pkg);
      return undefined;
    } catch {
      return `The '${requested}' backend needs ${pkg}, which is not installed: run 'npm install ${pkg}' next to Model Lab, or use ${backendAdvice('wasm', audience)}.`;
    }
  }
  if (requested === 'wasm' && !wasmDir()) {
    return `The wasm backend files (tfjs-backend-wasm.wasm) are missing: rebuild Model Lab with \`npm run build\`, or use ${backendAdvice('cpu', audience)}.`;
  }
  return undefined;
}

function nativePackage(backend: 'tensorflow' | 'tensorflow-gpu'): string {
  return backend === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
}

function loadNative(pkg: string): Native {
  try {
    // A plain require keeps it external in the esbuild bundle (it is listed as external) and optional here.
    return { tf: require(pkg) as TF };
  } catch (e) {
    const notInstalled =
      (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(`'${pkg}'`);
    return { problem: notInstalled ? 'is not installed' : `failed to load (${firstLine(e)})` };
  }
}

async function useNative(tf: TF, requested: 'tensorflow' | 'tensorflow-gpu'): Promise<SelectedBackend> {
  await tf.ready();
  const actual = tf.getBackend();
  // tfjs-node-gpu registers its backend under the same name as tfjs-node.
  return { tf, backend: actual === 'tensorflow' ? requested : actual };
}

let wasmPathsSet = false;

async function useBundled(name: 'wasm' | 'cpu', audience?: Audience): Promise<SelectedBackend> {
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
