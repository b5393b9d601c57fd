/**
 * `model.summary()` as Keras 3 prints it (keras/src/utils/summary_utils.py, which renders a `rich` table): a boxed
 * table whose column widths come from Keras's positions and line length, cells word-wrapped the way rich wraps them
 * (a word longer than its column is cut with "…"), counts with thousands separators, and the totals with their size
 * in memory, float32 weights at 4 bytes each (`Total params: 34,826 (136.04 KB)`).
 *
 * Model Lab's summary is of a model before training, so there is no "Optimizer params" line: Keras prints it only once
 * the optimizer has built its variables (after `fit` has started).
 */
import { formatShape, thousands } from './number-format';
import { incompleteLine, totals } from './summary-format';
import type { LayerSummary, ModelSummary } from './types';

export interface Keras3Options {
  /** Keras's `line_length`: 88 for a Sequential-like table, 108 with "Connected to" (Keras caps both at the terminal's width less 4). */
  lineLength?: number;
  /** Keras's `show_trainable`: a "Trainable" column (Y / N, "-" for a layer without weights). */
  showTrainable?: boolean;
  /** The names Keras 3 gives in the script's session, by Keras 2 name (SummaryPrint.keras3Names). */
  keras3Names?: Record<string, string>;
}

type Justify = 'left' | 'right' | 'center';

const SEQUENTIAL = { lineLength: 88, positions: [0.45, 0.8, 1.0] };
const GRAPH = { lineLength: 108, positions: [0.3, 0.56, 0.74, 1.0] };
/** A float32 weight's size in bytes. */
const BYTES_PER_PARAM = 4;

export function formatKeras3Summary(summary: ModelSummary, options: Keras3Options = {}): string {
  const connected = summary.functional !== undefined && !summary.functional.sequentialLike;
  const layout = connected ? GRAPH : SEQUENTIAL;
  let positions = layout.positions;
  let lineLength = layout.lineLength;
  const headers = ['Layer (type)', 'Output Shape', 'Param #', ...(connected ? ['Connected to'] : [])];
  const justify: Justify[] = ['left', 'left', 'right', ...(connected ? ['left' as const] : [])];
  if (options.showTrainable) {
    lineLength += 12;
    positions = [...positions.map((p) => p * 0.9), 1.0];
    headers.push('Trainable');
    justify.push('center');
  }
  lineLength = options.lineLength ?? lineLength;

  const names = keras3Names(summary, options.keras3Names);
  const rename = (name: string) => names.get(name) ?? name;
  const rows = summary.layers.map((l) => {
    const fields = [`${rename(l.name)} (${l.type})`, formatShape(l.outputShape, false), thousands(l.params)];
    if (connected) fields.push(connections(l, rename));
    if (options.showTrainable) fields.push(l.params === 0 ? '-' : l.trainableParams > 0 ? 'Y' : 'N');
    return fields;
  });
  const lines = [
    `Model: "${modelName(summary)}"`,
    ...boxTable(headers, justify, rows, columnWidths(lineLength, positions)),
  ];
  // int64 values (Normalization's count) are non-trainable and take 8 bytes: 3 params are "(16.00 B)".
  const int64 = summary.layers.reduce((n, l) => n + (l.int64Params ?? 0), 0);
  for (const t of totals(summary)) {
    const wide = t.label === 'Trainable params' ? 0 : int64;
    lines.push(` ${t.label}: ${thousands(t.count)} (${readableSize((t.count + wide) * BYTES_PER_PARAM)})`);
  }
  if (summary.complete === false && summary.incomplete) lines.push(incompleteLine(summary.incomplete));
  return lines.join('\n') + '\n';
}

/** Keras 3's "Connected to": `dense[0][0], dense_1[0][0]`, or "-" for an input. */
function connections(l: LayerSummary, rename: (name: string) => string): string {
  const refs = (l.connectedTo ?? []).map((c) =>
    c.replace(/^(.*)(\[\d+\]\[\d+\])$/, (_, n: string, at: string) => rename(n) + at),
  );
  return refs.length > 0 ? refs.join(', ') : '-';
}

/**
 * The default names Keras 3 gives differently from Keras 2: inputs are `input_layer`, `input_layer_1`, … (Keras 2:
 * `input_1`, `input_2`, …) and a functional model is `functional`, `functional_1`, … (Keras 2: `model`, `model_1`).
 * A Python script's session names (`session`, which count the InputLayers of its Sequential models too) win.
 */
function keras3Names(summary: ModelSummary, session?: Record<string, string>): Map<string, string> {
  const names = new Map<string, string>();
  if (session) return new Map(Object.entries(session));
  for (const l of summary.layers) {
    const m = l.type === 'InputLayer' ? /^input_(\d+)$/.exec(l.name) : null;
    if (m) names.set(l.name, Number(m[1]) === 1 ? 'input_layer' : `input_layer_${Number(m[1]) - 1}`);
  }
  return names;
}

function modelName(summary: ModelSummary): string {
  const m = summary.functional ? /^model(_\d+)?$/.exec(summary.name) : null;
  return m ? `functional${m[1] ?? ''}` : summary.name;
}

/**
 * Keras's widths, `int(position × line_length)` less the columns before, are rich's fixed column widths; rich adds a
 * space of padding on each side and the borders, finds the table too wide by that much, and takes the excess back
 * from the columns evenly (its `ratio_reduce`, rounding as Python's `round` does). Returns the widths inside the
 * padding.
 */
