/**
 * Optimizers a script builds and never uses: `sgd = keras.optimizers.SGD(learning_rate=0.1)` in a tutorial's cell
 * that shows the optimizer and leaves compiling with it to the reader. Python would build it and drop it; a
 * comparison of the file's models offers it on the model current where it is built (`trainings` of ParsedModel).
 */
import type { Node } from './py-node';
import type { ScriptIndex } from './script-index';
import { unwrap } from './syntax';
import { resolveName, type ReadContext } from './values';

const OPTIMIZER = /^keras\.optimizers\.\w+$/;

/** The optimizer call a statement `NAME = keras.optimizers.X(...)` builds, when NAME is never read afterwards. */
export function unusedOptimizer(statement: Node, ctx: ReadContext): Node | undefined {
  // Every model reads the statements after it: each statement is looked at once (the answer is the script's).
  // The answers are kept per read, by node id: a WeakMap entry per statement of a large file made every
  // young-generation collection slow.
  let memo = UNUSED.get(ctx.index);
  if (!memo) UNUSED.set(ctx.index, (memo = new Map()));
  if (!memo.has(statement.id)) memo.set(statement.id, findUnused(statement, ctx));
  return memo.get(statement.id);
}

const UNUSED = new WeakMap<ScriptIndex, Map<number, Node | undefined>>();

function findUnused(statement: Node, ctx: ReadContext): Node | undefined {
  const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : undefined;
  if (assignment?.type !== 'assignment') return undefined;
  const left = assignment.childForFieldName('left');
  const right = assignment.childForFieldName('right');
  const value = right ? unwrap(right) : undefined;
  if (left?.type !== 'identifier' || value?.type !== 'call') return undefined;
  const fn = value.childForFieldName('function');
  if (!fn || !OPTIMIZER.test(resolveName(fn, ctx) ?? '')) return undefined;
  for (const n of ctx.bindings.occurrences(left.text)) {
    if (n.startIndex < statement.endIndex) continue;
    if (n.parent?.type === 'assignment' && n.parent.childForFieldName('left')?.id === n.id) continue;
    const c = ctx.bindings.constant(n.text, n);
    // A read of this very assignment's value, or one Model Lab cannot pin down: the optimizer may be used.
    if (!('value' in c) || c.value.id === right!.id) return undefined;
  }
  return value;
}
