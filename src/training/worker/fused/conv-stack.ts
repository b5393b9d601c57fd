/**
 * The fused CNN engine's forward and backward passes: a plan of operations (`conv-eligibility.ts`) run on buffers
 * of the wasm heap, with every product in `packed-gemm.ts` and the rest in the loops of `conv-kernels.ts`.
 *
 *   Conv2D   forward  cols = im2col(x); Z = cols @ W + bias, relu      (bias and relu in the product's epilogue)
 *            backward dW = colsᵀ @ dZ; dcols = dZ @ Wᵀ; dx = col2im(dcols)  (transposes are strides of the product)
 *   Dense    the same with cols = x                                      (a 1x1 stride-1 convolution skips im2col too)
 *   pooling, BatchNormalization (batch statistics, moving averages), Dropout, activations: loops on the heap.
 *
 * Unlike the Dense engine, which keeps its kernels as tensors for the non-wasm fallback, this engine owns its
 * weights: parameters, gradients and every activation live in heap blocks allocated once (the activations again
 * only when a batch larger than any before arrives), so a step allocates nothing, and the optimizer's SIMD loop
 * updates each weight in place. The model's variables are written only by `writeBack`. Views of the heap are
 * taken after any allocation: growing the memory detaches every view of it.
 * It runs only on the wasm backend with SIMD (the eligibility reason says so otherwise).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { fillDropoutMask, type TF } from '../engine';
import type { ConvOp, ConvPlan } from './conv-eligibility';
import type { Activation } from './eligibility';
import {
  activate,
  activationBackward,
  avgPool,
  avgPoolBackward,
  batchNorm,
  batchNormBackward,
  columnSums,
  maxPool,
  maxPoolBackward,
  movingAverage,
  type Geometry,
  type NormStats,
} from './conv-kernels';
import {
  batchNormBackwardPooled,
  batchNormBackwardSimd,
  batchNormBlockBytes,
  batchNormShift,
  batchNormSimd,
  batchNormStatistics,
  convPoolFma,
  convSimd,
  type ConvSimd,
  type FirstConvKernels,
} from './conv-simd';
import { PolyphaseConv, polyphaseCombine, polyphaseFits, polyphasePays } from './conv-polyphase';
import { winogradFused, winogradFusedFits } from './conv-winograd-fused';
import {
  F2X2,
  F4X4,
  partKinds,
  winogradFits,
  winogradTiling,
  winogradVariant,
  type PartKind,
  type WinogradTiling,
  type WinogradVariant,
} from './conv-winograd';
import type { ParamUpdate, PassResult } from './dense-stack';
import type { WasmHeap } from './fused-optimizers';
import { tensorMemory, type TensorMemory } from './memory';
import { outputLossAndGradient } from './output-loss';
import { gemmWorkBytes, inPlaceFits, packedGemm, type PackedGemmKernel } from './packed-gemm';

export interface ConvStackOptions {
  /** false: plain-SIMD products even where the runtime has relaxed-SIMD FMA (tests compare the two). */
  fma?: boolean;
  /**
   * false: every convolution as im2col and one product, none as Winograd; 2 or 4: every Winograd convolution as
   * F(2x2, 3x3) or F(4x4, 3x3) (tests compare them); else each takes `winogradVariant`'s choice.
   */
  winograd?: boolean | 2 | 4;
  /** false: the Winograd forward products write M and the output transform reads it (tests compare the two). */
  winogradFused?: boolean;
  /**
   * false: 3x3 stride-2 convolutions as im2col and one product, never as polyphase Winograd; true: polyphase wherever
   * it fits, however small the output (tests compare them); else where it pays (`polyphasePays`).
   */
  polyphase?: boolean;
  /**
   * false: a first convolution of one channel under a 2x2 max pooling runs as im2col, product and pooling, not as
   * `convPoolSingle`'s one pass (tests compare the two).
   */
  convPool?: boolean;
  /**
   * false: a first 3x3 convolution of one channel under a BatchNormalization runs as im2col and products, not as
   * `convSingleMoments` and `convSingleNormBackward` (tests compare the two).
   */
  convNorm?: boolean;
  /**
   * false: a BatchNormalization folded under an average pooling runs its backward pass from the pixels' dy (the
   * pooling's backward pass writes it), not from the pooling's gradient (`batchNormBackwardPooled`; tests and the
   * bench compare the two).
   */
  pooledNorm?: boolean;
  /**
   * false: that BatchNormalization's moments in a pass of their own (bnMoments), not summed by the pooling's
   * forward pass (`avgPoolMoments`; tests and the bench compare the two).
   */
  poolMoments?: boolean;
  /** false: the first convolution's padded input copied row by row in JavaScript, not by `copyRows` (the bench). */
  copyRows?: boolean;
  /**
   * false: the first convolution under a BatchNormalization in the one-pass kernels (`convSingleMoments`,
   * `convSingleNormBackward`), not their bit-equal two-pass ones (`convSingleMomentsSplit`,
   * `convSingleNormBackwardSplit`, the latter with dx in the convolution's own gradient buffer; tests and the bench
   * compare the two).
   */
  firstConvSplit?: boolean;
}

/** A Winograd convolution's variant, tiling and buffers (float offsets at the current capacity). */
interface Winograd {
  variant: WinogradVariant;
  tiling: WinogradTiling;
  /** Its SIMD tile transforms, per part kind (`kernelsOf`). */
  kernels: ReturnType<typeof kernelsOf>;
  /** V or dV [α²][tiles, cin]; M or dM [α²][tiles, cout]; U [α²][cin, cout]; dUᵀ [α²][cout, cin]; dWᵀ [9][cout, cin]. */
  v: number;
  m: number;
  u: number;
  du: number;
  dwt: number;
}

/** A weight of the plan in the heap: its values and its gradient (float offsets, padded to 8 floats). */
interface Param {
  variable: tfjs.LayerVariable;
  size: number;
  w: number;
  g: number;
}

