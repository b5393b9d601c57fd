/**
 * Installs the native backend (`@tensorflow/tfjs-node`, or `-gpu`) with npm into a folder of its own, for the editor's
 * `Model Lab: Install Native Backend`: the packaged extension ships no node_modules, so inside VS Code the worker
 * finds tfjs-node there (`RunSpec.nativeDir`, resolved by `training/backend.ts`). No VS Code here: the command in
 * `editor/native-backend-command.ts` shows the quick pick, the progress and the result.
 *
 * The npm invocation is real and bounded: npm must be on the PATH, its output goes to `onOutput` (the log), the
 * whole install ends within `timeoutMs` or is killed with its process group, an abort cancels it the same way, and
 * every failure is one sentence (an `InstallError` with a kind the tests check).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tfjsManifest from '@tensorflow/tfjs/package.json';
import { nativePackage, resolveInFolder } from '../backend';

export type NativeBackend = 'tensorflow' | 'tensorflow-gpu';

/** The tfjs version Model Lab is built with: tfjs-node of the same version trains what the wasm backend does. */
export const TFJS_VERSION: string = tfjsManifest.version;

/** Where the native backend goes inside the extension's global storage. */
export function nativeFolder(globalStorage: string): string {
  return join(globalStorage, 'native');
}

/** tfjs-node's own install downloads libtensorflow (about 100–400 MB): generous, but never unbounded. */
export const INSTALL_TIMEOUT_MS = 20 * 60_000;

export type InstallErrorKind = 'npm-missing' | 'network' | 'registry' | 'timeout' | 'cancelled' | 'failed';

export class InstallError extends Error {
  constructor(
    readonly kind: InstallErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface InstallOptions {
  backend: NativeBackend;
  /** The native folder (`nativeFolder(globalStorage)`); created when missing. */
  dir: string;
  /** The npm command; default `npm` on the PATH (`npm.cmd` on Windows). */
  npm?: string;
  /** npm's environment (its registry, proxy and cache settings come from here and the user's .npmrc). */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** npm's output as it arrives, for the log. */
  onOutput?: (text: string) => void;
  /** npm's process id once it runs (tests check that a cancel or timeout ended it). */
  onStart?: (pid: number) => void;
  /** The version to install; default TFJS_VERSION. */
  version?: string;
}

export interface Installed {
  pkg: string;
  version: string;
  /** The file the worker will require. */
  path: string;
}

/** How much of npm's output is kept to explain a failure. */
const OUTPUT_TAIL = 16_384;

export async function installNative(o: InstallOptions): Promise<Installed> {
  const pkg = nativePackage(o.backend);
  const version = o.version ?? TFJS_VERSION;
  if (o.signal?.aborted) throw cancelled(pkg);
  await mkdir(o.dir, { recursive: true });
  // npm installs into the folder holding a package.json: this one, never a parent's.
  const manifest = join(o.dir, 'package.json');
  if (!existsSync(manifest)) {
    await writeFile(
      manifest,
      JSON.stringify(
        { name: 'model-lab-native-backend', private: true, description: "Model Lab's native TensorFlow backend" },
        null,
        2,
      ) + '\n',
    );
  }
  // Constant arguments only (the package name and the version are ours): nothing a user typed reaches the shell.
  const args = [
    'install',
    `${pkg}@${version}`,
    '--save-exact',
    '--no-audit',
    '--no-fund',
    '--loglevel=http',
    // tfjs-node's install script downloads libtensorflow: its output belongs in the log, as it happens.
    '--foreground-scripts',
  ];
  const { code, output } = await runNpm(o, pkg, args);
  if (code !== 0) throw failure(code, output, pkg, version);
  // Only the copy in this folder counts here: one next to Model Lab would hide a broken install.
  const found = resolveInFolder(pkg, o.dir);
  const installedManifest = join(o.dir, 'node_modules', ...pkg.split('/'), 'package.json');
  if (!found || !existsSync(installedManifest)) {
    throw new InstallError('failed', `npm finished, but ${pkg} is not in ${o.dir}; see npm's output in the log.`);
  }
  const installed = JSON.parse(await readFile(installedManifest, 'utf8')) as { version?: string };
  return { pkg, version: installed.version ?? version, path: found };
}

/** One sentence for an npm that exited with `exitCode`, from the end of its output. */
export function failure(exitCode: number, tail: string, name: string, v: string): InstallError {
  const code = npmErrorCode(tail);
  if (code && NETWORK_CODES.has(code)) {
    return new InstallError(
      'network',
      `npm could not reach the package registry (${code}) to install ${name}: check the network connection, or npm's registry and proxy settings; npm's output is in the log.`,
    );
  }
  if (code === 'E404' || code === 'ETARGET') {
    return new InstallError(
      'registry',
      `The package registry has no ${name}@${v} (${code}); npm's output is in the log.`,
    );
  }
  if (code && /^E\d{3}$/.test(code)) {
    return new InstallError(
      'registry',
      `The package registry refused to send ${name} (${code}); check npm's registry and credentials settings; npm's output is in the log.`,
    );
  }
  const line = lastErrorLine(tail);
  return new InstallError(
    'failed',
    `npm install ${name} failed (exit code ${exitCode}${line ? `: ${line}` : ''}); npm's output is in the log.`,
  );
}

/** Runs npm in the native folder; resolves with its exit code and the end of its output. */
function runNpm(opts: InstallOptions, name: string, npmArgs: string[]): Promise<{ code: number; output: string }> {
  let tail = '';
  const timeoutMs = opts.timeoutMs ?? INSTALL_TIMEOUT_MS;
  const windows = process.platform === 'win32';
  const command = opts.npm ?? (windows ? 'npm.cmd' : 'npm');
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    let ended = false;
    const end = (f: () => void) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      f();
    };
    try {
      child = spawn(command, npmArgs, {
        cwd: opts.dir,
        env: npmEnv(opts.env ?? process.env),
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a cancel or a timeout ends npm's children (install scripts) too.
        detached: !windows,
        // Windows runs npm.cmd through the shell; every argument is a constant above.
        shell: windows,
        windowsHide: true,
      });
    } catch (e) {
      reject(spawnError(e, command));
      return;
    }
    if (child.pid !== undefined) opts.onStart?.(child.pid);
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-OUTPUT_TAIL);
      try {
        opts.onOutput?.(text);
      } catch {
        // Losing a log line must not lose the install.
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    const timer = setTimeout(() => {
      kill(child);
      end(() =>
        reject(
          new InstallError(
            'timeout',
            `npm install ${name} did not finish within ${duration(timeoutMs)}, so it was stopped; check the network and try again (npm's output is in the log).`,
          ),
        ),
      );
    }, timeoutMs);
    timer.unref?.();
    const onAbort = () => {
      kill(child);
      end(() => reject(cancelled(name)));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      kill(child);
      end(() => reject(spawnError(e, command)));
    });
    child.on('close', (code, signal) => end(() => resolve({ code: code ?? (signal ? 128 : 1), output: tail })));
  });
}

