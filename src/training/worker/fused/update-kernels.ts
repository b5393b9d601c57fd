/**
 * Compiles an optimizer's per-element update, written as formulas, into two loops:
 *  - a JS loop (double precision, float32 storage, the same operation order as written), used on every backend;
 *  - a WebAssembly SIMD loop (f32x4) over the wasm backend's own memory, four weights per instruction, used on wasm.
 * A plain JS loop with a square root and a division per weight costs more than the step's matrix products, and the
 * tfjs alternative is a dozen small kernels per weight; SIMD over the tensors' memory avoids both.
 *
 * Formulas: one `name = expression` per line. Names are the arrays `w` (read), `g` (read), `out` (written) and the
 * state slots `s0`, `s1`, `s2` (read, and written when assigned), the step's scalars, or temporaries. Operators:
 * + - * / and parentheses; functions sqrt(x), abs(x), max(x, y), flush(x), flushp(x), madd(a, b, c) and
 * nmadd(a, b, c). After a slot is assigned, later lines read its new (float32) value, as the stock engine's loops
 * read back what they stored.
 *
 * flush(x) is x with float32 subnormals (|x| < 2^-126) set to zero, as TensorFlow's CPU kernels run (flush-to-zero
 * mode). Without it, state that decays towards zero (momentum of a weight that stopped getting gradient) turns
 * subnormal, and x86 arithmetic on subnormals is about fifty times slower; wasm cannot switch that mode on.
 * flushp(x) is flush(x) for an x the formulas keep at >= 0 (or NaN): one vector operation fewer (no |x|); it would
 * zero a negative x.
 *
 * madd(a, b, c) is a*b + c and nmadd(a, b, c) is c - a*b, in the SIMD loop as relaxed-SIMD multiply-adds (one
 * rounding where the hardware fuses them, as V8 does on x86 with FMA3 and on arm64): a program that uses them
 * compiles only where the runtime has relaxed SIMD (`hasRelaxedSimd`). The JS loop computes them in double.
 */

/** The smallest normal float32, 2^-126. */
const FLT_MIN = 1.1754943508222875e-38;

import { F32, I32, section, simd, sleb, str, uleb, V128, vec } from './wasm-emit';

type Node =
  | { k: 'num'; v: number }
  | { k: 'name'; name: string }
  | { k: 'bin'; op: '+' | '-' | '*' | '/'; a: Node; b: Node }
  | { k: 'call'; fn: Fn; args: Node[] };

type Fn = 'sqrt' | 'abs' | 'max' | 'flush' | 'flushp' | 'madd' | 'nmadd';
/** Each function and its count of arguments. */
const FNS: Record<Fn, number> = { sqrt: 1, abs: 1, max: 2, flush: 1, flushp: 1, madd: 3, nmadd: 3 };

interface Statement {
  target: string;
  expr: Node;
}

export const ARRAYS = ['w', 'g', 'out', 's0', 's1', 's2'] as const;
const SLOTS = new Set(['s0', 's1', 's2']);

/** One weight's update loop: arrays in ARRAYS order (unused ones may be empty), scalars in declared order. */
export type JsUpdate = (arrays: Float32Array[], scalars: number[]) => void;

export interface UpdateProgram {
  statements: Statement[];
  scalars: string[];
  /** Slots the formulas use, s0 first. */
  slotCount: number;
}

export function parseProgram(source: string, scalars: string[]): UpdateProgram {
  const statements = source
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map(parseStatement);
  let slotCount = 0;
  const visit = (n: Node): void => {
    if (n.k === 'name' && SLOTS.has(n.name)) slotCount = Math.max(slotCount, Number(n.name[1]) + 1);
    if (n.k === 'bin') (visit(n.a), visit(n.b));
    if (n.k === 'call') n.args.forEach(visit);
  };
  for (const s of statements) {
    visit(s.expr);
    visit({ k: 'name', name: s.target });
  }
  return { statements, scalars, slotCount };
}