/** Per-operation state: where its parameters are, its buffers at the current capacity. */
interface OpState {
  op: ConvOp;
  /** Values per example in and out. */
  inSize: number;
  outSize: number;
  geometry?: Geometry;
  /** Parameter indices: kernel/gamma, bias/beta (-1: none). */
  p0: number;
  p1: number;
  /** Float offsets at the current capacity (-1: unused). */
  out: number;
  grad: number;
  cols: number;
  extra: number;
  argmax?: Int32Array;
  winograd?: Winograd;
  /** A 3x3 stride-2 convolution as polyphase Winograd (`conv-polyphase.ts`). */
  polyphase?: PolyphaseConv;
  /** The op above applies this op's relu derivative in its own backward pass (a max pooling does). */
  reluDone?: boolean;
  /**
   * A BatchNormalization whose output is never stored: the convolution above normalises in its im2col, or the
   * average pooling above pools its input and normalises the (smaller) result, the same affine map per channel.
   */
  folded?: 'im2col' | 'pool';
  /**
   * A SIMD BatchNormalization folded under an average pooling whose windows tile its input, not the first
   * convolution's (`convNorm`): its backward pass runs from the pooling's gradient (`batchNormBackwardPooled`).
   */
  pooled?: boolean;
  /** Such a BatchNormalization whose moments the pooling's forward pass sums (`avgPoolMoments`). */
  poolMoments?: boolean;
  /** The op above sums this op's bias gradient in its own backward pass (a SIMD max pooling or BatchNormalization). */
  biasDone?: boolean;
  stats?: NormStats;
  moving?: [Float32Array, Float32Array];
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;
/**
 * Floats from one Winograd matrix ξ to the next for matrices of `floats` floats: 64 bytes past a multiple of 4 KB,
 * so that the transforms' α² streams (one per ξ) do not all fall in the same cache sets.
 */
const xiStride = (floats: number) => Math.ceil(floats / 1024) * 1024 + 16;
const sizeOf = (d: { h: number; w: number; c: number }) => d.h * d.w * d.c;

export class ConvStack {
  private readonly mem: TensorMemory;
  private readonly heap: WasmHeap;
  private readonly gemm: PackedGemmKernel;
  private readonly simd: ConvSimd;
  private readonly states: OpState[];
  private readonly params: Param[];
  /** Float offset of the parameter block, and the pointer malloc gave for it. */
  private paramBlock = 0;
  private paramPointer = 0;
  private work = 0;
  /** The SIMD BatchNormalization's per-channel block (`batchNormBlockBytes`; byte address), and its pointer. */
  private normBlock = 0;
  private normPointer = 0;
  private block = 0;
  private capacity = 0;
  private dcols = -1;
  private probs = -1;
  private readonly sums: Float64Array;
  /** Doubles of the heap for the bias sums a max pooling's or BatchNormalization's backward pass takes over (byte address), its pointer. */
  private biasSums = 0;
  private biasSumsPointer = 0;
  /** The first convolution and the max pooling above it run as one pass (`convPoolFits`). */
  readonly convPool: boolean;
  /**
   * The first convolution runs from its padded input with the moments of the BatchNormalization above it in one
   * pass, and its gradients from that BatchNormalization's backward pass in another (`convNormFits`).
   */
  readonly convNorm: boolean;
  private readonly firstKernels: FirstConvKernels;
  /** Either one's input with the convolution's padding around it (float offset at the current capacity). */
  private padded = -1;

  /** Throws when not on the wasm backend with SIMD: `createConvEngine` checks `convStackRuntime` first. */
  constructor(
    private readonly tf: TF,
    private readonly plan: ConvPlan,
    private readonly random: () => number = Math.random,
    private readonly options: ConvStackOptions = {},
  ) {
    this.mem = tensorMemory(tf);
    const heap = this.mem.heap;
    const gemm = heap && packedGemm(heap.memory, { fma: options.fma });
    const simd = heap && convSimd(heap.memory);
    if (!heap || !gemm || !simd) throw new Error('the fused CNN engine needs the wasm backend with SIMD');
    this.heap = heap;
    this.gemm = gemm;
    this.simd = simd;
    // With FMA products, the one-pass first convolution's multiply-adds are fused too.
    this.firstKernels = (gemm.fma && convPoolFma(heap.memory)) || simd;

    const index = new Map(plan.params.map((v, i) => [v, i]));
    const at = (v: tfjs.LayerVariable | undefined) => (v ? index.get(v)! : -1);
    let widest = 8;
    let channels = 1;
    this.states = plan.ops.map((op) => {
      const state: OpState = {
        op,
        inSize: sizeOf(op.input),
        outSize: sizeOf(op.output),
        p0: -1,
        p1: -1,
        out: -1,
        grad: -1,
        cols: -1,
        extra: -1,
      };
      if (op.kind === 'conv' || op.kind === 'dense') {
        state.p0 = at(op.kernel);
        state.p1 = at(op.bias);
        widest = Math.max(widest, op.kernel.shape[0]!, op.output.c);
      }
      if (op.kind === 'conv' || op.kind === 'maxpool' || op.kind === 'avgpool') {
        const { h, w, c } = op.input;
        state.geometry = { h, w, c, oh: op.output.h, ow: op.output.w, ...windowOf(op) };
      }
      if (op.kind === 'conv' && options.winograd !== false && winogradFits(op)) {
        const forced = options.winograd === 2 ? F2X2 : options.winograd === 4 ? F4X4 : undefined;
        const variant = forced ?? winogradVariant(op.output.h, op.output.w);
        const tiling = winogradTiling(op.output.h, op.output.w, variant);
        state.winograd = { variant, tiling, kernels: kernelsOf(simd, variant), v: -1, m: -1, u: -1, du: -1, dwt: -1 };
      }
      const polyphase =
        op.kind === 'conv' &&
        polyphaseFits(op) &&
        (options.polyphase === true || (options.polyphase !== false && polyphasePays(op)));
      if (op.kind === 'conv' && polyphase && !state.winograd) {
        const run = polyphaseCombine(heap.memory, gemm.fma);
        const shape = { h: op.input.h, w: op.input.w, cin: op.input.c, cout: op.output.c, oh: op.output.h };
        const where = { ow: op.output.w, top: op.top, left: op.left };
        // Its products read B (U, dM) in place where it fits: no packing.
        const product = (a: number, tA: boolean, b: number, tB: boolean, c: number, m: number, n: number, k: number) =>
          this.product(a, tA, b, tB, c, m, n, k, -1, false, true);
        if (run) state.polyphase = new PolyphaseConv({ ...shape, ...where }, run, product);
      }
      if (op.kind === 'batchnorm') {
        state.p0 = at(op.gamma);
        state.p1 = at(op.beta);
        const c = op.input.c;
        channels = Math.max(channels, c);
        state.stats = { mean: new Float64Array(c), variance: new Float64Array(c), invStd: new Float64Array(c) };
        const read = (v: tfjs.LayerVariable) => Float32Array.from(this.mem.read(v.read()) as Float32Array);
        state.moving = [read(op.movingMean), read(op.movingVariance)];
      }
      return state;
    });
    this.sums = new Float64Array(3 * Math.max(channels, widest));
    this.convPool = options.convPool !== false && convPoolFits(plan.ops);
    this.convNorm = options.convNorm !== false && !this.convPool && convNormFits(plan.ops);
    this.states.forEach((s, i) => {
      const below = this.states[i - 1]?.op;
      s.reluDone = false;
      const gates = s.op.kind === 'maxpool' || (s.op.kind === 'batchnorm' && simdNorm(s.op.input.c));
      if (gates && below && (below.kind === 'conv' || below.kind === 'dense')) {
        this.states[i - 1].reluDone = below.activation === 'relu';
        // dL/dz of the layer below is what a max pooling or a SIMD BatchNormalization writes (relu's derivative
        // folded in, or a linear layer's): either sums it per channel as it goes.
        this.states[i - 1].biasDone =
          !!below.bias &&
          ['relu', 'linear'].includes(below.activation) &&
          (s.op.kind === 'batchnorm' || tiling(s.geometry!));
      }
      if (below?.kind === 'batchnorm' && simdNorm(below.input.c)) {
        if (s.op.kind === 'conv' && !s.winograd && !pointwise(s.op)) this.states[i - 1].folded = 'im2col';
        if (s.op.kind === 'avgpool') this.states[i - 1].folded = 'pool';
      }
    });

    this.states.forEach((s, i) => {
      const above = this.states[i + 1];
      const tiled = s.folded === 'pool' && tiling(above.geometry!) && !(this.convNorm && i === 1);
      s.pooled = tiled && options.pooledNorm !== false;
      s.poolMoments = tiled && options.poolMoments !== false;
    });

    // Parameters and gradients: one block, allocated once; values copied in after it (views only after malloc).
    const sizes = plan.params.map((v) => v.shape.reduce<number>((a, b) => a * b!, 1));
    const total = sizes.reduce((sum, n) => sum + 2 * pad8(n), 0);
    [this.paramPointer, this.paramBlock] = this.malloc(total);
    this.work = heap.malloc(gemmWorkBytes(widest, Number.MAX_SAFE_INTEGER));
    this.normPointer = heap.malloc(batchNormBlockBytes(channels) + 16);
    this.normBlock = Math.ceil(this.normPointer / 16) * 16;
    this.biasSumsPointer = heap.malloc(8 * widest + 16);
    this.biasSums = Math.ceil(this.biasSumsPointer / 16) * 16;
    if (!this.work) throw new Error('the fused CNN engine could not allocate its work area');
    let next = this.paramBlock;
    this.params = plan.params.map((variable, i) => {
      const p = { variable, size: sizes[i], w: next, g: next + pad8(sizes[i]) };
      next += 2 * pad8(sizes[i]);
      return p;
    });
    const F = this.view();
    F.fill(0, this.paramBlock, this.paramBlock + total);
    for (const p of this.params) F.set(this.mem.read(p.variable.read()) as Float32Array, p.w);
  }

