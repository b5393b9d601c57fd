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
import { fillDropoutMask, type TF } from '../engine';
import type { Activation, StackPlan } from './eligibility';
import { gemmWorkBytes, packedGemm, sparseRowsFit, type PackedGemmKernel } from './packed-gemm';
import { tensorMemory, type TensorMemory } from './memory';
import { sparseListKernel, type SparseListKernel } from './sparse-lists';
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

/** Fills `mask` with 0 or 1/(1-rate) per element, in row-major [batch, features] order. */
export type DropoutSampler = (mask: Float32Array, rate: number) => void;

/** Dropout as the stock engine draws it: keep where a uniform draw is at least `rate`, scale by 1/(1-rate). */
export function dropoutSampler(random: () => number): DropoutSampler {
  return (mask, rate) => void fillDropoutMask(mask, rate, random);
}

interface LayerState {
  inputs: number;
  units: number;
  activation: Activation;
  dropout: number;
  /** W, [inputs, units]; replaced by a new tensor at every update, never written in place. */
  kernel: tfjs.Tensor2D;
  bias?: Float32Array;
}

/** Per-pass values of one layer: what it multiplied and what it produced (tensors, read through views when used). */
interface LayerTrace {
  /** The layer's input, row-major [batch, inputs], after dropout. */
  input: tfjs.Tensor2D;
  /** Dropout mask applied to the input, row-major. */
  mask?: Float32Array;
  /** The layer's activation output, row-major [batch, units] (before the next layer's dropout). */
  output: tfjs.Tensor2D;
}

export interface DenseStackOptions {
  /** false: plain-SIMD products even where the runtime has relaxed-SIMD FMA (tests compare the two). */
  fma?: boolean;
}

export class DenseStack {
  private readonly mem: TensorMemory;
  private readonly gemm?: PackedGemmKernel;
  /** Heap addresses of the product's work area and of the padded bias it reads (0 when not on wasm). */
  private work = 0;
  private biasScratch = 0;
  /** Heap address of a float 1 (after the bias area): a zero-stride row of ones for column sums as a product. */
  private one = 0;
  /** Heap area for the first layer's sparse-k lists (`sparseLists`), and its size in bytes. */
  private lists = 0;
  private listBytes = 0;
  private listKernel?: SparseListKernel;
  private readonly layers: LayerState[];
  /** JS arrays reused from step to step (same batch size, same arrays): no garbage per step. */
  private readonly scratch = new Map<string, Float32Array>();

