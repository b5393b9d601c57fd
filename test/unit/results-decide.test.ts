/**
 * One rule for the best run and for near-ties, read by the panel, its exports, the HTML report and the CLI's table.
 * The CLI used to star a failed run that the report did not highlight; these tests pin the shared rule.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RunRecord, RunResult } from '../../src/protocol';
import { comparisonRows, decide } from '../../src/results/comparison-rows';
import { comparisonTable } from '../../src/results/comparison-text';
import { standardError } from '../../src/results/stats';
import { makeRecord, makeRun } from '../helpers/records';

const withDataset = (rec: RunRecord, validation: number): RunRecord => ({
  ...rec,
  dataset: { name: 'd', source: 's', train: 1000, validation, test: 0, classNames: ['a', 'b'], exampleShape: [4], task: 'classification' },
});

/** The starred line of the CLI table: its label. */
function starred(table: string): string | undefined {
  const line = table.split('\n').find((l) => l.startsWith('*') && !l.startsWith('* best'));
  return line?.slice(1).trim().split(/\s{2,}/)[0];
}

describe('best run', () => {
  test('a failed, stopped or interrupted run is never best, whatever its numbers', () => {
    const rec = makeRecord('r', [
      makeRun('SGD', [0.5, 0.7]),
      makeRun('Adam', [0.6, 0.99], { status: 'failed', error: 'Loss became NaN' }),
      makeRun('RMSprop', [0.6, 0.98], { status: 'cancelled' }),
      makeRun('Adagrad', [0.6, 0.97], { status: 'cancelled', error: 'Interrupted before it finished (VS Code closed or reloaded); finished epochs are kept.' }),
      makeRun('Nadam', [0.6, 0.75]),
    ]);
    const rows = comparisonRows(rec);
    const d = decide(rows);
    assert.equal(rows[d.best].label, 'Nadam');
    assert.equal(d.metric, 'val_accuracy');
    assert.deepEqual(d.ranking.map((i) => rows[i].label), ['Nadam', 'SGD']);
    assert.equal(starred(comparisonTable(rec)), 'Nadam');
  });

  test('nothing completed and nothing running: no best at all (stopped runs do not compete)', () => {
    const rec = makeRecord('r', [makeRun('A', [0.9], { status: 'cancelled' }), makeRun('B', [0.8], { status: 'failed', error: 'x' })]);
    assert.equal(decide(comparisonRows(rec)).best, -1);
    assert.equal(starred(comparisonTable(rec)), undefined);
    assert.doesNotMatch(comparisonTable(rec), /best by/);
  });

  test('the CLI table prints the failed run as a problem line, not as a result', () => {
    const rec = makeRecord('r', [makeRun('SGD', [0.7]), makeRun('Adam', [0.99], { status: 'failed', error: 'Loss became NaN' })]);
    const text = comparisonTable(rec);
    assert.match(text, /^ {2}Adam: Failed: Loss became NaN$/m);
    assert.match(text, /^\* best by val_accuracy\.$/m);
  });
});

describe('near-ties', () => {
  test('standard error: from repeats, else from the validation set size for accuracy', () => {
    assert.equal(standardError({ mean: 0.8, std: 0.02, n: 4 }, { accuracy: true, examples: 100 }), 0.01);
    assert.ok(Math.abs((standardError({ mean: 0.9, n: 1 }, { accuracy: true, examples: 10_000 }) as number) - 0.003) < 1e-12);
    assert.equal(standardError({ mean: 0.3, n: 1 }, { accuracy: false, examples: 10_000 }), undefined);
  });

  test('single runs on 10,000 validation examples: 0.4 points apart is a tie, 2 points is not', () => {
    // SE of each at p ≈ 0.85 is √(0.85·0.15/10000) ≈ 0.00357; of the difference ≈ 0.00505.
    const rec = withDataset(makeRecord('r', [makeRun('A', [0.85]), makeRun('B', [0.854]), makeRun('C', [0.834])]), 10_000);
    const rows = comparisonRows(rec);
    const d = decide(rows);
    assert.equal(rows[d.best].label, 'B');
    assert.deepEqual(d.tied.map((i) => rows[i].label), ['A']);
    const text = comparisonTable(rec);
    assert.match(text, /^= +A /m);
    assert.match(text, /^ +C /m);
    assert.match(text, /= tied with B: A is within the standard error of 10,000 validation examples on val_accuracy/);
  });

  test('the same gap on 100 examples is a tie for all three; without a dataset size nothing is tied', () => {
    const small = withDataset(makeRecord('r', [makeRun('A', [0.85]), makeRun('B', [0.854]), makeRun('C', [0.834])]), 100);
    assert.equal(decide(comparisonRows(small)).tied.length, 2);
    const unknown = makeRecord('r', [makeRun('A', [0.85]), makeRun('B', [0.854])]);
    assert.deepEqual(decide(comparisonRows(unknown)).tied, []);
  });

  test('repeats: the spread decides', () => {
    const reps = (label: string, finals: number[]): RunResult[] =>
      finals.map((v, r) => makeRun(label, [v], { runId: `${label}-${r}`, repeat: r }));
    const rec = makeRecord('r', [...reps('A', [0.80, 0.84, 0.82]), ...reps('B', [0.83, 0.83, 0.83]), ...reps('C', [0.70, 0.71, 0.72])]);
    const rows = comparisonRows(rec);
    const d = decide(rows);
    assert.equal(rows[d.best].label, 'B');
    assert.deepEqual(d.tied.map((i) => rows[i].label), ['A']); // |0.83 − 0.82| = 0.01 ≤ 0.02/√3 ≈ 0.0115
  });
});

test('src/ never imports from webview/', () => {
  const root = join(__dirname, '..', '..', 'src');
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && /from '[./]*webview\//.test(readFileSync(p, 'utf8'))) offenders.push(relative(root, p));
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});
