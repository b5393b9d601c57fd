/**
 * CodeLens over each model: `▶ Train` · `Compare optimizers` · `Summary` at the top of a model file, and over each
 * model of a Python file (Train trains that model); "Compare the models in this file" at the top of a Python file
 * with two or more trainable models.
 */
import * as vscode from 'vscode';
import { trainableModelCount } from '../model/file-models';
import { toPosition } from './convert';
import { isModelDocument, isModelJson, type ModelDocuments } from './documents';

export function registerCodeLens(documents: ModelDocuments, selector: vscode.DocumentSelector): vscode.Disposable {
  const provider: vscode.CodeLensProvider = {
    async provideCodeLenses(doc) {
      if (!isModelDocument(doc)) return [];
      const models = await documents.get(doc);
      const json = isModelJson(doc);
      // A file of several trainable models (a tutorial trying optimizers and activations) compares them in one click.
      const top = new vscode.Range(0, 0, 0, 0);
      const compareAll =
        !json && trainableModelCount(models.map((m) => m.parsed)) >= 2
          ? [
              new vscode.CodeLens(top, {
                title: 'Compare the models in this file',
                command: 'modelLab.compareModels',
                arguments: [doc.uri],
              }),
            ]
          : [];
      return compareAll.concat(
        models.flatMap(({ parsed }, index) => {
          const at = json ? new vscode.Position(0, 0) : toPosition(parsed.range.start);
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
  return vscode.languages.registerCodeLensProvider(selector, provider);
}