  /** Element counts of the parameters, in parameter order. */
  paramSizes(): number[] {
    return this.params.map((p) => p.size);
  }

  /**
   * 'Winograd F(4x4, 3x3)' (and/or F(2x2, 3x3)) when convolutions run as Winograd: the variants, in order;
   * 'float32 BatchNormalization' when a BatchNormalization runs in SIMD (in float32; the loops, for channel counts
   * not a multiple of 4, in double).
   */
  get method(): string | undefined {
    const names = new Set(this.states.flatMap((s) => (s.winograd ? [s.winograd.variant.name] : [])));
    if (this.states.some((s) => s.polyphase)) names.add('polyphase (3x3 stride 2)');
    const winograd = names.size ? `Winograd ${[...names].join(' + ')}` : '';
    const norm = this.states.some((s) => s.op.kind === 'batchnorm' && simdNorm(s.op.input.c));
    return [winograd, norm ? 'float32 BatchNormalization' : ''].filter(Boolean).join(', ') || undefined;
  }

  /** Which product runs the matrix multiplications. */
  get products(): string {
    return this.gemm.fma ? 'wasm-fma' : 'wasm-simd';
  }

  private view(): Float32Array {
    return new Float32Array(this.heap.memory.buffer);
  }

  /** A heap block of `floats` floats: malloc's pointer and the block's 16-byte aligned float offset. */
  private malloc(floats: number): [number, number] {
    const pointer = this.heap.malloc(floats * 4 + 16);
    if (!pointer) throw new Error('the fused CNN engine could not allocate its buffers');
    return [pointer, Math.ceil(pointer / 16) * 4];
  }

  /** Buffers for batches of up to `batch` examples (a new block only when it grows). */
  private reserve(batch: number): void {
    if (batch <= this.capacity) return;
    if (this.block) this.heap.free(this.block);
    this.block = 0;
    let floats = 0;
    const take = (n: number) => {
      const at = floats;
      floats += pad8(n);
      return at;
    };
    let dcols = 0;
    for (const [i, s] of this.states.entries()) {
      const { op } = s;
      s.out = take(batch * s.outSize);
      s.grad = take(batch * s.outSize);
      s.cols = s.extra = -1;
      if (s.winograd) {
        const tiles = batch * s.winograd.tiling.tiles;
        const [cin, cout] = [s.op.input.c, s.op.output.c];
        const xis = s.winograd.variant.alpha ** 2;
        Object.assign(s.winograd, {
          v: take(xis * xiStride(tiles * cin)),
          m: take(xis * xiStride(tiles * cout)),
          u: take(xis * cin * cout),
          du: take(xis * cin * cout),
          dwt: take(9 * cin * cout),
        });
      } else if (s.polyphase) {
        s.extra = take(s.polyphase.floats(batch));
      } else if (op.kind === 'conv' && i === 0 && (this.convPool || this.convNorm)) {
        // The input with the convolution's padding around it: convPoolSingle and convSingleMoments read no im2col.
        const { ph, pw } = paddedSize(op);
        s.extra = take(batch * ph * pw);
      } else if (op.kind === 'conv' && !pointwise(op)) {
        const n = batch * op.output.h * op.output.w * op.kernel.shape[0]! * op.kernel.shape[1]! * op.input.c;
        s.cols = take(n);
        if (i > 0) dcols = Math.max(dcols, n);
      }
      // xhat for the loops' BatchNormalization (the SIMD one recomputes it), Dropout's mask.
      if ((op.kind === 'batchnorm' && !simdNorm(op.input.c)) || op.kind === 'dropout') s.extra = take(batch * s.inSize);
      // A folded BatchNormalization's table for im2colAffine: [mean | gamma·invStd | beta], each kw times.
      if (s.folded === 'im2col')
        s.extra = take(3 * (this.states[i + 1].op as Extract<ConvOp, { kind: 'conv' }>).kw * op.input.c);
      if (op.kind === 'maxpool' && !tiling(s.geometry!)) s.argmax = new Int32Array(batch * s.outSize);
    }
    this.dcols = take(dcols);
    this.probs = take(batch * this.states[this.states.length - 1].outSize);
    let base: number;
    [this.block, base] = this.malloc(floats);
    for (const s of this.states) {
      s.out += base;
      s.grad += base;
      if (s.cols >= 0) s.cols += base;
      if (s.extra >= 0) s.extra += base;
      s.polyphase?.place(s.extra, batch);
      if (s.winograd) for (const key of ['v', 'm', 'u', 'du', 'dwt'] as const) s.winograd[key] += base;
    }
    if (this.convPool || this.convNorm) {
      // Its padding stays 0: each pass writes the image inside it.
      this.padded = this.states[0].extra;
      const { ph, pw } = paddedSize(this.states[0].op);
      this.view().fill(0, this.padded, this.padded + batch * ph * pw);
    }
    this.dcols += base;
    this.probs += base;
    this.capacity = batch;
  }

