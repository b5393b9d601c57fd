/**
 * Keras's functional API read from a script: `inputs = keras.Input(shape=…)`, `x = layers.Dense(…)(x)`, merges
 * (`layers.add([a, b])`, `Add()([a, b])`, …) and `keras.Model(inputs, outputs)`, into a graph definition (each layer
 * with the `inputs` it takes). The assignments before the Model call in its block are followed in order, so
 * `x = …(x)` chains read as written; compile and fit after it are read as for Sequential models.
 *
 * Read-only parts (what Model Lab cannot follow without running the script) stop the model with the reason:
 * a layer object applied twice (shared weights), tensors made by other code (slicing, tf ops), unpacking.
 */
import type { Node } from './py-node';
import { inferLayers, layerNames } from '../infer';
import type { LayerSpec, ModelDefinition, ParsedModel, Range, SummaryPrint } from '../types';
import { Collector } from './collector';
import { readFit, type FitResult } from './compile-fit';
import type { DataFlow } from './dataset';
import { activationLayers, readLayer } from './layers';
import { layerDef } from '../layers/registry';
import type { CallArgs } from './syntax';
import { applyTraining, methodOf, modelVariable, readSummaryCall, reassigns, type MethodCalls } from './models';
import type { Seeds } from './seeds';
import { callArgs, rangeOf, shortText, statementCall, unwrap } from './syntax';
import { callsNamed, readValue, resolveName, takenBranch, type ReadContext } from './values';
import { loopValues } from './layer-lists';
import { argumentsByParameter, isMethodDef, LayerArgument, parametersOf } from './function-params';

export const MODEL_NAMES: ReadonlySet<string> = new Set(['keras.Model', 'keras.models.Model']);
/** The nodes that assign names (their `left`) in a statement the scan does not follow. */
const ASSIGNING = ['assignment', 'augmented_assignment', 'for_statement'];
const IDENTIFIER = ['identifier'];
/** Python's operators between tensors: the Keras layer they make, and Keras 2's TFOpLambda name for them. */
const OPERATORS: Readonly<Record<string, { type: string; keras2: string }>> = {
  '+': { type: 'Add', keras2: 'tf.__operators__.add' },
  '-': { type: 'Subtract', keras2: 'tf.math.subtract' },
  '*': { type: 'Multiply', keras2: 'tf.math.multiply' },
};

/**
 * The layers of a read functional model that an operator made (`x + y`), with Keras 2's name for them: the session
 * names them from that name's own counter and prints them as TFOpLambda (Keras 2), or as the layer (Keras 3).
 */
export const operatorNames = new WeakMap<LayerSpec, string>();

const MERGE_FUNCTIONS: Readonly<Record<string, string>> = {
  add: 'Add',
  subtract: 'Subtract',
  multiply: 'Multiply',
  average: 'Average',
  maximum: 'Maximum',
  minimum: 'Minimum',
  concatenate: 'Concatenate',
  dot: 'Dot',
};

/** Every `keras.Model(...)` call in source order. */
export function functionalCalls(ctx: ReadContext): Node[] {
  return callsNamed(ctx, (name) => MODEL_NAMES.has(name));
}

interface TensorLayer {
  spec: LayerSpec;
  /** Indices of the layers whose outputs it takes. */
  from: number[];
  /** The node giving those inputs (for `inputs` ranges). */
  inputsNode?: Node;
  /** Or the call's arguments giving them one each (attention's query, value, key), in the layer's order. */
  inputNodes?: Node[];
  /** Made by an operator (`x + y`): Keras 2's name for it (`tf.__operators__.add`), see `operatorNames`. */
  operator?: string;
  values: [(string | number)[], Range][];
  keys: [(string | number)[], Range][];
}

/**
 * Why a functional model cannot be read, at `node`: thrown through the scan and caught by readFunctional. Not an
 * Error: an Error captures a stack trace when made, and a scan of dense Keras code makes one for every name a
 * statement it does not follow assigns (kept until the name is used or assigned again), which on 5 MB was a tenth of
 * the read in stack captures and the garbage collector.
 */
