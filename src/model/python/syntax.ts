/** Small helpers over tree-sitter-python nodes: ranges, dotted names, call arguments. */
import type { Node } from './py-node';
import type { Range } from '../types';

/** tree-sitter columns count UTF-16 code units here, exactly what VS Code positions use. */
export function rangeOf(node: Node): Range {
  // Each position is a search of the line starts: ask once for each.
  const start = node.startPosition;
  const end = node.endPosition;
  return { start: { line: start.row, character: start.column }, end: { line: end.row, character: end.column } };
}

/** `keras.layers.Dense` → ['keras', 'layers', 'Dense']; undefined for anything but names and attributes. */
export function dottedParts(node: Node): string[] | undefined {
  if (node.type === 'identifier') return [node.text];
  if (node.type === 'attribute') {
    const object = node.childForFieldName('object');
    const attribute = node.childForFieldName('attribute');
    if (!object || !attribute) return undefined;
    const head = dottedParts(object);
    return head ? [...head, attribute.text] : undefined;
  }
  return undefined;
}

/** Drops parentheses around an expression: `(x)` reads as `x`. */
export function unwrap(node: Node): Node {
  let n = node;
  while (n.type === 'parenthesized_expression' && n.namedChildCount === 1 && n.namedChild(0)) n = n.namedChild(0)!;
  return n;
}

export interface KeywordArg {
  name: string;
  nameNode: Node;
  value: Node;
}

export interface CallArgs {
  positional: Node[];
  keywords: KeywordArg[];
  /** `*args` / `**kwargs`: their contents are only known when the script runs. */
  splats: Node[];
}

export function callArgs(call: Node): CallArgs {
  const out: CallArgs = { positional: [], keywords: [], splats: [] };
  const list = call.childForFieldName('arguments');
  if (!list) return out;
  for (const arg of list.namedChildren) {
    if (!arg || arg.type === 'comment') continue;
    if (arg.type === 'keyword_argument') {
      const name = arg.childForFieldName('name');
      const value = arg.childForFieldName('value');
      if (name && value) out.keywords.push({ name: name.text, nameNode: name, value });
    } else if (arg.type === 'list_splat' || arg.type === 'dictionary_splat') {
      out.splats.push(arg);
    } else {
      out.positional.push(arg);
    }
  }
  return out;
}

/** The call inside `x = call(...)` or a bare `call(...)` statement. */
export function statementCall(statement: Node): Node | undefined {
  if (statement.type !== 'expression_statement') return undefined;
  const expr = statement.namedChild(0);
  if (!expr) return undefined;
  if (expr.type === 'call') return expr;
  if (expr.type === 'assignment') {
    const right = expr.childForFieldName('right');
    if (right?.type === 'call') return right;
  }
  return undefined;
}

/**
 * Every node of a subtree, depth first in source order: a slice of the tree's preorder list (the whole list for the
 * root), so the many passes over a large file walk nothing and allocate nothing per node. Do not modify it.
 */
export function walk(node: Node): readonly Node[] {
  return node.subtree();
}

/**
 * The first index in 0…length where `before(i)` is false, for a `before` that holds on a prefix (a sorted list's
 * entries before a position): bisection, so a name bound or used thousands of times costs a few steps.
 */
export function firstNotBefore(length: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Source text for a message: one line, at most 40 characters. */
export function shortText(node: Node): string {
  const t = node.text.replace(/\s+/g, ' ').trim();
  return t.length > 40 ? `${t.slice(0, 37)}...` : t;
}
