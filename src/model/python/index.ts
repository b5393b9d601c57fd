/**
 * The Keras Python front end: `keras.Sequential` models read from .py source into the same ParsedModel the JSON
 * front end gives (definition, source ranges by path, diagnostics), without running Python.
 */
import type { ParsedModel } from '../types';
import { Bindings } from './bindings';
import { DataFlow } from './dataset';
import { python2Errors, tabErrors, tooDeepError } from './file-checks';
import { Imports } from './imports';
import { MethodCalls, readSequential, sequentialCalls } from './models';
import { Seeds } from './seeds';
import { before, errorsInside, syntaxDiagnostic, syntaxErrorNodes } from './syntax-errors';
import { rangeOf } from './syntax';
import { parsePythonSource } from './tree-sitter';
import type { ReadContext } from './values';

export { toKerasScript, type KerasScriptOptions } from './keras-script';

/** One ParsedModel per `Sequential(...)` in the source, in source order. Never throws for bad Python. */
export async function parsePythonModels(text: string): Promise<ParsedModel[]> {
  const { root, tooDeep } = await parsePythonSource(text);
  {
    const ctx: ReadContext = { imports: new Imports(root), bindings: new Bindings(root) };
    const data = new DataFlow(root, ctx);
    const seeds = new Seeds(root, ctx);
    const calls = new MethodCalls(root);
    const models = sequentialCalls(root, ctx).map((call) => readSequential(call, ctx, data, seeds, calls));
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
    const refusals = [...(tooDeep ? [tooDeepError(tooDeep)] : []), ...python2Errors(root), ...tabErrors(root, text)];
    if (refusals.length > 0) {
      if (models.length === 0 && tooDeep) models.push({ ranges: { values: new Map(), keys: new Map() }, diagnostics: [], range: rangeOf(root) });
      for (const model of models) {
        model.diagnostics = [...refusals, ...model.diagnostics];
        model.incomplete ??= tooDeep ? 'the file is nested too deeply to read' : 'Python 3 refuses the file';
      }
    }
    for (const model of models) {
      // Nothing of the layers read: an empty definition would only add "no layers" to the real reason.
      if (model.incomplete && model.definition?.layers.length === 0) delete model.definition;
    }
    return models;
  }
}
