// What the end-to-end run needs from the machine. Missing pieces fail the run with what to install: a suite that
// silently skipped would pass without testing anything.
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath, repoRoot } from './paths.mjs';

function onPath(cmd) {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Returns one sentence per missing prerequisite; `needInstall` adds what building code-server takes. */
export function missingPrerequisites({ needInstall }) {
  const missing = [];
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20)
    missing.push(
      `Node ${process.versions.node} is running; code-server 4.99.4 needs Node 20 (install Node 20 and run again).`,
    );
  try {
    accessSync(chromiumPath, constants.X_OK);
  } catch {
    missing.push(
      `Chromium is not at ${chromiumPath}: install it with \`apt-get install chromium\` (or set E2E_CHROMIUM).`,
    );
  }
  if (!onPath('rg')) missing.push('ripgrep (rg) is missing: install it with `apt-get install ripgrep`.');
  for (const dep of ['playwright-core', '@vscode/vsce']) {
    if (!existsSync(join(repoRoot, 'node_modules', dep, 'package.json'))) {
      missing.push(`${dep} is not installed: run \`npm install\` in ${repoRoot}.`);
    }
  }
  if (needInstall) {
    if (!existsSync('/usr/include/gssapi/gssapi.h') && !existsSync('/usr/include/gssapi.h')) {
      missing.push(
        'The Kerberos headers code-server builds against are missing: install them with `apt-get install libkrb5-dev`.',
      );
    }
    for (const tool of ['g++', 'make', 'python3']) {
      if (!onPath(tool))
        missing.push(
          `${tool} is missing and code-server's native modules need it: install build-essential and python3.`,
        );
    }
  }
  return missing;
}
