/** tree-sitter's ERROR and MISSING nodes as diagnostics, for the models they sit in. */
import type { Node } from './py-node';
import type { Diagnostic, Range } from '../types';
import { rangeOf } from './syntax';
import { containsPosition as contains } from '../text-lines';

/** Every ERROR and MISSING node, outer ones before the ones they contain. */
export function syntaxErrorNodes(root: Node): Node[] {
  const found: Node[] = [];
  const visit = (n: Node): void => {
    if (n.isError || n.isMissing) found.push(n);
    if (n.hasError || n.isError) for (const c of n.children) if (c) visit(c);
  };
  visit(root);
  return found;
}

/**
 * The errors to report for a model spanning `range`: those starting inside it, without the ones nested in an error
 * already reported (an ERROR's inner errors are the same mistake). An ERROR that starts before the model and
 * swallows it is not the model's to report; its inner errors inside the model are.
 */
export function errorsInside(errors: readonly Node[], range: Range): Node[] {
  const inside = errors.filter((e) => contains(range, rangeOf(e).start));
  const ids = new Set(inside.map((e) => e.id));
  return inside.filter((e) => {
    for (let p = e.parent; p; p = p.parent) if (ids.has(p.id)) return false;
    return true;
  });
}

export function syntaxDiagnostic(node: Node): Diagnostic {
  const full = rangeOf(node);
  if (node.isMissing) {
    return {
      range: full,
      severity: 'error',
      code: 'python-syntax',
      message: `Python syntax error: '${node.type}' is missing here; add it so Model Lab can read the model.`,
    };
  }
  // Underline the first line of the unexpected text: a whole swallowed block is no help.
  const firstLine = node.text.split('\n')[0];
  const invisible = INVISIBLE.exec(firstLine);
  if (invisible) {
    // A space Python does not take (a no-break space pasted from a web page or a book): name it, as Python does.
    const at = { line: full.start.line, character: full.start.character + invisible.index };
    const code = invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return {
      range: { start: at, end: { line: at.line, character: at.character + 1 } },
      severity: 'error',
      code: 'python-syntax',
      message: `Python syntax error: invalid non-printable character U+${code}${INVISIBLE_NAMES[code] ? ` (${INVISIBLE_NAMES[code]})` : ''}; replace it with a plain space so Python and Model Lab can read the model.`,
    };
  }
  const end =
    full.start.line === full.end.line
      ? full.end
      : { line: full.start.line, character: full.start.character + firstLine.length };
  return {
    range: { start: full.start, end },
    severity: 'error',
    code: 'python-syntax',
    message: `Python syntax error: '${shorten(firstLine)}' is unexpected here; fix the syntax so Model Lab can read the model.`,
  };
}

/** Spaces and invisible characters Python rejects in code ("invalid non-printable character"), which look like spaces. */
const INVISIBLE = /[\u00a0\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]/;
const INVISIBLE_NAMES: Readonly<Record<string, string>> = {
  '00A0': 'a no-break space',
  '200B': 'a zero-width space',
  FEFF: 'a byte order mark',
  '202F': 'a narrow no-break space',
};

function shorten(text: string): string {
  const t = text.trim();
  return t.length > 30 ? `${t.slice(0, 27)}...` : t;
}

export { before } from '../text-lines';
