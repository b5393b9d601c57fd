/**
 * The Keras Python front end: `keras.Sequential` and functional `keras.Model` models read from .py source into the same ParsedModel the JSON
 * front end gives (definition, source ranges by path, diagnostics), without running Python.
 */
import { analyze, MULTI_LABEL, MULTI_LABEL_TAIL } from '../analyze';
import { isGraph } from '../graph';
import { layerNames } from '../infer';
import { declaredInputShape } from '../layers/common';
import { layerDef, markNotTrained } from '../layers/registry';
import type { LayerSpec, ModelDefinition, ParsedModel, Position } from '../types';
import type { Node, SourceTree } from './py-node';
import { applicationCalls, NestedModels, readApplication } from './nested-models';
import { buildingCalls, contextAt } from './function-params';
import { Bindings } from './bindings';
import { DataFlow } from './dataset';
import { python2Errors, tabErrors, tooDeepError } from './file-checks';
import { Imports } from './imports';
import { functionalCalls, operatorNames, readFunctional, TensorScans } from './functional';
import { inRunOrder, modelsPerCall } from './call-models';
import { ModelLayers, sharedOriginal } from './layer-lists';
import { activationLayers } from './layers';
import { MethodCalls, readSequential, sequentialCalls } from './models';
import { Seeds } from './seeds';
import { before, errorsInside, syntaxDiagnostic, syntaxErrorNodes } from './syntax-errors';
import { ScriptIndex } from './script-index';
import { rangeOf } from './syntax';
import { parsePythonSource } from './tree-sitter';
import { callsNamed, ResolvedNames, type ReadContext } from './values';

export { toKerasScript, type KerasScriptOptions } from './keras-script';

/** The counter Keras 3 names InputLayers from (kept apart from Keras 2's `input`). */
const KERAS3_INPUT = 'keras3:input_layer';

/** The layers an operator between tensors also makes (`x + y`): Keras 3 counts both kinds under one name. */
const KERAS3_SHARED = new Set(['Add', 'Subtract', 'Multiply']);

const CLEAR_SESSION = new Set(['keras.backend.clear_session', 'keras.utils.clear_session']);

/** Where the script starts a fresh Keras session (`keras.backend.clear_session()`), which restarts the numbering. */
function sessionResets(ctx: ReadContext): Position[] {
  return callsNamed(ctx, (name) => CLEAR_SESSION.has(name)).map((n) => rangeOf(n).start);
}

/**
 * Keras's default names as one run of the script gives them (`models` in run order, each made at `runsAt`): models
 * and layers are numbered per name across the whole session (a second Sequential is `sequential_1`, its first Dense `dense_2` after two in the first model), an
 * explicit `name=` wins and takes no number, and `clear_session()` starts again from zero. A name that differs
 * from what the model alone would give (`dense_2`, `sequential_1`) is written into its definition, so the summary,
 * hovers and training use it; a file's first model keeps a definition without names.
 */
