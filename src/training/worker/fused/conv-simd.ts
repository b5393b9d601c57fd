/**
 * The data-movement and reduction loops of the fused CNN engine in WebAssembly SIMD, over the wasm backend's memory
 * (byte addresses; the JavaScript loops of `conv-kernels.ts` define what each computes, and remain for the shapes
 * these do not take):
 *   im2col / col2im   any geometry: a window row is a run of kw·c floats, copied (or added) four at a time; for one
 *                     input channel, a strided walk per kernel tap instead (im2colSingle)
 *   max pooling       windows that tile the image (stride = pool size, no padding) and c a multiple of 4: the
 *                     forward pass is f32x4.pmax over the window (`v > best`, as the loop); the backward pass needs
 *                     no argmax: it finds the first value equal to the maximum again, with the relu gate folded in
 *   Winograd kernels  U = G g Gᵀ and dW = Gᵀ dU G over [cin, cout] blocks, in double as the loop, two pairs a step
 *   average pooling   the same windows: sums and the division in double, as the loops; backward writes dy·inv
 *   column sums       the bias gradient: 16 or 4 columns at a time, summed in double as the loop does
 *   relu backward     dz = a > 0 ? dy : 0, a mask and an and
 *   first layers      one channel's 3x3 convolution straight from its padded input: under a 2x2 max pooling in one
 *                     pass (convPoolSingle), or under a BatchNormalization with its moments summed as z is written
 *                     and its kernel gradient from that BatchNormalization's dx, never stored (convSingleMoments,
 *                     convSingleNormBackward)
 *   padAffine         a folded BatchNormalization's normalised, padded copy for a polyphase convolution, 4 channels at
 *                     a time down each image row
 */
import type { batchNorm, batchNormBackward, NormStats } from './conv-kernels';
import { F2X2, F4X4, partKinds, type PartKind, type WinogradAxis, type WinogradVariant } from './conv-winograd';
import { hasRelaxedSimd } from '../../wasm-features';
import {
  br,
  brIf,
  get,
  HEADER,
  i32,
  I32,
  IMPORT_MEMORY,
  section,
  set,
  simd,
  str,
  uleb,
  V128,
  vec,
  ZERO,
} from './wasm-emit';

// ---- a little assembler (signed i32 loop counters, byte addresses) -------------------------------------------
const [ADD, SUB, MUL, AND, SHL] = [0x6a, 0x6b, 0x6c, 0x71, 0x74];
const [LT_S, GT_S, GE_S, LT_U, SELECT] = [0x48, 0x4a, 0x4e, 0x49, 0x1b];
const [IF, ELSE, END] = [[0x04, 0x40], 0x05, 0x0b];
const [BLOCK, LOOP] = [
  [0x02, 0x40],
  [0x03, 0x40],
];
const F32LOAD = [0x2a, 0x02, 0x00];
const F32STORE = [0x38, 0x02, 0x00];
const F32ADD = 0x92;
const F32_ZERO = [0x43, 0, 0, 0, 0];
const F32_DEMOTE = 0xb6;
const V_LOAD = [...simd(0x00), 0x00, 0x00];
const V_STORE = [...simd(0x0b), 0x00, 0x00];
const LOAD64_ZERO = (offset: number) => [...simd(0x5d), 0x00, ...uleb(offset)];
const [V_AND, V_ANDNOT, V_OR] = [simd(0x4e), simd(0x4f), simd(0x50)];
const [F_EQ, F_GT, F_ADD, F_PMAX] = [simd(0x41), simd(0x44), simd(0xe4), simd(0xeb)];
const [D_ADD, D_PROMOTE] = [simd(0xf0), simd(0x5f)];
const dLane = (lane: number) => [...simd(0x21), lane];
const F64_STORE = [0x39, 0x03, 0x00];
const V_LOAD_OFFSET = (offset: number) => [...simd(0x00), 0x00, ...uleb(offset)];
const V_STORE_OFFSET = (offset: number) => [...simd(0x0b), 0x00, ...uleb(offset)];
/** i8x16.shuffle moving lanes 2, 3 of an f32x4 to lanes 0, 1 (for f64x2.promote_low_f32x4). */
const HIGH_HALF = [...simd(0x0d), 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** Code that leaves the sum of its pieces on the stack: sum(get(a), get(b), [...]) */
const sum = (...parts: number[][]) => parts.flatMap((p, i) => (i === 0 ? p : [...p, ADD]));
const product = (a: number[], b: number[]) => [...a, ...b, MUL];
const assign = (l: number, value: number[]) => [...value, ...set(l)];
/** With the `gate` parameter set, mask &= (v > 0): a relu's derivative, from its output v (locals by index). */
const reluGate = (l: Record<string, number>, mask: number, v: number) => [
  ...get(l.gate),
  ...IF,
  ...assign(mask, [...get(mask), ...get(v), ...ZERO, ...F_GT, ...V_AND]),
  END,
];
/** for (l = from; l < limit; l += step) body, the test at the top. */
const forLoop = (l: number, from: number[], limit: number[], step: number[], body: number[]) => [
  ...assign(l, from),
  ...BLOCK,
  ...LOOP,
  ...get(l),
  ...limit,
  GE_S,
  ...brIf(1),
  ...body,
  ...assign(l, sum(get(l), step)),
  ...br(0),
  END,
  END,
];

/** A function: its i32 parameters, then its i32 and v128 locals, by name. */
export interface Fn {
  params: number;
  body: number[];
  i32s: number;
  v128s: number;
}
function fn(
  params: string[],
  i32Locals: string[],
  v128Locals: string[],
  body: (l: Record<string, number>) => number[],
): Fn {
  const names = [...params, ...i32Locals, ...v128Locals];
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`conv-simd: the local ${twice} named twice`);
  const l = Object.fromEntries(names.map((n, i) => [n, i]));
  return { params: params.length, body: body(l), i32s: i32Locals.length, v128s: v128Locals.length };
}

/**
 * Over `len` bytes (a multiple of 4) at d (and s): vector steps of 16 bytes, then single floats. 'affine' writes
 * (s - t[0]) · t[1] + t[2] in float32, the t[j] `runB` bytes apart from t (a BatchNormalization's normalisation).
 */
function run(l: Record<string, number>, len: number[], kind: 'copy' | 'add' | 'zero' | 'affine'): number[] {
  const at = (base: number) => sum(get(base), get(l.i));
  const step = (vector: boolean) => {
    const [load, store] = vector ? [V_LOAD, V_STORE] : [F32LOAD, F32STORE];
    if (kind === 'zero') return [...at(l.d), ...(vector ? ZERO : [0x43, 0, 0, 0, 0]), ...store];
    if (kind === 'copy') return [...at(l.d), ...at(l.s), ...load, ...store];
    if (kind === 'affine') {
      const table = (j: number) => [...at(l.t), ...product(get(l.runB), i32(j)), ADD, ...load];
      const [sub, mul, add] = vector ? [simd(0xe5), simd(0xe6), F_ADD] : [[0x93], [0x94], [F32ADD]];
      return [...at(l.d), ...at(l.s), ...load, ...table(0), ...sub, ...table(1), ...mul, ...table(2), ...add, ...store];
    }
    return [...at(l.d), ...at(l.d), ...load, ...at(l.s), ...load, ...(vector ? F_ADD : [F32ADD]), ...store];
  };
  return [
    ...assign(l.n, len),
    ...forLoop(l.i, i32(0), [...get(l.n), ...i32(15), SUB], i32(16), step(true)),
    ...BLOCK,
    ...LOOP,
    ...get(l.i),
    ...get(l.n),
    GE_S,
    ...brIf(1),
    ...step(false),
    ...assign(l.i, sum(get(l.i), i32(4))),
    ...br(0),
    END,
    END,
  ];
}

const WINDOW = ['batch', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'top', 'left'];
const WINDOW_LOCALS = ['cb', 'rowB', 'imgB', 'runB', 'b', 'img', 'oy', 'ox', 'y0', 'x0', 'k0', 'k1', 'ky', 'iy'];

/**
 * im2col(x, cols, ...WINDOW) or col2im(dcols, dx, ...WINDOW): the loops of `conv-kernels.ts`'s im2col / col2im
 * (col2im does not zero dx: the caller does). im2colAffine(x, cols, table, ...WINDOW): im2col of the image
 * (x - mean)·scale + beta per channel (0 in the padding), in float32: a BatchNormalization below the convolution,
 * its output never stored; `table` holds mean, scale and beta per channel, each repeated kw times ([3][kw][c]).
 */
function windows(kind: 'im2col' | 'col2im' | 'im2colAffine'): Fn {
  const [image, colsName] = kind === 'col2im' ? ['dx', 'dcols'] : ['x', 'cols'];
  const params =
    kind === 'col2im'
      ? [colsName, image, ...WINDOW]
      : [image, colsName, ...(kind === 'im2colAffine' ? ['table'] : []), ...WINDOW];
  return fn(params, [...WINDOW_LOCALS, 'row', 'dst', 'd', 's', 'n', 'i', 't'], [], (l) => {
    const inside = [
      ...get(l.iy),
      ...i32(0),
      GE_S,
      ...get(l.iy),
      ...get(l.h),
      LT_S,
      AND,
      ...get(l.k1),
      ...get(l.k0),
      GT_S,
      AND,
    ];
    const source = sum(get(l.img), product(get(l.iy), get(l.rowB)), product(sum(get(l.x0), get(l.k0)), get(l.cb)));
    const copyRow =
      kind !== 'col2im'
        ? [
            ...inside,
            ...IF,
            ...assign(l.d, get(l.dst)),
            ...run(l, product(get(l.k0), get(l.cb)), 'zero'),
            ...assign(l.d, sum(get(l.dst), product(get(l.k0), get(l.cb)))),
            ...assign(l.s, source),
            ...(kind === 'im2colAffine' ? assign(l.t, sum(get(l.table), product(get(l.k0), get(l.cb)))) : []),
            ...run(l, product([...get(l.k1), ...get(l.k0), SUB], get(l.cb)), kind === 'im2col' ? 'copy' : 'affine'),
            ...assign(l.d, sum(get(l.dst), product(get(l.k1), get(l.cb)))),
            ...run(l, product([...get(l.kw), ...get(l.k1), SUB], get(l.cb)), 'zero'),
            ELSE,
            ...assign(l.d, get(l.dst)),
            ...run(l, get(l.runB), 'zero'),
            END,
          ]
        : [
            ...inside,
            ...IF,
            ...assign(l.d, source),
            ...assign(l.s, sum(get(l.dst), product(get(l.k0), get(l.cb)))),
            ...run(l, product([...get(l.k1), ...get(l.k0), SUB], get(l.cb)), 'add'),
            END,
          ];
    const minimum = (a: number[], b: number[]) => [...a, ...b, ...a, ...b, LT_S, SELECT];
    return [
      ...assign(l.cb, [...get(l.c), ...i32(2), SHL]),
      ...assign(l.rowB, product(get(l.w), get(l.cb))),
      ...assign(l.imgB, product(get(l.h), get(l.rowB))),
      ...assign(l.runB, product(get(l.kw), get(l.cb))),
      ...assign(l.row, get(l[colsName])),
      ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
        ...assign(l.img, sum(get(l[image]), product(get(l.b), get(l.imgB)))),
        ...forLoop(l.oy, i32(0), get(l.oh), i32(1), [
          ...assign(l.y0, [...product(get(l.oy), get(l.sh)), ...get(l.top), SUB]),
          ...forLoop(l.ox, i32(0), get(l.ow), i32(1), [
            ...assign(l.x0, [...product(get(l.ox), get(l.sw)), ...get(l.left), SUB]),
            // k0 = x0 < 0 ? -x0 : 0; k1 = min(kw, w - x0)
            ...assign(l.k0, [...i32(0), ...get(l.x0), SUB, ...i32(0), ...get(l.x0), ...i32(0), LT_S, SELECT]),
            ...assign(l.k1, minimum(get(l.kw), [...get(l.w), ...get(l.x0), SUB])),
            ...forLoop(l.ky, i32(0), get(l.kh), i32(1), [
              ...assign(l.iy, sum(get(l.y0), get(l.ky))),
              ...assign(l.dst, sum(get(l.row), product(get(l.ky), get(l.runB)))),
              ...copyRow,
            ]),
            ...assign(l.row, sum(get(l.row), product(get(l.kh), get(l.runB)))),
          ]),
        ]),
      ]),
      END,
    ];
  });
}

/**
 * im2colSingle(x, cols, ...WINDOW) for one input channel (c = 1), whose window rows are too short for im2col's
 * runs: per output row and kernel tap, a strided walk along the image row (one float per output pixel, 0 outside
 * the image). The same cols as im2col.
 */
const im2colSingle = fn(
  ['x', 'cols', ...WINDOW],
  ['rowB', 'imgB', 'colB', 'base', 'b', 'img', 'oy', 'ky', 'kx', 'iy', 'inRow', 'ix', 'src', 'dst', 'ox', 'ok'],
  [],
  (l) => [
    ...assign(l.rowB, [...get(l.w), ...i32(2), SHL]),
    ...assign(l.imgB, product(get(l.h), get(l.rowB))),
    ...assign(l.colB, [...product(get(l.kh), get(l.kw)), ...i32(2), SHL]),
    ...assign(l.base, get(l.cols)),
    ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
      ...assign(l.img, sum(get(l.x), product(get(l.b), get(l.imgB)))),
      ...forLoop(l.oy, i32(0), get(l.oh), i32(1), [
        ...forLoop(l.ky, i32(0), get(l.kh), i32(1), [
          ...assign(l.iy, [...product(get(l.oy), get(l.sh)), ...get(l.top), SUB, ...get(l.ky), ADD]),
          ...assign(l.inRow, [...get(l.iy), ...get(l.h), LT_U]),
          ...forLoop(l.kx, i32(0), get(l.kw), i32(1), [
            ...assign(l.dst, sum(get(l.base), [...product(sum(product(get(l.ky), get(l.kw)), get(l.kx)), i32(4))])),
            ...assign(l.ix, [...get(l.kx), ...get(l.left), SUB]),
            ...forLoop(l.ox, i32(0), get(l.ow), i32(1), [
              ...assign(l.ok, [...get(l.inRow), ...get(l.ix), ...get(l.w), LT_U, AND]),
              // An address inside the image either way (x itself when outside), then 0 where outside.
              ...get(l.dst),
              ...sum(get(l.img), product(get(l.iy), get(l.rowB)), [...get(l.ix), ...i32(2), SHL]),
              ...get(l.x),
              ...get(l.ok),
              SELECT,
              ...F32LOAD,
              ...F32_ZERO,
              ...get(l.ok),
              SELECT,
              ...F32STORE,
              ...assign(l.dst, sum(get(l.dst), get(l.colB))),
              ...assign(l.ix, sum(get(l.ix), get(l.sw))),
            ]),
          ]),
        ]),
        ...assign(l.base, sum(get(l.base), product(get(l.ow), get(l.colB)))),
      ]),
    ]),
    END,
  ],
);