function parseStatement(line: string): Statement {
  const eq = line.indexOf('=');
  const target = line.slice(0, eq).trim();
  const tokens = line.slice(eq + 1).match(/\d+(\.\d+)?(e-?\d+)?|[A-Za-z_]\w*|[-+*/(),]/g) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`update formula '${line}': expected ${t}`);
  };
  const primary = (): Node => {
    const t = next();
    if (t === '(') {
      const e = sum();
      expect(')');
      return e;
    }
    if (t === undefined) throw new Error(`update formula '${line}' ends early`);
    if (/^\d/.test(t)) return { k: 'num', v: Number(t) };
    if (peek() === '(') {
      next();
      const args = [sum()];
      while (peek() === ',') (next(), args.push(sum()));
      expect(')');
      if (!Object.hasOwn(FNS, t)) throw new Error(`update formula '${line}': unknown function ${t}`);
      if (args.length !== FNS[t as Fn]) throw new Error(`update formula '${line}': ${t} takes ${FNS[t as Fn]}`);
      return { k: 'call', fn: t as Fn, args };
    }
    return { k: 'name', name: t };
  };
  const product = (): Node => {
    let a = primary();
    while (peek() === '*' || peek() === '/') a = { k: 'bin', op: next() as '*' | '/', a, b: primary() };
    return a;
  };
  const sum = (): Node => {
    let a = product();
    while (peek() === '+' || peek() === '-') a = { k: 'bin', op: next() as '+' | '-', a, b: product() };
    return a;
  };
  const expr = sum();
  if (pos !== tokens.length) throw new Error(`update formula '${line}': unexpected ${peek()}`);
  return { target, expr };
}

// ---- JS ----------------------------------------------------------------------------------------------------------

export function compileJs(p: UpdateProgram): JsUpdate {
  const assigned = new Set<string>();
  const js = (n: Node): string => {
    switch (n.k) {
      case 'num':
        return String(n.v);
      case 'name':
        if ((ARRAYS as readonly string[]).includes(n.name))
          return assigned.has(n.name) ? `v_${n.name}` : `${n.name}[i]`;
        if (p.scalars.includes(n.name)) return `k_${n.name}`;
        return `t_${n.name}`;
      case 'bin':
        return `(${js(n.a)} ${n.op} ${js(n.b)})`;
      case 'call':
        if (n.fn === 'flush' || n.fn === 'flushp') return `flush(${js(n.args[0])})`;
        if (n.fn === 'madd') return `(${js(n.args[0])} * ${js(n.args[1])} + ${js(n.args[2])})`;
        if (n.fn === 'nmadd') return `(${js(n.args[2])} - ${js(n.args[0])} * ${js(n.args[1])})`;
        return n.fn === 'max' ? `Math.max(${n.args.map(js).join(', ')})` : `Math.${n.fn}(${js(n.args[0])})`;
    }
  };
  const body: string[] = [];
  for (const s of p.statements) {
    const e = js(s.expr);
    if ((ARRAYS as readonly string[]).includes(s.target)) {
      // An array may be assigned twice (`out`, first the decayed weight): later lines read its stored value.
      const declare = assigned.has(s.target) ? '' : 'let ';
      body.push(`${declare}v_${s.target} = Math.fround(${e}); ${s.target}[i] = v_${s.target};`);
      assigned.add(s.target);
    } else {
      body.push(`const t_${s.target} = ${e};`);
    }
  }
  const source = [
    `const flush = (x) => (Math.abs(x) < ${FLT_MIN} ? 0 : x);`,
    `const [${ARRAYS.join(', ')}] = arrays;`,
    `const [${p.scalars.map((k) => `k_${k}`).join(', ')}] = scalars;`,
    `for (let i = 0; i < w.length; i++) {`,
    ...body.map((l) => '  ' + l),
    `}`,
  ].join('\n');
  return new Function('arrays', 'scalars', source) as JsUpdate;
}

