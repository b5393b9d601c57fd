/**
 * Which names hold a Keras dataset's data, which dataset, and which part of it, as the script runs: names assigned
 * from `keras.datasets.<name>.load_data(...)` (Fashion-MNIST, MNIST, CIFAR-10/100, IMDB, Reuters, with the loader's
 * literal arguments: its first pair is the training data, its second the test data) and, transitively, from
 * expressions using them (`x_train = x_train / 255.0`, `x = x.reshape(-1, 784)`, `X_valid = X_train_full[:5000]`,
 * `x = keras.utils.pad_sequences(x, maxlen=200)`). scikit-learn's `train_test_split(x, y, test_size=…,
 * random_state=…)` splits them: its first result is the training part, its second the held-out part, which becomes
 * the validation split. A name means its value at the point of use: the most recent assignment before it (`x` after
 * `x = x.reshape(-1, 784)` in one cell and `x = x / 255.0` in a later one are different data). A model trains on
 * that dataset when its `fit` gets such data.
 */
import { datasetFromKerasLoadData, withPadSequences } from '../datasets';
import type { DatasetSpec } from '../types';
import { SKLEARN_TEST_SIZE, TRAIN_TEST_SPLIT } from './array-shapes';
import type { Node } from './py-node';
import type { ScriptIndex } from './script-index';
import { callArgs, firstNotBefore, unwrap } from './syntax';
import { callsNamed, readValue, resolveName, type ReadContext } from './values';

export const FASHION_MNIST = 'fashion-mnist';
const LOADER = /^keras\.datasets\.(\w+)\.load_data$/;
const PAD_SEQUENCES = new Set(['keras.utils.pad_sequences', 'keras.preprocessing.sequence.pad_sequences']);

/** How `train_test_split` divided the data: the held-out fraction, its seed, whether it shuffled. */
export interface DataSplit {
  part: 'train' | 'validation';
  /** Fraction of the examples held out (`test_size`, else 1 − `train_size`, else scikit-learn's 0.25). */
  fraction: number;
  /** `random_state`, when it is a number. */
  seed?: number;
  /** `shuffle=False`: scikit-learn holds out the last examples instead of a shuffled pick. */
  shuffle: boolean;
}

/** What a name holds: data of a dataset, from its training or test arrays, possibly one side of a split. */
export interface DataValue {
  dataset: DatasetSpec;
  source: 'train' | 'test' | 'unknown';
  split?: DataSplit;
  /**
   * What the loaded values were multiplied by on the way (`x / 255.0`: 1/255; none: 1); undefined when something
   * else was done to them (a scaler, an offset), which only running the script tells.
   */
  scale?: number;
}

/** Methods and NumPy functions that change an array's shape or type but not its values. */
const SHAPE_ONLY = new Set(['astype', 'reshape', 'expand_dims', 'squeeze', 'flatten', 'ravel', 'copy']);

/** The nodes `valueOf` looks at in an expression: a selection (call or subscript), data (a name or a loader call). */
const LOOKED_AT = ['identifier', 'call', 'subscript'];

const TUPLES = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'expression_list', 'tuple', 'list']);
const parts = (n: Node): Node[] => {
  const u = unwrap(n);
  return TUPLES.has(u.type) ? u.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment') : [u];
};

export class DataFlow {
  /** Each name's data assignments in source order, with where they take effect (the end of the assignment). */
  private readonly held = new Map<string, { at: number; value: DataValue | undefined }[]>();
  /** Where the calls that bring data in start (`load_data`, `pad_sequences`), in source order. */
  private readonly sources: number[] = [];
  /** The names of the script's own functions: what one returns from data is not known without running it. */
  private readonly functions = new Set<string>();

  constructor(
    index: ScriptIndex,
    private readonly ctx: ReadContext,
  ) {
    for (const def of index.ofType('function_definition')) {
      const name = def.childForFieldName('name')?.text;
      if (name) this.functions.add(name);
    }
    const calls = callsNamed(ctx, (name) => LOADER.test(name) || PAD_SEQUENCES.has(name));
    for (let i = 0; i < calls.length; i++) this.sources.push(calls[i].startIndex);
    // Source order, so a chain of assignments propagates in one pass.
    const assignments = index.ofTypes(['assignment', 'augmented_assignment']);
    for (let i = 0; i < assignments.length; i++) {
      const node = assignments[i];
      const right = node.childForFieldName('right');
      const left = node.childForFieldName('left');
      if (!right || !left) continue;
      if (node.type === 'assignment') {
        const pairs = this.mayHoldData(right) ? this.assigned(left, right) : this.each(left, undefined);
        for (const [target, value] of pairs) this.bind(target, value, node.endIndex);
      } else if (node.type === 'augmented_assignment' && left.type === 'identifier') {
        // `x /= 255`: the same data, scaled.
        const value = this.at(left);
        const op = node.childForFieldName('operator')?.text;
        const by = this.number(right);
        const scale =
          value?.scale === undefined || by === undefined
            ? undefined
            : op === '/='
              ? value.scale / by
              : op === '*='
                ? value.scale * by
                : undefined;
        if (value) this.bind(left, { ...value, scale }, node.endIndex);
      }
    }
  }

