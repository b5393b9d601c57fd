/**
 * A Jupyter notebook (`.ipynb`) as one Python program: its code cells in order, as running them top to bottom
 * would run them, with IPython's magics (`%matplotlib inline`, `!pip install …`, `%%bash` cells) blanked out and
 * markdown left aside. Every position in the program maps back to `cell N, line, column`, so messages point into
 * the cell. Pure: JSON in, text and a position map out.
 */

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

  const lines: string[] = [];
  const out: NotebookCell[] = [];
  cells.forEach((c, i) => {
    if (!c || typeof c !== 'object') return;
    const cell = c as Record<string, unknown>;
    if (cell.cell_type !== 'code') return;
    const source = sourceText(cell.source ?? cell.input);
    const cellLines = blankMagics(source.split(/\r?\n/));
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
