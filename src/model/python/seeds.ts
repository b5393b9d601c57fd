/**
 * `keras.utils.set_random_seed(42)` / `tf.random.set_seed(42)`: the seed in force when a model is built is the
 * one Model Lab trains it with (`fit.seed`).
 */
import type { Node } from './py-node';
import { callArgs } from './syntax';
import { callsNamed, type ReadContext } from './values';

const SEEDERS = new Set([
  'keras.utils.set_random_seed',
  'tensorflow.random.set_seed',
  'tensorflow.keras.utils.set_random_seed',
]);

export class Seeds {
  private readonly args: Node[] = [];

  constructor(ctx: ReadContext) {
    const calls = callsNamed(ctx, (name) => SEEDERS.has(name));
    for (let i = 0; i < calls.length; i++) {
      const n = calls[i];
      const args = callArgs(n);
      const arg = args.positional[0] ?? args.keywords.find((k) => k.name === 'seed')?.value;
      if (arg) this.args.push(arg);
    }
  }

  /** The seed argument of the last seeding call before `node`, if any. */
  before(node: Node): Node | undefined {
    let found: Node | undefined;
    for (const a of this.args) {
      if (a.startIndex >= node.startIndex) break; // in source order
      found = a;
    }
    return found;
  }
}
