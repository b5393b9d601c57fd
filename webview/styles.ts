/**
 * The UI's stylesheet. It ships inside the script (one file for both the panel and the standalone report) and is
 * adopted as a constructed stylesheet, which the CSP's style-src does not govern, so no 'unsafe-inline' is needed.
 * Every colour is a VS Code theme variable, so light, dark and high-contrast themes all look native.
 */
const CSS = /* css */ `
:root { color-scheme: light dark; }
/* Run colours (see theme.ts): distinct on light backgrounds ... */
body { --ml-series-0: #1f6fd1; --ml-series-1: #e8590c; --ml-series-2: #2b8a3e; --ml-series-3: #c2255c; --ml-series-4: #7048e8;
  --ml-series-5: #8d6e3f; --ml-series-6: #0c8599; --ml-series-7: #e03131; --ml-series-8: #5c940d; --ml-series-9: #9c36b5;
  --ml-series-10: #495057; --ml-series-11: #b08900; }
/* ... and on dark ones. */
body.vscode-dark, body.vscode-high-contrast { --ml-series-0: #4dabf7; --ml-series-1: #ff922b; --ml-series-2: #69db7c;
  --ml-series-3: #f783ac; --ml-series-4: #b197fc; --ml-series-5: #d8b98a; --ml-series-6: #3bc9db; --ml-series-7: #ff6b6b;
  --ml-series-8: #c0eb75; --ml-series-9: #e599f7; --ml-series-10: #ced4da; --ml-series-11: #ffd43b; }
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
/* Several models' summaries (a comparison of a file's models): a gap before each after the first. */
.ml-model-summary + .ml-model-summary { margin-top: 24px; }
.ml-section { border-top: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); padding: 16px 0 8px; }
.ml-section[hidden] { display: none; }
.ml-section-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 10px; }
.ml-section-head h2 { margin: 0; flex: 1 1 auto; }
.ml-actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
.ml-sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.ml-empty { padding: 32px 0; color: var(--vscode-descriptionForeground); }
:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 1px; }

/* Headline strip */
.ml-headline { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 4px 0 14px; padding: 10px 14px;
  background: var(--vscode-editorWidget-background, rgba(128,128,128,.08));
  border: 1px solid var(--vscode-editorWidget-border, var(--vscode-panel-border, rgba(128,128,128,.35))); border-radius: 3px; }
.ml-stat { display: flex; flex-direction: column; min-width: 0; }
.ml-stat-label { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--vscode-descriptionForeground); }
.ml-stat-value { font-size: 1.35em; font-weight: 600; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.ml-collapsible > summary { cursor: pointer; list-style-position: outside; margin-left: 1em; }
.ml-collapsible > summary h2 { display: inline; }
.ml-summary-brief { margin-left: 8px; }

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
.ml-summary-body { display: flex; flex-wrap: wrap; gap: 16px 32px; align-items: flex-start; }
.ml-diagram-figure { margin: 0; }
.ml-diagram { list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-direction: column; align-items: center; }
.ml-diagram li { border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.5)); border-radius: 3px; padding: 4px 12px;
  min-width: 180px; text-align: center; background: var(--vscode-editorWidget-background, transparent); position: relative; }
.ml-diagram li + li { margin-top: 18px; }
.ml-diagram li + li::before { content: '↓'; position: absolute; top: -18px; left: 50%; transform: translateX(-50%);
  color: var(--vscode-descriptionForeground); line-height: 18px; }
.ml-diagram-io { font-family: var(--vscode-editor-font-family, monospace); color: var(--vscode-descriptionForeground); }
.ml-diagram-type { font-weight: 600; }
.ml-diagram-detail { font-family: var(--vscode-editor-font-family, monospace); font-size: .92em; }

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

/* Charts: one per row until the panel is wide; each grows with the panel and never drops under 320 px. */
.ml-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 620px), 1fr)); gap: 20px; }
.ml-chart { margin: 0; min-width: 0; container-type: inline-size; }
.ml-chart-head { display: flex; align-items: center; justify-content: space-between; margin-bottom: 6px; }
.ml-chart-body { display: grid; grid-template-columns: minmax(0, 1fr); gap: 8px 16px; }
.ml-chart-canvas { position: relative; height: clamp(320px, 48vh, 620px); min-width: 0; }
.ml-chart-empty { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  color: var(--vscode-descriptionForeground); }
/* Legend beside the plot when the chart is wide, under it when narrow. */
@container (min-width: 700px) {
  .ml-chart-body { grid-template-columns: minmax(0, 1fr) minmax(120px, max-content); }
  .ml-legend { flex-direction: column; flex-wrap: nowrap; max-height: clamp(320px, 48vh, 620px); overflow-y: auto; }
}
.ml-legend { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 2px 12px; align-content: flex-start; }
.ml-legend-item { display: inline-flex; align-items: center; gap: 6px; background: none; border: none; padding: 2px 0;
  color: inherit; font: inherit; cursor: pointer; text-align: left; }
.ml-legend-item[aria-pressed="false"] { opacity: .45; }
.ml-legend-item[aria-pressed="false"] .ml-legend-label { text-decoration: line-through; }
.ml-swatch { display: inline-block; min-width: 1.4em; text-align: center; color: var(--swatch); font-size: 12px; line-height: 1;
  border-bottom: 3px solid var(--swatch); padding-bottom: 1px; }
.ml-chart-controls { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; margin: 0 0 12px; }
.ml-segmented { display: inline-flex; border: 1px solid var(--vscode-button-border, var(--vscode-panel-border, rgba(128,128,128,.5))); border-radius: 2px; }
.ml-seg { background: var(--vscode-button-secondaryBackground, transparent); color: var(--vscode-button-secondaryForeground, inherit);
  border: none; font: inherit; padding: 3px 10px; cursor: pointer; }
.ml-seg + .ml-seg { border-left: 1px solid var(--vscode-button-border, var(--vscode-panel-border, rgba(128,128,128,.5))); }
.ml-seg[aria-pressed="true"] { background: var(--vscode-button-background); color: var(--vscode-button-foreground); }
.ml-line-key { display: inline-flex; align-items: center; gap: 6px; color: var(--vscode-descriptionForeground); }
.ml-key-solid, .ml-key-dashed { display: inline-block; width: 22px; border-top: 2px solid var(--vscode-foreground); margin-left: 6px; }
.ml-key-dashed { border-top-style: dashed; }
.ml-check { display: inline-flex; align-items: center; gap: 6px; }
.ml-check select { font: inherit; color: var(--vscode-dropdown-foreground, var(--vscode-foreground));
  background: var(--vscode-dropdown-background, transparent); border: 1px solid var(--vscode-dropdown-border, var(--vscode-panel-border)); padding: 1px 4px; }
.ml-check input[type="range"] { width: 90px; accent-color: var(--vscode-button-background); }
.ml-zoom-box { position: absolute; top: 0; bottom: 0; background: color-mix(in srgb, var(--vscode-focusBorder) 18%, transparent);
  border: 1px solid var(--vscode-focusBorder); pointer-events: none; }
.ml-export-canvas { position: fixed; left: -20000px; top: 0; width: 1000px; height: 560px; }

/* Comparison */
.ml-sort { background: none; border: none; color: inherit; font: inherit; font-weight: 600; padding: 0; cursor: pointer;
  display: inline-flex; gap: 4px; align-items: center; }
.ml-sort-arrow { opacity: .75; min-width: 1ch; }
.ml-compare-table tr.ml-best { background: color-mix(in srgb, var(--vscode-charts-green) 16%, transparent); }
.ml-compare-table tr.ml-best td:first-child { box-shadow: inset 3px 0 0 var(--vscode-charts-green); }
.ml-best-mark { color: var(--vscode-charts-green); margin-left: 6px; font-weight: 600; }
.ml-std { color: var(--vscode-descriptionForeground); }
.ml-changed { font-family: var(--vscode-editor-font-family, monospace); font-size: .95em; }
.ml-changed-text { display: block; max-width: 30ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; background: none;
  border: none; padding: 0; color: inherit; font: inherit; text-align: left; cursor: pointer; }
.ml-expanded .ml-changed-text { white-space: normal; overflow-wrap: anywhere; max-width: 48ch; }
.ml-run-cell { display: inline-flex; align-items: center; gap: 6px; }
.ml-run-name { min-width: 6ch; }
.ml-compare-table tbody th { min-width: 10ch; max-width: 24ch; }
.ml-status-icon { display: inline-block; width: 1.1em; text-align: center; font-size: 11px; color: var(--vscode-descriptionForeground); }
.ml-status-icon.ml-status-completed { color: var(--vscode-charts-green); }
.ml-status-icon.ml-status-failed { color: var(--vscode-errorForeground, var(--vscode-charts-red)); }
.ml-status-icon.ml-status-cancelled { color: var(--vscode-charts-yellow); }
.ml-status-icon.ml-status-running { color: var(--vscode-charts-blue); }
.ml-tied-mark { color: var(--vscode-charts-green); margin-left: 6px; font-weight: 600; opacity: .8; }
.ml-compare-table tr[data-tied="true"] { background: color-mix(in srgb, var(--vscode-charts-green) 7%, transparent); }
.ml-compare-table .ml-error { font-weight: normal; font-size: .92em; max-width: 40ch; }
.ml-compare-charts { margin-top: 16px; }

/* Evaluation */
.ml-eval-head { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin-bottom: 10px; }
.ml-eval-head select { font: inherit; color: var(--vscode-dropdown-foreground, var(--vscode-foreground));
  background: var(--vscode-dropdown-background, transparent); border: 1px solid var(--vscode-dropdown-border, var(--vscode-panel-border));
  padding: 2px 6px; }
.ml-eval-body { display: flex; gap: 28px; flex-wrap: wrap; align-items: flex-start; }
.ml-cm-figure { flex: 0 1 auto; min-width: min(100%, 300px); max-width: 100%;
  /* Not a size container like the other charts: that would make its width ignore the matrix (and clip it at 300 px). */
  container-type: normal; }
.ml-eval-body { container-type: inline-size; }
.ml-cm-key { display: none; font-size: .9em; color: var(--vscode-descriptionForeground); margin: 4px 0 0; }
.ml-cm th, .ml-cm td { padding: 2px 4px; border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); font-size: 12px; }
.ml-cm thead th.ml-cm-col { text-align: center; font-weight: normal; white-space: nowrap; vertical-align: bottom; }
.ml-cm-index { display: inline-block; min-width: 1.6em; text-align: right; color: var(--vscode-descriptionForeground); }
.ml-cm-scroll { max-height: 480px; max-width: 100%; overflow: auto; border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); }
.ml-cm-canvas { display: block; image-rendering: pixelated; }
.ml-top { margin-top: 10px; }
.ml-top h3 { margin-bottom: 4px; }
.ml-cm tbody th { font-weight: normal; white-space: nowrap; text-align: right; }
.ml-cm-corner { font-size: .9em; color: var(--vscode-descriptionForeground); vertical-align: bottom; text-align: right; white-space: nowrap; border: none !important; }
.ml-cm td { text-align: center; min-width: 2.2em; font-variant-numeric: tabular-nums; --heat: 0;
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
.ml-eval-line { display: flex; gap: 8px 16px; align-items: baseline; flex-wrap: wrap; }
.ml-eval-line .ml-eval-metrics { flex: 1 1 auto; }
/* Examples gallery */
.ml-cm-clickable td[data-actual] { cursor: pointer; }
.ml-cm-clickable td[data-actual]:hover { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
canvas.ml-cm-clickable { cursor: pointer; }
.ml-gallery { flex: 1 1 100%; min-width: 0; padding: 10px 12px; border-radius: 3px;
  border: 1px solid var(--vscode-editorWidget-border, var(--vscode-panel-border, rgba(128,128,128,.35)));
  background: var(--vscode-editorWidget-background, rgba(128,128,128,.06)); }
.ml-gallery-head { display: flex; align-items: center; gap: 12px; }
.ml-gallery-head h3 { flex: 1 1 auto; }
.ml-gallery-caption { margin: 4px 0 8px; }
.ml-gallery-grid { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px 8px;
  grid-template-columns: repeat(auto-fill, minmax(76px, 1fr)); }
.ml-gallery-grid li { display: flex; flex-direction: column; align-items: center; min-width: 0; font-size: 11px;
  text-align: center; font-variant-numeric: tabular-nums; }
.ml-gallery-image { image-rendering: pixelated; border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35));
  margin-bottom: 2px; }
.ml-gallery-label, .ml-gallery-truth { max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ml-gallery-wrong { color: var(--vscode-errorForeground); font-weight: 600; }
.ml-rename-form { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
.ml-rename { font: inherit; min-width: 12em; flex: 1 1 12em; padding: 2px 6px; color: var(--vscode-input-foreground);
  background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, var(--vscode-panel-border)); }
.ml-gallery-rows td, .ml-gallery-rows th { white-space: nowrap; }

/* A narrow panel: the matrix's row headers shrink to indices (the key names them), the cells tighten. */
@container (max-width: 560px) {
  .ml-cm-name { display: none; }
  .ml-cm-key { display: block; }
  .ml-cm th, .ml-cm td { padding: 1px 2px; font-size: 11px; }
  .ml-cm td { min-width: 1.9em; }
}

/* History */
.ml-history { list-style: none; margin: 0; padding: 0; }
.ml-history li { display: flex; gap: 10px; align-items: center; padding: 4px 0;
  border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.2)); }
.ml-history li[aria-current="true"] .ml-history-open { font-weight: 600; }
.ml-history-main { flex: 1; min-width: 0; }
.ml-history-detail { color: var(--vscode-descriptionForeground); margin-left: 8px; }
.ml-history-marks { color: var(--vscode-editorWarning-foreground, var(--vscode-charts-yellow)); margin-left: 8px; }
.ml-filter { font: inherit; color: var(--vscode-input-foreground); background: var(--vscode-input-background);
  border: 1px solid var(--vscode-input-border, var(--vscode-panel-border, transparent)); padding: 2px 6px; min-width: 12em; }
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
