#!/usr/bin/env node
// `npm run package`: builds the production bundles and writes an installable model-lab-<version>.vsix in the
// repository root, offline. A plain `vsce package` fails here (the README's relative links, no repository field);
// this uses the same staging, flags and content check as the end-to-end suite, which installs the result.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageExtension } from './e2e/package.mjs';
import { repoRoot } from './e2e/paths.mjs';

const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const outDir = mkdtempSync(join(tmpdir(), 'model-lab-package-'));
try {
  const vsix = await packageExtension({ outDir });
  const target = join(repoRoot, `model-lab-${version}.vsix`);
  copyFileSync(vsix, target);
  console.log(`wrote ${target} (install it with: code --install-extension ${target})`);
} catch (e) {
  console.error(`package: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
