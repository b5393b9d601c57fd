/**
 * `keras.utils.set_random_seed(42)` / `tf.random.set_seed(42)`: the seed in force when a model is built is the
 * one Model Lab trains it with (`fit.seed`).
 */
import type { Node } from './py-node';
import { callArgs, walk } from './syntax';
import { resolveName, type ReadContext } from './values';

const SEEDERS = new Set([
  'keras.utils.set_random_seed',
  'tensorflow.random.set_seed',
  'tensorflow.keras.utils.set_random_seed',
]);

export class Seeds {
  private readonly args: Node[] = [];

  constructor(root: Node, ctx: ReadContext) {
    for (const n of walk(root)) {
      if (n.type !== 'call') continue;
      const fn = n.childForFieldName('function');
      const arg = callArgs(n).positional[0] ?? callArgs(n).keywords.find((k) => k.name === 'seed')?.value;
      if (fn && arg && SEEDERS.has(resolveName(fn, ctx) ?? '')) this.args.push(arg);
    }
  }

  /** The seed argument of the last seeding call before `node`, if any. */
  before(node: Node): Node | undefined {
    let found: Node | undefined;
    for (const a of this.args) if (a.startIndex < node.startIndex) found = a;
    return found;
  }
}
