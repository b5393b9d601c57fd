/**
 * Hand-written forward and backward passes of a Dense stack, with as few and as large kernels as possible.
 *
 * Per layer, with A the layer's input (row-major [batch, inputs]) and W its kernel ([inputs, units]):
 *   forward   Z   = A @ W + bias, relu           (bias and relu in the product's epilogue; sigmoid/tanh in JS)
 *   backward  dW  = Aᵀ @ dZ                       (the transposes are strides, folded into the product's packing)
 *             dA  = dZ @ Wᵀ                       (only above the first layer)
 * On wasm the products run in `packed-gemm.ts` straight on tensor memory (packed, blocked, register-tiled SIMD,
 * relaxed-SIMD FMA where the runtime has it): the backend's own products repack their right operand whenever it is
 * a new tensor, which in training is every step, and are slow on transposed operands. Elsewhere they are tf.matMul.
 * Everything else elementwise and small (activations other than relu, softmax, the loss and its fused gradient,
 * dropout, bias gradients) is a plain JS loop over tensor memory, cheaper than the engine's per-kernel overhead.
 * Gradients are those of the MEAN batch loss, with the stock engine's loss definitions.
 *
 * Crossentropies work from the output layer's logits, as Keras does for a softmax or sigmoid output (its activation
 * hands the loss `_keras_logits`): no clipping, and every example passes gradient, however wrong it is.
 *
 * Views of wasm memory (`mem.read`, the array `mem.create` fills) are taken right before the loop that uses them and
 * never kept across the creation of a tensor: an allocation may grow the memory and detach every view of it.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { labelValues } from '../batches';
import { fillDropoutMask, type RawBatch, type TF } from '../engine';
import { pixelFiller } from '../wasm-pixels';
import type { Activation, StackPlan } from './eligibility';
import { gemmWorkBytes, KC, packedGemm, rateBits, sparseRowsFit, type PackedGemmKernel } from './packed-gemm';
import type { FusedOptimizer, FusedUpdate, WasmHeap } from './fused-optimizers';
import { tensorMemory, type TensorMemory } from './memory';
import { sparseListKernel, type SparseListKernel } from './sparse-lists';
import {
  listedBytes,
  SPARSE_DENSITY,
  sparseColumns,
  sparseColumnsUpdate,
  sparseForward,
  sparseForwardFits,
  sparseForwardListing,
  sparseForwardScratch,
  sparseListedUpdate,
  sparseRowedUpdate,
  updateByColumns,
  type BlockLoops,
  type SparseColumns,
  type SparseColumnsUpdate,
  type SparseForward,
  type SparseForwardListing,
  type SparseListedUpdate,
} from './sparse-forward';
import { outputLossAndGradient } from './output-loss';

/** What one pass measured, before any update. */
export interface PassResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Correct predictions in the batch (0 when accuracy is not tracked). */
  correct: number;
}

/**
 * Updates parameter `index` (kernel or bias, in parameter order): reads `w` and `g`, writes `out`.
 * The arrays may be views of tensor memory: the callback must not create tensors or otherwise allocate in the wasm
 * heap (that may grow the memory and detach the views).
 */
export type ParamUpdate = (index: number, w: Float32Array, g: Float32Array, out: Float32Array) => void;

/** What the stack may ask of the optimizer to apply the first kernel's update itself (`DenseStack.pass`). */
export type OwnUpdate = Pick<FusedOptimizer, 'plainRate' | 'fusedUpdate'>;

/** Fills `mask` with 0 or 1/(1-rate) per element, in row-major [batch, features] order. */
export type DropoutSampler = (mask: Float32Array, rate: number) => void;

/** Dropout as the stock engine draws it: keep where a uniform draw is at least `rate`, scale by 1/(1-rate). */
export function dropoutSampler(random: () => number): DropoutSampler {
  return (mask, rate) => void fillDropoutMask(mask, rate, random);
}

/**
 * A matrix of the stack: on wasm the byte address of a buffer in the heap, allocated once and reused from step to
 * step (views of it are taken right before the loop that uses them); elsewhere a JS array.
 */
type Buf = number | Float32Array;

interface LayerState {
  inputs: number;
  units: number;
  activation: Activation;
  dropout: number;
  /** W, [inputs, units], updated in place. */
  kernel: Buf;
  /** The bias, padded with zeros to a multiple of 8 floats (the product's epilogue reads whole vectors). */
  bias?: Buf;
  /** This step's gradients of W and of the bias. */
  dW: Buf;
  db?: Buf;
}

