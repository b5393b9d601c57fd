/**
 * Structural validation with Ajv against the generated schema, with Ajv's errors turned into one readable sentence
 * each at the offending value: "layers[1].units must be a positive integer, got -3".
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { quoteList, showValue, thousands } from './number-format';
import { LAYER_TYPES } from './layers/registry';
import type { JsonSchema } from './layers/layer-def';
import { OPTIMIZER_ALIASES, OPTIMIZER_TYPES, unimplementedArgument } from './optimizers';
import { keyRangeFor, pathKey, rangeFor } from './paths';
import { buildSchema } from './schema';
import { didYouMean } from './suggest';
import { ZERO_RANGE } from './text-lines';
import type { DefPath, Diagnostic, SourceRanges } from './types';

let ajv: Ajv | undefined;
let compiled: ValidateFunction | undefined;
let rootSchema: JsonSchema | undefined;
const branchValidators = new WeakMap<JsonSchema, ValidateFunction>();

function validator(): ValidateFunction {
  // strict: false because the schema carries VS Code's own keywords (enumDescriptions).
  ajv ??= new Ajv({ allErrors: true, verbose: true, strict: false });
  rootSchema ??= buildSchema();
  compiled ??= ajv.compile(rootSchema);
  return compiled;
}

/** A validator for one branch of a union, with the root's definitions so its $refs resolve. */
function branchValidator(branch: JsonSchema): ValidateFunction {
  let v = branchValidators.get(branch);
  if (!v) {
    validator();
    v = ajv!.compile({ ...branch, definitions: rootSchema!.definitions });
    branchValidators.set(branch, v);
  }
  return v;
}

/** Schema problems of a definition-shaped value, positioned with `ranges`. */
export function validateStructure(value: unknown, ranges: SourceRanges): Diagnostic[] {
  const validate = validator();
  if (validate(value)) return [];
  // enum before type: "Unknown layer type 7" says more than "must be a string".
  const errors = relevantErrors(validate.errors ?? []).sort(
    (a, b) => Number(b.keyword === 'enum') - Number(a.keyword === 'enum'),
  );
  const out: Diagnostic[] = [];
  const reported = new Set<string>();
  for (const e of errors) {
    const path = toDefPath(e.instancePath, value);
    const d = toDiagnostic(e, path, ranges);
    const key = `${d.path}|${d.message}`;
    // One value gets one sentence, even when several keywords fail on it (type and minimum, say).
    const valueKey = `${d.path}|value`;
    if (
      reported.has(key) ||
      (e.keyword !== 'required' && e.keyword !== 'additionalProperties' && reported.has(valueKey))
    )
      continue;
    reported.add(key);
    reported.add(valueKey);
    out.push(d);
  }
  return out;
}

const within = (path: string, outer: string) => path === outer || path.startsWith(`${outer}/`);

/**
 * Drops Ajv's noise: `if` failures (the `then` errors say it better), and everything anyOf/oneOf branches report.
 * The unions in the schema tell their branches apart by JSON type, so the value is checked again against the one
 * branch of its type and that branch's errors are the message; with no such branch, one sentence about the union.
 * (Ajv's schemaPath restarts at every $ref, so branch errors cannot be told apart by path.)
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  let kept = errors.filter((e) => e.keyword !== 'if');
  const unions = kept
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.instancePath.length - b.instancePath.length);
  const handled: string[] = [];
  for (const u of unions) {
    const at = u.instancePath;
    if (handled.some((h) => within(at, h))) continue;
    handled.push(at);
    // Union nodes hold nothing but the union, so every error at or under this value came from its branches.
    kept = kept.filter((e) => !within(e.instancePath, at));
    const branches = (u.schema as JsonSchema[]) ?? [];
    const fitting = branches.filter((b) => typeFits(b, u.data));
    if (fitting.length === 1) {
      const check = branchValidator(fitting[0]);
      if (!check(u.data) && check.errors?.length) {
        const moved = check.errors.map((e) => ({ ...e, instancePath: at + e.instancePath }));
        kept.push(...relevantErrors(moved));
        continue;
      }
    }
    kept.push(u);
  }
  return kept;
}

function typeFits(schema: JsonSchema, data: unknown): boolean {
  const t = schema.type;
  if (t === undefined) return true;
  const actual = data === null ? 'null' : Array.isArray(data) ? 'array' : typeof data;
  if (t === 'integer') return actual === 'number';
  return t === actual;
}

/** `/layers/1/units` → `['layers', 1, 'units']`, numbers only where the value really is a list. */
function toDefPath(pointer: string, root: unknown): DefPath {
  const path: DefPath = [];
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      path.push(i);
      cur = cur[i];
    } else {
      path.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return path;
}