/**
 * copyRows(src, dst, batch, rows, rowB, srcRowB, dstRowB, srcImgB, dstImgB): for each of `batch` images, `rows`
 * runs of rowB bytes (a multiple of 4) copied from src to dst, the runs srcRowB and dstRowB bytes apart in their
 * image, the images srcImgB and dstImgB apart (the first convolution's input into its padded buffer).
 */
const copyRows = fn(
  ['src', 'dst', 'batch', 'rows', 'rowB', 'srcRowB', 'dstRowB', 'srcImgB', 'dstImgB'],
  ['b', 'y', 's', 'd', 'i', 'n'],
  [],
  (l) => [
    ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
      ...assign(l.s, sum(get(l.src), product(get(l.b), get(l.srcImgB)))),
      ...assign(l.d, sum(get(l.dst), product(get(l.b), get(l.dstImgB)))),
      ...forLoop(l.y, i32(0), get(l.rows), i32(1), [
        ...run(l, get(l.rowB), 'copy'),
        ...assign(l.s, sum(get(l.s), get(l.srcRowB))),
        ...assign(l.d, sum(get(l.d), get(l.dstRowB))),
      ]),
    ]),
    END,
  ],
);

const POOL = ['batch', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw'];

/** Over each output pixel of a tiling max pooling and each 4 channels of it: `body` with p0 at the window's corner. */
function tiles(l: Record<string, number>, body: number[]): number[] {
  return [
    ...tileStrides(l),
    ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
      ...assign(l.img, sum(get(l.x), product(get(l.b), get(l.imgB)))),
      ...imageTiles(l, body),
    ]),
  ];
}

/** A pooling's byte strides: cb (a pixel's channels), rowB (an image row), imgB (an image). */
function tileStrides(l: Record<string, number>): number[] {
  return [
    ...assign(l.cb, [...get(l.c), ...i32(2), SHL]),
    ...assign(l.rowB, product(get(l.w), get(l.cb))),
    ...assign(l.imgB, product(get(l.h), get(l.rowB))),
  ];
}

/** `tiles`' walk of one image (at img): each output pixel and 4 channels, `body` with p0 at the window's corner. */
function imageTiles(l: Record<string, number>, body: number[]): number[] {
  return forLoop(l.oy, i32(0), get(l.oh), i32(1), [
    ...forLoop(l.ox, i32(0), get(l.ow), i32(1), [
      ...forLoop(l.ch, i32(0), get(l.cb), i32(16), [
        ...assign(
          l.p0,
          sum(
            get(l.img),
            product(product(get(l.oy), get(l.kh)), get(l.rowB)),
            product(product(get(l.ox), get(l.kw)), get(l.cb)),
            get(l.ch),
          ),
        ),
        ...body,
        ...assign(l.out, sum(get(l.out), i32(16))),
      ]),
    ]),
  ]);
}

/** for each (ky, kx) of the window: p = p0 + ky·rowB + kx·cb, then body (unrolled for a 2x2 window). */
const overWindow = (l: Record<string, number>, body: number[], twoByTwo: boolean) =>
  twoByTwo
    ? [0, 1, 2, 3].flatMap((k) => [
        ...assign(l.p, sum(get(l.p0), product(i32(k >> 1), get(l.rowB)), product(i32(k & 1), get(l.cb)))),
        ...body,
      ])
    : forLoop(l.ky, i32(0), get(l.kh), i32(1), [
        ...forLoop(l.kx, i32(0), get(l.kw), i32(1), [
          ...assign(l.p, sum(get(l.p0), product(get(l.ky), get(l.rowB)), product(get(l.kx), get(l.cb)))),
          ...body,
        ]),
      ]);

const POOL_LOCALS = ['cb', 'rowB', 'imgB', 'b', 'img', 'oy', 'ox', 'ch', 'p0', 'p', 'ky', 'kx'];

/**
 * maxPool(x, out, ...POOL): out = the window's maximum, the first of equal ones (`v > best`, as f32x4.pmax);
 * maxPool2x2 the same for kh = kw = 2.
 */
const maxPoolForward = (twoByTwo: boolean) =>
  fn(['x', 'out', ...POOL], POOL_LOCALS, ['best'], (l) => [
    ...tiles(l, [
      ...assign(l.best, [...get(l.p0), ...V_LOAD]),
      ...overWindow(l, assign(l.best, [...get(l.best), ...get(l.p), ...V_LOAD, ...F_PMAX]), twoByTwo),
      ...get(l.out),
      ...get(l.best),
      ...V_STORE,
    ]),
    END,
  ]);

/**
 * maxPoolBackward(x, out, dy, dx, gate, sums, ...POOL): every dx of a window is written: dy where x is the first
 * value equal to the window's maximum `out` (and, with `gate`, x > 0: a relu's derivative), else 0. With `sums` (a
 * byte address of c doubles, 0: none) it also writes Σ dx per channel there, summed in double (each window adds
 * its one routed dy): the bias gradient of the convolution below, whose dL/dz dx is, without a pass over it.
 * maxPoolBackward2x2 the same for kh = kw = 2.
 */
const maxPoolBackward = (twoByTwo: boolean) =>
  fn(
    ['x', 'out', 'dy', 'dx', 'gate', 'sums', ...POOL],
    [...POOL_LOCALS, 'delta', 'at'],
    ['best', 'd', 'taken', 'v', 'm', 'routed'],
    (l) => [
      ...assign(l.delta, [...get(l.dx), ...get(l.x), SUB]),
      ...get(l.sums),
      ...IF,
      ...forLoop(l.at, i32(0), [...get(l.c), ...i32(3), SHL], i32(8), [
        ...sum(get(l.sums), get(l.at)),
        ...F64_CONST(0),
        ...F64_STORE,
      ]),
      END,
      ...tiles(l, [
        ...assign(l.best, [...get(l.out), ...V_LOAD]),
        ...assign(l.d, [...get(l.dy), ...V_LOAD]),
        ...assign(l.taken, ZERO),
        ...assign(l.routed, ZERO),
        ...overWindow(
          l,
          [
            ...assign(l.v, [...get(l.p), ...V_LOAD]),
            ...assign(l.m, [...get(l.v), ...get(l.best), ...F_EQ, ...get(l.taken), ...V_ANDNOT]),
            ...assign(l.taken, [...get(l.taken), ...get(l.m), ...V_OR]),
            ...reluGate(l, l.m, l.v),
            ...assign(l.routed, [...get(l.routed), ...get(l.m), ...V_OR]),
            ...sum(get(l.p), get(l.delta)),
            ...get(l.d),
            ...get(l.m),
            ...V_AND,
            ...V_STORE,
          ],
          twoByTwo,
        ),
        ...get(l.sums),
        ...IF,
        // sums[ch .. ch + 3] += dy & routed, two doubles at a time (at: the doubles of this window's channels).
        ...assign(l.at, sum(get(l.sums), [...get(l.ch), ...i32(1), SHL])),
        ...assign(l.routed, [...get(l.d), ...get(l.routed), ...V_AND]),
        ...get(l.at),
        ...get(l.at),
        ...V_LOAD,
        ...get(l.routed),
        ...D_PROMOTE,
        ...D_ADD,
        ...V_STORE,
        ...get(l.at),
        ...get(l.at),
        ...V_LOAD_OFFSET(16),
        ...get(l.routed),
        ...get(l.routed),
        ...HIGH_HALF,
        ...D_PROMOTE,
        ...D_ADD,
        ...V_STORE_OFFSET(16),
        END,
        ...assign(l.dy, sum(get(l.dy), i32(16))),
      ]),
      END,
    ],
  );

/** columnSums{16,4}(m, rows, pitch, out): out[j] = Σ_r m[r, j] for the first 16 (or 4) columns, in double. */
function columnSums(groups: number): Fn {
  const accs = Array.from({ length: 2 * groups }, (_, i) => `a${i}`);
  return fn(['m', 'rows', 'pitch', 'out'], ['r'], accs, (l) => {
    const code: number[] = [];
    for (const a of accs) code.push(...assign(l[a], ZERO));
    const step: number[] = [];
    for (let i = 0; i < 2 * groups; i++)
      step.push(
        ...assign(l[accs[i]], [...get(l[accs[i]]), ...get(l.m), ...LOAD64_ZERO(8 * i), ...D_PROMOTE, ...D_ADD]),
      );
    code.push(...forLoop(l.r, i32(0), get(l.rows), i32(1), [...step, ...assign(l.m, sum(get(l.m), get(l.pitch)))]));
    for (let i = 0; i < 4 * groups; i++)
      code.push(...get(l.out), ...get(l[accs[i >> 1]]), ...dLane(i & 1), F32_DEMOTE, 0x38, 0x02, ...uleb(4 * i));
    return [...code, END];
  });
}

/** reluBackward(dy, a, dz, bytes): dz = a > 0 ? dy : 0 over `bytes` (a multiple of 16). */
const reluBackward = fn(['dy', 'a', 'dz', 'bytes'], ['i'], [], (l) => [
  ...forLoop(l.i, i32(0), get(l.bytes), i32(16), [
    ...sum(get(l.dz), get(l.i)),
    ...sum(get(l.dy), get(l.i)),
    ...V_LOAD,
    ...sum(get(l.a), get(l.i)),
    ...V_LOAD,
    ...ZERO,
    ...F_GT,
    ...V_AND,
    ...V_STORE,
  ]),
  END,
]);

// ---- Winograd F(2x2, 3x3) and F(4x4, 3x3) transforms (`conv-winograd.ts` holds the algorithm and matrices) -----
const transpose = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));
const [F_SUB, F_MUL, F_MAX] = [simd(0xe5), simd(0xe6), simd(0xe9)];
const V128_IF = [0x04, V128];
const f32x4 = (v: number) => [...simd(0x0c), ...new Uint8Array(new Float32Array([v, v, v, v]).buffer)];

/**
 * Σ coefficient·term (at least one nonzero coefficient): code leaving a v128. ±1 terms are added or subtracted,
 * others multiplied by |coefficient| first (F(4x4)'s are exact in float32).
 */
function combination(coefficients: number[], terms: number[][]): number[] {
  const code: number[] = [];
  let first = true;
  coefficients.forEach((k, i) => {
    if (k === 0) return;
    const term = Math.abs(k) === 1 ? terms[i] : [...terms[i], ...f32x4(Math.abs(k)), ...F_MUL];
    if (first) code.push(...(k > 0 ? term : [...ZERO, ...term, ...F_SUB]));
    else code.push(...term, ...(k > 0 ? F_ADD : F_SUB));
    first = false;
  });
  return code;
}

/**
 * out[a][b] = Σ_ij P[a][i] Q[b][j] in[i][j]: rows first into `tmp` locals, then `emit` with each output's code (the
 * inputs are `input(i, j)` code).
 */
function transform2d(
  P: number[][],
  Q: number[][],
  input: (i: number, j: number) => number[],
  tmp: number[],
  emit: (a: number, b: number, value: number[]) => number[],
): number[] {
  const n = Q[0].length;
  const code: number[] = [];
  P.forEach((row, a) => {
    for (let j = 0; j < n; j++)
      code.push(
        ...combination(
          row,
          row.map((_, i) => input(i, j)),
        ),
        ...set(tmp[a * n + j]),
      );
  });
  P.forEach((_, a) =>
    Q.forEach((row, b) =>
      code.push(
        ...emit(
          a,
          b,
          combination(
            row,
            row.map((_, j) => get(tmp[a * n + j])),
          ),
        ),
      ),
    ),
  );
  return code;
}

const TILE_LOCALS = ['cb', 'rowB', 'imgB', 'b', 'img', 'ty', 'tx', 'y0', 'x0', 'ch', 'corner', 'p', 'tOff'];
const flags = (prefix: string, size: number) => Array.from({ length: size }, (_, i) => `${prefix}${i}`);
const vectors = flags;

/** A part's tile (`conv-winograd.ts`): its row and column axes, and the α of its variant's matrices ξ. */
interface Tile {
  rows: WinogradAxis;
  cols: WinogradAxis;
  alpha: number;
}
const tileOf = (v: WinogradVariant, kind: PartKind): Tile => ({
  rows: kind[0] === 'E' ? v.edge! : v.axis,
  cols: kind[1] === 'E' ? v.edge! : v.axis,
  alpha: v.alpha,
});
/** The matrix ξ of the tile's point pair (a, b). */
const xiOf = (t: Tile, a: number, b: number) => t.rows.points[a] * t.alpha + t.cols.points[b];

/**
 * Over the tiles (b, ty, tx) of an image of H x W pixels whose `rows` x `cols` windows start at (mr·ty - top,
 * mc·tx - left) (mr, mc = 2 or 4), and each 4 channels: `body` with `corner` at the window's first pixel and `p`
 * at the tile's row of the transform matrices (matrix ξ at p + ξ·stride); rows r{i} and columns c{j} say which
 * pixels are inside.
 */
