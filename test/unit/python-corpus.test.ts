/**
 * The corpus: published Keras models (test/fixtures/python/corpus/*.py), each the code of a notebook cell exactly
 * as published with the `model.summary()` output the notebook printed below it, and its source (repository, path,
 * commit) in its first lines. Each model Model Lab reads whole must give every layer's output shape and parameter
 * count and the totals exactly as published; a model it cannot read yet (a layer it does not have, data it cannot
 * see) must say so and never show wrong numbers. The counts below are the honest state and must only go up.
 * The published block is `# Published model.summary():` (the file's last model's) or `# Published NAME.summary():`
 * when the file goes on to build other models: then it is the model printed by the code's `NAME.summary()` call.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';
import type { ParsedModel } from '../../src/model/types';

const DIR = join(__dirname, '../fixtures/python/corpus');

interface Row {
  shape: string;
  params: number;
}

const MARKER = /^# Published (\w+)\.summary\(\):$/m;

/**
 * The rows and total of a published summary (Keras 2's table or Keras 3's boxed one, where a long name's `(type)` may
 * wrap to the next line; a functional model's `[(None, 8)]` input and "Connected to" column), from the comment block.
 */
function published(text: string): { rows: Row[]; total: number } {
  const block = text.slice(MARKER.exec(text)?.index ?? text.length);
  const rows: Row[] = [];
  for (const line of block.split('\n')) {
    const m =
      /^#\s*[│|]?\s*\S+(?: \([^)]*\)?)?\s*[│|]?\s*\[?(\((?:None|\d+)(?:, (?:None|\d+))*,?\))\]?\s*[│|]?\s*([\d,]+)\s*[│|]?(?:\s*[\w.]+\[\d+\]\[\d+\],?\s*[│|]?)?\s*$/.exec(
        line,
      );
    if (m) rows.push({ shape: m[1].replace(/,\)$/, ')'), params: Number(m[2].replace(/,/g, '')) });
  }
  const total = /Total params: ([\d,]+)/.exec(block);
  return { rows, total: total ? Number(total[1].replace(/,/g, '')) : NaN };
}

/**
 * The model the published summary is of: the last one, or for `# Published NAME.summary():` the first model (in
 * program order) whose statements reach the `NAME.summary()` call (a model's range runs to its last statement).
 */
function printedModel(text: string, models: ParsedModel[]): ParsedModel | undefined {
  const name = MARKER.exec(text)?.[1];
  if (name === undefined || name === 'model') return models[models.length - 1];
  const call = new RegExp(`^${name}\\.summary\\(\\)`, 'm').exec(text);
  assert.ok(call, `the code calls ${name}.summary()`);
  const line = text.slice(0, call.index).split('\n').length - 1;
  return models.find((m) => m.range.end.line >= line);
}

const shapeText = (s: (number | null)[]) => `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;

test('the corpus: every fixture names its source; what is read whole matches its published summary exactly', async () => {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.py'))
    .sort();
  assert.ok(files.length >= 25, `${files.length} fixtures`);
  const matched: string[] = [];
  const pending: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(DIR, file), 'utf8');
    assert.match(
      text,
      /^# Source: https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/blob\/[0-9a-f]{40}\//,
      `${file} names its source`,
    );
    const expected = published(text);
    assert.ok(expected.rows.length > 0 && Number.isFinite(expected.total), `${file} has a published summary`);
    const models = await parsePythonModels(text);
    const model = printedModel(text, models);
    const analysis = model && !model.incomplete ? analyze(model) : undefined;
    const summary = analysis?.summary;
    if (!summary || analysis.diagnostics.some((d) => d.severity === 'error')) {
      const why =
        model?.incomplete ??
        analysis?.diagnostics.find((d) => d.severity === 'error')?.message ??
        'no keras.Sequential model';
      pending.push(`${file}: ${why}`);
      continue;
    }
    const rows = summary.layers.map((l) => ({ shape: shapeText(l.outputShape), params: l.params }));
    assert.deepEqual(rows, expected.rows, `${file}: layers as published`);
    assert.equal(summary.totalParams, expected.total, `${file}: total as published`);
    matched.push(file);
  }
  // Keep these honest: print what is pending and why (layers the layers work adds, data shapes not in the file).
  if (pending.length > 0)
    console.log(`corpus: ${matched.length} matched, ${pending.length} pending:\n  ${pending.join('\n  ')}`);
  assert.ok(matched.length >= MATCHED_AT_LEAST, `${matched.length} matched`);
});

const MATCHED_AT_LEAST = 42;
