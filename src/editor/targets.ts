/**
 * Which model a command acts on: the one named by the command's arguments (CodeLens, explorer menu: a URI and a
 * model index), else the active editor's. "Train what the editor shows, saved or not": an open document's current
 * text is used, not the file on disk. A notebook cell's target is its notebook's model, read from all its cells.
 */
import * as vscode from 'vscode';
import type { Analysis } from '../model';
import { lineLabel } from '../model/python/notebook';
import type { ParsedModel, Position } from '../model/types';
import { fromPosition } from './convert';
import { chooseModel } from './document-kind';
import { isModelDocument, notebookOf, type ModelDocuments } from './documents';

export interface ModelTarget {
  document: vscode.TextDocument;
  /** The file the model lives in: the document's, or for a notebook cell its notebook's. */
  file: vscode.Uri;
  untitled: boolean;
  index: number;
  parsed: ParsedModel;
  analysis: Analysis;
  /** How messages name a position of the model: `line 5`, or `cell 4, line 2` in a notebook. */
  where(p: Position): string;
}

export async function resolveTarget(
  documents: ModelDocuments,
  uri?: unknown,
  index?: unknown,
): Promise<ModelTarget | undefined> {
  let document: vscode.TextDocument | undefined;
  if (uri instanceof vscode.Uri) {
    document =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ??
      (await vscode.workspace.openTextDocument(uri));
  } else {
    // In a notebook with no cell focused, its first Python cell stands for it.
    document =
      vscode.window.activeTextEditor?.document ??
      vscode.window.activeNotebookEditor?.notebook
        .getCells()
        .find((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId === 'python')?.document;
  }
  if (!document || !isModelDocument(document)) {
    void vscode.window.showWarningMessage(
      'Model Lab: open a model file (*.model.json), or a Python file or notebook with a Keras model first.',
    );
    return undefined;
  }
  const notebook = notebookOf(document);
  const file = notebook?.uri ?? document.uri;
  const view = await documents.view(document);
  const { models } = view;
  const cells = notebook ? (await documents.notebook(notebook)).program.cells : undefined;
  const where = (p: Position) => lineLabel(p, cells);
  if (!models.length) {
    void vscode.window.showWarningMessage(
      `Model Lab: no Keras model found in ${vscode.workspace.asRelativePath(file)}.`,
    );
    return undefined;
  }
  const editor = vscode.window.activeTextEditor;
  const cursor =
    editor && editor.document === document ? view.toModel(fromPosition(editor.selection.active)) : undefined;
  let i = chooseModel(
    models.map((m) => m.parsed.range),
    index,
    cursor,
  );
  if (i === 'ask') {
    const pick = await vscode.window.showQuickPick(
      models.map((m, k) => ({
        label: m.analysis.summary?.name ?? m.parsed.definition?.name ?? `model ${k + 1}`,
        description: where(m.parsed.range.start),
        k,
      })),
      { placeHolder: 'Which model?' },
    );
    if (!pick) return undefined;
    i = pick.k;
  }
  return {
    document,
    file,
    untitled: notebook?.isUntitled ?? document.isUntitled,
    index: i,
    ...models[i],
    where,
  };
}