  /**
   * C = op(A) @ op(B) [+ bias, relu] on float offsets: `transA` reads A [k, m] row-major as its transpose,
   * `transB` B [n, k].
   */
  private product(
    a: number,
    transA: boolean,
    b: number,
    transB: boolean,
    c: number,
    m: number,
    n: number,
    k: number,
    bias = -1,
    relu = false,
    inPlace = false,
  ): void {
    const [aRow, aCol] = transA ? [4, m * 4] : [k * 4, 4];
    const [bRow, bCol] = transB ? [4, k * 4] : [n * 4, 4];
    this.gemm.gemm(
      a * 4,
      aRow,
      aCol,
      b * 4,
      bRow,
      bCol,
      c * 4,
      m,
      n,
      k,
      bias >= 0 ? bias * 4 : 0,
      relu ? 1 : 0,
      this.work,
      0,
      0,
      0,
      0,
      inPlace && inPlaceFits(transB, n) ? 1 : 0,
    );
  }

  /**
   * Forward and backward on one batch, then (when `update` is given) every parameter updated in place.
   * `inspect` sees the gradients first, in parameter order, and may change them in place (gradient clipping).
   */
  pass(x: tfjs.Tensor, y: tfjs.Tensor, update?: ParamUpdate, inspect?: (grads: Float32Array[]) => void): PassResult {
    const batch = x.shape[0];
    this.reserve(batch);
    const F = this.view();
    const xs = this.mem.read(x);
    if (!(xs instanceof Float32Array) || xs.buffer !== F.buffer)
      throw new Error('the fused CNN engine takes float32 input');
    const input = xs.byteOffset >> 2;
    const { states, params, plan } = this;
    const last = states.length - 1;
    const fromLogits = plan.loss !== 'mse';

    // ---- forward.
    if (this.convPool) this.convPoolForward(F, input, batch);
    if (this.convNorm) this.convNormForward(F, input, batch, !!update);
    const firstOp = this.convPool || this.convNorm ? 2 : 0;
    for (let i = firstOp; i <= last; i++) {
      const s = states[i];
      const op = s.op;
      // Above a folded BatchNormalization, its input.
      const folded = i > 0 && states[i - 1].folded;
      const from = i === 0 ? input : folded ? (i > 1 ? states[i - 2].out : input) : states[i - 1].out;
      const n = batch * s.outSize;
      switch (op.kind) {
        case 'conv':
        case 'dense': {
          const raw = i === last && (fromLogits || op.activation === 'softmax');
          const activation = raw ? 'linear' : op.activation;
          if (s.winograd) {
            this.winogradForward(F, s, from, batch, activation === 'relu');
            if (activation !== 'relu') activate(F, s.out, s.out, n, activation);
            break;
          }
          if (s.polyphase) {
            // The input padded (and normalised, under a folded BatchNormalization): im2col with a 1x1 window.
            const pp = s.polyphase;
            const g = s.geometry!;
            const pad = [g.h, g.w, g.c, pp.rows.n, pp.cols.n, 1, 1, 1, 1, g.top, g.left];
            // The image inside the padded input (a 'same' convolution's): one run a row.
            const inside = g.top + g.h <= pp.rows.n && g.left + g.w <= pp.cols.n && g.top >= 0 && g.left >= 0;
            const table = folded ? states[i - 1].extra * 4 : 0;
            if (folded && inside) {
              const geometry = [g.h, g.w, g.c, pp.rows.n, pp.cols.n, g.top, g.left];
              this.simd.padAffine(from * 4, pp.padded * 4, table, batch, ...geometry);
            } else if (folded) this.simd.im2colAffine(from * 4, pp.padded * 4, table, batch, ...pad);
            else this.simd.im2col(from * 4, pp.padded * 4, batch, ...pad);
            const bias = s.p1 >= 0 ? params[s.p1].w : 0;
            pp.forward(F, params[s.p0].w, bias, s.out, batch, activation === 'relu');
            if (activation !== 'relu') activate(F, s.out, s.out, n, activation);
            break;
          }
          const cols = s.cols >= 0 ? s.cols : from;
          if (i > 0 && states[i - 1].folded) {
            this.simd.im2colAffine(from * 4, cols * 4, states[i - 1].extra * 4, batch, ...windowArgs(s.geometry!));
          } else if (s.cols >= 0)
            this.simd[op.input.c === 1 ? 'im2colSingle' : 'im2col'](
              from * 4,
              cols * 4,
              batch,
              ...windowArgs(s.geometry!),
            );
          const k = op.kind === 'dense' ? s.inSize : op.kernel.shape[0]! * op.kernel.shape[1]! * op.input.c;
          const rows = n / op.output.c;
          const bias = s.p1 >= 0 ? params[s.p1].w : -1;
          this.product(cols, false, params[s.p0].w, false, s.out, rows, op.output.c, k, bias, activation === 'relu');
          if (activation !== 'relu') activate(F, s.out, s.out, n, activation);
          break;
        }
        case 'maxpool':
          if (s.argmax) maxPool(F, from, s.out, s.argmax, batch, s.geometry!);
          else
            this.simd[twoByTwo(s.geometry!) ? 'maxPool2x2' : 'maxPool'](
              from * 4,
              s.out * 4,
              batch,
              ...poolArgs(s.geometry!),
            );
          break;
        case 'avgpool': {
          // Under a folded BatchNormalization, the averages into its (otherwise unused) output, kept for its
          // backward pass (`batchNormBackwardPooled`), and normalised from there into this op's output below.
          const to = folded === 'pool' ? states[i - 1].out : s.out;
          if (states[i - 1]?.poolMoments) {
            this.poolMomentsForward(F, states[i - 1], s, from, to, batch, !!update);
            break;
          }
          if (tiling(s.geometry!))
            this.simd[twoByTwo(s.geometry!) ? 'avgPool2x2' : 'avgPool'](
              from * 4,
              to * 4,
              batch,
              ...poolArgs(s.geometry!),
            );
          else avgPool(F, from, to, batch, s.geometry!);
          break;
        }
        case 'batchnorm': {
          const c = op.input.c;
          const gamma = s.p0 >= 0 ? params[s.p0].w : -1;
          const beta = s.p1 >= 0 ? params[s.p1].w : -1;
          // The pooling above sums the moments as it reads this input (`avgPoolMoments`) and takes it from there.
          if (s.poolMoments) break;
          if (simdNorm(c)) {
            const args = [F, from, s.out, -1, n / c, c, gamma, beta, op.epsilon, s.stats!] as const;
            batchNormSimd(this.simd, this.normBlock, !s.folded, ...args);
            if (s.folded === 'im2col') this.affineTable(F, s, gamma, beta);
          } else batchNorm(F, from, s.out, s.extra, n / c, c, gamma, beta, op.epsilon, s.stats!);
          if (update) {
            movingAverage(s.moving![0], s.stats!.mean, op.momentum);
            movingAverage(s.moving![1], s.stats!.variance, op.momentum);
          }
          break;
        }
        case 'dropout': {
          const mask = F.subarray(s.extra, s.extra + n);
          fillDropoutMask(mask, op.rate, this.random);
          for (let j = 0; j < n; j++) F[s.out + j] = F[from + j] * mask[j];
          break;
        }
        case 'activation':
          activate(F, from, s.out, n, op.activation);
          break;
      }
      // The average of a folded BatchNormalization's input, normalised: the block still holds its statistics.
      if (folded === 'pool')
        this.simd.bnNormalize(states[i - 1].out * 4, s.out * 4, n / op.output.c, op.output.c, this.normBlock);
    }

    // ---- loss, and dL/dz of the output layer.
    const out = states[last];
    const outOp = out.op as Extract<ConvOp, { kind: 'dense' }>;
    const units = outOp.output.c;
    const dz = F.subarray(out.grad, out.grad + batch * units).fill(0);
    const result = outputLossAndGradient(
      plan.loss,
      plan.accuracy,
      F.subarray(out.out, out.out + batch * units),
      this.mem.read(y),
      batch,
      units,
      outOp.activation,
      dz,
      F.subarray(this.probs, this.probs + batch * units),
    );

    // ---- backward: states[i].grad holds dL/d(output of op i); each op writes dL/d(its input) below it.
    for (let i = last; i >= firstOp; i--) {
      const s = states[i];
      const op = s.op;
      const from = i === 0 ? input : states[i - 1].out;
      const below = i > 0 ? states[i - 1].grad : -1;
      const n = batch * s.outSize;
      switch (op.kind) {
        case 'conv':
        case 'dense': {
          if (i !== last && !s.reluDone) this.activationBackward(F, s.grad, s.out, s.grad, n, op.activation);
          const cols = s.cols >= 0 ? s.cols : from;
          const k = op.kind === 'dense' ? s.inSize : op.kernel.shape[0]! * op.kernel.shape[1]! * op.input.c;
          const co = op.output.c;
          const rows = n / co;
          if (s.winograd) this.winogradBackward(F, s, batch, below);
          else if (s.polyphase) s.polyphase.backward(F, s.grad, params[s.p0].g, below, batch);
          else this.product(cols, true, s.grad, false, params[s.p0].g, k, co, rows);
          if (s.p1 >= 0 && !s.biasDone) this.columnSums(F, s.grad, rows, co, params[s.p1].g);
          if (below < 0 || s.winograd || s.polyphase) break;
          if (s.cols < 0) {
            this.product(s.grad, false, params[s.p0].w, true, below, rows, k, co);
          } else {
            this.product(s.grad, false, params[s.p0].w, true, this.dcols, rows, k, co);
            F.fill(0, below, below + batch * s.inSize);
            this.simd.col2im(this.dcols * 4, below * 4, batch, ...windowArgs(s.geometry!));
          }
          break;
        }
        case 'maxpool': {
          if (below < 0) break;
          const gate = states[i - 1].reluDone;
          if (s.argmax) {
            maxPoolBackward(F, s.grad, below, s.argmax, n, batch * s.inSize, gate ? from : -1);
            break;
          }
          const g = s.geometry!;
          const biasDone = states[i - 1].biasDone;
          if (g.oh * g.kh < g.h || g.ow * g.kw < g.w) F.fill(0, below, below + batch * s.inSize);
          this.simd[twoByTwo(g) ? 'maxPoolBackward2x2' : 'maxPoolBackward'](
            from * 4,
            s.out * 4,
            s.grad * 4,
            below * 4,
            gate ? 1 : 0,
            biasDone ? this.biasSums : 0,
            batch,
            ...poolArgs(g),
          );
          if (biasDone) F.set(new Float64Array(F.buffer, this.biasSums, g.c), params[states[i - 1].p1].g);
          break;
        }
        case 'avgpool': {
          const g = s.geometry!;
          // A BatchNormalization below folded into this pooling reads dL/d(this output) itself (`pooled`).
          if (below < 0 || states[i - 1].pooled) break;
          if (!tiling(g)) {
            avgPoolBackward(F, s.grad, below, batch, g);
            break;
          }
          if (g.oh * g.kh < g.h || g.ow * g.kw < g.w) F.fill(0, below, below + batch * s.inSize);
          this.simd[twoByTwo(g) ? 'avgPoolBackward2x2' : 'avgPoolBackward'](
            s.grad * 4,
            below * 4,
            batch,
            ...poolArgs(g),
          );
          break;
        }
        case 'batchnorm': {
          const c = op.input.c;
          const [gamma, dgamma] = s.p0 >= 0 ? [params[s.p0].w, params[s.p0].g] : [-1, -1];
          const dbeta = s.p1 >= 0 ? params[s.p1].g : -1;
          if (!simdNorm(c))
            batchNormBackward(F, s.grad, s.extra, below, n / c, c, gamma, dgamma, dbeta, s.stats!, this.sums);
          else if (s.pooled) {
            // From the average pooling's gradient and the averages its forward pass kept in this op's output.
            const above = states[i + 1];
            const g = above.geometry!;
            const pool = { batch, h: g.h, w: g.w, oh: g.oh, ow: g.ow, kh: g.kh, kw: g.kw };
            const gate = i > 0 && !!states[i - 1].reluDone;
            const biasDone = below >= 0 && !!states[i - 1].biasDone;
            const args = [F, above.grad, s.out, from, below, c, gamma, dgamma, dbeta, s.stats!] as const;
            batchNormBackwardPooled(this.simd, this.normBlock, gate, biasDone ? this.biasSums : 0, pool, ...args);
            if (biasDone) F.set(new Float64Array(F.buffer, this.biasSums, c), params[states[i - 1].p1].g);
          } else {
            const gate = i > 0 && !!states[i - 1].reluDone;
            const biasDone = below >= 0 && !!states[i - 1].biasDone;
            const args = [F, s.grad, from, below, n / c, c, gamma, dgamma, dbeta, s.stats!, this.sums] as const;
            batchNormBackwardSimd(this.simd, this.normBlock, gate, biasDone ? this.biasSums : 0, ...args);
            if (biasDone) F.set(new Float64Array(F.buffer, this.biasSums, c), params[states[i - 1].p1].g);
          }
          break;
        }
        case 'dropout':
          if (below >= 0) for (let j = 0; j < n; j++) F[below + j] = F[s.grad + j] * F[s.extra + j];
          break;
        case 'activation':
          if (below >= 0) this.activationBackward(F, s.grad, s.out, below, n, op.activation);
          break;
      }
    }

    if (this.convPool) {
      const [conv, pool] = states;
      const { h, w, c } = conv.op.output;
      const relu = (conv.op as Extract<ConvOp, { kind: 'conv' }>).activation === 'relu' ? 1 : 0;
      const [dkernel, dbias] = [params[conv.p0].g * 4, params[conv.p1].g * 4];
      const args = [this.padded * 4, conv.out * 4, pool.out * 4, pool.grad * 4, dkernel, dbias, relu, batch, h, w, c];
      this.firstKernels.convPoolSingleBackward(...args);
    }
    if (this.convNorm) this.convNormBackward(F, batch);

    if (inspect) inspect(params.map((p) => F.subarray(p.g, p.g + p.size)));
    if (update) {
      params.forEach((p, i) => {
        const w = F.subarray(p.w, p.w + p.size);
        update(i, w, F.subarray(p.g, p.g + p.size), w);
      });
    }
    return result;
  }