function overTiles(
  l: Record<string, number>,
  names: { image: string; tiles: string },
  [mr, mc]: [number, number],
  [rows, cols]: [number, number],
  body: number[],
): number[] {
  const corner = (t: string, m: number, top: string) => [...get(l[t]), ...i32(Math.log2(m)), SHL, ...get(l[top]), SUB];
  const inside: number[] = [];
  for (let i = 0; i < rows; i++) inside.push(...assign(l[`r${i}`], [...get(l.y0), ...i32(i), ADD, ...get(l.h), LT_U]));
  for (let j = 0; j < cols; j++) inside.push(...assign(l[`c${j}`], [...get(l.x0), ...i32(j), ADD, ...get(l.w), LT_U]));
  return [
    ...assign(l.cb, [...get(l.c), ...i32(2), SHL]),
    ...assign(l.rowB, product(get(l.w), get(l.cb))),
    ...assign(l.imgB, product(get(l.h), get(l.rowB))),
    ...assign(l.tOff, i32(0)),
    ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
      ...assign(l.img, sum(get(l[names.image]), product(get(l.b), get(l.imgB)))),
      ...forLoop(l.ty, i32(0), get(l.th), i32(1), [
        ...assign(l.y0, corner('ty', mr, 'top')),
        ...forLoop(l.tx, i32(0), get(l.tw), i32(1), [
          ...assign(l.x0, corner('tx', mc, 'left')),
          ...inside,
          ...forLoop(l.ch, i32(0), get(l.cb), i32(16), [
            ...assign(
              l.corner,
              sum(get(l.img), product(get(l.y0), get(l.rowB)), product(get(l.x0), get(l.cb)), get(l.ch)),
            ),
            ...assign(l.p, sum(get(l[names.tiles]), get(l.tOff), get(l.ch))),
            ...body,
          ]),
          ...assign(l.tOff, sum(get(l.tOff), get(l.cb))),
        ]),
      ]),
    ]),
  ];
}

const pixel = (l: Record<string, number>, i: number, j: number) =>
  sum(get(l.corner), product(get(l.rowB), i32(i)), product(get(l.cb), i32(j)));
const inMatrix = (l: Record<string, number>, xi: number) => sum(get(l.p), product(get(l.stride), i32(xi)));
const isInside = (l: Record<string, number>, i: number, j: number) => [...get(l[`r${i}`]), ...get(l[`c${j}`]), AND];

/** d{cols·i + j} = the tile's pixel (i, j), 0 outside the image. */
const loadTile = (l: Record<string, number>, rows: number, cols: number) =>
  Array.from({ length: rows * cols }, (_, k) => {
    const [i, j] = [Math.floor(k / cols), k % cols];
    return [...isInside(l, i, j), ...V128_IF, ...pixel(l, i, j), ...V_LOAD, ELSE, ...ZERO, END, ...set(l[`d${k}`])];
  }).flat();

/**
 * The tile functions' last parameters: the image's size and channels, th x tw tiles per image whose windows start at
 * (m·ty - top, m·tx - left) (the output functions' at minus the part's first output pixel), the matrices' stride.
 */
const TILE_PARAMS = ['batch', 'h', 'w', 'c', 'th', 'tw', 'top', 'left', 'stride'];

/** winogradInput(x, v, batch, h, w, c, th, tw, top, left, stride): V[ξ][t, c] = (Bᵀ d B)[ξ], d the tile's α x α. */
const winogradInput = (t: Tile) => {
  const [ar, ac] = [t.rows.alpha, t.cols.alpha];
  return fn(
    ['x', 'v', ...TILE_PARAMS],
    [...TILE_LOCALS, ...flags('r', ar), ...flags('c', ac)],
    [...vectors('d', ar * ac), ...vectors('t', ar * ac)],
    (l) => [
      ...overTiles(
        l,
        { image: 'x', tiles: 'v' },
        [t.rows.m, t.cols.m],
        [ar, ac],
        [
          ...loadTile(l, ar, ac),
          ...transform2d(
            t.rows.BT,
            t.cols.BT,
            (i, j) => get(l[`d${i * ac + j}`]),
            vectors('t', ar * ac).map((n) => l[n]),
            (a, b, value) => [...inMatrix(l, xiOf(t, a, b)), ...value, ...V_STORE],
          ),
        ],
      ),
      END,
    ],
  );
};

/**
 * winogradInputBackward(dv, dx, batch, h, w, c, th, tw, top, left, stride): dx += B dV Bᵀ over each tile's pixels
 * inside the image (the adjoint of winogradInput; dx zeroed by the caller).
 */
const winogradInputBackward = (t: Tile) => {
  const [ar, ac] = [t.rows.alpha, t.cols.alpha];
  return fn(
    ['dv', 'dx', ...TILE_PARAMS],
    [...TILE_LOCALS, ...flags('r', ar), ...flags('c', ac)],
    [...vectors('t', ar * ac)],
    (l) => [
      ...overTiles(
        l,
        { image: 'dx', tiles: 'dv' },
        [t.rows.m, t.cols.m],
        [ar, ac],
        [
          ...transform2d(
            transpose(t.rows.BT),
            transpose(t.cols.BT),
            (i, j) => [...inMatrix(l, xiOf(t, i, j)), ...V_LOAD],
            vectors('t', ar * ac).map((n) => l[n]),
            (a, b, value) => [
              ...isInside(l, a, b),
              ...IF,
              ...pixel(l, a, b),
              ...pixel(l, a, b),
              ...V_LOAD,
              ...value,
              ...F_ADD,
              ...V_STORE,
              END,
            ],
          ),
        ],
      ),
      END,
    ],
  );
};

/** Output pixel (a, b) of a tile = value (+ the bias of channels ch.., then max(·, 0) with relu), if inside. */
const outputPixel = (l: Record<string, number>, a: number, b: number, value: number[]) => [
  ...assign(l.o, value),
  ...get(l.bias),
  ...IF,
  ...assign(l.o, [...get(l.o), ...get(l.bias), ...get(l.ch), ADD, ...V_LOAD, ...F_ADD]),
  END,
  ...get(l.relu),
  ...IF,
  ...assign(l.o, [...get(l.o), ...ZERO, ...F_MAX]),
  END,
  ...isInside(l, a, b),
  ...IF,
  ...pixel(l, a, b),
  ...get(l.o),
  ...V_STORE,
  END,
];

/**
 * winogradOutput(m, y, bias, relu, batch, oh, ow, c, th, tw, top, left, stride): y's mr x mc pixels of each tile
 * inside the image = Aᵀ M A (+ bias, then max(·, 0) with relu, as the product's epilogue); top, left minus the
 * part's first output pixel.
 */
const winogradOutput = (t: Tile) => {
  const [mr, mc, ac] = [t.rows.m, t.cols.m, t.cols.alpha];
  return fn(
    ['m', 'y', 'bias', 'relu', ...TILE_PARAMS],
    [...TILE_LOCALS, ...flags('r', mr), ...flags('c', mc)],
    [...vectors('t', mr * ac), 'o'],
    (l) => [
      ...overTiles(
        l,
        { image: 'y', tiles: 'm' },
        [mr, mc],
        [mr, mc],
        [
          ...transform2d(
            t.rows.AT,
            t.cols.AT,
            (i, j) => [...inMatrix(l, xiOf(t, i, j)), ...V_LOAD],
            vectors('t', mr * ac).map((n) => l[n]),
            (a, b, value) => outputPixel(l, a, b, value),
          ),
        ],
      ),
      END,
    ],
  );
};

/** winogradOutputBackward(dy, dm, batch, oh, ow, c, th, tw, top, left, stride): dM = A dY Aᵀ (dY 0 outside the image). */
const winogradOutputBackward = (t: Tile) => {
  const [mr, mc, ar] = [t.rows.m, t.cols.m, t.rows.alpha];
  return fn(
    ['dy', 'dm', ...TILE_PARAMS],
    [...TILE_LOCALS, ...flags('r', mr), ...flags('c', mc)],
    [...vectors('d', mr * mc), ...vectors('t', ar * mc)],
    (l) => [
      ...overTiles(
        l,
        { image: 'dy', tiles: 'dm' },
        [mr, mc],
        [mr, mc],
        [
          ...loadTile(l, mr, mc),
          ...transform2d(
            transpose(t.rows.AT),
            transpose(t.cols.AT),
            (i, j) => get(l[`d${i * mc + j}`]),
            vectors('t', ar * mc).map((n) => l[n]),
            (a, b, value) => [...inMatrix(l, xiOf(t, a, b)), ...value, ...V_STORE],
          ),
        ],
      ),
      END,
    ],
  );
};

/** The tile transforms of a variant's parts, named `${prefix}Input` etc., an edge part's with its kind after. */
function winogradTransforms(v: WinogradVariant, prefix: string): Record<string, Fn> {
  const functions: Record<string, Fn> = {};
  for (const kind of partKinds(v)) {
    const [t, suffix] = [tileOf(v, kind), kind === 'FF' ? '' : kind];
    functions[`${prefix}Input${suffix}`] = winogradInput(t);
    functions[`${prefix}InputBackward${suffix}`] = winogradInputBackward(t);
    functions[`${prefix}Output${suffix}`] = winogradOutput(t);
    functions[`${prefix}OutputBackward${suffix}`] = winogradOutputBackward(t);
  }
  return functions;
}

/**
 * The fused Winograd forward (`conv-winograd-fused.ts` compiles it after the product's micro-kernel, function 0):
 *   winogradPack(u, packed, cin, cout): U [α²][cin, cout] into the micro-kernel's panels [α²][cout / NR][cin][NR]
 *     (cout a multiple of NR);
 *   winogradForwardFused(v, vStride, packed, y, bias, relu, tiles, cin, cout, h, w, th, tw, top, left, scratch):
 *     for each MR tiles of a part (its V rows at v; top, left as winogradOutput's) and NR output channels, the
 *     products M[ξ] = V[ξ] @ U[ξ] of the part's ξ into a scratch tile each (α²·MR·NR floats at `scratch`), then
 *     y = Aᵀ M A (+ bias, relu) from there: M is never written to memory beyond that scratch. The same sums in the
 *     same order as the products and winogradOutput, so the same floats. An edge part's is named with its kind
 *     after (winogradForwardFusedEF, ...).
 */
export function winogradFusedFunctions(variant: WinogradVariant, MR: number, NR: number): Record<string, Fn> {
  const { alpha } = variant;
  const xis = alpha ** 2;
  const winogradPack = fn(['u', 'packed', 'cin', 'cout'], ['xi', 'panel', 'k', 'src', 'dst', 'panels'], [], (l) => [
    ...assign(l.panels, [...get(l.cout), ...i32(Math.log2(NR)), 0x76]),
    ...assign(l.dst, get(l.packed)),
    ...forLoop(l.xi, i32(0), i32(xis), i32(1), [
      ...forLoop(l.panel, i32(0), get(l.panels), i32(1), [
        ...assign(l.src, sum(get(l.u), [...product(product(get(l.xi), get(l.cin)), get(l.cout)), ...i32(2), SHL])),
        ...assign(l.src, sum(get(l.src), product(get(l.panel), i32(NR * 4)))),
        ...forLoop(l.k, i32(0), get(l.cin), i32(1), [
          ...Array.from({ length: NR / 4 }, (_, q) => [
            ...sum(get(l.dst), i32(16 * q)),
            ...sum(get(l.src), i32(16 * q)),
            ...V_LOAD,
            ...V_STORE,
          ]).flat(),
          ...assign(l.dst, sum(get(l.dst), i32(NR * 4))),
          ...assign(l.src, sum(get(l.src), [...get(l.cout), ...i32(2), SHL])),
        ]),
      ]),
    ]),
    END,
  ]);
  const tileB = MR * NR * 4;
  const forward = (t: Tile) => {
    const [mr, mc, ar, ac] = [t.rows.m, t.cols.m, t.rows.alpha, t.cols.alpha];
    return fn(
      [
        ...['v', 'vStride', 'packed', 'y', 'bias', 'relu', 'tiles', 'cin', 'cout', 'h', 'w', 'th', 'tw', 'top'],
        ...['left', 'scratch'],
      ],
      [
        ...['first', 'rows', 'panel', 'panels', 'xi', 'r', 'vec', 'tile', 'b', 'rem', 'y0', 'x0', 'corner', 'rowB'],
        ...['cb', 'ch', 'at', 'perImage', 'panelB', ...flags('r', mr), ...flags('c', mc)],
      ],
      [...vectors('t', mr * ac), 'o'],
      (l) => {
        const loadM = (i: number, j: number) => [...get(l.at), ...simd(0x00), 0x00, ...uleb(xiOf(t, i, j) * tileB)];
        const inside: number[] = [];
        for (let i = 0; i < mr; i++)
          inside.push(...assign(l[`r${i}`], [...get(l.y0), ...i32(i), ADD, ...get(l.h), LT_U]));
        for (let j = 0; j < mc; j++)
          inside.push(...assign(l[`c${j}`], [...get(l.x0), ...i32(j), ADD, ...get(l.w), LT_U]));
        const call = [
          ...sum(get(l.v), product(get(l.xi), get(l.vStride)), [...product(get(l.first), get(l.cin)), ...i32(2), SHL]),
          ...[...get(l.cin), ...i32(2), SHL],
          ...i32(4),
          ...sum(get(l.packed), product(sum(product(get(l.xi), get(l.panels)), get(l.panel)), get(l.panelB))),
          ...get(l.cin),
          ...sum(get(l.scratch), product(get(l.xi), i32(tileB))),
          ...i32(NR * 4),
          ...i32(0),
          ...i32(0),
          ...get(l.rows),
          ...[...i32(0), ...i32(0), ...i32(0), ...i32(0)],
          0x10,
          0x00,
        ];
        // The products of the part's ξ: all α² as one loop, an edge part's one by one.
        const products =
          ar * ac === xis
            ? forLoop(l.xi, i32(0), i32(xis), i32(1), call)
            : Array.from({ length: ar * ac }, (_, k) => [
                ...assign(l.xi, i32(xiOf(t, Math.floor(k / ac), k % ac))),
                ...call,
              ]).flat();
        // The tile first + r: its image, its first output pixel (y0, x0), which of its pixels are inside.
        const where = [
          ...assign(l.tile, sum(get(l.first), get(l.r))),
          ...assign(l.b, [...get(l.tile), ...get(l.perImage), 0x6d]),
          ...assign(l.rem, [...get(l.tile), ...get(l.perImage), 0x6f]),
          ...assign(l.y0, [...get(l.rem), ...get(l.tw), 0x6d, ...i32(Math.log2(mr)), SHL, ...get(l.top), SUB]),
          ...assign(l.x0, [...get(l.rem), ...get(l.tw), 0x6f, ...i32(Math.log2(mc)), SHL, ...get(l.left), SUB]),
          ...inside,
        ];
        const output = forLoop(l.vec, i32(0), i32(NR * 4), i32(16), [
          ...assign(l.ch, sum(product(get(l.panel), i32(NR * 4)), get(l.vec))),
          ...assign(
            l.corner,
            sum(
              get(l.y),
              product(sum(product(sum(product(get(l.b), get(l.h)), get(l.y0)), get(l.w)), get(l.x0)), get(l.cb)),
              get(l.ch),
            ),
          ),
          ...assign(l.at, sum(get(l.scratch), product(get(l.r), i32(NR * 4)), get(l.vec))),
          ...transform2d(
            t.rows.AT,
            t.cols.AT,
            loadM,
            vectors('t', mr * ac).map((n) => l[n]),
            (a, b, value) => outputPixel(l, a, b, value),
          ),
        ]);
        return [
          ...assign(l.cb, [...get(l.cout), ...i32(2), SHL]),
          ...assign(l.rowB, product(get(l.w), get(l.cb))),
          ...assign(l.panels, [...get(l.cout), ...i32(Math.log2(NR)), 0x76]),
          ...assign(l.panelB, [...get(l.cin), ...i32(Math.log2(NR * 4)), SHL]),
          ...assign(l.perImage, product(get(l.th), get(l.tw))),
          ...forLoop(l.first, i32(0), get(l.tiles), i32(MR), [
            ...assign(l.rows, [...get(l.tiles), ...get(l.first), SUB]),
            ...assign(l.rows, [...i32(MR), ...get(l.rows), ...get(l.rows), ...i32(MR), GT_S, SELECT]),
            ...forLoop(l.panel, i32(0), get(l.panels), i32(1), [
              ...products,
              ...forLoop(l.r, i32(0), get(l.rows), i32(1), [...where, ...output]),
            ]),
          ]),
          END,
        ];
      },
    );
  };
  return Object.fromEntries([
    ['winogradPack', winogradPack],
    ...partKinds(variant).map((kind) => [
      `winogradForwardFused${kind === 'FF' ? '' : kind}`,
      forward(tileOf(variant, kind)),
    ]),
  ]);
}

