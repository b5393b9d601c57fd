/**
 * What scripts/e2e.mjs tells the scenarios: the running code-server and where to put workspaces and artifacts.
 * Scenarios only run under that harness (`npm run test:e2e`), which installs, packages and starts everything first.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface E2eEnv {
  /** Base URL of the code-server the harness started, with the packaged extension installed. */
  url: string;
  /** Scratch folder for copies of fixture workspaces; removed by the harness. */
  workDir: string;
  /** Where failure screenshots go; kept by the harness when something failed. */
  artifactsDir: string;
  /** Repository root (fixtures, docs/panel.png). */
  repoRoot: string;
}

export function e2eEnv(): E2eEnv {
  const { E2E_URL, E2E_WORK_DIR, E2E_ARTIFACTS_DIR, E2E_REPO_ROOT } = process.env;
  if (!E2E_URL || !E2E_WORK_DIR || !E2E_ARTIFACTS_DIR || !E2E_REPO_ROOT) {
    throw new Error(
      'The end-to-end scenarios need the harness: run `npm run test:e2e` (or `node scripts/e2e.mjs <file>`).',
    );
  }
  mkdirSync(E2E_ARTIFACTS_DIR, { recursive: true });
  return { url: E2E_URL, workDir: E2E_WORK_DIR, artifactsDir: E2E_ARTIFACTS_DIR, repoRoot: E2E_REPO_ROOT };
}

export const fixturePath = (env: E2eEnv, name: string) => join(env.repoRoot, 'test', 'e2e', 'fixtures', name);
