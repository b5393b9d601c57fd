/**
 * The editor's view of a notebook: VS Code's cells joined as one program (the same joining as the CLI's `.ipynb`
 * reader), and positions mapped both ways between a cell and the program, so hovers, hints, lenses and diagnostics
 * land in the right cell.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import {
  cellRange,
  joinCells,
  lineLabel,
  programPosition,
  readNotebook,
  type SourceCell,
} from '../../src/model/python/notebook';

const code = (text: string): SourceCell => ({ code: true, text });
const markdown = (text: string): SourceCell => ({ code: false, text });

/** A model built in one cell, compiled in the next, fitted after a markdown cell (cell numbers 1..5). */
const CELLS = [
  code('%matplotlib inline\nimport keras'),
  code(
    'model = keras.Sequential([\n    keras.layers.Dense(100, activation="relu", input_shape=(784,)),\n    keras.layers.Dense(10, activation="softmax"),\n])',
  ),
  code('model.compile(optimizer="adamm", loss="sparse_categorical_crossentropy", metrics=["accuracy"])'),
  markdown('## Training\nmodel.fit(nothing)'),
  code('!nvidia-smi\nhistory = model.fit(x, y, epochs=3, batch_size=64)'),
];

test('the editor joins cells exactly as the .ipynb reader does', () => {
  const json = JSON.stringify({
    cells: CELLS.map((c) => ({ cell_type: c.code ? 'code' : 'markdown', source: c.text, metadata: {} })),
    metadata: { language_info: { name: 'python' } },
    nbformat: 4,
  });
  assert.deepEqual(joinCells(CELLS), readNotebook(json));
  assert.deepEqual(joinCells(CELLS).cells, [
    { cell: 1, startLine: 0, lineCount: 2 },
    { cell: 2, startLine: 2, lineCount: 4 },
    { cell: 3, startLine: 6, lineCount: 1 },
    { cell: 5, startLine: 7, lineCount: 2 },
  ]);
});

test('every position of every code cell maps to the program and back to the same cell and position', () => {
  const program = joinCells(CELLS);
  const programLines = program.text.split('\n');
  CELLS.forEach((cell, i) => {
    const n = i + 1;
    cell.text.split('\n').forEach((line, l) => {
      for (let c = 0; c <= line.length; c++) {
        const p = programPosition(program.cells, n, { line: l, character: c });
        if (!cell.code) {
          assert.equal(p, undefined, 'a markdown cell is not in the program');
          continue;
        }
        assert.ok(p);
        // Magics are blanked, so only Python text is compared.
        if (!/^[%!]/.test(line)) assert.equal(programLines[p.line][c], line[c]);
        assert.deepEqual(cellRange(program, { start: p, end: p }), {
          cell: n,
          range: { start: { line: l, character: c }, end: { line: l, character: c } },
        });
      }
    });
  });
  assert.equal(programPosition(program.cells, 3, { line: 1, character: 0 }), undefined, 'past the cell');
  assert.equal(programPosition(program.cells, 9, { line: 0, character: 0 }), undefined, 'no such cell');
  assert.equal(cellRange(program, { start: { line: 99, character: 0 }, end: { line: 99, character: 0 } })?.cell, 5);
});

test("a range running past its cell is cut at the end of the cell's last line", () => {
  const program = joinCells(CELLS);
  // From `model` (cell 2, line 1) into the compile cell.
  assert.deepEqual(cellRange(program, { start: { line: 2, character: 0 }, end: { line: 6, character: 5 } }), {
    cell: 2,
    range: { start: { line: 0, character: 0 }, end: { line: 3, character: 2 } },
  });
});

test('messages name a notebook position by cell and line, a file position by line', () => {
  const { cells } = joinCells(CELLS);
  assert.equal(lineLabel({ line: 7, character: 3 }, cells), 'cell 5, line 1');
  assert.equal(lineLabel({ line: 7, character: 3 }), 'line 8');
});

test('one program: the model of cell 2 takes the compile of cell 3 and the fit of cell 5; its problems map to their cells', async () => {
  const program = joinCells(CELLS);
  const [model, ...others] = await parsePythonModels(program.text);
  assert.equal(others.length, 0);
  const analysis = analyze(model);
  assert.deepEqual(model.definition?.fit, { epochs: 3, batch_size: 64 });
  assert.equal(model.definition?.compile?.loss, 'sparse_categorical_crossentropy');
  assert.equal(cellRange(program, model.range)?.cell, 2, 'the model (and its CodeLens) starts in cell 2');
  const [problem] = analysis.diagnostics;
  assert.equal(problem.code, 'unknown-optimizer');
  const at = cellRange(program, problem.range);
  assert.deepEqual(at, {
    cell: 3,
    range: { start: { line: 0, character: 24 }, end: { line: 0, character: 31 } },
  });
  assert.equal(CELLS[2].text.slice(24, 31), '"adamm"');
  // The first Dense: 784 * 100 + 100 parameters, hovered in cell 2 line 2.
  assert.equal(analysis.summary?.layers[0].params, 78_500);
});