class Unreadable {
  constructor(
    readonly node: Node,
    readonly message: string,
  ) {}
}

/**
 * The functional layers of one block, followed assignment by assignment in order: which names hold which tensor
 * (`env`), the layers made so far, names poisoned by something unreadable, layer objects already applied. Every
 * `keras.Model(...)` of the block reads the state just before its own statement, so the block is followed once
 * for all its models, not once per model (reading a file stays linear in its size).
 */
class TensorScan {
  readonly layers: TensorLayer[] = [];
  env = new Map<string, number>();
  private readonly applied = new Set<string>();
  /** Names assigned something Model Lab could not read: an error only if the model uses them. */
  private poisoned = new Map<string, Unreadable>();
  /** How many helper functions' calls are being followed, one inside another (`inline`). */
  private depth = 0;
  /** The helper function whose call is being followed, if any. */
  private helper?: Node;
  /** Where the first layer made in the block starts. */
  firstStart?: Range;
  /** The pass of the for loop being unrolled (`loop id.index`), '' outside one: a layer call makes a new layer each pass. */
  private pass = '';
  /** The next statement to follow. */
  next: Node | null;

  constructor(
    first: Node | null,
    private ctx: ReadContext,
  ) {
    this.next = first;
    this.ctx = { ...ctx, tensorShape: (node) => this.shapeOf(node) };
  }

  /**
   * The shape Keras gives a followed tensor (`x.shape`, batch first): its layers and their ancestors inferred as a
   * graph of their own. Undefined for a name that holds no followed tensor, or a shape not known.
   */
  private shapeOf(node: Node): (number | null)[] | undefined {
    const n = unwrap(node);
    const at = n.type === 'identifier' ? this.env.get(n.text) : undefined;
    if (at === undefined) return undefined;
    const kept = feeding(this.layers, [at]);
    const specs = kept.map((i) => ({ ...this.layers[i].spec }));
    const names = layerNames(specs);
    const index = new Map(kept.map((i, k) => [i, k]));
    kept.forEach((i, k) => {
      if (specs[k].type !== 'InputLayer') specs[k].inputs = inputsOf(this.layers[i], names, index);
    });
    try {
      const shape = inferLayers(
        { layers: specs, outputs: names[index.get(at)!] },
        { values: new Map(), keys: new Map() },
        new Set(),
      ).layers[index.get(at)!]?.outputShape;
      return shape && shape.every((d) => d === null || typeof d === 'number') ? [...shape] : undefined;
    } catch {
      // Specs not yet checked against the schema: a shape that cannot be inferred is one not known.
      return undefined;
    }
  }

  /** Follows the block's assignments up to (not including) `statement`; false if it is already past it. */
  upTo(statement: Node): boolean {
    for (; this.next && this.next.id !== statement.id; this.next = this.next.nextNamedSibling) {
      if (this.next.startIndex > statement.startIndex) return false;
      this.follow(this.next);
    }
    return this.next?.id === statement.id;
  }

  tensorOf(node: Node): number {
    const n = unwrap(node);
    const inlined = this.inline(n);
    if (inlined !== undefined) return inlined;
    if (n.type === 'call' || n.type === 'binary_operator') {
      // A layer (or model) applied inline to another's output: `discriminator(generator(gan_input))`; `x + y`.
      const layer = this.readTensor(n);
      if (layer) {
        this.layers.push(layer);
        this.firstStart ??= layer.values.find(([p]) => p.length === 0)?.[1];
        return this.layers.length - 1;
      }
    }
    const i = n.type === 'identifier' ? this.env.get(n.text) : undefined;
    const poison = n.type === 'identifier' ? this.poisoned.get(n.text) : undefined;
    if (i === undefined && poison) throw poison;
    if (i === undefined)
      throw new Unreadable(n, `'${shortText(n)}' is not a tensor Model Lab followed from a keras.Input`);
    return i;
  }

  tensorList(node: Node): number[] {
    const n = unwrap(node);
    if (n.type === 'list' || n.type === 'tuple')
      return n.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment').map((c) => this.tensorOf(c));
    return [this.tensorOf(n)];
  }

