/**
 * The wasm backend of tfjs 4.22 has no Conv2DBackpropFilter kernel, so no Conv2D model could train on it. This adds
 * one built from kernels wasm does have: for each filter tap (kh, kw), the input window that tap sees (a strided
 * slice of the padded input) multiplied with the output gradient:
 *   dW[kh, kw, :, :] = slice(x_padded, kh, kw)ᵀ (B·OH·OW × CI)ᵀ @ dy (B·OH·OW × CO)
 * Dilation 1 and channels-last only: the Conv2D layers Model Lab builds.
 */
import type { TF } from './engine';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type Backend = { disposeData(id: object): void };
type KernelFunc = (args: { inputs: unknown; backend: Backend; attrs?: Record<string, unknown> }) => TensorInfo;

export function addWasmConv2DBackpropFilter(tf: TF): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  // Looked up per call so the explicit-transpose BatchMatMul (wasm-matmul.ts) is the one used.
  const kernel = (name: string) => tf.getKernel(name, 'wasm')!.kernelFunc as unknown as KernelFunc;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs = {} }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const format = tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW') ?? 'NHWC');
    if (format !== 'channelsLast') throw new Error('Conv2D gradients on wasm support channels-last data only.');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape as [number, number, number, number],
      attrs.strides as [number, number],
      1,
      attrs.pad as 'same',
      attrs.dimRoundingMode as 'floor' | undefined,
      false,
      format,
    );
    const {
      batchSize: b,
      outHeight: oh,
      outWidth: ow,
      inChannels: ci,
      outChannels: co,
      strideHeight: sh,
      strideWidth: sw,
    } = info;
    const made: TensorInfo[] = [];
    const run = (name: string, inputs: unknown, kernelAttrs: Record<string, unknown>): TensorInfo => {
      const out = kernel(name)({ inputs, backend, attrs: kernelAttrs });
      made.push(out);
      return out;
    };
    try {
      const { top, bottom, left, right } = info.padInfo;
      const padded =
        top || bottom || left || right
          ? run(
              'PadV2',
              { x },
              {
                paddings: [
                  [0, 0],
                  [top, bottom],
                  [left, right],
                  [0, 0],
                ],
                constantValue: 0,
              },
            )
          : x;
      const rows = b * oh * ow;
      const grad = run('Reshape', { x: dy }, { shape: [1, rows, co] });
      const taps: TensorInfo[] = [];
      for (let kh = 0; kh < info.filterHeight; kh++) {
        for (let kw = 0; kw < info.filterWidth; kw++) {
          const window = run(
            'StridedSlice',
            { x: padded },
            {
              begin: [0, kh, kw, 0],
              end: [b, kh + (oh - 1) * sh + 1, kw + (ow - 1) * sw + 1, ci],
              strides: [1, sh, sw, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          );
          const flat = run('Reshape', { x: window }, { shape: [1, rows, ci] });
          taps.push(run('BatchMatMul', { a: flat, b: grad }, { transposeA: true, transposeB: false }));
        }
      }
      const stacked = run('Concat', taps, { axis: 1 });
      const out = kernel('Reshape')({ inputs: { x: stacked }, backend, attrs: { shape: info.filterShape } });
      return out;
    } finally {
      for (const t of made) backend.disposeData(t.dataId);
    }
  };
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as Parameters<TF['registerKernel']>[0]['kernelFunc'],
  });
}
