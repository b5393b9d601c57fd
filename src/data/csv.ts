/**
 * A CSV file as a dataset: a header row, numeric feature columns and one label column (`dataset.label`).
 * Text labels become classes (sorted, then numbered); numeric labels are classes or regression targets depending
 * on the loss. Every error names the file line and the column, since that is what the user has to go and fix.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { parse, type CsvError } from 'csv-parse';
import { canonicalLoss, lossInfo } from '../model/losses';
import { DataError, throwIfAborted } from './errors';
import { BoundedReadError, checkRegularFile } from './read-bounded';
import type { LoadedDataset } from './types';

export interface CsvOptions {
  /** The label column's name, as in the header. */
  label: string;
  /** Keras loss name: a crossentropy means classes, mse/mae numbers (see `taskFromLoss`). */
  loss?: string;
  /** Dataset name to report; defaults to the file name. */
  name?: string;
  signal?: AbortSignal;
}

/** Missing-value spellings people and pandas write; an empty cell is the usual one. */
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?']);
/** Largest float32: a bigger cell becomes Infinity in training and looks like divergence. */
const FLOAT32_MAX = 3.4028234663852886e38;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * What the loss says the labels are, from the loss table (`model/losses.ts`): a classification loss takes classes,
 * mse/mae (any spelling) take numbers; no loss, or one Model Lab does not train, leaves it to the labels themselves.
 */
export function taskFromLoss(loss: string | undefined): 'classification' | 'regression' | undefined {
  const known = loss === undefined ? undefined : canonicalLoss(loss);
  if (known === undefined) return undefined;
  return lossInfo(known).classification ? 'classification' : 'regression';
}

export async function loadCsv(file: string, opts: CsvOptions): Promise<LoadedDataset> {
  await checkReadable(file);
  // `end` bounds the read even if the file grows after the check.
  const parser = createReadStream(file, { end: MAX_CSV_BYTES }).pipe(
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  );

  let header: string[] | undefined;
  let labelCol = -1;
  const features: number[] = [];
  const labels: { text: string; line: number }[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      // info.lines is where the record ends; a quoted field may span lines, so step back to where it starts.
      const line = info.lines - record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
      if (!header) {
        header = record;
        // Two columns of one name: the label (or a feature) would be whichever comes first, silently.
        const firstOf = new Map<string, number>();
        header.forEach((h, c) => {
          const before = firstOf.get(h);
          if (before !== undefined) {
            throw new DataError(
              `${file}:${line}: column ${c + 1} repeats the name "${truncate(h)}" of column ${before + 1}; give every column of the header its own name.`,
            );
          }
          firstOf.set(h, c);
        });
        labelCol = header.indexOf(opts.label);
        if (labelCol < 0) {
          throw new DataError(
            `${file}:${line}: there is no column named "${opts.label}" (the header has ${header.map((h) => `"${truncate(h)}"`).join(', ')}); set dataset.label to the label column's name.`,
            'spec',
          );
        }
        if (header.length < 2) {
          throw new DataError(`${file}:${line}: the header has only the label column "${opts.label}"; add at least one feature column.`);
        }
        continue;
      }
      if (record.length !== header.length) {
        throw new DataError(
          `${file}:${line}: this row has ${record.length} value${record.length === 1 ? '' : 's'} but the header has ${header.length} columns; give every row exactly one value per column.`,
        );
      }
      if (labels.length % 10_000 === 0) throwIfAborted(opts.signal, `Reading ${file}`);
      for (let c = 0; c < record.length; c++) {
        const cell = record[c];
        const where = `${file}:${line}: column ${c + 1} ("${truncate(header[c])}")`;
        if (MISSING.has(cell.toLowerCase())) {
          throw new DataError(`${where} has a missing value${cell ? ` ("${truncate(cell)}")` : ''}; fill it in or remove the row.`);
        }
        if (c === labelCol) {
          labels.push({ text: cell, line });
        } else if (NUMBER.test(cell)) {
          const value = Number(cell);
          if (!(Math.abs(value) <= FLOAT32_MAX)) throw new DataError(`${where} holds ${truncate(cell)}, which is too large for a 32-bit number; scale the column down or remove the row.`);
          features.push(value);
        } else {
          throw new DataError(
            `${where} holds "${truncate(cell)}", which is not a number; feature columns must be numeric (only the label column "${opts.label}" may hold text).`,
          );
        }
      }
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw parseError(file, e);
  }

  if (!header) {
    throw new DataError(`${file} is empty; it needs a header row naming the columns, then one row per example.`);
  }
  if (labels.length === 0) {
    throw new DataError(`${file} has a header row but no data rows; add one row per example below the header.`);
  }
  const featureCount = header.length - 1;
  const { y, classNames, task } = encodeLabels(file, header[labelCol], labelCol, labels, taskFromLoss(opts.loss), opts.loss);
  return {
    name: opts.name ?? basename(file),
    source: file,
    exampleShape: [featureCount],
    scale: 1,
    classNames,
    task,
    featureNames: header.filter((_, c) => c !== labelCol),
    train: { x: Float32Array.from(features), y, count: labels.length },
  };
}

