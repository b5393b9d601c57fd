// Installs the pinned code-server (a complete VS Code as an npm package) into .e2e/code-server, once.
//
// Its postinstall runs `npm install` again inside lib/vscode and lib/vscode/extensions to build native modules
// (node-pty, kerberos, spdlog, ripgrep, ...). npm 11 skips dependency install scripts unless a policy allows them,
// and an allow-scripts list does not survive the nesting: npm exports every non-default config to its scripts as
// npm_config_* variables, and the nested project-scoped install then rejects `allow-scripts` from the environment
// (EALLOWSCRIPTS). `dangerously-allow-all-scripts` is the setting that reaches the nested installs; it is given
// only to this one install, into a folder of its own, of one pinned, shrinkwrapped package.
import { spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { CODE_SERVER_VERSION, codeServerDir, codeServerEntry, toolsDir } from './paths.mjs';

/** @vscode/ripgrep 1.15.11 downloads this archive unless it finds it in its cache under $TMPDIR. */
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.11';
const RIPGREP_ARCHIVE = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

const marker = join(codeServerDir, '.installed');

/** The version installed and fully built (the marker is written only after the postinstall succeeded). */
export function installedVersion() {
  const pkg = join(codeServerDir, 'node_modules', 'code-server', 'package.json');
  if (!existsSync(marker) || !existsSync(codeServerEntry) || !existsSync(pkg)) return undefined;
  const version = JSON.parse(readFileSync(pkg, 'utf8')).version;
  return readFileSync(marker, 'utf8').trim() === version ? version : undefined;
}

function run(cmd, args, opts) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, opts);
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}

/** Packs Debian's ripgrep into the archive @vscode/ripgrep would otherwise download. */
async function seedRipgrep(tmpDir) {
  const cache = join(tmpDir, RIPGREP_CACHE);
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(join(tmpDir, 'rg-'));
  copyFileSync('/usr/bin/rg', join(staging, 'rg'));
  const code = await run('tar', ['-czf', join(cache, RIPGREP_ARCHIVE), '-C', staging, 'rg'], { stdio: 'inherit' });
  rmSync(staging, { recursive: true, force: true });
  if (code !== 0) throw new Error('Could not pack /usr/bin/rg for code-server; check that ripgrep is installed.');
}

/** Ensures code-server is installed; returns quickly when the pinned version already is. */
export async function ensureCodeServer({ log = console.log } = {}) {
  if (installedVersion() === CODE_SERVER_VERSION) return;
  log(`installing code-server@${CODE_SERVER_VERSION} into ${codeServerDir} (about 2 minutes, once)`);
  rmSync(codeServerDir, { recursive: true, force: true });
  mkdirSync(codeServerDir, { recursive: true });
  const tmpDir = join(toolsDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  await seedRipgrep(tmpDir);

  writeFileSync(
    join(codeServerDir, 'package.json'),
    JSON.stringify(
      {
        name: 'model-lab-e2e-tools',
        private: true,
        description: 'code-server for Model Lab end-to-end tests; installed by scripts/e2e/install-code-server.mjs',
        dependencies: { 'code-server': CODE_SERVER_VERSION },
      },
      null,
      2,
    ),
  );
  const logFile = join(codeServerDir, 'install.log');
  const fd = openSync(logFile, 'w');
  const env = {
    ...process.env,
    TMPDIR: tmpDir,
    npm_config_dangerously_allow_all_scripts: 'true',
    // code-server's postinstall refuses to run as root without it (npm 11 warns it no longer knows the setting).
    npm_config_unsafe_perm: 'true',
    // node-pty's install calls `npx node-gyp`, which would otherwise wait for a "Need to install" prompt.
    npm_config_yes: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  const code = await run('npm', ['install', '--no-save', '--foreground-scripts'], {
    cwd: codeServerDir,
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (code !== 0 || !existsSync(codeServerEntry)) {
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
    throw new Error(`code-server install failed (npm exited ${code}); last lines of ${logFile}:\n${tail}`);
  }
  writeFileSync(marker, `${CODE_SERVER_VERSION}\n`);
  log('code-server installed');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureCodeServer().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
