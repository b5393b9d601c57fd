/**
 * The shapes of the arrays a script gets from a Keras dataset loader or a scikit-learn data set (`.data`, `.target`,
 * `return_X_y=True`), followed through what scripts do to them before `input_shape=X.shape[1:]`: unpacking,
 * `reshape`, `astype`, arithmetic with numbers, slicing and indexing (`[:5000]`, `[..., np.newaxis]`),
 * `np.expand_dims`, `pad_sequences`, `train_test_split` and a scaler's `fit_transform` / `transform`. A dimension
 * Model Lab cannot know is null; an expression it cannot follow has no shape (undefined), and the caller says so.
 */
import type { Node } from './py-node';
import { callArgs, unwrap } from './syntax';
import { readValue, resolveName, type ReadContext } from './values';

export type ArrayShape = (number | null)[];
/** An array's shape, or a tuple of them (what `load_data()` returns: `((x_train, y_train), (x_test, y_test))`). */
export type Shaped = { shape: ArrayShape } | { items: Shaped[] };

const MAX_DEPTH = 30;

const split = (train: number, test: number, x: ArrayShape, y: ArrayShape): Shaped => ({
  items: [
    { items: [{ shape: [train, ...x] }, { shape: [train, ...y] }] },
    { items: [{ shape: [test, ...x] }, { shape: [test, ...y] }] },
  ],
});

/**
 * What `keras.datasets.<name>.load_data()` returns, as published in Keras's documentation. The text datasets hold
 * one list of word indices per example (an object array: no dimension past the first). Boston housing and Reuters
 * split by `test_split` (0.2 by default) as Keras does: the first `int(n * (1 - test_split))` examples train.
 */
function loaded(module: string, call: Node, ctx: ReadContext): Shaped | undefined {
  const bySplit = (total: number, x: ArrayShape): Shaped | undefined => {
    const arg = callArgs(call).keywords.find((k) => k.name === 'test_split')?.value;
    const v = arg ? readValue(arg, ctx) : { ok: true as const, value: 0.2 };
    if (!v.ok || typeof v.value !== 'number' || v.value <= 0 || v.value >= 1) return undefined;
    const train = Math.floor(total * (1 - v.value));
    return split(train, total - train, x, []);
  };
  switch (module) {
    case 'mnist':
    case 'fashion_mnist':
      return split(60000, 10000, [28, 28], []);
    case 'cifar10':
    case 'cifar100':
      return split(50000, 10000, [32, 32, 3], [1]);
    case 'imdb':
      return split(25000, 25000, [], []);
    case 'reuters':
      return bySplit(11228, []);
    case 'boston_housing':
      return bySplit(506, [13]);
    default:
      return undefined;
  }
}

export const TRAIN_TEST_SPLIT = 'sklearn.model_selection.train_test_split';
/** scikit-learn's held-out fraction when neither test_size nor train_size is given. */
export const SKLEARN_TEST_SIZE = 0.25;

/**
 * scikit-learn's data sets by loader (`sklearn.datasets.<name>`): the shapes of `.data` and `.target`, as its
 * documentation gives them, for a call with at most these arguments (others, such as `load_digits(n_class=…)`,
 * change the data).
 */
const SKLEARN_DATASETS: Record<string, { data: ArrayShape; target: ArrayShape }> = {
  fetch_california_housing: { data: [20640, 8], target: [20640] },
  load_iris: { data: [150, 4], target: [150] },
  load_breast_cancer: { data: [569, 30], target: [569] },
  load_diabetes: { data: [442, 10], target: [442] },
  load_digits: { data: [1797, 64], target: [1797] },
  load_wine: { data: [178, 13], target: [178] },
};
const SKLEARN_DATASET_ARGS = new Set(['return_X_y', 'as_frame', 'data_home', 'download_if_missing']);
/** scikit-learn transformers whose `fit_transform(X)` / `transform(X)` have X's shape. */
const SHAPE_KEEPING_TRANSFORMERS = new Set(
  ['StandardScaler', 'MinMaxScaler', 'MaxAbsScaler', 'RobustScaler'].map((c) => `sklearn.preprocessing.${c}`),
);

const SAME_SHAPE_METHODS = new Set(['astype', 'copy']);
const SAME_SHAPE_FUNCTIONS = new Set([
  'numpy.array',
  'numpy.asarray',
  'numpy.float32',
  'tensorflow.cast',
  'tensorflow.convert_to_tensor',
  'tensorflow.constant',
]);
const EXPAND_DIMS = new Set(['numpy.expand_dims', 'tensorflow.expand_dims']);
const PAD_SEQUENCES = new Set(['keras.utils.pad_sequences', 'keras.preprocessing.sequence.pad_sequences']);