/** A layer's per-batch buffers, sized for `Frame.capacity` examples (smaller batches use their first rows). */
interface LayerFrame {
  /** The layer's input after dropout (only with dropout). */
  dropped?: Buf;
  /** The product's result Z = A @ W (+ bias, relu when the epilogue ran). */
  z: Buf;
  /** The activation output when it is not `z` (sigmoid, tanh, or a bias the epilogue did not add). */
  act: Buf;
  /** dL/dZ of this layer. */
  dz: Buf;
}

interface Frame {
  capacity: number;
  /** The batch's input read from the data set (`loadBatch`), on wasm only. */
  input: Buf;
  layers: LayerFrame[];
  /** dL/dA of a layer's input, before the activation's derivative (widest layer). */
  dA: Buf;
  /** The first layer's sparse-k lists (`sparse-lists.ts`), 0 when not used. */
  lists: number;
  /** The scratch area of the first layer's sparse forward product (`sparse-forward.ts`), 0 when not used. */
  rows: number;
  /**
   * The scratch area of its sparse weight-gradient product (`sparseColumns`), 0 when not used; or the lists by
   * input the forward product wrote there for it (`listedBytes`).
   */
  columns: number;
}

/** Per-pass values of one layer: what it multiplied and what it produced. */
interface LayerTrace {
  /** The layer's input, row-major [batch, inputs], after dropout. */
  input: Buf;
  /** Dropout mask applied to the input, row-major. */
  mask?: Float32Array;
  /** The layer's activation output, row-major [batch, units] (before the next layer's dropout). */
  output: Buf;
}

export interface DenseStackOptions {
  /** false: plain-SIMD products even where the runtime has relaxed-SIMD FMA (tests compare the two). */
  fma?: boolean;
  /**
   * false: the first weight gradient's product lists each input's examples itself rather than take lists the
   * forward product wrote (`sparseForwardListing`; tests and benches compare the two).
   */
  listing?: boolean;
  /**
   * false: the first kernel's update from those lists calls one function a column block (`sparseListedUpdate`)
   * rather than one a row of the kernel (`sparseRowedUpdate`; tests and benches compare the two).
   */
  rowed?: boolean;
  /**
   * false: the first layer's sparse kernels' column blocks take one listed entry a loop iteration rather than two
   * (`BlockLoops.unrolled`, `sparse-forward.ts`; the same floats; tests and benches compare the two).
   */
  unrolled?: boolean;
  /** false: their column blocks at most NARROW_VECTORS (7) vectors wide, not MAX_VECTORS (`BlockLoops.wide`). */
  wide?: boolean;
  /** false: the first kernel's update from lists one call a row, not one call looping over its rows (`BlockLoops.looped`). */
  looped?: boolean;
}

/** Extra bytes after every heap buffer: a product's full tile may read a vector past a row's last column. */
const SLACK = 64;

export class DenseStack {
  private readonly mem: TensorMemory;
  /** On wasm: the heap every buffer lives in, and the packed product that reads them in place. */
  private readonly heap?: WasmHeap;
  private readonly gemm?: PackedGemmKernel;
  private listKernel?: SparseListKernel;
  /**
   * The first layer's forward product over each example's non-zero inputs (`sparse-forward.ts`), while its input
   * stays sparse: dropped for good after a batch denser than `SPARSE_DENSITY`, where the dense product is faster.
   */
  private rowsKernel?: SparseForward;
  /**
   * The first layer's weight-gradient product over each input's non-zero examples (`sparseColumns`), used with
   * `rowsKernel` (while the input stays sparse) for batches of up to SPARSE_ROWS examples, where it was measured.
   */
  private columnsKernel?: SparseColumns;
  /**
   * `rowsKernel` that also lists the input by input for the weight gradient's product (`sparseForwardListing`), used
   * when the first kernel's update runs in that product.
   */
  private listingKernel?: SparseForwardListing;
  /**
   * `columnsKernel` with an optimizer's update in its epilogue (`updateKernels`), and the same from the lists
   * `listingKernel` wrote (`listed`).
   */
  private ownKernel?: { name: string; kernel?: SparseColumnsUpdate; listed?: SparseListedUpdate };
  /** `DenseStackOptions.rowed`, and `unrolled`, `wide` and `looped` (the first layer's sparse kernels' loops). */
  private readonly rowed: boolean;
  private readonly loops: BlockLoops;
  /** Heap addresses of the product's work area and of a float 1 (a zero-stride row of ones for column sums). */
  private work = 0;
  private one = 0;
  /** Every heap block this stack holds (the per-batch frame's are also in `frameBlocks`). */
  private readonly blocks: number[] = [];
  private frameBlocks: number[] = [];
  private frame?: Frame;
  private readonly layers: LayerState[];
  /** The batch `loadBatch` read: its size and labels (the pixels are in the frame's input buffer). */
  private loaded?: { size: number; labels: Float32Array | Int32Array };
  /** JS arrays reused from step to step (same batch size, same arrays): no garbage per step. */
  private readonly scratch = new Map<string, Float32Array>();

