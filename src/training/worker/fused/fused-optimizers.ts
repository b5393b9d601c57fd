/**
 * The six Keras 2.x optimizers (TF 2.8 optimizer_v2) as fused per-weight loops for the fused engine.
 *
 * Each rule is written once as formulas (see `update-kernels.ts`), in the same operation order as the stock
 * engine's loops, and compiled to a JS loop (any backend) and to a WebAssembly SIMD loop that runs straight on the
 * wasm backend's tensor memory. A rule reads the current weight `w` and gradient `g` and writes `out`: the engine
 * passes a fresh tensor's memory there, because the wasm backend's matrix product keeps packed copies of its
 * operands, keyed by tensor, that in-place writes would leave stale.
 */
import {
  optimizerDef,
  trainingOptimizer,
  type EffectiveOptimizer,
  type OptimizerName,
} from '../../../model/optimizers';
import { nadamSchedule } from '../stock-optimizers';
import { hasRelaxedSimd } from '../../wasm-features';
import { compileJs, compileWasm, MAX_SCALARS, parseProgram, type JsUpdate, type UpdateProgram } from './update-kernels';

/** The wasm backend's memory and allocator, for optimizer state that the SIMD loops can reach. */
export interface WasmHeap {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(pointer: number): void;
}

export interface FusedOptimizer {
  readonly type: OptimizerName;
  readonly hyper: Readonly<Record<string, number | boolean>>;
  /** Steps taken so far (Keras `iterations`). */
  readonly iterations: number;
  /** Whether weights in the wasm heap are updated by the SIMD loop. */
  readonly simd: boolean;
  /** Counts one step; call once before updating the weights of that step. `lr`: this step's learning rate (a
   * schedule's value, or one ReduceLROnPlateau lowered); omitted, the last one (at first the optimizer's). */
  beginStep(lr?: number): void;
  /**
   * This step's learning rate when the optimizer is plain SGD (no momentum) updated by the SIMD loop, whose update
   * `w - lr * g` a caller may then apply itself (the Dense engine, inside a gradient product); else undefined.
   */
  plainRate(): number | undefined;
  /**
   * This step's update of weight `index` for a caller that applies it itself, inside the product that computes its
   * gradient (the Dense engine's first layer, `sparse-forward.ts`): the program (its name and formulas), the step's
   * scalars padded to MAX_SCALARS and the heap addresses of the weight's slots (0 for unused ones). The same f32x4
   * operations as the SIMD loop. Undefined where the SIMD loop does not update that weight in the heap, or weight
   * decay runs as a pass of its own.
   */
  fusedUpdate(index: number): FusedUpdate | undefined;
  /** Updates weight number `index` from its gradient: reads `w` and `g`, writes `out` (may be `w` itself). */
  update(index: number, w: Float32Array, g: Float32Array, out: Float32Array): void;
  /** Frees optimizer state held in the wasm heap. */
  dispose(): void;
  /** Copies of every weight's slots, by weight index (saved with the weights to continue a run). */
  exportSlots(): Float32Array[][];
  /** Puts slots saved by `exportSlots` back, with the step count and learning rate they were saved at. */
  importSlots(iterations: number, lr: number, slots: Float32Array[][]): void;
}

/** See `FusedOptimizer.fusedUpdate`. */
export interface FusedUpdate {
  name: string;
  program: UpdateProgram;
  scalars: readonly number[];
  slots: readonly [number, number, number];
}

interface Rule {
  /** Key of the compiled program (formulas are shared between runs with different hyper-parameters). */
  program: string;
  /** Initial value of each state slot. */
  slots: number[];
  /** The program's scalars for step t (starting at 1) with learning rate lr, in declared order. */
  scalars(t: number, lr: number): number[];
}

/**
 * The update programs: one per optimizer variant, scalars listed after the formulas. State that decays is flushed
 * to zero below float32's normal range (`update-kernels.ts` says why); that changes no weight by more than ~1e-30.
 */