  constructor(
    private readonly tf: TF,
    private readonly plan: StackPlan,
    private readonly sampleDropout: DropoutSampler = dropoutSampler(Math.random),
    options: DenseStackOptions = {},
  ) {
    this.mem = tensorMemory(tf);
    const heap = this.mem.heap;
    const gemm = heap ? packedGemm(heap.memory, { fma: options.fma }) : undefined;
    if (heap && gemm) {
      // Allocated once, now: an allocation during a step could grow the memory under live views.
      const widest = Math.max(...plan.layers.flatMap((p) => [p.inputs, p.units]));
      this.work = heap.malloc(gemmWorkBytes(widest, Number.MAX_SAFE_INTEGER));
      this.biasScratch = heap.malloc(Math.ceil(widest / 8) * 32 + 16);
      if (this.work && this.biasScratch) {
        this.gemm = gemm;
        this.listKernel = sparseListKernel(heap.memory);
        this.one = this.biasScratch + Math.ceil(widest / 8) * 32;
        new Float32Array(heap.memory.buffer, this.one, 1)[0] = 1;
      }
    }
    this.layers = plan.layers.map((p) => {
      const source = p.kernel.read();
      // A private copy: the model's variables stay untouched until `writeBack`.
      const kernel = tf.keep(
        this.mem.create<tfjs.Rank.R2>([p.inputs, p.units], (out) => out.set(this.mem.read(source))),
      );
      const bias = p.bias ? Float32Array.from(this.mem.read(p.bias.read()) as Float32Array) : undefined;
      return { inputs: p.inputs, units: p.units, activation: p.activation, dropout: p.dropout, kernel, bias };
    });
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

  /**
   * op(A) @ op(B) (op: transpose when asked) into a new tensor. On wasm the packed kernel reads the operands in
   * place (a transpose is a stride) and, when `epilogue` is given, adds its bias and applies relu, or keeps only the
   * entries where `gate` (a tensor of the result's shape) is positive, before storing: the return says whether it
   * did; `list` makes k sparse (`packed-gemm.ts`). Elsewhere tf.matMul, with no epilogue.
   */
  private product(
    a: tfjs.Tensor2D,
    transA: boolean,
    b: tfjs.Tensor2D,
    transB: boolean,
    epilogue?: { bias?: Float32Array; relu?: boolean; gate?: tfjs.Tensor2D; list?: number },
  ): [tfjs.Tensor2D, boolean] {
    const { gemm, mem } = this;
    if (!gemm) return [this.tf.matMul(a, b, transA, transB), false];
    const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
    const n = transB ? b.shape[0] : b.shape[1];
    const [aRow, aCol] = transA ? [4, m * 4] : [k * 4, 4];
    const [bRow, bCol] = transB ? [4, k * 4] : [n * 4, 4];
    const out = mem.create<tfjs.Rank.R2>([m, n], (c) => {
      const bias = epilogue?.bias;
      if (bias) new Float32Array(c.buffer, this.biasScratch, bias.length).set(bias);
      const relu = epilogue?.relu ? 1 : 0;
      const gate = epilogue?.gate ? mem.read(epilogue.gate).byteOffset : 0;
      gemm.gemm(
        mem.read(a).byteOffset,
        aRow,
        aCol,
        mem.read(b).byteOffset,
        bRow,
        bCol,
        c.byteOffset,
        m,
        n,
        k,
        bias ? this.biasScratch : 0,
        relu,
        this.work,
        gate,
        n * 4,
        epilogue?.list ?? 0,
      );
    });
    return [out, !!epilogue];
  }

  /** Makes the list area hold the lists of an [batch, inputs] input; false when the heap cannot. */
  private reserveLists(inputs: number, batch: number): boolean {
    const bytes = (inputs / 4) * (batch + 1) * 4;
    if (this.listBytes >= bytes) return true;
    const heap = this.mem.heap!;
    if (this.lists) heap.free(this.lists);
    this.lists = heap.malloc(bytes);
    this.listBytes = this.lists ? bytes : 0;
    return !!this.lists;
  }

  /**
   * For dW = Xᵀ @ dZ of the first layer: per group of four inputs, the examples where they are not all zero (the
   * product skips the others, whose terms are zeros), built by a SIMD loop (`sparse-lists.ts`). Returns the lists'
   * heap address.
   */
  private sparseLists(input: tfjs.Tensor2D, batch: number, inputs: number): number {
    this.listKernel!(this.mem.read(input).byteOffset, inputs, batch, this.lists);
    return this.lists;
  }

  /**
   * The bias gradient, dZ's column sums: on wasm the product 1 @ dZ with a zero-stride row of ones (float32 sums in
   * row order, as the stock engine's sum), elsewhere a JS loop.
   */
  private biasGradient(dZ: tfjs.Tensor2D, batch: number, units: number, l: number): Float32Array | tfjs.Tensor {
    const { gemm, mem } = this;
    if (!gemm) return columnSums(mem.read(dZ) as Float32Array, batch, units, this.array(`db${l}`, units));
    return mem.create<tfjs.Rank.R1>([units], (c) =>
      gemm.gemm(this.one, 0, 0, mem.read(dZ).byteOffset, units * 4, 4, c.byteOffset, 1, units, batch, 0, 0, this.work),
    );
  }

  /**
   * Forward and backward on one batch, then (when `update` is given) every parameter updated by it: kernels into new
   * tensors, biases in place. `inspect` sees the gradients first, in parameter order (kernel then bias, per layer).
   */
  pass(x: tfjs.Tensor, y: tfjs.Tensor, update?: ParamUpdate, inspect?: (grads: Float32Array[]) => void): PassResult {
    const { tf, mem, layers } = this;
    const n = layers.length;
    // The output layer yields raw z when the loss starts from logits, or (under mse) when softmax is applied there.
    const fromLogits = this.plan.loss !== 'mse';
    const batch = x.shape[0];
    const temps: tfjs.Tensor[] = [];
    const track = <T extends tfjs.Tensor>(t: T): T => {
      temps.push(t);
      return t;
    };
    // The first layer's weight gradient skips the examples whose four inputs of a row tile are all zero (images are
    // about half zeros): its lists live in the heap, allocated here, before any view is taken.
    const sparse =
      !!this.listKernel && sparseRowsFit(4, layers[0].inputs, batch) && this.reserveLists(layers[0].inputs, batch);
    try {
      // ---- forward: every activation stays in tensor memory, where the next product reads it.
      const traces: LayerTrace[] = [];
      let output = track(tf.reshape(x, [batch, layers[0].inputs]) as tfjs.Tensor2D);
      for (let l = 0; l < n; l++) {
        const layer = layers[l];
        const width = layer.inputs;
        let input = output;
        let mask: Float32Array | undefined;
        if (layer.dropout > 0) {
          mask = this.array(`mask${l}`, batch * width);
          this.sampleDropout(mask, layer.dropout);
          const [m, source] = [mask, output];
          input = track(
            mem.create<tfjs.Rank.R2>([batch, width], (out) => {
              const a = mem.read(source);
              for (let i = 0; i < out.length; i++) out[i] = a[i] * m[i];
            }),
          );
        }
        const last = l === n - 1;
        const raw = last && (fromLogits || layer.activation === 'softmax');
        const activation = raw ? 'linear' : layer.activation;
        const [z, fused] = this.product(input, false, layer.kernel, false, {
          bias: layer.bias,
          relu: activation === 'relu',
        });
        track(z);
        // With the epilogue the bias (and relu) are in z already; sigmoid and tanh still run here.
        const rest = fused && (activation === 'relu' || activation === 'linear') ? 'linear' : activation;
        output = z;
        if (rest !== 'linear' || (!fused && layer.bias)) {
          const bias = fused ? undefined : layer.bias;
          output = track(
            mem.create<tfjs.Rank.R2>([batch, layer.units], (o) =>
              activateInto(mem.read(z) as Float32Array, bias, rest, batch, layer.units, o),
            ),
          );
        }
        traces.push({ input, mask, output });
      }

      // ---- loss, and dL/dZ of the output layer (row-major), written straight into a tensor.
      const out = layers[n - 1];
      let result: PassResult = { loss: 0, correct: 0 };
      let dZ = track(
        mem.create<tfjs.Rank.R2>([batch, out.units], (dz) => {
          // Zeroed: a label outside the classes leaves its row of dz untouched.
          dz.fill(0);
          const rows = mem.read(output) as Float32Array;
          result = this.lossAndGradient(rows, mem.read(y), batch, out.units, out.activation, dz);
        }),
      );

      // ---- backward.
      const grads: (Float32Array | tfjs.Tensor)[] = [];
      for (let l = n - 1; l >= 0; l--) {
        const layer = layers[l];
        const units = layer.units;
        const slot = this.paramIndex(l);
        const list = l === 0 && sparse ? this.sparseLists(traces[0].input, batch, layer.inputs) : 0;
        grads[slot] = track(this.product(traces[l].input, true, dZ, false, list ? { list } : undefined)[0]);
        if (layer.bias) {
          const db = this.biasGradient(dZ, batch, units, l);
          grads[slot + 1] = db instanceof Float32Array ? db : track(db);
        }
        if (l === 0) break;

        const below = layers[l - 1];
        const mask = traces[l].mask;
        const a = traces[l - 1].output;
        // relu below and no dropout between: its derivative is the product's gate (dz = dA where a > 0).
        if (below.activation === 'relu' && !mask) {
          const [dz, gated] = this.product(dZ, false, layer.kernel, true, { gate: a });
          track(dz);
          if (gated) {
            dZ = dz;
            continue;
          }
          dZ = track(
            mem.create<tfjs.Rank.R2>([batch, below.units], (o) =>
              activationBackward(mem.read(dz) as Float32Array, mem.read(a) as Float32Array, undefined, 'relu', o),
            ),
          );
          continue;
        }
        const dA = track(this.product(dZ, false, layer.kernel, true)[0]);
        dZ = track(
          mem.create<tfjs.Rank.R2>([batch, below.units], (o) =>
            activationBackward(mem.read(dA) as Float32Array, mem.read(a) as Float32Array, mask, below.activation, o),
          ),
        );
      }

      if (inspect) inspect(grads.map((g) => (g instanceof Float32Array ? g : (mem.read(g) as Float32Array))));
      if (update) this.applyUpdate(grads, update);
      return result;
    } finally {
      for (const t of temps) t.dispose();
    }
  }

  /** Writes the current parameters into the model's variables. */
  writeBack(): void {
    const { tf } = this;
    this.plan.layers.forEach((p, l) => {
      const layer = this.layers[l];
      tf.tidy(() => {
        // A copy, not tf.clone (which shares memory): on wasm the engine updates its kernels in place.
        const kernel = layer.kernel;
        p.kernel.write(this.mem.create(kernel.shape, (o) => o.set(this.mem.read(kernel))));
        if (p.bias && layer.bias) p.bias.write(tf.tensor1d(layer.bias));
      });
    });
  }

  dispose(): void {
    for (const layer of this.layers) layer.kernel.dispose();
    if (this.work) this.mem.heap?.free(this.work);
    if (this.biasScratch) this.mem.heap?.free(this.biasScratch);
    if (this.lists) this.mem.heap?.free(this.lists);
    this.work = this.biasScratch = this.one = this.lists = this.listBytes = 0;
  }

  /** Index of layer `l`'s kernel in parameter order (its bias, if any, follows). */
  private paramIndex(l: number): number {
    let index = 0;
    for (let i = 0; i < l; i++) index += this.layers[i].bias ? 2 : 1;
    return index;
  }

  private applyUpdate(grads: (Float32Array | tfjs.Tensor)[], update: ParamUpdate): void {
    const { tf, mem } = this;
    this.layers.forEach((layer, l) => {
      const slot = this.paramIndex(l);
      const old = layer.kernel;
      const g = grads[slot] as tfjs.Tensor;
      if (this.gemm) {
        // Our own products read the kernel from its memory at every step: it is updated in place. (The backend's
        // products keep packed copies keyed by tensor, so elsewhere the new values go into a new tensor.)
        const w = mem.read(old) as Float32Array;
        update(slot, w, mem.read(g) as Float32Array, w);
      } else {
        const fresh = mem.create<tfjs.Rank.R2>(old.shape, (out) => {
          update(slot, mem.read(old) as Float32Array, mem.read(g) as Float32Array, out);
        });
        old.dispose();
        layer.kernel = tf.keep(fresh);
      }
      if (layer.bias) {
        const db = grads[slot + 1];
        update(slot + 1, layer.bias, db instanceof Float32Array ? db : (mem.read(db) as Float32Array), layer.bias);
      }
    });
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
