/**
 * The standalone HTML report (`model-lab compare --html OUT`): one self-contained file — the results UI bundle
 * inlined, the record embedded as JSON, default light and dark theme colours in place of VS Code's — that opens
 * in any browser, offline, read-only. Nothing in a record can break out of its JSON block or load anything: the
 * JSON is escaped and the CSP allows only the page's own nonce-tagged script and style.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { HostToWebview, RecordListItem, RunRecord } from '../protocol';
import { escapeHtml, makeNonce } from './html';

export interface ReportOptions {
  history?: RecordListItem[];
  /** Past records to overlay, as pinned in the panel. */
  pinned?: RunRecord[];
  /** Where dist/webview.js is; found next to the running bundle or under the package root by default. */
  bundlePath?: string;
}

/** dist/webview.js: beside the running bundle (dist/cli.js), or in dist/ of the nearest package root above. */
export function findWebviewBundle(start: string = __dirname): string {
  const beside = path.join(start, 'webview.js');
  if (existsSync(beside)) return beside;
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', 'webview.js');
    if (existsSync(candidate)) return candidate;
    if (existsSync(path.join(dir, 'package.json')) || path.dirname(dir) === dir) break;
  }
  throw new Error(`The results UI bundle dist/webview.js was not found near ${start}; run \`npm run build\` first.`);
}

/** JSON that is safe inside a <script> element: no `<`, `>` or `&` to end it, no line separators to trip old parsers. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The bundle as the text of an inline <script>: `</script` would end the element and `<!--` would switch the
 * HTML parser into its "escaped" script state. Both only occur inside string, template or regex literals of the
 * minified bundle, where `<\/` and `\x3C` mean the same characters.
 */
export function scriptForInline(code: string): string {
  return code
    .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n')
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '\\x3C!--');
}

