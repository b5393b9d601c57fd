/** Shared by the Python front-end tests: find text in a source to state expected ranges by hand. */
import type { Range } from '../../src/model/types';

/** The range of the `nth` (0-based) occurrence of `needle` in `text`, in zero-based line/character. */
export function find(text: string, needle: string, nth = 0): Range {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' occurs fewer than ${nth + 1} times`);
  }
  return { start: pos(text, at), end: pos(text, at + needle.length) };
}

function pos(text: string, offset: number) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** The range of `needle` inside the first occurrence of `context` (to tell apart two `10`s). */
export function findIn(text: string, context: string, needle: string): Range {
  const base = text.indexOf(context);
  if (base < 0) throw new Error(`'${context}' does not occur`);
  const at = context.indexOf(needle);
  if (at < 0) throw new Error(`'${needle}' is not in '${context}'`);
  return { start: pos(text, base + at), end: pos(text, base + at + needle.length) };
}