  /**
   * The first convolution (one channel, 3x3, stride 1) and the 2x2 max pooling above it in one pass
   * (`convPoolSingle`): the input copied into its padded buffer (`padInput`), then the kernel.
   */
  private convPoolForward(F: Float32Array, input: number, batch: number): void {
    const [conv, pool] = this.states;
    const op = conv.op as Extract<ConvOp, { kind: 'conv' }>;
    this.padInput(F, input, batch);
    const relu = op.activation === 'relu' ? 1 : 0;
    const [kernel, bias] = [this.params[conv.p0].w * 4, this.params[conv.p1].w * 4];
    const args = [relu, batch, op.output.h, op.output.w, op.output.c];
    this.firstKernels.convPoolSingle(this.padded * 4, kernel, bias, conv.out * 4, pool.out * 4, ...args);
  }

  /**
   * The first convolution (one channel, 3x3) and the BatchNormalization above it (`convNormFits`): the input copied
   * into its padded buffer, then `convSingleMoments` (the moments about the first pixel's output), then the
   * statistics and the normalisation as the loop's BatchNormalization case does them.
   */
  private convNormForward(F: Float32Array, input: number, batch: number, update: boolean): void {
    const [conv, norm] = this.states;
    const op = conv.op as Extract<ConvOp, { kind: 'conv' }>;
    const bn = norm.op as Extract<ConvOp, { kind: 'batchnorm' }>;
    this.padInput(F, input, batch);
    const { ph, pw } = paddedSize(op);
    const c = op.output.c;
    const [kernel, bias] = [this.params[conv.p0].w, this.params[conv.p1].w];
    const relu = op.activation === 'relu';
    // The shift: the first pixel's output, as bnMoments takes the first row (any value near the mean will do).
    const shift = batchNormShift(this.normBlock, c) >> 2;
    for (let ch = 0; ch < c; ch++) {
      let v = 0;
      for (let t = 0; t < 9; t++) v += F[this.padded + Math.floor(t / 3) * pw + (t % 3)] * F[kernel + t * c + ch];
      F[shift + ch] = relu ? Math.max(v + F[bias + ch], 0) : v + F[bias + ch];
    }
    const geometry = [batch, op.output.h, op.output.w, c, op.sh, op.sw, ph, pw, this.normBlock];
    const args = [this.padded * 4, kernel * 4, bias * 4, conv.out * 4, relu ? 1 : 0, ...geometry] as const;
    if (this.options.firstConvSplit === false) this.firstKernels.convSingleMoments(...args);
    else this.firstKernels.convSingleMomentsSplit(...args);
    const rows = batch * op.output.h * op.output.w;
    const gamma = norm.p0 >= 0 ? this.params[norm.p0].w : -1;
    const beta = norm.p1 >= 0 ? this.params[norm.p1].w : -1;
    batchNormStatistics(F, this.normBlock, rows, c, { gamma, beta, epsilon: bn.epsilon }, norm.stats!);
    if (norm.folded === 'im2col') this.affineTable(F, norm, gamma, beta);
    else if (!norm.folded) this.simd.bnNormalize(conv.out * 4, norm.out * 4, rows, c, this.normBlock);
    if (update) {
      movingAverage(norm.moving![0], norm.stats!.mean, bn.momentum);
      movingAverage(norm.moving![1], norm.stats!.variance, bn.momentum);
    }
  }

