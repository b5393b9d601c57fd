/**
 * A stand-in for `@tensorflow/tfjs-node`, and a local npm registry serving it, so that the native backend's whole path
 * (the real `npm install`, the worker resolving the package from the native folder, `auto` choosing it) runs on a
 * machine where the real package cannot install (its install downloads libtensorflow from the internet).
 *
 * The stand-in registers a tfjs backend named 'tensorflow' (what tfjs-node registers) made of the pure-JS cpu
 * backend's kernels, and exports the tfjs namespace as tfjs-node does. It requires this checkout's tfjs by absolute
 * path, so it needs no dependencies of its own.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Builds the stand-in package in `dir` and packs it with npm; returns the tarball's path. */
export function packFakeTfjsNode(dir: string, version: string, name = '@tensorflow/tfjs-node'): string {
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  const tfjs = require.resolve('@tensorflow/tfjs', { paths: [ROOT] });
  const cpu = require.resolve('@tensorflow/tfjs-backend-cpu', { paths: [ROOT] });
  writeFileSync(
    join(src, 'package.json'),
    JSON.stringify({ name, version, main: 'index.js', description: 'Model Lab test stand-in for tfjs-node' }),
  );
  writeFileSync(
    join(src, 'index.js'),
    [
      `const tf = require(${JSON.stringify(tfjs)});`,
      `const { MathBackendCPU } = require(${JSON.stringify(cpu)});`,
      `if (!tf.findBackendFactory('tensorflow')) {`,
      `  tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);`,
      `  for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });`,
      `}`,
      `tf.setBackend('tensorflow');`,
      `module.exports = tf;`,
      '',
    ].join('\n'),
  );
  const out = execFileSync('npm', ['pack', src, '--pack-destination', dir, '--silent'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  return join(dir, out.trim().split('\n').pop()!);
}

export interface FakeRegistry {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

export interface RegistryBehaviour {
  /** Answer every request with this status (a broken registry). */
  status?: number;
  /** Never answer (a hung registry), for timeouts and cancellation. */
  hang?: boolean;
}

/** Serves packuments and tarballs for `packages` the way registry.npmjs.org does (enough for `npm install`). */
export async function startFakeRegistry(
  packages: { name: string; version: string; tarball: string }[],
  behaviour: RegistryBehaviour = {},
): Promise<FakeRegistry> {
  const requests: string[] = [];
  const held: import('node:http').ServerResponse[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    requests.push(path);
    if (behaviour.hang) {
      held.push(res);
      return;
    }
    if (behaviour.status) {
      res.writeHead(behaviour.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'stand-in registry says no' }));
      return;
    }
    const tar = packages.find((p) => path === `/-/${fileName(p)}`);
    if (tar) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(readFileSync(tar.tarball));
      return;
    }
    const versions = packages.filter((p) => path === `/${p.name}`);
    if (!versions.length) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Not found' }));
      return;
    }
    const name = versions[0].name;
    const doc = {
      name,
      'dist-tags': { latest: versions[versions.length - 1].version },
      versions: Object.fromEntries(
        versions.map((p) => {
          const bytes = readFileSync(p.tarball);
          return [
            p.version,
            {
              name,
              version: p.version,
              main: 'index.js',
              dist: {
                tarball: `${base}/-/${encodeURIComponent(fileName(p))}`,
                shasum: createHash('sha1').update(bytes).digest('hex'),
                integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
              },
            },
          ];
        }),
      ),
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base + '/',
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function fileName(p: { name: string; version: string }): string {
  return `${p.name.replace('/', '-').replace(/^@/, '')}-${p.version}.tgz`;
}

/** npm's environment for a test: the stand-in registry, a private cache, no retries, no user or global config. */
export function npmTestEnv(registry: string, cache: string): NodeJS.ProcessEnv {
  const userconfig = join(cache, 'npmrc');
  mkdirSync(cache, { recursive: true });
  writeFileSync(userconfig, '');
  // Whatever `npm run` put in the environment (npm_config_local_prefix, say) must not steer the install elsewhere.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return {
    ...clean,
    npm_config_registry: registry,
    npm_config_cache: cache,
    npm_config_userconfig: userconfig,
    npm_config_fetch_retries: '0',
    npm_config_fetch_timeout: '10000',
    npm_config_offline: 'false',
    npm_config_prefer_online: 'true',
    npm_config_audit: 'false',
  };
}