/** The shape of the array an expression holds, when it comes from a Keras dataset loader by steps Model Lab follows. */
export function arrayShape(node: Node, ctx: ReadContext, depth = 0): Shaped | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrap(node);
  const next = (m: Node) => arrayShape(m, ctx, depth + 1);
  const array = (m: Node) => {
    const s = next(m);
    return s && 'shape' in s ? s.shape : undefined;
  };
  switch (n.type) {
    case 'identifier': {
      const b = ctx.bindings.resolve(n.text, n);
      if ('reason' in b || !b.value) return undefined;
      if (b.kind === 'assignment') return next(b.value);
      if (b.kind !== 'unpacked' || !b.path) return undefined;
      let s = next(b.value);
      for (const i of b.path) s = s && 'items' in s ? s.items[i] : undefined;
      return s;
    }
    case 'attribute': {
      // `housing.data`, `housing.target` of a scikit-learn data set.
      const attribute = n.childForFieldName('attribute')?.text;
      const object = n.childForFieldName('object');
      if (!object || (attribute !== 'data' && attribute !== 'target')) return undefined;
      const bunch = sklearnBunch(object, ctx);
      return bunch ? { shape: bunch[attribute] } : undefined;
    }
    case 'tuple':
    case 'expression_list':
    case 'list': {
      // `X_valid, X_train = X[:5000], X[5000:]`: each element on its own.
      const items: Shaped[] = [];
      for (const c of n.namedChildren) {
        if (c.type === 'comment') continue;
        const s = next(c);
        if (!s) return undefined;
        items.push(s);
      }
      return { items };
    }
    case 'binary_operator': {
      // x / 255.0, x - mean: arithmetic with a number keeps the array's shape.
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (!left || !right) return undefined;
      const a = array(left);
      const b = array(right);
      if (a && b) return a.length === b.length && a.every((d, i) => d === b[i]) ? { shape: a } : undefined;
      const other = a ? right : left;
      const v = readValue(other, ctx);
      return (a ?? b) && v.ok && typeof v.value === 'number' ? { shape: (a ?? b)! } : undefined;
    }
    case 'subscript': {
      const value = n.childForFieldName('value');
      const whole = value ? next(value) : undefined;
      const subs = n.childrenForFieldName('subscript');
      if (whole && 'items' in whole) {
        // `data[0]` of what load_data() returned.
        const i = subs.length === 1 ? readValue(subs[0], ctx) : undefined;
        return i?.ok && Number.isInteger(i.value) ? whole.items.at(i.value as number) : undefined;
      }
      const shape = whole?.shape;
      return shape ? index(shape, subs, ctx) : undefined;
    }
    case 'call': {
      const fn = n.childForFieldName('function');
      if (!fn) return undefined;
      const args = callArgs(n);
      if (args.splats.length > 0) return undefined;
      if (fn.type === 'attribute') {
        const method = fn.childForFieldName('attribute')?.text ?? '';
        const object = fn.childForFieldName('object');
        const own = object && (method === 'reshape' || SAME_SHAPE_METHODS.has(method)) ? array(object) : undefined;
        if (own && SAME_SHAPE_METHODS.has(method)) return { shape: own };
        if (own && method === 'reshape') {
          const target = args.positional.length === 1 ? args.positional[0] : undefined;
          const dims = target ? readValue(target, ctx) : readInts(args.positional, ctx);
          return dims && dims.ok ? reshape(own, dims.value) : undefined;
        }
        if ((method === 'fit_transform' || method === 'transform') && object && args.positional[0]) {
          const maker = madeBy(object, ctx);
          const made = maker && resolveName(maker, ctx);
          if (made && SHAPE_KEEPING_TRANSFORMERS.has(made)) {
            const s = array(args.positional[0]);
            return s ? { shape: s } : undefined;
          }
        }
      }
      const name = resolveName(fn, ctx);
      if (!name) return undefined;
      const module = /^keras\.datasets\.(\w+)\.load_data$/.exec(name)?.[1];
      if (module) return loaded(module, n, ctx);
      if (name === TRAIN_TEST_SPLIT) return trainTestSplit(n, ctx, array);
      const sklearn = /^sklearn\.datasets\.(\w+)$/.exec(name)?.[1];
      if (sklearn) {
        const set = sklearnDataset(n, sklearn, ctx);
        return set?.xy ? { items: [{ shape: set.data }, { shape: set.target }] } : undefined;
      }
      const first = args.positional[0];
      if (SAME_SHAPE_FUNCTIONS.has(name) && first) {
        const s = array(first);
        return s ? { shape: s } : undefined;
      }
      if (name === 'numpy.reshape' && first && args.positional[1]) {
        const s = array(first);
        const dims = readValue(args.positional[1], ctx);
        return s && dims.ok ? reshape(s, dims.value) : undefined;
      }
      if (EXPAND_DIMS.has(name) && first) {
        const s = array(first);
        const axisNode = args.positional[1] ?? args.keywords.find((k) => k.name === 'axis')?.value;
        const axis = axisNode ? readValue(axisNode, ctx) : undefined;
        if (!s || !axis?.ok || !Number.isInteger(axis.value)) return undefined;
        const a = axis.value as number;
        const at = a < 0 ? s.length + 1 + a : a;
        if (at < 0 || at > s.length) return undefined;
        return { shape: [...s.slice(0, at), 1, ...s.slice(at)] };
      }
      if (PAD_SEQUENCES.has(name) && first) {
        const s = array(first);
        const maxlen = args.keywords.find((k) => k.name === 'maxlen')?.value ?? args.positional[1];
        const v = maxlen ? readValue(maxlen, ctx) : undefined;
        return s && v?.ok && typeof v.value === 'number' ? { shape: [s[0], v.value] } : undefined;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The function a name's value was made by: `scaler` after `scaler = StandardScaler()`, or the call itself. */
function madeBy(node: Node, ctx: ReadContext): Node | undefined {
  let n = unwrap(node);
  if (n.type === 'identifier') {
    const b = ctx.bindings.resolve(n.text, n);
    if ('reason' in b || b.kind !== 'assignment' || !b.value) return undefined;
    n = unwrap(b.value);
  }
  return n.type === 'call' ? (n.childForFieldName('function') ?? undefined) : undefined;
}

/** A scikit-learn data set loader's call, with its shapes and whether it returns `(data, target)`. */
function sklearnDataset(call: Node, loader: string, ctx: ReadContext) {
  const shapes = Object.hasOwn(SKLEARN_DATASETS, loader) ? SKLEARN_DATASETS[loader] : undefined;
  const args = callArgs(call);
  if (!shapes || args.positional.length > 0 || args.splats.length > 0) return undefined;
  if (args.keywords.some((k) => !SKLEARN_DATASET_ARGS.has(k.name))) return undefined;
  const xyNode = args.keywords.find((k) => k.name === 'return_X_y')?.value;
  const xy = xyNode ? readValue(xyNode, ctx) : { ok: true as const, value: false };
  return xy.ok && typeof xy.value === 'boolean' ? { ...shapes, xy: xy.value } : undefined;
}

/** What `housing` holds after `housing = fetch_california_housing()` (or the call itself): its data set's shapes. */
function sklearnBunch(node: Node, ctx: ReadContext): { data: ArrayShape; target: ArrayShape } | undefined {
  const fn = madeBy(node, ctx);
  const loader = fn && /^sklearn\.datasets\.(\w+)$/.exec(resolveName(fn, ctx) ?? '')?.[1];
  const call = fn?.parent;
  const set = loader && call ? sklearnDataset(call, loader, ctx) : undefined;
  return set && !set.xy ? set : undefined;
}

/**
 * `train_test_split(a, b, test_size=…, train_size=…)`: each array's training part then its held-out part, sized as
 * scikit-learn does: ceil(test_size * n) or test_size held out, floor(train_size * n) or train_size kept, the other
 * the rest (0.25 held out when neither is given).
 */
function trainTestSplit(call: Node, ctx: ReadContext, array: (m: Node) => ArrayShape | undefined): Shaped | undefined {
  const args = callArgs(call);
  if (args.positional.length === 0 || args.splats.length > 0) return undefined;
  const shapes = args.positional.map(array);
  const n = shapes[0]?.[0];
  if (typeof n !== 'number' || shapes.some((s) => !s || s[0] !== n)) return undefined;
  const size = (k: string): number | null | undefined => {
    const node = args.keywords.find((a) => a.name === k)?.value;
    if (!node) return null;
    const v = readValue(node, ctx);
    return v.ok && (v.value === null || (typeof v.value === 'number' && v.value > 0)) ? v.value : undefined;
  };
  const testSize = size('test_size');
  const trainSize = size('train_size');
  if (testSize === undefined || trainSize === undefined) return undefined;
  const count = (v: number, round: (x: number) => number) => (Number.isInteger(v) && v >= 1 ? v : round(v * n));
  const testCount = testSize !== null ? count(testSize, Math.ceil) : undefined;
  const trainCount = trainSize !== null ? count(trainSize, Math.floor) : undefined;
  const held = testCount ?? (trainCount === undefined ? Math.ceil(SKLEARN_TEST_SIZE * n) : n - trainCount);
  const train = trainCount ?? n - held;
  if (train < 1 || held < 1 || train + held > n) return undefined;
  return {
    items: shapes.flatMap((s) => [{ shape: [train, ...s!.slice(1)] }, { shape: [held, ...s!.slice(1)] }]),
  };
}

function readInts(nodes: Node[], ctx: ReadContext): { ok: true; value: unknown[] } | undefined {
  const out: unknown[] = [];
  for (const a of nodes) {
    const v = readValue(a, ctx);
    if (!v.ok) return undefined;
    out.push(v.value);
  }
  return { ok: true, value: out };
}

/** numpy's reshape: one -1 takes what is left of the size. */
function reshape(shape: ArrayShape, target: unknown): Shaped | undefined {
  const dims = typeof target === 'number' ? [target] : target;
  if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && (d as number) >= -1)) return undefined;
  const ds = dims as number[];
  const unknown = ds.filter((d) => d === -1).length;
  if (unknown > 1) return undefined;
  if (unknown === 0) return { shape: ds };
  const size = shape.every((d) => d !== null) ? shape.reduce<number>((a, d) => a * d!, 1) : null;
  const rest = ds.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const inferred = size !== null && rest > 0 && size % rest === 0 ? size / rest : null;
  return { shape: ds.map((d) => (d === -1 ? inferred : d)) };
}

/** `x[:5000]`, `x[0]`, `x[..., np.newaxis]`, `x[:, :, None]`: numpy's basic indexing on a shape. */
function index(shape: ArrayShape, subscripts: Node[], ctx: ReadContext): Shaped | undefined {
  const items = subscripts.length === 1 && subscripts[0].type === 'tuple' ? subscripts[0].namedChildren : subscripts;
  const isNewAxis = (s: Node) => s.type === 'none' || resolveName(s, ctx) === 'numpy.newaxis';
  const consuming = items.filter((s) => s.type !== 'ellipsis' && !isNewAxis(s)).length;
  if (consuming > shape.length || items.filter((s) => s.type === 'ellipsis').length > 1) return undefined;
  const out: ArrayShape = [];
  let axis = 0;
  for (const s of items) {
    if (s.type === 'ellipsis') {
      const skip = shape.length - consuming;
      out.push(...shape.slice(axis, axis + skip));
      axis += skip;
    } else if (isNewAxis(s)) out.push(1);
    else if (s.type === 'slice') {
      const bounds = sliceBounds(s, ctx);
      if (!bounds) return undefined;
      out.push(sliceLength(shape[axis], bounds));
      axis++;
    } else {
      const v = readValue(s, ctx);
      if (!v.ok || !Number.isInteger(v.value)) return undefined;
      axis++; // an integer index drops the axis
    }
  }
  out.push(...shape.slice(axis));
  return { shape: out };
}

type Bounds = [number | null, number | null, number | null];

/** A slice's start, stop and step as written (null where left out), or undefined when one is not a known integer. */
export function sliceBounds(slice: Node, ctx: ReadContext): Bounds | undefined {
  const parts: (Node | null)[] = [null];
  for (const c of slice.children) {
    if (c.type === ':') parts.push(null);
    else if (c.isNamed && c.type !== 'comment') parts[parts.length - 1] = c;
  }
  const out: Bounds = [null, null, null];
  for (let i = 0; i < Math.min(parts.length, 3); i++) {
    const p = parts[i];
    if (!p) continue;
    const v = readValue(p, ctx);
    if (!v.ok || (v.value !== null && !Number.isInteger(v.value))) return undefined;
    out[i] = v.value as number | null;
  }
  return out;
}

/** How many items `[start:stop:step]` takes from `length` items, as Python's slice.indices does. */
export function sliceLength(length: number | null, [start, stop, step]: Bounds): number | null {
  const by = step ?? 1;
  if (by === 0) return null;
  if (length === null) {
    // Without the length only an explicit, non-negative range is known.
    return by > 0 && start !== null && start >= 0 && stop !== null && stop >= 0
      ? Math.max(0, Math.ceil((stop - start) / by))
      : null;
  }
  return sliceIndices(length, [start, stop, by]).length;
}

/** The indices `[start:stop:step]` takes from `length` items (Python's semantics, negative indices included). */
export function sliceIndices(length: number, [start, stop, step]: Bounds): number[] {
  const by = step ?? 1;
  const clamp = (v: number | null, dflt: number, lo: number, hi: number) => {
    if (v === null) return dflt;
    const x = v < 0 ? v + length : v;
    return Math.min(Math.max(x, lo), hi);
  };
  const out: number[] = [];
  if (by > 0) {
    const a = clamp(start, 0, 0, length);
    const b = clamp(stop, length, 0, length);
    for (let i = a; i < b; i += by) out.push(i);
  } else {
    const a = clamp(start, length - 1, -1, length - 1);
    const b = clamp(stop, -1, -1, length - 1);
    for (let i = a; i > b; i += by) out.push(i);
  }
  return out;
}
