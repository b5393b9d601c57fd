import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadCsv } from '../../src/data/csv';
import { DataError } from '../../src/data/errors';
import { loadDataset } from '../../src/data/load';

const dir = mkdtempSync(join(tmpdir(), 'ml-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function csv(text: string): string {
  const p = join(dir, `f${n++}.csv`);
  writeFileSync(p, text);
  return p;
}

async function csvError(text: string, label = 'y', loss?: string): Promise<{ file: string; message: string }> {
  const file = csv(text);
  try {
    await loadCsv(file, { label, loss });
  } catch (e) {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e}`);
    return { file, message: e.message };
  }
  assert.fail('expected a DataError');
}

describe('CSV datasets', () => {
  it('reads numeric features and sorts text labels into class ids', async () => {
    const file = csv('a,species,b\n1,virginica,2.5\n-3,setosa,4e1\n.5,versicolor,0\n7,setosa,8\n');
    const d = await loadCsv(file, { label: 'species' });
    assert.equal(d.task, 'classification');
    assert.deepEqual(d.classNames, ['setosa', 'versicolor', 'virginica']);
    assert.deepEqual([...d.train.y], [2, 0, 1, 0]);
    assert.deepEqual([...d.train.x], [1, 2.5, -3, 40, 0.5, 0, 7, 8]);
    assert.ok(d.train.x instanceof Float32Array);
    assert.equal(d.train.count, 4);
    assert.deepEqual(d.exampleShape, [2]);
    assert.equal(d.scale, 1);
    assert.equal(d.source, file);
    assert.equal(d.test, undefined);
  });

  it('handles quoted fields, CRLF line ends and a byte-order mark', async () => {
    const file = csv('\ufeff"x 1","label"\r\n"1.5","big, red"\r\n2,"multi\nline"\r\n"3",plain\r\n');
    const d = await loadCsv(file, { label: 'label' });
    assert.deepEqual(d.classNames, ['big, red', 'multi\nline', 'plain']);
    assert.deepEqual([...d.train.x], [1.5, 2, 3]);
    assert.deepEqual([...d.train.y], [0, 1, 2]);
  });

  it('skips blank lines but still reports true file lines', async () => {
    const { file, message } = await csvError('x,y\n\n1,a\n\nzz,b\n');
    assert.equal(
      message,
      `${file}:5: column 1 ("x") holds "zz", which is not a number; feature columns must be numeric (only the label column "y" may hold text).`,
    );
  });

  it('names the line of a row after a multi-line quoted field', async () => {
    const { file, message } = await csvError('x,y\n1,"a\nb"\n,c\n');
    assert.equal(message, `${file}:4: column 1 ("x") has a missing value; fill it in or remove the row.`);
  });

  it('names row and column of a missing value, including NA spellings', async () => {
    const { file, message } = await csvError('a,b,y\n1,2,p\n3,NA,q\n');
    assert.equal(message, `${file}:3: column 2 ("b") has a missing value ("NA"); fill it in or remove the row.`);
    const label = await csvError('a,y\n1,p\n2,\n');
    assert.match(label.message, /:3: column 2 \("y"\) has a missing value;/);
  });

  it('names row and column of a non-numeric cell', async () => {
    const { message } = await csvError('a,b,y\n1,2,p\n3,4,q\n5,six,r\n');
    assert.match(message, /:4: column 2 \("b"\) holds "six", which is not a number/);
  });

  it('rejects ragged rows', async () => {
    const short = await csvError('a,b,y\n1,2,p\n3,q\n');
    assert.equal(
      short.message,
      `${short.file}:3: this row has 2 values but the header has 3 columns; give every row exactly one value per column.`,
    );
    const long = await csvError('a,y\n1,p,9\n');
    assert.match(long.message, /:2: this row has 3 values but the header has 2 columns/);
  });

  it('rejects an empty file and a header without rows', async () => {
    const empty = await csvError('');
    assert.equal(
      empty.message,
      `${empty.file} is empty; it needs a header row naming the columns, then one row per example.`,
    );
    const blank = await csvError('\n\n');
    assert.match(blank.message, /is empty/);
    const headerOnly = await csvError('a,b,y\n');
    assert.equal(
      headerOnly.message,
      `${headerOnly.file} has a header row but no data rows; add one row per example below the header.`,
    );
  });

  it('rejects an unknown label column and lists the real ones', async () => {
    const { file, message } = await csvError('a,b,species\n1,2,x\n', 'specie');
    assert.equal(
      message,
      `${file}:1: there is no column named "specie" (the header has "a", "b", "species"); set dataset.label to the label column's name.`,
    );
  });

  it('rejects a header that is only the label column', async () => {
    const { message } = await csvError('y\n1\n');
    assert.match(message, /:1: the header has only the label column "y"; add at least one feature column/);
  });

  it('reports a malformed CSV (unclosed quote) with its line', async () => {
    const { file, message } = await csvError('a,y\n1,p\n2,"q\n');
    assert.ok(message.startsWith(`${file}:`), message);
    assert.match(message, /the CSV is malformed \(quote not closed\); check its quotes and separators\./);
  });

  it('decides the task from numeric labels and the loss', async () => {
    const ints = csv('a,y\n1,3\n2,1\n3,3\n4,10\n');
    const cls = await loadCsv(ints, { label: 'y' });
    assert.equal(cls.task, 'classification');
    // Sorted numerically, not as text: 1 < 3 < 10.
    assert.deepEqual(cls.classNames, ['1', '3', '10']);
    assert.deepEqual([...cls.train.y], [1, 0, 1, 2]);
    const reg = await loadCsv(ints, { label: 'y', loss: 'mse' });
    assert.equal(reg.task, 'regression');
    assert.deepEqual(reg.classNames, []);
    assert.ok(reg.train.y instanceof Float32Array);
    assert.deepEqual([...reg.train.y], [3, 1, 3, 10]);

    const fractions = csv('a,y\n1,0.5\n2,1.25\n');
    const guessed = await loadCsv(fractions, { label: 'y' });
    assert.equal(guessed.task, 'regression');
    assert.deepEqual([...guessed.train.y], [0.5, 1.25]);
  });

  it('refuses labels that do not fit the loss', async () => {
    const frac = await csvError('a,y\n1,0\n2,0.5\n', 'y', 'sparse_categorical_crossentropy');
    assert.match(
      frac.message,
      /:3: column 2 \("y"\) holds 0\.5, but the loss sparse_categorical_crossentropy needs class labels/,
    );
    const text = await csvError('a,y\n1,cat\n', 'y', 'mean_squared_error');
    assert.match(
      text.message,
      /:2: column 2 \("y"\) holds "cat", but the loss mean_squared_error needs numeric targets/,
    );
  });

  it('is reached through loadDataset, relative to the model folder', async () => {
    writeFileSync(join(dir, 'iris.csv'), 'f,label\n1,a\n2,b\n');
    const d = await loadDataset({ spec: { csv: 'iris.csv', label: 'label' }, baseDir: dir, cacheDir: dir });
    assert.equal(d.name, 'iris.csv');
    assert.equal(d.train.count, 2);
    await assert.rejects(
      loadDataset({ spec: { csv: 'iris.csv' }, baseDir: dir, cacheDir: dir }),
      (e: unknown) => e instanceof DataError && /needs "label"/.test(e.message),
    );
    await assert.rejects(
      loadDataset({ spec: { csv: 'missing.csv', label: 'x' }, baseDir: dir, cacheDir: dir }),
      (e: unknown) =>
        e instanceof DataError &&
        e.message ===
          `${join(dir, 'missing.csv')} does not exist; check dataset.csv (it is relative to the model file's folder).`,
    );
  });
});