function encodeLabels(
  file: string,
  column: string,
  labelCol: number,
  labels: { text: string; line: number }[],
  taskFromLossName: 'classification' | 'regression' | undefined,
  loss: string | undefined,
): { y: Int32Array | Float32Array; classNames: string[]; task: 'classification' | 'regression' } {
  const where = (line: number) => `${file}:${line}: column ${labelCol + 1} ("${truncate(column)}")`;
  const firstText = labels.find((l) => !NUMBER.test(l.text));
  const firstFraction = firstText ? undefined : labels.find((l) => !Number.isInteger(Number(l.text)));

  if (taskFromLossName === 'regression' || (taskFromLossName === undefined && !firstText && firstFraction)) {
    if (firstText) {
      throw new DataError(
        `${where(firstText.line)} holds "${truncate(firstText.text)}", but the loss ${loss} needs numeric targets; use numbers in the label column or a classification loss such as sparse_categorical_crossentropy.`,
      );
    }
    const huge = labels.find((l) => !(Math.abs(Number(l.text)) <= FLOAT32_MAX));
    if (huge) {
      throw new DataError(`${where(huge.line)} holds ${truncate(huge.text)}, which is too large for a 32-bit number; scale the targets down or remove the row.`);
    }
    return { y: Float32Array.from(labels, (l) => Number(l.text)), classNames: [], task: 'regression' };
  }
  if (firstFraction) {
    throw new DataError(
      `${where(firstFraction.line)} holds ${firstFraction.text}, but the loss ${loss} needs class labels; use whole numbers or names for classes, or a regression loss such as mse.`,
    );
  }
  // Classes in sorted order (numerically when every label is a number), numbered from 0 as Keras expects.
  let classNames: string[];
  let keyOf: (text: string) => string;
  if (firstText) {
    keyOf = (t) => t;
    classNames = [...new Set(labels.map((l) => l.text))].sort();
  } else {
    keyOf = (t) => String(Number(t));
    classNames = [...new Set(labels.map((l) => Number(l.text)))].sort((a, b) => a - b).map(String);
  }
  const ids = new Map(classNames.map((name, i) => [name, i]));
  return { y: Int32Array.from(labels, (l) => ids.get(keyOf(l.text))!), classNames, task: 'classification' };
}

/**
 * Largest CSV read: every cell becomes a number in memory (8 bytes while parsing), so 512 MB of text is already
 * gigabytes; a FIFO or /dev/zero is refused before it is opened.
 */
export const MAX_CSV_BYTES = 512 * 1024 * 1024;

async function checkReadable(file: string): Promise<void> {
  try {
    await checkRegularFile(file, MAX_CSV_BYTES);
  } catch (e) {
    if (!(e instanceof BoundedReadError)) throw e;
    switch (e.reason) {
      case 'folder':
        throw new DataError(`${file} is a folder, not a CSV file; set dataset.csv to the file itself.`, 'spec');
      case 'special':
        throw new DataError(`${e.message}; set dataset.csv to a CSV file.`, 'spec');
      case 'too-large':
        throw new DataError(`${e.message}; use a smaller sample of the data.`, 'spec');
      case 'missing':
        throw new DataError(`${file} does not exist; check dataset.csv (it is relative to the model file's folder).`, 'not-found');
      default:
        throw new DataError(`Cannot read ${file} (${e.code ?? e.message}); check that it is readable.`, 'not-found');
    }
  }
}

function parseError(file: string, e: unknown): DataError {
  const err = e as Partial<CsvError> & { lines?: number };
  if (err.code && String(err.code).startsWith('CSV_')) {
    // csv-parse says "... at line N"; the position goes in front, like every other CSV error.
    const message = String(err.message).replace(/\s+at line \d+\.?$/, '').replace(/:.*$/, '');
    return new DataError(`${file}:${err.lines ?? '?'}: the CSV is malformed (${message.toLowerCase()}); check its quotes and separators.`);
  }
  const code = (e as NodeJS.ErrnoException).code;
  return new DataError(`Cannot read ${file} (${code ?? (e as Error).message}); check that it is readable.`, 'not-found');
}

/** A cell or column name for a one-line message: shortened, and line breaks and other controls shown as escapes. */
function truncate(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 37)}…` : text;
  // eslint-disable-next-line no-control-regex -- controls are what this shows as escapes
  return shown.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
