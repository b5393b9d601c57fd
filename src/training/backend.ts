/**
 * Picks the TensorFlow.js backend a run trains on.
 *
 * `@tensorflow/tfjs-node` is optional and native (its install downloads libtensorflow), so it is required at run
 * time and may be missing; when it loads we must use ITS tf namespace, which carries its own tfjs-core. Otherwise
 * the bundled @tensorflow/tfjs runs on the wasm backend (or the pure-JS cpu backend on request).
 */
import * as bundled from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from '../protocol';
import type { TF } from './engine';
import { addWasmConv2DBackpropFilter } from './wasm-conv-grad';
import { useExplicitTransposeMatMul } from './wasm-matmul';
import { wasmDir } from './paths';

export interface SelectedBackend {
  tf: TF;
  /** The backend that really runs: `tensorflow`, `tensorflow-gpu`, `wasm` or `cpu`. */
  backend: string;
}

/** A backend the user asked for cannot run here; the message says what to do. */
export class BackendError extends Error {}

export async function selectBackend(requested: BackendName = 'auto'): Promise<SelectedBackend> {
  switch (requested) {
    case 'tensorflow':
    case 'tensorflow-gpu': {
      const pkg = requested === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      const tf = loadNative(pkg);
      if (!tf) {
        throw new BackendError(
          `The '${requested}' backend needs ${pkg}, which is not installed or failed to load: run 'npm install ${pkg}' next to Model Lab, or use --backend wasm.`,
        );
      }
      return { tf, backend: requested };
    }
    case 'wasm':
      return { tf: await useBundled('wasm'), backend: 'wasm' };
    case 'cpu':
      return { tf: await useBundled('cpu'), backend: 'cpu' };
    case 'auto':
    default: {
      const gpu = loadNative('@tensorflow/tfjs-node-gpu');
      if (gpu) return { tf: gpu, backend: 'tensorflow-gpu' };
      const native = loadNative('@tensorflow/tfjs-node');
      if (native) return { tf: native, backend: 'tensorflow' };
      try {
        return { tf: await useBundled('wasm'), backend: 'wasm' };
      } catch {
        // The wasm binary may be missing from a broken install; pure JS is slow but always works.
        return { tf: await useBundled('cpu'), backend: 'cpu' };
      }
    }
  }
}

function loadNative(pkg: string): TF | undefined {
  try {
    // A plain require keeps it external in the esbuild bundle (it is listed as external) and optional here.
    const tf = require(pkg) as TF;
    return tf;
  } catch {
    return undefined;
  }
}

let wasmPathsSet = false;

async function useBundled(name: 'wasm' | 'cpu'): Promise<TF> {
  const tf = bundled as unknown as TF;
  if (name === 'wasm' && !wasmPathsSet) {
    const dir = wasmDir();
    if (!dir) throw new BackendError('The wasm backend files (tfjs-backend-wasm.wasm) are missing: rebuild Model Lab with `npm run build`.');
    setWasmPaths(dir.endsWith('/') ? dir : dir + '/');
    wasmPathsSet = true;
  }
  // The cpu backend greets Node users with a multi-line hint to install tfjs-node; they chose cpu on purpose.
  if (name === 'cpu') tf.env().set('PROD', true);
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new BackendError(`The ${name} backend failed to start: try --backend cpu.`);
  }
  await tf.ready();
  if (name === 'wasm') {
    useExplicitTransposeMatMul(tf);
    addWasmConv2DBackpropFilter(tf);
  }
  return tf;
}
