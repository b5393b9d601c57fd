#!/usr/bin/env node
// `npm run test:e2e`: Model Lab's end-to-end tests in a real VS Code (code-server + Debian Chromium + playwright-core).
//
//   node scripts/e2e.mjs                         all scenarios (test/e2e/*.test.ts)
//   node scripts/e2e.mjs test/e2e/editor.test.ts  some files; --flag=value arguments go to `node --test`
//   node scripts/e2e.mjs --test-name-pattern=Stop
//
// Steps: check prerequisites, install code-server once (cached in .e2e/), build and package the .vsix, install it
// into a fresh extensions folder, start one code-server, run the scenario files one at a time, stop the server.
// Each scenario opens its own copy of a fixture workspace in its own browser context. On failure, screenshots and
// logs stay in test-artifacts/e2e/<timestamp>/. E2E_VSIX=<file> tests a prebuilt .vsix instead of building one.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ensureCodeServer, installedVersion } from './e2e/install-code-server.mjs';
import { packageExtension } from './e2e/package.mjs';
import { CODE_SERVER_VERSION, artifactsRoot, repoRoot } from './e2e/paths.mjs';
import { missingPrerequisites } from './e2e/prereqs.mjs';
import { installExtension, startCodeServer } from './e2e/server.mjs';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const step = (msg) => console.log(`e2e [${elapsed()}] ${msg}`);

const args = process.argv.slice(2);
const testFiles = args.filter((a) => !a.startsWith('--')).map((a) => resolve(a));
const testFlags = args.filter((a) => a.startsWith('--'));
const files = testFiles.length
  ? testFiles
  : readdirSync(join(repoRoot, 'test', 'e2e'))
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => join('test', 'e2e', f));

const missing = missingPrerequisites({ needInstall: installedVersion() !== CODE_SERVER_VERSION });
if (missing.length) {
  console.error(`e2e: cannot run the end-to-end tests:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  process.exit(1);
}

const runDir = join(artifactsRoot, new Date().toISOString().replace(/[:.]/g, '-'));
const scratch = mkdtempSync(join(tmpdir(), 'model-lab-e2e-'));
const serverRoot = join(scratch, 'server');
const workDir = join(scratch, 'workspaces');
mkdirSync(runDir, { recursive: true });
mkdirSync(workDir, { recursive: true });
const serverLog = join(runDir, 'code-server.log');

let server;
let child;
let cleanedUp = false;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  if (child && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
  }
  await server?.stop();
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`e2e: ${signal}, stopping code-server`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Keeps what helps to understand a failure: the server log, the extension host logs, the screenshots. */
function keepArtifacts() {
  const logs = join(serverRoot, 'user-data', 'logs');
  if (existsSync(logs)) cpSync(logs, join(runDir, 'vscode-logs'), { recursive: true });
  if (readdirSync(runDir).length === 0) return rmSync(runDir, { recursive: true, force: true });
  console.error(`e2e: screenshots and logs kept in ${relative(process.cwd(), runDir) || runDir}`);
}

let exitCode = 1;
try {
  await ensureCodeServer({ log: step });
  let vsix = process.env.E2E_VSIX;
  if (vsix) {
    step(`using the prebuilt ${vsix} (E2E_VSIX)`);
  } else {
    step('building and packaging the extension');
    vsix = await packageExtension({ outDir: scratch });
  }
  step(`installing the .vsix into code-server ${CODE_SERVER_VERSION}`);
  await installExtension(serverRoot, vsix);
  server = await startCodeServer({ rootDir: serverRoot, logFile: serverLog });
  step(`code-server listening on ${server.url}; running ${files.length} scenario file(s)`);

  exitCode = await new Promise((resolvePromise, reject) => {
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-concurrency=1',
        '--test-reporter=spec',
        // A scenario file that hangs must not hold the whole suite: node's timeout bounds each file as a whole, and
        // training.test.ts's four scenarios took over 240 s on a machine with four times as many busy processes as
        // cores (each passed), so 360 s.
        '--test-timeout=360000',
        ...testFlags,
        ...files,
      ],
      {
        cwd: repoRoot,
        stdio: 'inherit',
        detached: true, // its own process group, so a stop takes the browsers with it
        env: {
          ...process.env,
          E2E_URL: server.url,
          E2E_WORK_DIR: workDir,
          E2E_ARTIFACTS_DIR: runDir,
          E2E_REPO_ROOT: repoRoot,
        },
      },
    );
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
} catch (e) {
  console.error(`e2e: ${e instanceof Error ? e.message : e}`);
  exitCode = 1;
} finally {
  await cleanup();
  if (exitCode === 0) {
    rmSync(runDir, { recursive: true, force: true });
  } else {
    keepArtifacts();
  }
  rmSync(scratch, { recursive: true, force: true });
}
step(exitCode === 0 ? 'all end-to-end scenarios passed' : 'end-to-end scenarios FAILED');
process.exit(exitCode);
