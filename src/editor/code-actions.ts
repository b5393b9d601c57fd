/**
 * Quick fixes (code actions) for Model Lab's diagnostics in `*.model.json` files. The fixes themselves are computed
 * by the pure core (`model/quick-fixes.ts`) from the file's text and the diagnostic's path; this file only matches
 * VS Code's diagnostics back to the core's and turns edits into WorkspaceEdits. Python files get none yet.
 */
import * as vscode from 'vscode';
import { quickFixes } from '../model/quick-fixes';
import { isModelJson, type ModelDocuments } from './documents';
import { toRange } from './convert';

export function registerCodeActions(documents: ModelDocuments, selector: vscode.DocumentSelector): vscode.Disposable {
  return vscode.languages.registerCodeActionsProvider(
    selector,
    {
      async provideCodeActions(doc, _range, context) {
        if (!isModelJson(doc)) return [];
        const ours = context.diagnostics.filter((d) => d.source === 'Model Lab');
        if (ours.length === 0) return [];
        const text = doc.getText();
        const core = (await documents.get(doc)).flatMap((m) => m.analysis.diagnostics);
        const actions: vscode.CodeAction[] = [];
        for (const diagnostic of ours) {
          const match = core.find(
            (c) =>
              c.code === diagnostic.code &&
              toRange(c.range).isEqual(diagnostic.range) &&
              c.message === diagnostic.message,
          );
          if (!match) continue;
          for (const fix of quickFixes(text, match)) {
            const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
            action.diagnostics = [diagnostic];
            action.isPreferred = fix.preferred;
            action.edit = new vscode.WorkspaceEdit();
            for (const e of fix.edits) {
              action.edit.replace(
                doc.uri,
                new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)),
                e.content,
              );
            }
            actions.push(action);
          }
        }
        return actions;
      },
    },
    { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
  );
}
