/**
 * The JSON front end: `*.model.json` text (comments and trailing commas allowed) → definition, the source range of
 * every value and key by path, and syntax diagnostics with exact ranges. Never throws on any input.
 */
import { createScanner, parseTree, printParseErrorCode, SyntaxKind, type Node, type ParseError } from 'jsonc-parser';
import { pathKey } from './paths';
import { markNotTrained } from './layers/registry';
import { unreadableText } from './read-limits';
import { LineIndex, ZERO_RANGE } from './text-lines';
import type { DefPath, Diagnostic, ModelDefinition, ParsedModel, SourceRanges } from './types';

/** jsonc-parser recurses per level; a definition needs a handful, so refuse absurd nesting before it overflows. */
export const MAX_DEPTH = 200;

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol:
    'Unexpected character here; JSON needs double-quoted strings and keys, and true/false/null in lower case.',
  InvalidNumberFormat: 'This number is malformed; write it like 0.1, 100 or 1e-7.',
  PropertyNameExpected: 'A property name in double quotes is expected here.',
  ValueExpected: 'A value is expected here.',
  ColonExpected: "A ':' is expected after the property name.",
  CommaExpected: "A ',' is missing between these items.",
  CloseBraceExpected: "A closing '}' is missing.",
  CloseBracketExpected: "A closing ']' is missing.",
  EndOfFileExpected: 'Unexpected text after the end of the definition; a file holds one JSON object.',
  InvalidCommentToken: "This comment is not closed; end it with '*/'.",
  UnexpectedEndOfComment: "This comment is not closed; end it with '*/'.",
  UnexpectedEndOfString: 'This string is not closed; end it with a double quote.',
  UnexpectedEndOfNumber: 'This number ends too early.',
  InvalidUnicode: 'Invalid \\u escape in this string; use four hex digits.',
  InvalidEscapeCharacter: 'Invalid escape in this string; use \\\\ for a backslash.',
  InvalidCharacter: 'A control character (such as a tab or line break) inside a string must be escaped.',
};

export function parseModelJson(text: string): ParsedModel {
  const lines = new LineIndex(text);
  const ranges: SourceRanges = { values: new Map(), keys: new Map() };
  const whole = lines.range(0, text.length);
  const fail = (message: string, range = ZERO_RANGE, code = 'json-syntax'): ParsedModel => ({
    ranges,
    diagnostics: [{ range, severity: 'error', message, code }],
    range: whole,
  });

  const refusal = unreadableText(text);
  if (refusal) return fail(refusal, ZERO_RANGE, 'unreadable');
  const deep = tooDeep(text);
  if (deep !== undefined) {
    return fail(
      `The definition nests lists and objects more than ${MAX_DEPTH} levels deep here; a model needs only a few levels.`,
      lines.range(deep, 1),
    );
  }

  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  const diagnostics: Diagnostic[] = errors.map((e) => syntaxDiagnostic(e, text, lines));
  if (!root) {
    if (diagnostics.length === 0)
      diagnostics.push({
        range: ZERO_RANGE,
        severity: 'error',
        message: unreadableText('') ?? '',
        code: 'json-syntax',
      });
    return { ranges, diagnostics, range: whole };
  }

  collectRanges(root, [], ranges, lines, diagnostics);
  if (root.type !== 'object') {
    diagnostics.push({
      range: lines.range(root.offset, root.length),
      severity: 'error',
      message: `A model definition is a JSON object like { "layers": [ ... ] }, but this file holds ${describeNode(root)}.`,
      code: 'structure',
    });
    return { ranges, diagnostics, range: whole };
  }
  const parsed: ParsedModel = { definition: nodeValue(root) as ModelDefinition, ranges, diagnostics, range: whole };
  markNotTrained(parsed);
  return parsed;
}

function syntaxDiagnostic(e: ParseError, text: string, lines: LineIndex): Diagnostic {
  const name = printParseErrorCode(e.error);
  let message = SYNTAX_MESSAGES[name] ?? `JSON syntax error (${name}).`;
  if (name === 'InvalidSymbol' && text[e.offset] === "'")
    message = 'JSON strings need double quotes ("relu"), not single quotes.';
  // Zero-length errors (a missing comma) still get one visible character when there is one.
  const length = e.length > 0 ? e.length : e.offset < text.length ? 1 : 0;
  return { range: lines.range(e.offset, length), severity: 'error', message, code: 'json-syntax' };
}

/** Offset of the first bracket past MAX_DEPTH, scanning tokens so strings and comments do not count. */
function tooDeep(text: string): number | undefined {
  const scanner = createScanner(text, false);
  let depth = 0;
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind === SyntaxKind.OpenBraceToken || kind === SyntaxKind.OpenBracketToken) {
      depth++;
      if (depth > MAX_DEPTH) return scanner.getTokenOffset();
    } else if (kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

function collectRanges(
  node: Node,
  path: DefPath,
  ranges: SourceRanges,
  lines: LineIndex,
  diagnostics: Diagnostic[],
): void {
  ranges.values.set(pathKey(path), lines.range(node.offset, node.length));
  if (node.type === 'number' && !Number.isFinite(node.value)) {
    diagnostics.push({
      range: lines.range(node.offset, node.length),
      severity: 'error',
      message: 'This number is too large to represent; use a smaller value.',
      code: 'json-syntax',
      path: pathKey(path),
    });
  }
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const prop of node.children ?? []) {
      const [keyNode, valueNode] = prop.children ?? [];
      if (!keyNode || typeof keyNode.value !== 'string') continue;
      const key = keyNode.value;
      const childPath = [...path, key];
      if (seen.has(key)) {
        diagnostics.push({
          range: lines.range(keyNode.offset, keyNode.length),
          severity: 'warning',
          message: `'${key}' appears twice in this object; only the last value counts.`,
          code: 'duplicate-key',
          path: pathKey(childPath),
        });
      }
      seen.add(key);
      ranges.keys.set(pathKey(childPath), lines.range(keyNode.offset, keyNode.length));
      if (valueNode) collectRanges(valueNode, childPath, ranges, lines, diagnostics);
    }
  } else if (node.type === 'array') {
    (node.children ?? []).forEach((child, i) => collectRanges(child, [...path, i], ranges, lines, diagnostics));
  }
}

/** Like jsonc-parser's getNodeValue, but builds plain objects with own properties only (no prototype keys). */
function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const obj: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        if (!keyNode || typeof keyNode.value !== 'string') continue;
        Object.defineProperty(obj, keyNode.value, {
          value: valueNode ? nodeValue(valueNode) : undefined,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return obj;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function describeNode(node: Node): string {
  switch (node.type) {
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return `${node.value}`;
    default:
      return 'null';
  }
}