const DECAY = 'weight_decay';
const PROGRAMS: Record<string, [string, string[]]> = {
  sgd: ['out = w - lr*g', ['lr']],
  momentum: [
    `v = momentum*s0 - lr*g
     s0 = flush(v)
     out = w + v`,
    ['lr', 'momentum'],
  ],
  nesterov: [
    `v = momentum*s0 - lr*g
     s0 = flush(v)
     out = w + (momentum*v - lr*g)`,
    ['lr', 'momentum'],
  ],
  rmsprop: [
    `s0 = flush(rho*s0 + decay*g*g)
     out = w - lr*g/(sqrt(s0) + eps)`,
    ['lr', 'rho', 'decay', 'eps'],
  ],
  rmsprop_centered: [
    `s0 = flush(rho*s0 + decay*g*g)
     s1 = flush(rho*s1 + decay*g)
     out = w - lr*g/(sqrt(s0 - s1*s1) + eps)`,
    ['lr', 'rho', 'decay', 'eps'],
  ],
  // With momentum Keras calls TF's ApplyRMSProp kernel, which keeps epsilon inside the square root.
  rmsprop_momentum: [
    `s0 = flush(rho*s0 + decay*g*g)
     s1 = flush(momentum*s1 + lr*g/sqrt(s0 + eps))
     out = w - s1`,
    ['lr', 'rho', 'decay', 'eps', 'momentum'],
  ],
  rmsprop_momentum_centered: [
    `s0 = flush(rho*s0 + decay*g*g)
     s2 = flush(rho*s2 + decay*g)
     s1 = flush(momentum*s1 + lr*g/sqrt(s0 - s2*s2 + eps))
     out = w - s1`,
    ['lr', 'rho', 'decay', 'eps', 'momentum'],
  ],
  adam: [
    `s0 = flush(b1*s0 + c1*g)
     s1 = flush(b2*s1 + c2*g*g)
     out = w - lr_t*s0/(sqrt(s1) + eps)`,
    ['lr_t', 'b1', 'c1', 'b2', 'c2', 'eps'],
  ],
  amsgrad: [
    `s0 = flush(b1*s0 + c1*g)
     s1 = flush(b2*s1 + c2*g*g)
     s2 = max(s2, s1)
     out = w - lr_t*s0/(sqrt(s2) + eps)`,
    ['lr_t', 'b1', 'c1', 'b2', 'c2', 'eps'],
  ],
  adagrad: [
    `s0 = s0 + g*g
     out = w - lr*g/(sqrt(s0) + eps)`,
    ['lr', 'eps'],
  ],
  adamax: [
    `s0 = flush(b1*s0 + c1*g)
     s1 = flush(max(b2*s1, abs(g)))
     out = w - lr_t*s0/(s1 + eps)`,
    ['lr_t', 'b1', 'c1', 'b2', 'eps'],
  ],
  // Keras 3's Nadam (see `nadamSchedule`): km and kg are lr times the step's momentum and gradient factors, vc the
  // second moment's bias correction 1 / (1 - b2^t).
  nadam: [
    `s0 = flush(b1*s0 + c1*g)
     s1 = flush(b2*s1 + c2*g*g)
     out = w - (km*s0 + kg*g)/(sqrt(s1*vc) + eps)`,
    ['km', 'kg', 'b1', 'c1', 'b2', 'c2', 'vc', 'eps'],
  ],
  // Weight decay (`weight_decay`, AdamW's): run before any optimizer's program, k = weight_decay * lr.
  [DECAY]: ['out = w - w*k', ['k']],
  adadelta: [
    `s0 = flush(rho*s0 + decay*g*g)
     upd = sqrt(s1 + eps)/sqrt(s0 + eps)*g
     s1 = flush(rho*s1 + decay*upd*upd)
     out = w - lr*upd`,
    ['lr', 'rho', 'decay', 'eps'],
  ],
};

/**
 * A program with the weight decay in the same pass (`DECAYED`): `out = w - w*k` first, then the program reading the
 * decayed weight (`out`, as stored) where it read `w`, k its last scalar. Bit-equal to the decay's pass followed by
 * the program's (the same float32 operations), one pass over memory instead of two. Only where a scalar is free.
 */
const decayed = ([source, scalars]: [string, string[]]): [string, string[]] => [
  `out = w - w*k\n${source.replace(/\bw\b/g, 'out')}`,
  [...scalars, 'k'],
];
const DECAYED = '_decayed';
for (const [name, program] of Object.entries(PROGRAMS))
  if (name !== DECAY && program[1].length < MAX_SCALARS) PROGRAMS[name + DECAYED] = decayed(program);