  constructor(
    private readonly tf: TF,
    private readonly plan: StackPlan,
    private readonly sampleDropout: DropoutSampler = dropoutSampler(Math.random),
    options: DenseStackOptions = {},
  ) {
    this.mem = tensorMemory(tf);
    this.rowed = options.rowed !== false;
    this.loops = {
      unrolled: options.unrolled !== false,
      wide: options.wide !== false,
      looped: options.looped !== false,
    };
    const heap = this.mem.heap;
    const gemm = heap ? packedGemm(heap.memory, { fma: options.fma }) : undefined;
    const widest = Math.max(...plan.layers.flatMap((p) => [p.inputs, p.units]));
    // Allocated once, now: an allocation during a step could grow the memory under live views.
    if (heap && gemm) {
      this.heap = heap;
      this.work = this.alloc(gemmWorkBytes(widest, Number.MAX_SAFE_INTEGER) / 4) as number;
      this.one = this.alloc(1) as number;
      if (this.work && this.one) {
        this.gemm = gemm;
        this.listKernel = sparseListKernel(heap.memory);
        const first = plan.layers[0];
        if (first && sparseForwardFits(first.inputs, first.units)) {
          // One module for the three (with the row kernels of this width unless `rowed` is false).
          const units = this.rowed ? first.units : 0;
          const [memory, fma, loops] = [heap.memory, gemm.fma, this.loops];
          this.rowsKernel = sparseForward(memory, fma, units, loops);
          this.columnsKernel = sparseColumns(memory, fma, units, loops);
          if (options.listing !== false) this.listingKernel = sparseForwardListing(memory, fma, units, loops);
        }
      } else {
        this.freeAll(this.blocks);
        this.heap = undefined;
      }
    }
    const padded = (units: number) => Math.ceil(units / 8) * 8;
    this.layers = plan.layers.map((p) => ({
      inputs: p.inputs,
      units: p.units,
      activation: p.activation,
      dropout: p.dropout,
      kernel: this.alloc(p.inputs * p.units),
      bias: p.bias ? this.alloc(padded(p.units)) : undefined,
      dW: this.alloc(p.inputs * p.units),
      db: p.bias ? this.alloc(p.units) : undefined,
    }));
    if (this.heap && this.blocks.includes(0)) throw new Error(OUT_OF_MEMORY);
    // Views only after every allocation. A private copy: the model's variables stay untouched until `writeBack`.
    if (this.heap) this.view(this.one, 1)[0] = 1;
    this.plan.layers.forEach((p, l) => {
      const layer = this.layers[l];
      const kernel = this.mem.read(p.kernel.read());
      this.view(layer.kernel, kernel.length).set(kernel);
      if (p.bias && layer.bias) {
        const bias = this.mem.read(p.bias.read());
        this.view(layer.bias, padded(layer.units)).fill(0).set(bias);
      }
    });
  }

  /** A buffer of `floats` floats: on wasm a heap block (0 when the heap cannot hold it), else a JS array. */
  private alloc(floats: number, frame = false): Buf {
    if (!this.heap) return new Float32Array(floats);
    const p = this.heap.malloc(floats * 4 + SLACK);
    this.blocks.push(p);
    if (frame) this.frameBlocks.push(p);
    return p;
  }

  private freeAll(blocks: number[]): void {
    for (const p of blocks) if (p) this.heap?.free(p);
    const gone = new Set(blocks);
    const kept = this.blocks.filter((p) => !gone.has(p));
    this.blocks.length = 0;
    this.blocks.push(...kept);
  }

  /** `size` floats of `b`; on wasm a view of the heap, valid until the next allocation there. */
  private view(b: Buf, size: number): Float32Array {
    return typeof b === 'number' ? new Float32Array(this.heap!.memory.buffer, b, size) : b.subarray(0, size);
  }

  /** Element counts of the parameters, in parameter order (per layer: kernel, then bias when it has one). */
  paramSizes(): number[] {
    return this.layers.flatMap((l) => (l.bias ? [l.inputs * l.units, l.units] : [l.inputs * l.units]));
  }

  /** A reusable array of `size` floats for `key`; its old contents are not cleared. */
  private array(key: string, size: number): Float32Array {
    let a = this.scratch.get(key);
    if (!a || a.length !== size) {
      a = new Float32Array(size);
      this.scratch.set(key, a);
    }
    return a;
  }

