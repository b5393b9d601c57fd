/**
 * What makes Python 3 refuse a whole file before any of it runs, so Keras never builds its models: Python 2 syntax
 * (tree-sitter-python still parses `print "x"`), tabs and spaces mixed inconsistently in indentation (TabError), and
 * nesting deeper than Python (or Model Lab) reads. Each is a positioned error in the words Python would use.
 */
import type { Diagnostic } from '../types';
import { MAX_TREE_DEPTH, typeId, type Node } from './py-node';
import type { ScriptIndex } from './script-index';
import { rangeOf, walk } from './syntax';

const CODE = 'python-syntax';

function error(node: Node, message: string): Diagnostic {
  const r = rangeOf(node);
  // One line is enough to point at: a swallowed block is no help.
  const end =
    r.start.line === r.end.line
      ? r.end
      : { line: r.start.line, character: r.start.character + node.text.split('\n')[0].length };
  return { range: { start: r.start, end }, severity: 'error', code: CODE, message };
}

const PY2 = 'is Python 2 syntax, which Python 3 refuses for the whole file, so Keras never builds these models';

/** The node types Python 2 constructs show in. */
const PYTHON2_TYPES = [
  'print_statement',
  'exec_statement',
  'comparison_operator',
  'integer',
  'except_clause',
  'string_start',
  'raise_statement',
];

/** The first few Python 2 constructs of the file (one per kind is enough to explain the refusal). */
export function python2Errors(index: ScriptIndex): Diagnostic[] {
  const found = new Map<string, Diagnostic>();
  const note = (kind: string, node: Node, message: string) => {
    if (!found.has(kind)) found.set(kind, error(node, message));
  };
  // A large file has many integers and strings: only those whose text could be Python 2's are made into nodes.
  const { text, types, starts, ends } = index.root.tree;
  const integer = typeId('integer');
  const stringStart = typeId('string_start');
  const mayBePython2 = (id: number) => {
    const t = types[id];
    const start = starts[id];
    const end = ends[id];
    if (t === integer) {
      const last = text.charCodeAt(end - 1);
      return last === 108 || last === 76 || (text.charCodeAt(start) === 48 && end - start > 1); // l, L, 0…
    }
    if (t === stringStart)
      for (let i = start; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c === 96 || c === 117 || c === 85) return true; // `, u, U
      }
    return t !== stringStart;
  };
  const nodes = index.ofTypes(PYTHON2_TYPES, mayBePython2);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    switch (n.type) {
      case 'print_statement':
        note('print', n, `'print' without parentheses ${PY2}; write print(...).`);
        break;
      case 'exec_statement':
        note('exec', n, `'exec' without parentheses ${PY2}; write exec(...).`);
        break;
      case 'comparison_operator':
        for (const c of n.children) if (c.type === '<>') note('<>', c, `'<>' ${PY2}; write '!='.`);
        break;
      case 'integer': {
        // A large file has many integers: look at the text once, and only a leading 0 needs the pattern.
        const t = n.text;
        const last = t[t.length - 1];
        if (last === 'l' || last === 'L') note('long', n, `the 'L' suffix of '${t}' ${PY2}; drop it.`);
        else if (t[0] === '0' && t.length > 1 && /^0\d*[1-9]/.test(t.replace(/_/g, '')))
          note('octal', n, `the octal literal '${t}' ${PY2}; write 0o${t.replace(/^0+/, '')}.`);
        break;
      }
      case 'except_clause': {
        const values = n.childrenForFieldName('value');
        if (values.length === 2 && n.children.some((c) => c.type === ',')) {
          note('except', n, `'except X, e:' ${PY2}; write 'except X as e:'.`);
        }
        break;
      }
      case 'string_start':
        if (n.text === '`') note('backtick', n.parent ?? n, `backquotes ${PY2}; write repr(...).`);
        else if (/u/i.test(n.text) && /[rb]/i.test(n.text))
          note('ur', n, `the string prefix '${n.text.replace(/['"]/g, '')}' ${PY2}; write r'...'.`);
        break;
      case 'raise_statement':
        if (n.namedChild(0)?.type === 'expression_list')
          note('raise', n, `'raise E, message' ${PY2}; write raise E(message).`);
        break;
    }
  }
  return [...found.values()];
}

/** The statement-starting nodes whose line's indentation Python's tokenizer compares. */
function statementStarts(root: Node): Node[] {
  const out: Node[] = [];
  for (const n of walk(root)) {
    const p = n.parent;
    if (!p || n.type === 'comment' || !n.isNamed) continue;
    if (p.type === 'module' || p.type === 'block' || /^(else|elif|except|finally|case)_clause$/.test(n.type))
      out.push(n);
  }
  return out.sort((a, b) => a.startIndex - b.startIndex);
}

/**
 * Python's TabError: the tokenizer measures every indentation twice, with tabs 8 columns wide and 1 column wide,
 * and refuses a line whose comparison with the enclosing indentation differs between the two.
 */
export function tabErrors(root: Node, text: string): Diagnostic[] {
  if (!text.includes('\t') || !/^[ \f]*\t/m.test(text)) return []; // no tab in any indentation
  const cols = [0];
  const alts = [0];
  let lastRow = -1;
  for (const n of statementStarts(root)) {
    const { row, column } = n.startPosition;
    if (row === lastRow) continue;
    lastRow = row;
    const lineStart = n.startIndex - column;
    const indent = text.slice(lineStart, n.startIndex);
    if (!/^[ \t\f]*$/.test(indent)) continue; // `if x: y` on one line: y starts no line
    let col = 0;
    let alt = 0;
    for (const c of indent) {
      if (c === ' ') {
        col++;
        alt++;
      } else if (c === '\t') {
        col = (Math.floor(col / 8) + 1) * 8;
        alt++;
      } else {
        col = 0;
        alt = 0;
      }
    }
    const top = cols.length - 1;
    let bad = false;
    if (col === cols[top]) bad = alt !== alts[top];
    else if (col > cols[top]) {
      bad = alt <= alts[top];
      cols.push(col);
      alts.push(alt);
    } else {
      while (cols.length > 1 && col < cols[cols.length - 1]) {
        cols.pop();
        alts.pop();
      }
      bad = col === cols[cols.length - 1] && alt !== alts[alts.length - 1];
    }
    if (bad) {
      const at = { line: row, character: 0 };
      return [
        {
          range: { start: at, end: { line: row, character: column } },
          severity: 'error',
          code: CODE,
          message:
            'TabError: inconsistent use of tabs and spaces in indentation; Python 3 refuses the whole file, so Keras never builds these models. Indent with spaces only.',
        },
      ];
    }
  }
  return [];
}

/** The error for a tree cut at MAX_TREE_DEPTH. */
export function tooDeepError(node: Node): Diagnostic {
  return error(
    node,
    `this code is nested more than ${MAX_TREE_DEPTH.toLocaleString('en-US')} levels deep; Python refuses such nesting (too many nested parentheses) and Model Lab reads no further here.`,
  );
}