/**
 * Programs' multiply-add forms for the SIMD code where the runtime has relaxed SIMD (`MULTIPLY_ADD` appended to the
 * name; the JS loop keeps the program as written, in double). Adam's moments as TensorFlow's ApplyAdam kernel writes
 * them, m + (g - m)*(1 - b1): a subtraction and a multiply-add each (and g*g) where they were two or three multiplies
 * and an add; the second moment, never negative, flushed without |x|; the weight w - lr_t*(m/(sqrt(v) + eps)) with
 * one multiply-add where it was a multiply and a subtraction. Four vector operations fewer a vector of four weights
 * (12 and the square root and division, from 16), 5-7 µs of a canonical step (docs/performance.md, "Round 15,
 * Dense"); AMSGrad likewise; RMSprop's mean square and weight the same way (about 2 µs), Nadam's moments and its
 * numerator km*m + kg*g (about 6 µs). Not bit-equal to the programs as written: a multiply-add rounds once where a
 * multiply and an add rounded twice, and lr_t multiplies the quotient rather than the numerator (within a few
 * float32 roundings either way; `fused-optimizers.test.ts` bounds the difference).
 */
const MULTIPLY_ADD = '_fma';
const ADAM_MOMENTS = `s0 = flush(madd(c1, g - s0, s0))
     s1 = flushp(madd(c2, g*g - s1, s1))`;
const FMA_PROGRAMS: Record<string, [string, string[]]> = {
  adam: [`${ADAM_MOMENTS}\n     out = nmadd(lr_t, s0/(sqrt(s1) + eps), w)`, PROGRAMS.adam[1]],
  rmsprop: [`s0 = flushp(madd(decay, g*g - s0, s0))\n     out = nmadd(lr, g/(sqrt(s0) + eps), w)`, PROGRAMS.rmsprop[1]],
  nadam: [`${ADAM_MOMENTS}\n     out = w - madd(km, s0, kg*g)/(sqrt(s1*vc) + eps)`, PROGRAMS.nadam[1]],
  amsgrad: [
    `${ADAM_MOMENTS}\n     s2 = max(s2, s1)\n     out = nmadd(lr_t, s0/(sqrt(s2) + eps), w)`,
    PROGRAMS.amsgrad[1],
  ],
};
for (const [name, program] of Object.entries(FMA_PROGRAMS))
  if (program[1].length < MAX_SCALARS) FMA_PROGRAMS[name + DECAYED] = decayed(program);

type Hyper = Readonly<Record<string, number | boolean>>;
/** Every program's first scalar is the step's learning rate (or Adam's lr_t made from it), given per step. */
const constant = (program: string, slots: number[], rest: number[]): Rule => ({
  program,
  slots,
  scalars: (_t, lr) => [lr, ...rest],
});
const num = (h: Hyper, k: string) => h[k] as number;

function adam(h: Hyper): Rule {
  const [b1, b2, eps] = [num(h, 'beta_1'), num(h, 'beta_2'), num(h, 'epsilon')];
  return {
    program: h.amsgrad ? 'amsgrad' : 'adam',
    slots: h.amsgrad ? [0, 0, 0] : [0, 0],
    scalars: (t, lr) => [(lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t), b1, 1 - b1, b2, 1 - b2, eps],
  };
}

/**
 * Each optimizer's program and scalars, keyed by the core's table: `tsc` fails when the table gains an optimizer
 * without a rule here, and no name can fall through to another optimizer's rule.
 */