function where(path: DefPath): string {
  return path.length === 0 ? 'the definition' : pathKey(path);
}

function toDiagnostic(e: ErrorObject, path: DefPath, ranges: SourceRanges): Diagnostic {
  const at = (p: DefPath) => rangeFor(ranges, p) ?? ZERO_RANGE;
  const diag = (p: DefPath, message: string, code: string, range = at(p)): Diagnostic => ({
    range,
    severity: 'error',
    message,
    code,
    path: pathKey(p),
  });
  const parent = e.parentSchema as JsonSchema | undefined;
  const isLayer = path.length === 2 && path[0] === 'layers';
  const layerType = isLayer ? String((e.data as Record<string, unknown>)?.type ?? '') : '';

  switch (e.keyword) {
    case 'required': {
      const missing = String(e.params.missingProperty);
      const typePath = [...path, 'type'];
      const range = ranges.values.get(pathKey(typePath)) ?? at(path);
      if (isLayer && missing === 'type') {
        return diag(
          path,
          `${where(path)} has no "type"; give the Keras layer class, e.g. "type": "Dense".`,
          'missing-argument',
          range,
        );
      }
      if (isLayer) {
        return diag(
          [...path, missing],
          `${layerType} in ${where(path)} needs the argument '${missing}'.`,
          'missing-argument',
          range,
        );
      }
      return diag([...path, missing], `${where(path)} needs '${missing}'.`, 'missing-argument', range);
    }
    case 'additionalProperties': {
      const extra = String(e.params.additionalProperty);
      const known = Object.keys((parent?.properties as Record<string, unknown>) ?? {}).filter(
        (k) => k !== 'type' && k !== '$schema',
      );
      const p = [...path, extra];
      const range = keyRangeFor(ranges, p) ?? at(path);
      const owner = isLayer
        ? layerType
        : typeof (e.data as Record<string, unknown>)?.type === 'string' && /optimizer/.test(pathKey(path))
          ? String((e.data as Record<string, unknown>).type)
          : where(path);
      const hint =
        didYouMean(extra, known) || (known.length && known.length <= 8 ? `; it takes ${quoteList(known)}` : '');
      const unimplemented = /optimizer/.test(pathKey(path)) ? unimplementedArgument(extra) : undefined;
      if (unimplemented) return diag(p, `${unimplemented}; remove it.`, 'unknown-argument', range);
      return diag(p, sentence(`${owner} has no setting '${extra}'${hint}`), 'unknown-argument', range);
    }
    case 'enum':
    case 'const': {
      const last = path[path.length - 1];
      const value = e.data;
      if (last === 'type' && path[0] === 'layers' && path.length === 3) {
        return diag(
          path,
          sentence(`Unknown layer type ${showValue(value)}${didYouMean(String(value), LAYER_TYPES)}`),
          'unknown-layer',
        );
      }
      if (parent?.title === 'optimizer') {
        const names =
          typeof value === 'string' && path[path.length - 1] === 'type'
            ? OPTIMIZER_TYPES
            : [...OPTIMIZER_ALIASES, ...OPTIMIZER_TYPES];
        return diag(
          path,
          sentence(
            `Unknown optimizer ${showValue(value)}${didYouMean(String(value), names) || `; use one of ${quoteList(OPTIMIZER_ALIASES)}`}`,
          ),
          'unknown-optimizer',
        );
      }
      const options = (parent?.enum as unknown[] | undefined)?.map(String) ?? [];
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      return diag(
        path,
        sentence(`${where(path)} must be ${describe(parent ?? {})}, got ${showValue(value)}${hint}`),
        'invalid-value',
      );
    }
    case 'pattern':
      return diag(
        path,
        `${where(path)} ${showValue(e.data)} is not a name TensorFlow accepts; use letters, digits, '_', '.' and '-', starting with a letter or digit.`,
        'invalid-value',
      );
    case 'minProperties':
      return diag(path, `${where(path)} is empty; give at least one entry.`, 'invalid-value');
    default: {
      // A size over its bound: "a positive integer" would not say why 1e308 is wrong.
      const integer = parent?.type === 'integer' || (Array.isArray(parent?.type) && parent.type.includes('integer'));
      if (e.keyword === 'maximum' && integer) {
        return diag(
          path,
          `${where(path)} must be at most ${thousands(Number(e.params.limit))}, got ${showValue(e.data)}.`,
          'invalid-value',
        );
      }
      // The schema node holding the failed keyword: for a union, the union as a whole.
      return diag(path, `${where(path)} must be ${describe(parent ?? {})}, got ${showValue(e.data)}.`, 'invalid-value');
    }
  }
}

