/**
 * The wasm backend of tfjs 4.22 has no UnsortedSegmentSum kernel, which the gradient of Gather needs, so no
 * Embedding could train on it. This adds one that sums rows in plain JavaScript: out[ids[i]] += x[i] for each of the
 * N looked-up rows (ids outside [0, numSegments) are dropped, as TensorFlow does). An embedding gradient is a few
 * thousand rows per batch, far below where a wasm loop would matter.
 */
import type { TF } from './engine';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type WasmBackend = {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
};
type KernelFunc = (args: { inputs: unknown; backend: WasmBackend; attrs?: Record<string, unknown> }) => TensorInfo;

export function addWasmUnsortedSegmentSum(tf: TF): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs = {} }) => {
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum on wasm supports float32 values, not ${x.dtype}.`);
    const segments = Number(attrs.numSegments);
    const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
    const ids = backend.readSync(segmentIds.dataId);
    const values = backend.readSync(x.dataId);
    const out = backend.makeOutput([segments, ...x.shape.slice(segmentIds.shape.length)], 'float32');
    const sums = backend.typedArrayFromHeap(out);
    sums.fill(0);
    for (let r = 0; r < rows; r++) {
      const id = ids[r];
      if (id < 0 || id >= segments) continue;
      const to = id * inner;
      const from = r * inner;
      for (let k = 0; k < inner; k++) sums[to + k] += values[from + k];
    }
    return out;
  };
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as Parameters<TF['registerKernel']>[0]['kernelFunc'],
  });
}
