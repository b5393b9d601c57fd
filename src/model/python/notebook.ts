/**
 * A Jupyter notebook (`.ipynb`) as one Python program: its code cells in order, as running them top to bottom
 * would run them, with IPython's magics (`%matplotlib inline`, `!pip install …`, `%%bash` cells) blanked out and
 * markdown left aside. Every position in the program maps back to `cell N, line, column`, so messages point into
 * the cell. Pure: JSON in, text and a position map out.
 */
import type { Position, Range } from '../types';

export interface NotebookCell {
  /** 1-based position of the cell among all the notebook's cells, markdown included, as Jupyter lists them. */
  cell: number;
  /** Line of the program where the cell's first line is. */
  startLine: number;
  lineCount: number;
}

export interface NotebookProgram {
  text: string;
  cells: NotebookCell[];
}

/** Cell magics whose body is still Python (timing, capturing); any other `%%` cell is another language. */
const PYTHON_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun']);

/** The program of a notebook's JSON text, or why it is not a notebook Model Lab can read (one sentence). */
export function readNotebook(json: string): NotebookProgram | { error: string } {
  let nb: unknown;
  try {
    nb = JSON.parse(json);
  } catch (e) {
    return {
      error: `The notebook is not valid JSON (${(e as Error).message}); open and save it in Jupyter to repair it.`,
    };
  }
  const cells = notebookCells(nb);
  if (!cells)
    return {
      error: 'The file is not a Jupyter notebook: it has no "cells" list (nbformat 4) or "worksheets" (nbformat 3).',
    };
  const language = languageOf(nb);
  if (language && language !== 'python')
    return { error: `The notebook's language is ${language}; Model Lab reads Python notebooks.` };

  return joinCells(
    cells.map((c) => {
      const cell = c && typeof c === 'object' ? (c as Record<string, unknown>) : {};
      return { code: cell.cell_type === 'code', text: sourceText(cell.source ?? cell.input) };
    }),
  );
}

/** One cell as an editor or a notebook file holds it: whether it is a Python code cell, and its text. */
export interface SourceCell {
  /** A code cell in the notebook's Python (markdown, raw and other-language cells are not). */
  code: boolean;
  text: string;
}

/**
 * The program of a notebook's cells, in order: the code cells joined, each with its magics blanked, the others left
 * aside but counted, so a cell's number is its place among all the cells (1-based). The CLI (from the `.ipynb` JSON)
 * and the editor (from VS Code's notebook cells) both read notebooks through this.
 */
export function joinCells(cells: readonly SourceCell[]): NotebookProgram {
  const lines: string[] = [];
  const out: NotebookCell[] = [];
  cells.forEach((cell, i) => {
    if (!cell.code) return;
    const cellLines = blankMagics(cell.text.split(/\r?\n/));
    out.push({ cell: i + 1, startLine: lines.length, lineCount: cellLines.length });
    lines.push(...cellLines);
  });
  return { text: lines.join('\n') + '\n', cells: out };
}

function notebookCells(nb: unknown): unknown[] | undefined {
  if (!nb || typeof nb !== 'object') return undefined;
  const o = nb as Record<string, unknown>;
  if (Array.isArray(o.cells)) return o.cells;
  // nbformat 3: worksheets[].cells, code in `input`.
  if (Array.isArray(o.worksheets))
    return o.worksheets.flatMap((w) =>
      w && typeof w === 'object' && Array.isArray((w as Record<string, unknown>).cells)
        ? (w as { cells: unknown[] }).cells
        : [],
    );
  return undefined;
}

function languageOf(nb: unknown): string | undefined {
  const meta = (nb as { metadata?: { language_info?: { name?: unknown }; kernelspec?: { language?: unknown } } })
    .metadata;
  const name = meta?.language_info?.name ?? meta?.kernelspec?.language;
  return typeof name === 'string' ? name.toLowerCase() : undefined;
}

/** nbformat stores a cell's source as one string or as a list of lines (each with its own newline). */
function sourceText(source: unknown): string {
  if (typeof source === 'string') return source;
  if (Array.isArray(source)) return source.map((s) => (typeof s === 'string' ? s : '')).join('');
  return '';
}

/**
 * IPython syntax that is not Python, replaced by spaces of the same length so columns stay: line magics, shell
 * escapes (also `files = !ls`), help queries (`model?`), and whole cells in another language (`%%bash`).
 */
function blankMagics(lines: string[]): string[] {
  const blank = (s: string) => ' '.repeat(s.length);
  const first = /^\s*%%(\w+)/.exec(lines[0] ?? '');
  if (first) {
    if (!PYTHON_CELL_MAGICS.has(first[1])) return lines.map(blank);
    return [blank(lines[0]), ...blankMagics(lines.slice(1))];
  }
  return lines.map((line) => {
    if (/^\s*[%!]/.test(line) || /^\s*[\w.]+\s*=\s*[%!]/.test(line) || /^\s*[\w.]+\?{1,2}\s*$/.test(line))
      return blank(line);
    return line;
  });
}

/** The cell a program line belongs to, and the line within that cell (both as the program's, 0-based line). */
export function cellOfLine(cells: readonly NotebookCell[], line: number): { cell: number; line: number } | undefined {
  let lo = 0;
  let hi = cells.length - 1;
  let found: NotebookCell | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cells[mid].startLine <= line) {
      found = cells[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found ? { cell: found.cell, line: line - found.startLine } : undefined;
}

/** A position in cell number `cell` (1-based among all cells) → the program's; undefined when that cell is not in it. */
export function programPosition(cells: readonly NotebookCell[], cell: number, p: Position): Position | undefined {
  const c = cells.find((x) => x.cell === cell);
  if (!c || p.line < 0 || p.line >= c.lineCount) return undefined;
  return { line: c.startLine + p.line, character: p.character };
}

/**
 * A range of the program → the cell holding its start and the range within that cell. A range running on past its
 * cell (a model spanning cells) is cut at the end of the cell's last line, so each cell shows only its own part.
 */
export function cellRange(program: NotebookProgram, r: Range): { cell: number; range: Range } | undefined {
  const at = cellOfLine(program.cells, r.start.line);
  if (!at) return undefined;
  const c = program.cells.find((x) => x.cell === at.cell)!;
  const start = { line: at.line, character: r.start.character };
  const lastLine = c.startLine + c.lineCount - 1;
  const end =
    r.end.line <= lastLine
      ? { line: r.end.line - c.startLine, character: r.end.character }
      : { line: c.lineCount - 1, character: lineLength(program.text, lastLine) };
  return { cell: at.cell, range: { start, end } };
}

/** How a message names a program position: `line 5` in a file, `cell 4, line 2` in a notebook. */
export function lineLabel(p: Position, cells?: readonly NotebookCell[]): string {
  const at = cells ? cellOfLine(cells, p.line) : undefined;
  return at ? `cell ${at.cell}, line ${at.line + 1}` : `line ${p.line + 1}`;
}

function lineLength(text: string, line: number): number {
  let from = 0;
  for (let i = 0; i < line; i++) from = text.indexOf('\n', from) + 1;
  const to = text.indexOf('\n', from);
  return (to < 0 ? text.length : to) - from;
}