  /** Which product runs the matrix multiplications: 'wasm-fma', 'wasm-simd' or 'tfjs'. */
  get products(): string {
    return this.gemm ? (this.gemm.fma ? 'wasm-fma' : 'wasm-simd') : 'tfjs';
  }

  /** The per-batch buffers for `batch` examples, (re)allocated before any view of a step is taken. */
  private frameFor(batch: number): Frame {
    if (this.frame && this.frame.capacity >= batch) return this.frame;
    this.freeAll(this.frameBlocks);
    this.frameBlocks = [];
    const { layers } = this;
    const widest = Math.max(...layers.map((l) => l.inputs));
    const first = layers[0].inputs;
    const sparse = !!this.listKernel && sparseRowsFit(4, first, batch);
    const frame: Frame = {
      capacity: batch,
      input: this.heap ? this.alloc(batch * first, true) : 0,
      layers: layers.map((l) => {
        const z = this.alloc(batch * l.units, true);
        return {
          dropped: l.dropout > 0 ? this.alloc(batch * l.inputs, true) : undefined,
          z,
          act: l.activation === 'relu' || l.activation === 'linear' ? z : this.alloc(batch * l.units, true),
          dz: this.alloc(batch * l.units, true),
        };
      }),
      dA: this.alloc(batch * widest, true),
      lists: sparse ? (this.alloc((first / 4) * (batch + 1), true) as number) : 0,
      rows: this.rowsKernel
        ? (this.alloc(sparseForwardScratch(Math.min(batch, SPARSE_ROWS), first) / 4, true) as number)
        : 0,
      columns:
        this.columnsKernel && batch <= SPARSE_ROWS
          ? (this.alloc(Math.max(sparseForwardScratch(first, batch), listedBytes(batch, first)) / 4, true) as number)
          : 0,
    };
    if (this.frameBlocks.includes(0)) throw new Error(OUT_OF_MEMORY);
    this.frame = frame;
    return frame;
  }

  /**
   * c = op(a) @ op(b) (op: transpose when asked), [m, n] with depth k. On wasm the packed kernel reads the operands
   * in place (a transpose is a stride) and, when `epilogue` is given, adds its bias and applies relu, or keeps only
   * the entries where `gate` (a matrix of the result's shape) is positive, before storing: the return says whether
   * it did; `list` makes k sparse (`packed-gemm.ts`). Elsewhere tf.matMul, with no epilogue.
   */
  private product(
    c: Buf,
    a: Buf,
    transA: boolean,
    b: Buf,
    transB: boolean,
    [m, n, k]: [number, number, number],
    epilogue?: { bias?: Buf; relu?: boolean; gate?: Buf; list?: number; rate?: number },
  ): boolean {
    const { gemm } = this;
    if (!gemm || typeof a !== 'number' || typeof b !== 'number' || typeof c !== 'number') {
      const { tf } = this;
      tf.tidy(() => {
        const A = tf.tensor2d(this.view(a, m * k), transA ? [k, m] : [m, k]);
        const B = tf.tensor2d(this.view(b, k * n), transB ? [n, k] : [k, n]);
        this.view(c, m * n).set(tf.matMul(A, B, transA, transB).dataSync() as Float32Array);
      });
      return false;
    }
    const [aRow, aCol] = transA ? [4, m * 4] : [k * 4, 4];
    const [bRow, bCol] = transB ? [4, k * 4] : [n * 4, 4];
    gemm.gemm(
      a,
      aRow,
      aCol,
      b,
      bRow,
      bCol,
      c,
      m,
      n,
      k,
      address(epilogue?.bias),
      epilogue?.relu ? 1 : 0,
      this.work,
      address(epilogue?.gate),
      n * 4,
      epilogue?.list ?? 0,
      epilogue?.rate ?? 0,
    );
    return !!epilogue;
  }

  /**
   * The first layer's forward product with its bias and relu, over each example's non-zero inputs: the same floats
   * as `product` with that epilogue. Measures the input's density and gives up this kernel for good (the dense
   * product from the next step on) past `SPARSE_DENSITY`. With `lists` (a batch of up to SPARSE_ROWS examples), it
   * also writes there the input's lists by input for the weight gradient (`sparseForwardListing`).
   */
  private sparseFirst(z: number, input: number, batch: number, relu: boolean, scratch: number, lists = 0): boolean {
    const { kernel, bias, inputs, units } = this.layers[0];
    let nonZero = 0;
    if (lists) {
      const r = relu ? 1 : 0;
      nonZero = this.listingKernel!(
        input,
        kernel as number,
        address(bias),
        z,
        batch,
        units,
        inputs,
        r,
        scratch,
        0,
        lists,
      );
      if (nonZero > SPARSE_DENSITY * batch * inputs) this.rowsKernel = undefined;
      return true;
    }
    // In chunks of SPARSE_ROWS examples: the scratch area holds that many examples' lists.
    for (let row = 0; row < batch; row += SPARSE_ROWS) {
      const rows = Math.min(SPARSE_ROWS, batch - row);
      nonZero += this.rowsKernel!(
        input + row * inputs * 4,
        kernel as number,
        address(bias),
        z + row * units * 4,
        rows,
        units,
        inputs,
        relu ? 1 : 0,
        scratch,
      );
    }
    if (nonZero > SPARSE_DENSITY * batch * inputs) this.rowsKernel = undefined;
    return true;
  }