  private mentionsTensor(node: Node): Node | undefined {
    return this.ctx.index.firstNamed(this.env, node);
  }

  /** A followed tensor's name in `node`, or a name whose tensor could not be followed (it stops the model). */
  private mentionsTensorOrPoisoned(node: Node): Node | undefined {
    return this.mentionsTensor(node) ?? this.ctx.index.firstNamed(this.poisoned, node);
  }

  /**
   * One statement of the block. Compound statements are read as Python runs them where that is known: `with` bodies
   * in place, the branch an if statement takes, a for loop over literal values pass by pass (each pass's layer calls
   * make new layers); otherwise every name assigned inside depends on how the script runs.
   */
  private follow(s: Node): void {
    switch (s.type) {
      case 'expression_statement':
        this.followAssignment(s);
        return;
      case 'with_statement':
        this.followAll(s.childForFieldName('body'));
        return;
      case 'if_statement': {
        const taken = takenBranch(s, this.ctx);
        if (taken !== undefined) {
          this.followAll(taken);
          return;
        }
        break;
      }
      case 'for_statement':
        if (this.unroll(s)) return;
        break;
      case 'while_statement':
      case 'try_statement':
      case 'match_statement':
        break;
      default:
        return;
    }
    this.poisonAssigned(s);
  }

  private followAll(block: Node | null): void {
    for (const c of block?.namedChildren ?? []) if (c.type !== 'comment') this.follow(c);
  }

  /** `for size in [128, 256]:` with a body Model Lab can follow: each pass with the loop variable's value. */
  private unroll(loop: Node): boolean {
    const variable = loop.childForFieldName('left');
    const iterable = loop.childForFieldName('right');
    const body = loop.childForFieldName('body');
    if (variable?.type !== 'identifier' || !iterable || !body || loop.childForFieldName('alternative')) return false;
    if (body.subtreeOfTypes(['break_statement', 'continue_statement']).length > 0) return false;
    const values = loopValues(iterable, this.ctx);
    if (!Array.isArray(values)) return false;
    const outer = this.ctx;
    const outerPass = this.pass;
    try {
      values.forEach((v, i) => {
        this.ctx = { ...outer, locals: new Map([...(outer.locals ?? []), [variable.text, v]]) };
        this.pass = `${outerPass}${loop.id}.${i}`;
        this.followAll(body);
      });
    } finally {
      this.ctx = outer;
      this.pass = outerPass;
    }
    return true;
  }

  /** Every name a statement Model Lab does not follow assigns: unreadable if a model uses it. */
  private poisonAssigned(s: Node): void {
    const kind = s.type.replace(/_statement$/, '').replace('_', ' ');
    const what = kind === 'for' ? 'a for loop' : kind === 'if' ? 'an if statement' : `a ${kind} statement`;
    for (const n of s.subtreeOfTypes(ASSIGNING)) {
      const target =
        n.type === 'assignment' || n.type === 'augmented_assignment'
          ? n.childForFieldName('left')
          : n.type === 'for_statement'
            ? n.childForFieldName('left')
            : null;
      if (!target) continue;
      const names = target.subtreeOfTypes(IDENTIFIER);
      for (const name of names) {
        this.env.delete(name.text);
        this.poisoned.set(
          name.text,
          new Unreadable(
            name,
            `'${name.text}' is assigned inside ${what}, so its value depends on how the script runs`,
          ),
        );
      }
    }
  }