// ---- BatchNormalization in float32 (as tfjs computes it): [rows, c] row by row, 4 channels a vector ---------
const [D_MUL, D_SPLAT] = [simd(0xf2), simd(0x14)];
const F32X4_DEMOTE = simd(0x5e);
const STORE64_LANE0 = (offset: number) => [...simd(0x5b), 0x00, ...uleb(offset), 0];
const F64_FROM_I32 = 0xb7;

/**
 * The per-channel block of the SIMD BatchNormalization (16-byte aligned; `pitch` = 4·c bytes): double sums S1, S2
 * (2·pitch bytes each), then float arrays of c values each, `pitch` bytes apart: the partial sums s and q, then
 * mean, invStd and three coefficients. BN_AT gives each array's place in pitches.
 */
const BN_AT = { s: 4, q: 5, mean: 6, invStd: 7, p2: 8, p3: 9, p4: 10 };
/** Bytes of the per-channel block for c channels. */
export const batchNormBlockBytes = (c: number) => 11 * 4 * c;
/** Rows summed in float32 before the partial sums are added into the double ones. */
const BN_ROWS = 64;

/** Per-channel locals p{name} = block + BN_AT[name]·pitch, after pitch = 4·c. */
const bnArrays = (l: Record<string, number>, names: (keyof typeof BN_AT)[]) => [
  ...assign(l.pitch, [...get(l.c), ...i32(2), SHL]),
  ...names.flatMap((k) => assign(l[k], sum(get(l.block), product(get(l.pitch), i32(BN_AT[k]))))),
];
/** The vector of per-channel array `k` at the row's channels j. */
const perChannel = (l: Record<string, number>, k: string) => [...sum(get(l[k]), get(l.j)), ...V_LOAD];
/** The vector of the [rows, c] matrix at `base`, at byte `at` of it. */
const element = (l: Record<string, number>, base: string) => [...sum(get(l[base]), get(l.at)), ...V_LOAD];
/** for at in [from, to) step 16 with j = at mod pitch (from a row's start): body. */
const overRows = (l: Record<string, number>, from: number[], to: number[], body: number[]) => [
  ...assign(l.j, i32(0)),
  ...forLoop(l.at, from, to, i32(16), [
    ...body,
    ...assign(l.j, sum(get(l.j), i32(16))),
    ...get(l.j),
    ...get(l.pitch),
    GE_S,
    ...IF,
    ...assign(l.j, i32(0)),
    END,
  ]),
];
const BN_LOCALS = ['pitch', 'at', 'j'];
/** Zeros from byte `from` to byte `to` (a multiple of 16 apart), 16 bytes a step. */
const zeroBytes = (l: Record<string, number>, from: number[], to: number[]) =>
  forLoop(l.at, from, to, i32(16), [...get(l.at), ...ZERO, ...V_STORE]);
/** Per-channel float32 partial sums `k` at the row's channels j += value. */
const addPartial = (l: Record<string, number>, k: string, value: number[]) => [
  ...sum(get(l[k]), get(l.j)),
  ...perChannel(l, k),
  ...value,
  ...F_ADD,
  ...V_STORE,
];
/** The doubles at `doubles` += the float32 partial sums `k` (c of each), two channels a step. */
const flushPartial = (l: Record<string, number>, doubles: number[], k: string) =>
  forLoop(l.j, i32(0), get(l.pitch), i32(8), [
    ...sum(doubles, get(l.j), get(l.j)),
    ...sum(doubles, get(l.j), get(l.j)),
    ...V_LOAD,
    ...sum(get(l[k]), get(l.j)),
    ...LOAD64_ZERO(0),
    ...D_PROMOTE,
    ...D_ADD,
    ...V_STORE,
  ]);
/** Over the [rows, c] matrix BN_ROWS rows at a time (locals r0, end): `body` a vector (overRows), then `after`. */
const inRowBlocks = (l: Record<string, number>, body: number[], after: number[]) =>
  forLoop(l.r0, i32(0), get(l.rows), i32(BN_ROWS), [
    ...assign(l.end, [...get(l.r0), ...i32(BN_ROWS), ADD]),
    ...assign(l.end, [...get(l.end), ...get(l.rows), ...get(l.end), ...get(l.rows), LT_S, SELECT]),
    ...overRows(l, product(get(l.r0), get(l.pitch)), product(get(l.end), get(l.pitch)), body),
    ...after,
  ]);

/**
 * bnMoments(_, x, rows, c, block) and bnBackwardSums(dy, x, rows, c, block), with t = x - mean (the block's float
 * mean; for the moments, the first row as a shift): S1 = Σ t, S2 = Σ t² (moments) or S1 = Σ dy, S2 = Σ dy·t, per
 * channel, summed in float32 over BN_ROWS rows at a time and those sums in double. A block of rows 4 channels at a
 * time down its rows, the two sums in registers (the block's rows stay in L1): the same floats as the sums kept
 * per channel in memory across the row (bit for bit, a throwaway script on four shapes), 49-79 µs against 84-204
 * for BatchNormalization's backward sums over 6272 rows of 32 channels (500 calls, alternated, load 4-5).
 */
const bnSums = (moments: boolean) =>
  fn(['u', 'x', 'rows', 'c', 'block'], [...BN_LOCALS, 'r0', 'end', 'mean', 'endB'], ['t', 'v', 's', 'q', 'm'], (l) => {
    const term = moments ? get(l.t) : get(l.v);
    return [
      ...singleMomentsStart(l),
      ...forLoop(l.r0, i32(0), get(l.rows), i32(BN_ROWS), [
        ...assign(l.end, [...get(l.r0), ...i32(BN_ROWS), ADD]),
        ...assign(l.end, [...get(l.end), ...get(l.rows), ...get(l.end), ...get(l.rows), LT_S, SELECT]),
        ...assign(l.endB, product(get(l.end), get(l.pitch))),
        ...forLoop(l.j, i32(0), get(l.pitch), i32(16), [
          ...assign(l.s, ZERO),
          ...assign(l.q, ZERO),
          ...assign(l.m, perChannel(l, 'mean')),
          ...forLoop(l.at, sum(product(get(l.r0), get(l.pitch)), get(l.j)), get(l.endB), get(l.pitch), [
            ...assign(l.t, [...element(l, 'x'), ...get(l.m), ...F_SUB]),
            ...(moments ? [] : assign(l.v, element(l, 'u'))),
            ...assign(l.s, [...get(l.s), ...term, ...F_ADD]),
            ...assign(l.q, [...get(l.q), ...term, ...get(l.t), ...F_MUL, ...F_ADD]),
          ]),
          ...addDoubles(sum(get(l.block), get(l.j), get(l.j)), get(l.s)),
          ...addDoubles(sum(get(l.block), get(l.pitch), get(l.pitch), get(l.j), get(l.j)), get(l.q)),
        ]),
      ]),
      END,
    ];
  });

/** bnNormalize(x, out, rows, c, block): out = p2·((x - mean)·invStd) + p3 (p2, p3: gamma, beta), in float32. */
const bnNormalize = fn(['x', 'out', 'rows', 'c', 'block'], [...BN_LOCALS, 'mean', 'invStd', 'p2', 'p3'], ['v'], (l) => [
  ...bnArrays(l, ['mean', 'invStd', 'p2', 'p3']),
  ...overRows(l, i32(0), product(get(l.rows), get(l.pitch)), [
    ...assign(l.v, [...element(l, 'x'), ...perChannel(l, 'mean'), ...F_SUB, ...perChannel(l, 'invStd'), ...F_MUL]),
    ...sum(get(l.out), get(l.at)),
    ...perChannel(l, 'p2'),
    ...get(l.v),
    ...F_MUL,
    ...perChannel(l, 'p3'),
    ...F_ADD,
    ...V_STORE,
  ]),
  END,
]);

/**
 * bnBackwardDx(dy, x, dx, rows, c, block, gate, sums): dx = (p2·dy - p3) - ((x - mean)·invStd)·p4, in float32 (p2 =
 * gamma·invStd, p3 = p2·Σdy / rows, p4 = p2·Σdy·xhat / rows); with `gate`, 0 where x ≤ 0 (the derivative of a relu
 * whose output x is). With `sums` (a byte address of c doubles, 0: none), also Σ dx per channel there, summed as
 * bnSums sums (float32 over BN_ROWS rows, then double): the bias gradient of the layer below, whose dL/dz dx is.
 */
const bnBackwardDx = fn(
  ['dy', 'x', 'dx', 'rows', 'c', 'block', 'gate', 'sums'],
  [...BN_LOCALS, 'mean', 'invStd', 'p2', 'p3', 'p4', 's', 'r0', 'end'],
  ['v', 'd'],
  (l) => [
    ...bnArrays(l, ['mean', 'invStd', 'p2', 'p3', 'p4', 's']),
    ...get(l.sums),
    ...IF,
    ...zeroBytes(l, get(l.sums), sum(get(l.sums), get(l.pitch), get(l.pitch))),
    ...zeroBytes(l, get(l.s), sum(get(l.s), get(l.pitch))),
    END,
    ...inRowBlocks(
      l,
      [
        ...assign(l.v, element(l, 'x')),
        ...assign(l.d, [
          ...perChannel(l, 'p2'),
          ...element(l, 'dy'),
          ...F_MUL,
          ...perChannel(l, 'p3'),
          ...F_SUB,
          ...get(l.v),
          ...perChannel(l, 'mean'),
          ...F_SUB,
          ...perChannel(l, 'invStd'),
          ...F_MUL,
          ...perChannel(l, 'p4'),
          ...F_MUL,
          ...F_SUB,
        ]),
        ...reluGate(l, l.d, l.v),
        ...sum(get(l.dx), get(l.at)),
        ...get(l.d),
        ...V_STORE,
        ...[...get(l.sums), ...IF, ...addPartial(l, 's', get(l.d)), END],
      ],
      [
        ...get(l.sums),
        ...IF,
        ...flushPartial(l, get(l.sums), 's'),
        ...zeroBytes(l, get(l.s), sum(get(l.s), get(l.pitch))),
        END,
      ],
    ),
    END,
  ],
);

/**
 * bnBackwardDxPooled(dp, z, dx, batch, h, w, c, oh, ow, kh, kw, block, gate, sums): bnBackwardDx under an average
 * pooling whose windows tile the image (kh x kw, stride = size; pixels past oh·kh rows or ow·kw columns in no
 * window), from the pooling's gradient dp [batch][oh][ow][c] instead of the pixels' dy (dp·inv in its window, 0
 * outside any): dx = (p2·dp − z·p4) − p3, with the block's p2 = gamma·invStd·inv, p4 = c1, p3 = e (see
 * batchNormBackwardPooled); with `gate`, 0 where z ≤ 0. A pixel in no window reads the block's q array, zeroed
 * here. With `sums` (a byte address of c doubles, 0: none), Σ dx per channel there, float32 over an image, then
 * double. z and dx are [batch][h][w][c].
 */
