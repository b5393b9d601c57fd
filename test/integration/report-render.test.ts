/**
 * Renders standalone reports from hand-made records, opens them in headless Chromium and checks what a user (and
 * the end-to-end tests) rely on: the test hooks, the best row, the confusion matrix, no console errors, no CSP
 * violations. Screenshots in light and dark land in test-artifacts/ for a human look.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildWebviewBundle, launchChromium } from '../helpers/browser';
import type { Browser, Page } from 'playwright-core';
import type { Evaluation, RunRecord, RunResult } from '../../src/protocol';
import { renderReport } from '../../src/panel/report';
import { comparisonTable } from '../../src/results/comparison-text';
import { FASHION_MNIST_CLASSES } from '../../src/data/fashion-mnist-files';

const root = path.resolve(__dirname, '..', '..');
const artifacts = path.join(root, 'test-artifacts');
const bundlePath = path.join(artifacts, 'report-dist', 'webview.js');
const CLASSES = FASHION_MNIST_CLASSES;

const model = {
  name: 'fashion_mlp',
  layers: [
    {
      name: 'flatten',
      type: 'Flatten',
      inputShape: [null, 28, 28],
      outputShape: [null, 784],
      params: 0,
      trainableParams: 0,
      nonTrainableParams: 0,
    },
    {
      name: 'dense',
      type: 'Dense',
      inputShape: [null, 784],
      outputShape: [null, 100],
      params: 78500,
      trainableParams: 78500,
      nonTrainableParams: 0,
    },
    {
      name: 'dense_1',
      type: 'Dense',
      inputShape: [null, 100],
      outputShape: [null, 10],
      params: 1010,
      trainableParams: 1010,
      nonTrainableParams: 0,
    },
  ],
  totalParams: 79510,
  trainableParams: 79510,
  nonTrainableParams: 0,
};
const definition = {
  name: 'fashion_mlp',
  dataset: 'fashion-mnist',
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 100, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs: 5, batch_size: 32 },
};
const dataset = {
  name: 'fashion-mnist',
  source: '/usr/share/datasets/fashion-mnist',
  train: 48000,
  validation: 12000,
  test: 10000,
  classNames: CLASSES,
  exampleShape: [28, 28],
  task: 'classification' as const,
};
const adam = { type: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false };

/** A plausible learning curve: loss falls and accuracy rises toward `top` (numbers need only look real). */
function curves(top: number, epochs: number, wobble: number): Record<string, number[]> {
  const e = Array.from({ length: epochs }, (_, i) => i);
  return {
    loss: e.map((i) => 0.3 + 0.35 / (i + 1) + wobble),
    accuracy: e.map((i) => top - 0.08 / (i + 1) + wobble / 3),
    val_loss: e.map((i) => 0.34 + 0.3 / (i + 1) + (0.9 - top) - wobble),
    val_accuracy: e.map((i) => top - 0.02 - 0.07 / (i + 1) - wobble / 4),
  };
}

function run(over: Partial<RunResult> & Pick<RunResult, 'runId' | 'label'>): RunResult {
  return {
    optimizer: adam,
    status: 'completed',
    repeat: 0,
    seed: 1,
    history: curves(0.89, 5, 0),
    epochMs: [1210, 1180, 1195, 1202, 1188],
    durationMs: 6100,
    backend: 'wasm',
    epochs: 5,
    ...over,
  };
}

/** A 10×10 matrix whose rows sum to 100, mostly on the diagonal, with the classic shirt/T-shirt confusion. */
function evaluation(): Evaluation {
  const cm = CLASSES.map((_, i) => CLASSES.map((_, j) => (i === j ? 82 + (i % 3) * 5 : 0)));
  cm.forEach((row, i) => {
    const rest = 100 - row[i];
    row[(i + 1) % 10] += Math.ceil(rest / 2);
    row[(i + 6) % 10] += rest - Math.ceil(rest / 2);
  });
  return {
    split: 'validation',
    loss: 0.3412,
    accuracy: cm.reduce((s, row, i) => s + row[i], 0) / 1000,
    confusionMatrix: cm,
    perClassAccuracy: cm.map((row, i) => ({ className: CLASSES[i], accuracy: row[i] / 100, count: 100 })),
  };
}

