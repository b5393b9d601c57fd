/**
 * The fast Python parser (py-parse.ts) against tree-sitter-python: on every Python source the repository has
 * (fixtures, notebooks' programs, the snippets of the Python tests, the large-file generator's shapes) it must give
 * the very same tree, node for node, or give up (bail) so tree-sitter reads the file. The fixtures must not bail.
 * Then a seeded mutation fuzz: a token deleted, duplicated or inserted must give tree-sitter's tree or a bail.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { createRng } from '../../src/data/rng';
import { readNotebook } from '../../src/model/python/notebook';
import { mapper, type Node } from '../../src/model/python/py-node';
import { Bail, parseFastOrBail } from '../../src/model/python/py-parse';
import { compactSource, parseWithTreeSitter } from '../../src/model/python/tree-sitter';
import { bigSources } from './python-big-sources';

const ROOT = join(__dirname, '..', '..');

/** The first difference between two trees, as a path and the two values; undefined when they are the same. */
function firstDifference(a: Node, b: Node): string | undefined {
  const stack: [Node, Node, string][] = [[a, b, '']];
  while (stack.length) {
    const [x, y, path] = stack.pop()!;
    const here = `${path}/${y.type}@${y.startIndex}`;
    for (const k of ['type', 'isNamed', 'field', 'startIndex', 'endIndex', 'isMissing', 'hasError'])
      if (x[k as keyof Node] !== y[k as keyof Node])
        return `${here}: ${k} is ${JSON.stringify(x[k as keyof Node])}, tree-sitter's ${JSON.stringify(y[k as keyof Node])}`;
    if (x.children.length !== y.children.length)
      return `${here}: ${x.children.length} children, tree-sitter's ${y.children.length} (${y.children.map((c) => c.type).join(' ')})`;
    for (let i = x.children.length - 1; i >= 0; i--) {
      if (x.children[i].parent !== x || x.children[i].index !== i) return `${here}: child ${i} is not linked`;
      stack.push([x.children[i], y.children[i], here]);
    }
  }
  // Same shape: then the preorder numbering must agree too.
  const xs = a.subtree();
  const ys = b.subtree();
  for (let i = 0; i < ys.length; i++)
    if (xs[i].id !== ys[i].id || xs[i].lastId !== ys[i].lastId)
      return `${ys[i].type}@${ys[i].startIndex}: numbered apart`;
  return undefined;
}

/** The fast parser's verdict on `text`: the same tree as tree-sitter ('same'), a bail, or the difference. */
async function compare(text: string): Promise<{ same: true } | { bail: string } | { difference: string }> {
  const compact = compactSource(text);
  const fast = parseFastOrBail(compact.text, text, compact.offsets);
  if (fast instanceof Bail) {
    assert.ok(!fast.reason.startsWith('internal'), `the fast parser failed: ${fast.reason}`);
    return { bail: fast.reason };
  }
  const slow = await parseWithTreeSitter(text, compact.text, compact.offsets);
  const difference = firstDifference(fast.root, slow.root);
  if (difference) return { difference };
  assert.equal(fast.root.subtree().length, slow.root.subtree().length, 'the preorder lists differ in length');
  return { same: true };
}

function filesUnder(dir: string, ext: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path, ext));
    else if (name.endsWith(ext)) found.push(path);
  }
  return found.sort();
}

/** Every Python fixture and every notebook fixture's program, by name. */
function fixtures(): { name: string; text: string }[] {
  const dir = join(ROOT, 'test', 'fixtures');
  const py = filesUnder(dir, '.py').map((path) => ({
    name: path.slice(dir.length + 1),
    text: readFileSync(path, 'utf8'),
  }));
  const notebooks = filesUnder(dir, '.ipynb').map((path) => {
    const program = readNotebook(readFileSync(path, 'utf8'));
    if ('error' in program) throw new Error(`${path}: ${program.error}`);
    return { name: path.slice(dir.length + 1), text: program.text };
  });
  return [...py, ...notebooks];
}

