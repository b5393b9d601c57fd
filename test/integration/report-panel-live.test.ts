/**
 * The same UI bundle in panel mode: served with `panelHtml` (the panel's real CSP) in headless Chromium, with a
 * stand-in for VS Code's `acquireVsCodeApi` that records what the page posts and stores. Drives the live flow the
 * extension host produces — ready, show, updates while training, stop, history actions, exports, state restore.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildWebviewBundle, launchChromium } from '../helpers/browser';
import type { Browser, Page } from 'playwright-core';
import type { HostToWebview, RunRecord, RunResult } from '../../src/protocol';
import { makeNonce, panelHtml } from '../../src/panel/html';
import { parseWebviewMessage } from '../../src/protocol-validate';

const root = path.resolve(__dirname, '..', '..');
const artifacts = path.join(root, 'test-artifacts');
const page_ = path.join(artifacts, 'panel-live.html');
let browser: Browser;

before(async () => {
  await buildWebviewBundle(path.join(artifacts, 'panel-dist', 'webview.js'));
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(
    page_,
    panelHtml({ scriptUri: './panel-dist/webview.js', cspSource: 'file:', nonce: makeNonce(), title: 'Results' }),
  );
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const model = {
  name: 'fashion_mlp',
  layers: [
    {
      name: 'dense',
      type: 'Dense',
      inputShape: [null, 784],
      outputShape: [null, 10],
      params: 7850,
      trainableParams: 7850,
      nonTrainableParams: 0,
    },
  ],
  totalParams: 7850,
  trainableParams: 7850,
  nonTrainableParams: 0,
};

function trainRecord(run: Partial<RunResult>, active = true): RunRecord {
  return {
    version: 1,
    id: 'rec-live',
    kind: 'train',
    createdAt: '2026-11-28T19:05:12.000Z',
    definition: { name: 'fashion_mlp', layers: [] },
    model,
    backend: 'cpu',
    active,
    runs: [
      {
        runId: 'run-1',
        label: 'adam',
        optimizer: { type: 'adam', learning_rate: 0.001 },
        status: 'running',
        repeat: 0,
        seed: 1,
        history: { loss: [0.6], accuracy: [0.78], val_loss: [0.55], val_accuracy: [0.8] },
        epochMs: [1000],
        durationMs: 0,
        backend: 'cpu',
        epochs: 5,
        progress: { epoch: 1, batch: 740, batches: 1500, loss: 0.48213 },
        ...run,
      },
    ],
  };
}

async function openPanel(savedState?: unknown): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  // A string, not a function: the test runner's transpiler may add helpers a function would carry into the page.
  await page.addInitScript(`
    window.__posted = [];
    window.__warnings = [];
    window.__state = ${JSON.stringify(savedState ?? null)} ?? undefined;
    const warn = console.warn.bind(console);
    console.warn = (...args) => { window.__warnings.push(String(args[0])); warn(...args); };
    document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective));
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => window.__state,
      setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
    });
  `);
  await page.goto(pathToFileURL(page_).href);
  return { page, problems };
}

const send = (page: Page, message: HostToWebview | unknown) =>
  page.evaluate((m) => window.postMessage(m, '*'), message);
const posted = (page: Page) => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);

test('live training in the panel: ready, updates, focus kept, stop, history actions, state restore', async () => {
  const { page, problems } = await openPanel();
  await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
  assert.deepEqual(await posted(page), [{ type: 'ready' }]);

  const history = [
    { id: 'rec-live', kind: 'train', createdAt: '2026-11-28T19:05:12.000Z', modelName: 'fashion_mlp', runs: 1 },
    {
      id: 'rec-old',
      kind: 'compare',
      createdAt: '2026-11-27T10:00:00.000Z',
      modelName: 'fashion_mlp',
      runs: 4,
      bestValAccuracy: 0.87,
    },
  ];
  await send(page, { type: 'show', record: trainRecord({}), history, pinned: [] });
  await page.waitForSelector('body[data-ready="true"]');
  const status = page.locator('[data-testid="run-status"]');
  assert.equal(await status.getAttribute('data-status'), 'running');
  assert.match(await status.innerText(), /Epoch 2\/5 — batch 740\/1500 — loss 0\.4821/);
  assert.equal(await page.locator('[data-testid="chart-loss"]').getAttribute('data-points'), '1');
  assert.match(await page.locator('[data-testid="summary"]').innerText(), /Total params: 7,850/);
  const stop = page.locator('[data-testid="stop"]');
  assert.ok(await stop.isVisible());

  // Keyboard focus on Stop survives a burst of live updates.
  await stop.focus();
  for (let batch = 800; batch <= 1500; batch += 100) {
    await send(page, {
      type: 'update',
      record: trainRecord({ progress: { epoch: 1, batch, batches: 1500, loss: 0.47 } }),
    });
  }
  await send(page, {
    type: 'update',
    record: trainRecord({
      history: { loss: [0.6, 0.45], accuracy: [0.78, 0.84], val_loss: [0.55, 0.47], val_accuracy: [0.8, 0.83] },
      progress: { epoch: 2, batch: 10, batches: 1500, loss: 0.44 },
    }),
  });
  await page.waitForFunction(
    () => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points') === '2',
  );
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'stop');
  await page.keyboard.press('Enter');
  const afterStop = await posted(page);
  assert.deepEqual(afterStop[afterStop.length - 1], { type: 'stop', runId: 'run-1' });

  // Unknown or malformed host messages are ignored with a warning.
  await send(page, { type: 'selfDestruct' });
  await send(page, { type: 'update', record: { id: 'x' } });
  // Message events are dispatched asynchronously: wait for both to be handled before counting.
  await page.waitForFunction(
    () =>
      (window as unknown as { __warnings: string[] }).__warnings.filter((w) =>
        w.includes('ignored an unknown or malformed message'),
      ).length >= 2,
    undefined,
    { timeout: 10_000 },
  );
  const warnings = await page.evaluate(() => (window as unknown as { __warnings: string[] }).__warnings);
  assert.equal(warnings.filter((w) => w.includes('ignored an unknown or malformed message')).length, 2);
  assert.equal(await status.getAttribute('data-status'), 'running');

  // History: open and pin post validated messages; the current record is not offered.
  const old = page.locator('[data-testid="history"] li[data-record-id="rec-old"]');
  await old.locator('button.ml-history-open').click();
  await old.locator('[data-testid="pin"]').click();
  assert.equal(
    await page.locator('[data-testid="history"] li[data-record-id="rec-live"] [data-testid="pin"]').count(),
    0,
  );
  const actions = (await posted(page)).slice(-2);
  assert.deepEqual(actions, [
    { type: 'openRecord', id: 'rec-old' },
    { type: 'pinRecord', id: 'rec-old', pinned: true },
  ]);
  for (const a of actions) assert.ok(parseWebviewMessage(a));

  // Finished: Stop disappears; the PNG export posts a data URL the host's validator accepts.
  const done = trainRecord(
    {
      status: 'completed',
      progress: undefined,
      durationMs: 9000,
      history: { loss: [0.6, 0.45], val_loss: [0.55, 0.47] },
    },
    false,
  );
  await send(page, { type: 'update', record: done });
  await page.waitForFunction(
    () => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') === 'completed',
  );
  assert.equal(await stop.isVisible(), false);
  await page.locator('[data-testid="png-loss"]').click();
  const png = (await posted(page)).pop() as { type: string; chart: string; dataUrl: string };
  assert.equal(png.type, 'savePng');
  assert.equal(png.chart, 'loss');
  assert.ok(parseWebviewMessage(png), 'the chart PNG passes the host-side validation');

  // The page kept its state; a re-created panel draws it before the host says anything.
  const saved = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
  assert.equal((saved as { view: { record: RunRecord } }).view.record.runs[0].status, 'completed');
  assert.deepEqual(problems, []);
  await page.context().close();

  const again = await openPanel(saved);
  await again.page.waitForSelector('body[data-ready="true"]');
  assert.equal(await again.page.locator('[data-testid="run-status"]').getAttribute('data-status'), 'completed');
  assert.equal(await again.page.locator('[data-testid="chart-loss"]').getAttribute('data-points'), '2');
  assert.deepEqual(again.problems, []);
  await again.page.context().close();
});

test('a comparison in the panel: Stop all, per-run stop, export, notices, theme switch', async () => {
  const { page, problems } = await openPanel();
  const base = trainRecord({}).runs[0];
  const rec: RunRecord = {
    ...trainRecord({}),
    id: 'rec-cmp',
    kind: 'compare',
    runs: [
      {
        ...base,
        runId: 'a-1',
        label: 'adam',
        status: 'completed',
        progress: undefined,
        history: { val_accuracy: [0.8, 0.85] },
      },
      { ...base, runId: 's-1', label: 'sgd', optimizer: { type: 'sgd', learning_rate: 0.01 } },
    ],
  };
  await send(page, { type: 'show', record: rec, history: [], pinned: [] });
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.locator('[data-testid="comparison"] tbody tr[data-run-id]').count(), 2);
  assert.equal(
    await page.locator('[data-testid="comparison"] tr[data-best="true"]').getAttribute('data-run-id'),
    'a-1',
  );
  assert.equal(await page.locator('[data-testid="stop-run"]').count(), 2);
  assert.equal(await page.locator('[data-testid="stop-run"]:visible').count(), 1, 'only the running run offers Stop');
  await page.locator('[data-testid="stop-run"]:visible').click();
  await page.locator('[data-testid="stop"]').click();
  await page.locator('[data-testid="export-csv"]').click();
  const last = (await posted(page)).slice(-3);
  assert.deepEqual(last, [{ type: 'stop', runId: 's-1' }, { type: 'stop' }, { type: 'export', format: 'csv' }]);

  await send(page, { type: 'notice', level: 'error', message: 'Could not save the CSV: the folder is read-only.' });
  assert.match(await page.locator('[role="alert"].ml-notice').innerText(), /Could not save the CSV/);

  // VS Code switches the theme by the body class: charts recolour without errors.
  await page.evaluate(() => document.body.classList.add('vscode-high-contrast'));
  await page.waitForTimeout(50);
  await page.screenshot({ path: path.join(artifacts, 'panel-compare-live.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.context().close();
});
