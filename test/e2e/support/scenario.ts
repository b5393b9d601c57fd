/**
 * The frame of every scenario: one Chromium per test file, a fresh copy of a fixture workspace and a fresh browser
 * context per test, and on failure a screenshot plus the page's console errors in the artifacts folder.
 */
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { e2eEnv, fixturePath, type E2eEnv } from './env';
import { Workbench, launchBrowser } from './workbench';

export interface Suite {
  env: E2eEnv;
  /** Opens a fresh copy of `fixture` (test/e2e/fixtures/<fixture>) and runs `body` in it. */
  withWorkspace(
    t: TestContext,
    fixture: string,
    options: { trust: boolean },
    body: (wb: Workbench, folder: string) => Promise<void>,
  ): Promise<void>;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);

export function e2eSuite(): Suite {
  const env = e2eEnv();
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  return {
    env,
    async withWorkspace(t, fixture, options, body) {
      if (!browser) throw new Error('The browser did not start.');
      const name = slug(t.name);
      // Each scenario gets its own folder: workspace trust and run records are per folder.
      const folder = join(env.workDir, name);
      cpSync(fixturePath(env, fixture), folder, { recursive: true });
      const wb = await Workbench.open(browser, env.url, folder, options);
      const consoleErrors: string[] = [];
      wb.page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      try {
        await body(wb, folder);
      } catch (e) {
        const shot = join(env.artifactsDir, `${name}.png`);
        await wb.page.screenshot({ path: shot }).catch(() => undefined);
        writeFileSync(join(env.artifactsDir, `${name}.console.txt`), consoleErrors.join('\n'));
        t.diagnostic(`screenshot: ${shot}`);
        // A command that only answered with a notification (a warning that hid itself before the screenshot) says so.
        const notes = await wb.page
          .locator('.notification-list-item-message')
          .allInnerTexts()
          .catch(() => [] as string[]);
        if (notes.length) t.diagnostic(`notifications: ${notes.map((n) => JSON.stringify(n)).join(', ')}`);
        throw e;
      } finally {
        await wb.close();
      }
    },
  };
}