export const FUSED_RULES: Record<OptimizerName, (h: Hyper) => Rule> = {
  SGD: (h) => {
    const momentum = num(h, 'momentum');
    if (momentum === 0) return constant('sgd', [], []);
    return constant(h.nesterov ? 'nesterov' : 'momentum', [0], [momentum]);
  },
  RMSprop: (h) => {
    const [rho, eps, momentum] = [num(h, 'rho'), num(h, 'epsilon'), num(h, 'momentum')];
    const base = [rho, 1 - rho, eps];
    if (momentum > 0) {
      return h.centered
        ? constant('rmsprop_momentum_centered', [0, 0, 0], [...base, momentum])
        : constant('rmsprop_momentum', [0, 0], [...base, momentum]);
    }
    return h.centered ? constant('rmsprop_centered', [0, 0], base) : constant('rmsprop', [0], base);
  },
  Adam: (h) => adam(h),
  // Adam's program; the engine applies its weight decay before it, as for every optimizer.
  AdamW: (h) => adam(h),
  Nadam: (h) => {
    const [b1, b2, eps] = [num(h, 'beta_1'), num(h, 'beta_2'), num(h, 'epsilon')];
    const schedule = nadamSchedule(b1);
    return {
      program: 'nadam',
      slots: [0, 0],
      scalars: (t, lr) => {
        const { momentumRate, gradientRate } = schedule(t);
        return [lr * momentumRate, lr * gradientRate, b1, 1 - b1, b2, 1 - b2, 1 / (1 - b2 ** t), eps];
      },
    };
  },
  Adagrad: (h) => constant('adagrad', [num(h, 'initial_accumulator_value')], [num(h, 'epsilon')]),
  Adamax: (h) => {
    const [b1, b2, eps] = [num(h, 'beta_1'), num(h, 'beta_2'), num(h, 'epsilon')];
    return { program: 'adamax', slots: [0, 0], scalars: (t, lr) => [lr / (1 - b1 ** t), b1, 1 - b1, b2, eps] };
  },
  Adadelta: (h) => {
    const rho = num(h, 'rho');
    return constant('adadelta', [0, 0], [rho, 1 - rho, num(h, 'epsilon')]);
  },
};

let parsed: Record<string, UpdateProgram> | undefined;
const jsLoops = new Map<string, JsUpdate>();
const wasmModules = new WeakMap<WebAssembly.Memory, WebAssembly.Exports>();

/** Every program, and where the runtime has relaxed SIMD, the multiply-add forms (`MULTIPLY_ADD`). */
function programs(): Record<string, UpdateProgram> {
  if (!parsed) {
    const all = Object.entries(PROGRAMS);
    if (hasRelaxedSimd()) for (const [k, p] of Object.entries(FMA_PROGRAMS)) all.push([k + MULTIPLY_ADD, p]);
    parsed = Object.fromEntries(all.map(([k, [src, scalars]]) => [k, parseProgram(src, scalars)]));
  }
  return parsed;
}

function jsLoop(name: string): JsUpdate {
  let loop = jsLoops.get(name);
  if (!loop) {
    loop = compileJs(programs()[name]);
    jsLoops.set(name, loop);
  }
  return loop;
}

/** The SIMD loops bound to `memory`, or undefined when this runtime cannot compile them (no wasm SIMD). */
function wasmLoops(memory: WebAssembly.Memory): WebAssembly.Exports | undefined {
  let exports = wasmModules.get(memory);
  if (!exports) {
    try {
      const module = new WebAssembly.Module(compileWasm(programs()));
      exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    } catch {
      return undefined;
    }
    wasmModules.set(memory, exports);
  }
  return exports;
}

type SimdUpdate = (
  w: number,
  g: number,
  out: number,
  s0: number,
  s1: number,
  s2: number,
  vectors: number,
  ...k: number[]
) => void;

/**
 * Runs a compiled program over arrays in the wasm heap: the SIMD loop over whole vectors of four, the JS loop over
 * the few left. `pointers`: the weight's state slots' addresses; `k`: the scalars padded to MAX_SCALARS.
 */
function run(
  simd: SimdUpdate,
  js: JsUpdate,
  w: Float32Array,
  g: Float32Array,
  out: Float32Array,
  pointers: readonly number[],
  k: readonly number[],
  cache: { tail?: Tail },
): void {
  const vectors = w.length >> 2;
  const [p0, p1, p2] = [pointers[0] ?? 0, pointers[1] ?? 0, pointers[2] ?? 0];
  // Every argument spelled out: a spread call goes through V8's slow generic JS-to-wasm wrapper.
  simd(w.byteOffset, g.byteOffset, out.byteOffset, p0, p1, p2, vectors, k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]);
  const done = vectors * 4;
  if (done === w.length) return;
  // Views made once, not per step: new arrays every step made V8 throw away the update's optimised code once in
  // every first epoch (a "wrong map" deoptimisation) and compile it again.
  const buffer = w.buffer as ArrayBuffer;
  let t = cache.tail;
  if (!t || t.buffer !== buffer || t.w !== w.byteOffset || t.g !== g.byteOffset || t.out !== out.byteOffset) {
    const slots = pointers.map((q) => new Float32Array(buffer, q + done * 4, w.length - done));
    const arrays = [w.subarray(done), g.subarray(done), out.subarray(done), ...slots];
    t = cache.tail = { buffer, w: w.byteOffset, g: g.byteOffset, out: out.byteOffset, arrays };
  }
  js(t.arrays, k as number[]);
}

