/**
 * Reading and writing tensor memory from JS without needless copies.
 *
 * On the wasm backend a tensor lives in the module's heap, so a Float32Array view over it costs nothing, and a new
 * tensor can be allocated and filled in place. A view is only valid until the next allocation (the heap may grow
 * and move), so take views right before the loop that uses them. Other backends fall back to `dataSync()` and to
 * uploading a filled array.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { TF } from '../engine';
import type { WasmHeap } from './fused-optimizers';

type Info = { dataId: object; shape: number[]; dtype: string };

/** The parts of the wasm backend used here (public methods of BackendWasm and its Emscripten module). */
interface WasmBackendLike {
  typedArrayFromHeap(info: Info): Float32Array | Int32Array;
  makeOutput(shape: number[], dtype: 'float32'): Info;
  wasm: { asm?: { memory?: WebAssembly.Memory }; _malloc(bytes: number): number; _free(pointer: number): void };
}

export interface TensorMemory {
  /** The values of `t` (float32 or int32). Read-only; valid until the next tensor is created. */
  read(t: tfjs.Tensor): Float32Array | Int32Array;
  /** A new float32 tensor of `shape` whose values `fill` writes. `fill` must not create tensors. */
  create<R extends tfjs.Rank>(shape: number[], fill: (values: Float32Array) => void): tfjs.Tensor<R>;
  /** The wasm heap, when tensors live in one. */
  heap?: WasmHeap;
}

function wasmBackend(tf: TF): WasmBackendLike | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as Partial<WasmBackendLike>;
  return backend.typedArrayFromHeap && backend.makeOutput && backend.wasm ? (backend as WasmBackendLike) : undefined;
}

const memories = new WeakMap<object, TensorMemory>();

/** The tensor memory of tf's current backend (made once per backend: the batch code asks at every step). */
export function tensorMemory(tf: TF): TensorMemory {
  const backend = tf.backend() as object;
  let memory = memories.get(backend);
  if (!memory) {
    memory = makeTensorMemory(tf);
    memories.set(backend, memory);
  }
  return memory;
}

function makeTensorMemory(tf: TF): TensorMemory {
  const wasm = wasmBackend(tf);
  if (wasm) {
    const memory = wasm.wasm.asm?.memory;
    return {
      read: (t) => wasm.typedArrayFromHeap(t as unknown as Info),
      create<R extends tfjs.Rank>(shape: number[], fill: (values: Float32Array) => void) {
        const info = wasm.makeOutput(shape, 'float32');
        fill(wasm.typedArrayFromHeap(info) as Float32Array);
        return tf.engine().makeTensorFromTensorInfo(info as tfjs.TensorInfo) as tfjs.Tensor<R>;
      },
      heap:
        memory instanceof WebAssembly.Memory
          ? { memory, malloc: (bytes) => wasm.wasm._malloc(bytes) >>> 0, free: (p) => wasm.wasm._free(p) }
          : undefined,
    };
  }
  return {
    read: (t) => t.dataSync() as Float32Array | Int32Array,
    create<R extends tfjs.Rank>(shape: number[], fill: (values: Float32Array) => void) {
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      fill(values);
      return tf.tensor(values, shape as tfjs.ShapeMap[R], 'float32');
    },
  };
}