  private followAssignment(s: Node): void {
    const assignment = s.namedChild(0);
    if (assignment?.type !== 'assignment') return;
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    if (!left || !right) return;
    const names = left.type === 'identifier' ? [left.text] : left.subtreeOfTypes(IDENTIFIER).map((x) => x.text);
    const alias = unwrap(right);
    if (
      left.type === 'identifier' &&
      alias.type === 'identifier' &&
      (this.env.has(alias.text) || this.poisoned.has(alias.text))
    ) {
      // `previous_block_activation = x`: another name for the same tensor (keras.io's residual blocks).
      const i = this.env.get(alias.text);
      this.env.delete(left.text);
      this.poisoned.delete(left.text);
      if (i !== undefined) this.env.set(left.text, i);
      else this.poisoned.set(left.text, this.poisoned.get(alias.text)!);
      return;
    }
    try {
      const inlined = this.inline(alias);
      if (inlined !== undefined) {
        if (left.type !== 'identifier')
          throw new Unreadable(left, 'unpacking what a function returns is only known when the script runs');
        this.poisoned.delete(left.text);
        this.env.set(left.text, inlined);
        return;
      }
      const layer = this.readTensor(right);
      if (left.type !== 'identifier') {
        if (layer) throw new Unreadable(left, 'unpacking a layer’s outputs is only known when the script runs');
        names.forEach((x) => this.env.delete(x));
        return;
      }
      this.poisoned.delete(left.text);
      if (!layer) {
        this.env.delete(left.text);
        return;
      }
      this.layers.push(layer);
      this.firstStart ??= layer.values.find(([p]) => p.length === 0)?.[1];
      this.env.set(left.text, this.layers.length - 1);
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
      for (const x of names) {
        this.env.delete(x);
        this.poisoned.set(x, e);
      }
    }
  }

  /**
   * `x = conv_bn(x, filters=64)`: a function of this file given a tensor, as keras.io's examples write their blocks.
   * Its body is followed as Python runs it, its parameters bound to the call's tensors and values (else their
   * defaults), each call's layer calls making new layers; the tensor its last statement `return`s is the call's.
   * Undefined when `n` is no call of such a function with a tensor argument.
   */
  private inline(n: Node): number | undefined {
    if (n.type !== 'call') return undefined;
    const fn = n.childForFieldName('function');
    if (fn?.type !== 'identifier') return undefined;
    const args = callArgs(n);
    const isTensor = (a: Node) => !!this.mentionsTensorOrPoisoned(a);
    if (!args.positional.some(isTensor) && !args.keywords.some((k) => isTensor(k.value))) return undefined;
    const b = this.ctx.bindings.resolve(fn.text, n);
    if ('reason' in b) return undefined;
    const def = b.target.parent;
    if (def?.type !== 'function_definition' || def.childForFieldName('name')?.id !== b.target.id || isMethodDef(def))
      return undefined;
    const params = parametersOf(def) ?? [];
    const body = def.childForFieldName('body');
    const statements = (body?.namedChildren ?? []).filter((c) => c.type !== 'comment');
    const last = statements[statements.length - 1];
    const returned = last?.type === 'return_statement' ? last.namedChildren[0] : undefined;
    const early = statements.slice(0, -1).some((s) => {
      return s.subtreeOfTypes(['return_statement', 'yield']).length > 0;
    });
    if (!returned || early)
      throw new Unreadable(
        n,
        `'${fn.text}' returns its tensor in a way Model Lab cannot follow (one return at its end)`,
      );
    if (args.splats.length > 0)
      throw new Unreadable(args.splats[0], 'unpacked arguments are only known when the script runs');
    if (this.depth >= 8) throw new Unreadable(n, `'${fn.text}' calls helper functions too deeply to follow`);
    const given = argumentsByParameter(params, args);
    const env = new Map<string, number>();
    const values = new Map<string, unknown>();
    for (const p of params) {
      const arg = given.get(p.name);
      if (arg && isTensor(arg)) {
        env.set(p.name, this.tensorOf(arg));
        continue;
      }
      const source = arg ?? p.default;
      const v = source ? readValue(source, this.ctx) : undefined;
      if (v?.ok) values.set(p.name, v.value);
      else if (source && unwrap(source).type === 'call') values.set(p.name, new LayerArgument(source, this.ctx));
    }
    const saved = { env: this.env, poisoned: this.poisoned, ctx: this.ctx, pass: this.pass, helper: this.helper };
    this.helper = def;
    this.env = env;
    this.poisoned = new Map();
    this.ctx = { ...saved.ctx, params: [...(saved.ctx.params ?? []), { fn: def, values, call: n }] };
    this.pass = `${saved.pass}/${n.id}`;
    this.depth++;
    try {
      for (const s of statements.slice(0, -1)) this.follow(s);
      return this.tensorOf(returned);
    } finally {
      Object.assign(this, saved);
      this.depth--;
    }
  }

