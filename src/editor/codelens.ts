/**
 * CodeLens over each model: `▶ Train` · `Compare optimizers` · `Summary` at the top of a model file, and over each
 * model of a Python file or a notebook (over the cell where the model starts; Train trains that model); "Compare the
 * models in this file" at the top of a Python file, or over a notebook's first model, when two or more can train.
 */
import * as vscode from 'vscode';
import { trainableModelCount } from '../model/file-models';
import { toPosition } from './convert';
import { isModelDocument, isModelJson, type ModelDocuments } from './documents';

export function registerCodeLens(documents: ModelDocuments, selector: vscode.DocumentSelector): vscode.Disposable {
  // A model's lenses can come, go or move when another cell of its notebook changes.
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(doc) {
      if (!isModelDocument(doc)) return [];
      const view = await documents.view(doc);
      const json = isModelJson(doc);
      // A file of several trainable models (a tutorial trying optimizers and activations) compares them in one click:
      // at the top of a Python file, over the first model in a notebook (in the cell where it starts).
      const first = view.models[0];
      const topAt =
        json || !first
          ? undefined
          : doc.uri.scheme === 'vscode-notebook-cell'
            ? view.toDocument(first.parsed.range)?.start
            : { line: 0, character: 0 };
      const compareAll =
        topAt && trainableModelCount(view.models.map((m) => m.parsed)) >= 2
          ? [
              new vscode.CodeLens(new vscode.Range(toPosition(topAt), toPosition(topAt)), {
                title: 'Compare the models in this file',
                command: 'modelLab.compareModels',
                arguments: [doc.uri],
              }),
            ]
          : [];
      return compareAll.concat(
        view.models.flatMap(({ parsed }, index) => {
          // In a notebook, a model's lenses are over the cell where it starts.
          const start = json ? { line: 0, character: 0 } : view.toDocument(parsed.range)?.start;
          if (!start) return [];
          const at = toPosition(start);
          const range = new vscode.Range(at, at);
          const args = [doc.uri, index];
          return [
            new vscode.CodeLens(range, {
              title: json ? '▶ Train' : '▶ Train with Model Lab',
              command: 'modelLab.train',
              arguments: args,
            }),
            new vscode.CodeLens(range, { title: 'Compare optimizers', command: 'modelLab.compare', arguments: args }),
            new vscode.CodeLens(range, { title: 'Summary', command: 'modelLab.showSummary', arguments: args }),
          ];
        }),
      );
    },
  };
  return vscode.Disposable.from(
    changed,
    documents.onDidChangeNotebook(() => changed.fire()),
    vscode.languages.registerCodeLensProvider(selector, provider),
  );
}
