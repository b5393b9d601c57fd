// Starts and stops code-server for the end-to-end tests: one process group per server, so nothing outlives a run.
import { spawn } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { codeServerEntry, fixturesDir } from './paths.mjs';

/** User settings that keep the workbench quiet and predictable for a test. */
export const baseUserSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  // Trust stays on so that the Restricted Mode scenario means something; the others accept the dialog.
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'always',
  'chat.commandCenter.enabled': false,
  'editor.hover.delay': 150,
  'files.autoSave': 'off',
  'window.commandCenter': false,
};

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
  });
}

function codeServerArgs({ userDataDir, extensionsDir, configFile }) {
  return [
    codeServerEntry,
    '--config',
    configFile,
    '--auth',
    'none',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
  ];
}

function prepareDirs(rootDir, settings) {
  const userDataDir = join(rootDir, 'user-data');
  const extensionsDir = join(rootDir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...baseUserSettings, ...settings }, null, 2),
  );
  // Its own config file keeps code-server from creating ~/.config/code-server/config.yaml.
  const configFile = join(rootDir, 'config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  return { userDataDir, extensionsDir, configFile };
}

/** Installs the .vsix into the server's extensions folder (the same entry point, one-shot). */
export async function installExtension(rootDir, vsix) {
  const dirs = prepareDirs(rootDir, {});
  const out = [];
  const child = spawn(process.execPath, [...codeServerArgs(dirs), '--install-extension', vsix], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => out.push(d));
  const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
  const text = Buffer.concat(out).toString();
  if (code !== 0 || !/successfully installed/i.test(text)) {
    throw new Error(`code-server could not install ${vsix}:\n${text}`);
  }
}

/**
 * Starts code-server on 127.0.0.1 with a free port. `rootDir` holds its user-data and extensions folders (install
 * the extension there first); the log goes to `logFile`. Returns the URL and a stop() that kills the process group.
 */
export async function startCodeServer({ rootDir, logFile, settings = {}, timeoutMs = 30_000 }) {
  const dirs = prepareDirs(rootDir, settings);
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...codeServerArgs(dirs), '--bind-addr', `127.0.0.1:${port}`], {
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, 5_000);
    await gone;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`code-server exited while starting; see ${logFile}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within ${timeoutMs / 1000} s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, pid: child.pid, ...dirs, stop };
}

/** Copies a fixture workspace (test/e2e/fixtures/<name>) into `parentDir/<name>` and returns its path. */
export function copyFixture(name, parentDir, as = name) {
  const dest = join(parentDir, as);
  cpSync(join(fixturesDir, name), dest, { recursive: true });
  return dest;
}