  /**
   * `x + y`, `x - y`, `x * y` between two tensors: Keras's element-wise Add, Subtract, Multiply (shapes broadcast), which
   * Keras 2 prints as TFOpLambda rows named after the TensorFlow op and Keras 3 as the layer. With a number on one side
   * it is not modelled (undefined: the caller's "cannot read").
   */
  private operator(n: Node): TensorLayer | undefined {
    const op = OPERATORS[n.childForFieldName('operator')?.text ?? ''];
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    if (!op || !left || !right) return undefined;
    if (!this.mentionsTensorOrPoisoned(left) || !this.mentionsTensorOrPoisoned(right)) return undefined;
    const from = [this.tensorOf(left), this.tensorOf(right)];
    return {
      spec: { type: op.type },
      from,
      inputNodes: [left, right],
      values: [[[], rangeOf(n)]],
      keys: [],
      operator: op.keras2,
    };
  }

  /** The layer a tensor expression makes, or undefined when the expression is no tensor at all. */
  private readTensor(expr: Node): TensorLayer | undefined {
    const ctx = this.ctx;
    const n = unwrap(expr);
    const operator = n.type === 'binary_operator' ? this.operator(n) : undefined;
    if (operator) return operator;
    if (n.type !== 'call') {
      const t = this.mentionsTensor(n);
      if (t) throw new Unreadable(n, `'${shortText(n)}' computes a tensor with code Model Lab cannot read`);
      // `encoder_state = [state_h, state_c]` of unreadable names is unreadable for the same reason.
      const p = this.ctx.index.firstNamed(this.poisoned, n);
      if (p) throw this.poisoned.get(p.text)!;
      return undefined;
    }
    const fn = n.childForFieldName('function')!;
    const name = resolveName(fn, ctx);
    if (name && MODEL_NAMES.has(name)) return undefined;
    if (name === 'keras.Input' || name === 'keras.layers.InputLayer') {
      const r = readLayer(n, ctx);
      if (!('kind' in r)) throw new Unreadable(r.node, r.reason);
      if (r.kind !== 'input') return undefined;
      const spec: LayerSpec = { type: 'InputLayer', shape: r.shape as number[] };
      const nameArg = callArgs(n).keywords.find((k) => k.name === 'name');
      const named = nameArg ? readValue(nameArg.value, ctx) : undefined;
      if (named?.ok && typeof named.value === 'string') spec.name = named.value;
      const rename = (p: (string | number)[]) => (p[0] === 'input_shape' ? ['shape', ...p.slice(1)] : p);
      return {
        spec,
        from: [],
        values: [[[], rangeOf(n)], ...r.values.map(([p, rg]) => [rename(p), rg] as [(string | number)[], Range])],
        keys: r.keys.map(([p, rg]) => [rename(p), rg]),
      };
    }
    const merge = name?.startsWith('keras.layers.') ? /^keras\.layers\.(\w+)$/.exec(name)?.[1] : undefined;
    if (merge && MERGE_FUNCTIONS[merge]) {
      // layers.add([a, b], **kwargs): the merge layer's constructor arguments are the keywords.
      const args = callArgs(n);
      const list = args.positional[0];
      if (!list) throw new Unreadable(n, `${merge}() needs the list of tensors to merge`);
      const spec: LayerSpec = { type: MERGE_FUNCTIONS[merge] };
      const values: TensorLayer['values'] = [[[], rangeOf(n)]];
      const keys: TensorLayer['keys'] = [];
      for (const kw of args.keywords) {
        const v = readValue(kw.value, ctx);
        if (!v.ok) throw new Unreadable(v.node, v.reason);
        spec[kw.name] = v.value;
        for (const [p, r] of v.ranges) values.push([[kw.name, ...p], r]);
        keys.push([[kw.name], rangeOf(kw.nameNode)]);
      }
      return { spec, from: this.tensorList(list), inputsNode: list, values, keys };
    }
    if (fn.type === 'call' || fn.type === 'identifier') {
      // Dense(10)(x), or a layer bound to a name and applied: dense(x); attention(query, value[, key]).
      const args = callArgs(n);
      const inputs = args.positional[0] ?? args.keywords.find((k) => k.name === 'inputs' || k.name === 'query')?.value;
      if (inputs && (this.mentionsTensor(inputs) || fn.type === 'call')) {
        const r = readLayer(fn, ctx);
        if (!('kind' in r)) throw new Unreadable(r.node, r.reason);
        if (r.kind !== 'layer') throw new Unreadable(fn, 'an Input is not applied to a tensor');
        const roles = layerDef(String(r.spec.type))?.callInputs;
        const inputNodes = roles ? callInputs(n, args, roles, String(r.spec.type)) : undefined;
        // A tensor in another argument (`initial_state=encoder_state`, `mask=mask`) is an edge Model Lab does not
        // model: read without it, the model would be another one.
        for (const other of [
          ...args.positional.slice(1).map((value) => ({ value, name: '' })),
          ...args.keywords.filter((k) => k.name !== 'inputs' && k.name !== 'training'),
        ]) {
          if (inputNodes?.includes(other.value)) continue;
          const t = this.mentionsTensorOrPoisoned(other.value);
          if (t)
            throw new Unreadable(
              other.value,
              `${other.name ? `'${other.name}'` : 'a second argument'} takes the tensor '${t.text}', which Model Lab does not model yet`,
            );
        }
        // A layer bound to a name is one object however often it is called.
        // A name bound inside a helper function being followed (a parameter, a local) is a new object each call.
        const b = fn.type === 'identifier' && this.helper ? ctx.bindings.resolve(fn.text, fn) : undefined;
        const perCall =
          b &&
          !('reason' in b) &&
          this.helper!.startIndex <= b.target.startIndex &&
          b.target.endIndex <= this.helper!.endIndex;
        const key =
          fn.type === 'identifier'
            ? `name:${fn.text}${perCall ? `:${this.pass}` : ''}`
            : `node:${r.node.id}:${this.pass}`;
        if (this.applied.has(key))
          throw new Unreadable(
            fn,
            'this layer object is applied twice (shared weights), which Model Lab does not model yet',
          );
        this.applied.add(key);
        if (inputNodes) {
          // Keras takes use_causal_mask when the layer is called; the definition keeps it with the layer.
          const causal = args.keywords.find((k) => k.name === 'use_causal_mask');
          if (causal) {
            const v = readValue(causal.value, ctx);
            if (!v.ok) throw new Unreadable(v.node, v.reason);
            if (typeof v.value !== 'boolean')
              throw new Unreadable(causal.value, 'use_causal_mask is not True or False');
            r.spec.use_causal_mask = v.value;
          }
          const from = inputNodes.map((i) => this.tensorOf(i));
          return { spec: r.spec, from, inputNodes, values: r.values, keys: r.keys };
        }
        return { spec: r.spec, from: this.tensorList(inputs), inputsNode: inputs, values: r.values, keys: r.keys };
      }
    }
    const t = this.mentionsTensor(n);
    if (t) throw new Unreadable(n, `'${shortText(n)}' computes a tensor with code Model Lab cannot read`);
    return undefined;
  }
}