const bnBackwardDxPooled = () =>
  fn(
    ['dp', 'z', 'dx', 'batch', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'block', 'gate', 'sums'],
    ['pitch', 'at', 'j', 'p2', 'p3', 'p4', 'q', 'b', 'y', 'x', 'row', 'src', 'o', 'py', 'ky', 'px', 'kx', 'imgB'],
    ['v', 'd', 'c2', 'c3', 'c4', 'acc'],
    (l) => {
      const at = (base: number) => [...sum(get(base), get(l.j)), ...V_LOAD];
      // One pixel at o (channels j on) from dp's vector at `src` (code): dx, its gate, acc += dx; o to the next.
      const pixel = (src: number[]) => [
        ...assign(l.v, [...sum(get(l.z), get(l.o)), ...V_LOAD]),
        ...assign(l.d, [
          ...get(l.c2),
          ...src,
          ...V_LOAD,
          ...F_MUL,
          ...get(l.v),
          ...get(l.c4),
          ...F_MUL,
          ...F_SUB,
          ...get(l.c3),
          ...F_SUB,
        ]),
        ...reluGate(l, l.d, l.v),
        ...sum(get(l.dx), get(l.o)),
        ...get(l.d),
        ...V_STORE,
        ...assign(l.acc, [...get(l.acc), ...get(l.d), ...F_ADD]),
        ...assign(l.o, sum(get(l.o), get(l.pitch))),
      ];
      const zero = sum(get(l.q), get(l.j));
      return [
        ...bnArrays(l, ['p2', 'p3', 'p4', 'q']),
        ...zeroBytes(l, get(l.q), sum(get(l.q), get(l.pitch))),
        ...get(l.sums),
        ...IF,
        ...zeroBytes(l, get(l.sums), sum(get(l.sums), get(l.pitch), get(l.pitch))),
        END,
        ...assign(l.imgB, product(product(get(l.h), get(l.w)), get(l.pitch))),
        ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
          ...forLoop(l.j, i32(0), get(l.pitch), i32(16), [
            ...assign(l.c2, at(l.p2)),
            ...assign(l.c3, at(l.p3)),
            ...assign(l.c4, at(l.p4)),
            ...assign(l.acc, ZERO),
            ...assign(l.o, sum(product(get(l.b), get(l.imgB)), get(l.j))),
            // The windows' rows: each window's pixels from its dp, then the columns right of the windows from 0.
            ...forLoop(l.py, i32(0), get(l.oh), i32(1), [
              ...forLoop(l.ky, i32(0), get(l.kh), i32(1), [
                ...assign(
                  l.row,
                  sum(
                    get(l.dp),
                    product(product(sum(product(get(l.b), get(l.oh)), get(l.py)), get(l.ow)), get(l.pitch)),
                    get(l.j),
                  ),
                ),
                ...forLoop(l.px, i32(0), get(l.ow), i32(1), [
                  ...assign(l.src, sum(get(l.row), product(get(l.px), get(l.pitch)))),
                  ...forLoop(l.kx, i32(0), get(l.kw), i32(1), pixel(get(l.src))),
                ]),
                ...forLoop(l.x, product(get(l.ow), get(l.kw)), get(l.w), i32(1), pixel(zero)),
              ]),
            ]),
            // The rows under the windows' rows.
            ...forLoop(l.y, product(get(l.oh), get(l.kh)), get(l.h), i32(1), [
              ...forLoop(l.x, i32(0), get(l.w), i32(1), pixel(zero)),
            ]),
            ...get(l.sums),
            ...IF,
            ...addDoubles(sum(get(l.sums), get(l.j), get(l.j)), get(l.acc)),
            END,
          ]),
        ]),
        END,
      ];
    },
  );

/**
 * padAffine(x, out, table, batch, h, w, c, ph, pw, top, left): im2colAffine with a 1x1 window at stride 1 (the same
 * out, bit for bit): each image of x [batch][h][w][c] normalised, (x − mean)·scale + beta per channel in float32
 * (`table` holds mean, scale and beta, c floats each), at (top, left) in out [batch][ph][pw][c], zeros around it
 * (top, left ≥ 0; the image inside). An image row 4 channels at a time down its pixels, the three per-channel
 * vectors in registers (not loaded per vector as bnNormalize's rows do): the same floats, 49 µs against 65-127 for
 * the strided CNN's 32x14x14x32 (500 calls, alternated, load 4-5).
 */
const padAffine = fn(
  ['x', 'out', 'table', 'batch', 'h', 'w', 'c', 'ph', 'pw', 'top', 'left'],
  [...BN_LOCALS, 'b', 'y', 'rowB', 'dst', 'src', 'mean', 'scale', 'beta', 'end'],
  ['m', 'sc', 'be'],
  (l) => {
    const rightB = product([...get(l.pw), ...get(l.left), SUB, ...get(l.w), SUB], get(l.pitch));
    return [
      ...assign(l.pitch, [...get(l.c), ...i32(2), SHL]),
      ...assign(l.mean, get(l.table)),
      ...assign(l.scale, sum(get(l.mean), get(l.pitch))),
      ...assign(l.beta, sum(get(l.scale), get(l.pitch))),
      ...assign(l.rowB, product(get(l.pw), get(l.pitch))),
      ...assign(l.dst, get(l.out)),
      ...assign(l.src, get(l.x)),
      ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
        ...forLoop(l.y, i32(0), get(l.ph), i32(1), [
          ...get(l.y),
          ...get(l.top),
          GE_S,
          ...get(l.y),
          ...sum(get(l.top), get(l.h)),
          LT_S,
          AND,
          ...IF,
          ...zeroBytes(l, get(l.dst), sum(get(l.dst), product(get(l.left), get(l.pitch)))),
          ...assign(l.dst, sum(get(l.dst), product(get(l.left), get(l.pitch)))),
          // out at dst + at − src: the run's offsets are x's.
          ...assign(l.end, sum(get(l.src), product(get(l.w), get(l.pitch)))),
          ...forLoop(l.j, i32(0), get(l.pitch), i32(16), [
            ...assign(l.m, perChannel(l, 'mean')),
            ...assign(l.sc, perChannel(l, 'scale')),
            ...assign(l.be, perChannel(l, 'beta')),
            ...forLoop(l.at, sum(get(l.src), get(l.j)), get(l.end), get(l.pitch), [
              ...sum(get(l.dst), get(l.at)),
              ...get(l.src),
              SUB,
              ...get(l.at),
              ...V_LOAD,
              ...get(l.m),
              ...F_SUB,
              ...get(l.sc),
              ...F_MUL,
              ...get(l.be),
              ...F_ADD,
              ...V_STORE,
            ]),
          ]),
          ...assign(l.dst, sum(get(l.dst), product(get(l.w), get(l.pitch)))),
          ...assign(l.src, sum(get(l.src), product(get(l.w), get(l.pitch)))),
          ...zeroBytes(l, get(l.dst), sum(get(l.dst), rightB)),
          ...assign(l.dst, sum(get(l.dst), rightB)),
          ELSE,
          ...zeroBytes(l, get(l.dst), sum(get(l.dst), get(l.rowB))),
          ...assign(l.dst, sum(get(l.dst), get(l.rowB))),
          END,
        ]),
      ]),
      END,
    ];
  },
);

// ---- Winograd kernel transforms: blocks of [cin, cout] combined with the coefficients of conv-winograd.ts -----
const f64x2 = (v: number) => [...simd(0x0c), ...new Uint8Array(new Float64Array([v, v]).buffer)];

/**
 * For each output block o: Σ k · block `from` over `terms` [o, from, k] (blocks `pairsB` bytes apart, from `src`
 * into `dst`), two pairs a step, summed in double from 0 in the terms' order and rounded once, as the loop of
 * conv-winograd.ts (`combineBlocks`).
 */
const blockCombination = (terms: [number, number, number][], outputs: number) =>
  fn(['src', 'dst', 'pairsB'], ['i'], ['acc'], (l) => [
    ...forLoop(
      l.i,
      i32(0),
      get(l.pairsB),
      i32(8),
      Array.from({ length: outputs }, (_, o) => [
        ...assign(l.acc, ZERO),
        ...terms
          .filter(([to]) => to === o)
          .flatMap(([, from, k]) =>
            assign(l.acc, [
              ...get(l.acc),
              ...f64x2(k),
              ...sum(get(l.src), get(l.i), product(get(l.pairsB), i32(from))),
              ...LOAD64_ZERO(0),
              ...D_PROMOTE,
              ...D_MUL,
              ...D_ADD,
            ]),
          ),
        ...sum(get(l.dst), get(l.i), product(get(l.pairsB), i32(o))),
        ...get(l.acc),
        ...F32X4_DEMOTE,
        ...STORE64_LANE0(0),
      ]).flat(),
    ),
    END,
  ]);

// ---- average pooling over windows that tile the image, in double as the loops --------------------------------
const F64_CONST = (v: number) => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
const F64_DIV = 0xa3;
/** i8x16.shuffle taking the low 8 bytes of each operand: two demoted f64x2 into one f32x4. */
const LOW_HALVES = [...simd(0x0d), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
/** inv = 1 / (kh·kw) in both lanes of an f64x2, as the loops' double. */
const inverseArea = (l: Record<string, number>) =>
  assign(l.inv, [...F64_CONST(1), ...product(get(l.kh), get(l.kw)), F64_FROM_I32, F64_DIV, ...D_SPLAT]);
/** The f32x4 of two f64x2 (`lo`, `hi`: code) each times inv, rounded to float. */
const timesInverse = (l: Record<string, number>, lo: number[], hi: number[]) => [
  ...[lo, hi].flatMap((half) => [...half, ...get(l.inv), ...D_MUL, ...F32X4_DEMOTE]),
  ...LOW_HALVES,
];
/** Two floats at `offset` bytes from the address `at` (code), promoted to doubles. */
const promoted = (at: number[], offset: number) => [...at, ...LOAD64_ZERO(offset), ...D_PROMOTE];

/** avgPool(x, out, ...POOL): out = (Σ window) · inv in double (the loop's order), 4 channels a step. */
const avgPoolForward = (twoByTwo: boolean) =>
  fn(['x', 'out', ...POOL], POOL_LOCALS, ['inv', 'lo', 'hi'], (l) => [
    ...inverseArea(l),
    ...tiles(l, [
      ...assign(l.lo, ZERO),
      ...assign(l.hi, ZERO),
      ...overWindow(
        l,
        [
          ...assign(l.lo, [...get(l.lo), ...promoted(get(l.p), 0), ...D_ADD]),
          ...assign(l.hi, [...get(l.hi), ...promoted(get(l.p), 8), ...D_ADD]),
        ],
        twoByTwo,
      ),
      ...get(l.out),
      ...timesInverse(l, get(l.lo), get(l.hi)),
      ...V_STORE,
    ]),
    END,
  ]);

/**
 * avgPoolMoments(x, out, ...POOL, block): avgPool (the same floats) and, in the same pass, the moments of x that
 * bnMoments takes for a BatchNormalization folded under the pooling (the doubles S1 = Σ t, S2 = Σ t² at `block`,
 * t = x − the block's mean, which the caller sets as a shift), every pixel's, those in no window too; summed in
 * float32 over an image (the block's s and q arrays), those sums in double.
 */
const avgPoolMoments = (twoByTwo: boolean) =>
  fn(
    ['x', 'out', ...POOL, 'block'],
    [...POOL_LOCALS, 'pitch', 'at', 'j', 's', 'q', 'mean', 'y', 'x0', 'end'],
    ['inv', 'lo', 'hi', 't', 'st', 'sq'],
    (l) => {
      const doubles = (k: number) => sum(get(l.block), product(get(l.pitch), i32(k)));
      // t = the pixel's 4 channels at `at` (code) − shift; st += t; sq += t·t.
      const moments = (at: number[], channel: number[]) => [
        ...assign(l.t, [...at, ...V_LOAD, ...sum(get(l.mean), channel), ...V_LOAD, ...F_SUB]),
        ...assign(l.st, [...get(l.st), ...get(l.t), ...F_ADD]),
        ...assign(l.sq, [...get(l.sq), ...get(l.t), ...get(l.t), ...F_MUL, ...F_ADD]),
      ];
      // s, q at channel (code) += st, sq.
      const addMoments = (channel: number[]) => [
        ...sum(get(l.s), channel),
        ...sum(get(l.s), channel),
        ...V_LOAD,
        ...get(l.st),
        ...F_ADD,
        ...V_STORE,
        ...sum(get(l.q), channel),
        ...sum(get(l.q), channel),
        ...V_LOAD,
        ...get(l.sq),
        ...F_ADD,
        ...V_STORE,
      ];
      // The pixels of image b's rows [y, end) from column x0 on: their moments.
      const leftOver = () =>
        forLoop(l.y, get(l.y), get(l.end), i32(1), [
          ...forLoop(
            l.p,
            sum(get(l.img), product(get(l.y), get(l.rowB)), product(get(l.x0), get(l.cb))),
            sum(get(l.img), product(sum(get(l.y), i32(1)), get(l.rowB))),
            get(l.cb),
            [
              ...forLoop(l.j, i32(0), get(l.cb), i32(16), [
                ...assign(l.st, ZERO),
                ...assign(l.sq, ZERO),
                ...moments(sum(get(l.p), get(l.j)), get(l.j)),
                ...addMoments(get(l.j)),
              ]),
            ],
          ),
        ]);
      return [
        ...inverseArea(l),
        ...bnArrays(l, ['s', 'q', 'mean']),
        ...zeroBytes(l, get(l.block), get(l.mean)),
        ...tileStrides(l),
        ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
          ...assign(l.img, sum(get(l.x), product(get(l.b), get(l.imgB)))),
          ...imageTiles(l, [
            ...assign(l.lo, ZERO),
            ...assign(l.hi, ZERO),
            ...assign(l.st, ZERO),
            ...assign(l.sq, ZERO),
            ...overWindow(
              l,
              [
                ...assign(l.lo, [...get(l.lo), ...promoted(get(l.p), 0), ...D_ADD]),
                ...assign(l.hi, [...get(l.hi), ...promoted(get(l.p), 8), ...D_ADD]),
                ...moments(get(l.p), get(l.ch)),
              ],
              twoByTwo,
            ),
            ...get(l.out),
            ...timesInverse(l, get(l.lo), get(l.hi)),
            ...V_STORE,
            ...addMoments(get(l.ch)),
          ]),
          // The pixels in no window: the rows under the windows' rows, then the columns right of them.
          ...assign(l.y, product(get(l.oh), get(l.kh))),
          ...assign(l.end, get(l.h)),
          ...assign(l.x0, i32(0)),
          ...leftOver(),
          ...assign(l.y, i32(0)),
          ...assign(l.end, product(get(l.oh), get(l.kh))),
          ...assign(l.x0, product(get(l.ow), get(l.kw))),
          ...leftOver(),
          ...flushPartial(l, doubles(0), 's'),
          ...flushPartial(l, doubles(2), 'q'),
          ...zeroBytes(l, get(l.s), get(l.mean)),
        ]),
        END,
      ];
    },
  );

/**
 * avgPoolBackward(dy, dx, ...POOL): every dx of a window = dy · inv (in double, as the loop; each pixel is in one
 * window). Pixels no window covers are left for the caller to zero.
 */
const avgPoolBackward = (twoByTwo: boolean) =>
  fn(['dy', 'x', ...POOL], [...POOL_LOCALS, 'out'], ['inv', 'd'], (l) => [
    ...inverseArea(l),
    ...assign(l.out, get(l.dy)),
    ...tiles(l, [
      ...assign(l.d, timesInverse(l, promoted(get(l.out), 0), promoted(get(l.out), 8))),
      ...overWindow(l, [...get(l.p), ...get(l.d), ...V_STORE], twoByTwo),
    ]),
    END,
  ]);

