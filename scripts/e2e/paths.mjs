// Where the end-to-end harness keeps its tools, scratch folders and artifacts, all relative to the repository root.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Git-ignored cache of test tools that survives between runs. */
export const toolsDir = join(repoRoot, '.e2e');
export const codeServerDir = join(toolsDir, 'code-server');
export const fixturesDir = join(repoRoot, 'test', 'e2e', 'fixtures');
export const artifactsRoot = join(repoRoot, 'test-artifacts', 'e2e');

export const CODE_SERVER_VERSION = '4.99.4';
export const codeServerEntry = join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const chromiumPath = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
