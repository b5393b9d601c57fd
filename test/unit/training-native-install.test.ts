/**
 * Installing the native backend with the real npm, from a local stand-in registry (the real tfjs-node cannot install
 * without internet): where it goes, what the worker then resolves, and one sentence for each way it fails — npm
 * missing, the network down, the registry refusing, a hang (timeout) and a cancel, both of which kill npm.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveNative } from '../../src/training/backend';
import {
  failure,
  installNative,
  InstallError,
  lastErrorLine,
  nativeFolder,
  nativeLoadProblem,
  npmEnv,
  npmProgressLine,
  npmErrorCode,
  TFJS_VERSION,
} from '../../src/training/host/native-install';
import { npmTestEnv, packFakeTfjsNode, startFakeRegistry, type FakeRegistry } from '../helpers/fake-native';

let work: string;
let tarball: string;
let registry: FakeRegistry;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'ml-native-install-'));
  tarball = packFakeTfjsNode(join(work, 'pkg'), TFJS_VERSION);
  registry = await startFakeRegistry([{ name: '@tensorflow/tfjs-node', version: TFJS_VERSION, tarball }]);
});
after(async () => {
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
});

const fresh = (name: string) => nativeFolder(mkdtempSync(join(work, `${name}-`)));

test('installs tfjs-node of the bundled tfjs version into the native folder, where the worker resolves it', async () => {
  const dir = fresh('ok');
  const output: string[] = [];
  const installed = await installNative({
    backend: 'tensorflow',
    dir,
    env: npmTestEnv(registry.url, join(work, 'cache-ok')),
    onOutput: (t) => output.push(t),
    timeoutMs: 120_000,
  });
  assert.equal(installed.pkg, '@tensorflow/tfjs-node');
  assert.equal(installed.version, TFJS_VERSION);
  assert.equal(installed.path, join(dir, 'node_modules', '@tensorflow', 'tfjs-node', 'index.js'));
  assert.deepEqual(resolveNative('@tensorflow/tfjs-node', { nativeDir: dir }), {
    path: installed.path,
    from: "installed in Model Lab's storage",
  });
  // The folder's own manifest records it, pinned: npm installed there and nowhere else.
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies['@tensorflow/tfjs-node'], TFJS_VERSION);
  assert.ok(registry.requests.includes('/@tensorflow/tfjs-node'), registry.requests.join(' '));
  assert.ok(output.join('').length > 0, 'npm output reaches the log');
  // It loads in a separate Node process, as the worker will load it.
  assert.equal(await nativeLoadProblem(installed.path), undefined);
  // A second install (an update, a repair) over the first works too.
  await installNative({ backend: 'tensorflow', dir, env: npmTestEnv(registry.url, join(work, 'cache-ok')) });
});

test('npm missing: one sentence that says what to install', async () => {
  const err = await installNative({ backend: 'tensorflow', dir: fresh('nonpm'), npm: '/nonexistent/bin/npm' }).then(
    () => assert.fail('installed without npm'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof InstallError);
  assert.equal(err.kind, 'npm-missing');
  assert.equal(
    err.message,
    "npm was not found (no '/nonexistent/bin/npm' on the PATH): install Node.js, which includes npm, then restart VS Code and run the command again.",
  );
});

test('no network (nothing listening where the registry should be): a network error, quickly', async () => {
  const port = await closedPort();
  const started = Date.now();
  const err = await installNative({
    backend: 'tensorflow',
    dir: fresh('nonet'),
    env: npmTestEnv(`http://127.0.0.1:${port}/`, join(work, 'cache-nonet')),
    timeoutMs: 60_000,
  }).catch((e: unknown) => e);
  assert.ok(err instanceof InstallError, String(err));
  assert.equal(err.kind, 'network', err.message);
  assert.match(
    err.message,
    /^npm could not reach the package registry \(ECONNREFUSED\) to install @tensorflow\/tfjs-node/,
  );
  assert.ok(Date.now() - started < 60_000);
});

test('the registry refuses (500) or lacks the package (404): a registry error naming it', async () => {
  const broken = await startFakeRegistry([], { status: 500 });
  try {
    const err = await installNative({
      backend: 'tensorflow',
      dir: fresh('500'),
      env: npmTestEnv(broken.url, join(work, 'cache-500')),
      timeoutMs: 60_000,
    }).catch((e: unknown) => e);
    assert.ok(err instanceof InstallError, String(err));
    assert.equal(err.kind, 'registry', err.message);
    assert.match(err.message, /^The package registry refused to send @tensorflow\/tfjs-node \(E500\)/);
  } finally {
    await broken.close();
  }
  // The stand-in registry has no GPU build.
  const err = await installNative({
    backend: 'tensorflow-gpu',
    dir: fresh('404'),
    env: npmTestEnv(registry.url, join(work, 'cache-404')),
    timeoutMs: 60_000,
  }).catch((e: unknown) => e);
  assert.ok(err instanceof InstallError, String(err));
  assert.equal(err.kind, 'registry', err.message);
  assert.equal(
    err.message,
    `The package registry has no @tensorflow/tfjs-node-gpu@${TFJS_VERSION} (E404); npm's output is in the log.`,
  );
});

test('a registry that never answers: stopped at the time limit, npm killed', async () => {
  const hung = await startFakeRegistry([], { hang: true });
  try {
    const started = Date.now();
    let pid: number | undefined;
    const err = await installNative({
      backend: 'tensorflow',
      dir: fresh('hang'),
      onStart: (p) => (pid = p),
      env: npmTestEnv(hung.url, join(work, 'cache-hang')),
      timeoutMs: 3_000,
    }).catch((e: unknown) => e);
    assert.ok(err instanceof InstallError, String(err));
    assert.equal(err.kind, 'timeout');
    assert.match(err.message, /^npm install @tensorflow\/tfjs-node did not finish within 3 s, so it was stopped/);
    assert.ok(Date.now() - started < 15_000);
    await assertGone(pid);
  } finally {
    await hung.close();
  }
});

test('cancel: the install ends at once, npm is killed, and nothing is left resolvable', async () => {
  const hung = await startFakeRegistry([], { hang: true });
  const dir = fresh('cancel');
  try {
    let pid: number | undefined;
    const controller = new AbortController();
    const pending = installNative({
      backend: 'tensorflow',
      dir,
      env: npmTestEnv(hung.url, join(work, 'cache-cancel')),
      signal: controller.signal,
      onStart: (p) => (pid = p),
    }).catch((e: unknown) => e);
    // Once npm has asked the registry, it is surely running.
    for (let i = 0; i < 200 && hung.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(hung.requests.length > 0, 'npm reached the registry');
    const asked = Date.now();
    controller.abort();
    const err = await pending;
    assert.ok(err instanceof InstallError);
    assert.equal(err.kind, 'cancelled');
    assert.ok(Date.now() - asked < 2_000);
    assert.equal(resolveNative('@tensorflow/tfjs-node', { nativeDir: dir }), undefined);
    await assertGone(pid);
    assert.equal(existsSync(join(dir, 'node_modules', '@tensorflow', 'tfjs-node')), false);
  } finally {
    await hung.close();
  }
});

test("npm's output read back: the error code (old and new npm), the first meaningful error line", () => {
  const npm10 = [
    'npm http fetch GET 404 http://x/@tensorflow%2ftfjs-node-gpu 3ms',
    'npm error code E404',
    'npm error 404 Not Found - GET http://x/@tensorflow%2ftfjs-node-gpu - Not found',
    'npm error A complete log of this run can be found in: /tmp/x.log',
  ].join('\n');
  assert.equal(npmErrorCode(npm10), 'E404');
  assert.equal(lastErrorLine(npm10), '404 Not Found - GET http://x/@tensorflow%2ftfjs-node-gpu - Not found');
  assert.equal(npmErrorCode('npm ERR! code ENOTFOUND\nnpm ERR! errno ENOTFOUND\n'), 'ENOTFOUND');
  assert.equal(
    npmErrorCode('request to https://registry.npmjs.org failed, reason: getaddrinfo EAI_AGAIN'),
    'EAI_AGAIN',
  );
  // An install script that failed (tfjs-node's libtensorflow download): the first error line, controls removed.
  const script = 'npm error code 1\nnpm error path /x/node_modules/@tensorflow/tfjs-node\nnpm error command failed\n';
  const e = failure(1, script, '@tensorflow/tfjs-node', '4.22.0');
  assert.equal(e.kind, 'failed');
  assert.equal(
    e.message,
    "npm install @tensorflow/tfjs-node failed (exit code 1: path /x/node_modules/@tensorflow/tfjs-node); npm's output is in the log.",
  );
  assert.equal(lastErrorLine('npm error \u001b[31mboom\u001b[0m'), '[31mboom[0m');
});

test('a package that installs but does not load is reported in one line (the path is an argument, not code)', async () => {
  const dir = mkdtempSync(join(work, "broken ' $(x) "));
  const file = join(dir, 'index.js');
  writeFileSync(file, "throw new Error('libtensorflow.so.2: cannot open shared object file');\n");
  assert.equal(await nativeLoadProblem(file), 'Error: libtensorflow.so.2: cannot open shared object file');
});

test('progress messages: the last line of a chunk of npm output, short, without controls', () => {
  assert.equal(
    npmProgressLine('npm http fetch GET 200 http://r/x 5ms\nnpm http fetch GET 200 http://r/y 3ms\n'),
    'npm http fetch GET 200 http://r/y 3ms',
  );
  assert.equal(npmProgressLine('\n \n'), undefined);
  assert.equal(npmProgressLine('x'.repeat(300))?.length, 100);
  assert.equal(npmProgressLine('\u001b[2Kdownloading\r'), '[2Kdownloading');
});

test("npm's environment keeps the user's settings but not an enclosing npm run's install prefix", () => {
  const env = npmEnv({
    PATH: '/bin',
    npm_config_registry: 'https://r/',
    npm_config_local_prefix: '/project',
    npm_config_prefix: '/g',
    npm_package_name: 'x',
  });
  assert.equal(env.PATH, '/bin');
  assert.equal(env.npm_config_registry, 'https://r/');
  assert.equal(env.npm_config_local_prefix, undefined);
  assert.equal(env.npm_config_prefix, undefined);
  assert.equal(env.npm_package_name, undefined);
  assert.equal(env.npm_config_color, 'false');
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The process (npm, killed with its group) is gone within a second. */
async function assertGone(pid: number | undefined): Promise<void> {
  assert.ok(pid !== undefined, 'npm was started');
  for (let i = 0; i < 20; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`npm (pid ${pid}) is still running`);
}