function nameAsKerasSession(
  models: ParsedModel[],
  runsAt: Position[],
  resets: Position[],
  nestedSource: (layer: LayerSpec) => ModelDefinition | undefined,
): void {
  const counters = new Map<string, number>();
  /** The name each layer object got, for the models that share it. */
  const given = new Map<object, string>();
  // Keras 2 numbers inputs from 1 (input_1, input_2) and everything else from none (dense, dense_1), as layerNames.
  const unique = (base: string, fromOne = false, counter = base) => {
    const n = counters.get(counter) ?? 0;
    counters.set(counter, n + 1);
    return fromOne ? `${base}_${n + 1}` : n === 0 ? base : `${base}_${n}`;
  };
  // Keras 3 names every InputLayer `input_layer`, `input_layer_1`, … from one counter, which the InputLayer a
  // Sequential model makes for its declared input shape counts too (Keras 2 names that one `dense_input`).
  const keras3Input = () => unique('input_layer', false, KERAS3_INPUT);
  let r = 0;
  for (const [m, model] of models.entries()) {
    while (r < resets.length && before(resets[r], runsAt[m])) {
      counters.clear();
      r++;
    }
    const def = model.definition;
    if (!def) continue;
    // Keras builds the layers of `Sequential([...])` before the model; the counters are separate, so order only
    // matters within one name.
    const alone = layerNames(def.layers);
    const renamed = new Map<string, string>();
    const keras3Names: Record<string, string> = {};
    const keras2Types: Record<string, string> = {};
    const graph = isGraph(def);
    const first = def.layers[0];
    if (!graph && first && (first.type === 'InputLayer' || declaredInputShape(first) !== undefined)) keras3Input();
    def.layers.forEach((layer, i) => {
      const d = layerDef(String(layer.type));
      // Another model's layer object (`base.layers[:-1]`) keeps the name Keras gave it there and takes no number.
      const original = sharedOriginal.get(layer);
      // A model used as a layer is named once, as a model (its own turn came first).
      const source = nestedSource(layer);
      // `Dense(64, activation=LeakyReLU(0.2))`: the LeakyReLU object made for the argument took a name first.
      const made = activationLayers.get(layer);
      if (made !== undefined && !original && !source && !given.has(layer)) unique(made);
      const explicit = typeof layer.name === 'string' && layer.name !== '';
      // `x + y`: Keras 2 names it after the TensorFlow op from that name's own counter (`tf.__operators__.add_1`).
      const operator = explicit ? undefined : operatorNames.get(layer);
      const name =
        (source && (source.name ?? (isGraph(source) ? 'model' : 'sequential'))) ??
        (original && given.get(original)) ??
        (operator !== undefined ? unique(operator) : undefined) ??
        (!d || explicit ? undefined : unique(d.defaultName, layer.type === 'InputLayer'));
      given.set(layer, name ?? (typeof layer.name === 'string' ? layer.name : alone[i]));
      if (graph && layer.type === 'InputLayer' && name !== undefined) keras3Names[name] = keras3Input();
      if (operator !== undefined && name !== undefined) keras2Types[name] = 'TFOpLambda';
      // Keras 3 names operators as the layers they are, from the layers' own counter (`add`, `add_1`, …).
      if (d && !explicit && KERAS3_SHARED.has(d.type) && name !== undefined)
        keras3Names[name] = unique(d.defaultName, false, `keras3:${d.defaultName}`);
      if (name !== undefined && name !== alone[i]) {
        layer.name = name;
        renamed.set(alone[i], name);
      }
    });
    // A graph's layers name their inputs (and the model its outputs) by the names the model alone would give.
    if (renamed.size > 0 && isGraph(def)) {
      const rename = (v: unknown) =>
        typeof v === 'string'
          ? (renamed.get(v) ?? v)
          : Array.isArray(v)
            ? v.map((x) => (typeof x === 'string' ? (renamed.get(x) ?? x) : x))
            : v;
      for (const layer of def.layers)
        if (layer && 'inputs' in layer) layer.inputs = rename(layer.inputs) as typeof layer.inputs;
      if (def.outputs !== undefined) def.outputs = rename(def.outputs) as typeof def.outputs;
    }
    if (Object.keys(keras3Names).length > 0) model.summaryPrint = { ...model.summaryPrint, keras3Names };
    if (Object.keys(keras2Types).length > 0) model.summaryPrint = { ...model.summaryPrint, keras2Types };
    const modelBase = isGraph(def) ? 'model' : 'sequential';
    if (def.name === undefined) {
      const name = unique(modelBase);
      if (name !== modelBase) def.name = name;
    }
  }
}

/** One ParsedModel per `Sequential(...)` in the source, in source order. Never throws for bad Python. */
export async function parsePythonModels(text: string): Promise<ParsedModel[]> {
  return readPythonModels(await parsePythonSource(text), text);
}

/** What every pass over a parsed script shares: its index, imports and bindings, and the names resolved so far. */
export function scriptContext(root: Node): ReadContext {
  const index = new ScriptIndex(root);
  return {
    imports: new Imports(index),
    bindings: new Bindings(index),
    index,
    resolved: new ResolvedNames(root.lastId + 1),
    models: new ModelLayers(),
  };
}

