/**
 * The VS Code-free rules of the editor's model documents: which documents Model Lab reads, and which of a file's
 * models a command acts on. Pure, so they are unit-tested without VS Code (`documents.ts` and `targets.ts` apply them).
 */
import { containsPosition } from '../model/text-lines';
import type { Position, Range } from '../model/types';

/** Files and unsaved editors only: not diff sides (`git:`) or other virtual documents. */
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote']);

/** The scheme of a notebook cell's document (VS Code's notebook editor, `.ipynb` opened as a notebook). */
export const NOTEBOOK_CELL_SCHEME = 'vscode-notebook-cell';

/** What a file mentions before it is worth parsing as Keras: a Sequential model or a functional one. */
const KERAS_MODEL = /\bSequential\b|\bModel\s*\(/;

export type DocumentKind = 'model-json' | 'keras-python' | 'notebook-cell';

export interface DocumentFacts {
  scheme: string;
  path: string;
  languageId: string;
  /**
   * The text, read only when the other facts leave a Python file in question; for a notebook cell, the text of its
   * whole notebook (a cell that only fits a model is read because another cell builds it).
   */
  text: () => string;
}

/**
 * A `*.model.json` file, a Python file with a Keras model in it (a cheap test before parsing), a Python cell of a
 * notebook with a Keras model in one of its cells, or neither.
 */
export function documentKind(doc: DocumentFacts): DocumentKind | undefined {
  if (doc.scheme === NOTEBOOK_CELL_SCHEME)
    return doc.languageId === 'python' && KERAS_MODEL.test(doc.text()) ? 'notebook-cell' : undefined;
  if (!SCHEMES.has(doc.scheme)) return undefined;
  if (doc.path.endsWith('.model.json')) return 'model-json';
  if (doc.languageId === 'python' && KERAS_MODEL.test(doc.text())) return 'keras-python';
  return undefined;
}

/**
 * Which model a command acts on: a valid explicit index (CodeLens, menus), else the model under the cursor, else the
 * only model; `ask` when several remain and the user must pick.
 */
export function chooseModel(ranges: readonly Range[], index: unknown, cursor?: Position): number | 'ask' {
  if (typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < ranges.length) return index;
  if (cursor) {
    const i = ranges.findIndex((r) => containsPosition(r, cursor));
    if (i >= 0) return i;
  }
  return ranges.length === 1 ? 0 : 'ask';
}