// ---- the small CNN's first layer: a 3x3 convolution of one channel, relu and 2x2 max pooling in one pass ------
const SPLAT = (offset: number) => [...simd(0x09), 0x02, ...uleb(offset)];
const SHR_U = 0x76;
const CONV_POOL_LOCALS = ['cb', 'pw', 'xImgB', 'zRowB', 'b', 'py', 'px', 'ch', 'r0', 'r1', 'r2', 'r3', 'zq', 'o'];

/**
 * Over each 2x2 pooling window (b, py, px): r{i} at row i of its 4x4 input patch in xp ([batch][oh + 2][ow + 2]
 * floats), zq at its first pixel in z ([batch][oh][ow][c]); then `body`.
 */
function overPoolWindows(l: Record<string, number>, body: number[]): number[] {
  return [
    ...assign(l.cb, [...get(l.c), ...i32(2), SHL]),
    ...assign(l.pw, [...get(l.ow), ...i32(2), ADD, ...i32(2), SHL]),
    ...assign(l.xImgB, product([...get(l.oh), ...i32(2), ADD], get(l.pw))),
    ...assign(l.zRowB, product(get(l.ow), get(l.cb))),
    ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
      ...forLoop(l.py, i32(0), [...get(l.oh), ...i32(1), SHR_U], i32(1), [
        ...forLoop(l.px, i32(0), [...get(l.ow), ...i32(1), SHR_U], i32(1), [
          ...assign(
            l.r0,
            sum(get(l.xp), product(get(l.b), get(l.xImgB)), product([...get(l.py), ...i32(1), SHL], get(l.pw)), [
              ...get(l.px),
              ...i32(3),
              SHL,
            ]),
          ),
          ...[1, 2, 3].flatMap((i) => assign(l[`r${i}`], sum(get(l[`r${i - 1}`]), get(l.pw)))),
          ...assign(
            l.zq,
            sum(
              get(l.z),
              product(
                sum(product(sum(product(get(l.b), get(l.oh)), [...get(l.py), ...i32(1), SHL]), get(l.ow)), [
                  ...get(l.px),
                  ...i32(1),
                  SHL,
                ]),
                get(l.cb),
              ),
            ),
          ),
          ...body,
        ]),
      ]),
    ]),
  ];
}

/** acc + a·b: rounded twice as the loops (F_MUL, F_ADD), or once with `fma` (relaxed-SIMD f32x4.relaxed_madd). */
const multiplyAdd = (fma: boolean, acc: number[], a: number[], b: number[]) =>
  fma ? [...a, ...b, ...acc, ...simd(0x105)] : [...acc, ...a, ...b, ...F_MUL, ...F_ADD];

/** z's address for window pixel k, channels ch.. (zq already at the channels, or add ch). */
const zPixel = (l: Record<string, number>, k: number, ch: boolean) =>
  sum(get(l.zq), product(i32(k >> 1), get(l.zRowB)), product(i32(k & 1), get(l.cb)), ...(ch ? [get(l.ch)] : []));

/**
 * convPoolSingle(xp, kernel, bias, z, out, relu, batch, oh, ow, c): `conv-kernels.ts`'s convPoolSingle, four
 * channels at a time (c a multiple of 4): the window's 16 input pixels splat once, the nine kernel vectors of its
 * channels loaded once for its four pixels.
 */
const convPoolSingleFn = (fma: boolean) =>
  fn(
    ['xp', 'kernel', 'bias', 'z', 'out', 'relu', 'batch', 'oh', 'ow', 'c'],
    [...CONV_POOL_LOCALS, 'wp'],
    [...vectors('d', 16), ...vectors('w', 9), 'bv', 'acc', 'best'],
    (l) => [
      ...assign(l.o, get(l.out)),
      ...overPoolWindows(l, [
        ...Array.from({ length: 16 }, (_, k) =>
          assign(l[`d${k}`], [...get(l[`r${k >> 2}`]), ...SPLAT(4 * (k & 3))]),
        ).flat(),
        ...forLoop(l.ch, i32(0), get(l.cb), i32(16), [
          ...assign(l.wp, sum(get(l.kernel), get(l.ch))),
          ...Array.from({ length: 9 }, (_, t) => [
            ...assign(l[`w${t}`], [...get(l.wp), ...V_LOAD]),
            ...assign(l.wp, sum(get(l.wp), get(l.cb))),
          ]).flat(),
          ...assign(l.bv, [...sum(get(l.bias), get(l.ch)), ...V_LOAD]),
          ...[0, 1, 2, 3].flatMap((k) => [
            ...assign(l.acc, get(l.bv)),
            ...Array.from({ length: 9 }, (_, t) => {
              const d = l[`d${((k >> 1) + Math.floor(t / 3)) * 4 + (k & 1) + (t % 3)}`];
              return assign(l.acc, multiplyAdd(fma, get(l.acc), get(d), get(l[`w${t}`])));
            }).flat(),
            ...get(l.relu),
            ...IF,
            ...assign(l.acc, [...get(l.acc), ...ZERO, ...F_MAX]),
            END,
            ...zPixel(l, k, true),
            ...get(l.acc),
            ...V_STORE,
            ...assign(l.best, k === 0 ? get(l.acc) : [...get(l.best), ...get(l.acc), ...F_PMAX]),
          ]),
          ...get(l.o),
          ...get(l.best),
          ...V_STORE,
          ...assign(l.o, sum(get(l.o), i32(16))),
        ]),
      ]),
      END,
    ],
  );

/**
 * convPoolSingleBackward(xp, z, out, dy, dkernel, dbias, relu, batch, oh, ow, c): `conv-kernels.ts`'s
 * convPoolSingleBackward, four channels at a time: per window its 16 input pixels splat once, each dy routed as
 * maxPoolBackward routes it (the first maximum, the relu gate) into four masked vectors, never stored, and added
 * into dkernel and dbias (zeroed first; c·40 bytes that stay in L1), so z, out and dy are read once, in order.
 */
const convPoolSingleBackwardFn = (fma: boolean) =>
  fn(
    ['xp', 'z', 'out', 'dy', 'dkernel', 'dbias', 'relu', 'batch', 'oh', 'ow', 'c'],
    [...CONV_POOL_LOCALS, 'at'],
    [...vectors('d', 16), ...vectors('g', 4), 'best', 'dv', 'taken', 'routed', 'v', 'm'],
    (l) => [
      ...forLoop(l.ch, i32(0), [...get(l.c), ...i32(2), SHL], i32(16), [
        ...Array.from({ length: 9 }, (_, t) => [
          ...sum(get(l.dkernel), product(i32(t), [...get(l.c), ...i32(2), SHL]), get(l.ch)),
          ...ZERO,
          ...V_STORE,
        ]).flat(),
        ...sum(get(l.dbias), get(l.ch)),
        ...ZERO,
        ...V_STORE,
      ]),
      ...assign(l.o, i32(0)),
      ...overPoolWindows(l, [
        ...Array.from({ length: 16 }, (_, k) =>
          assign(l[`d${k}`], [...get(l[`r${k >> 2}`]), ...SPLAT(4 * (k & 3))]),
        ).flat(),
        ...forLoop(l.ch, i32(0), get(l.cb), i32(16), [
          ...assign(l.best, [...sum(get(l.out), get(l.o)), ...V_LOAD]),
          ...assign(l.dv, [...sum(get(l.dy), get(l.o)), ...V_LOAD]),
          ...assign(l.taken, ZERO),
          ...assign(l.routed, ZERO),
          ...[0, 1, 2, 3].flatMap((k) => [
            ...assign(l.v, [...zPixel(l, k, true), ...V_LOAD]),
            ...assign(l.m, [...get(l.v), ...get(l.best), ...F_EQ, ...get(l.taken), ...V_ANDNOT]),
            ...assign(l.taken, [...get(l.taken), ...get(l.m), ...V_OR]),
            ...get(l.relu),
            ...IF,
            ...assign(l.m, [...get(l.m), ...get(l.v), ...ZERO, ...F_GT, ...V_AND]),
            END,
            ...assign(l.routed, [...get(l.routed), ...get(l.m), ...V_OR]),
            ...assign(l[`g${k}`], [...get(l.dv), ...get(l.m), ...V_AND]),
          ]),
          ...assign(l.at, sum(get(l.dbias), get(l.ch))),
          ...get(l.at),
          ...get(l.at),
          ...V_LOAD,
          ...get(l.dv),
          ...get(l.routed),
          ...V_AND,
          ...F_ADD,
          ...V_STORE,
          ...assign(l.at, sum(get(l.dkernel), get(l.ch))),
          ...Array.from({ length: 9 }, (_, t) => [
            ...get(l.at),
            ...[0, 1, 2, 3].reduce(
              (acc, k) =>
                multiplyAdd(
                  fma,
                  acc,
                  get(l[`d${((k >> 1) + Math.floor(t / 3)) * 4 + (k & 1) + (t % 3)}`]),
                  get(l[`g${k}`]),
                ),
              [...get(l.at), ...V_LOAD],
            ),
            ...V_STORE,
            ...assign(l.at, sum(get(l.at), get(l.cb))),
          ]).flat(),
          ...assign(l.o, sum(get(l.o), i32(16))),
        ]),
      ]),
      END,
    ],
  );

// ---- the strided CNN's first layer: a 3x3 convolution of one channel under a BatchNormalization, no im2col ------
/** The two f64x2 halves of an f32x4 `v` (code) added into the doubles at byte address `at` (code). */
const addDoubles = (at: number[], v: number[]) => [
  ...at,
  ...at,
  ...V_LOAD,
  ...v,
  ...D_PROMOTE,
  ...D_ADD,
  ...V_STORE,
  ...at,
  ...at,
  ...V_LOAD_OFFSET(16),
  ...v,
  ...v,
  ...HIGH_HALF,
  ...D_PROMOTE,
  ...D_ADD,
  ...V_STORE_OFFSET(16),
];
const CONV_SINGLE = ['batch', 'oh', 'ow', 'c', 'sh', 'sw', 'ph', 'pw', 'block'];
const CONV_SINGLE_LOCALS = ['cb', 'pwB', 'xImgB', 'zImgB', 'b', 'img', 'ch', 'oy', 'ox', 'p', 'r1', 'r2', 'o'];
/**
 * Over each image b, each 4 channels ch (byte offset) and each output row oy: `perChannel` once per (b, ch), then
 * `perRow`, then for each pixel `body` with p, r1, r2 at its window's rows in xp ([batch][ph][pw] floats, the
 * padding in it) and o at its output's byte offset (channels ch) in z ([batch][oh][ow][c]), then `afterRow`, and
 * after the image's rows `after`.
 */
const overSingleWindows = (
  l: Record<string, number>,
  parts: { perChannel: number[]; perRow: number[]; body: number[]; afterRow: number[]; after: number[] },
) => [
  ...assign(l.cb, [...get(l.c), ...i32(2), SHL]),
  ...assign(l.pwB, [...get(l.pw), ...i32(2), SHL]),
  ...assign(l.xImgB, product(get(l.ph), get(l.pwB))),
  ...assign(l.zImgB, product(product(get(l.oh), get(l.ow)), get(l.cb))),
  ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
    ...assign(l.img, sum(get(l.xp), product(get(l.b), get(l.xImgB)))),
    ...forLoop(l.ch, i32(0), get(l.cb), i32(16), [
      ...parts.perChannel,
      ...assign(l.o, sum(product(get(l.b), get(l.zImgB)), get(l.ch))),
      ...forLoop(l.oy, i32(0), get(l.oh), i32(1), [
        ...assign(l.p, sum(get(l.img), product(product(get(l.oy), get(l.sh)), get(l.pwB)))),
        ...parts.perRow,
        ...forLoop(l.ox, i32(0), get(l.ow), i32(1), [
          ...assign(l.r1, sum(get(l.p), get(l.pwB))),
          ...assign(l.r2, sum(get(l.r1), get(l.pwB))),
          ...parts.body,
          ...assign(l.p, sum(get(l.p), [...get(l.sw), ...i32(2), SHL])),
          ...assign(l.o, sum(get(l.o), get(l.cb))),
        ]),
        ...parts.afterRow,
      ]),
      ...parts.after,
    ]),
  ]),
];
/** Splat of the window's tap t (row t / 3, column t % 3) from xp at p. */
const tap = (l: Record<string, number>, t: number) => [
  ...get(l[['p', 'r1', 'r2'][Math.floor(t / 3)]]),
  ...SPLAT(4 * (t % 3)),
];

/**
 * With `rows`, tap t as a lane of its window row's vector (one v128.load of 4 floats at p, r1 or r2 into x0..x2, the
 * fourth float unused), broadcast by a shuffle: V8 schedules loads first and shuffles next to their use, so the nine
 * splats are not all live at once; without, a splatting load (`tap`).
 */
const rowTap = (l: Record<string, number>, t: number) => [
  ...get(l[`x${Math.floor(t / 3)}`]),
  ...get(l[`x${Math.floor(t / 3)}`]),
  ...simd(0x0d),
  ...[0, 1, 2, 3].flatMap(() => [0, 1, 2, 3].map((b) => 4 * (t % 3) + b)),
];
const rowLoad = (l: Record<string, number>, r: number) =>
  assign(l[`x${r}`], [...get(l[['p', 'r1', 'r2'][r]]), ...V_LOAD]);

/** The convSingle kernels' 4 channels' nine kernel vectors (w0..w8) and bias (bv), once a channel block. */
const singleKernelVectors = (l: Record<string, number>) => [
  ...Array.from({ length: 9 }, (_, t) =>
    assign(l[`w${t}`], [...sum(get(l.kernel), product(i32(t), get(l.cb)), get(l.ch)), ...V_LOAD]),
  ).flat(),
  ...assign(l.bv, [...sum(get(l.bias), get(l.ch)), ...V_LOAD]),
];

/** The convSingle moments kernels' start: BatchNormalization's mean, and its moments' block zeroed. */
const singleMomentsStart = (l: Record<string, number>) => [
  ...bnArrays(l, ['mean']),
  ...zeroBytes(l, get(l.block), sum(get(l.block), product(get(l.pitch), i32(4)))),
];