  /**
   * The bias gradient, dZ's column sums into `db`: on wasm the product 1 @ dZ with a zero-stride row of ones
   * (float32 sums in row order, as the stock engine's sum), elsewhere a JS loop.
   */
  private biasGradient(dZ: Buf, batch: number, units: number, db: Buf): void {
    const { gemm } = this;
    if (gemm && typeof dZ === 'number' && typeof db === 'number') {
      gemm.gemm(this.one, 0, 0, dZ, units * 4, 4, db, 1, units, batch, 0, 0, this.work);
      return;
    }
    columnSums(this.view(dZ, batch * units), batch, units, this.view(db, units));
  }

  /**
   * Forward and backward on one batch, then (when `update` is given) every parameter updated by it, in place.
   * `inspect` sees the gradients first, in parameter order (kernel then bias, per layer), and may change them in place
   * (the optimizer's gradient clipping) before `update` reads them.
   * `own`: the optimizer, offering this step's update of the first layer's kernel (parameter 0) for the stack to
   * apply inside that kernel's gradient product, whose gradient is then never stored and read back: with the
   * product over each input's non-zero examples (`sparseColumnsUpdate`), any rule's formulas in its epilogue
   * (`FusedOptimizer.fusedUpdate`); else plain SGD in the packed product (`packed-gemm.ts`, `rate`); the same float32
   * operations as the SIMD loop either way, and `update` is then not called for that kernel. Not with `inspect`.
   */
  pass(
    x: tfjs.Tensor,
    y: tfjs.Tensor,
    update?: ParamUpdate,
    inspect?: (grads: Float32Array[]) => void,
    own?: OwnUpdate,
  ): PassResult {
    const batch = x.shape[0];
    // Every allocation of the step happens here, before any view is taken.
    this.frameFor(batch);
    const pixels = this.mem.read(x) as Float32Array;
    return this.run(this.heap ? pixels.byteOffset : pixels, y, batch, update, inspect, own);
  }

  /**
   * Reads examples `order[start … end)` of the data set into the stack's input buffer and their labels, for
   * `passLoaded`: no x and y tensors (their tfjs bookkeeping was a few percent of a canonical step). The same floats
   * as the tensors' (`pixelFiller`). False, having changed nothing the step reads, where this path does not apply:
   * not wasm, not uint8 pixels of the first layer's width, a scale the SIMD conversion cannot match exactly.
   */
  loadBatch(batch: RawBatch): boolean {
    const { split, order, start, end, shape } = batch;
    const size = end - start;
    const n = this.layers[0].inputs;
    if (!this.heap || !this.gemm || !(split.x instanceof Uint8Array) || shape.exampleSize !== n) return false;
    // Allocations (the frame, the pixel kernel's staging area) before the view.
    const frame = this.frameFor(size);
    const fill = pixelFiller(this.heap, split.x, order, start, size, n, shape.scale);
    if (!fill) return false;
    fill(this.view(frame.input, size * n));
    const classes = shape.labels === 'onehot' ? shape.numClasses : 1;
    let into = this.loaded?.labels;
    if (!into || into.length !== size * classes || into instanceof Int32Array !== (shape.labels === 'sparse'))
      into = shape.labels === 'sparse' ? new Int32Array(size) : new Float32Array(size * classes);
    this.loaded = { size, labels: labelValues(split, order, start, end, shape, into) };
    return true;
  }

  /** `pass` on the batch `loadBatch` read last. */
  passLoaded(update?: ParamUpdate, own?: OwnUpdate, inspect?: (grads: Float32Array[]) => void): PassResult {
    const { size, labels } = this.loaded!;
    return this.run(this.frameFor(size).input, labels, size, update, inspect, own);
  }