export function renderReport(record: RunRecord, opts: ReportOptions = {}): string {
  const code = scriptForInline(readFileSync(opts.bundlePath ?? findWebviewBundle(), 'utf8'));
  const nonce = makeNonce();
  const data: HostToWebview = { type: 'show', record, history: opts.history ?? [], pinned: opts.pinned ?? [] };
  const name = record.definition?.name ?? record.model.name;
  const csp = [
    "default-src 'none'",
    'img-src data: blob:',
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="Model Lab">
<meta property="csp-nonce" content="${nonce}">
<title>${escapeHtml(`${name} — Model Lab report`)}</title>
<style nonce="${nonce}">${THEME_CSS}</style>
</head>
<body>
<noscript>This report draws its tables and charts with JavaScript; allow scripts for this file to see it.</noscript>
<script type="application/json" id="model-lab-data">${jsonForScript(data)}</script>
<script nonce="${nonce}">
${code}
</script>
</body>
</html>
`;
}

/** VS Code's Light Modern and Dark Modern colours for the variables the UI and the toolkit read. */
const LIGHT = `
  --vscode-font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Ubuntu, "Droid Sans", sans-serif;
  --vscode-font-size: 13px;
  --vscode-font-weight: normal;
  --vscode-editor-font-family: Menlo, Monaco, Consolas, "Droid Sans Mono", "Courier New", monospace;
  --vscode-foreground: #3b3b3b;
  --vscode-editor-background: #ffffff;
  --vscode-panel-background: #f8f8f8;
  --vscode-descriptionForeground: #6f6f6f;
  --vscode-errorForeground: #c72e0f;
  --vscode-focusBorder: #005fb8;
  --vscode-panel-border: #e5e5e5;
  --vscode-widget-border: #e5e5e5;
  --vscode-editorWidget-border: #d4d4d4;
  --vscode-charts-lines: rgba(59, 59, 59, 0.16);
  --vscode-charts-blue: #1a85ff;
  --vscode-charts-orange: #d18616;
  --vscode-charts-green: #388a34;
  --vscode-charts-purple: #652d90;
  --vscode-charts-red: #e51400;
  --vscode-charts-yellow: #bf8803;
  --vscode-terminal-ansiCyan: #0598bc;
  --vscode-terminal-ansiMagenta: #bc05bc;
  --vscode-button-background: #005fb8;
  --vscode-button-foreground: #ffffff;
  --vscode-button-hoverBackground: #0258a8;
  --vscode-button-border: rgba(0, 0, 0, 0.1);
  --vscode-button-secondaryBackground: #e5e5e5;
  --vscode-button-secondaryForeground: #3b3b3b;
  --vscode-button-secondaryHoverBackground: #cccccc;
  --vscode-badge-background: #cccccc;
  --vscode-badge-foreground: #3b3b3b;
  --vscode-progressBar-background: #005fb8;
  --vscode-list-hoverBackground: #f2f2f2;
  --vscode-textLink-foreground: #005fb8;
  --vscode-textLink-activeForeground: #005fb8;
  --vscode-panelTitle-activeForeground: #3b3b3b;
  --vscode-panelTitle-activeBorder: #005fb8;
  --vscode-panelTitle-inactiveForeground: #6f6f6f;
  --vscode-dropdown-background: #ffffff;
  --vscode-dropdown-border: #cecece;
  --vscode-dropdown-foreground: #3b3b3b;
  --vscode-inputValidation-errorBackground: #f2dede;
  --vscode-inputValidation-errorBorder: #be1100;
  --vscode-inputValidation-infoBackground: #d6ecf2;
  --vscode-inputValidation-infoBorder: #007acc;`;

const DARK = `
  --vscode-foreground: #cccccc;
  --vscode-editor-background: #1f1f1f;
  --vscode-panel-background: #181818;
  --vscode-descriptionForeground: #9d9d9d;
  --vscode-errorForeground: #f85149;
  --vscode-focusBorder: #0078d4;
  --vscode-panel-border: #2b2b2b;
  --vscode-widget-border: #313131;
  --vscode-editorWidget-border: #454545;
  --vscode-charts-lines: rgba(204, 204, 204, 0.14);
  --vscode-charts-blue: #3794ff;
  --vscode-charts-orange: #d18616;
  --vscode-charts-green: #89d185;
  --vscode-charts-purple: #b180d7;
  --vscode-charts-red: #f14c4c;
  --vscode-charts-yellow: #cca700;
  --vscode-terminal-ansiCyan: #11a8cd;
  --vscode-terminal-ansiMagenta: #bc3fbc;
  --vscode-button-background: #0078d4;
  --vscode-button-foreground: #ffffff;
  --vscode-button-hoverBackground: #026ec1;
  --vscode-button-border: rgba(255, 255, 255, 0.07);
  --vscode-button-secondaryBackground: #313131;
  --vscode-button-secondaryForeground: #cccccc;
  --vscode-button-secondaryHoverBackground: #3c3c3c;
  --vscode-badge-background: #616161;
  --vscode-badge-foreground: #f8f8f8;
  --vscode-progressBar-background: #0078d4;
  --vscode-list-hoverBackground: #2a2d2e;
  --vscode-textLink-foreground: #4daafc;
  --vscode-textLink-activeForeground: #4daafc;
  --vscode-panelTitle-activeForeground: #cccccc;
  --vscode-panelTitle-activeBorder: #0078d4;
  --vscode-panelTitle-inactiveForeground: #9d9d9d;
  --vscode-dropdown-background: #313131;
  --vscode-dropdown-border: #3c3c3c;
  --vscode-dropdown-foreground: #cccccc;
  --vscode-inputValidation-errorBackground: #5a1d1d;
  --vscode-inputValidation-errorBorder: #be1100;
  --vscode-inputValidation-infoBackground: #063b49;
  --vscode-inputValidation-infoBorder: #007acc;`;

const THEME_CSS = `
:root {${LIGHT}
}
@media (prefers-color-scheme: dark) {
  :root {${DARK}
  }
}
html, body { background: var(--vscode-editor-background); color: var(--vscode-foreground); }
`;
