/** Inline `(None, 100) · 78,500 params` hints after each layer, unless `modelLab.inlineHints` is off. */
import * as vscode from 'vscode';
import { inlayHints } from '../model';
import { readSettings } from './config';
import { toPosition } from './convert';
import { isModelDocument, type ModelDocuments } from './documents';

export function registerInlayHints(documents: ModelDocuments, selector: vscode.DocumentSelector): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.InlayHintsProvider = {
    onDidChangeInlayHints: changed.event,
    async provideInlayHints(doc, range) {
      if (!isModelDocument(doc) || !readSettings(doc.uri).settings.inlineHints) return [];
      const hints: vscode.InlayHint[] = [];
      const view = await documents.view(doc);
      for (const { parsed, analysis } of view.models) {
        for (const h of inlayHints(parsed, analysis)) {
          const at = view.toDocument({ start: h.position, end: h.position });
          if (!at) continue; // in another cell of the notebook
          const position = toPosition(at.start);
          if (!range.contains(position)) continue;
          const hint = new vscode.InlayHint(position, h.label, vscode.InlayHintKind.Type);
          hint.paddingLeft = true;
          hints.push(hint);
        }
      }
      return hints;
    },
  };
  return vscode.Disposable.from(
    changed,
    vscode.languages.registerInlayHintsProvider(selector, provider),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('modelLab.inlineHints')) changed.fire();
    }),
    // An edit in one cell changes the shapes shown in the notebook's other cells.
    documents.onDidChangeNotebook(() => changed.fire()),
  );
}
