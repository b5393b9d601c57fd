/**
 * Which names hold a Keras dataset's data, and which dataset: those assigned from
 * `keras.datasets.<name>.load_data(...)` (Fashion-MNIST, MNIST, CIFAR-10/100, IMDB, Reuters, with the loader's
 * literal arguments) and, transitively, from expressions using them (`x_train = x_train / 255.0`,
 * `X_valid = X_train_full[:5000]`, `x = keras.utils.pad_sequences(x, maxlen=200)`). A model trains on that dataset
 * when its `fit` gets such data.
 */
import { datasetFromKerasLoadData, withPadSequences } from '../datasets';
import type { DatasetSpec } from '../types';
import type { Node } from './py-node';
import { callArgs, walk } from './syntax';
import { readValue, resolveName, type ReadContext } from './values';

export const FASHION_MNIST = 'fashion-mnist';
const LOADER = /^keras\.datasets\.(\w+)\.load_data$/;
const PAD_SEQUENCES = new Set(['keras.utils.pad_sequences', 'keras.preprocessing.sequence.pad_sequences']);

export class DataFlow {
  private readonly held = new Map<string, DatasetSpec>();

  constructor(
    root: Node,
    private readonly ctx: ReadContext,
  ) {
    // Source order, so a chain of assignments propagates in one pass.
    for (const node of walk(root)) {
      if (node.type !== 'assignment') continue;
      const right = node.childForFieldName('right');
      const left = node.childForFieldName('left');
      const spec = right && left ? this.datasetOf(right) : undefined;
      if (spec) for (const id of walk(left!)) if (id.type === 'identifier') this.held.set(id.text, spec);
    }
  }

  /** The dataset whose data an expression uses, if it uses one Model Lab can load. */
  datasetOf(expr: Node): DatasetSpec | undefined {
    const stack: Node[] = [expr];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.type === 'identifier' && this.held.has(n.text)) return this.held.get(n.text);
      if (n.type === 'call') {
        const fn = n.childForFieldName('function');
        const name = fn ? resolveName(fn, this.ctx) : undefined;
        const module = name?.match(LOADER)?.[1];
        if (module) return this.loaded(module, n);
        if (name && PAD_SEQUENCES.has(name)) return this.padded(n);
      }
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
    return undefined;
  }

  /** Whether an expression uses Fashion-MNIST data. */
  fromFashion(expr: Node): boolean {
    const spec = this.datasetOf(expr);
    return (typeof spec === 'string' ? spec : spec?.name) === FASHION_MNIST;
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
  private padded(call: Node): DatasetSpec | undefined {
    const [first] = callArgs(call).positional;
    const source = first ? this.datasetOf(first) : undefined;
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
