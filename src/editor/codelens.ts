/**
 * CodeLens over each model: `▶ Train` · `Compare optimizers` · `Summary` at the top of a model file, and over each
 * Sequential model of a Python file or a notebook (over the cell where the model starts).
 */
import * as vscode from 'vscode';
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
      return view.models.flatMap(({ parsed }, index) => {
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
      });
    },
  };
  return vscode.Disposable.from(
    changed,
    documents.onDidChangeNotebook(() => changed.fire()),
    vscode.languages.registerCodeLensProvider(selector, provider),
  );
}
