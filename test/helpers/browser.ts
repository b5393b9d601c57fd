/** Headless Debian Chromium and a private build of the webview bundle, for tests that render the results UI. */
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Playwright runs it headless by itself; these keep Debian's Chromium off the (closed) network and quiet. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * Builds webview/main.ts into `outfile` (not dist/: a test neither depends on every other bundle compiling right now
 * nor overwrites dist/ while another test may be using it).
 */
export async function buildWebviewBundle(outfile: string): Promise<void> {
  await esbuild.build({
    entryPoints: [path.join(__dirname, '..', '..', 'webview', 'main.ts')],
    outfile,
    bundle: true,
    minify: true,
    legalComments: 'none',
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    logLevel: 'warning',
  });
}
