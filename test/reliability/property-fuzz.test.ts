/**
 * Issue 14, property-based: whatever model file, CSV cell or command line a careless or hostile user gives,
 *   - the exit code is one of 0, 1, 2, 130, 143;
 *   - every error is one line (diagnostics `file:line:col: …` or one `model-lab <command>: …`), with no stack trace
 *     and no "internal error";
 *   - each command finishes in bounded time;
 *   - no file changes except the outputs the command line names.
 * fast-check shrinks a failure to a small counterexample and prints its seed, so a failure reproduces.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { main } from '../../src/cli';
import { loadCsv } from '../../src/data/csv';
import { DataError } from '../../src/data/errors';
import { hasStackTrace, tempDir } from '../fixtures/reliability/harness';
import { MLP } from '../fixtures/reliability/model-mutations';

const tmp = tempDir('property');
after(tmp.cleanup);

const EXIT_CODES = new Set([0, 1, 2, 130, 143]);
const COMMAND_MS = 10_000;

/** Names, sizes and contents of every file in the folder (small files: the contents are compared too). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    const s = statSync(join(dir, name));
    out.set(name, s.isFile() ? readFileSync(join(dir, name), 'latin1') : `[${s.mode}]`);
  }
  return out;
}

interface Outcome {
  code: number;
  out: string;
  err: string;
}

async function run(args: string[]): Promise<Outcome> {
  let out = '';
  let err = '';
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    main(args, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      cwd: tmp.dir,
      env: { HOME: tmp.dir, XDG_CACHE_HOME: join(tmp.dir, '.cache') },
      signal: new AbortController().signal,
    }),
    new Promise<number>(
      (_, reject) =>
        (timer = setTimeout(
          () => reject(new Error(`model-lab ${args.join(' ')} took over ${COMMAND_MS} ms`)),
          COMMAND_MS,
        )),
    ),
  ]).finally(() => clearTimeout(timer));
  return { code, out, err };
}

/** The properties every command must keep, whatever its input. */
function assertWellBehaved(args: string[], r: Outcome): void {
  const what = `model-lab ${JSON.stringify(args)}`;
  assert.ok(EXIT_CODES.has(r.code), `${what} exited ${r.code}:\n${r.err}`);
  assert.ok(!hasStackTrace(r.err) && !hasStackTrace(r.out), `${what} printed a stack trace:\n${r.err}`);
  assert.doesNotMatch(r.err, /internal error/i, `${what}: ${r.err}`);
  const command = args[0];
  const lines = r.err.split('\n').filter((l) => l.trim() !== '');
  const finals = lines.filter((l) => l.startsWith(`model-lab ${command}: `) || l.startsWith('model-lab: '));
  // A failure says why in one `model-lab <command>: …` line; exit 2 may instead list positioned diagnostics.
  if (r.code === 1) assert.equal(finals.length, 1, `${what} should end with one error line:\n${r.err}`);
  if (r.code === 2) {
    assert.ok(finals.length <= 1, `${what} printed several error lines:\n${r.err}`);
    // `check` prints its diagnostics on stdout, the other commands on stderr.
    assert.ok(
      finals.length === 1 || (r.err + r.out).includes(`${args[1]}:`),
      `${what} exited 2 without saying why:\n${r.err}${r.out}`,
    );
  }
}

// ---- Model files -------------------------------------------------------------------------------------------------

const hostileString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '"""',
    "'''",
    '\n',
    '\x1b[2J',
    '\u202e',
    '\u0000',
    '../../etc/passwd',
    '/dev/zero',
    'a/b',
    'output layer',
    '1e400',
    '-1',
  ),
);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1, 2 ** 32, 1e308, -0, null, true, false, [], {}),
  fc.array(fc.integer({ min: -3, max: 100 }), { maxLength: 4 }),
);

/** The tutorial model with up to four fields set to anything (by path), so parsing gets past the first brace. */
const mutatedModel = fc
  .record({
    edits: fc.array(
      fc.tuple(
        fc.constantFrom(
          'name',
          'dataset',
          'dataset.csv',
          'dataset.path',
          'dataset.seed',
          'layers.0.input_shape',
          'layers.1.units',
          'layers.1.name',
          'layers.1.activation',
          'layers.2.type',
          'compile.optimizer',
          'compile.loss',
          'fit.epochs',
          'fit.seed',
          'fit.batch_size',
          'compare.repeats',
          'compare.variants',
        ),
        anyValue,
      ),
      { maxLength: 4 },
    ),
  })
  .map(({ edits }) => {
    const model = JSON.parse(MLP.replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>;
    for (const [path, value] of edits) {
      const keys = path.split('.');
      let node = model as Record<string, unknown>;
      for (const k of keys.slice(0, -1)) {
        if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
        node = node[k] as Record<string, unknown>;
      }
      node[keys[keys.length - 1]] = value;
    }
    return JSON.stringify(model, null, 1);
  });

const modelText = fc.oneof(
  { weight: 3, arbitrary: mutatedModel },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.json() },
);

