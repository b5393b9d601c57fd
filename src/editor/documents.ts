/**
 * Which documents are model documents, and their parsed + analyzed models, cached by document version so hover,
 * diagnostics, CodeLens and inlay hints of one edit share one analysis. A notebook's Python cells are read as one
 * program (`joinCells`), cached per notebook; a cell's features see it through a `DocumentView` that maps positions
 * between the cell and that program (`programPosition`, `cellRange`).
 */
import * as vscode from 'vscode';
import { analyze, parseModelJson, type Analysis } from '../model';
import { cellRange, joinCells, programPosition, type NotebookProgram } from '../model/python/notebook';
import type { ParsedModel, Position, Range } from '../model/types';
import { documentKind, NOTEBOOK_CELL_SCHEME } from './document-kind';

export interface DocumentModel {
  parsed: ParsedModel;
  analysis: Analysis;
}

/** A document's models as one of its features sees them: positions mapped between the document and what was read. */
export interface DocumentView {
  /** The models, in the coordinates of what was read (a notebook's program for a cell). */
  models: DocumentModel[];
  /** A position of the document → the models' coordinates. */
  toModel(p: Position): Position | undefined;
  /** A range of the models' coordinates → the document's; undefined when it lies elsewhere (another cell). */
  toDocument(r: Range): Range | undefined;
}

/** A notebook's program and its models, as read for all its cells at once. */
export interface NotebookModels {
  program: NotebookProgram;
  models: DocumentModel[];
}

/** The notebook a cell document belongs to (VS Code gives a cell no link to it). */
export function notebookOf(doc: vscode.TextDocument): vscode.NotebookDocument | undefined {
  if (doc.uri.scheme !== NOTEBOOK_CELL_SCHEME) return undefined;
  const key = doc.uri.toString();
  return vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document.uri.toString() === key));
}

const isPythonCode = (c: vscode.NotebookCell) =>
  c.kind === vscode.NotebookCellKind.Code && c.document.languageId === 'python';

const notebookText = (nb: vscode.NotebookDocument | undefined) =>
  nb
    ?.getCells()
    .filter(isPythonCode)
    .map((c) => c.document.getText())
    .join('\n') ?? '';

const facts = (doc: vscode.TextDocument) => ({
  scheme: doc.uri.scheme,
  path: doc.uri.path,
  languageId: doc.languageId,
  text: () => (doc.uri.scheme === NOTEBOOK_CELL_SCHEME ? notebookText(notebookOf(doc)) : doc.getText()),
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

/** Whether a notebook has a Python cell that Model Lab reads (a Keras model in one of its cells). */
export function isModelNotebook(nb: vscode.NotebookDocument): boolean {
  const cell = nb.getCells().find(isPythonCode);
  return cell !== undefined && isModelDocument(cell.document);
}

/** Edits are re-read this long after the last keystroke (diagnostics of files, and everything of notebooks). */
export const DEBOUNCE_MS = 250;

export class ModelDocuments implements vscode.Disposable {
  private cache = new Map<string, { version: number; models: Promise<DocumentModel[]> }>();
  private notebooks = new Map<string, { key: string; read: Promise<NotebookModels> }>();
  private readonly notebookTimers = new Map<string, NodeJS.Timeout>();
  private readonly notebookChanged = new vscode.EventEmitter<vscode.NotebookDocument>();
  private readonly subscriptions: vscode.Disposable[];

  /**
   * A notebook's cells changed (text, kind, language, cells added, moved or removed), debounced: what one cell shows
   * depends on the others, so every cell's hints, lenses and diagnostics are asked again.
   */
  readonly onDidChangeNotebook = this.notebookChanged.event;

  constructor() {
    this.subscriptions = [
      this.notebookChanged,
      vscode.workspace.onDidCloseTextDocument((doc) => this.cache.delete(doc.uri.toString())),
      vscode.workspace.onDidCloseNotebookDocument((nb) => {
        clearTimeout(this.notebookTimers.get(nb.uri.toString()));
        this.notebookTimers.delete(nb.uri.toString());
        this.notebooks.delete(nb.uri.toString());
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const nb = notebookOf(e.document);
        if (nb) this.notebookEdited(nb);
      }),
      vscode.workspace.onDidChangeNotebookDocument((e) => this.notebookEdited(e.notebook)),
    ];
  }

  private notebookEdited(nb: vscode.NotebookDocument): void {
    const key = nb.uri.toString();
    clearTimeout(this.notebookTimers.get(key));
    this.notebookTimers.set(
      key,
      setTimeout(() => {
        this.notebookTimers.delete(key);
        if (!nb.isClosed) this.notebookChanged.fire(nb);
      }, DEBOUNCE_MS),
    );
  }

  /**
   * The models of a notebook's Python cells read as one program, in cell order. Cached until a cell's text,
   * language or kind changes, or cells are added, moved or removed.
   */
  notebook(nb: vscode.NotebookDocument): Promise<NotebookModels> {
    const cells = nb.getCells();
    const key = `${nb.version}|${cells.map((c) => `${c.kind}:${c.document.languageId}:${c.document.version}`).join(',')}`;
    const hit = this.notebooks.get(nb.uri.toString());
    if (hit && hit.key === key) return hit.read;
    const program = joinCells(cells.map((c) => ({ code: isPythonCode(c), text: c.document.getText() })));
    const read = readPython(program.text).then((parsed) => ({
      program,
      models: parsed.map((p) => ({ parsed: p, analysis: analyze(p) })),
    }));
    this.notebooks.set(nb.uri.toString(), { key, read });
    return read;
  }

  /** The models of a document with its position maps: the identity for a file, the cell ↔ program map for a cell. */
  async view(doc: vscode.TextDocument): Promise<DocumentView> {
    const nb = notebookOf(doc);
    if (!nb) {
      const same = <T>(x: T) => x;
      return { models: await this.get(doc), toModel: same, toDocument: same };
    }
    const { program, models } = await this.notebook(nb);
    const cell = nb.getCells().findIndex((c) => c.document.uri.toString() === doc.uri.toString()) + 1;
    return {
      models,
      toModel: (p) => programPosition(program.cells, cell, p),
      toDocument: (r) => {
        const at = cellRange(program, r);
        return at?.cell === cell ? at.range : undefined;
      },
    };
  }

  /**
   * The models of a document (one for a model file, one per model in a Python file; for a notebook cell, those of
   * its whole notebook, in the program's coordinates).
   */
  get(doc: vscode.TextDocument): Promise<DocumentModel[]> {
    const nb = notebookOf(doc);
    if (nb) return this.notebook(nb).then((n) => n.models);
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
    this.notebookTimers.forEach((t) => clearTimeout(t));
    this.subscriptions.forEach((s) => s.dispose());
    this.cache.clear();
    this.notebooks.clear();
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