/** The test split: every class 90 right, 10 taken for the next class. */
function testEvaluation(): Evaluation {
  const cm = CLASSES.map((_, i) => CLASSES.map((_, j) => (i === j ? 90 : j === (i + 1) % 10 ? 10 : 0)));
  return { split: 'test', loss: 0.3, accuracy: 0.9, confusionMatrix: cm };
}

const compareRecord: RunRecord = {
  version: 1,
  id: '20261128-190512-compare-fashion-mlp-3f9a',
  kind: 'compare',
  createdAt: '2026-11-28T19:05:12.000Z',
  modelFile: 'models/fashion.model.json',
  definition,
  model,
  dataset,
  backend: 'wasm',
  runs: ['relu', 'sigmoid', 'tanh'].flatMap((act, v) =>
    [0, 1].map((repeat) =>
      run({
        runId: `${act}-r${repeat}`,
        label: `${act} #${repeat + 1}`,
        variant: { label: act, set: { 'layers[1].activation': act } },
        repeat,
        seed: 42 + repeat,
        history: curves([0.885, 0.862, 0.874][v], 5, repeat * 0.008),
        ...(act === 'tanh' && repeat === 1
          ? {
              status: 'failed' as const,
              error: 'Loss became NaN at epoch 3; lower the learning rate.',
              history: curves(0.874, 2, 0.01),
            }
          : {}),
      }),
    ),
  ),
};

const trainRecord: RunRecord = {
  version: 1,
  id: '20261128-183000-train-fashion-mlp-91c2',
  kind: 'train',
  createdAt: '2026-11-28T18:30:00.000Z',
  modelFile: 'models/fashion.model.json',
  definition,
  model,
  dataset,
  backend: 'wasm',
  runs: [run({ runId: 'train-1', label: 'adam', evaluation: evaluation(), testEvaluation: testEvaluation() })],
};

let browser: Browser;