  /**
   * The average pooling `pool` of a BatchNormalization's input at `from` into `to` and that BatchNormalization's
   * moments in one pass (`avgPoolMoments`, about the input's first pixel as bnMoments' shift), then its statistics
   * and moving averages as its own case does them; the pooling's case normalises the averages.
   */
  private poolMomentsForward(
    F: Float32Array,
    norm: OpState,
    pool: OpState,
    from: number,
    to: number,
    batch: number,
    update: boolean,
  ): void {
    const bn = norm.op as Extract<ConvOp, { kind: 'batchnorm' }>;
    const g = pool.geometry!;
    const c = g.c;
    F.copyWithin(batchNormShift(this.normBlock, c) >> 2, from, from + c);
    const kernel = twoByTwo(g) ? 'avgPoolMoments2x2' : 'avgPoolMoments';
    this.simd[kernel](from * 4, to * 4, batch, ...poolArgs(g), this.normBlock);
    const gamma = norm.p0 >= 0 ? this.params[norm.p0].w : -1;
    const beta = norm.p1 >= 0 ? this.params[norm.p1].w : -1;
    const rows = batch * g.h * g.w;
    batchNormStatistics(F, this.normBlock, rows, c, { gamma, beta, epsilon: bn.epsilon }, norm.stats!);
    if (update) {
      movingAverage(norm.moving![0], norm.stats!.mean, bn.momentum);
      movingAverage(norm.moving![1], norm.stats!.variance, bn.momentum);
    }
  }

  /**
   * The BatchNormalization's and the first convolution's gradients (`convNormForward`): its sums, then
   * `convSingleNormBackwardSplit` with its dx (the convolution's dL/dz) in the convolution's own gradient buffer, or
   * with `firstConvSplit` false `convSingleNormBackward`, dx never stored.
   */
  private convNormBackward(F: Float32Array, batch: number): void {
    const [conv, norm] = this.states;
    const op = conv.op as Extract<ConvOp, { kind: 'conv' }>;
    const { ph, pw } = paddedSize(op);
    const c = op.output.c;
    const rows = batch * op.output.h * op.output.w;
    const [gamma, dgamma] = norm.p0 >= 0 ? [this.params[norm.p0].w, this.params[norm.p0].g] : [-1, -1];
    const dbeta = norm.p1 >= 0 ? this.params[norm.p1].g : -1;
    const gate = op.activation === 'relu';
    const sums = [F, norm.grad, conv.out, -1, rows, c, gamma, dgamma, dbeta, norm.stats!, this.sums] as const;
    batchNormBackwardSimd(this.simd, this.normBlock, gate, 0, ...sums);
    const [dkernel, dbias] = [this.params[conv.p0].g * 4, this.params[conv.p1].g * 4];
    const geometry = [batch, op.output.h, op.output.w, c, op.sh, op.sw, ph, pw, this.normBlock];
    const args = [this.padded * 4, conv.out * 4, norm.grad * 4, dkernel, dbias, gate ? 1 : 0, ...geometry] as const;
    if (this.options.firstConvSplit === false) this.firstKernels.convSingleNormBackward(...args);
    else this.firstKernels.convSingleNormBackwardSplit(...args, conv.grad * 4);
  }

  /**
   * The input's images into the first convolution's padded buffer (`paddedSize`; its padding 0 since `reserve`),
   * the part inside it in one call of `copyRows` (896 rows a step for the strided CNN: 0.04 ms of copyWithin calls
   * in JavaScript, which were half the time of F.set(F.subarray(…)), a view a row).
   */
  private padInput(F: Float32Array, input: number, batch: number): void {
    const op = this.states[0].op as Extract<ConvOp, { kind: 'conv' }>;
    const { h, w } = op.input;
    const { ph, pw } = paddedSize(op);
    const [x0, x1] = [Math.max(0, -op.left), Math.min(w, pw - op.left)];
    const [y0, y1] = [Math.max(0, -op.top), Math.min(h, ph - op.top)];
    if (this.options.copyRows === false) {
      for (let b = 0; b < batch; b++)
        for (let y = y0; y < y1; y++) {
          const from = input + (b * h + y) * w;
          F.copyWithin(this.padded + (b * ph + y + op.top) * pw + op.left + x0, from + x0, from + x1);
        }
      return;
    }
    const [src, dst] = [input + y0 * w + x0, this.padded + (y0 + op.top) * pw + op.left + x0];
    this.simd.copyRows(src * 4, dst * 4, batch, y1 - y0, (x1 - x0) * 4, w * 4, pw * 4, h * w * 4, ph * pw * 4);
  }