/** t = a1 (z less the shift) into the row's moment sums: s += t, q += t·t. */
const momentTerms = (fma: boolean, l: Record<string, number>) => [
  ...assign(l.s, [...get(l.s), ...get(l.a1), ...F_ADD]),
  ...assign(l.q, multiplyAdd(fma, get(l.q), get(l.a1), get(l.a1))),
];

/** A row's moment sums added into the block's doubles (S1 at block + 8·ch, S2 a pitch of doubles further). */
const rowMomentsToBlock = (l: Record<string, number>) => [
  ...addDoubles(sum(get(l.block), get(l.ch), get(l.ch)), get(l.s)),
  ...addDoubles(sum(get(l.block), get(l.pitch), get(l.pitch), get(l.ch), get(l.ch)), get(l.q)),
];

/** The convSingle backward kernels' start: BatchNormalization's arrays, and dkernel and dbias zeroed. */
const singleBackwardStart = (l: Record<string, number>) => [
  ...bnArrays(l, ['mean', 'invStd', 'p2', 'p3', 'p4']),
  ...zeroBytes(l, get(l.dkernel), sum(get(l.dkernel), product(get(l.pitch), i32(9)))),
  ...zeroBytes(l, get(l.dbias), sum(get(l.dbias), get(l.pitch))),
];

/** dx = p2·dy − x·c1 − e's coefficients for 4 channels: v2 = p2, c1 = invStd·p4, e = p3 − mean·c1. */
const dxCoefficients = (l: Record<string, number>) => {
  const at = (k: string) => [...sum(get(l[k]), get(l.ch)), ...V_LOAD];
  return [
    ...assign(l.v2, at('p2')),
    ...assign(l.c1, [...at('invStd'), ...at('p4'), ...F_MUL]),
    ...assign(l.e, [...at('p3'), ...at('mean'), ...get(l.c1), ...F_MUL, ...F_SUB]),
  ];
};

/** d = dx at byte `offset` of z and dy (gated by z with `gate`), and gb += d. */
const dxAt = (l: Record<string, number>, offset: number) => [
  ...assign(l.v, [...sum(get(l.z), get(offset)), ...V_LOAD]),
  ...assign(l.d, [
    ...get(l.v2),
    ...sum(get(l.dy), get(offset)),
    ...V_LOAD,
    ...F_MUL,
    ...get(l.v),
    ...get(l.c1),
    ...F_MUL,
    ...F_SUB,
    ...get(l.e),
    ...F_SUB,
  ]),
  ...reluGate(l, l.d, l.v),
  ...assign(l.gb, [...get(l.gb), ...get(l.d), ...F_ADD]),
];

/** The nine kernel-gradient sums and the bias's added into dkernel and dbias, once a channel block. */
const addKernelGradients = (l: Record<string, number>) => {
  const accumulate = (to: number[], v: number) => [...to, ...to, ...V_LOAD, ...get(v), ...F_ADD, ...V_STORE];
  return [
    ...Array.from({ length: 9 }, (_, t) =>
      accumulate(sum(get(l.dkernel), product(i32(t), get(l.cb)), get(l.ch)), l[`g${t}`]),
    ).flat(),
    ...accumulate(sum(get(l.dbias), get(l.ch)), l.gb),
  ];
};

/**
 * convSingleMoments(xp, kernel, bias, z, relu, ...CONV_SINGLE): z = relu?(Σ_t xp[tap t]·kernel[t] + bias), a 3x3
 * convolution of one channel at strides (sh, sw) read from the padded input xp ([batch][ph][pw]), four channels at
 * a time (c a multiple of 4; a sum per kernel row, then the rows and the bias), and the moments of z that
 * bnMoments takes for the BatchNormalization above (the doubles S1 = Σ t, S2 = Σ t² at `block`, t = z − the block's
 * mean, which the caller sets as a shift), summed in float32 over each output row and those sums in double.
 */
const convSingleMomentsFn = (fma: boolean) =>
  fn(
    ['xp', 'kernel', 'bias', 'z', 'relu', ...CONV_SINGLE],
    [...CONV_SINGLE_LOCALS, 'pitch', 'at', 'mean'],
    [...vectors('w', 9), 'bv', 'shift', 'a0', 'a1', 'a2', 's', 'q'],
    (l) => [
      ...singleMomentsStart(l),
      ...overSingleWindows(l, {
        perChannel: [...singleKernelVectors(l), ...assign(l.shift, [...sum(get(l.mean), get(l.ch)), ...V_LOAD])],
        perRow: [...assign(l.s, ZERO), ...assign(l.q, ZERO)],
        body: [
          // A sum per kernel row (three short chains of multiply-adds), then the rows and the bias.
          ...[0, 1, 2].flatMap((r) => [
            ...assign(l[`a${r}`], [...tap(l, 3 * r), ...get(l[`w${3 * r}`]), ...F_MUL]),
            ...[1, 2].flatMap((k) =>
              assign(l[`a${r}`], multiplyAdd(fma, get(l[`a${r}`]), tap(l, 3 * r + k), get(l[`w${3 * r + k}`]))),
            ),
          ]),
          ...assign(l.a0, [...get(l.a0), ...get(l.a1), ...F_ADD, ...get(l.a2), ...F_ADD, ...get(l.bv), ...F_ADD]),
          ...get(l.relu),
          ...IF,
          ...assign(l.a0, [...get(l.a0), ...ZERO, ...F_PMAX]),
          END,
          ...sum(get(l.z), get(l.o)),
          ...get(l.a0),
          ...V_STORE,
          ...assign(l.a1, [...get(l.a0), ...get(l.shift), ...F_SUB]),
          ...momentTerms(fma, l),
        ],
        afterRow: [...rowMomentsToBlock(l)],
        after: [],
      }),
      END,
    ],
  );

/**
 * convSingleNormBackward(xp, z, dy, dkernel, dbias, gate, ...CONV_SINGLE): the kernel and bias gradients of
 * convSingleMoments' convolution from the BatchNormalization above it, whose dx (bnBackwardDx's from dy and z with
 * the block's coefficients, rearranged: p2·dy − z·c1 − e; 0 where z ≤ 0 with `gate`) is never stored: per image and
 * 4 channels, Σ dx and Σ xp[tap t]·dx summed in registers over the image's pixels, then added into dbias and dkernel
 * (zeroed first).
 */
const convSingleNormBackwardFn = (fma: boolean) =>
  fn(
    ['xp', 'z', 'dy', 'dkernel', 'dbias', 'gate', ...CONV_SINGLE],
    [...CONV_SINGLE_LOCALS, 'pitch', 'at', 'mean', 'invStd', 'p2', 'p3', 'p4'],
    [...vectors('g', 9), 'gb', 'v2', 'c1', 'e', 'v', 'd'],
    (l) => [
      ...singleBackwardStart(l),
      ...overSingleWindows(l, {
        perChannel: [
          ...dxCoefficients(l),
          ...Array.from({ length: 9 }, (_, t) => assign(l[`g${t}`], ZERO)).flat(),
          ...assign(l.gb, ZERO),
        ],
        perRow: [],
        body: [
          ...dxAt(l, l.o),
          ...Array.from({ length: 9 }, (_, t) =>
            assign(l[`g${t}`], multiplyAdd(fma, get(l[`g${t}`]), tap(l, t), get(l.d))),
          ).flat(),
        ],
        afterRow: [],
        after: addKernelGradients(l),
      }),
      END,
    ],
  );

/** v128.const of four float32 −∞ (a relu floor that lets every value through: pmax(v, −∞) = v, NaN included). */
const MINUS_INFINITY = [...simd(0x0c), ...[0, 1, 2, 3].flatMap(() => [0x00, 0x00, 0x80, 0xff])];

/**
 * convSingleMomentsSplit(xp, kernel, bias, z, relu, ...CONV_SINGLE): convSingleMoments' floats (the same sums in
 * the same order, so bit-equal) in two passes over each output row of 4 channels: the convolution, bias and relu
 * first (nine kernel vectors, the bias and the relu floor in registers, the relu a pmax with 0 or −∞ instead of a
 * branch), then the moments from the z just written (in L1), so that neither pass spills: the one pass kept 16
 * vectors live and V8 (15 xmm registers) moved the row sums, shift, bias and three kernel vectors through the
 * stack at every pixel.
 */
const convSingleMomentsSplitFn = (fma: boolean, rows = false) =>
  fn(
    ['xp', 'kernel', 'bias', 'z', 'relu', ...CONV_SINGLE],
    [...CONV_SINGLE_LOCALS, 'pitch', 'at', 'mean', 'rowStart'],
    [...vectors('w', 9), 'bv', 'floor', 'shift', 'a0', 'a1', 's', 'q', 'x0', 'x1', 'x2'],
    (l) => [
      ...singleMomentsStart(l),
      ...assign(l.floor, MINUS_INFINITY),
      ...get(l.relu),
      ...IF,
      ...assign(l.floor, ZERO),
      END,
      ...overSingleWindows(l, {
        perChannel: [...singleKernelVectors(l)],
        perRow: assign(l.rowStart, sum(get(l.z), get(l.o))),
        body: [
          // The kernel rows' sums one after another (two accumulators), added as convSingleMoments adds them:
          // ((row 0 + row 1) + row 2) + bias.
          ...[0, 1, 2].flatMap((r) => {
            const a = r === 0 ? l.a0 : l.a1;
            const at = (t: number) => (rows ? rowTap(l, t) : tap(l, t));
            return [
              ...(rows ? rowLoad(l, r) : []),
              ...assign(a, [...at(3 * r), ...get(l[`w${3 * r}`]), ...F_MUL]),
              ...[1, 2].flatMap((k) => assign(a, multiplyAdd(fma, get(a), at(3 * r + k), get(l[`w${3 * r + k}`])))),
              ...(r === 0 ? [] : assign(l.a0, [...get(l.a0), ...get(l.a1), ...F_ADD])),
            ];
          }),
          ...sum(get(l.z), get(l.o)),
          ...get(l.a0),
          ...get(l.bv),
          ...F_ADD,
          ...get(l.floor),
          ...F_PMAX,
          ...V_STORE,
        ],
        afterRow: [
          ...assign(l.shift, [...sum(get(l.mean), get(l.ch)), ...V_LOAD]),
          ...assign(l.s, ZERO),
          ...assign(l.q, ZERO),
          ...forLoop(l.at, get(l.rowStart), sum(get(l.z), get(l.o)), get(l.cb), [
            ...assign(l.a1, [...get(l.at), ...V_LOAD, ...get(l.shift), ...F_SUB]),
            ...momentTerms(fma, l),
          ]),
          ...rowMomentsToBlock(l),
        ],
        after: [],
      }),
      END,
    ],
  );

/**
 * convSingleNormBackwardSplit(xp, z, dy, dkernel, dbias, gate, ...CONV_SINGLE, dx): convSingleNormBackward's floats
 * (bit-equal: the same dx, the same sums in the same order) in two passes per image and 4 channels: dx written to
 * `dx` ([batch][oh][ow][c], the convolution's own gradient buffer, which nothing else uses) with Σ dx, then Σ
 * xp[tap t]·dx from it with the nine sums in registers. The one pass kept 16 vectors live and V8 spilled sums.
 */
const convSingleNormBackwardSplitFn = (fma: boolean, rows = false) =>
  fn(
    ['xp', 'z', 'dy', 'dkernel', 'dbias', 'gate', ...CONV_SINGLE, 'dx'],
    [...CONV_SINGLE_LOCALS, 'pitch', 'at', 'mean', 'invStd', 'p2', 'p3', 'p4', 'end'],
    [...vectors('g', 9), 'gb', 'v2', 'c1', 'e', 'v', 'd', 'x0', 'x1', 'x2'],
    (l) => [
      ...singleBackwardStart(l),
      ...overSingleWindows(l, {
        perChannel: [
          ...dxCoefficients(l),
          ...assign(l.gb, ZERO),
          // The image's dx for these channels, in pixel order (the order of the sums below).
          ...assign(l.end, product(sum(get(l.b), i32(1)), get(l.zImgB))),
          ...forLoop(l.at, sum(product(get(l.b), get(l.zImgB)), get(l.ch)), get(l.end), get(l.cb), [
            ...dxAt(l, l.at),
            ...sum(get(l.dx), get(l.at)),
            ...get(l.d),
            ...V_STORE,
          ]),
          ...Array.from({ length: 9 }, (_, t) => assign(l[`g${t}`], ZERO)).flat(),
        ],
        perRow: [],
        body: [
          ...assign(l.d, [...sum(get(l.dx), get(l.o)), ...V_LOAD]),
          ...(rows ? [0, 1, 2].flatMap((r) => rowLoad(l, r)) : []),
          ...Array.from({ length: 9 }, (_, t) =>
            assign(l[`g${t}`], multiplyAdd(fma, get(l[`g${t}`]), rows ? rowTap(l, t) : tap(l, t), get(l.d))),
          ).flat(),
        ],
        afterRow: [],
        after: addKernelGradients(l),
      }),
      END,
    ],
  );

/**
 * The module's functions, generated at the first CNN engine's start, not when the worker loads this file: their
 * bytecode arrays and the garbage of making them (several MB of heap) would otherwise sit in every worker, Dense ones
 * included (with F(4x4)'s edge transforms they pushed the Dense comparison's workers from 243-262 MB of peak RSS to
 * 262-306).
 */
const functions = (): Record<string, Fn> => ({
  convPoolSingle: convPoolSingleFn(false),
  convPoolSingleBackward: convPoolSingleBackwardFn(false),
  convSingleMoments: convSingleMomentsFn(false),
  convSingleNormBackward: convSingleNormBackwardFn(false),
  convSingleMomentsSplit: convSingleMomentsSplitFn(false, true),
  convSingleNormBackwardSplit: convSingleNormBackwardSplitFn(false, true),
  bnMoments: bnSums(true),
  bnNormalize,
  bnBackwardSums: bnSums(false),
  bnBackwardDx,
  bnBackwardDxPooled: bnBackwardDxPooled(),
  ...winogradTransforms(F2X2, 'winograd'),
  ...winogradTransforms(F4X4, 'winograd4'),
  im2col: windows('im2col'),
  im2colAffine: windows('im2colAffine'),
  padAffine,
  copyRows,
  im2colSingle,
  col2im: windows('col2im'),
  maxPool: maxPoolForward(false),
  maxPool2x2: maxPoolForward(true),
  maxPoolBackward: maxPoolBackward(false),
  maxPoolBackward2x2: maxPoolBackward(true),
  winogradKernel: blockCombination(F2X2.kernelTerms, 16),
  winogradKernelBackward: blockCombination(F2X2.kernelTermsBackward, 9),
  winograd4Kernel: blockCombination(F4X4.kernelTerms, 36),
  winograd4KernelBackward: blockCombination(F4X4.kernelTermsBackward, 9),
  avgPool: avgPoolForward(false),
  avgPool2x2: avgPoolForward(true),
  avgPoolMoments: avgPoolMoments(false),
  avgPoolMoments2x2: avgPoolMoments(true),
  avgPoolBackward: avgPoolBackward(false),
  avgPoolBackward2x2: avgPoolBackward(true),
  columnSums16: columnSums(4),
  columnSums4: columnSums(1),
  reluBackward,
});

