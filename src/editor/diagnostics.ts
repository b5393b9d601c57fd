/** Diagnostics for model documents: refreshed as the user types (debounced), cleared when the file closes. */
import * as vscode from 'vscode';
import { toDiagnostic } from './convert';
import { isModelDocument, type ModelDocuments } from './documents';

const DEBOUNCE_MS = 250;

export function registerDiagnostics(documents: ModelDocuments): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('modelLab');
  const timers = new Map<string, NodeJS.Timeout>();

  const refresh = async (doc: vscode.TextDocument) => {
    if (!isModelDocument(doc)) {
      collection.delete(doc.uri);
      return;
    }
    const version = doc.version;
    const models = await documents.get(doc);
    if (doc.isClosed || doc.version !== version) return; // a newer edit will refresh
    collection.set(
      doc.uri,
      models.flatMap((m) => m.analysis.diagnostics.map(toDiagnostic)),
    );
  };
  const schedule = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        void refresh(doc);
      }, DEBOUNCE_MS),
    );
  };

  vscode.workspace.textDocuments.forEach((doc) => void refresh(doc));
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument((doc) => void refresh(doc)),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      clearTimeout(timers.get(doc.uri.toString()));
      collection.delete(doc.uri);
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
}