/** The models of a parsed script (`text` is the script the tree was parsed from): everything after the parse. */
export function readPythonModels({ root, tooDeep }: SourceTree, text: string): ParsedModel[] {
  {
    const ctx = scriptContext(root);
    const { index } = ctx;
    const data = new DataFlow(index, ctx);
    const seeds = new Seeds(ctx);
    const calls = new MethodCalls(index, ctx);
    const scans = new TensorScans();
    const readers: [Node[], (call: Node, c: ReadContext) => ParsedModel][] = [
      [sequentialCalls(ctx), (call, c) => readSequential(call, c, data, seeds, calls)],
      [functionalCalls(ctx), (call, c) => readFunctional(call, c, data, seeds, calls, scans)],
      [applicationCalls(ctx), (call, c) => readApplication(call, c, data, seeds, calls)],
    ];
    const readerOf = new Map<number, (call: Node, c: ReadContext) => ParsedModel>();
    for (const [list, reader] of readers) for (const call of list) readerOf.set(call.id, reader);
    // A model used as another's layer is read when it is reached first, once; one built in a function is not
    // followed as a layer (each call of the function makes another).
    const once = (call: Node) => (buildingCalls(call, ctx)?.calls.length ?? 0) <= 1;
    const nested: NestedModels = new NestedModels((call): ParsedModel | undefined => {
      const reader = readerOf.get(call.id);
      if (!reader || !once(call)) return undefined;
      return nested.model(call, () => reader(call, contextAt(call, ctx)));
    });
    ctx.nested = nested;
    // One model per call of a model-building function, in the order one run of the script makes them.
    const read = inRunOrder(
      readers.flatMap(([list, reader]) =>
        list.flatMap((call) =>
          modelsPerCall(call, ctx, (c) => (once(call) ? nested.model(call, () => reader(call, c)) : reader(call, c))),
        ),
      ),
    );
    const models = read.map((m) => m.parsed);
    nested.readTrainable(ctx);
    // Syntax errors matter here only inside a model; elsewhere they are the Python tooling's business.
    const errors = syntaxErrorNodes(root);
    for (const model of models) {
      const inside = errorsInside(errors, model.range);
      if (inside.length === 0) continue;
      // Past a syntax error the tree is a guess: what could not be read there is the error itself.
      const first = rangeOf(inside[0]).start;
      model.diagnostics = [
        ...inside.map(syntaxDiagnostic),
        ...model.diagnostics.filter((d) => d.code !== 'python-unreadable' || !before(first, d.range.end)),
      ];
      model.incomplete = 'the model has a Python syntax error';
    }
    // What makes Python refuse the whole file concerns every model in it; a file cut short by its nesting says so
    // even when no model was found before the cut.
    const refusals = [...(tooDeep ? [tooDeepError(tooDeep)] : []), ...python2Errors(index), ...tabErrors(root, text)];
    if (refusals.length > 0) {
      if (models.length === 0 && tooDeep)
        models.push({ ranges: { values: new Map(), keys: new Map() }, diagnostics: [], range: rangeOf(root) });
      for (const model of models) {
        model.diagnostics = [...refusals, ...model.diagnostics];
        model.incomplete ??= tooDeep ? 'the file is nested too deeply to read' : 'Python 3 refuses the file';
      }
    }
    nameAsKerasSession(
      models,
      read.map((m) => rangeOf(m.runsAt).start),
      sessionResets(ctx),
      (layer) => nested.sourceOf(layer),
    );
    for (const model of models) {
      markNotTrained(model);
      markMultiLabel(model);
    }
    nested.propagateUntrainable(models);
    nested.applyTrainable(models);
    for (const model of models) {
      // Nothing of the layers read: an empty definition would only add "no layers" to the real reason.
      if (model.incomplete && model.definition?.layers.length === 0) delete model.definition;
    }
    return models;
  }
}

/**
 * A model compiled with binary_crossentropy over several output units (multi-label, which Model Lab does not
 * train) is untrainable, at the loss, for the reason analyze's information gives.
 */
function markMultiLabel(model: ParsedModel): void {
  if (model.untrainable || model.incomplete || model.definition?.compile?.loss !== 'binary_crossentropy') return;
  const note = analyze(model).diagnostics.find((d) => d.code === MULTI_LABEL);
  if (note) model.untrainable = { reason: note.message.replace(MULTI_LABEL_TAIL, ''), range: note.range };
}
