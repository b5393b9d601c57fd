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
  dataset: {
    name: 'd',
    source: 's',
    train: 1000,
    validation,
    test: 0,
    classNames: ['a', 'b'],
    exampleShape: [4],
    task: 'classification',
  },
});

/** The starred line of the CLI table: its label. */
function starred(table: string): string | undefined {
  const line = table.split('\n').find((l) => l.startsWith('*') && !l.startsWith('* best'));
  return line
    ?.slice(1)
    .trim()
    .split(/\s{2,}/)[0];
}

describe('best run', () => {
  test('a failed, stopped or interrupted run is never best, whatever its numbers', () => {
    const rec = makeRecord('r', [
      makeRun('SGD', [0.5, 0.7]),
      makeRun('Adam', [0.6, 0.99], { status: 'failed', error: 'Loss became NaN' }),
      makeRun('RMSprop', [0.6, 0.98], { status: 'cancelled' }),
      makeRun('Adagrad', [0.6, 0.97], {
        status: 'cancelled',
        error: 'Interrupted before it finished (VS Code closed or reloaded); finished epochs are kept.',
      }),
      makeRun('Nadam', [0.6, 0.75]),
    ]);
    const rows = comparisonRows(rec);
    const d = decide(rows);
    assert.equal(rows[d.best].label, 'Nadam');
    assert.equal(d.metric, 'val_accuracy');
    assert.deepEqual(
      d.ranking.map((i) => rows[i].label),
      ['Nadam', 'SGD'],
    );
    assert.equal(starred(comparisonTable(rec)), 'Nadam');
  });

  test('nothing completed and nothing running: no best at all (stopped runs do not compete)', () => {
    const rec = makeRecord('r', [
      makeRun('A', [0.9], { status: 'cancelled' }),
      makeRun('B', [0.8], { status: 'failed', error: 'x' }),
    ]);
    assert.equal(decide(comparisonRows(rec)).best, -1);
    assert.equal(starred(comparisonTable(rec)), undefined);
    assert.doesNotMatch(comparisonTable(rec), /best by/);
  });

  test('the CLI table prints the failed run as a problem line, not as a result', () => {
    const rec = makeRecord('r', [
      makeRun('SGD', [0.7]),
      makeRun('Adam', [0.99], { status: 'failed', error: 'Loss became NaN' }),
    ]);
    const text = comparisonTable(rec);
    assert.match(text, /^ {2}Adam: Failed: Loss became NaN$/m);
    assert.match(text, /^\* best by val_accuracy\.$/m);
  });
});

describe('near-ties', () => {
  test('standard error: from repeats, else from the validation set size for accuracy', () => {
    assert.equal(standardError({ mean: 0.8, std: 0.02, n: 4 }, { accuracy: true, examples: 100 }), 0.01);
    assert.ok(
      Math.abs((standardError({ mean: 0.9, n: 1 }, { accuracy: true, examples: 10_000 }) as number) - 0.003) < 1e-12,
    );
    assert.equal(standardError({ mean: 0.3, n: 1 }, { accuracy: false, examples: 10_000 }), undefined);
  });

  test('single runs on 10,000 validation examples: 0.4 points apart is a tie, 2 points is not', () => {
    // SE of each at p ≈ 0.85 is √(0.85·0.15/10000) ≈ 0.00357; of the difference ≈ 0.00505.
    const rec = withDataset(
      makeRecord('r', [makeRun('A', [0.85]), makeRun('B', [0.854]), makeRun('C', [0.834])]),
      10_000,
    );
    const rows = comparisonRows(rec);
    const d = decide(rows);
    assert.equal(rows[d.best].label, 'B');
    assert.deepEqual(
      d.tied.map((i) => rows[i].label),
      ['A'],
    );
    const text = comparisonTable(rec);
    assert.match(text, /^= +A /m);
    assert.match(text, /^ +C /m);
    assert.match(text, /= tied with B: A is within the standard error of 10,000 validation examples on val_accuracy/);
  });

  test('the same gap on 100 examples is a tie for all three; without a dataset size nothing is tied', () => {
    const small = withDataset(
      makeRecord('r', [makeRun('A', [0.85]), makeRun('B', [0.854]), makeRun('C', [0.834])]),
      100,
    );
    assert.equal(decide(comparisonRows(small)).tied.length, 2);
    const unknown = makeRecord('r', [makeRun('A', [0.85]), makeRun('B', [0.854])]);
    assert.deepEqual(decide(comparisonRows(unknown)).tied, []);
  });

  test('repeats: the spread decides', () => {
    const reps = (label: string, finals: number[]): RunResult[] =>
      finals.map((v, r) => makeRun(label, [v], { runId: `${label}-${r}`, repeat: r }));
    const rec = makeRecord('r', [
      ...reps('A', [0.8, 0.84, 0.82]),
      ...reps('B', [0.83, 0.83, 0.83]),
      ...reps('C', [0.7, 0.71, 0.72]),
    ]);
    const rows = comparisonRows(rec);
    const d = decide(rows);
    assert.equal(rows[d.best].label, 'B');
    assert.deepEqual(
      d.tied.map((i) => rows[i].label),
      ['A'],
    ); // |0.83 − 0.82| = 0.01 ≤ 0.02/√3 ≈ 0.0115
  });
});