  /** A Winograd convolution's output (`conv-winograd.ts`), bias and relu included, from its input at `from`. */
  private winogradForward(F: Float32Array, s: OpState, from: number, batch: number, relu: boolean): void {
    const { variant, tiling, kernels: k, v, m, u } = s.winograd!;
    const { input, output } = s.op as Extract<ConvOp, { kind: 'conv' }>;
    const g = s.geometry!;
    const tiles = batch * tiling.tiles;
    const [vs, ms] = [xiStride(tiles * input.c), xiStride(tiles * output.c)];
    const [cin, cout] = [input.c, output.c];
    k.kernel(this.params[s.p0].w * 4, u * 4, cin * cout * 4);
    for (const p of tiling.parts) {
      const at = v + batch * p.before * cin;
      k[p.kind].input(from * 4, at * 4, batch, g.h, g.w, cin, p.th, p.tw, g.top - p.oy, g.left - p.ox, vs * 4);
    }
    const bias = s.p1 >= 0 ? this.params[s.p1].w * 4 : 0;
    const fused =
      this.options.winogradFused !== false && winogradFusedFits(cin, cout)
        ? winogradFused(this.heap.memory, variant, this.gemm.fma)
        : undefined;
    if (fused) {
      // U packed into the micro-kernel's panels in dU's buffer (free until the backward pass); M in `work`.
      const { du } = s.winograd!;
      fused.pack(u * 4, du * 4, cin, cout);
      for (const p of tiling.parts)
        fused.forward[p.kind]!(
          (v + batch * p.before * cin) * 4,
          vs * 4,
          du * 4,
          s.out * 4,
          bias,
          relu ? 1 : 0,
          batch * p.th * p.tw,
          cin,
          cout,
          g.oh,
          g.ow,
          p.th,
          p.tw,
          -p.oy,
          -p.ox,
          this.work,
        );
      return;
    }
    tiling.ranges.forEach(([lo, hi], xi) => {
      if (hi > lo)
        this.product(
          v + xi * vs + batch * lo * cin,
          false,
          u + xi * cin * cout,
          false,
          m + xi * ms + batch * lo * cout,
          batch * (hi - lo),
          cout,
          cin,
        );
    });
    for (const p of tiling.parts) {
      const at = m + batch * p.before * cout;
      const args = [batch, g.oh, g.ow, cout, p.th, p.tw, -p.oy, -p.ox, ms * 4];
      k[p.kind].output(at * 4, s.out * 4, bias, relu ? 1 : 0, ...args);
    }
  }

  /** A Winograd convolution's kernel gradient, and its input gradient into `below` (when ≥ 0), from s.grad. */
  private winogradBackward(F: Float32Array, s: OpState, batch: number, below: number): void {
    const { tiling, kernels: k, v, m, u, du, dwt } = s.winograd!;
    const { input, output } = s.op as Extract<ConvOp, { kind: 'conv' }>;
    const g = s.geometry!;
    const tiles = batch * tiling.tiles;
    const [vs, ms] = [xiStride(tiles * input.c), xiStride(tiles * output.c)];
    const [cin, cout] = [input.c, output.c];
    for (const p of tiling.parts) {
      const at = m + batch * p.before * cout;
      k[p.kind].outputBackward(s.grad * 4, at * 4, batch, g.oh, g.ow, cout, p.th, p.tw, -p.oy, -p.ox, ms * 4);
    }
    // dU[ξ]ᵀ = dM[ξ]ᵀ @ V[ξ] over the rows of the tiles that use ξ: the same sums as V[ξ]ᵀ @ dM[ξ], but the product
    // packs V [tiles, cin] instead of dM [tiles, cout], fewer floats where a convolution widens; then dWᵀ = Gᵀ dUᵀ G
    // per [cout, cin] block, transposed into the kernel's gradient.
    const pairs = cin * cout;
    tiling.ranges.forEach(([lo, hi], xi) => {
      const [dm, vx] = [m + xi * ms + batch * lo * cout, v + xi * vs + batch * lo * cin];
      if (hi > lo) this.product(dm, true, vx, false, du + xi * pairs, cout, cin, batch * (hi - lo));
      else F.fill(0, du + xi * pairs, du + (xi + 1) * pairs);
    });
    k.kernelBackward(du * 4, dwt * 4, pairs * 4);
    const dw = this.params[s.p0].g;
    for (let tap = 0; tap < 9; tap++)
      for (let j = 0, from = dwt + tap * pairs; j < cout; j++)
        for (let i = 0, to = dw + tap * pairs + j; i < cin; i++, to += cout) F[to] = F[from++];
    if (below < 0) return;
    // dV overwrites V, which is no longer needed.
    tiling.ranges.forEach(([lo, hi], xi) => {
      const [dm, vx] = [m + xi * ms + batch * lo * cout, v + xi * vs + batch * lo * cin];
      if (hi > lo) this.product(dm, false, u + xi * pairs, true, vx, batch * (hi - lo), cin, cout);
    });
    F.fill(0, below, below + batch * s.inSize);
    for (const p of tiling.parts) {
      const at = v + batch * p.before * cin;
      const args = [batch, g.h, g.w, cin, p.th, p.tw, g.top - p.oy, g.left - p.ox, vs * 4];
      k[p.kind].inputBackward(at * 4, below * 4, ...args);
    }
  }

  /** A folded BatchNormalization's table for the convolution above: mean, gamma·invStd, beta per channel, kw times. */
  private affineTable(F: Float32Array, s: OpState, gamma: number, beta: number): void {
    const c = s.op.input.c;
    const above = this.states[this.states.indexOf(s) + 1];
    // A polyphase convolution normalises its padded input, a 1x1 window.
    const kw = above.polyphase ? 1 : (above.op as Extract<ConvOp, { kind: 'conv' }>).kw;
    const { mean, invStd } = s.stats!;
    for (let r = 0, t = s.extra; r < kw; r++, t += c)
      for (let ch = 0; ch < c; ch++) {
        F[t + ch] = mean[ch];
        F[t + kw * c + ch] = (gamma >= 0 ? F[gamma + ch] : 1) * invStd[ch];
        F[t + 2 * kw * c + ch] = beta >= 0 ? F[beta + ch] : 0;
      }
  }