/** The scans of a script's blocks, kept while its models are read in source order. */
export class TensorScans {
  private readonly byBlock = new Map<number, TensorScan>();

  /** The scan of `statement`'s block, followed up to just before it. */
  at(statement: Node, ctx: ReadContext): TensorScan {
    const block = statement.parent;
    const first = () => (block ? firstSibling(statement) : statement);
    const key = block?.id ?? -1;
    let scan = this.byBlock.get(key);
    if (!scan || !scan.upTo(statement)) {
      // A model before the last one read in this block (not the reader's order): follow the block afresh.
      scan = new TensorScan(first(), ctx);
      scan.upTo(statement);
      this.byBlock.set(key, scan);
    }
    return scan;
  }
}

export function readFunctional(
  call: Node,
  ctx: ReadContext,
  data: DataFlow,
  seeds: Seeds,
  methodCalls: MethodCalls,
  scans: TensorScans = new TensorScans(),
): ParsedModel {
  const out = new Collector();
  const statement = enclosingStatement(call);
  const scan = statement ? scans.at(statement, ctx) : new TensorScan(null, ctx);
  const layers = scan.layers;
  let problem: Unreadable | undefined;

  // keras.Model(inputs, outputs, name=…)
  const args = callArgs(call);
  const argNode = (key: string, position: number) =>
    args.keywords.find((k) => k.name === key)?.value ?? args.positional[position];
  const def: ModelDefinition = { layers: [] };
  let outputs: number[] = [];
  let inputs: number[] = [];
  /** Where the model's first layer (in creation order: an Input) is made: the model's range starts there. */
  let firstLayer: Range | undefined;
  if (!problem) {
    try {
      const o = argNode('outputs', 1);
      const i = argNode('inputs', 0);
      if (!o || !i) throw new Unreadable(call, 'keras.Model needs inputs and outputs');
      outputs = scan.tensorList(o);
      inputs = scan.tensorList(i);
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
      problem = e;
    }
  }
  const nameNode = argNode('name', 2);
  const nameValue = nameNode ? readValue(nameNode, ctx) : undefined;
  if (nameValue?.ok && typeof nameValue.value === 'string') {
    def.name = nameValue.value;
    out.addRanges(['name'], nameValue.ranges);
  }
  out.value(['layers'], rangeOf(call));

  if (problem) {
    out.report(
      problem.node,
      'information',
      'python-unreadable',
      `Model Lab cannot read this functional model statically: ${problem.message}; write the layers out as keras.Input → layer(…)(x) assignments to see shapes and train here.`,
      ['layers', 0],
    );
    out.incomplete = problem.message;
  } else {
    // Only what feeds the outputs is part of the model (Keras leaves other layers out); keep creation order.
    const kept = feeding(layers, outputs, inputs);
    firstLayer = kept.length > 0 ? layers[kept[0]].values.find(([p]) => p.length === 0)?.[1] : undefined;
    const index = new Map(kept.map((i, k) => [i, k]));
    const specs = kept.map((i) => layers[i].spec);
    const names = layerNames(specs);
    kept.forEach((i, k) => {
      const l = layers[i];
      const spec: LayerSpec = { ...l.spec };
      ctx.nested?.alias(spec, l.spec);
      if (l.operator) operatorNames.set(spec, l.operator);
      const made = activationLayers.get(l.spec);
      if (made) activationLayers.set(spec, made);
      if (spec.type !== 'InputLayer') {
        spec.inputs = inputsOf(l, names, index);
        if (l.inputNodes) l.inputNodes.forEach((item, m) => out.value(['layers', k, 'inputs', m], rangeOf(item)));
        if (l.inputsNode) {
          out.value(['layers', k, 'inputs'], rangeOf(l.inputsNode));
          const items = unwrap(l.inputsNode).namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
          if (Array.isArray(spec.inputs))
            items.forEach((item, m) => out.value(['layers', k, 'inputs', m], rangeOf(item)));
        }
      }
      def.layers.push(spec);
      out.addRanges(['layers', k], l.values, l.keys);
    });
    const outNames = outputs.map((i) => names[index.get(i)!]);
    // The graph form's default output is the last layer; name it only when that is not the one.
    if (outNames.length !== 1 || index.get(outputs[0]) !== kept.length - 1) {
      def.outputs = outNames.length === 1 ? outNames[0] : outNames;
      const o = argNode('outputs', 1);
      if (o) out.value(['outputs'], rangeOf(o));
    }
    if (!def.layers.some((l) => l.inputs !== undefined) && def.outputs === undefined) def.outputs = outNames[0];
  }

  const { last, print } = readModelTraining(call, def, out, ctx, data, seeds, methodCalls);

  // Its own layers, not the first tensor of the block (several models built in one cell share the block's scan).
  const first = firstLayer ?? (statement ? scan.firstStart : undefined);
  const range: Range = { start: (first ?? rangeOf(call)).start, end: rangeOf(last).end };
  out.value([], range);
  return out.toParsed(def, range, { print });
}