// ---- WebAssembly SIMD ----------------------------------------------------------------------------------------------

/**
 * Function signature of every compiled update: (w, g, out, s0, s1, s2 as byte addresses, vectors, ...8 f32 scalars).
 * It processes `vectors` groups of four floats; the caller finishes the remaining few with the JS loop.
 */
export const MAX_SCALARS = 8;

const OP = {
  load: 0x00,
  store: 0x0b,
  splat: 0x13,
  lt: 0x43,
  andnot: 0x4f,
  sqrt: 0xe3,
  '+': 0xe4,
  '-': 0xe5,
  '*': 0xe6,
  '/': 0xe7,
  max: 0xe9,
};
const f32const = (v: number) => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)];
/**
 * |x| as x & 0x7fffffff in every lane (v128.and with a v128.const): the same bits as f32x4.abs, but V8 builds
 * f32x4.abs's mask anew at every use (two instructions), where it hoists the constant out of the loop (Adam's update,
 * two flushes a vector: about 2 µs of a canonical step, docs/performance.md, "Round 14, Dense").
 */
const ABS = [...simd(0x0c), ...[0, 1, 2, 3].flatMap(() => [0xff, 0xff, 0xff, 0x7f]), ...simd(0x4e)];
/** f32x4.relaxed_madd (a*b + c) and f32x4.relaxed_nmadd (-(a*b) + c). */
const MADD = { madd: simd(0x105), nmadd: simd(0x106) };

/** Compiles the programs into one module that imports the wasm backend's memory as env.memory. */
export function compileWasm(programs: Record<string, UpdateProgram>): Uint8Array<ArrayBuffer> {
  const names = Object.keys(programs);
  const params = [I32, I32, I32, I32, I32, I32, I32, ...new Array(MAX_SCALARS).fill(F32)];
  const type = [0x60, ...vec(params.map((t) => [t])), ...uleb(0)];
  const bodies = names.map((n) => functionBody(programs[n]));
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vec(names.map(() => uleb(0)))),
    ...section(7, vec(names.map((n, i) => [...str(n), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies.map((b) => [...uleb(b.length), ...b]))),
  ];
  return new Uint8Array(bytes);
}

/**
 * Where the statements of a program find their operands when emitted for one vector of four weights: `load` leaves
 * array `name`'s vector (w, g, a slot) on the stack, `store` stores the v128 in local `from` into array `name`, and
 * `local` gives the v128 local of a name (`k_<scalar>` for a scalar's splat, `v_<array>` for an array's new value,
 * `t_<temp>`, `flush_<i>`).
 */
export interface VectorAccess {
  load(name: string): number[];
  store(name: string, from: number): number[];
  local(name: string): number;
}

/**
 * The program's statements for one vector: the same f32x4 operations in the same order wherever they are emitted
 * (the update loop below, or a product's epilogue), so the same floats.
 */
