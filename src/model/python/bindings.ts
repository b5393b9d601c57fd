/**
 * Where each name in a script gets its value. Model Lab resolves a name only when the script gives it exactly one
 * value, by a plain `NAME = expression` (a constant, in practice): a name assigned twice, a loop variable or a
 * function parameter depends on how the script runs. Scopes are not separated: the same name bound in two functions
 * counts as two bindings, which errs on the side of not guessing.
 */
import type { Node } from './py-node';
import type { ScriptIndex } from './script-index';
import { unwrap } from './syntax';

/**
 * Which block an if statement runs, when its conditions are known before the script runs (values.ts `takenBranch`):
 * the block, null for none, undefined when unknown.
 */
export type BranchDecider = (statement: Node) => Node | null | undefined;

export type BindingKind = 'assignment' | 'unpacked' | 'parameter' | 'loop' | 'import' | 'other';

export interface Binding {
  kind: BindingKind;
  /** The name's occurrence where it is bound. */
  target: Node;
  /** For a plain assignment, the expression assigned; for an unpacking (`(x, y), _ = f()`), the whole right side. */
  value?: Node;
  /** For an unpacking, where the name sits in the right side's value: `[0, 1]` for `y` above. */
  path?: number[];
}

const CONDITIONAL: Record<string, string> = {
  if_statement: 'an if statement',
  for_statement: 'a for loop',
  while_statement: 'a while loop',
  try_statement: 'a try statement',
  match_statement: 'a match statement',
  conditional_expression: 'a conditional expression',
};

/** The list methods that change a list in place (`layers.append(Dense(64))`). */
const LIST_MUTATORS = ['append', 'extend', 'insert', 'pop', 'remove', 'clear'];

/** The node types `visit` reads bindings from. */
const VISITED = [
  'call',
  'assignment',
  'augmented_assignment',
  'for_statement',
  'for_in_clause',
  'named_expression',
  'as_pattern',
  'function_definition',
  'class_definition',
  'lambda',
  'aliased_import',
  'import_statement',
  'import_from_statement',
  'except_clause',
  'global_statement',
  'nonlocal_statement',
];

/** The function, lambda or class whose scope a node is in, or the module. */
function scopeOf(node: Node): Node {
  let p = node.parent;
  let last = node;
  for (; p; last = p, p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'lambda' || p.type === 'class_definition') return p;
  }
  return last;
}

export class Bindings {
  private readonly byName = new Map<string, Binding[]>();
  private readonly callsByName = new Map<string, Node[]>();
  private identifiers?: Map<string, Node[]>;
  /** The names with an assignment of a name or attribute chain (`fashion_mnist = keras.datasets.fashion_mnist`). */
  private readonly aliases = new Set<string>();

  constructor(private readonly index: ScriptIndex) {
    const nodes = index.ofTypes(VISITED);
    for (let i = 0; i < nodes.length; i++) this.visit(nodes[i]);
  }

