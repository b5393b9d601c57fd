/**
 * The wasm backend of tfjs 4.22 routes the gradient of max pooling wrongly in two cases (its MaxPoolGrad.cc starts
 * each window's maximum at std::numeric_limits<float>::min(), the smallest POSITIVE float, and keeps the last of
 * equal values):
 *  - a window whose values are all zero or negative passes no gradient at all (TensorFlow passes it to the maximum);
 *  - of equal maxima the last gets the gradient (TensorFlow: the first, in row-major window order).
 * After a relu neither shows (a window of zeros has a zero derivative anyway), but a max pooling after a
 * BatchNormalization, a linear convolution or a tanh loses gradient on the stock engine. This replaces the kernel
 * with TensorFlow's rule, computed by the fused CNN engine's own pooling loops (`fused/conv-kernels.ts`), so both
 * engines route the gradient the same, Keras's, way. Dilation 1, channels-last (what Model Lab builds).
 */
import type { TF } from './engine';
import { maxPool, maxPoolBackward } from './fused/conv-kernels';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type WasmBackend = {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  disposeData(id: object): void;
};
type KernelFunc = (args: { inputs: unknown; backend: WasmBackend; attrs?: Record<string, unknown> }) => TensorInfo;

const patched = new WeakSet<object>();

export function useKerasMaxPoolGrad(tf: TF): void {
  const engine = tf.engine();
  const original = tf.getKernel('MaxPoolGrad', 'wasm');
  if (patched.has(engine) || !original) return;
  patched.add(engine);
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs = {} }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      attrs.filterSize as [number, number],
      attrs.strides as [number, number],
      1,
      attrs.pad as 'same',
      attrs.dimRoundingMode as 'floor' | undefined,
    );
    const dx = backend.makeOutput(input.shape, 'float32');
    const pooled = backend.makeOutput(dy.shape, 'float32');
    try {
      // Views only after both allocations (an allocation may grow the heap).
      const offset = (t: TensorInfo) => backend.typedArrayFromHeap(t).byteOffset >> 2;
      const F = new Float32Array(backend.typedArrayFromHeap(dx).buffer);
      const count = dy.shape.reduce((a, b) => a * b, 1);
      const argmax = new Int32Array(count);
      maxPool(F, offset(input), offset(pooled), argmax, info.batchSize, {
        h: info.inHeight,
        w: info.inWidth,
        c: info.inChannels,
        oh: info.outHeight,
        ow: info.outWidth,
        kh: info.filterHeight,
        kw: info.filterWidth,
        sh: info.strideHeight,
        sw: info.strideWidth,
        top: info.padInfo.top,
        left: info.padInfo.left,
      });
      maxPoolBackward(
        F,
        offset(dy),
        offset(dx),
        argmax,
        count,
        input.shape.reduce((a, b) => a * b, 1),
      );
    } finally {
      backend.disposeData(pooled.dataId);
    }
    return dx;
  };
  tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as typeof original.kernelFunc });
}