export function emitUpdate(p: UpdateProgram, access: VectorAccess): number[] {
  const isArray = (name: string) => (ARRAYS as readonly string[]).includes(name);
  const assigned = new Set<string>();
  const loaded = new Map<string, number>();
  const code: number[] = [];
  let flushes = 0;
  const expr = (n: Node): void => {
    switch (n.k) {
      case 'num':
        code.push(...f32const(n.v), ...simd(OP.splat));
        return;
      case 'name':
        if (isArray(n.name) && !assigned.has(n.name)) {
          // Loaded once a vector and kept in a local for the program's later reads (V8 loads again at every
          // v128.load: Adam's multiply-add form reads s0 and s1 twice, the loop's g two or three times); a store to
          // `out`, which may be `w` or `g`, drops what was kept, as a later load would read the stored value.
          const kept = loaded.get(n.name);
          if (kept !== undefined) code.push(0x20, ...uleb(kept));
          else {
            const l = access.local(`load_${n.name}`);
            code.push(...access.load(n.name), 0x22, ...uleb(l));
            loaded.set(n.name, l);
          }
        } else
          code.push(
            0x20,
            ...uleb(
              access.local(
                isArray(n.name) ? `v_${n.name}` : p.scalars.includes(n.name) ? `k_${n.name}` : `t_${n.name}`,
              ),
            ),
          );
        return;
      case 'bin':
        expr(n.a);
        expr(n.b);
        code.push(...simd(OP[n.op]));
        return;
      case 'call':
        n.args.forEach(expr);
        if (n.fn === 'flush' || n.fn === 'flushp') {
          // x & ~(|x| < FLT_MIN): zero for subnormals (and zeros); NaN compares false and passes through. flushp
          // compares x itself, which the formulas keep >= 0.
          const x = uleb(access.local(`flush_${flushes++}`));
          code.push(0x22, ...x, 0x20, ...x, ...(n.fn === 'flush' ? ABS : []), ...f32const(FLT_MIN), ...simd(OP.splat));
          code.push(...simd(OP.lt), ...simd(OP.andnot));
        } else if (n.fn === 'madd' || n.fn === 'nmadd') {
          code.push(...MADD[n.fn]);
        } else {
          code.push(...(n.fn === 'abs' ? ABS : simd(OP[n.fn as 'sqrt' | 'max'])));
        }
        return;
    }
  };
  for (const s of p.statements) {
    expr(s.expr);
    if (isArray(s.target)) {
      const l = access.local(`v_${s.target}`);
      code.push(0x21, ...uleb(l), ...access.store(s.target, l));
      assigned.add(s.target);
      if (s.target === 'out') loaded.clear();
    } else {
      code.push(0x21, ...uleb(access.local(`t_${s.target}`)));
    }
  }
  return code;
}

function functionBody(p: UpdateProgram): number[] {
  // Locals after the 15 parameters: offset (i32), end (i32), then v128 locals for scalars, array values, temps.
  const OFFSET = 15;
  const END = 16;
  const v128 = new Map<string, number>();
  const local = (name: string) => {
    if (!v128.has(name)) v128.set(name, 17 + v128.size);
    return v128.get(name)!;
  };
  const arrayParam = (name: string) => (ARRAYS as readonly string[]).indexOf(name);
  const code: number[] = [];
  // Splat the scalars once.
  p.scalars.forEach((k, i) => code.push(0x20, 7 + i, ...simd(OP.splat), 0x21, ...uleb(local(`k_${k}`))));
  // offset = 0; end = vectors * 16; if (end == 0) skip.
  code.push(0x41, 0x00, 0x21, OFFSET, 0x20, 6, 0x41, 4, 0x74, 0x21, END);
  code.push(0x02, 0x40, 0x20, END, 0x45, 0x0d, 0x00); // block; br_if end == 0
  code.push(0x03, 0x40); // loop
  code.push(
    ...emitUpdate(p, {
      load: (name) => [0x20, arrayParam(name), 0x20, OFFSET, 0x6a, ...simd(OP.load), 0x00, 0x00],
      store: (name, from) => [
        0x20,
        arrayParam(name),
        0x20,
        OFFSET,
        0x6a,
        0x20,
        ...uleb(from),
        ...simd(OP.store),
        0x00,
        0x00,
      ],
      local,
    }),
  );
  // offset += 16; br_if loop (offset < end)
  code.push(0x20, OFFSET, 0x41, ...sleb(16), 0x6a, 0x22, OFFSET, 0x20, END, 0x49, 0x0d, 0x00);
  code.push(0x0b, 0x0b, 0x0b); // end loop, end block, end function
  const locals = vec([
    [...uleb(2), I32],
    [...uleb(v128.size), V128],
  ]);
  return [...locals, ...code];
}
