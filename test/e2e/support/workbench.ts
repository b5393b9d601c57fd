/**
 * A VS Code window in Chromium, driven the way a user drives it: command palette, explorer, mouse hover, Problems
 * panel, notifications, and the results panel's webview (whose document lives in nested iframes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Frame, Locator, Page } from 'playwright-core';

export { launchChromium as launchBrowser } from '../../helpers/browser';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message.split('\n')[0]})` : '';
      throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}${cause}`);
    }
    await sleep(200);
  }
}

export class Workbench {
  private constructor(
    readonly page: Page,
    readonly folder: string,
  ) {}

  /** Opens `folder` in a fresh browser context and answers the workspace-trust dialog. */
  static async open(
    browser: Browser,
    baseUrl: string,
    folder: string,
    { trust }: { trust: boolean },
  ): Promise<Workbench> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const wb = new Workbench(page, folder);
    await page.goto(`${baseUrl}/?folder=${encodeURIComponent(folder)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 30_000 });
    await wb.answerTrust(trust);
    return wb;
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }

  private async answerTrust(trust: boolean): Promise<void> {
    const button = this.page.locator('.monaco-dialog-box .monaco-button', {
      hasText: trust ? 'Yes, I trust the authors' : "No, I don't trust the authors",
    });
    await button.waitFor({ timeout: 20_000 });
    await button.click();
    await this.page.locator('.monaco-dialog-box').waitFor({ state: 'detached', timeout: 10_000 });
  }

  /** After a reload the trust dialog may come back (trust lives in browser storage); accept it if it does. */
  async trustIfAsked(): Promise<void> {
    const dialog = this.page.locator('.monaco-dialog-box');
    if (
      await dialog.waitFor({ timeout: 3_000 }).then(
        () => true,
        () => false,
      )
    )
      await this.answerTrust(true);
  }

  /**
   * Developer: Reload Window, which lets the workbench save its state (open editors, webview state) on the way
   * out; a bare page reload can cut that short in a web workbench.
   */
  async reloadWindow(): Promise<void> {
    const loaded = this.page.waitForEvent('load', { timeout: 30_000 });
    await this.runCommand('Developer: Reload Window');
    await loaded;
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 30_000 });
  }

  /**
   * Runs a command by its palette title, picking the row whose label is exactly `title`. The palette filters
   * commands by context (the active editor), which can lag right after an editor opens, so it retries.
   */
  async runCommand(title: string, attempts = 3): Promise<void> {
    const input = this.page.locator('.quick-input-widget input.input');
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('Control+Shift+P');
      try {
        // From a focused webview the shortcut travels through the webview's own key forwarding, and can be lost.
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        await input.fill(`>${title}`);
        await this.pickQuickItem(title, 5_000);
        return;
      } catch (e) {
        if (attempt >= attempts) throw new Error(`The command palette has no "${title}" (tried ${attempts} times).`);
        await this.page.keyboard.press('Escape');
        await sleep(1_000);
      }
    }
  }

  /**
   * Picks the quick-pick row whose label is exactly `label`: with Enter when it is the focused row (VS Code focuses
   * the best match), else by a click. The list recycles its row elements while it filters, so a click aimed at one
   * row can land on another item drawn into the same element; twice a Train Model from the palette started nothing.
   */
  async pickQuickItem(label: string, timeoutMs = 15_000): Promise<void> {
    const exact = new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`);
    const rows = this.page.locator('.quick-input-widget .monaco-list-row');
    const row = rows.filter({ has: this.page.locator('.label-name', { hasText: exact }) }).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    const focused = rows
      .filter({ has: this.page.locator('.label-name', { hasText: exact }) })
      .and(this.page.locator('.monaco-list-row.focused'));
    if ((await focused.count()) === 1) await this.page.keyboard.press('Enter');
    else await row.click();
  }

  /** Opens a file of the workspace from the Explorer, like a user clicking it. */
  async openFile(name: string): Promise<void> {
    const row = this.page.locator('.explorer-folders-view .monaco-list-row', {
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }),
    });
    await row.first().dblclick({ timeout: 20_000 });
    await this.activeTab(name);
    // Keyboard focus in the editor (clicking its tab gives it), so editor-scoped commands are offered. Not a click
    // in the text: that could land on a CodeLens such as "Train".
    await this.page.locator('.editor-group-container.active .tabs-container .tab.active').click();
  }

  /** Waits until the active editor tab is `name`. */
  async activeTab(name: string, timeoutMs = 20_000): Promise<void> {
    await this.page
      .locator('.tabs-container .tab.active', { has: this.page.locator('.label-name', { hasText: name }) })
      .waitFor({ timeout: timeoutMs });
  }

  /** The `index`-th token of the active editor whose text is exactly `text` (JSON strings keep their quotes). */
  token(text: string, index = 0): Locator {
    return this.page
      .locator('.editor-group-container.active .monaco-editor .view-lines .view-line span span', {
        hasText: new RegExp(`^${escapeRegExp(text)}$`),
      })
      .nth(index);
  }

  /**
   * Hovers the mouse over a token until the hover shows every string in `expected`; returns the hover's text.
   * Retries the hover because the first ones may come before the extension has activated.
   */
  async hover(token: Locator, expected: string[], timeoutMs = 30_000): Promise<string> {
    const hover = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').first();
    let seen = '';
    return waitFor(
      `a hover showing ${expected.map((e) => JSON.stringify(e)).join(', ')} (last hover: ${JSON.stringify(seen)})`,
      async () => {
        await this.page.mouse.move(5, 5);
        await token.hover();
        await hover.waitFor({ state: 'visible', timeout: 3_000 }).catch(() => undefined);
        await sleep(300);
        seen = (await hover.textContent({ timeout: 1_000 }).catch(() => '')) ?? '';
        return expected.every((e) => seen.includes(e)) ? seen : undefined;
      },
      timeoutMs,
    );
  }

  /** Shows the Problems panel and returns its text (VS Code's empty text when there are none). */
  async problemsText(): Promise<string> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) {
      await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
      await panel.waitFor({ state: 'visible', timeout: 10_000 });
    }
    await this.page.locator('.markers-panel-container').waitFor({ timeout: 10_000 });
    return (await this.page.locator('.markers-panel-container').innerText()).trim();
  }

  /** Polls the Problems panel until `accept` likes its text. */
  async waitForProblems(what: string, accept: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
    let last = '';
    try {
      return await waitFor(
        what,
        async () => {
          last = await this.problemsText();
          return accept(last) ? last : undefined;
        },
        timeoutMs,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; the Problems panel shows: ${JSON.stringify(last)}`);
    }
  }

  /** Text of the visible notification toasts and dialogs. */
  async messagesText(): Promise<string> {
    const parts = await this.page
      .locator('.notifications-toasts .notification-toast, .monaco-dialog-box')
      .allInnerTexts();
    return parts.join('\n');
  }

  /** The frame (of any webview) whose document holds `selector`. */
  async webviewFrame(selector: string, timeoutMs = 30_000): Promise<Frame> {
    return waitFor(
      `${selector} in a webview`,
      async () => {
        for (const frame of this.page.frames()) {
          if (frame === this.page.mainFrame()) continue;
          if (await frame.$(selector).catch(() => null)) return frame;
        }
        return undefined;
      },
      timeoutMs,
    );
  }

  /** Reads an attribute of the first element matching `selector` in the results webview. */
  async webviewAttribute(selector: string, name: string, timeoutMs = 30_000): Promise<string | null> {
    const frame = await this.webviewFrame(selector, timeoutMs);
    return frame.locator(selector).first().getAttribute(name);
  }

  /** Waits until the results webview's attribute satisfies `accept`; returns the value. */
  async waitForWebviewAttribute(
    selector: string,
    name: string,
    accept: (value: string | null) => boolean,
    timeoutMs = 60_000,
  ): Promise<string | null> {
    let last: string | null | undefined;
    try {
      return await waitFor(
        `${selector} [${name}]`,
        async () => {
          last = await this.webviewAttribute(selector, name, 2_000);
          return accept(last) ? last : undefined;
        },
        timeoutMs,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; last value ${JSON.stringify(last)}`);
    }
  }
}

const THEMES = { light: 'Default Light Modern', dark: 'Default Dark Modern' } as const;

/** Switches the workspace to VS Code's default light or dark theme and waits until the workbench shows it. */
export async function setTheme(wb: Workbench, folder: string, theme: keyof typeof THEMES): Promise<void> {
  mkdirSync(join(folder, '.vscode'), { recursive: true });
  writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'workbench.colorTheme': THEMES[theme] }));
  const want = theme === 'dark' ? 'vs-dark' : 'vs';
  await waitFor(
    `the ${theme} theme`,
    async () =>
      (await wb.page.locator('.monaco-workbench').getAttribute('class'))?.split(' ').includes(want) ? true : undefined,
    20_000,
  );
}