/**
 * The compile, fit and summary calls on the variable a model call (`keras.Model(…)`, `VGG16(…)`) is assigned to, as
 * for a Sequential model, applied to `def`; the last of them ends the model's range.
 */
export function readModelTraining(
  call: Node,
  def: ModelDefinition,
  out: Collector,
  ctx: ReadContext,
  data: DataFlow,
  seeds: Seeds,
  methodCalls: MethodCalls,
): { last: Node; print: SummaryPrint } {
  let last: Node = call;
  let compileCall: Node | undefined;
  let fit: FitResult | undefined;
  const print: SummaryPrint = {};
  const target = modelVariable(call);
  if (target) {
    for (const s of methodCalls.following(target.statement, target.name)) {
      if (reassigns(s, target.name)) break;
      // `model.fit(...)` or `history = model.fit(...)`.
      const direct = statementCall(s);
      if (!direct) continue;
      const method = methodOf(direct, target.name);
      if (method === 'summary') readSummaryCall(direct, ctx, print);
      else if (method === 'compile' && !fit) compileCall = direct;
      else if (method === 'fit' && !fit) fit = readFit(direct, ctx, out);
      if (method) last = direct;
    }
  }
  applyTraining(def, out, { call, compileCall, fit }, ctx, data, seeds);
  return { last, print };
}