/** A schema node as a phrase: "a positive integer", "a list of 2 positive integers", "'valid' or 'same'". */
export function describe(schema: JsonSchema, plural = false): string {
  const ref = typeof schema.$ref === 'string' ? /^#\/definitions\/(.+)$/.exec(schema.$ref)?.[1] : undefined;
  if (ref) return describe(((rootSchema?.definitions as Record<string, JsonSchema>) ?? {})[ref] ?? {}, plural);
  const union = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (union) return union.map((s) => describe(s, plural)).join(' or ');
  if ('const' in schema) return showValue(schema.const);
  const options = schema.enum as unknown[] | undefined;
  if (options) {
    if (options.length > 8) return `a known ${String(schema.title ?? 'value')}`;
    if (options.length <= 2) return quoteList(options.map(String));
    return `one of ${quoteList(options.map(String))}`;
  }
  const a = (singular: string, many: string) => (plural ? many : singular);
  // `['integer', 'null']` (an input dimension that may be None): each type in turn.
  if (Array.isArray(schema.type))
    return (schema.type as string[]).map((type) => describe({ ...schema, type }, plural)).join(' or ');
  switch (schema.type) {
    case 'integer': {
      const min = schema.minimum as number | undefined;
      if (min === 1) return a('a positive integer', 'positive integers');
      if (min === 0) return a('a non-negative integer', 'non-negative integers');
      if (min === -1) return a('a positive integer or -1', 'positive integers or -1');
      return a('an integer', 'integers') + bounds(schema);
    }
    case 'number':
      return a('a number', 'numbers') + bounds(schema);
    case 'boolean':
      return 'true or false';
    case 'string':
      return a(schema.minLength ? 'a non-empty string' : 'a string', 'strings');
    case 'null':
      return 'null';
    case 'object':
      return schema.title
        ? a(`a ${String(schema.title)} object`, `${String(schema.title)} objects`)
        : a('an object', 'objects');
    case 'array': {
      const items = describe((schema.items as JsonSchema) ?? {}, true);
      const n = schema.minItems === schema.maxItems && schema.minItems !== undefined ? `${schema.minItems} ` : '';
      const nonEmpty = !n && schema.minItems === 1 ? 'non-empty ' : '';
      return a(`a ${nonEmpty}list of ${n}${items}`, `lists of ${n}${items}`);
    }
    default:
      return 'a valid value';
  }
}

/** Ends a message with a full stop unless it already ends with one or a question mark. */
export function sentence(text: string): string {
  return /[.?]$/.test(text) ? text : `${text}.`;
}

function bounds(schema: JsonSchema): string {
  const lo =
    schema.minimum !== undefined
      ? `${schema.minimum} ≤ `
      : schema.exclusiveMinimum !== undefined
        ? `${schema.exclusiveMinimum} < `
        : '';
  const hi =
    schema.maximum !== undefined
      ? ` ≤ ${schema.maximum}`
      : schema.exclusiveMaximum !== undefined
        ? ` < ${schema.exclusiveMaximum}`
        : '';
  return lo || hi ? ` with ${lo}x${hi}` : '';
}
