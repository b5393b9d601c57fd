/**
 * The results UI at the widths a user meets in VS Code (the editor split's default ≈ 626 px, a narrow 428 px, and
 * maximised), light and dark, for the seed's six-optimizer comparison: one legend entry per run, charts at least
 * 320 px high, the deciding column visible without scrolling, the confusion matrix inside the panel, and a
 * 1,000-class matrix drawn without a million cells. Screenshots land in test-artifacts/panel-layout/ (and in docs/
 * with UPDATE_DOCS_SCREENSHOTS=1) so a human can look at them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildWebviewBundle, launchChromium } from '../helpers/browser';
import type { Evaluation, RunRecord, RunResult } from '../../src/protocol';
import { renderReport } from '../../src/panel/report';
import { makeRecord } from '../helpers/records';
import { FASHION_MNIST_CLASSES } from '../../src/data/fashion-mnist-files';

const root = path.resolve(__dirname, '..', '..');
const artifacts = path.join(root, 'test-artifacts', 'panel-layout');
const bundlePath = path.join(artifacts, 'webview.js');
const CLASSES = FASHION_MNIST_CLASSES;
const OPTIMIZERS: [string, number, string][] = [
  ['SGD', 0.78, 'SGD: learning_rate = 0.01'],
  ['SGD lr 0.1', 0.845, 'SGD: learning_rate = 0.1'],
  ['SGD momentum 0.9 nesterov', 0.852, 'SGD: momentum = 0.9, nesterov = true'],
  ['Adagrad', 0.81, 'Adagrad'],
  ['RMSprop', 0.849, 'RMSprop'],
  ['Adam', 0.855, 'Adam'],
];

function curves(top: number, epochs: number, wobble: number): Record<string, number[]> {
  const e = Array.from({ length: epochs }, (_, i) => i);
  return {
    loss: e.map((i) => 0.3 + (0.9 - top) + 0.45 / (i + 1) + wobble),
    accuracy: e.map((i) => top + 0.02 - 0.1 / (i + 1) + wobble / 3),
    val_loss: e.map((i) => 0.36 + (0.9 - top) + 0.35 / (i + 1) - wobble),
    val_accuracy: e.map((i) => top - 0.09 / (i + 1) - wobble / 4),
  };
}

function evaluation(n: number): Evaluation {
  const cm = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 80 : 0)));
  cm.forEach((row, i) => {
    row[(i + 1) % n] += 12;
    row[(i + 6) % n] += 8;
  });
  const names = n === 10 ? CLASSES : Array.from({ length: n }, (_, i) => `class_${i}`);
  return {
    split: 'validation',
    loss: 0.41,
    accuracy: 0.8,
    confusionMatrix: cm,
    perClassAccuracy: names.map((className) => ({ className, accuracy: 0.8, count: 100 })),
  };
}

const dataset = {
  name: 'fashion-mnist',
  source: 'bundled sample',
  train: 2400,
  validation: 600,
  test: 0,
  classNames: CLASSES,
  exampleShape: [28, 28],
  task: 'classification' as const,
};

function comparison(): RunRecord {
  const runs: RunResult[] = OPTIMIZERS.map(([label, top], i) => ({
    runId: `run-${i}`,
    label,
    optimizer: { type: label.split(' ')[0], learning_rate: 0.01 },
    status: 'completed',
    repeat: 0,
    seed: 42,
    history: curves(top, 5, 0),
    epochMs: [910, 905, 920, 899, 915],
    durationMs: 4600,
    backend: 'wasm',
    epochs: 5,
    evaluation: i === 5 ? evaluation(10) : undefined,
  }));
  return makeRecord('20261201-compare-fashion-mlp', runs, {
    kind: 'compare',
    dataset,
    createdAt: '2026-12-01T19:05:12.000Z',
    modelFile: 'fashion.model.json',
    definition: { name: 'fashion_mlp', layers: [{ type: 'Dense', units: 10, input_shape: [784] }] },
  });
}

let browser: Browser;
before(async () => {
  mkdirSync(artifacts, { recursive: true });
  await buildWebviewBundle(bundlePath);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function open(
  record: RunRecord,
  name: string,
  width: number,
  colorScheme: 'light' | 'dark',
): Promise<{ page: Page; problems: string[]; close(): Promise<void> }> {
  const file = path.join(artifacts, `${name}.html`);
  writeFileSync(file, renderReport(record, { bundlePath }));
  const context = await browser.newContext({ colorScheme, viewport: { width, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  await page.waitForTimeout(300);
  return { page, problems, close: () => context.close() };
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
    mkdirSync(path.join(root, 'docs', 'panel'), { recursive: true });
    // What the user sees first, without scrolling: the docs show that, the artifacts the whole page.
    await page.screenshot({ path: path.join(root, 'docs', 'panel', `${name}.png`) });
  }
}

describe('results UI layout', () => {
  for (const width of [626, 428]) {
    for (const scheme of ['light', 'dark'] as const) {
      test(`six-optimizer comparison at ${width} px (${scheme})`, async () => {
        const { page, problems, close } = await open(comparison(), `compare-${width}-${scheme}`, width, scheme);
        try {
          for (const chart of ['loss', 'accuracy']) {
            const entries = page.locator(`[data-testid="legend-${chart}"] li`);
            assert.equal(await entries.count(), 6, `${chart}: one legend entry per run`);
            const labels = await entries.allInnerTexts();
            assert.equal(new Set(labels).size, 6, `unique labels: ${labels}`);
            const box = await page.locator(`[data-testid="chart-${chart}"] .ml-chart-canvas`).boundingBox();
            assert.ok(box && box.height >= 320, `${chart} plot ${box?.height} px high`);
          }
          // The deciding metric is the first column after Run, and on screen without scrolling the table.
          const heads = await page
            .locator('[data-testid="comparison"] thead th')
            .evaluateAll((ths) => ths.map((t) => t.getAttribute('data-column')));
          assert.deepEqual(heads.slice(0, 2), ['label', 'val_accuracy']);
          const deciding = await page
            .locator('[data-testid="comparison"] thead th[data-column="val_accuracy"]')
            .boundingBox();
          assert.ok(
            deciding && deciding.x + deciding.width <= width,
            `val_accuracy column ends at ${deciding && deciding.x + deciding.width} px`,
          );
          // Adam (0.855 − 0.018) and SGD momentum (0.852 − 0.018) are within the standard error of 600 examples.
          assert.equal(
            await page.locator('[data-testid="comparison"] tr[data-best="true"]').getAttribute('data-run-id'),
            'run-5',
          );
          const tied = await page
            .locator('[data-testid="comparison"] tr[data-tied="true"]')
            .evaluateAll((trs) => trs.map((t) => t.getAttribute('data-run-id')));
          assert.ok(tied.includes('run-2'), `tied: ${tied}`);
          // Every swatch has its run's own colour.
          const colours = await page
            .locator('[data-testid="comparison"] .ml-swatch')
            .evaluateAll((els) => els.map((e) => getComputedStyle(e).color));
          assert.equal(new Set(colours).size, 6, `swatch colours ${colours}`);
          // The headline comes before the charts.
          const headline = await page.locator('[data-testid="headline"]').boundingBox();
          const chart = await page.locator('[data-testid="chart-loss"]').boundingBox();
          assert.ok(headline && chart && headline.y < chart.y);
          assert.match(await page.locator('[data-testid="headline"]').innerText(), /Adam/);
          // The confusion matrix fits the panel.
          const cm = await page.locator('[data-testid="confusion-matrix"]').boundingBox();
          assert.ok(cm && cm.x + cm.width <= width, `confusion matrix ends at ${cm && cm.x + cm.width} px`);
          await shoot(page, `compare-${width}-${scheme}`);
          // The toggle: validation only halves the drawn curves, legend unchanged.
          await page.locator('[data-testid="curve-filter"] button[data-filter="val"]').click();
          assert.equal(await page.locator('[data-testid="legend-loss"] li').count(), 6);
          assert.deepEqual(problems, []);
        } finally {
          await close();
        }
      });
    }
  }

  test('a run stopped mid-epoch keeps its per-step curve; zoom and reset; the second chart shows time per epoch', async () => {
    const rec = comparison();
    rec.kind = 'train';
    const steps = Array.from({ length: 32 }, (_, i) => ({
      x: (i + 1) / 20,
      loss: 1.2 / (1 + i / 8) + 0.05 * Math.sin(i),
      accuracy: 0.5 + i / 80,
    }));
    rec.runs = [
      {
        ...rec.runs[5],
        status: 'cancelled',
        history: { loss: [0.7], accuracy: [0.72], val_loss: [0.65], val_accuracy: [0.74] },
        epochMs: [900],
        epochs: 5,
        steps,
        evaluation: undefined,
      },
    ];
    const { page, problems, close } = await open(rec, 'stopped-steps', 626, 'light');
    try {
      const loss = page.locator('[data-testid="chart-loss"]');
      assert.equal(await loss.getAttribute('data-points'), '1', 'one finished epoch');
      assert.equal(await loss.getAttribute('data-step-points'), '32', 'and every step point before the stop');
      assert.equal(await page.locator('[data-testid="chart-accuracy"]').getAttribute('data-step-points'), '32');
      await shoot(page, 'stopped-steps');
      // Drag across the loss plot: zoomed; Reset shows every epoch again.
      const box = (await loss.locator('canvas').first().boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 4 });
      await page.mouse.up();
      assert.equal(await loss.getAttribute('data-zoomed'), '');
      await page.locator('[data-testid="reset-zoom-loss"]').click();
      assert.equal(await loss.getAttribute('data-zoomed'), null);
      await page.locator('[data-testid="metric-picker"]').selectOption('time');
      await page.waitForFunction(
        () => document.querySelector('[data-testid="chart-accuracy"] h3')?.textContent === 'Time per epoch',
      );
      assert.equal(await page.locator('[data-testid="layer-diagram"] li').count(), 2, 'input and one layer');
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  test('a 1,000-class confusion matrix: a canvas and the top confusions, not a million cells', async () => {
    const rec = comparison();
    rec.kind = 'train';
    rec.runs = [{ ...rec.runs[5], evaluation: evaluation(1000) }];
    rec.dataset = { ...dataset, classNames: Array.from({ length: 1000 }, (_, i) => `class_${i}`) };
    const t0 = Date.now();
    const { page, problems, close } = await open(rec, 'classes-1000', 626, 'light');
    try {
      assert.ok(Date.now() - t0 < 15_000);
      assert.equal(await page.locator('canvas[data-testid="confusion-matrix"]').getAttribute('data-classes'), '1000');
      assert.ok((await page.locator('td').count()) < 5000, 'no table of a million cells');
      const top = page.locator('[data-testid="top-confusions"] tbody tr');
      assert.equal(await top.count(), 20);
      assert.match(await top.first().innerText(), /class_\d+\s+\d+ class_\d+\s+12\s+12\.0%/);
      const box = await page.locator('.ml-cm-scroll').boundingBox();
      assert.ok(box && box.x + box.width <= 626 && box.height <= 482, `scroll box ${JSON.stringify(box)}`);
      await shoot(page, 'classes-1000');
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
