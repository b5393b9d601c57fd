/**
 * The import boundaries of ARCHITECTURE.md as an ESLint rule, so the picture there is true by construction.
 *
 * Every import (static, `export … from`, `import type`, literal `import()` and `require()`) is resolved to a target:
 * a repository path without extension for relative specifiers (`src/model/types`), or `pkg:<package>` for a bare one
 * (`pkg:vscode`, `pkg:@tensorflow/tfjs`, `pkg:node:fs`). The first part whose `files` match the importing file and
 * then every rule of every matching part apply: `allowOnly` lists the only targets a part may import, `deny` lists
 * targets it must not. Patterns are globs over those targets (`*` within one segment, `**` across segments).
 *
 * Kept beside the config rather than as a plugin package: the table is the project's architecture, not a library.
 */
import path from 'node:path';

/** Shared modules the webview bundle may import from `src/`: pure code with no Node, VS Code or tfjs. */
export const WEBVIEW_SHARED = [
  'src/protocol',
  'src/protocol-validate',
  'src/run-state',
  'src/model/number-format',
  'src/results/**',
];

/** Files allowed an import from `webview/`: none since the results logic moved to `src/results/`. */
export const WEBVIEW_IMPORT_EXEMPT = [];

/** @type {{ part: string, files: string[], except?: string[], allowOnly?: string[], deny?: string[], why: string }[]} */
export const BOUNDARIES = [
  {
    part: 'src/model',
    files: ['src/model/**'],
    // Node built-ins only where the Python reader loads its grammar; tfjs and vscode never.
    allowOnly: [
      'src/model/**',
      'pkg:jsonc-parser',
      'pkg:ajv',
      'pkg:web-tree-sitter',
      'pkg:tree-sitter-python',
      'pkg:node:*',
    ],
    why: 'the core is pure: it imports only itself, jsonc-parser, ajv and web-tree-sitter (no vscode, no @tensorflow/*)',
  },
  {
    part: 'src/data',
    files: ['src/data/**'],
    deny: ['pkg:vscode', 'src/editor/**', 'src/panel/**', 'src/cli', 'src/cli/**', 'src/training/**', 'src/extension'],
    why: 'data readers run in the worker and the CLI: no vscode, nothing above them',
  },
  {
    part: 'src/training',
    files: ['src/training/**'],
    deny: ['pkg:vscode', 'src/editor/**', 'src/panel/**', 'src/cli', 'src/cli/**', 'src/extension'],
    why: 'training runs in the CLI and the worker: no vscode, no editor, panel or CLI code',
  },
  {
    part: 'src/protocol',
    files: ['src/protocol.ts', 'src/protocol-validate.ts', 'src/run-state.ts'],
    allowOnly: ['src/protocol', 'src/protocol-validate', 'src/run-state', 'src/model/**'],
    why: 'the message protocol is shared by host, worker and webview: pure types and checks',
  },
  {
    part: 'src/panel (not results-panel.ts)',
    files: ['src/panel/**'],
    except: ['src/panel/results-panel.ts'],
    deny: ['pkg:vscode', 'src/editor/**'],
    why: 'only results-panel.ts talks to VS Code; report, html and run-store are used by the CLI',
  },
  {
    part: 'CLI',
    files: ['src/cli.ts', 'src/cli/**'],
    deny: ['pkg:vscode', 'src/editor/**', 'src/panel/results-panel', 'src/extension'],
    why: 'the CLI runs without VS Code: no editor code and no VS Code part of the panel',
  },
  {
    part: 'src/results',
    files: ['src/results/**'],
    allowOnly: ['src/results/**', 'src/protocol', 'src/model/number-format'],
    why: 'the results logic is shared by the webview, the panel and the CLI: pure, over protocol types',
  },
  {
    part: 'src',
    files: ['src/**'],
    except: WEBVIEW_IMPORT_EXEMPT,
    deny: ['webview/**'],
    why: 'src/ must not import from webview/ (shared logic lives under src/ and the webview imports it)',
  },
  {
    part: 'webview',
    files: ['webview/**'],
    allowOnly: ['webview/**', ...WEBVIEW_SHARED, 'pkg:chart.js', 'pkg:@vscode/webview-ui-toolkit'],
    why: `the webview imports only its own code and the shared pure modules (${WEBVIEW_SHARED.join(', ')})`,
  },
];

function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      // `a/**` matches `a` itself and everything below it.
      if (glob[i + 2] === undefined && re.endsWith('/')) re = re.slice(0, -1) + '(?:/.*)?';
      else re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const cache = new Map();
export function matches(target, patterns) {
  return patterns.some((p) => {
    let re = cache.get(p);
    if (!re) cache.set(p, (re = globToRegExp(p)));
    return re.test(target);
  });
}

/** The target of an import specifier written in `fromFile` (repository-relative, forward slashes). */
export function importTarget(specifier, fromFile) {
  if (specifier.startsWith('.')) {
    const joined = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
    return joined.replace(/\.(?:[cm]?[jt]sx?|json)$/, '');
  }
  if (specifier.startsWith('node:')) return `pkg:${specifier}`;
  const parts = specifier.split('/');
  return `pkg:${specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]}`;
}

/** Every boundary violated by importing `specifier` from `file` (repository-relative), as messages. */
export function violations(file, specifier) {
  const target = importTarget(specifier, file);
  const found = [];
  for (const b of BOUNDARIES) {
    if (!matches(file, b.files) || (b.except && matches(file, b.except))) continue;
    if (b.allowOnly && !matches(target, b.allowOnly)) found.push(`${b.part} may not import '${specifier}': ${b.why}`);
    if (b.deny && matches(target, b.deny)) found.push(`${b.part} may not import '${specifier}': ${b.why}`);
  }
  return found;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the layering of ARCHITECTURE.md' },
    schema: [],
    messages: { boundary: '{{message}}' },
  },
  create(context) {
    const root = context.cwd;
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    if (file.startsWith('..')) return {};
    const check = (node, source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      for (const message of violations(file, source.value))
        context.report({ node, messageId: 'boundary', data: { message } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportEqualsDeclaration: (node) =>
        node.moduleReference.type === 'TSExternalModuleReference' && check(node, node.moduleReference.expression),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0]);
      },
    };
  },
};

export default { meta: { name: 'model-lab-boundaries' }, rules: { 'import-boundaries': rule } };