/** The last few floats the SIMD loop leaves to the JS loop: views made once, for these addresses in this memory. */
interface Tail {
  buffer: ArrayBuffer;
  w: number;
  g: number;
  out: number;
  arrays: Float32Array[];
}

/** Per weight: its state slots, at heap addresses when the SIMD loop can use them, else in JS arrays. */
interface WeightState {
  size: number;
  pointers?: number[];
  arrays?: Float32Array[];
  /** The update's tail views (`run`), and the weight decay's. */
  tail?: Tail;
  decay?: { tail?: Tail };
}

/** Bytes of one slot of `size` floats, rounded up to whole 16-byte vectors so every slot starts aligned. */
const slotBytes = (size: number) => Math.ceil(size / 4) * 16;

export interface FusedOptimizerOptions {
  /**
   * false: the SIMD loops (and a product's epilogue) run the programs as written even where the runtime has relaxed
   * SIMD, not their multiply-add forms (`MULTIPLY_ADD`; tests and benches compare the two).
   */
  multiplyAdd?: boolean;
}

/**
 * The optimizer for `spec`, or undefined when it is not one of the six or carries an argument these rules do not
 * implement (the stock engine then decides what to do with it). With `heap`, weights whose arrays all live there
 * are updated by the SIMD loop.
 *
 * `sizes` lists every weight's element count in parameter order: their state is allocated here, in one block, so
 * that `update` never allocates. An allocation in the wasm heap may grow its memory, which detaches every view of
 * it the caller holds (including the `w`, `g` and `out` it passed in), so nothing in a step may allocate there.
 * A weight not listed gets its state lazily in JS arrays, which cannot move the heap (and forgoes SIMD).
 */
