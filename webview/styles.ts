/**
 * The UI's stylesheet. It ships inside the script (one file for both the panel and the standalone report) and is
 * adopted as a constructed stylesheet, which the CSP's style-src does not govern, so no 'unsafe-inline' is needed.
 * Every colour is a VS Code theme variable, so light, dark and high-contrast themes all look native.
 */
const CSS = /* css */ `
:root { color-scheme: light dark; }
[hidden] { display: none !important; }
body {
  margin: 0;
  padding: 0 20px 32px;
  font-family: var(--vscode-font-family, system-ui, sans-serif);
  font-size: var(--vscode-font-size, 13px);
  font-weight: var(--vscode-font-weight, normal);
  color: var(--vscode-foreground);
  background: var(--vscode-editor-background);
  line-height: 1.45;
}
.ml-app { max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.55em; font-weight: 600; margin: 18px 0 2px; }
h2 { font-size: 1.2em; font-weight: 600; margin: 0 0 10px; }
h3 { font-size: 1em; font-weight: 600; margin: 0; }
.ml-meta, .ml-muted { color: var(--vscode-descriptionForeground); }
.ml-meta { margin: 0 0 12px; }
.ml-section { border-top: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); padding: 16px 0 8px; }
.ml-section[hidden] { display: none; }
.ml-section-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 10px; }
.ml-section-head h2 { margin: 0; flex: 1 1 auto; }
.ml-actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.ml-sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.ml-empty { padding: 32px 0; color: var(--vscode-descriptionForeground); }
:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 1px; }

/* Notices */
.ml-notice { display: flex; gap: 8px; align-items: flex-start; margin: 12px 0 0; padding: 8px 10px;
  border: 1px solid var(--vscode-inputValidation-infoBorder, var(--vscode-focusBorder));
  background: var(--vscode-inputValidation-infoBackground, transparent); }
.ml-notice-error { border-color: var(--vscode-inputValidation-errorBorder, var(--vscode-errorForeground));
  background: var(--vscode-inputValidation-errorBackground, transparent); }
.ml-notice p { margin: 0; flex: 1; }
.ml-link-button { background: none; border: none; padding: 0; color: var(--vscode-textLink-foreground);
  font: inherit; cursor: pointer; text-align: left; }
.ml-link-button:hover { text-decoration: underline; color: var(--vscode-textLink-activeForeground, var(--vscode-textLink-foreground)); }

/* Tables */
.ml-table-scroll { overflow-x: auto; max-width: 100%; }
.ml-table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.ml-table th, .ml-table td { padding: 4px 12px; text-align: left; vertical-align: top;
  border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); }
.ml-table thead th { font-weight: 600; border-bottom-width: 2px; white-space: nowrap; }
.ml-table .ml-num { text-align: right; white-space: nowrap; }
.ml-table tbody tr:hover { background: var(--vscode-list-hoverBackground); }
body.vscode-high-contrast .ml-table th, body.vscode-high-contrast .ml-table td,
body.vscode-high-contrast-light .ml-table th, body.vscode-high-contrast-light .ml-table td {
  border: 1px solid var(--vscode-contrastBorder); }

/* Summary (Keras's table: monospace like model.summary()) */
.ml-summary-table td, .ml-summary-table th { font-family: var(--vscode-editor-font-family, monospace); }
.ml-summary-table td { border-bottom-style: dashed; }
.ml-totals { margin: 10px 0 0; font-family: var(--vscode-editor-font-family, monospace); }
.ml-totals p { margin: 0; }
.ml-dataset { margin: 10px 0 0; }

/* Tags and badges (VS Code's look) */
.ml-tag { display: inline-flex; align-items: center; padding: 1px 6px; border-radius: 2px; font-size: 11px; line-height: 16px;
  text-transform: uppercase; letter-spacing: .02em; white-space: nowrap;
  color: var(--vscode-badge-foreground); background: var(--vscode-badge-background);
  border: 1px solid var(--vscode-contrastBorder, transparent); }
th .ml-tag { margin-left: 6px; vertical-align: 1px; font-weight: normal; }
.ml-badge { display: inline-block; min-width: 18px; box-sizing: border-box; padding: 3px 6px; border-radius: 11px;
  font-size: 11px; line-height: 1; text-align: center; color: var(--vscode-badge-foreground); background: var(--vscode-badge-background);
  border: 1px solid var(--vscode-contrastBorder, transparent); }

/* Status */
.ml-status { vertical-align: middle; text-transform: none; font-size: 12px; letter-spacing: 0; }
.ml-dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; vertical-align: 0;
  background: var(--vscode-descriptionForeground); }
.ml-status-running .ml-dot { background: var(--vscode-charts-blue); }
.ml-status-completed .ml-dot { background: var(--vscode-charts-green); }
.ml-status-cancelled .ml-dot { background: var(--vscode-charts-yellow); }
.ml-status-failed .ml-dot { background: var(--vscode-errorForeground, var(--vscode-charts-red)); }
.ml-error { color: var(--vscode-errorForeground); margin: 6px 0 0; white-space: pre-wrap; }

/* Runs and live progress */
.ml-runs { list-style: none; margin: 0 0 14px; padding: 0; display: grid; gap: 10px; }
.ml-run { display: grid; grid-template-columns: minmax(120px, max-content) auto 1fr auto; gap: 4px 12px; align-items: center; }
.ml-run-label { font-weight: 600; }
.ml-run-line { color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; grid-column: 1 / -1; }
.ml-run .ml-bar { grid-column: 1 / -1; }
.ml-run-summary { color: var(--vscode-descriptionForeground); }
.ml-run .ml-error { grid-column: 1 / -1; }
.ml-ring { width: 16px; height: 16px; }
.ml-bar { height: 4px; background: var(--vscode-editorWidget-border, rgba(128,128,128,.25)); overflow: hidden; border-radius: 2px; }
.ml-bar-fill { height: 100%; width: 0; background: var(--vscode-progressBar-background, var(--vscode-charts-blue)); }

/* Charts */
.ml-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
.ml-chart { margin: 0; min-width: 0; }
.ml-chart-head { display: flex; align-items: center; justify-content: space-between; margin-bottom: 6px; }
.ml-chart-canvas { position: relative; height: 260px; }
.ml-chart-empty { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  color: var(--vscode-descriptionForeground); }

/* Comparison */
.ml-sort { background: none; border: none; color: inherit; font: inherit; font-weight: 600; padding: 0; cursor: pointer;
  display: inline-flex; gap: 4px; align-items: center; }
.ml-sort-arrow { opacity: .75; min-width: 1ch; }
.ml-compare-table tr.ml-best { background: color-mix(in srgb, var(--vscode-charts-green) 16%, transparent); }
.ml-compare-table tr.ml-best td:first-child { box-shadow: inset 3px 0 0 var(--vscode-charts-green); }
.ml-best-mark { color: var(--vscode-charts-green); margin-left: 6px; font-weight: 600; }
.ml-std { color: var(--vscode-descriptionForeground); }
.ml-changed { font-family: var(--vscode-editor-font-family, monospace); font-size: .95em; white-space: nowrap; }
.ml-compare-charts { margin-top: 16px; }

/* Evaluation */
.ml-eval-head { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin-bottom: 10px; }
.ml-eval-head select { font: inherit; color: var(--vscode-dropdown-foreground, var(--vscode-foreground));
  background: var(--vscode-dropdown-background, transparent); border: 1px solid var(--vscode-dropdown-border, var(--vscode-panel-border));
  padding: 2px 6px; }
.ml-eval-body { display: flex; gap: 28px; flex-wrap: wrap; align-items: flex-start; }
.ml-cm th, .ml-cm td { padding: 4px 6px; border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); }
.ml-cm thead th.ml-cm-col { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; font-weight: normal;
  white-space: nowrap; vertical-align: bottom; max-height: 10em; padding: 6px 4px; }
.ml-cm tbody th { font-weight: normal; white-space: nowrap; text-align: right; }
.ml-cm-corner { font-size: .9em; color: var(--vscode-descriptionForeground); vertical-align: bottom; text-align: right; white-space: nowrap; border: none !important; }
.ml-cm td { text-align: center; min-width: 2.6em; font-variant-numeric: tabular-nums; --heat: 0;
  background: color-mix(in srgb, var(--vscode-charts-red) calc(var(--heat) * 80%), transparent); }
.ml-cm td.ml-diag { background: color-mix(in srgb, var(--vscode-charts-blue) calc(var(--heat) * 80%), transparent); }
.ml-cm td.ml-strong { color: var(--vscode-editor-background); font-weight: 600; }
.ml-cm td.ml-zero { color: var(--vscode-descriptionForeground); }
.ml-cm-axis { font-size: .9em; color: var(--vscode-descriptionForeground); margin: 6px 0 0; }
.ml-classes { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: max-content 120px max-content max-content;
  gap: 4px 10px; align-items: center; font-variant-numeric: tabular-nums; }
.ml-classes li { display: contents; }
.ml-class-meter { height: 6px; background: var(--vscode-editorWidget-border, rgba(128,128,128,.25)); border-radius: 3px; overflow: hidden; }
.ml-class-meter > div { height: 100%; background: var(--vscode-charts-blue); }
.ml-eval-metrics { margin: 0 0 10px; }

/* History */
.ml-history { list-style: none; margin: 0; padding: 0; }
.ml-history li { display: flex; gap: 10px; align-items: center; padding: 4px 0;
  border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.2)); }
.ml-history li[aria-current="true"] .ml-history-open { font-weight: 600; }
.ml-history-main { flex: 1; min-width: 0; }
.ml-history-detail { color: var(--vscode-descriptionForeground); margin-left: 8px; }
`;

export function applyStyles(nonce?: string): void {
  if ('adoptedStyleSheets' in Document.prototype && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    return;
  }
  // Older engines: a <style> element, allowed by the CSP through the page's nonce.
  const style = document.createElement('style');
  if (nonce) style.nonce = nonce;
  style.textContent = CSS;
  document.head.appendChild(style);
}