test('check, summary and export keep their promises on any model file', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      modelText,
      fc.constantFrom('check', 'summary', 'export'),
      fc.boolean(),
      async (text, command, python) => {
        const file = `m${n++ % 3}${python ? '.py' : '.model.json'}`;
        writeFileSync(join(tmp.dir, file), text);
        const args = command === 'export' ? [command, file, '--keras', 'out.py'] : [command, file];
        const before = snapshot(tmp.dir);
        const r = await run(args);
        assertWellBehaved(args, r);
        const afterSnap = snapshot(tmp.dir);
        for (const [name, content] of afterSnap) {
          if (name === 'out.py' && command === 'export') continue;
          assert.equal(content, before.get(name), `${command} changed ${name}`);
        }
      },
    ),
    { numRuns: 120, includeErrorInReport: true },
  );
});

// ---- CLI flags ----------------------------------------------------------------------------------------------------

const FLAGS = [
  '--epochs',
  '--batch-size',
  '--optimizer',
  '--backend',
  '--seed',
  '--repeats',
  '--workers',
  '--json',
  '--html',
  '--keras',
  '--model',
  '--data',
  '--nope',
  '-x',
];
const flagValue = fc.oneof(
  fc.integer({ min: -5, max: 2_000_000 }).map(String),
  fc.constantFrom(
    '',
    '0',
    '1e3',
    '0x10',
    '1.5',
    ' 7',
    'NaN',
    'Infinity',
    '4294967296',
    '99999999999999999999',
    'adam',
    'wasm',
    'm.model.json',
    'data.csv',
    '/dev/null',
    '.',
    'out.json',
  ),
  fc.string({ maxLength: 12 }),
);
const commandLine = fc.tuple(
  fc.constantFrom('train', 'compare', 'export', 'check', 'summary'),
  fc.array(
    fc.oneof(
      fc.tuple(fc.constantFrom(...FLAGS), flagValue).map(([f, v]) => (v.startsWith('=') ? [f + v] : [f, v])),
      flagValue.map((v) => [v]),
    ),
    { maxLength: 5 },
  ),
);

test('any command line: a usage error or a refusal, never a crash, a hang or a stray file', async () => {
  // The model has one error (epochs 0) that every command finds after it has read all its flags: a valid command
  // line ends there with exit 2 instead of training, so the property runs in milliseconds.
  writeFileSync(join(tmp.dir, 'm.model.json'), MLP.replace('"epochs": 2', '"epochs": 0'));
  writeFileSync(join(tmp.dir, 'data.csv'), 'a,label\n1,x\n');
  await fc.assert(
    fc.asyncProperty(commandLine, async ([command, groups]) => {
      const args = [command, 'm.model.json', ...groups.flat()];
      const before = snapshot(tmp.dir);
      const r = await run(args);
      assertWellBehaved(args, r);
      const named = new Set(args.filter((a) => /\.(json|html|py)$|^out/.test(a)));
      for (const [name, content] of snapshot(tmp.dir)) {
        if (named.has(name) || name === '.cache') continue;
        assert.equal(content, before.get(name), `${JSON.stringify(args)} changed ${name}`);
      }
    }),
    { numRuns: 150, includeErrorInReport: true },
  );
});

// ---- CSV cells ----------------------------------------------------------------------------------------------------

const cell = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom(
    '',
    'NA',
    '1e400',
    '-1e400',
    '1e39',
    'nan',
    'inf',
    '"',
    '""',
    ',',
    '\n',
    '\r',
    '\x1b[2J',
    '\u0000',
    '1,5',
    ' 2 ',
    '٣',
  ),
  fc.string({ maxLength: 8 }),
);

test('any CSV cells: a dataset or one DataError line naming the file, in bounded time', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(cell, cell, fc.constantFrom('cat', 'dog', '1', '2', '')), { minLength: 0, maxLength: 6 }),
      fc.constantFrom(undefined, 'mse', 'sparse_categorical_crossentropy'),
      async (rows, loss) => {
        const file = join(tmp.dir, `cells-${n++ % 4}.csv`);
        writeFileSync(file, ['a,b,label', ...rows.map((r) => r.join(','))].join('\n'));
        const started = Date.now();
        try {
          const d = await loadCsv(file, { label: 'label', loss });
          for (const v of d.train.x)
            assert.ok(Number.isFinite(v), `a non-finite feature was accepted from ${JSON.stringify(rows)}`);
          for (const v of d.train.y)
            assert.ok(Number.isFinite(v), `a non-finite label was accepted from ${JSON.stringify(rows)}`);
        } catch (e) {
          assert.ok(e instanceof DataError, `not a DataError: ${e instanceof Error ? e.stack : String(e)}`);
          assert.ok(!e.message.trimEnd().includes('\n'), `several lines: ${e.message}`);
          assert.ok(e.message.includes(file), `does not name the file: ${e.message}`);
        }
        assert.ok(Date.now() - started < 5000);
      },
    ),
    { numRuns: 200, includeErrorInReport: true },
  );
});
