/**
 * 85 malformed model files, made by seeded mutations of valid ones: `model-lab check`, `model-lab summary` and
 * the core's `analyze(parseModelJson(text))` never throw, never hang, never print a stack trace, and reject each
 * with exit 2 and at least one `file:line:col` error. A few valid controls must still pass, so the checks cannot
 * be satisfied by rejecting everything.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { VariantOutcome } from '../fixtures/reliability/fuzz-child';
import { CORPUS_SEED } from '../fixtures/reliability/model-mutations';
import { hasStackTrace, ROOT, tempDir } from '../fixtures/reliability/harness';

const SEED = Number(process.env.MODEL_LAB_FUZZ_SEED || CORPUS_SEED);
/** Per variant and command; the slowest honest case (a 10 MB file) takes well under a second. */
const MAX_MS = 3000;
/** For the whole corpus; past it the child is killed and the variant it was on is named. */
const CORPUS_TIMEOUT_MS = 120_000;

const tmp = tempDir('fuzz');
const outcomes: VariantOutcome[] = [];
let hung: string | undefined;
let childError = '';

before(async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/fixtures/reliability/fuzz-child.ts'), tmp.dir, String(SEED)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let buffer = '';
  let current: string | undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      if ('start' in line) current = `#${line.start} ${line.name}`;
      else if ('done' in line) current = undefined;
      else outcomes.push(line as VariantOutcome);
    }
  });
  child.stderr.on('data', (d) => (childError += d));
  const timer = setTimeout(() => {
    hung = current ?? 'before the first variant';
    child.kill('SIGKILL');
  }, CORPUS_TIMEOUT_MS);
  await new Promise((r) => child.on('close', r));
  clearTimeout(timer);
});
after(tmp.cleanup);

const positioned = (file: string) => new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: error: `, 'm');

test(`the corpus (seed ${SEED}) runs to the end without hanging or crashing the checker`, () => {
  assert.equal(hung, undefined, `the checker hung on variant ${hung}`);
  assert.equal(childError.trim(), '', 'the checker wrote to stderr outside the commands');
  assert.ok(outcomes.length >= 60, `only ${outcomes.length} variants ran`);
  assert.ok(outcomes.filter((o) => o.expect === 'invalid').length >= 30);
});

test('no variant makes main() or analyze() throw, or print a stack trace or an internal error', () => {
  const problems: string[] = [];
  for (const o of outcomes) {
    for (const [what, r] of [
      ['check', o.check],
      ['summary', o.summary],
    ] as const) {
      if (r.threw) problems.push(`#${o.index} ${o.name}: ${what} threw ${r.threw.split('\n')[0]}`);
      const text = r.out + r.err;
      if (hasStackTrace(text)) problems.push(`#${o.index} ${o.name}: ${what} printed a stack trace`);
      if (/internal error/i.test(text))
        problems.push(`#${o.index} ${o.name}: ${what}: ${text.trim().split('\n')[0].slice(0, 200)}`);
    }
    if (o.core.threw)
      problems.push(`#${o.index} ${o.name}: analyze(parseModelJson()) threw ${o.core.threw.split('\n')[0]}`);
  }
  assert.deepEqual(problems, []);
});

test(`every variant is answered within ${MAX_MS} ms by each of check, summary and the core`, () => {
  const slow = outcomes.flatMap((o) =>
    (['check', 'summary', 'core'] as const)
      .filter((w) => o[w].ms > MAX_MS)
      .map((w) => `#${o.index} ${o.name}: ${w} took ${Math.round(o[w].ms)} ms`),
  );
  assert.deepEqual(slow, []);
});

test('every malformed variant: check and summary exit 2 with a file:line:col error; the core reports a positioned error', () => {
  const problems: string[] = [];
  for (const o of outcomes.filter((v) => v.expect === 'invalid')) {
    const tag = `#${o.index} ${o.name}`;
    if (o.check.code !== 2)
      problems.push(`${tag}: check exited ${o.check.code}: ${(o.check.out + o.check.err).trim().slice(0, 160)}`);
    else if (!positioned(o.file).test(o.check.out + o.check.err)) {
      problems.push(`${tag}: check gave no file:line:col error: ${(o.check.out + o.check.err).trim().slice(0, 160)}`);
    }
    if (o.summary.code !== 2)
      problems.push(`${tag}: summary exited ${o.summary.code}: ${o.summary.out.trim().slice(0, 160)}`);
    else if (!positioned(o.file).test(o.summary.err))
      problems.push(`${tag}: summary gave no file:line:col error: ${o.summary.err.trim().slice(0, 160)}`);
    if (o.core.positioned === 0) problems.push(`${tag}: the core found no positioned error (${o.core.errors} errors)`);
  }
  assert.deepEqual(problems, []);
});

test('the valid controls pass check (exit 0) and summary prints their table', () => {
  const controls = outcomes.filter((v) => v.expect === 'valid');
  assert.ok(controls.length >= 5);
  for (const o of controls) {
    assert.equal(o.check.code, 0, `#${o.index} ${o.name}: ${o.check.out}`);
    assert.equal(o.summary.code, 0, `#${o.index} ${o.name}: ${o.summary.err}`);
    assert.match(o.summary.out, /Total params: /, o.name);
    assert.equal(o.core.errors, 0, `#${o.index} ${o.name}: ${o.core.firstError}`);
  }
});
