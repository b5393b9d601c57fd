/**
 * Which names hold Fashion-MNIST data: those assigned from `keras.datasets.fashion_mnist.load_data()` and,
 * transitively, from expressions using them (`x_train = x_train / 255.0`, `X_valid = X_train_full[:5000]`).
 * A model trains on Fashion-MNIST when its `fit` gets such data.
 */
import type { Node } from './py-node';
import { walk } from './syntax';
import { resolveName, type ReadContext } from './values';

export const FASHION_MNIST = 'fashion-mnist';
const LOADER = 'keras.datasets.fashion_mnist.load_data';

export class DataFlow {
  private readonly tainted = new Set<string>();

  constructor(
    root: Node,
    private readonly ctx: ReadContext,
  ) {
    // Source order, so a chain of assignments propagates in one pass.
    for (const node of walk(root)) {
      if (node.type !== 'assignment') continue;
      const right = node.childForFieldName('right');
      const left = node.childForFieldName('left');
      if (right && left && this.fromFashion(right)) {
        for (const id of walk(left)) if (id.type === 'identifier') this.tainted.add(id.text);
      }
    }
  }

  /** Whether an expression uses Fashion-MNIST data. */
  fromFashion(expr: Node): boolean {
    for (const n of walk(expr)) {
      if (n.type === 'identifier' && this.tainted.has(n.text)) return true;
      if (n.type === 'call') {
        const fn = n.childForFieldName('function');
        if (fn && resolveName(fn, this.ctx) === LOADER) return true;
      }
    }
    return false;
  }
}
