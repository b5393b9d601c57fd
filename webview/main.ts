/**
 * Entry of the results UI (bundled to dist/webview.js). The same bundle runs in the VS Code panel (messages from
 * the extension host) and in the standalone HTML report (data embedded in the page, read-only).
 */
import { parseHostMessage } from '../src/protocol-validate.js';
import { App } from './app.js';
import { registerCharts } from './charts/line-chart.js';
import { registerComponents } from './components/register.js';
import { createExporter } from './exporter.js';
import { createHost, embeddedData } from './host.js';
import { applyStyles } from './styles.js';

function start(): void {
  applyStyles(document.currentScript?.nonce);
  registerComponents();
  registerCharts();
  const host = createHost();
  if (host.standalone) followSystemTheme();
  const app = new App(document.body, { host, exporter: createExporter(host) });

  if (host.standalone) {
    const message = parseHostMessage(embeddedData());
    if (message) app.handle(message);
    else console.warn('Model Lab: this report holds no readable run record.');
    return;
  }
  app.restore(host.getState());
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = parseHostMessage(event.data);
    if (!message) {
      console.warn('Model Lab: ignored an unknown or malformed message from the extension.', event.data);
      return;
    }
    app.handle(message);
  });
  host.post({ type: 'ready' });
}

/**
 * The report has no VS Code to set the theme class; mirror the system colour scheme into the same body classes the
 * panel gets, so the styles, the toolkit's theme listener and the chart colours all follow it.
 */
function followSystemTheme(): void {
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const apply = () => {
    document.body.classList.toggle('vscode-dark', media.matches);
    document.body.classList.toggle('vscode-light', !media.matches);
  };
  apply();
  media.addEventListener('change', apply);
}

start();
