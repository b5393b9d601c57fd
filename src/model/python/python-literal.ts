/** Definition values written as Python source. */

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
  if (typeof value === 'string') return JSON.stringify(value); // JSON escapes are valid in Python strings
  if (Array.isArray(value)) {
    const items = value.map((v) => pyLiteral(v, tuples));
    if (!tuples) return `[${items.join(', ')}]`;
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${pyLiteral(v, tuples)}`);
    return `{${entries.join(', ')}}`;
  }
  return JSON.stringify(String(value));
}

/** `name(a, b=1)` on one line when it fits in `width`, else one argument per line. */
export function pyCall(name: string, args: string[], indent: string, width = 100): string {
  const flat = `${name}(${args.join(', ')})`;
  if (indent.length + flat.length <= width || args.length === 0) return flat;
  const inner = indent + '    ';
  return `${name}(\n${args.map((a) => `${inner}${a},`).join('\n')}\n${indent})`;
}