  /**
   * Whether an expression may hold data (`valueOf` may find some): it has a call that brings data in, or a name
   * that held data. Most assignments of a large script have neither, and are not walked.
   */
  private mayHoldData(expr: Node): boolean {
    const i = firstNotBefore(this.sources.length, (k) => this.sources[k] < expr.startIndex);
    if (i < this.sources.length && this.sources[i] < expr.endIndex) return true;
    return this.ctx.index.firstNamed(this.held, expr) !== undefined;
  }

  /**
   * The factor an expression multiplies its data by: `x / 255.0`, `x * (1 / 255)`, through `.astype(…)`,
   * `.reshape(…)`, `np.expand_dims(x, …)`, subscripts and parentheses; undefined for anything else done to them.
   */
  private scaleOf(expr: Node, depth = 0): number | undefined {
    const n = unwrap(expr);
    if (depth > 50) return undefined;
    if (n.type === 'identifier') return this.at(n)?.scale;
    if (n.type === 'subscript') return this.scaleOf(n.childForFieldName('value') ?? n, depth + 1);
    if (n.type === 'binary_operator') {
      const op = n.childForFieldName('operator')?.text;
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (!left || !right) return undefined;
      if (op === '/') {
        const by = this.number(right);
        const inner = this.scaleOf(left, depth + 1);
        return by === undefined || inner === undefined ? undefined : inner / by;
      }
      if (op === '*') {
        const [data, factor] = this.number(right) !== undefined ? [left, right] : [right, left];
        const by = this.number(factor);
        const inner = this.scaleOf(data, depth + 1);
        return by === undefined || inner === undefined ? undefined : inner * by;
      }
      return undefined;
    }
    if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      const name = fn ? resolveName(fn, this.ctx) : undefined;
      if (name && LOADER.test(name)) return 1;
      if (name && PAD_SEQUENCES.has(name)) return undefined;
      const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
      if (method && SHAPE_ONLY.has(method)) {
        const object = fn!.childForFieldName('object');
        // `x.reshape(…)` works on x; `np.reshape(x, …)` on its first argument.
        const target = object && this.valueOf(object) ? object : callArgs(n).positional[0];
        return target ? this.scaleOf(target, depth + 1) : undefined;
      }
    }
    return undefined;
  }

  /** A number the source states (`255`, `255.0`, `1 / 255`), else undefined. */
  private number(node: Node): number | undefined {
    const v = readValue(node, this.ctx);
    return v.ok && typeof v.value === 'number' && Number.isFinite(v.value) && v.value !== 0 ? v.value : undefined;
  }

  /** The dataset whose data an expression uses, if it uses one Model Lab can load. */
  datasetOf(expr: Node): DatasetSpec | undefined {
    return this.valueOf(expr)?.dataset;
  }

  /**
   * What data an expression holds: the first name or loader call in it that holds a dataset's data. What selects
   * some examples (a boolean mask or an index array, `X[y < 8]`) or goes through the script's own function
   * (`split_dataset(X, y)`) may hold other classes or other examples, so data inside it is not followed.
   */
  valueOf(expr: Node): DataValue | undefined {
    // In source order (preorder), as the script reads it; a selection's whole subtree is skipped. Only the nodes
    // the loop looks at are made into objects.
    const nodes = expr.subtreeOfTypes(LOOKED_AT);
    let skipUntil = -1;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (n.startIndex < skipUntil) continue;
      if (this.selects(n)) {
        skipUntil = n.endIndex;
        continue;
      }
      if (n.type === 'identifier') {
        const v = this.at(n);
        if (v) return v;
      }
      if (n.type === 'call') {
        const fn = n.childForFieldName('function');
        const name = fn ? resolveName(fn, this.ctx) : undefined;
        const module = name?.match(LOADER)?.[1];
        if (module) {
          const dataset = this.loaded(module, n);
          return dataset === undefined ? undefined : { dataset, source: 'unknown' };
        }
        if (name && PAD_SEQUENCES.has(name)) {
          const [first] = callArgs(n).positional;
          const source = first ? this.valueOf(first) : undefined;
          const dataset = this.padded(n, source?.dataset);
          return dataset === undefined ? undefined : { ...source!, dataset };
        }
      }
    }
    return undefined;
  }

  /**
   * Whether a node selects data Model Lab cannot follow: a call of a function the script defines, or a subscript
   * whose index is more than slices, integers, `...` and `np.newaxis`.
   */
  private selects(n: Node): boolean {
    if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      return fn?.type === 'identifier' && this.functions.has(fn.text);
    }
    if (n.type !== 'subscript') return false;
    return n.childrenForFieldName('subscript').some((index) => !this.keepsExamples(index));
  }

  private keepsExamples(index: Node): boolean {
    const u = unwrap(index);
    if (u.type === 'slice' || u.type === 'ellipsis' || u.type === 'none') return true;
    if (u.type === 'tuple' || u.type === 'expression_list') return u.namedChildren.every((c) => this.keepsExamples(c));
    const name = u.type === 'attribute' ? resolveName(u, this.ctx) : undefined;
    if (name === 'numpy.newaxis' || name === 'tensorflow.newaxis') return true;
    if (this.isPermutation(u)) return true;
    const v = readValue(u, this.ctx);
    return v.ok && (v.value === null || (typeof v.value === 'number' && Number.isInteger(v.value)));
  }

  /**
   * A shuffle keeps every example: `x[rng.permutation(len(x))]`, or a name assigned one (`order =
   * np.random.default_rng(42).permutation(len(x))`, as Model Lab's own exported scripts shuffle before fit).
   */
  private isPermutation(index: Node, depth = 0): boolean {
    if (index.type === 'identifier' && depth === 0) {
      const b = this.ctx.bindings.resolve(index.text, index);
      return !('reason' in b) && b.kind === 'assignment' && !!b.value && this.isPermutation(unwrap(b.value), 1);
    }
    if (index.type !== 'call') return false;
    const fn = index.childForFieldName('function');
    return fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'permutation';
  }

  /** Whether an expression uses Fashion-MNIST data. */
  fromFashion(expr: Node): boolean {
    const spec = this.datasetOf(expr);
    return (typeof spec === 'string' ? spec : spec?.name) === FASHION_MNIST;
  }

  /** The value a name has where it is used: its latest assignment before the use, else (a use before any) its first. */
  private at(id: Node): DataValue | undefined {
    if (this.held.size === 0) return undefined;
    const list = this.held.get(id.text);
    if (!list) return undefined;
    // The list is in source order: the last assignment ending at or before the use, found by bisection (a name
    // may be assigned thousands of times).
    const i = firstNotBefore(list.length, (k) => list[k].at <= id.startIndex);
    if (i > 0) return list[i - 1].value;
    return list.find((b) => b.value)?.value;
  }

  private bind(target: Node, value: DataValue | undefined, at: number): void {
    if (target.type !== 'identifier') {
      // `(x, y), (xt, yt) = …` handled by `assigned`; anything else (attributes, subscripts) binds no name.
      return;
    }
    const list = this.held.get(target.text) ?? [];
    // A later assignment of other data (or of something else) ends what the name held: record it as undefined.
    if (value || list.length > 0) list.push({ at, value });
    if (list.length > 0) this.held.set(target.text, list);
  }

  /** The (name, value) pairs an assignment makes. */
  private assigned(left: Node, right: Node): [Node, DataValue | undefined][] {
    const r = unwrap(right);
    const fn = r.type === 'call' ? r.childForFieldName('function') : null;
    const name = fn ? resolveName(fn, this.ctx) : undefined;
    const targets = parts(left);
    if (name && LOADER.test(name)) {
      // `(x_train, y_train), (x_test, y_test) = load_data()`: the first pair trains, the second tests.
      const found = this.valueOf(r);
      const whole = found && { ...found, scale: 1 };
      if (!whole) return this.each(left, undefined);
      if (targets.length !== 2) return this.each(left, whole);
      return targets.flatMap((half, i) => this.each(half, { ...whole, source: i === 0 ? 'train' : 'test' }));
    }
    if (name === TRAIN_TEST_SPLIT) return this.trainTestSplit(r, targets);
    const values = parts(right);
    if (targets.length > 1 && values.length === targets.length) {
      return targets.flatMap((t, i) => this.each(t, this.withScale(this.valueOf(values[i]), values[i])));
    }
    return this.each(left, this.withScale(this.valueOf(right), right));
  }

  private withScale(value: DataValue | undefined, expr: Node): DataValue | undefined {
    return value && { ...value, scale: this.scaleOf(expr) };
  }

  /** Every name a target pattern binds, with one value. */
  private each(target: Node, value: DataValue | undefined): [Node, DataValue | undefined][] {
    const u = unwrap(target);
    if (u.type === 'identifier') return [[u, value]];
    if (TUPLES.has(u.type)) return parts(u).flatMap((t) => this.each(t, value));
    return [];
  }

  /**
   * `a_train, a_test, b_train, b_test = train_test_split(a, b, test_size=…, random_state=…)`: each array gives a
   * training part and a held-out part, in that order. Sizes that are not literal fractions (a count, a name
   * assigned twice) leave the split unknown, and the parts hold the whole data.
   */
  private trainTestSplit(call: Node, targets: Node[]): [Node, DataValue | undefined][] {
    const args = callArgs(call);
    const kw = (k: string) => {
      const node = args.keywords.find((a) => a.name === k)?.value;
      if (!node) return undefined;
      const v = readValue(node, this.ctx);
      return v.ok ? v.value : null;
    };
    const testSize = kw('test_size');
    const trainSize = kw('train_size');
    const seed = kw('random_state');
    const shuffle = kw('shuffle');
    const fractionOf = (v: unknown) => (typeof v === 'number' && v > 0 && v < 1 ? v : undefined);
    const fraction =
      testSize !== undefined && testSize !== null
        ? fractionOf(testSize)
        : trainSize !== undefined && trainSize !== null
          ? fractionOf(trainSize) !== undefined
            ? Math.round((1 - (trainSize as number)) * 1e9) / 1e9
            : undefined
          : testSize === null || trainSize === null
            ? undefined
            : SKLEARN_TEST_SIZE;
    const split = (part: DataSplit['part']): DataSplit | undefined =>
      fraction === undefined
        ? undefined
        : {
            part,
            fraction,
            ...(typeof seed === 'number' && Number.isInteger(seed) ? { seed } : {}),
            shuffle: shuffle !== false,
          };
    return targets.flatMap((t, i) => {
      const array = args.positional[Math.floor(i / 2)];
      const value = array ? this.withScale(this.valueOf(array), array) : undefined;
      const s = split(i % 2 === 0 ? 'train' : 'validation');
      return this.each(t, value && s ? { ...value, split: s } : value);
    });
  }

  /** `load_data(...)` with literal arguments as a dataset; unknown when an argument is not literal or not Keras's. */
  private loaded(module: string, call: Node): DatasetSpec | undefined {
    const args = this.literalArgs(call);
    if (!args) return undefined;
    const result = datasetFromKerasLoadData(module, args.positional, args.keywords);
    if (!('spec' in result)) return undefined;
    // A loader called without arguments is the dataset by name, as `.model.json` spells it.
    return Object.keys(result.spec).length === 1 && result.spec.name ? result.spec.name : result.spec;
  }

  /** `pad_sequences(x, maxlen=…)`: the dataset of `x` with the padding joined to it. */
  private padded(call: Node, source: DatasetSpec | undefined): DatasetSpec | undefined {
    const args = this.literalArgs(call, 1);
    if (!source || !args) return undefined;
    const result = withPadSequences(
      typeof source === 'string' ? { name: source } : source,
      args.positional,
      args.keywords,
    );
    return 'spec' in result ? result.spec : undefined;
  }

  private literalArgs(call: Node, skip = 0): { positional: unknown[]; keywords: Record<string, unknown> } | undefined {
    const { positional, keywords, splats } = callArgs(call);
    if (splats.length > 0) return undefined;
    const values: unknown[] = [];
    for (const p of positional.slice(skip)) {
      const v = readValue(p, this.ctx);
      if (!v.ok) return undefined;
      values.push(v.value);
    }
    const named: Record<string, unknown> = {};
    for (const k of keywords) {
      const v = readValue(k.value, this.ctx);
      if (!v.ok) return undefined;
      named[k.name] = v.value;
    }
    return { positional: values, keywords: named };
  }
}
