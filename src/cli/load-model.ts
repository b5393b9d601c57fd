/**
 * The one way CLI commands read a model file: `.py` through the Keras Python front end (one model per
 * `keras.Sequential`), anything else as a `.model.json` definition. A missing file or a folder is a usage error;
 * an empty, binary or oversized file is read as a model with one positioned error.
 */
import { dirname, extname, resolve } from 'node:path';
import { BoundedReadError, readFileBounded } from '../data/read-bounded';
import { analyze, type Analysis } from '../model/analyze';
import { parseModelJson } from '../model/parse-json';
import { MAX_MODEL_BYTES, unreadableText } from '../model/read-limits';
import { cellOfLine, readNotebook, type NotebookCell } from '../model/python/notebook';
import { decodePythonSource } from '../model/python/source-encoding';
import { ZERO_RANGE } from '../model/text-lines';
import type { Diagnostic, ParsedModel } from '../model/types';
import { EXIT, UserError, type CliIO } from './io';

export interface LoadedModels {
  /** The path as the user gave it, for messages. */
  file: string;
  absolutePath: string;
  /** Folder relative dataset paths resolve against. */
  baseDir: string;
  text: string;
  kind: 'json' | 'python';
  /** One for JSON; one per Sequential model for Python (possibly none). */
  models: ParsedModel[];
  /** For a notebook: where each code cell sits in `text` (its cells in order, magics blanked). */
  cells?: NotebookCell[];
}

export async function loadModelFile(file: string, io: Pick<CliIO, 'cwd'>): Promise<LoadedModels> {
  const absolutePath = resolve(io.cwd, file);
  const ext = extname(absolutePath).toLowerCase();
  const kind = ext === '.py' || ext === '.ipynb' ? 'python' : 'json';
  const base = { file, absolutePath, baseDir: dirname(absolutePath), kind } as const;
  let bytes: Buffer;
  try {
    // Bounded and regular files only: a FIFO or /dev/zero named as the model must not hang or fill memory.
    bytes = await readFileBounded(absolutePath, MAX_MODEL_BYTES);
  } catch (e) {
    if (!(e instanceof BoundedReadError)) throw e;
    const shown = e.message.replace(absolutePath, file);
    switch (e.reason) {
      case 'too-large':
        return { ...base, text: '', models: [refused(unreadableText('', e.size ?? MAX_MODEL_BYTES + 1)!)] };
      case 'missing':
        throw new UserError(`${shown}; check the path.`, EXIT.invalid);
      case 'folder':
      case 'special':
        throw new UserError(`${shown}; give a .model.json or Keras .py file.`, EXIT.invalid);
      default:
        throw new UserError(`${shown}; check that it is readable.`, EXIT.invalid);
    }
  }
  // A byte-order mark is not part of the text (editors hide it too), so positions stay the editor's.
  let text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (kind === 'python') {
    // Python honours a `# -*- coding: latin-1 -*-` comment; so does Model Lab, or every accented letter would move.
    const decoded = decodePythonSource(bytes);
    if ('error' in decoded) return { ...base, text: '', models: [refused(decoded.error)] };
    text = decoded.text.replace(/^\uFEFF/, '');
  }
  if (ext === '.ipynb') {
    const notebook = readNotebook(text);
    if ('error' in notebook) return { ...base, text: '', models: [refused(notebook.error)] };
    return { ...base, text: notebook.text, cells: notebook.cells, models: await parsePython(notebook.text) };
  }
  const refusal = unreadableText(text, bytes.length);
  if (refusal) return { ...base, text: '', models: [refused(refusal)] };

  const models = kind === 'python' ? await parsePython(text) : [parseModelJson(text)];
  return { ...base, text, models };
}

/**
 * A file refused as a whole is a model with one error at 1:1, so every command prints it as `file:1:1: error: …`
 * like any other problem in the file, and exits 2 the same way.
 */
function refused(message: string): ParsedModel {
  return {
    ranges: { values: new Map(), keys: new Map() },
    diagnostics: [{ range: ZERO_RANGE, severity: 'error', message, code: 'unreadable' }],
    range: ZERO_RANGE,
  };
}

async function parsePython(text: string): Promise<ParsedModel[]> {
  // Loaded on demand: the Python front end brings a tree-sitter wasm that JSON users never need.
  const { parsePythonModels } = await import('../model/python/index');
  return parsePythonModels(text);
}

/** The model a single-model command (train, export) works on: the first, with a note when there are more. */
export function firstModel(loaded: LoadedModels): { model: ParsedModel; note?: string } {
  const [model] = loaded.models;
  if (!model) {
    throw new UserError(`${loaded.file} has no keras.Sequential model that Model Lab can read.`, EXIT.invalid);
  }
  const note =
    loaded.models.length > 1
      ? `${loaded.file} defines ${loaded.models.length} models; using the first (${model.definition?.name ?? 'sequential'}).`
      : undefined;
  return { model, note };
}

/** `file:line:col: error: message`, 1-based as compilers print it; in a notebook `file:cell 4:2:7: …`. */
export function diagnosticLine(file: string, d: Diagnostic, cells?: readonly NotebookCell[]): string {
  const severity = d.severity === 'information' ? 'info' : d.severity;
  return `${positionText(file, d.range.start, cells)}: ${severity}: ${d.message}`;
}

/** `file:line:col`, or `file:cell N:line:col` for a position in a notebook's program. */
export function positionText(
  file: string,
  p: { line: number; character: number },
  cells?: readonly NotebookCell[],
): string {
  const inCell = cells ? cellOfLine(cells, p.line) : undefined;
  if (inCell) return `${file}:cell ${inCell.cell}:${inCell.line + 1}:${p.character + 1}`;
  return `${file}:${p.line + 1}:${p.character + 1}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Analyses every model of a loaded file. */
export function analyzeAll(loaded: LoadedModels): Analysis[] {
  return loaded.models.map(analyze);
}

/** Every diagnostic of a file's models once (a Python syntax error may be seen by two models), in order. */
export function fileDiagnostics(analyses: readonly Analysis[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const a of analyses) {
    for (const d of a.diagnostics) {
      const key = `${d.range.start.line}:${d.range.start.character}:${d.severity}:${d.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(d);
    }
  }
  return out.sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
}
