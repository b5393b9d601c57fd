/**
 * Issue 14 in the editor: a 400-class CSV model trained from VS Code. The run completes, its record is written with
 * the whole 400 × 400 matrix, and the panel shows it legibly: a heat map in a scroll box that fits the panel, and
 * the largest confusions as a table (not 160,000 cells). The panel also says which backend ran and why.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { e2eSuite } from './support/scenario';
import { readRunRecords } from './support/records';
import { waitFor } from './support/workbench';

const suite = e2eSuite();
const STATUS = '[data-testid="run-status"]';
const TRAINING_TIMEOUT = 180_000;

/** 400 classes × 4 rows, four features that place each class on its own spot (with a little seeded noise). */
function classesCsv(): string {
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.01;
  const rows = ['x0,x1,x2,x3,label'];
  for (let rep = 0; rep < 4; rep++) {
    for (let c = 0; c < 400; c++) {
      const a = (2 * Math.PI * c) / 400;
      const f = [Math.cos(a), Math.sin(a), Math.cos(7 * a), Math.sin(7 * a)].map((v) => (v + noise()).toFixed(4));
      rows.push(`${f.join(',')},class_${String(c).padStart(3, '0')}`);
    }
  }
  return rows.join('\n') + '\n';
}

test('a 400-class CSV trains from the editor; the panel shows its confusion matrix legibly', async (t) => {
  await suite.withWorkspace(t, 'many-classes', { trust: true }, async (wb, folder) => {
    writeFileSync(join(folder, 'classes400.csv'), classesCsv());
    await wb.openFile('classes400.model.json');
    await wb.runCommand('Model Lab: Train Model');
    const frame = await wb.webviewFrame(STATUS, 60_000);
    await wb.waitForWebviewAttribute(STATUS, 'data-status', (s) => s === 'completed', TRAINING_TIMEOUT);

    const canvas = frame.locator('canvas[data-testid="confusion-matrix"]');
    await canvas.waitFor({ timeout: 30_000 });
    assert.equal(await canvas.getAttribute('data-classes'), '400');
    assert.ok((await frame.locator('td').count()) < 5000, 'no table of 160,000 cells');
    const top = frame.locator('[data-testid="top-confusions"] tbody tr');
    const rows = await top.count();
    assert.ok(rows > 0 && rows <= 20, `the largest confusions as a short table (${rows} rows)`);
    assert.match(await top.first().innerText(), /class_\d{3}/);
    // The heat map scrolls inside the panel rather than widening it.
    const panelWidth = await frame.evaluate(() => document.documentElement.clientWidth);
    const box = await frame.locator('.ml-cm-scroll').boundingBox();
    assert.ok(box && box.width <= panelWidth, `scroll box ${JSON.stringify(box)} within ${panelWidth} px`);

    // Which backend ran, and why (tfjs-node is not installed here): from the record, in the editor's words.
    const note = await frame.locator('[data-testid="backend-note"]').innerText();
    assert.match(note, /because @tensorflow\/tfjs-node is not installed \(run 'Model Lab: Install Native Backend'/);

    const record = await waitFor('the completed 400-class record', async () =>
      readRunRecords(folder).find((r) => r.runs[0]?.status === 'completed' && !r.active),
    );
    const matrix = record.runs[0].evaluation?.confusionMatrix ?? [];
    assert.equal(matrix.length, 400);
    assert.ok(matrix.every((row) => row.length === 400));
    // validation_split 0.25 of 1,600 rows.
    assert.equal(
      matrix.flat().reduce((a, b) => a + b, 0),
      400,
    );
    assert.equal(record.backend, 'wasm');
    assert.equal(record.backendNote, note);
  });
});

test('Install Native Backend is in the palette and asks which build, CPU or GPU; Escape installs nothing', async (t) => {
  await suite.withWorkspace(t, 'many-classes', { trust: true }, async (wb) => {
    await wb.runCommand('Model Lab: Install Native Backend');
    const rows = wb.page.locator('.quick-input-widget .monaco-list-row');
    await rows.filter({ hasText: '@tensorflow/tfjs-node-gpu' }).first().waitFor({ timeout: 15_000 });
    const texts = await rows.allInnerTexts();
    assert.ok(
      texts.some((r) => /^CPU/.test(r) && r.includes('@tensorflow/tfjs-node') && !r.includes('-gpu')),
      texts.join(' | '),
    );
    assert.ok(
      texts.some((r) => /^GPU \(CUDA\)/.test(r) && r.includes('@tensorflow/tfjs-node-gpu')),
      texts.join(' | '),
    );
    await wb.page.keyboard.press('Escape');
    // Nothing starts: no progress notification, no error.
    await wb.page.waitForTimeout(1_000);
    assert.equal(await wb.page.locator('.notification-toast', { hasText: 'installing' }).count(), 0);
    assert.equal(await wb.page.locator('.notification-toast', { hasText: 'npm' }).count(), 0);
  });
});
