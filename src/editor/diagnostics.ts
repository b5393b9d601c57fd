/**
 * Diagnostics for model documents: refreshed as the user types (debounced), cleared when the file closes. A notebook
 * is read as one program: each problem goes to the cell it points into, and the notebook's cells are cleared when it
 * closes.
 */
import * as vscode from 'vscode';
import { cellRange } from '../model/python/notebook';
import { toDiagnostic } from './convert';
import { DEBOUNCE_MS, isModelDocument, isModelNotebook, notebookOf, type ModelDocuments } from './documents';

export function registerDiagnostics(documents: ModelDocuments): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('modelLab');
  const timers = new Map<string, NodeJS.Timeout>();
  /** The cells of each notebook that were given diagnostics, so removed cells and closed notebooks are cleared. */
  const notebookCells = new Map<string, vscode.Uri[]>();

  const refresh = async (doc: vscode.TextDocument) => {
    const nb = notebookOf(doc);
    if (nb) return refreshNotebook(nb);
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
    if (notebookOf(doc)) return; // notebooks are refreshed by documents.onDidChangeNotebook, debounced there
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

  const clearNotebook = (nb: vscode.NotebookDocument) => {
    notebookCells.get(nb.uri.toString())?.forEach((cell) => collection.delete(cell));
    notebookCells.delete(nb.uri.toString());
  };
  const refreshNotebook = async (nb: vscode.NotebookDocument) => {
    if (!isModelNotebook(nb)) return clearNotebook(nb);
    const version = nb.version;
    const cells = nb.getCells();
    const versions = cells.map((c) => c.document.version);
    const { program, models } = await documents.notebook(nb);
    const current = nb.getCells();
    if (
      nb.isClosed ||
      nb.version !== version ||
      current.length !== cells.length ||
      current.some((c, i) => c.document.version !== versions[i])
    )
      return; // a newer edit will refresh
    const byCell = cells.map((): vscode.Diagnostic[] => []);
    for (const d of models.flatMap((m) => m.analysis.diagnostics)) {
      const at = cellRange(program, d.range);
      if (at) byCell[at.cell - 1]?.push(toDiagnostic({ ...d, range: at.range }));
    }
    clearNotebook(nb);
    cells.forEach((c, i) => collection.set(c.document.uri, byCell[i]));
    notebookCells.set(
      nb.uri.toString(),
      cells.map((c) => c.document.uri),
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
    vscode.workspace.onDidOpenNotebookDocument((nb) => void refreshNotebook(nb)),
    documents.onDidChangeNotebook((nb) => void refreshNotebook(nb)),
    vscode.workspace.onDidCloseNotebookDocument(clearNotebook),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
}