  /** Every occurrence of the identifier `name` in the script, in source order (indexed on first use). */
  occurrences(name: string): readonly Node[] {
    if (!this.identifiers) {
      this.identifiers = new Map();
      const ids = this.index.ofType('identifier');
      const texts = this.index.identifierTexts();
      for (let i = 0; i < ids.length; i++) {
        const list = this.identifiers.get(texts[i]);
        if (list) list.push(ids[i]);
        else this.identifiers.set(texts[i], [ids[i]]);
      }
    }
    return this.identifiers.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * Whether some plain assignment gives `name` another name or attribute chain: only then can `constant(name)`
   * be one, and a dotted name starting with it need the assignment followed (values.ts `resolveName`).
   */
  mayAlias(name: string): boolean {
    return this.aliases.has(name);
  }

  get(name: string): Binding[] {
    return this.byName.get(name) ?? [];
  }

  /** The calls of `name(…)` (and of methods `x.name(…)`) in source order. */
  callsOf(name: string): Node[] {
    return this.callsByName.get(name) ?? [];
  }

  /**
   * The expression `name` holds: its single assignment, or, when `at` (the use) is given, the most recent assignment
   * before the use in program order, as Python runs it (`sgd = SGD(0.1)` … `sgd = SGD(momentum=0.9)`), or why there
   * is none. An assignment inside an if, loop or try that does not contain the use depends on how the script runs,
   * unless `decide` knows the if statement's branch: then an assignment in a branch not taken is passed over.
   */
  constant(name: string, at?: Node, decide?: BranchDecider): { value: Node } | { reason: string } {
    const b = this.resolve(name, at, decide);
    if ('reason' in b) return b;
    if (b.kind === 'assignment' && b.value) {
      const changed = this.changedInPlace(name, b, at);
      return changed ? { reason: changed } : { value: b.value };
    }
    return { reason: this.why(name, b) };
  }

  /**
   * Why a list literal assigned to `name` no longer holds what it says at `at` (the script changes it in place with
   * `name.append(…)` and the like between the assignment and the use, in the same scope), or undefined.
   */
  private changedInPlace(name: string, b: Binding, at?: Node): string | undefined {
    if (!b.value || unwrap(b.value).type !== 'list') return undefined;
    const scope = scopeOf(b.target);
    const end = at?.startIndex ?? Infinity;
    for (const method of LIST_MUTATORS) {
      const call = this.callsOf(method).find((c) => {
        const fn = c.childForFieldName('function');
        return (
          fn?.type === 'attribute' &&
          fn.childForFieldName('object')?.text === name &&
          c.startIndex > b.target.startIndex &&
          c.startIndex < end &&
          scopeOf(c) === scope
        );
      });
      if (call) return `'${name}' is filled by ${method}() as the script runs`;
    }
    return undefined;
  }

  /** The binding `name` has at `at` (see `constant`), whatever its kind, or why there is no single one. */
  resolve(name: string, at?: Node, decide?: BranchDecider): Binding | { reason: string } {
    const found = this.get(name);
    if (found.length === 0) return { reason: `'${name}' is not defined in this file` };
    if (found.length === 1) return found[0];
    const chosen = at ? this.atPointOfUse(name, found, at, decide) : { reason: `'${name}' is assigned more than once` };
    return 'reason' in chosen ? chosen : chosen.binding;
  }

  /** Why a binding that is not a plain assignment has no value known before the script runs. */
  why(name: string, b: Binding): string {
    if (b.kind === 'unpacked') return `'${name}' is unpacked from a value only known when the script runs`;
    if (b.kind === 'parameter') return `'${name}' is a function parameter`;
    if (b.kind === 'loop') return `'${name}' is a loop variable`;
    if (b.kind === 'import') return `'${name}' is imported from another module`;
    return `'${name}' only gets its value when the script runs`;
  }

  /** Per name, its bindings grouped by the scope they are in, each group sorted by position (built on first use). */
  private readonly scoped = new Map<string, Map<Node, Binding[]>>();

  private byScope(name: string, found: Binding[]): Map<Node, Binding[]> {
    let groups = this.scoped.get(name);
    if (!groups) {
      groups = new Map();
      for (const b of found) {
        const scope = scopeOf(b.target);
        const list = groups.get(scope);
        if (list) list.push(b);
        else groups.set(scope, [b]);
      }
      for (const list of groups.values()) list.sort((a, b) => a.target.startIndex - b.target.startIndex);
      this.scoped.set(name, groups);
    }
    return groups;
  }

  private atPointOfUse(
    name: string,
    found: Binding[],
    at: Node,
    decide?: BranchDecider,
  ): { binding: Binding } | { reason: string } {
    const useScope = scopeOf(at);
    const groups = this.byScope(name, found);
    const local = groups.get(useScope) ?? [];
    // Python: a name bound anywhere in a function is local to it; otherwise the module's binding is used, and from
    // inside a function that is the one in force when the function is called, which the source does not say.
    const pool = local.length > 0 ? local : ([...groups].find(([scope]) => scope.type === 'module')?.[1] ?? []);
    if (local.length === 0 && useScope.type !== 'module' && pool.length > 1) {
      // A module name used in a function has the value in force when the function runs: at its first call from
      // the module's own code, when there is one.
      let fn: Node = useScope;
      while (scopeOf(fn).type !== 'module') fn = scopeOf(fn);
      const fnName = fn.type === 'function_definition' ? fn.childForFieldName('name')?.text : undefined;
      const call = fnName
        ? this.callsOf(fnName).find(
            (c) => scopeOf(c).type === 'module' && c.childForFieldName('function')?.type === 'identifier',
          )
        : undefined;
      if (call) return this.atPointOfUse(name, found, call, decide);
      return { reason: `'${name}' is assigned more than once` };
    }
    // The latest binding before the use (found by bisection: a name may be bound thousands of times), passing over
    // `x = x / 255.0`, whose `x` on the right is the value before this assignment.
    const within = (b: Binding) => !!b.value && b.value.startIndex <= at.startIndex && at.endIndex <= b.value.endIndex;
    let lo = 0;
    let hi = pool.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pool[mid].target.startIndex < at.startIndex) lo = mid + 1;
      else hi = mid;
    }
    const contains = (outer: Node, n: Node) => outer.startIndex <= n.startIndex && n.endIndex <= outer.endIndex;
    let k = lo - 1;
    for (;;) {
      while (k >= 0 && within(pool[k])) k--;
      const b = pool[k];
      if (!b) return { reason: `'${name}' is assigned only after this use` };
      // An assignment in a branch an if statement does not take never runs: the one before it is in force.
      let skipped = false;
      for (let p = b.target.parent; p && p !== useScope && !skipped; p = p.parent) {
        if (!CONDITIONAL[p.type] || contains(p, at)) continue;
        const taken = p.type === 'if_statement' && decide ? decide(p) : undefined;
        if (taken === undefined)
          return {
            reason: `'${name}' is last assigned inside ${CONDITIONAL[p.type]}, so its value depends on how the script runs`,
          };
        skipped = !taken || !contains(taken, b.target);
      }
      if (!skipped) return { binding: b };
      k--;
    }
  }

  private add(name: Node, kind: BindingKind, value?: Node, path?: number[]): void {
    const text = name.text;
    const list = this.byName.get(text);
    const binding = path ? { kind, target: name, value, path } : { kind, target: name, value };
    if (list) list.push(binding);
    else this.byName.set(text, [binding]);
    if (kind === 'assignment' && value) {
      const type = unwrap(value).type;
      if (type === 'identifier' || type === 'attribute') this.aliases.add(text);
    }
  }

  /**
   * Every identifier a target pattern binds (`a`, `a, b`, `(a, [b, c])`, `*rest`). With `value`, the names of an
   * unpacking without a starred part are 'unpacked' bindings that know their place in the value.
   */
  private addTargets(target: Node, kind: BindingKind, value?: Node, path: number[] = []): void {
    if (target.type === 'identifier') {
      if (value && path.length > 0) this.add(target, 'unpacked', value, path);
      else this.add(target, kind);
    } else if (target.type === 'parenthesized_expression') {
      for (const c of target.namedChildren) if (c) this.addTargets(c, kind, value, path);
    } else if (
      ['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'expression_list'].includes(target.type)
    ) {
      const items = target.namedChildren.filter((c) => c.type !== 'comment');
      const starred = items.some((c) => c.type === 'list_splat_pattern' || c.type === 'list_splat');
      items.forEach((c, i) => this.addTargets(c, kind, starred ? undefined : value, [...path, i]));
    } else if (target.type === 'list_splat_pattern' || target.type === 'list_splat') {
      for (const c of target.namedChildren) if (c) this.addTargets(c, kind);
    }
    // Attributes and subscripts (`self.x = …`, `a[0] = …`) bind no name.
  }

  private visit(node: Node): void {
    switch (node.type) {
      case 'call': {
        const fn = node.childForFieldName('function');
        const called =
          fn?.type === 'identifier' ? fn.text : fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : '';
        if (called) {
          const list = this.callsByName.get(called) ?? [];
          list.push(node);
          this.callsByName.set(called, list);
        }
        break;
      }
      case 'assignment': {
        const left = node.childForFieldName('left');
        let right = node.childForFieldName('right');
        // `a = b = 1` nests: the value is the innermost right-hand side.
        while (right?.type === 'assignment') right = right.childForFieldName('right');
        if (left?.type === 'identifier') this.add(left, right ? 'assignment' : 'other', right ?? undefined);
        else if (left) this.addTargets(left, 'other', right ?? undefined);
        break;
      }
      case 'augmented_assignment': {
        const left = node.childForFieldName('left');
        if (left) this.addTargets(left, 'other');
        break;
      }
      case 'for_statement':
      case 'for_in_clause': {
        const left = node.childForFieldName('left');
        if (left) this.addTargets(left, 'loop');
        break;
      }
      case 'named_expression': {
        const name = node.childForFieldName('name');
        if (name) this.add(name, 'other');
        break;
      }
      case 'as_pattern': {
        const alias = node.childForFieldName('alias');
        if (alias)
          this.addTargets(alias.type === 'as_pattern_target' ? (alias.namedChild(0) ?? alias) : alias, 'other');
        break;
      }
      case 'function_definition':
      case 'class_definition': {
        const name = node.childForFieldName('name');
        if (name) this.add(name, 'other');
        if (node.type === 'function_definition') {
          const params = node.childForFieldName('parameters');
          if (params) this.addParameters(params);
        }
        break;
      }
      case 'lambda': {
        const params = node.childForFieldName('parameters');
        if (params) this.addParameters(params);
        break;
      }
      case 'aliased_import': {
        const alias = node.childForFieldName('alias');
        if (alias) this.add(alias, 'import');
        break;
      }
      case 'import_statement':
      case 'import_from_statement':
        for (const name of node.childrenForFieldName('name')) {
          if (name?.type === 'dotted_name') {
            const first =
              node.type === 'import_statement' ? name.namedChild(0) : name.namedChild(name.namedChildCount - 1);
            if (first) this.add(first, 'import');
          }
        }
        break;
      case 'except_clause':
      case 'global_statement':
      case 'nonlocal_statement':
        for (const c of node.namedChildren) if (c?.type === 'identifier') this.add(c, 'other');
        break;
    }
  }

  private addParameters(params: Node): void {
    for (const p of params.namedChildren) {
      if (!p) continue;
      if (p.type === 'identifier') this.add(p, 'parameter');
      else {
        const name = p.childForFieldName('name') ?? p.namedChildren.find((c) => c?.type === 'identifier');
        if (name?.type === 'identifier') this.add(name, 'parameter');
      }
    }
  }
}
