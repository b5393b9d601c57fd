/**
 * Definition values written as Python source. Every piece of user text (model and layer names, labels, paths,
 * variant keys) reaches a generated script only through `pyString` (a literal made of printable ASCII and escapes),
 * `pyComment` (control and format characters removed, so it cannot end the comment line) or `pyName` (refused
 * unless it is a plain identifier): a name can never close a string and run as code when the script runs.
 */

/**
 * A value as a Python literal. Lists become tuples when `tuples` is set: Keras takes shapes, kernel sizes and
 * strides as tuples, and `(16,)` keeps its trailing comma.
 */
export function pyLiteral(value: unknown, tuples = false): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'float("nan")';
    if (!Number.isFinite(value)) return value > 0 ? 'float("inf")' : '-float("inf")';
    return String(value); // JavaScript's shortest round-trip form is valid Python (1e-7, 0.001, 100)
  }
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => pyLiteral(v, tuples));
    if (!tuples) return `[${items.join(', ')}]`;
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${pyString(k)}: ${pyLiteral(v, tuples)}`,
    );
    return `{${entries.join(', ')}}`;
  }
  return pyString(String(value));
}

/**
 * A double-quoted Python string literal holding exactly `text`, written in printable ASCII: quotes, backslashes and
 * every other character outside space..tilde become escapes, so no byte of the text can end the literal, start a
 * new line or hide in the source (bidirectional overrides, NUL).
 */
export function pyString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x100) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

/** Characters that could end or disguise a comment line: controls, format characters (bidi), line separators. */
const UNSAFE_IN_COMMENT = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]+/gu;

/** Text for a `#` comment on one line: control and format characters become a space, nothing else changes. */
export function pyComment(text: string): string {
  return text.replace(UNSAFE_IN_COMMENT, ' ');
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);

/** Raised when a definition would need something other than a plain identifier where the script writes a name. */
export class ScriptNameError extends Error {}

/**
 * `name` when it is a plain Python identifier (a layer type, an argument or optimizer name); anything else is refused,
 * never written: validation upstream already rejects such names, this keeps the generator safe on its own.
 */
export function pyName(name: string, what: string): string {
  if (IDENTIFIER.test(name) && !KEYWORDS.has(name)) return name;
  throw new ScriptNameError(
    `${what} ${JSON.stringify(name).slice(0, 60)} is not a Python name, so it cannot be written into a Keras script`,
  );
}

/** `name(a, b=1)` on one line when it fits in `width`, else one argument per line. */
export function pyCall(name: string, args: string[], indent: string, width = 100): string {
  const flat = `${name}(${args.join(', ')})`;
  if (indent.length + flat.length <= width || args.length === 0) return flat;
  const inner = indent + '    ';
  return `${name}(\n${args.map((a) => `${inner}${a},`).join('\n')}\n${indent})`;
}
