/**
 * The data-movement and reduction loops of the fused CNN engine in WebAssembly SIMD, over the wasm backend's memory
 * (byte addresses; the JavaScript loops of `conv-kernels.ts` define what each computes, and remain for the shapes
 * these do not take):
 *   im2col / col2im   any geometry: a window row is a run of kw·c floats, copied (or added) four at a time
 *   max pooling       windows that tile the image (stride = pool size, no padding) and c a multiple of 4: the
 *                     forward pass is f32x4.pmax over the window (`v > best`, as the loop); the backward pass needs
 *                     no argmax: it finds the first value equal to the maximum again, with the relu gate folded in
 *   column sums       the bias gradient: 16 or 4 columns at a time, summed in double as the loop does
 *   relu backward     dz = a > 0 ? dy : 0, a mask and an and
 */
import { HEADER, I32, IMPORT_MEMORY, section, simd, sleb, str, uleb, V128, vec } from './wasm-emit';

// ---- a little assembler (signed i32 loop counters, byte addresses) -------------------------------------------
const get = (l: number) => [0x20, ...uleb(l)];
const set = (l: number) => [0x21, ...uleb(l)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const [ADD, SUB, MUL, AND, SHL] = [0x6a, 0x6b, 0x6c, 0x71, 0x74];
const [LT_S, GT_S, GE_S, SELECT] = [0x48, 0x4a, 0x4e, 0x1b];
const [IF, ELSE, END] = [[0x04, 0x40], 0x05, 0x0b];
const [BLOCK, LOOP] = [
  [0x02, 0x40],
  [0x03, 0x40],
];
const br = (d: number) => [0x0c, ...uleb(d)];
const brIf = (d: number) => [0x0d, ...uleb(d)];
const F32LOAD = [0x2a, 0x02, 0x00];
const F32STORE = [0x38, 0x02, 0x00];
const F32ADD = 0x92;
const F32_DEMOTE = 0xb6;
const V_LOAD = [...simd(0x00), 0x00, 0x00];
const V_STORE = [...simd(0x0b), 0x00, 0x00];
const LOAD64_ZERO = (offset: number) => [...simd(0x5d), 0x00, ...uleb(offset)];
const ZERO = [...simd(0x0c), ...new Array(16).fill(0)];
const [V_AND, V_ANDNOT, V_OR] = [simd(0x4e), simd(0x4f), simd(0x50)];
const [F_EQ, F_GT, F_ADD, F_PMAX] = [simd(0x41), simd(0x44), simd(0xe4), simd(0xeb)];
const [D_ADD, D_PROMOTE] = [simd(0xf0), simd(0x5f)];
const dLane = (lane: number) => [...simd(0x21), lane];

/** Code that leaves the sum of its pieces on the stack: sum(get(a), get(b), [...]) */
const sum = (...parts: number[][]) => parts.flatMap((p, i) => (i === 0 ? p : [...p, ADD]));
const product = (a: number[], b: number[]) => [...a, ...b, MUL];
const assign = (l: number, value: number[]) => [...value, ...set(l)];
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
interface Fn {
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
  const l = Object.fromEntries(names.map((n, i) => [n, i]));
  return { params: params.length, body: body(l), i32s: i32Locals.length, v128s: v128Locals.length };
}

/** Over `len` bytes (a multiple of 4) at d (and s): vector steps of 16 bytes, then single floats. */
function run(l: Record<string, number>, len: number[], kind: 'copy' | 'add' | 'zero'): number[] {
  const at = (base: number) => sum(get(base), get(l.i));
  const step = (vector: boolean) => {
    const [load, store] = vector ? [V_LOAD, V_STORE] : [F32LOAD, F32STORE];
    if (kind === 'zero') return [...at(l.d), ...(vector ? ZERO : [0x43, 0, 0, 0, 0]), ...store];
    if (kind === 'copy') return [...at(l.d), ...at(l.s), ...load, ...store];
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
 * (col2im does not zero dx: the caller does).
 */
function windows(kind: 'im2col' | 'col2im'): Fn {
  const [image, colsName] = kind === 'im2col' ? ['x', 'cols'] : ['dx', 'dcols'];
  const params = kind === 'im2col' ? [image, colsName, ...WINDOW] : [colsName, image, ...WINDOW];
  return fn(params, [...WINDOW_LOCALS, 'row', 'dst', 'd', 's', 'n', 'i'], [], (l) => {
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
      kind === 'im2col'
        ? [
            ...inside,
            ...IF,
            ...assign(l.d, get(l.dst)),
            ...run(l, product(get(l.k0), get(l.cb)), 'zero'),
            ...assign(l.d, sum(get(l.dst), product(get(l.k0), get(l.cb)))),
            ...assign(l.s, source),
            ...run(l, product([...get(l.k1), ...get(l.k0), SUB], get(l.cb)), 'copy'),
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

const POOL = ['batch', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw'];

/** Over each output pixel of a tiling max pooling and each 4 channels of it: `body` with p0 at the window's corner. */
function tiles(l: Record<string, number>, body: number[]): number[] {
  return [
    ...assign(l.cb, [...get(l.c), ...i32(2), SHL]),
    ...assign(l.rowB, product(get(l.w), get(l.cb))),
    ...assign(l.imgB, product(get(l.h), get(l.rowB))),
    ...forLoop(l.b, i32(0), get(l.batch), i32(1), [
      ...assign(l.img, sum(get(l.x), product(get(l.b), get(l.imgB)))),
      ...forLoop(l.oy, i32(0), get(l.oh), i32(1), [
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
      ]),
    ]),
  ];
}

/** for each (ky, kx) of the window: p = p0 + ky·rowB + kx·cb, then body. */
const overWindow = (l: Record<string, number>, body: number[]) =>
  forLoop(l.ky, i32(0), get(l.kh), i32(1), [
    ...forLoop(l.kx, i32(0), get(l.kw), i32(1), [
      ...assign(l.p, sum(get(l.p0), product(get(l.ky), get(l.rowB)), product(get(l.kx), get(l.cb)))),
      ...body,
    ]),
  ]);

const POOL_LOCALS = ['cb', 'rowB', 'imgB', 'b', 'img', 'oy', 'ox', 'ch', 'p0', 'p', 'ky', 'kx'];

/** maxPool(x, out, ...POOL): out = the window's maximum, the first of equal ones (`v > best`, as f32x4.pmax). */
const maxPoolForward = fn(['x', 'out', ...POOL], POOL_LOCALS, ['best'], (l) => [
  ...tiles(l, [
    ...assign(l.best, [...get(l.p0), ...V_LOAD]),
    ...overWindow(l, assign(l.best, [...get(l.best), ...get(l.p), ...V_LOAD, ...F_PMAX])),
    ...get(l.out),
    ...get(l.best),
    ...V_STORE,
  ]),
  END,
]);

/**
 * maxPoolBackward(x, out, dy, dx, gate, ...POOL): every dx of a window is written: dy where x is the first value
 * equal to the window's maximum `out` (and, with `gate`, x > 0: a relu's derivative), else 0.
 */
const maxPoolBackward = fn(
  ['x', 'out', 'dy', 'dx', 'gate', ...POOL],
  [...POOL_LOCALS, 'delta'],
  ['best', 'd', 'taken', 'v', 'm'],
  (l) => [
    ...assign(l.delta, [...get(l.dx), ...get(l.x), SUB]),
    ...tiles(l, [
      ...assign(l.best, [...get(l.out), ...V_LOAD]),
      ...assign(l.d, [...get(l.dy), ...V_LOAD]),
      ...assign(l.taken, ZERO),
      ...overWindow(l, [
        ...assign(l.v, [...get(l.p), ...V_LOAD]),
        ...assign(l.m, [...get(l.v), ...get(l.best), ...F_EQ, ...get(l.taken), ...V_ANDNOT]),
        ...assign(l.taken, [...get(l.taken), ...get(l.m), ...V_OR]),
        ...get(l.gate),
        ...IF,
        ...assign(l.m, [...get(l.m), ...get(l.v), ...ZERO, ...F_GT, ...V_AND]),
        END,
        ...sum(get(l.p), get(l.delta)),
        ...get(l.d),
        ...get(l.m),
        ...V_AND,
        ...V_STORE,
      ]),
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

const FUNCTIONS: Record<string, Fn> = {
  im2col: windows('im2col'),
  col2im: windows('col2im'),
  maxPool: maxPoolForward,
  maxPoolBackward,
  columnSums16: columnSums(4),
  columnSums4: columnSums(1),
  reluBackward,
};

function compile(): Uint8Array<ArrayBuffer> {
  const entries = Object.entries(FUNCTIONS);
  const types = entries.map(([, f]) => [0x60, ...vec(new Array(f.params).fill([I32])), ...uleb(0)]);
  const bodies = entries.map(([, f]) => {
    const locals = vec([
      [...uleb(f.i32s), I32],
      [...uleb(f.v128s), V128],
    ]);
    const body = [...locals, ...f.body];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec(types)),
    ...IMPORT_MEMORY,
    ...section(3, vec(entries.map((_, i) => uleb(i)))),
    ...section(7, vec(entries.map(([name], i) => [...str(name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}

type Call = (...args: number[]) => void;

/** The loops of the CNN engine bound to one memory; byte addresses, as documented on each function above. */
export interface ConvSimd {
  im2col: Call;
  col2im: Call;
  maxPool: Call;
  maxPoolBackward: Call;
  columnSums16: Call;
  columnSums4: Call;
  reluBackward: Call;
}

const instances = new WeakMap<WebAssembly.Memory, ConvSimd>();

/** The kernels bound to `memory`, or undefined where the runtime has no wasm SIMD. */
export function convSimd(memory: WebAssembly.Memory): ConvSimd | undefined {
  let kernels = instances.get(memory);
  if (!kernels) {
    try {
      const module = new WebAssembly.Module(compile());
      kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as ConvSimd;
    } catch {
      return undefined;
    }
    instances.set(memory, kernels);
  }
  return kernels;
}
