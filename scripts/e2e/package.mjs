// Builds the production bundles and packages the extension as a .vsix, offline.
//
// The build happens in a staging folder, not in the checkout's dist/: other work (tests spawning dist/worker.js,
// a watch build) may be using that folder while the end-to-end suite runs.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.mjs';

/** Sources the build reads, linked into the staging folder for the build only. */
const BUILD_INPUTS = ['src', 'webview', 'node_modules', 'esbuild.config.mjs', 'tsconfig.json'];
/** What the package may hold, copied when present; .vscodeignore then has the last word. */
const PACKAGE_INPUTS = [
  'package.json',
  '.vscodeignore',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  'data/fashion-mnist-sample',
  'schemas',
  'examples',
  'media',
];
/** Every file in the .vsix must be under one of these (paths inside the vsix's `extension/` folder). */
const ALLOWED = [
  /^dist\/[^/]+\.(js|css|wasm)$/,
  /^data\/fashion-mnist-sample\//,
  /^schemas\//,
  /^examples\//,
  /^media\//,
  /^readme\.md$/i,
  /^changelog\.md$/i,
  /^package\.json$/,
  /^LICENSE(\.(md|txt))?$/i,
];

function run(cmd, args, cwd) {
  return new Promise((resolvePromise, reject) => {
    let output = '';
    // stdin is closed so that any vsce question fails the run instead of waiting forever.
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

/** Lists the files of a .vsix from its zip central directory (no unzip tool needed). */
function vsixEntries(vsix) {
  const buf = readFileSync(vsix);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${vsix} is not a zip file.`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    const nameLength = buf.readUInt16LE(at + 28);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return names.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
}

/** Builds, packages and checks the .vsix of `projectDir` (default: the repository); returns its path. */
export async function packageExtension({ projectDir = repoRoot, outDir }) {
  const stage = join(outDir, 'stage');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const linked = BUILD_INPUTS.filter((p) => existsSync(join(projectDir, p)));
  for (const p of linked) symlinkSync(join(projectDir, p), join(stage, p));
  for (const p of PACKAGE_INPUTS.filter((p) => existsSync(join(projectDir, p)))) {
    cpSync(join(projectDir, p), join(stage, p), { recursive: true, dereference: true });
  }
  try {
    if (existsSync(join(stage, 'esbuild.config.mjs'))) {
      const b = await run(process.execPath, ['esbuild.config.mjs', '--production'], stage);
      if (b.code !== 0)
        throw new Error(`The production build failed (node esbuild.config.mjs --production):\n${b.output}`);
    } else {
      cpSync(join(projectDir, 'dist'), join(stage, 'dist'), { recursive: true });
    }
  } finally {
    // The links must not reach the package (vsce would see them as files) nor outlive the build.
    for (const p of linked) unlinkSync(join(stage, p));
  }

  const vsix = join(outDir, 'model-lab.vsix');
  const vsce = join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  const p = await run(
    process.execPath,
    [
      vsce,
      'package',
      '--no-dependencies',
      '--skip-license',
      '--allow-missing-repository',
      // The README's relative links (docs/panel.png, .ci/run) stay relative: there is no repository URL to point at.
      '--no-rewrite-relative-links',
      '--out',
      vsix,
    ],
    stage,
  );
  if (p.code !== 0 || !existsSync(vsix)) throw new Error(`vsce could not package the extension:\n${p.output}`);

  const entries = vsixEntries(vsix);
  const stray = entries.filter((e) => !ALLOWED.some((re) => re.test(e)));
  if (stray.length)
    throw new Error(`The .vsix holds files .vscodeignore should leave out: ${stray.slice(0, 10).join(', ')}`);
  if (!entries.includes('dist/extension.js')) throw new Error('The .vsix has no dist/extension.js; check the build.');
  return vsix;
}
