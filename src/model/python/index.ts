/**
 * The Keras Python front end: `keras.Sequential` and functional `keras.Model` models read from .py source into the same ParsedModel the JSON
 * front end gives (definition, source ranges by path, diagnostics), without running Python.
 */
import type { ParsedModel } from '../types';
import { Bindings } from './bindings';
import { DataFlow } from './dataset';
import { Imports } from './imports';
import { compareRanges } from '../text-lines';
import { functionalCalls, readFunctional } from './functional';
import { readSequential, sequentialCalls } from './models';
import { Seeds } from './seeds';
import { before, errorsInside, syntaxDiagnostic, syntaxErrorNodes } from './syntax-errors';
import { rangeOf } from './syntax';
import { parsePythonTree } from './tree-sitter';
import type { ReadContext } from './values';

export { toKerasScript, type KerasScriptOptions } from './keras-script';

/** One ParsedModel per `Sequential(...)` in the source, in source order. Never throws for bad Python. */
export async function parsePythonModels(text: string): Promise<ParsedModel[]> {
  const tree = await parsePythonTree(text);
  try {
    const root = tree.rootNode;
    const ctx: ReadContext = { imports: new Imports(root), bindings: new Bindings(root) };
    const data = new DataFlow(root, ctx);
    const seeds = new Seeds(root, ctx);
    const models = [
      ...sequentialCalls(root, ctx).map((call) => readSequential(call, ctx, data, seeds)),
      ...functionalCalls(root, ctx).map((call) => readFunctional(call, ctx, data, seeds)),
    ].sort((a, b) => compareRanges(a.range, b.range));
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
    for (const model of models) {
      // Nothing of the layers read: an empty definition would only add "no layers" to the real reason.
      if (model.incomplete && model.definition?.layers.length === 0) delete model.definition;
    }
    return models;
  } finally {
    tree.delete();
  }
}