/** The statement (in a block or the module) the call belongs to. */
export function enclosingStatement(node: Node): Node | undefined {
  let n: Node | null = node;
  while (n && n.parent && n.parent.type !== 'block' && n.parent.type !== 'module') n = n.parent;
  return n ?? undefined;
}

function firstSibling(statement: Node): Node | null {
  let s: Node | null = statement;
  while (s?.previousNamedSibling) s = s.previousNamedSibling;
  return s;
}

/**
 * The tensors a layer taking several named call arguments (`callInputs`: attention's query, value, key) is called
 * on, positionally or by keyword, in the layer's order; the first two are required. A call that makes the layer
 * return more than one tensor (`return_attention_scores=True`) is not modelled.
 */
function callInputs(call: Node, args: CallArgs, roles: readonly string[], type: string): Node[] {
  const scores = args.keywords.find((k) => k.name === 'return_attention_scores');
  if (scores && scores.value.text !== 'False')
    throw new Unreadable(
      scores.value,
      `${type} with return_attention_scores returns (output, scores), two tensors, which Model Lab does not model yet`,
    );
  const out: Node[] = [];
  roles.forEach((role, i) => {
    const node = args.positional[i] ?? args.keywords.find((k) => k.name === role)?.value;
    if (node) out[i] = node;
  });
  const missing = roles.slice(0, 2).find((_, i) => !out[i]);
  if (missing) throw new Unreadable(call, `${type} is called without its ${missing}`);
  return out.filter((n): n is Node => !!n);
}

/** The layers that feed `roots` (and `also`), in creation order: what a graph of them holds. */
function feeding(layers: readonly TensorLayer[], roots: readonly number[], also: readonly number[] = []): number[] {
  const keep = new Set<number>();
  const visit = (i: number) => {
    if (keep.has(i)) return;
    keep.add(i);
    layers[i].from.forEach(visit);
  };
  roots.forEach(visit);
  also.forEach((i) => keep.add(i));
  return [...keep].sort((a, b) => a - b);
}

/** A layer's `inputs` by the graph's `names` (`index`: scan index → position): a list where it was given one. */
function inputsOf(l: TensorLayer, names: readonly string[], index: ReadonlyMap<number, number>): string | string[] {
  const from = l.from.map((j) => names[index.get(j)!]);
  return l.inputNodes || (l.inputsNode && ['list', 'tuple'].includes(unwrap(l.inputsNode).type)) ? from : from[0];
}