/**
 * Whether the installed package loads, tried in a separate Node process as the worker would (inside VS Code,
 * Electron run as Node): libtensorflow missing or built for another CPU shows here, not in the first run. Resolves
 * with the problem in one line, or undefined when it loads.
 */
export function nativeLoadProblem(
  path: string,
  o: { execPath?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      o.execPath ?? process.execPath,
      // The path is an argument, never part of the code.
      ['-e', 'require(process.argv[1])', path],
      {
        env: { ...(o.env ?? process.env), ELECTRON_RUN_AS_NODE: '1', TF_CPP_MIN_LOG_LEVEL: '2' },
        timeout: o.timeoutMs ?? 120_000,
        killSignal: 'SIGKILL',
        maxBuffer: 1 << 20,
        windowsHide: true,
      },
      (error, _stdout, stderr) => {
        if (!error) return resolve(undefined);
        if ((error as { killed?: boolean }).killed) return resolve('loading it did not finish within the time limit');
        const line = String(stderr)
          .split('\n')
          .map((l) => l.trim())
          .find((l) => /^\w*Error\b|^Error:/.test(l));
        resolve(line ?? `it exited with code ${String(error.code)}`);
      },
    );
  });
}

/** npm's network failures (npm ≥ 7 prints `npm error code X`, older `npm ERR! code X`). */
const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ESOCKETTIMEDOUT',
  'ERR_SOCKET_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

export function npmErrorCode(output: string): string | undefined {
  const codes = [...output.matchAll(/npm (?:ERR!|error) code (\S+)/g)].map((m) => m[1]);
  if (codes.length) return codes[codes.length - 1];
  // Some network failures only name the errno in the message.
  return /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b/.exec(output)?.[1];
}

/** The last meaningful `npm error` line, without control characters, cut to one line of reasonable length. */
export function lastErrorLine(output: string): string | undefined {
  const lines = output
    .split(/\r?\n/)
    .map((l) => /^npm (?:ERR!|error) (.*)$/.exec(l)?.[1]?.trim())
    .filter((l): l is string => !!l && !/^(code|errno|syscall|A complete log|Log files|\s*$)/.test(l));
  // npm runs without colour (see runNpm); whatever control characters remain are dropped from the sentence.
  // eslint-disable-next-line no-control-regex -- removing them is the point
  const line = lines[0]?.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return line && line.length > 200 ? line.slice(0, 199) + '…' : line;
}

/** A progress message from a chunk of npm's output: its last line, one line, short. */
export function npmProgressLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter(Boolean)
    .pop()
    // eslint-disable-next-line no-control-regex -- removing them is the point
    ?.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  if (!line) return undefined;
  return line.length > 100 ? line.slice(0, 99) + '…' : line;
}

function duration(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

function cancelled(pkg: string): InstallError {
  return new InstallError('cancelled', `The install of ${pkg} was cancelled; nothing is used until it completes.`);
}

function spawnError(e: unknown, command: string): InstallError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new InstallError(
      'npm-missing',
      `npm was not found (no '${command}' on the PATH): install Node.js, which includes npm, then restart VS Code and run the command again.`,
    );
  }
  return new InstallError('failed', `npm could not be started: ${e instanceof Error ? e.message : String(e)}.`);
}

/**
 * npm's environment: the user's, without what an enclosing `npm run` set to steer installs elsewhere (its local
 * prefix would put the package into that project instead of the native folder), and without colour or nagging.
 */
export function npmEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env))
    if (!/^npm_(config_(local_)?prefix|package_|lifecycle_)/i.test(k)) out[k] = v;
  return { ...out, npm_config_update_notifier: 'false', npm_config_color: 'false' };
}

/** Ends npm and everything it started (its process group on POSIX). */
function kill(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