export function createFusedOptimizer(
  spec: EffectiveOptimizer,
  heap?: WasmHeap,
  sizes: readonly number[] = [],
  options: FusedOptimizerOptions = {},
): FusedOptimizer | undefined {
  const resolved = resolve(spec);
  if (!resolved) return undefined;
  const { type, hyper } = resolved;
  const weightDecay = Number(hyper.weight_decay ?? 0);
  const base = FUSED_RULES[type](hyper);
  // With weight decay, the program that decays in its own pass where there is one (AdamW's Adam, SGD's, …).
  const together = weightDecay > 0 && PROGRAMS[base.program + DECAYED] !== undefined;
  const rule: Rule = together
    ? {
        program: base.program + DECAYED,
        slots: base.slots,
        scalars: (t, lr) => [...base.scalars(t, lr), weightDecay * lr],
      }
    : base;
  // The SIMD code's program: the multiply-add form where there is one (in `programs` only with relaxed SIMD).
  const fused = rule.program + MULTIPLY_ADD;
  const simdProgram = options.multiplyAdd !== false && programs()[fused] ? fused : rule.program;
  const js = jsLoop(rule.program);
  const simd = heap ? (wasmLoops(heap.memory)?.[simdProgram] as SimdUpdate | undefined) : undefined;
  const jsState = (size: number): WeightState => ({
    size,
    arrays: rule.slots.map((v) => new Float32Array(size).fill(v)),
  });

  const state: WeightState[] = [];
  let block = 0;
  const bytes = sizes.reduce((sum, size) => sum + slotBytes(size) * rule.slots.length, 0);
  if (simd && heap && bytes > 0) block = heap.malloc(bytes);
  if (simd && heap && (block || bytes === 0)) {
    // Views only after the allocation: it may have grown (and so moved) the memory.
    let next = block;
    for (const size of sizes) {
      const pointers = rule.slots.map((v) => {
        const p = next;
        next += slotBytes(size);
        new Float32Array(heap!.memory.buffer, p, size).fill(v);
        return p;
      });
      state.push({ size, pointers });
    }
  } else {
    // No SIMD, or the heap could not hold the state (malloc gave 0): the JS loop works on any arrays.
    for (const size of sizes) state.push(jsState(size));
  }
  const decayJs = jsLoop(DECAY);
  const decaySimd = heap ? (wasmLoops(heap.memory)?.[DECAY] as SimdUpdate | undefined) : undefined;
  let iterations = 0;
  let learningRate = hyper.learning_rate as number;
  /** This step's scalars padded to MAX_SCALARS with zeros, computed once per step (not once per weight). */
  let scalars: number[] | undefined;
  const stepScalars = (): number[] => {
    if (!scalars) {
      const own = rule.scalars(iterations, learningRate);
      scalars = [...own, ...new Array(MAX_SCALARS - own.length).fill(0)];
    }
    return scalars;
  };

  return {
    type,
    hyper,
    simd: !!simd,
    get iterations() {
      return iterations;
    },
    fusedUpdate(index) {
      const pointers = state[index]?.pointers;
      if (!simd || !pointers || (weightDecay > 0 && !together)) return undefined;
      const slots: [number, number, number] = [pointers[0] ?? 0, pointers[1] ?? 0, pointers[2] ?? 0];
      return { name: simdProgram, program: programs()[simdProgram], scalars: stepScalars(), slots };
    },
    plainRate() {
      return rule.program === 'sgd' && simd && weightDecay === 0 ? stepScalars()[0] : undefined;
    },
    beginStep(lr?: number) {
      iterations += 1;
      if (lr !== undefined) learningRate = lr;
      scalars = undefined;
    },
    update(index, w, g, out) {
      const s = (state[index] ??= jsState(w.length));
      if (w.length !== s.size || g.length !== s.size || out.length !== s.size) {
        // A view taken before the wasm memory grew reads as empty; computing on it would corrupt the weights.
        throw new Error(
          `fused optimizer: weight ${index} has ${s.size} values but got arrays of ${w.length}, ${g.length} and ${out.length} (a stale view of wasm memory?)`,
        );
      }
      const buffer = heap?.memory.buffer;
      const onHeap = !!buffer && w.buffer === buffer && g.buffer === buffer && out.buffer === buffer;
      if (weightDecay > 0 && !together) {
        // Keras decays the weight before the update: into `out`, which the update then reads as the weight.
        const k = [weightDecay * learningRate, 0, 0, 0, 0, 0, 0, 0];
        if (decaySimd && onHeap) run(decaySimd, decayJs, w, g, out, [], k, (s.decay ??= {}));
        else decayJs([w, g, out], k);
        w = out;
      }
      if (s.pointers && onHeap && simd) run(simd, js, w, g, out, s.pointers, stepScalars(), s);
      else
        js(
          [w, g, out, ...(s.arrays ?? s.pointers!.map((q) => new Float32Array(heap!.memory.buffer, q, s.size)))],
          stepScalars(),
        );
    },
    exportSlots() {
      return state.map((s) =>
        (s.arrays ?? s.pointers!.map((q) => new Float32Array(heap!.memory.buffer, q, s.size))).map((a) =>
          Float32Array.from(a),
        ),
      );
    },
    importSlots(at, lr, saved) {
      if (
        saved.length !== state.length ||
        saved.some((w, i) => w.length !== rule.slots.length || w.some((a) => a.length !== state[i].size))
      ) {
        throw new Error('fused optimizer: the saved optimizer state does not fit this model and optimizer');
      }
      state.forEach((s, i) =>
        (s.arrays ?? s.pointers!.map((q) => new Float32Array(heap!.memory.buffer, q, s.size))).forEach((a, k) =>
          a.set(saved[i][k]),
        ),
      );
      iterations = at;
      learningRate = lr;
      scalars = undefined;
    },
    dispose() {
      if (block) heap?.free(block);
      block = 0;
      state.length = 0;
    },
  };
}

/**
 * The optimizer through the core's one normaliser, or undefined when the fused rules do not apply: an unknown name,
 * an argument the optimizer lacks, or an ill-typed value. The stock engine then trains it or says what is wrong.
 */
function resolve(
  spec: EffectiveOptimizer,
): { type: OptimizerName; hyper: Record<string, number | boolean> } | undefined {
  if (!optimizerDef(String(spec.type))) return undefined;
  try {
    const { type, hyper, unknown } = trainingOptimizer(spec);
    return unknown.length === 0 ? { type, hyper } : undefined;
  } catch {
    return undefined;
  }
}
