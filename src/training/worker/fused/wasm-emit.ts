/**
 * The few pieces of the WebAssembly binary format the fused engine's kernels are written with (no toolchain needed
 * at build or run time): LEB128 numbers, sections, vectors and the SIMD opcode prefix.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
export const str = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
export const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
export const simd = (op: number) => [0xfd, ...uleb(op)];

// Instructions every kernel's code is written with (one copy for all of them).
/** local.get, local.set and local.tee of local `l`. */
export const get = (l: number) => [0x20, ...uleb(l)];
export const set = (l: number) => [0x21, ...uleb(l)];
export const tee = (l: number) => [0x22, ...uleb(l)];
/** i32.const `v`. */
export const i32 = (v: number) => [0x41, ...sleb(v)];
/** br and br_if to the label `d` blocks out. */
export const br = (d: number) => [0x0c, ...uleb(d)];
export const brIf = (d: number) => [0x0d, ...uleb(d)];
/** v128.const of sixteen zero bytes. */
export const ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];

/** Module header: magic and version. */
export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** An import of the wasm backend's memory as env.memory. */
export const IMPORT_MEMORY = section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, 0x00]]));

/**
 * A module that imports the wasm backend's memory as env.memory and exports one function `name` taking `params`
 * (value types) and returning nothing; `locals` are [count, type] groups after the parameters, `code` its body
 * (without the final `end`).
 */
export function oneFunctionModule(
  name: string,
  params: number[],
  locals: [number, number][],
  code: number[],
): Uint8Array<ArrayBuffer> {
  const body = [...vec(locals.map(([count, type]) => [...uleb(count), type])), ...code, 0x0b];
  const type = [0x60, ...vec(params.map((t) => [t])), ...uleb(0)];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec([type])),
    ...IMPORT_MEMORY,
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...str(name), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}
