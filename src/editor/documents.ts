/**
 * Which documents are model documents, and their parsed + analyzed models, cached by document version so hover,
 * diagnostics, CodeLens and inlay hints of one edit share one analysis.
 */
import * as vscode from 'vscode';
import { analyze, parseModelJson, type Analysis } from '../model';
import type { ParsedModel } from '../model/types';

export interface DocumentModel {
  parsed: ParsedModel;
  analysis: Analysis;
}

export function isModelJson(doc: vscode.TextDocument): boolean {
  return doc.uri.path.endsWith('.model.json');
}

/** A Python file is worth reading when it mentions Sequential at all (cheap test before parsing). */
export function isKerasPython(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'python' && doc.getText().includes('Sequential');
}

export function isModelDocument(doc: vscode.TextDocument): boolean {
  return isModelJson(doc) || isKerasPython(doc);
}

export class ModelDocuments implements vscode.Disposable {
  private cache = new Map<string, { version: number; models: Promise<DocumentModel[]> }>();
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.subscription = vscode.workspace.onDidCloseTextDocument((doc) => this.cache.delete(doc.uri.toString()));
  }

  /** The models of a document (one for a model file, one per Sequential model in a Python file). */
  get(doc: vscode.TextDocument): Promise<DocumentModel[]> {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.models;
    const models = this.read(doc);
    this.cache.set(key, { version: doc.version, models });
    return models;
  }

  private async read(doc: vscode.TextDocument): Promise<DocumentModel[]> {
    const text = doc.getText();
    let parsed: ParsedModel[];
    if (isModelJson(doc)) parsed = [parseModelJson(text)];
    else if (isKerasPython(doc)) parsed = await (await import('../model/python')).parsePythonModels(text);
    else parsed = [];
    return parsed.map((p) => ({ parsed: p, analysis: analyze(p) }));
  }

  dispose(): void {
    this.subscription.dispose();
    this.cache.clear();
  }
}
