/**
 * The examples gallery in a real VS Code: train the MLP on the bundled sample, click the largest confusion in the
 * confusion matrix and see those images drawn from the dataset's pixels, then "Most confidently wrong"; rename the
 * record in the history (the name is saved in the record). Screenshots of the gallery at 626 px and 428 px, light and
 * dark, go to test-artifacts/, and to docs/panel/gallery-*.png with E2E_UPDATE_SCREENSHOT=1.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Frame } from 'playwright-core';
import { readRunRecords } from './support/records';
import { e2eSuite } from './support/scenario';
import { setTheme, type Workbench, waitFor } from './support/workbench';

const suite = e2eSuite();
const TRAINING_TIMEOUT = 240_000;
/** Images in the gallery, and how many of them hold a drawn picture (not a blank canvas). */
async function drawnImages(frame: Frame): Promise<{ count: number; drawn: number }> {
  return frame.locator('[data-testid="gallery-images"] canvas').evaluateAll((canvases) => {
    let drawn = 0;
    for (const c of canvases as HTMLCanvasElement[]) {
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      for (let i = 0; data && i < data.length; i += 4) if (data[i] > 0) lit++;
      // A Fashion-MNIST item lights a fair part of its 28 × 28 pixels.
      if (lit > 50) drawn++;
    }
    return { count: canvases.length, drawn };
  });
}

async function shoot(wb: Workbench, frame: Frame, name: string): Promise<void> {
  // The matrix at the top of the view, the gallery under it.
  await frame.locator('.ml-cm-figure').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await wb.page.waitForTimeout(800);
  const panel = wb.page.locator('.editor-group-container').nth(1);
  mkdirSync(suite.env.artifactsDir, { recursive: true });
  await panel.screenshot({ path: join(suite.env.artifactsDir, `gallery-${name}.png`) });
  if (process.env.E2E_UPDATE_SCREENSHOT === '1') {
    mkdirSync(join(suite.env.repoRoot, 'docs', 'panel'), { recursive: true });
    await panel.screenshot({ path: join(suite.env.repoRoot, 'docs', 'panel', `gallery-${name}.png`) });
  }
}

test('clicking a confusion-matrix cell shows its images; most confidently wrong; rename in the history', async (t) => {
  await suite.withWorkspace(t, 'models', { trust: true }, async (wb, folder) => {
    await wb.page.setViewportSize({ width: 1600, height: 1000 });
    await setTheme(wb, folder, 'light');
    await wb.openFile('mlp.model.json');
    await wb.runCommand('Model Lab: Train Model');
    const frame = await wb.webviewFrame('[data-testid="confusion-matrix"] td[data-actual]', TRAINING_TIMEOUT);
    await wb.page.keyboard.press('Escape');

    // The largest confusion: an off-diagonal cell with the most examples.
    const cells = await frame.locator('[data-testid="confusion-matrix"] td[data-actual]').evaluateAll((tds) =>
      tds.map((td) => ({
        actual: Number(td.getAttribute('data-actual')),
        predicted: Number(td.getAttribute('data-predicted')),
        count: Number(td.getAttribute('data-count')),
      })),
    );
    assert.equal(cells.length, 100, 'a 10 × 10 matrix');
    const target = cells.filter((c) => c.actual !== c.predicted).sort((a, b) => b.count - a.count)[0];
    assert.ok(target.count > 0, 'a three-epoch MLP confuses some of 600 images');
    await frame
      .locator(
        `[data-testid="confusion-matrix"] td[data-actual="${target.actual}"][data-predicted="${target.predicted}"]`,
      )
      .click();
    const want = Math.min(target.count, 32);
    const images = await waitFor(
      `${want} images in the gallery`,
      async () => {
        const seen = await drawnImages(frame);
        return seen.count === want && seen.drawn === want ? seen : undefined;
      },
      30_000,
    );
    assert.equal(images.drawn, want, 'every image drawn from the dataset’s pixels');
    const title = await frame.locator('[data-testid="gallery-title"]').innerText();
    assert.match(title, / predicted as /, title);
    await shoot(wb, frame, '626-light');
    await setTheme(wb, folder, 'dark');
    await shoot(wb, frame, '626-dark');

    // Most confidently wrong: a fresh set, each labelled with the wrong class.
    await frame.locator('[data-testid="gallery-wrong"]').click();
    await waitFor(
      'the most confidently wrong examples',
      async () => {
        const text = await frame.locator('[data-testid="gallery-title"]').innerText();
        const seen = await drawnImages(frame);
        return text === 'Most confidently wrong' && seen.count > 0 && seen.drawn === seen.count ? seen : undefined;
      },
      30_000,
    );
    const wrongLabels = await frame.locator('[data-testid="gallery-images"] .ml-gallery-wrong').count();
    assert.ok(wrongLabels > 0, 'wrong predictions name the predicted class');

    // 428 px: the narrow split.
    const measured = (await frame.evaluate('window.innerWidth')) as number;
    await wb.page.setViewportSize({ width: 1600 - 2 * (measured - 428), height: 1000 });
    await waitFor('a 428 px panel', async () => {
      const w = (await frame.evaluate('window.innerWidth')) as number;
      return Math.abs(w - 428) <= 12 ? w : undefined;
    });
    await frame
      .locator(
        `[data-testid="confusion-matrix"] td[data-actual="${target.actual}"][data-predicted="${target.predicted}"]`,
      )
      .click();
    await waitFor('the cell’s images again', async () =>
      (await drawnImages(frame)).drawn === want ? true : undefined,
    );
    const overflow = (await frame.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    assert.ok(overflow <= 1, `the gallery fits 428 px (overflow ${overflow} px)`);
    await shoot(wb, frame, '428-dark');
    await setTheme(wb, folder, 'light');
    await shoot(wb, frame, '428-light');

    // Rename the record in the history: the page and the record on disk take the name.
    await frame.locator('[data-testid="history"] li[aria-current="true"] [data-testid="rename-record"]').click();
    const input = frame.locator('[data-testid="rename-input"]');
    await input.fill('Baseline MLP');
    await input.press('Enter');
    await waitFor('the new name', async () =>
      (await frame.locator('h1').innerText()) === 'Baseline MLP' ? true : undefined,
    );
    const records = readRunRecords(folder);
    assert.equal(records.length, 1);
    assert.equal(records[0].title, 'Baseline MLP');
    assert.ok(records[0].runs[0].evaluation?.examples, 'the record keeps per-example predictions');
  });
});