  /** activationBackward of `conv-kernels.ts`, relu's in SIMD but for the last n % 4 values. */
  private activationBackward(F: Float32Array, dy: number, a: number, dz: number, n: number, activation: Activation) {
    const vector = activation === 'relu' ? n & ~3 : 0;
    if (vector) this.simd.reluBackward(dy * 4, a * 4, dz * 4, vector * 4);
    activationBackward(F, dy + vector, a + vector, dz + vector, n - vector, activation);
  }

  /** columnSums of `conv-kernels.ts` (the bias gradient), 16 and then 4 columns at a time in SIMD, the rest here. */
  private columnSums(F: Float32Array, m: number, rows: number, n: number, out: number): void {
    let j = 0;
    for (; j + 16 <= n; j += 16) this.simd.columnSums16((m + j) * 4, rows, n * 4, (out + j) * 4);
    for (; j + 4 <= n; j += 4) this.simd.columnSums4((m + j) * 4, rows, n * 4, (out + j) * 4);
    if (j < n) columnSums(F, m + j, rows, n - j, out + j, this.sums, n);
  }

  /** Writes the current parameters and BatchNormalization's moving statistics into the model's variables. */
  writeBack(): void {
    const { tf } = this;
    const values = this.params.map((p) => this.view().slice(p.w, p.w + p.size));
    tf.tidy(() => {
      this.params.forEach((p, i) => p.variable.write(tf.tensor(values[i], p.variable.shape as number[])));
      for (const s of this.states) {
        if (s.op.kind !== 'batchnorm') continue;
        s.op.movingMean.write(tf.tensor(s.moving![0], s.op.movingMean.shape as number[]));
        s.op.movingVariance.write(tf.tensor(s.moving![1], s.op.movingVariance.shape as number[]));
      }
    });
  }

  dispose(): void {
    for (const pointer of [this.block, this.work, this.paramPointer, this.normPointer, this.biasSumsPointer])
      if (pointer) this.heap.free(pointer);
    this.normPointer = this.biasSumsPointer = 0;
    this.block = this.work = this.paramPointer = this.paramBlock = this.capacity = 0;
  }
}

/** Whether a BatchNormalization over c channels runs in SIMD (float32, `conv-simd.ts`) rather than the loops. */
const simdNorm = (c: number) => c % 4 === 0;

/** The SIMD transforms of a Winograd variant (conv-simd.ts names F(4x4)'s `winograd4…`, an edge part's with its kind). */
function kernelsOf(simd: ConvSimd, variant: WinogradVariant) {
  const prefix = variant.m === 4 ? 'winograd4' : 'winograd';
  const of = (name: string) => simd[`${prefix}${name}` as keyof ConvSimd];
  const part = (kind: PartKind) => {
    const suffix = kind === 'FF' ? '' : kind;
    return {
      input: of(`Input${suffix}`),
      inputBackward: of(`InputBackward${suffix}`),
      output: of(`Output${suffix}`),
      outputBackward: of(`OutputBackward${suffix}`),
    };
  };
  return {
    kernel: of('Kernel'),
    kernelBackward: of('KernelBackward'),
    ...(Object.fromEntries(partKinds(variant).map((kind) => [kind, part(kind)])) as Record<
      PartKind,
      ReturnType<typeof part>
    >),
  };
}

/**
 * Whether the plan starts with what `convPoolSingle` computes: a 3x3 stride-1 convolution of one channel ('same' or
 * 'valid') with bias, relu or linear, c a multiple of 4 and an even output, under a 2x2 max pooling that tiles it
 * (the small CNN's first layer).
 */
function convPoolFits(ops: ConvOp[]): boolean {
  const [conv, pool] = ops;
  if (conv?.kind !== 'conv' || pool?.kind !== 'maxpool' || ops.length < 3) return false;
  const { input: i, output: o } = conv;
  const padding =
    (conv.top === 1 && conv.left === 1 && i.h === o.h && i.w === o.w) ||
    (conv.top === 0 && conv.left === 0 && i.h === o.h + 2 && i.w === o.w + 2);
  return (
    i.c === 1 &&
    conv.kh === 3 &&
    conv.kw === 3 &&
    conv.sh === 1 &&
    conv.sw === 1 &&
    padding &&
    !!conv.bias &&
    (conv.activation === 'relu' || conv.activation === 'linear') &&
    o.c % 4 === 0 &&
    [pool.kh, pool.kw, pool.sh, pool.sw].every((v) => v === 2) &&
    pool.top === 0 &&
    pool.left === 0 &&
    o.h === 2 * pool.output.h &&
    o.w === 2 * pool.output.w
  );
}

/**
 * Whether the plan starts with what `convSingleMoments` computes: a 3x3 convolution of one channel (any strides and
 * padding) with bias, relu or linear, c a multiple of 4, under a BatchNormalization (the strided CNN's first layer).
 */
function convNormFits(ops: ConvOp[]): boolean {
  const [conv, norm] = ops;
  if (conv?.kind !== 'conv' || norm?.kind !== 'batchnorm' || ops.length < 3) return false;
  return (
    conv.input.c === 1 &&
    conv.kh === 3 &&
    conv.kw === 3 &&
    conv.top >= 0 &&
    conv.left >= 0 &&
    !!conv.bias &&
    (conv.activation === 'relu' || conv.activation === 'linear') &&
    conv.output.c % 4 === 0
  );
}

/** The padded input of the first convolution (`convPoolFits`, `convNormFits`): every window inside it. */
function paddedSize(op: ConvOp): { ph: number; pw: number } {
  if (op.kind !== 'conv') throw new Error('not a convolution');
  return { ph: (op.output.h - 1) * op.sh + op.kh, pw: (op.output.w - 1) * op.sw + op.kw };
}

/** Whether a convolution reads its input as is (1x1, stride 1): its im2col would be a copy. */
function pointwise(op: Extract<ConvOp, { kind: 'conv' }>): boolean {
  return op.kh === 1 && op.kw === 1 && op.sh === 1 && op.sw === 1;
}

/** Whether a pooling's windows tile the image (stride = size, no padding) over whole vectors of channels. */
function tiling(g: Geometry): boolean {
  return (
    g.sh === g.kh &&
    g.sw === g.kw &&
    g.top === 0 &&
    g.left === 0 &&
    g.oh * g.kh <= g.h &&
    g.ow * g.kw <= g.w &&
    g.c % 4 === 0
  );
}

/** The geometry after `batch` in the order of `conv-simd.ts`'s im2col / col2im. */
const windowArgs = (g: Geometry) => [g.h, g.w, g.c, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.top, g.left];
const twoByTwo = (g: Geometry) => g.kh === 2 && g.kw === 2;
/** The geometry after `batch` in the order of `conv-simd.ts`'s max pooling. */
const poolArgs = (g: Geometry) => [g.h, g.w, g.c, g.oh, g.ow, g.kh, g.kw];

function windowOf(op: ConvOp): Omit<Geometry, 'h' | 'w' | 'c' | 'oh' | 'ow'> {
  if (op.kind !== 'conv' && op.kind !== 'maxpool' && op.kind !== 'avgpool') throw new Error('not a window');
  const { kh, kw, sh, sw, top, left } = op;
  return { kh, kw, sh, sw, top, left };
}
