/**
 * Which model a command acts on: the one named by the command's arguments (CodeLens, explorer menu: a URI and a
 * model index), else the active editor's. "Train what the editor shows, saved or not": an open document's current
 * text is used, not the file on disk.
 */
import * as vscode from 'vscode';
import type { Analysis } from '../model';
import type { ParsedModel } from '../model/types';
import { fromPosition } from './convert';
import { chooseModel } from './document-kind';
import { isModelDocument, type ModelDocuments } from './documents';

export interface ModelTarget {
  document: vscode.TextDocument;
  index: number;
  parsed: ParsedModel;
  analysis: Analysis;
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
    document = vscode.window.activeTextEditor?.document;
  }
  if (!document || !isModelDocument(document)) {
    void vscode.window.showWarningMessage(
      'Model Lab: open a model file (*.model.json) or a Python file with a Keras model first.',
    );
    return undefined;
  }
  const models = await documents.get(document);
  if (!models.length) {
    void vscode.window.showWarningMessage(
      `Model Lab: no Keras model found in ${vscode.workspace.asRelativePath(document.uri)}.`,
    );
    return undefined;
  }
  const editor = vscode.window.activeTextEditor;
  const cursor = editor && editor.document === document ? fromPosition(editor.selection.active) : undefined;
  let i = chooseModel(
    models.map((m) => m.parsed.range),
    index,
    cursor,
  );
  if (i === 'ask') {
    const pick = await vscode.window.showQuickPick(
      models.map((m, k) => ({
        label: m.analysis.summary?.name ?? m.parsed.definition?.name ?? `model ${k + 1}`,
        description: `line ${m.parsed.range.start.line + 1}`,
        k,
      })),
      { placeHolder: 'Which model?' },
    );
    if (!pick) return undefined;
    i = pick.k;
  }
  return { document, index: i, ...models[i] };
}