test('src/ never imports from webview/', () => {
  const root = join(__dirname, '..', '..', 'src');
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && /from '[./]*webview\//.test(readFileSync(p, 'utf8')))
        offenders.push(relative(root, p));
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});

describe('top confusions', () => {
  test('largest off-diagonal counts first, with their share of the actual class', async () => {
    const { topConfusions } = await import('../../src/results/confusions');
    const m = [
      [50, 3, 7],
      [10, 40, 0],
      [1, 9, 30],
    ];
    assert.deepEqual(
      topConfusions(m, 3).map((c) => [c.actual, c.predicted, c.count, Number(c.share.toFixed(3))]),
      [
        [1, 0, 10, 0.2],
        [2, 1, 9, 0.225],
        [0, 2, 7, 0.117],
      ],
    );
  });
  test('1,000 classes: bounded time, the planted confusions found', async () => {
    const { topConfusions } = await import('../../src/results/confusions');
    const n = 1000;
    const m: number[][] = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (i === j ? 90 : (i * 7 + j) % 997 === 0 ? 1 : 0)),
    );
    m[3][998] = 40;
    m[512][4] = 25;
    const t0 = performance.now();
    const top = topConfusions(m, 20);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(top.length, 20);
    assert.deepEqual([top[0].actual, top[0].predicted, top[0].count], [3, 998, 40]);
    assert.deepEqual([top[1].actual, top[1].predicted], [512, 4]);
  });
});

describe('pinned records', () => {
  test('every differing setting is named, and other data or another split is badged', () => {
    const base = makeRecord('now', [makeRun('SGD', [0.8])], {
      definition: {
        name: 'mlp',
        dataset: 'fashion-mnist',
        layers: [{ type: 'Dense', units: 10, activation: 'relu' }],
        fit: { epochs: 5, batch_size: 32 },
      },
    });
    const ds = {
      name: 'fashion-mnist',
      source: 'bundled sample',
      train: 2400,
      validation: 600,
      test: 0,
      classNames: [],
      exampleShape: [28, 28],
      task: 'classification' as const,
    };
    const shown = { ...base, dataset: ds };
    const old = makeRecord('old', [makeRun('Adam', [0.82], { runId: 'old-run', epochs: 10 })], {
      definition: {
        name: 'mlp',
        dataset: 'mnist',
        layers: [{ type: 'Dense', units: 10, activation: 'sigmoid' }],
        fit: { epochs: 10, batch_size: 64 },
      },
      dataset: { ...ds, name: 'mnist' },
    });
    const rows = comparisonRows(shown, [old]);
    assert.equal(rows[1].name, 'mlp · Adam');
    for (const part of [
      'dataset = mnist',
      'layers[0].activation = sigmoid',
      'fit.epochs = 10',
      'fit.batch_size = 64',
    ]) {
      assert.ok(rows[1].changed.includes(part), `${part} in ${rows[1].changed}`);
    }
    assert.equal(rows[1].dataBadge?.text, 'other data');
    const resplit = makeRecord('old2', [makeRun('Adam', [0.82], { runId: 'r2' })], {
      definition: base.definition,
      dataset: { ...ds, train: 2700, validation: 300 },
    });
    assert.equal(comparisonRows(shown, [resplit])[1].dataBadge?.text, 'other split');
    assert.equal(comparisonRows(shown, [{ ...resplit, dataset: ds }])[1].dataBadge, undefined);
  });
});

describe('history CSV (long format)', () => {
  test('one line per run, epoch and metric, with the settings as columns', async () => {
    const { historyCsv } = await import('../../src/results/comparison-files');
    const rec = makeRecord('rec', [
      makeRun('SGD', [0.5, 0.6], {
        runId: 's',
        optimizer: { type: 'SGD', learning_rate: 0.1, momentum: 0 },
        variant: { label: 'SGD', set: { 'fit.batch_size': 64 } },
      }),
      makeRun('=cmd', [0.7], { runId: 'a', optimizer: { type: 'Adam', learning_rate: 0.001 } }),
    ]);
    const lines = historyCsv([rec]).split('\r\n');
    assert.equal(
      lines[0],
      'record_id,run,run_id,repeat,seed,status,optimizer,learning_rate,momentum,fit.batch_size,epoch,metric,value',
    );
    assert.equal(lines[1], 'rec,SGD,s,0,1,completed,SGD,0.1,0,64,1,accuracy,0.49');
    assert.ok(lines.includes('rec,SGD,s,0,1,completed,SGD,0.1,0,64,2,val_accuracy,0.6'));
    assert.ok(lines.includes('rec,SGD,s,0,1,completed,SGD,0.1,0,64,2,epoch_seconds,1'));
    // 2 epochs × (4 metrics + time) for SGD, 1 × 5 for the other, the header and the final empty line.
    assert.equal(lines.length, 1 + 10 + 5 + 1);
    assert.ok(
      lines.some((l) => l.startsWith("rec,'=cmd,a,")),
      'formula-looking labels are defused',
    );
  });
});
