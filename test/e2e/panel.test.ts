/**
 * The results panel as a new user meets it in VS Code (1600 × 1000, the panel beside the model at its default split
 * of about 626 px, then at 428 px; light and dark): a six-optimizer comparison has one legend entry per run, the
 * deciding column is on screen, the charts are at least 320 px high, every run has its own colour. Screenshots of
 * each width and theme are saved to test-artifacts/, and to docs/panel/ with E2E_UPDATE_SCREENSHOT=1.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Frame } from 'playwright-core';
import { e2eSuite } from './support/scenario';
import { setTheme, type Workbench, waitFor } from './support/workbench';

const suite = e2eSuite();
const TRAINING_TIMEOUT = 240_000;
async function check(frame: Frame, width: number): Promise<void> {
  for (const chart of ['loss', 'accuracy']) {
    const labels = await frame.locator(`[data-testid="legend-${chart}"] li`).allInnerTexts();
    assert.equal(labels.length, 6, `${chart}: one legend entry per run, not ${labels.length}: ${labels}`);
    assert.equal(new Set(labels).size, 6, `unique labels ${labels}`);
    const box = await frame.locator(`[data-testid="chart-${chart}"] .ml-chart-canvas`).boundingBox();
    assert.ok(box && box.height >= 320, `${chart} plot ${box?.height} px high`);
  }
  const heads = await frame
    .locator('[data-testid="comparison"] thead th')
    .evaluateAll((ths) => ths.map((t) => t.getAttribute('data-column')));
  assert.deepEqual(heads.slice(0, 2), ['label', 'val_accuracy'], 'the deciding metric right after Run');
  const right = await frame
    .locator('[data-testid="comparison"] thead th[data-column="val_accuracy"]')
    .evaluate((th) => th.getBoundingClientRect().right);
  const inner = (await frame.evaluate('document.documentElement.clientWidth')) as number;
  assert.ok(right <= inner, `val_accuracy ends at ${right} px of ${inner} (panel ${width} px)`);
  const colours = await frame
    .locator('[data-testid="comparison"] .ml-swatch')
    .evaluateAll((els) => els.map((e) => getComputedStyle(e).color));
  assert.equal(new Set(colours).size, 6, `one colour per run: ${colours}`);
}

async function shoot(wb: Workbench, frame: Frame, name: string): Promise<void> {
  await frame.evaluate('window.scrollTo(0, 0)');
  await wb.page.waitForTimeout(800);
  const panel = wb.page.locator('.editor-group-container').nth(1);
  const dir = suite.env.artifactsDir;
  mkdirSync(dir, { recursive: true });
  await panel.screenshot({ path: join(dir, `panel-${name}.png`) });
  if (process.env.E2E_UPDATE_SCREENSHOT === '1') {
    mkdirSync(join(suite.env.repoRoot, 'docs', 'panel'), { recursive: true });
    await panel.screenshot({ path: join(suite.env.repoRoot, 'docs', 'panel', `vscode-${name}.png`) });
  }
}

test('a six-optimizer comparison reads at 626 px and 428 px, light and dark', async (t) => {
  await suite.withWorkspace(t, 'models', { trust: true }, async (wb, folder) => {
    await wb.page.setViewportSize({ width: 1600, height: 1000 });
    await setTheme(wb, folder, 'light');
    await wb.openFile('six.model.json');
    await wb.runCommand('Model Lab: Compare Optimizers');
    const frame = await wb.webviewFrame('[data-testid="comparison"]', 60_000);
    await waitFor(
      'six completed comparison rows',
      async () => {
        const st = await frame
          .locator('[data-testid="comparison"] tr[data-run-id]')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')));
        return st.length === 6 && st.every((s) => s === 'completed') ? true : undefined;
      },
      TRAINING_TIMEOUT,
    );
    // Let the progress notification go, so the screenshots show the panel as it stays.
    await wb.page.keyboard.press('Escape');
    const measured = (await frame.evaluate('window.innerWidth')) as number;
    assert.ok(measured > 560 && measured < 700, `the default split gives the panel ${measured} px`);
    await check(frame, measured);
    await shoot(wb, frame, '626-light');
    await setTheme(wb, folder, 'dark');
    await check(frame, measured);
    await shoot(wb, frame, '626-dark');

    // Narrow the window until the panel is about 428 px (the editor split keeps halving the editor area).
    await wb.page.setViewportSize({ width: 1600 - 2 * (measured - 428), height: 1000 });
    await waitFor('a 428 px panel', async () => {
      const w = (await frame.evaluate('window.innerWidth')) as number;
      return Math.abs(w - 428) <= 12 ? w : undefined;
    });
    await check(frame, 428);
    await shoot(wb, frame, '428-dark');
    await setTheme(wb, folder, 'light');
    await shoot(wb, frame, '428-light');
  });
});