  /**
   * The pass on `batch` examples at `input` (the first layer's input) with these labels; a tensor of them is read
   * after the step's allocations (`frameFor`), where its view stays valid.
   */
  private run(
    input: Buf,
    labels: tfjs.Tensor | Float32Array | Int32Array,
    batch: number,
    update?: ParamUpdate,
    inspect?: (grads: Float32Array[]) => void,
    own?: OwnUpdate,
  ): PassResult {
    const { layers } = this;
    const n = layers.length;
    // The output layer yields raw z when the loss starts from logits, or (under mse) when softmax is applied there.
    const fromLogits = this.plan.loss !== 'mse';
    const frame = this.frameFor(batch);
    let output: Buf = input;
    // The first layer's kernel has no later reader in the step: its update may run in its gradient's product, from
    // lists by input that its forward product writes (`listed`) when that product is the sparse one.
    const mine = update && !inspect && this.gemm ? own : undefined;
    let listed: { u: FusedUpdate; kernel: SparseListedUpdate } | undefined;
    if (mine && this.rowsKernel && this.listingKernel && frame.columns) {
      const u = mine.fusedUpdate(0);
      const kernel = u && this.updateKernels(u).listed;
      if (u && kernel) listed = { u, kernel };
    }
    let listedDone = false;

    // ---- forward: every activation stays in its buffer, where the next product reads it.
    const traces: LayerTrace[] = [];
    for (let l = 0; l < n; l++) {
      const layer = layers[l];
      const buffers = frame.layers[l];
      let input = output;
      let mask: Float32Array | undefined;
      if (layer.dropout > 0) {
        const size = batch * layer.inputs;
        mask = this.array(`mask${l}`, size);
        this.sampleDropout(mask, layer.dropout);
        const [a, out] = [this.view(output, size), this.view(buffers.dropped!, size)];
        for (let i = 0; i < size; i++) out[i] = a[i] * mask[i];
        input = buffers.dropped!;
      }
      const last = l === n - 1;
      const raw = last && (fromLogits || layer.activation === 'softmax');
      const activation = raw ? 'linear' : layer.activation;
      const sparse =
        l === 0 && this.rowsKernel && frame.rows && typeof input === 'number' && typeof buffers.z === 'number';
      if (sparse && listed) listedDone = true;
      const fused = sparse
        ? this.sparseFirst(
            buffers.z as number,
            input as number,
            batch,
            activation === 'relu',
            frame.rows,
            listed ? frame.columns : 0,
          )
        : this.product(buffers.z, input, false, layer.kernel, false, [batch, layer.units, layer.inputs], {
            bias: layer.bias,
            relu: activation === 'relu',
          });
      // With the epilogue the bias (and relu) are in z already; sigmoid and tanh still run here.
      const rest = fused && (activation === 'relu' || activation === 'linear') ? 'linear' : activation;
      output = buffers.z;
      if (rest !== 'linear' || (!fused && layer.bias)) {
        const size = batch * layer.units;
        // Where act is z itself (relu, linear without the epilogue) the loop runs in place.
        activateInto(
          this.view(buffers.z, size),
          fused || !layer.bias ? undefined : this.view(layer.bias, layer.units),
          rest,
          batch,
          layer.units,
          this.view(buffers.act, size),
        );
        output = buffers.act;
      }
      traces.push({ input, mask, output });
    }

    // ---- loss, and dL/dZ of the output layer (row-major).
    const out = layers[n - 1];
    let dZ = frame.layers[n - 1].dz;
    const dz = this.view(dZ, batch * out.units);
    // Zeroed: a label outside the classes leaves its row of dz untouched.
    dz.fill(0);
    const result = this.lossAndGradient(
      this.view(output, batch * out.units),
      labels instanceof Float32Array || labels instanceof Int32Array ? labels : this.mem.read(labels),
      batch,
      out.units,
      out.activation,
      dz,
    );

    // ---- backward.
    let firstDone = false;
    for (let l = n - 1; l >= 0; l--) {
      const layer = layers[l];
      const units = layer.units;
      const input = traces[l].input;
      if (l === 0 && listedDone && listed && typeof dZ === 'number' && typeof layer.kernel === 'number') {
        updateByColumns(listed.kernel, listed.u, [0, dZ, layer.kernel, frame.columns], [layer.inputs, units, batch]);
        firstDone = true;
      } else if (
        l === 0 &&
        this.rowsKernel &&
        frame.columns &&
        typeof input === 'number' &&
        typeof dZ === 'number' &&
        typeof layer.dW === 'number' &&
        typeof layer.kernel === 'number'
      ) {
        // Per input, over the examples where it is not zero (the same floats as the packed product below).
        const u = mine?.fusedUpdate(0);
        const kernel = u && this.updateKernels(u).kernel;
        if (u && kernel) {
          updateByColumns(kernel, u, [input, dZ, layer.kernel, frame.columns], [layer.inputs, units, batch]);
          firstDone = true;
        } else {
          this.columnsKernel!(input, dZ, 0, layer.dW, layer.inputs, units, batch, 0, frame.columns, layer.inputs * 4);
        }
      } else {
        const plainRate = l === 0 ? mine?.plainRate() : undefined;
        const rate = plainRate && batch <= KC ? rateBits(plainRate) : 0;
        const list = l === 0 && frame.lists ? frame.lists : 0;
        if (list) this.listKernel!(input as number, layer.inputs, batch, list);
        this.product(rate ? layer.kernel : layer.dW, input, true, dZ, false, [layer.inputs, units, batch], {
          list,
          rate,
        });
        firstDone = rate !== 0;
      }
      if (layer.db) this.biasGradient(dZ, batch, units, layer.db);
      if (l === 0) break;

      const below = layers[l - 1];
      const mask = traces[l].mask;
      const a = traces[l - 1].output;
      const size = batch * below.units;
      const next = frame.layers[l - 1].dz;
      const shape: [number, number, number] = [batch, below.units, units];
      // relu below and no dropout between: its derivative is the product's gate (dz = dA where a > 0).
      if (below.activation === 'relu' && !mask) {
        if (!this.product(next, dZ, false, layer.kernel, true, shape, { gate: a })) {
          const g = this.view(next, size);
          activationBackward(g, this.view(a, size), undefined, 'relu', g);
        }
      } else {
        this.product(frame.dA, dZ, false, layer.kernel, true, shape);
        activationBackward(
          this.view(frame.dA, size),
          this.view(a, size),
          mask,
          below.activation,
          this.view(next, size),
        );
      }
      dZ = next;
    }

    if (inspect) {
      inspect(
        layers.flatMap((l) => {
          const dW = this.view(l.dW, l.inputs * l.units);
          return l.db ? [dW, this.view(l.db, l.units)] : [dW];
        }),
      );
    }
    if (update) this.applyUpdate(update, firstDone);
    return result;
  }

