/**
 * Which documents are model documents, and their parsed + analyzed models, cached by document version so hover,
 * diagnostics, CodeLens and inlay hints of one edit share one analysis.
 */
import * as vscode from 'vscode';
import { analyze, parseModelJson, type Analysis } from '../model';
import type { ParsedModel } from '../model/types';
import { documentKind } from './document-kind';

export interface DocumentModel {
  parsed: ParsedModel;
  analysis: Analysis;
}

const facts = (doc: vscode.TextDocument) => ({
  scheme: doc.uri.scheme,
  path: doc.uri.path,
  languageId: doc.languageId,
  text: () => doc.getText(),
});

export function isModelJson(doc: vscode.TextDocument): boolean {
  return documentKind(facts(doc)) === 'model-json';
}

/** A Python file is worth reading when it mentions a Keras model at all (cheap test before parsing). */
export function isKerasPython(doc: vscode.TextDocument): boolean {
  return documentKind(facts(doc)) === 'keras-python';
}

export function isModelDocument(doc: vscode.TextDocument): boolean {
  return documentKind(facts(doc)) !== undefined;
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
    const kind = documentKind(facts(doc));
    if (kind === 'model-json') parsed = [parseModelJson(text)];
    else if (kind === 'keras-python') parsed = await readPython(text);
    else parsed = [];
    return parsed.map((p) => ({ parsed: p, analysis: analyze(p) }));
  }

  dispose(): void {
    this.subscription.dispose();
    this.cache.clear();
  }
}

let pythonFailure: string | undefined;

/** The Python front end, or one diagnostic saying why it could not start (instead of features failing silently). */
async function readPython(text: string): Promise<ParsedModel[]> {
  try {
    return await (await import('../model/python')).parsePythonModels(text);
  } catch (e) {
    pythonFailure ??= e instanceof Error ? e.message : String(e);
    const at = { line: 0, character: 0 };
    return [
      {
        ranges: { values: new Map(), keys: new Map() },
        range: { start: at, end: at },
        diagnostics: [
          {
            range: { start: at, end: { line: 0, character: 1 } },
            severity: 'error',
            code: 'python-reader',
            message: `Model Lab's Python reader could not start (${pythonFailure}); reinstall the extension, and see the Model Lab log.`,
          },
        ],
      },
    ];
  }
}