/**
 * A module of `functions` (exported by name), all of i32 parameters, over the imported memory; `first`, a raw
 * function (its body with its locals), goes first, as function 0, not exported (the product's micro-kernel, which
 * `conv-winograd-fused.ts`'s driver calls). The bodies are copied into the module's bytes once, not spread into
 * arrays section by section: at 68 KB that took 140-290 ms of CPU at each CNN engine's start.
 */
/** The first convolution's kernel makers, for bench/first-conv.ts (variants side by side in one module). */
export const firstConvVariants = {
  convSingleMomentsFn,
  convSingleNormBackwardFn,
  convSingleMomentsSplitFn,
  convSingleNormBackwardSplitFn,
};
export function compileModule(
  functions: Record<string, Fn>,
  first?: { params: number; body: number[] },
): Uint8Array<ArrayBuffer> {
  const entries = Object.entries(functions);
  const raw = first ? [first] : [];
  const params = [...raw.map((f) => f.params), ...entries.map(([, f]) => f.params)];
  const types = params.map((n) => [0x60, ...vec(new Array(n).fill([I32])), ...uleb(0)]);
  // Each body as its head (size, then locals) and its code.
  const bodies = [
    ...raw.map((f) => ({ head: uleb(f.body.length), code: f.body })),
    ...entries.map(([, f]) => {
      const locals = vec([
        [...uleb(f.i32s), I32],
        [...uleb(f.v128s), V128],
      ]);
      return { head: [...uleb(locals.length + f.body.length), ...locals], code: f.body };
    }),
  ];
  const count = uleb(bodies.length);
  const codeBytes = bodies.reduce((n, b) => n + b.head.length + b.code.length, count.length);
  const start = [
    ...HEADER,
    ...section(1, vec(types)),
    ...IMPORT_MEMORY,
    ...section(3, vec(params.map((_, i) => uleb(i)))),
    ...section(7, vec(entries.map(([name], i) => [...str(name), 0x00, ...uleb(i + raw.length)]))),
    10,
    ...uleb(codeBytes),
    ...count,
  ];
  const bytes = new Uint8Array(start.length + codeBytes - count.length);
  bytes.set(start);
  let at = start.length;
  for (const { head, code } of bodies) {
    bytes.set(head, at);
    bytes.set(code, at + head.length);
    at += head.length + code.length;
  }
  return bytes;
}

type Call = (...args: number[]) => void;

/** F(4x4)'s edge parts' tile transforms (`winogradTransforms`). */
type EdgeTransforms = Record<
  `winograd4${'Input' | 'InputBackward' | 'Output' | 'OutputBackward'}${'EF' | 'FE' | 'EE'}`,
  Call
>;

/** The loops of the CNN engine bound to one memory; byte addresses, as documented on each function above. */
export interface ConvSimd extends EdgeTransforms {
  convPoolSingle: Call;
  convPoolSingleBackward: Call;
  convSingleMoments: Call;
  convSingleNormBackward: Call;
  convSingleMomentsSplit: Call;
  convSingleNormBackwardSplit: Call;
  im2col: Call;
  im2colAffine: Call;
  padAffine: Call;
  copyRows: Call;
  im2colSingle: Call;
  col2im: Call;
  maxPool: Call;
  maxPool2x2: Call;
  maxPoolBackward: Call;
  maxPoolBackward2x2: Call;
  winogradKernel: Call;
  winogradKernelBackward: Call;
  avgPool: Call;
  avgPool2x2: Call;
  avgPoolMoments: Call;
  avgPoolMoments2x2: Call;
  avgPoolBackward: Call;
  avgPoolBackward2x2: Call;
  columnSums16: Call;
  columnSums4: Call;
  reluBackward: Call;
  bnMoments: Call;
  bnNormalize: Call;
  bnBackwardSums: Call;
  bnBackwardDx: Call;
  bnBackwardDxPooled: Call;
  winogradInput: Call;
  winogradInputBackward: Call;
  winogradOutput: Call;
  winogradOutputBackward: Call;
  winograd4Kernel: Call;
  winograd4KernelBackward: Call;
  winograd4Input: Call;
  winograd4InputBackward: Call;
  winograd4Output: Call;
  winograd4OutputBackward: Call;
}

const instances = new WeakMap<WebAssembly.Memory, ConvSimd>();

/** The kernels bound to `memory`, or undefined where the runtime has no wasm SIMD. */
export function convSimd(memory: WebAssembly.Memory): ConvSimd | undefined {
  let kernels = instances.get(memory);
  if (!kernels) {
    try {
      const module = new WebAssembly.Module(compileModule(functions()));
      kernels = { ...new WebAssembly.Instance(module, { env: { memory } }).exports } as unknown as ConvSimd;
    } catch {
      return undefined;
    }
    instances.set(memory, kernels);
  }
  return kernels;
}

/** The first convolution's one-pass kernels, of which `convPoolFma` has multiply-add variants. */
export type FirstConvKernels = Pick<
  ConvSimd,
  | 'convPoolSingle'
  | 'convPoolSingleBackward'
  | 'convSingleMoments'
  | 'convSingleNormBackward'
  | 'convSingleMomentsSplit'
  | 'convSingleNormBackwardSplit'
>;

const fmaInstances = new WeakMap<WebAssembly.Memory, FirstConvKernels>();

/**
 * convPoolSingle and convPoolSingleBackward with relaxed-SIMD multiply-adds (one rounding a term, so within
 * float32 rounding of the loops, not bit-equal), bound to `memory`; undefined where the runtime has no relaxed SIMD.
 */
export function convPoolFma(memory: WebAssembly.Memory): FirstConvKernels | undefined {
  let kernels = fmaInstances.get(memory);
  if (!kernels) {
    if (!hasRelaxedSimd()) return undefined;
    try {
      const functions = {
        convPoolSingle: convPoolSingleFn(true),
        convPoolSingleBackward: convPoolSingleBackwardFn(true),
        convSingleMoments: convSingleMomentsFn(true),
        convSingleNormBackward: convSingleNormBackwardFn(true),
        convSingleMomentsSplit: convSingleMomentsSplitFn(true, true),
        convSingleNormBackwardSplit: convSingleNormBackwardSplitFn(true, true),
      };
      const module = new WebAssembly.Module(compileModule(functions));
      kernels = { ...new WebAssembly.Instance(module, { env: { memory } }).exports } as unknown as typeof kernels;
    } catch {
      return undefined;
    }
    fmaInstances.set(memory, kernels!);
  }
  return kernels;
}

/**
 * `conv-kernels.ts`'s batchNorm in float32, as tfjs computes it, for c a multiple of 4 (the same arguments; `xhat`
 * is not written: the backward pass recomputes it from x): the statistics in one pass (sums of x shifted by its first row,
 * in float32 over 64 rows and then in double), the normalisation in another; the per-channel values through the
 * `batchNormBlockBytes(c)` bytes at byte address `block` (16-byte aligned, in F's memory). Within float32 rounding
 * of the loop (test/unit/fused-conv-simd.test.ts says how close). Without `normalize`, only the statistics: the
 * convolution above normalises in its im2col (im2colAffine).
 */
export function batchNormSimd(
  k: ConvSimd,
  block: number,
  normalize: boolean,
  ...[F, x, out, _xhat, rows, c, gamma, beta, epsilon, stats]: Parameters<typeof batchNorm>
): void {
  F.copyWithin((block >> 2) + BN_AT.mean * c, x, x + c);
  k.bnMoments(0, x * 4, rows, c, block);
  batchNormStatistics(F, block, rows, c, { gamma, beta, epsilon }, stats);
  if (normalize) k.bnNormalize(x * 4, out * 4, rows, c, block);
}

/**
 * The byte address in F's memory of the shift the moments are taken from (c floats of the block at `block`): the
 * caller of a kernel that sums them (`convSingleMoments`) sets it first.
 */
export const batchNormShift = (block: number, c: number) => block + BN_AT.mean * 4 * c;

/**
 * batchNormSimd's statistics from the block's moments (S1, S2 about its shift, over `rows` rows): stats, and the
 * block's mean, invStd, gamma and beta for bnNormalize or im2colAffine.
 */
export function batchNormStatistics(
  F: Float32Array,
  block: number,
  rows: number,
  c: number,
  { gamma, beta, epsilon }: { gamma: number; beta: number; epsilon: number },
  stats: NormStats,
): void {
  const D = new Float64Array(F.buffer, block, 2 * c);
  const at = (name: keyof typeof BN_AT) => (block >> 2) + BN_AT[name] * c;
  for (let ch = 0; ch < c; ch++) {
    const shifted = D[ch] / rows;
    stats.mean[ch] = F[at('mean') + ch] + shifted;
    stats.variance[ch] = Math.max(0, D[c + ch] / rows - shifted * shifted);
    stats.invStd[ch] = 1 / Math.sqrt(stats.variance[ch] + epsilon);
    F[at('mean') + ch] = stats.mean[ch];
    F[at('invStd') + ch] = stats.invStd[ch];
    F[at('p2') + ch] = gamma >= 0 ? F[gamma + ch] : 1;
    F[at('p3') + ch] = beta >= 0 ? F[beta + ch] : 0;
  }
}

/**
 * `conv-kernels.ts`'s batchNormBackward in float32 for c a multiple of 4, after batchNormSimd on the same x, which
 * takes xhat's place among the arguments (xhat is recomputed from it; the scratch `sums` is unused): both sums in
 * one pass, dx in another; with `gate`, dx is 0 where x ≤ 0 (x is a relu's output whose derivative applies here).
 * `dxSums` (a byte address of c doubles, 0: none) receives Σ dx per channel from the dx pass (the bias gradient of
 * the layer below; needs dx).
 */
export function batchNormBackwardSimd(
  k: ConvSimd,
  block: number,
  gate: boolean,
  dxSums: number,
  ...[F, dy, x, dx, rows, c, gamma, dgamma, dbeta, stats]: Parameters<typeof batchNormBackward>
): void {
  const D = new Float64Array(F.buffer, block, 2 * c);
  const at = (name: keyof typeof BN_AT) => (block >> 2) + BN_AT[name] * c;
  F.set(stats.mean, at('mean'));
  k.bnBackwardSums(dy * 4, x * 4, rows, c, block);
  for (let ch = 0; ch < c; ch++) {
    const [sumDy, sumDyX] = [D[ch], D[c + ch] * stats.invStd[ch]];
    if (dgamma >= 0) F[dgamma + ch] = sumDyX;
    if (dbeta >= 0) F[dbeta + ch] = sumDy;
    const scale = (gamma >= 0 ? F[gamma + ch] : 1) * stats.invStd[ch];
    F[at('invStd') + ch] = stats.invStd[ch];
    F[at('p2') + ch] = scale;
    F[at('p3') + ch] = (scale * sumDy) / rows;
    F[at('p4') + ch] = (scale * sumDyX) / rows;
  }
  if (dx >= 0) k.bnBackwardDx(dy * 4, x * 4, dx * 4, rows, c, block, gate ? 1 : 0, dxSums);
}

/** The geometry of an average pooling whose windows tile its input (`bnBackwardDxPooled`). */
export interface PoolTiling {
  batch: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
}

/**
 * batchNormBackwardSimd for a BatchNormalization folded under an average pooling whose windows tile its input
 * (`folded === 'pool'`), from the pooling's gradient dp and its input's averages `pooled` (the pooling of x before
 * the normalisation, [batch][oh][ow][c]) instead of the pixels' dy: since dy is dp·inv in each window and 0 outside,
 * Σ dy = Σ dp and Σ dy·(x − mean) = Σ dp·(pooled − mean), summed by bnBackwardSums over the pooled rows; then dx
 * per pixel by bnBackwardDxPooled (dy never written). The same gradients within float32 rounding.
 */
export function batchNormBackwardPooled(
  k: ConvSimd,
  block: number,
  gate: boolean,
  dxSums: number,
  pool: PoolTiling,
  F: Float32Array,
  dp: number,
  pooled: number,
  x: number,
  dx: number,
  c: number,
  gamma: number,
  dgamma: number,
  dbeta: number,
  stats: NormStats,
): void {
  const { batch, h, w, oh, ow, kh, kw } = pool;
  const rows = batch * h * w;
  const D = new Float64Array(F.buffer, block, 2 * c);
  const at = (name: keyof typeof BN_AT) => (block >> 2) + BN_AT[name] * c;
  F.set(stats.mean, at('mean'));
  k.bnBackwardSums(dp * 4, pooled * 4, batch * oh * ow, c, block);
  for (let ch = 0; ch < c; ch++) {
    const invStd = stats.invStd[ch];
    const [sumDy, sumDyX] = [D[ch], D[c + ch] * invStd];
    if (dgamma >= 0) F[dgamma + ch] = sumDyX;
    if (dbeta >= 0) F[dbeta + ch] = sumDy;
    const scale = (gamma >= 0 ? F[gamma + ch] : 1) * invStd;
    // dx = scale·dy − scale·Σdy/rows − (x − mean)·invStd·scale·Σdy·xhat/rows = p2·dp − x·c1 − e.
    const c1 = (invStd * scale * sumDyX) / rows;
    F[at('p2') + ch] = scale / (kh * kw);
    F[at('p3') + ch] = (scale * sumDy) / rows - stats.mean[ch] * c1;
    F[at('p4') + ch] = c1;
  }
  if (dx >= 0) k.bnBackwardDxPooled(dp * 4, x * 4, dx * 4, batch, h, w, c, oh, ow, kh, kw, block, gate ? 1 : 0, dxSums);
}