  /**
   * Compiles now what `own`'s update in the first layer's gradient product will run (`updateKernels`: 15-20 ms of
   * generating and compiling the module, which the first step would pay otherwise), before any step (only the
   * program of `fusedUpdate` is used: its scalars before the first step mean nothing).
   */
  prepare(own: OwnUpdate): void {
    const u = this.columnsKernel ? own.fusedUpdate(0) : undefined;
    if (u) this.updateKernels(u);
  }

  /**
   * The product with `u`'s program as its epilogue, listing the examples itself (`kernel`) or from the forward
   * product's lists (`listed`, one call a row of the first kernel unless `rowed` is false): one module, compiled once
   * per program and width (the last one kept).
   */
  private updateKernels(u: FusedUpdate): { kernel?: SparseColumnsUpdate; listed?: SparseListedUpdate } {
    if (this.ownKernel?.name !== u.name) {
      const [memory, fma, loops] = [this.heap!.memory, this.gemm!.fma, this.loops];
      // One module for both (with the row kernel of the first kernel's width unless `rowed` is false).
      const units = this.rowed ? this.layers[0].units : 0;
      const kernel = sparseColumnsUpdate(memory, fma, u.name, u.program, units, loops);
      const listed = this.rowed
        ? sparseRowedUpdate(memory, fma, u.name, u.program, units, loops)
        : sparseListedUpdate(memory, fma, u.name, u.program, loops);
      this.ownKernel = { name: u.name, kernel, listed };
    }
    return this.ownKernel;
  }

  /** Writes the current parameters into the model's variables. */
  writeBack(): void {
    const { tf } = this;
    this.plan.layers.forEach((p, l) => {
      const layer = this.layers[l];
      // Copies into JS first: creating a tensor may grow the wasm memory under a view.
      const kernel = Float32Array.from(this.view(layer.kernel, layer.inputs * layer.units));
      const bias = layer.bias ? Float32Array.from(this.view(layer.bias, layer.units)) : undefined;
      tf.tidy(() => {
        p.kernel.write(tf.tensor2d(kernel, [layer.inputs, layer.units]));
        if (p.bias && bias) p.bias.write(tf.tensor1d(bias));
      });
    });
  }

  /** Whether every kernel and bias value is finite (what `writeBack` would write). */
  paramsFinite(): boolean {
    for (const layer of this.layers) {
      if (!allFinite(this.view(layer.kernel, layer.inputs * layer.units))) return false;
      if (layer.bias && !allFinite(this.view(layer.bias, layer.units))) return false;
    }
    return true;
  }

