/**
 * CSV datasets with holes, text in number columns, ragged rows or nothing in them: `model-lab train` exits 1 with
 * one line that names the file, the row (file line) and, for a bad cell, the column.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertRefused, requireDist, runCli, tempDir } from '../fixtures/reliability/harness';

const tmp = tempDir('csv');
before(requireDist);
after(tmp.cleanup);

interface CsvCase {
  name: string;
  text: string;
  /** What the message must contain besides the file path. */
  says: (string | RegExp)[];
}

const GOOD_ROWS = ['1.5,2,cat', '0.5,1,dog', '3,4,bird', '2,2,cat'];
const HEADER = 'height,weight,label';
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n') + '\n';

const CASES: CsvCase[] = [
  {
    name: 'an empty cell',
    text: csv(GOOD_ROWS[0], '0.5,,dog', GOOD_ROWS[2]),
    says: [':3:', 'column 2 ("weight")', 'missing value'],
  },
  {
    name: 'NA in a feature column',
    text: csv(GOOD_ROWS[0], GOOD_ROWS[1], 'NA,4,bird'),
    says: [':4:', 'column 1 ("height")', '"NA"'],
  },
  {
    name: 'an empty label',
    text: csv(GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[2], '2,2,'),
    says: [':5:', 'column 3 ("label")', 'missing value'],
  },
  {
    name: 'text in a number column',
    text: csv(GOOD_ROWS[0], 'tall,1,dog'),
    says: [':3:', 'column 1 ("height")', '"tall"', 'not a number'],
  },
  { name: 'a decimal comma', text: csv('1,5;2;cat'), says: [':2:'] },
  {
    name: 'a row with a value missing',
    text: csv(GOOD_ROWS[0], GOOD_ROWS[1], '3,bird'),
    says: [':4:', 'has 2 values', '3 columns'],
  },
  {
    name: 'a row with a value too many',
    text: csv(GOOD_ROWS[0], '0.5,1,dog,extra'),
    says: [':3:', 'has 4 values', '3 columns'],
  },
  { name: 'an unclosed quote', text: csv(GOOD_ROWS[0], '"0.5,1,dog', GOOD_ROWS[2]), says: [/:\d+:/, 'malformed'] },
  { name: 'an empty file', text: '', says: ['empty'] },
  { name: 'only blank lines', text: '\n\n\n', says: ['empty'] },
  { name: 'a header and no rows', text: HEADER + '\n', says: ['no data rows'] },
  {
    name: 'no column named like dataset.label',
    text: 'height,weight,kind\n1,2,cat\n',
    says: [':1:', 'no column named "label"'],
  },
  // Issue 14: a cell beyond float32 (1e400 is Infinity in JavaScript) was reported as divergence, not as the cell.
  {
    name: 'a non-finite cell (1e400)',
    text: csv(GOOD_ROWS[0], '1e400,1,dog'),
    says: [':3:', 'column 1 ("height")', '1e400', 'too large'],
  },
  {
    name: 'a cell beyond float32 (-1e39)',
    text: csv(GOOD_ROWS[0], GOOD_ROWS[1], '1,-1e39,dog'),
    says: [':4:', 'column 2 ("weight")', 'too large'],
  },
  {
    name: 'a duplicated header name',
    text: 'height,height,label\n1,2,cat\n',
    says: [':1:', 'column 2 repeats the name "height" of column 1'],
  },
  {
    name: 'a duplicated label column',
    text: 'label,height,label\ncat,2,cat\n',
    says: [':1:', 'column 3 repeats the name "label" of column 1'],
  },
];

function modelFor(csvName: string): string {
  return JSON.stringify({
    name: 'csv-mlp',
    dataset: { csv: csvName, label: 'label', validation_split: 0.25 },
    layers: [{ type: 'Dense', units: 3, activation: 'softmax', input_shape: [2] }],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    fit: { epochs: 1, batch_size: 2 },
  });
}

describe('a bad CSV dataset', () => {
  CASES.forEach((c, i) => {
    test(`${c.name}: exit 1, one line naming the file, row and column`, async () => {
      const file = join(tmp.dir, `data-${i}.csv`);
      writeFileSync(file, c.text);
      writeFileSync(join(tmp.dir, `m-${i}.model.json`), modelFor(`data-${i}.csv`));
      const cli = await runCli(['train', `m-${i}.model.json`], tmp.dir);
      assertRefused(cli, [file, ...c.says]);
    });
  });

  test('the same model trains on a clean CSV (the cases above fail because of their data)', async () => {
    writeFileSync(join(tmp.dir, 'clean.csv'), csv(...GOOD_ROWS, ...GOOD_ROWS));
    writeFileSync(join(tmp.dir, 'clean.model.json'), modelFor('clean.csv'));
    const cli = await runCli(['train', 'clean.model.json'], tmp.dir);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^Epoch 1\/1 .*loss: /m);
  });
});