before(async () => {
  // The UI bundle as esbuild.config.mjs builds it (browser, iife, minified as shipped), built on its own into
  // test-artifacts/: this test neither depends on every other bundle compiling right now nor overwrites dist/
  // while another test may be using it.
  await buildWebviewBundle(bundlePath);
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  problems: string[];
  close(): Promise<void>;
}

async function open(record: RunRecord, name: string, colorScheme: 'light' | 'dark'): Promise<Opened> {
  const file = path.join(artifacts, `report-${name}.html`);
  writeFileSync(file, renderReport(record, { bundlePath }));
  const context = await browser.newContext({
    colorScheme,
    viewport: { width: 1100, height: 900 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
      problems.push(`request: ${r.url()}`);
  });
  // A string, not a function: the test runner's transpiler may add helpers a function would carry into the page.
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  );
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  return { page, problems, close: () => context.close() };
}

describe('standalone report in Chromium', () => {
  for (const scheme of ['light', 'dark'] as const) {
    test(`comparison report (${scheme})`, async () => {
      const { page, problems, close } = await open(compareRecord, `compare-${scheme}`, scheme);
      try {
        const rows = page.locator('[data-testid="comparison"] tbody tr[data-run-id][data-status]');
        assert.equal(await rows.count(), 3, 'one row per variant');
        const best = page.locator('[data-testid="comparison"] tr[data-best="true"]');
        assert.equal(await best.count(), 1);
        // relu has the highest mean val_accuracy by construction (0.885 vs 0.874 vs 0.862 plateaus).
        assert.equal(await best.getAttribute('data-run-ids'), 'relu-r0 relu-r1');
        // tanh's second repeat failed: the group still reports its completed repeat.
        const tanh = page.locator('[data-testid="comparison"] tr[data-run-ids="tanh-r0 tanh-r1"]');
        assert.equal(await tanh.getAttribute('data-status'), 'completed');
        assert.match(await tanh.innerText(), /1 completed, 1 failed/);
        // relu repeats: val_accuracy at epoch 5 = 0.885 - 0.02 - 0.07/5 - w/4 with w = 0 and 0.008 → 0.851 and 0.849,
        // mean 0.850, sample std = 0.002/√2 = 0.001414 → "0.8500 ± 0.0014".
        assert.match(await best.innerText(), /0\.8500\s*± 0\.0014/);
        assert.equal(await page.locator('[data-testid="chart-loss"]').getAttribute('data-points'), '5');
        assert.equal(await page.locator('[data-testid="chart-accuracy"]').getAttribute('data-points'), '5');
        assert.match(await page.locator('[data-testid="summary"]').innerText(), /Total params: 79,510/);
        assert.equal(await page.locator('[data-testid="stop"]').count(), 0, 'no Stop in a read-only report');
        // val_loss at epoch 5 = 0.40 + (0.9 - top) - w: relu (0.415 + 0.407)/2 = 0.411, tanh 0.426 (its completed
        // repeat only), sigmoid (0.438 + 0.430)/2 = 0.434.
        await page.locator('th button', { hasText: 'val_loss' }).click();
        const order = await page
          .locator('[data-testid="comparison"] tbody tr')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run-id')));
        assert.deepEqual(order, ['relu-r0', 'tanh-r0', 'sigmoid-r0'], 'ascending val_loss');
        await page.locator('th button', { hasText: 'val_loss' }).press('Enter');
        const reversed = await page
          .locator('[data-testid="comparison"] tbody tr')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run-id')));
        assert.deepEqual(reversed, ['sigmoid-r0', 'tanh-r0', 'relu-r0'], 'the keyboard flips the order');
        await page.screenshot({ path: path.join(artifacts, `report-compare-${scheme}.png`), fullPage: true });
        // Read-only report: exports download in the page.
        const [csv] = await Promise.all([
          page.waitForEvent('download'),
          page.locator('[data-testid="export-csv"]').click(),
        ]);
        assert.equal(csv.suggestedFilename(), `model-lab-${compareRecord.id}-comparison.csv`);
        const csvText = readFileSync(await csv.path(), 'utf8').split('\r\n');
        assert.match(csvText[0], /^label,status,runs,reporting_runs,loss,/);
        assert.match(csvText[1], /^relu,completed,2,2,/);
        const [png] = await Promise.all([
          page.waitForEvent('download'),
          page.locator('[data-testid="png-accuracy"]').click(),
        ]);
        assert.equal(png.suggestedFilename(), `model-lab-${compareRecord.id}-accuracy.png`);
        assert.deepEqual([...readFileSync(await png.path()).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
        assert.deepEqual(problems, []);
      } finally {
        await close();
      }
    });

    test(`training report with a confusion matrix (${scheme})`, async () => {
      const { page, problems, close } = await open(trainRecord, `train-${scheme}`, scheme);
      try {
        assert.equal(await page.locator('[data-testid="confusion-matrix"] td[data-count]').count(), 100);
        const cell = page.locator('[data-testid="confusion-matrix"] tbody tr').nth(6).locator('td').nth(6);
        assert.equal(await cell.getAttribute('data-count'), '82');
        assert.match((await cell.getAttribute('aria-label')) ?? '', /Actual Shirt, predicted Shirt: 82/);
        const status = page.locator('[data-testid="run-status"]');
        assert.equal(await status.getAttribute('data-status'), 'completed');
        assert.equal(await page.locator('[data-testid="chart-loss"]').getAttribute('data-points'), '5');
        await page.screenshot({ path: path.join(artifacts, `report-train-${scheme}.png`), fullPage: true });
        // The test split is one tab away; only the shown split's matrix exists.
        await page.locator('vscode-panel-tab', { hasText: 'Test set' }).click();
        await page.waitForFunction(
          () =>
            document.querySelector('[data-testid="confusion-matrix"] tbody td')?.getAttribute('data-count') === '90',
        );
        assert.equal(await page.locator('[data-testid="confusion-matrix"]').count(), 1);
        assert.equal(await page.locator('[data-testid="confusion-matrix"] td[data-count]').count(), 100);
        assert.match(
          await page.locator('.ml-eval-metrics').innerText(),
          /On the test set: loss 0\.3000 · accuracy 90\.00%/,
        );
        assert.equal(
          await page.locator('[data-testid="comparison"]:visible').count(),
          0,
          'no comparison for a single run',
        );
        assert.deepEqual(problems, []);
      } finally {
        await close();
      }
    });
  }

  test('the CLI table and the report name the same best run, never a failed or stopped one', async () => {
    // The bug this guards: `compare --html` starred a failed run in its text table while the report highlighted
    // another. Here the failed and the stopped runs have the highest val_accuracy.
    const mixed: RunRecord = {
      ...compareRecord,
      id: 'best-agreement',
      runs: [
        run({ runId: 'sgd', label: 'SGD', history: curves(0.84, 5, 0) }),
        run({
          runId: 'adam',
          label: 'Adam',
          status: 'failed',
          error: 'Loss became NaN at epoch 5.',
          history: curves(0.95, 5, 0),
        }),
        run({ runId: 'rms', label: 'RMSprop', status: 'cancelled', history: curves(0.93, 3, 0) }),
        run({ runId: 'nadam', label: 'Nadam', history: curves(0.88, 5, 0) }),
      ],
    };
    const table = comparisonTable(mixed);
    const cliBest = table
      .split('\n')
      .find((l) => /^\* +\S/.test(l) && !l.startsWith('* best'))
      ?.slice(1)
      .trim()
      .split(/\s{2,}/)[0];
    assert.equal(cliBest, 'Nadam', table);
    const { page, problems, close } = await open(mixed, 'best-agreement', 'light');
    try {
      const best = page.locator('[data-testid="comparison"] tr[data-best="true"]');
      assert.equal(await best.count(), 1);
      assert.equal(await best.getAttribute('data-run-ids'), 'nadam');
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('a failed training run shows its error', async () => {
    const failed: RunRecord = {
      ...trainRecord,
      id: 'failed-1',
      runs: [
        run({
          runId: 'train-2',
          label: 'adam',
          status: 'failed',
          error: 'Out of memory at epoch 2; use a smaller batch_size.',
          history: curves(0.8, 1, 0),
        }),
      ],
    };
    const { page, problems, close } = await open(failed, 'failed', 'light');
    try {
      const status = page.locator('[data-testid="run-status"]');
      assert.equal(await status.getAttribute('data-status'), 'failed');
      assert.match(await status.innerText(), /Out of memory at epoch 2; use a smaller batch_size\./);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test("a comparison of a file's models shows each model's summary, named with the runs that train it", async () => {
    const wide = {
      ...model,
      name: 'sequential_2',
      layers: [
        model.layers[0],
        { ...model.layers[1], outputShape: [null, 300], params: 235500, trainableParams: 235500 },
        { ...model.layers[2], inputShape: [null, 300], params: 3010, trainableParams: 3010 },
      ],
      totalParams: 238510,
      trainableParams: 238510,
    };
    const models: RunRecord = {
      ...compareRecord,
      id: 'file-models',
      runs: [
        run({ runId: 'm1', label: 'sequential_1 · Adam', history: curves(0.85, 5, 0) }),
        run({ runId: 'm2', label: 'sequential_2 · SGD', history: curves(0.86, 5, 0), model: wide }),
        run({ runId: 'm3', label: 'sequential_2 · Adam', history: curves(0.87, 5, 0), model: wide }),
      ],
    };
    const { page, problems, close } = await open(models, 'file-models', 'light');
    try {
      const first = await page.locator('[data-testid="summary"]').innerText();
      assert.match(first, /Model: "fashion_mlp" · trained by sequential_1 · Adam/);
      assert.match(first, /Total params: 79,510/);
      const more = page.locator('[data-testid="summary-more"]');
      assert.equal(await more.count(), 1, 'one more model: the two sequential_2 runs share it');
      const second = await more.innerText();
      assert.match(second, /Model: "sequential_2" · trained by sequential_2 · SGD, sequential_2 · Adam/);
      assert.match(second, /Total params: 238,510/);
      assert.match(await page.locator('.ml-summary-brief').innerText(), /2 models/);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