/** Fixtures whose Python is broken on purpose (tree-sitter reports errors in them): those must bail. */
const BROKEN = new Set(['python/syntax-error.py']);

/**
 * Valid published code the fast path does not read yet (explicit line joining: a backslash ending a line): tree-sitter
 * reads it; the fast path must bail on it or build the same tree, never a different one.
 */
const NOT_YET_FAST = new Set([
  'python/corpus/hg-mldl--7-3--cell6.py',
  'python/corpus/hg-mldl--7-3--cell20.py',
  'python/corpus/hg-mldl--8-2--cell10.py',
]);

/**
 * The Python snippets written in the Python tests: their string and template literals (without substitutions)
 * that hold a line break, found with the TypeScript compiler's own parser. Read as literals, never run.
 */
function snippets(): string[] {
  const found: string[] = [];
  for (const path of filesUnder(join(ROOT, 'test', 'unit'), '.test.ts')) {
    if (!/python|notebook/.test(path)) continue;
    const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest);
    const visit = (node: ts.Node): void => {
      if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && node.text.includes('\n'))
        found.push(node.text);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

test('every fixture parses to tree-sitter’s tree, node for node; only the broken ones bail', async () => {
  const all = fixtures();
  assert.ok(all.length >= 30, `only ${all.length} fixtures found`);
  for (const { name, text } of all) {
    const verdict = await compare(text);
    if (BROKEN.has(name)) assert.ok('bail' in verdict, `${name} is broken but did not bail`);
    else if (NOT_YET_FAST.has(name)) assert.ok(!('difference' in verdict), `${name}: ${JSON.stringify(verdict)}`);
    else assert.deepEqual(verdict, { same: true }, name);
  }
});

test('the same with Windows line breaks', async () => {
  for (const { name, text } of fixtures().slice(0, 12)) {
    if (BROKEN.has(name)) continue;
    assert.deepEqual(await compare(text.replace(/\n/g, '\r\n')), { same: true }, name);
  }
});

test('the Python tests’ snippets: the same tree or a bail, and most read fast', async () => {
  const all = snippets();
  assert.ok(all.length >= 50, `only ${all.length} snippets found`);
  for (const text of all) {
    const verdict = await compare(text);
    assert.ok(!('difference' in verdict), `${'difference' in verdict ? verdict.difference : ''}\n${text}`);
  }
  const keras = all.filter((t) => t.includes('keras'));
  let kerasBails = 0;
  for (const text of keras) if ('bail' in (await compare(text))) kerasBails++;
  assert.ok(kerasBails < keras.length / 4, `${kerasBails} of ${keras.length} Keras snippets bailed`);
});

test('the large-file shapes (code, comments and docstrings, literal lists, a mix) read fast, as tree-sitter does', async () => {
  for (const { name, text } of bigSources(60 * 1024)) assert.deepEqual(await compare(text), { same: true }, name);
});

test('forms the fixtures rarely use give tree-sitter’s tree', async () => {
  const cases = [
    'x = a if b else c if d else e\ny = lambda a, *b, c=1, **d: a\nz = not a in b and c is not d or -e ** -f\n',
    'a, *b = c\n(a, b), [c, d] = e\nx[1:2, ::3, :] += 1\ndel a, b\nglobal g\nassert a, "m"\n',
    'def f(a, /, b: int = 1, *, c: Dict[str, int], **k) -> Optional[int]:\n    return a, b\n',
    'class A(B, metaclass=M):\n    @property\n    def f(self): return 1\n\n\n@d\n@e.f(1)\nclass C: pass\n',
    'try:\n    a\nexcept (A, B) as e:\n    raise X from e\nelse:\n    b\nfinally:\n    c\n',
    'with open(f) as fh, g():\n    pass\nwhile x:\n    break\nelse:\n    continue\n',
    'print(f"{a!r:>{w}} {{b}} {c=}", rb"\\d\\n", "\\x41\\N{DASH}\\q", b"\\u00e9", """a"b""c""")\n',
    'x = [i for i in range(3) if i for j in (1, 2)]\ny = {k: v for k, v in d.items()}\nz = {a, *b}\nw = {**a, "b": 1}\n',
    'g = (x for x in y)\nh = f(x for x in y)\nt = (1,)\ne = ()\nv = 1_000 + 0x1F + 1.5e-3 + 2j + .5\n',
    'from . import a\nfrom ..b.c import (d as e, f,)\nfrom g import *\nimport h.i as j, k\n',
    'if (n := 10) > 5: pass; x = 1;\nelif a:\n    pass\n\n',
    'def g():\n    yield\n    yield from x\n    y = yield a, b\n\nx = ...\n',
    // Generic types are rebuilt (wrapped in `type` nodes), nested ones too, in a parameter and an annotation.
    'def h(x: Dict[str, List[Optional[int]]], y: int | None = None) -> List[int]:\n    z: Set[str] = set()\n',
  ];
  for (const text of cases) assert.deepEqual(await compare(text), { same: true }, text);
});

test('the offset map answers positions asked out of order as its bisection does', () => {
  // Pieces as compactSource makes them: increasing starts in both texts, the script's with gaps (what was cut).
  const compactStarts = [0, 5, 9, 20, 21, 40];
  const sourceStarts = [0, 30, 70, 100, 140, 200];
  const bisect = (index: number, isEnd: boolean): number => {
    let k = -1;
    for (let i = 0; i < compactStarts.length; i++)
      if (isEnd ? compactStarts[i] < index : compactStarts[i] <= index) k = i;
    return k < 0 ? index : sourceStarts[k] + (index - compactStarts[k]);
  };
  const map = mapper({ compactStarts, sourceStarts });
  const rng = createRng(7);
  // Mostly forward, as a parse asks, with jumps back (an f-string's interpolation, a rebuilt type hint).
  let at = 0;
  for (let i = 0; i < 2000; i++) {
    at = rng() < 0.8 ? Math.min(45, at + Math.floor(rng() * 4)) : Math.floor(rng() * 46);
    const isEnd = rng() < 0.5;
    assert.equal(map(at, isEnd), bisect(at, isEnd), `offset ${at}, ${isEnd ? 'an end' : 'a start'}`);
  }
});

/** The text cut into rough tokens (names, numbers, blanks, single characters) for the mutation fuzz. */
function roughTokens(text: string): string[] {
  return text.match(/[A-Za-z_][A-Za-z_0-9]*|\d+|[ \t]+|\r?\n|[^]/g) ?? [];
}

test('mutated fixtures (a token deleted, duplicated or inserted) give tree-sitter’s tree or bail', async () => {
  const rng = createRng(12);
  const sources = fixtures().filter((f) => !BROKEN.has(f.name) && f.text.length < 20000);
  const started = Date.now();
  let same = 0;
  let bails = 0;
  for (let k = 0; k < 400; k++) {
    const { name, text } = sources[rng.int(sources.length)];
    const tokens = roughTokens(text);
    const at = rng.int(tokens.length);
    const kind = rng.int(3);
    if (kind === 0) tokens.splice(at, 1);
    else if (kind === 1) tokens.splice(at, 0, tokens[at]);
    else tokens.splice(at, 0, tokens[rng.int(tokens.length)]);
    const mutated = tokens.join('');
    const verdict = await compare(mutated);
    if ('difference' in verdict)
      assert.fail(`${name}, case ${k}: ${verdict.difference}\n${mutated.slice(0, 0)}around token ${at} (${kind})`);
    if ('bail' in verdict) bails++;
    else same++;
  }
  assert.ok(same > 100 && bails > 20, `${same} same, ${bails} bailed`);
  assert.ok(Date.now() - started < 60000, 'the fuzz took over a minute');
});
