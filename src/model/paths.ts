/**
 * Definition paths (`layers[1].units`) as the one key every front end, diagnostic and variant override shares.
 */
import { ZERO_RANGE } from './text-lines';
import type { DefPath, Diagnostic, Range, SourceRanges } from './types';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * `['layers', 1, 'units']` → `layers[1].units`; the root is `''`. Odd keys are quoted: `set["a.b"]`. With `base`
 * (a key), the key of the path below it: `pathKey(p, pathKey(b))` is `pathKey([...b, ...p])`.
 */
export function pathKey(path: DefPath, base = ''): string {
  let out = base;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (IDENTIFIER.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Inverse of `pathKey`. Returns undefined for text that is not a path (a user's typo in a variant's `set`). */
export function parsePathKey(key: string): DefPath | undefined {
  const path: DefPath = [];
  let i = 0;
  const n = key.length;
  if (n === 0) return path;
  while (i < n) {
    const c = key[i];
    if (c === '[') {
      const close = key.indexOf(']', i);
      if (close < 0) return undefined;
      const inner = key.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) path.push(Number(inner));
      else if (inner.startsWith('"')) {
        // A quoted key may itself contain `]`: find the closing quote first.
        const end = findClosingQuote(key, i + 1);
        if (end < 0 || key[end + 1] !== ']') return undefined;
        try {
          path.push(JSON.parse(key.slice(i + 1, end + 1)) as string);
        } catch {
          return undefined;
        }
        i = end + 2;
        continue;
      } else return undefined;
      i = close + 1;
    } else {
      if (c === '.') {
        if (path.length === 0) return undefined;
        i += 1;
      } else if (path.length > 0) return undefined;
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(key.slice(i));
      if (!m) return undefined;
      path.push(m[0]);
      i += m[0].length;
    }
  }
  return path;
}

function findClosingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** The range of `path`'s value, or of its nearest ancestor that has one (a missing key points at its object). */
export function rangeFor(ranges: SourceRanges, path: DefPath | string): Range | undefined {
  let parts = typeof path === 'string' ? (parsePathKey(path) ?? []) : path;
  for (;;) {
    const r = ranges.values.get(pathKey(parts));
    if (r) return r;
    if (parts.length === 0) return undefined;
    parts = parts.slice(0, -1);
  }
}

/** The range of a property's name when known, else its value's (nearest ancestor). */
export function keyRangeFor(ranges: SourceRanges, path: DefPath | string): Range | undefined {
  const key = typeof path === 'string' ? path : pathKey(path);
  return ranges.keys.get(key) ?? rangeFor(ranges, path);
}

/** Reads the value at `path`, undefined when any step is missing. */
export function getPath(root: unknown, path: DefPath): unknown {
  let cur: unknown = root;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof part === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[part];
    } else {
      if (Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
      cur = (cur as Record<string, unknown>)[part];
    }
  }
  return cur;
}

/**
 * Returns a copy of `root` with `value` at `path`, creating missing objects on the way. Only the objects on the
 * path are copied, so the original definition stays untouched. Throws when a step cannot hold the next key
 * (an index into a non-array, a key into a scalar); callers validate paths first.
 */
export function setPath<T>(root: T, path: DefPath | string, value: unknown): T {
  const parts = typeof path === 'string' ? parsePathKey(path) : path;
  if (!parts) throw new Error(`'${String(path)}' is not a valid path`);
  if (parts.length === 0) return value as T;
  return setIn(root, parts, 0, value) as T;
}

function setIn(node: unknown, parts: DefPath, i: number, value: unknown): unknown {
  const part = parts[i];
  const last = i === parts.length - 1;
  if (typeof part === 'number') {
    if (!Array.isArray(node)) throw new Error(`cannot index [${part}] into a non-list`);
    if (part >= node.length) throw new Error(`index [${part}] is past the end of a list of ${node.length}`);
    const copy = node.slice();
    copy[part] = last ? value : setIn(copy[part], parts, i + 1, value);
    return copy;
  }
  if (node !== undefined && (node === null || typeof node !== 'object' || Array.isArray(node))) {
    throw new Error(`cannot set '${part}' inside a ${Array.isArray(node) ? 'list' : typeof node}`);
  }
  const copy: Record<string, unknown> = { ...((node as Record<string, unknown>) ?? {}) };
  copy[part] = last ? value : setIn(copy[part], parts, i + 1, value);
  return copy;
}

/**
 * Diagnostics about a definition's paths, each placed at its path's range (or its nearest ancestor's, else the top
 * of the file): `at(path)` is that range, `push` adds one (an error unless told).
 */
export function pathDiagnostics(ranges: SourceRanges) {
  const diagnostics: Diagnostic[] = [];
  const at = (path: string): Range => rangeFor(ranges, path) ?? ZERO_RANGE;
  const push = (
    path: string,
    message: string,
    code: string,
    severity: Diagnostic['severity'] = 'error',
    range = at(path),
  ) => {
    diagnostics.push({ range, severity, message, code, path });
  };
  return { diagnostics, at, push };
}