function columnWidths(lineLength: number, positions: readonly number[]): number[] {
  const widths: number[] = [];
  let current = 0;
  for (const p of positions) {
    const w = Math.floor(p * lineLength) - current;
    widths.push(w + 2);
    current += w;
  }
  let excess = widths.reduce((a, w) => a + w, 0) - (lineLength - (widths.length + 1));
  let share = widths.length;
  for (let i = 0; i < widths.length && excess > 0; i++) {
    const cut = Math.min(widths[i], roundHalfEven(excess / share));
    widths[i] -= cut;
    excess -= cut;
    share -= 1;
  }
  return widths.map((w) => Math.max(0, w - 2));
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * rich's HEAVY_HEAD box with a line between rows; each cell wrapped to its width, the header's cells aligned to the
 * bottom of their row and the others to the top.
 */
function boxTable(headers: string[], justify: Justify[], rows: string[][], widths: number[]): string[] {
  const rule = (left: string, fill: string, cross: string, right: string) =>
    left + widths.map((w) => fill.repeat(w + 2)).join(cross) + right;
  const render = (cells: string[], bar: string) => {
    const wrapped = cells.map((c, i) => wrapCell(c, widths[i], justify[i]));
    const height = Math.max(...wrapped.map((w) => w.length));
    const aligned = wrapped.map((w, i) => {
      const blank = Array<string>(height - w.length).fill(' '.repeat(widths[i]));
      return bar === '┃' ? [...blank, ...w] : [...w, ...blank];
    });
    const out: string[] = [];
    for (let r = 0; r < height; r++) out.push(bar + aligned.map((w) => ` ${w[r]} `).join(bar) + bar);
    return out;
  };
  const lines = [rule('┏', '━', '┳', '┓'), ...render(headers, '┃'), rule('┡', '━', '╇', '┩')];
  rows.forEach((row, i) => {
    if (i > 0) lines.push(rule('├', '─', '┼', '┤'));
    lines.push(...render(row, '│'));
  });
  lines.push(rule('└', '─', '┴', '┘'));
  return lines;
}

/**
 * rich's word wrap with the "ellipsis" overflow: words (a run of spaces belongs to the word before it) fill a line
 * while they fit; a word that does not fit starts a new line, and one longer than the whole width has a line of its
 * own, cut to width − 1 cells and "…". Each line is then justified to exactly `width` cells. Widths are in terminal
 * cells, as rich counts them: Hangul, CJK, kana, fullwidth forms and most emoji take two.
 */
export function wrapCell(text: string, width: number, justify: Justify): string[] {
  const breaks: number[] = [];
  let offset = 0;
  for (const m of text.matchAll(/\s*\S+\s*/g)) {
    const start = m.index;
    const word = m[0];
    const length = cells(word.trimEnd());
    if (offset + length <= width) offset += cells(word);
    else if (length > width || (offset > 0 && start > 0)) {
      if (start > 0) breaks.push(start);
      offset = cells(word);
    }
  }
  const pieces: string[] = [];
  let from = 0;
  for (const b of [...breaks, text.length]) {
    pieces.push(text.slice(from, b));
    from = b;
  }
  return pieces.map((piece) => {
    let line = piece;
    const chars = [...line].length;
    if (chars > width) {
      // rich drops trailing spaces past the width (counted in characters) before justifying.
      const spaces = line.length - line.trimEnd().length;
      line = line.slice(0, line.length - Math.min(spaces, chars - width));
    }
    if (justify !== 'left') line = line.trimEnd();
    if (cells(line) > width) line = fitCells(line, width - 1) + '…';
    const room = width - cells(line);
    if (justify === 'right') return ' '.repeat(room) + line;
    if (justify === 'center') return ' '.repeat(Math.floor(room / 2)) + line + ' '.repeat(room - Math.floor(room / 2));
    return line + ' '.repeat(room);
  });
}

/** The East Asian wide ranges (and the emoji blocks) that a terminal, and rich, draws two cells wide. */
const WIDE: readonly [number, number][] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff01, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

function charCells(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200b || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  return WIDE.some(([a, b]) => cp >= a && cp <= b) ? 2 : 1;
}

function cells(text: string): number {
  let n = 0;
  for (const ch of text) n += charCells(ch);
  return n;
}

/** The longest start of `text` within `total` cells, a wide character cut in half becoming a space (rich's set_cell_size). */
function fitCells(text: string, total: number): string {
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = charCells(ch);
    if (used + w > total) break;
    out += ch;
    used += w;
  }
  return out + ' '.repeat(Math.max(0, total - used));
}

/**
 * Keras's readable_memory_size: the size in the largest of B, KB, MB, GB, TB, PB (powers of 1024) under which it is at
 * least 1, to two decimals. The value is a whole number of bytes over a power of two, so it is rounded exactly, ties to
 * even as Python's format does.
 */
export function readableSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let k = 0;
  while (k < units.length && bytes >= 1024 ** (k + 1)) k++;
  const unit = units[Math.min(k, units.length - 1)];
  const scale = BigInt(1024) ** BigInt(k);
  const scaled = BigInt(Math.round(bytes)) * BigInt(100);
  let hundredths = scaled / scale;
  const twice = (scaled % scale) * BigInt(2);
  if (twice > scale || (twice === scale && hundredths % BigInt(2) === BigInt(1))) hundredths += BigInt(1);
  const whole = hundredths / BigInt(100);
  const frac = (hundredths % BigInt(100)).toString().padStart(2, '0');
  return `${whole}.${frac} ${unit}`;
}