  dispose(): void {
    this.freeAll([...this.blocks]);
    this.frameBlocks = [];
    this.frame = undefined;
    this.work = this.one = 0;
  }

  /** `firstDone`: the first layer's kernel was updated in its gradient product already. */
  private applyUpdate(update: ParamUpdate, firstDone: boolean): void {
    let slot = 0;
    for (const layer of this.layers) {
      // In place: our own products read the kernel from its memory at every step (on other backends it is
      // uploaded per product, so no engine keeps a stale packed copy of it).
      const w = this.view(layer.kernel, layer.inputs * layer.units);
      if (slot > 0 || !firstDone) update(slot, w, this.view(layer.dW, w.length), w);
      slot++;
      if (layer.bias && layer.db) {
        const b = this.view(layer.bias, layer.units);
        update(slot++, b, this.view(layer.db, layer.units), b);
      }
    }
  }

  /** The output layer's loss, correct count and dL/dz (`output-loss.ts`, shared with the CNN engine). */
  private lossAndGradient(
    out: Float32Array,
    labels: Float32Array | Int32Array,
    batch: number,
    units: number,
    activation: Activation,
    dz: Float32Array,
  ): PassResult {
    const { plan } = this;
    const probs = this.array('probs', batch * units);
    return outputLossAndGradient(plan.loss, plan.accuracy, out, labels, batch, units, activation, dz, probs);
  }
}

/** A buffer's heap address, 0 for none (a module function: a closure made per product was a per-step cost). */
const address = (x?: Buf) => (typeof x === 'number' ? x : 0);

/** Examples per call of the sparse forward product (its scratch area holds their lists: 200 KB for 784 inputs). */
const SPARSE_ROWS = 32;

const OUT_OF_MEMORY = 'the fused Dense engine could not allocate its buffers in the wasm heap (out of memory)';

/** rows[b, j] = act(z[b, j] + bias[j]). */
function activateInto(
  z: Float32Array,
  bias: Float32Array | undefined,
  activation: Activation,
  batch: number,
  units: number,
  rows: Float32Array,
): void {
  if (!bias && activation === 'linear') {
    rows.set(z.subarray(0, batch * units));
    return;
  }
  for (let i = 0; i < batch * units; i++) {
    // Rounded to float32 before the activation, as the stock path adds the bias in a float32 kernel.
    const v = bias ? Math.fround(z[i] + bias[i % units]) : z[i];
    rows[i] =
      activation === 'relu'
        ? v > 0
          ? v
          : 0
        : activation === 'sigmoid'
          ? 1 / (1 + Math.exp(-v))
          : activation === 'tanh'
            ? Math.tanh(v)
            : v;
  }
}

/** dz of the layer below from dA (row-major [batch, units]), the dropout mask between them and that layer's output. */
function activationBackward(
  dA: Float32Array,
  a: Float32Array,
  mask: Float32Array | undefined,
  activation: Activation,
  dz: Float32Array,
): void {
  const size = dz.length;
  if (mask) {
    for (let i = 0; i < size; i++) dz[i] = dA[i] * mask[i];
  } else {
    dz.set(dA.subarray(0, size));
  }
  // One loop per activation: the derivative in terms of the output (relu: 1 where a > 0, as tfjs's step).
  if (activation === 'relu') for (let i = 0; i < size; i++) dz[i] = a[i] > 0 ? dz[i] : 0;
  else if (activation === 'sigmoid') for (let i = 0; i < size; i++) dz[i] *= a[i] * (1 - a[i]);
  else if (activation === 'tanh') for (let i = 0; i < size; i++) dz[i] *= 1 - a[i] * a[i];
}

/** Column sums of a row-major [batch, units] matrix into `out` (summed in double, row by row). */
function columnSums(rows: Float32Array, batch: number, units: number, out: Float32Array): Float32Array {
  const sums = columnScratch.length >= units ? columnScratch : (columnScratch = new Float64Array(units));
  sums.fill(0, 0, units);
  for (let b = 0; b < batch; b++) {
    const row = b * units;
    for (let j = 0; j < units; j++) sums[j] += rows[row + j];
  }
  for (let j = 0; j < units; j++) out[j] = sums[j];
  return out;
}
let columnScratch = new Float64Array(0);

/**
 * Whether no value of `a` is NaN or infinite: three scans by the engine's built-in `includes` (which finds NaN), fast
 * from the first call, where a JS loop runs interpreted at first (80,000 floats: 0.23 ms against 1.8-3.2 ms).
 */
function allFinite(a: Float32Array): boolean {
  return !a.includes(NaN) && !a.includes(Infinity) && !a.includes(-Infinity);
}
