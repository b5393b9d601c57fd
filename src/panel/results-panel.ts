/**
 * The results panel: one webview panel that shows the current record (live while it trains), the run history and
 * pinned past records. This class owns the panel's whole life — create or reveal, revive after a window reload
 * (through the serializer registered in extension.ts), dispose with its listeners. Every message from the webview
 * is checked by `parseWebviewMessage` before it is acted on; anything else is ignored and logged.
 */
import * as vscode from 'vscode';
import type { ExamplesReply, HostToWebview, RecordListItem, RunRecord, WebviewToHost } from '../protocol';
import { parseWebviewMessage } from '../protocol-validate';
import { releaseExampleData } from './example-data';
import { makeNonce, panelHtml } from './html';
import type { RunStore } from './run-store';
import { UpdateThrottle } from './update-throttle';

export const RESULTS_VIEW_TYPE = 'modelLab.results';
const UPDATE_INTERVAL_MS = 100;

export interface ResultsPanelHost {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** The webview asked for something (already validated). */
  onMessage(message: WebviewToHost, panel: ResultsPanel): void | Promise<void>;
}

export class ResultsPanel implements vscode.Disposable {
  private static current: ResultsPanel | undefined;
  private record: RunRecord | undefined;
  /** The runs folder the shown record belongs to: history, open and pin act on it. */
  private recordStore: RunStore | undefined;
  private history: RecordListItem[] = [];
  private pinned: RunRecord[] = [];
  private ready = false;
  /** Live training redraws at most every 100 ms, always including the last change. */
  private readonly updates = new UpdateThrottle(UPDATE_INTERVAL_MS, () => this.flush());
  private readonly disposables: vscode.Disposable[] = [];

  static get instance(): ResultsPanel | undefined {
    return ResultsPanel.current;
  }

  /** Reveals the panel, creating it when needed. */
  static show(host: ResultsPanelHost, preserveFocus = true): ResultsPanel {
    if (ResultsPanel.current) {
      ResultsPanel.current.panel.reveal(undefined, preserveFocus);
      return ResultsPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      RESULTS_VIEW_TYPE,
      'Model Lab Results',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      ResultsPanel.options(host.extensionUri),
    );
    ResultsPanel.current = new ResultsPanel(panel, host);
    return ResultsPanel.current;
  }

  /** Adopts a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, host: ResultsPanelHost): ResultsPanel {
    panel.webview.options = ResultsPanel.options(host.extensionUri);
    ResultsPanel.current?.dispose();
    ResultsPanel.current = new ResultsPanel(panel, host);
    return ResultsPanel.current;
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      // Only the bundle may be loaded; no other file of the extension or the workspace.
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
    };
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    host: ResultsPanelHost,
  ) {
    const webview = panel.webview;
    webview.html = panelHtml({
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(host.extensionUri, 'dist', 'webview.js')).toString(),
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      title: 'Model Lab Results',
    });
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, 'media', 'icon.svg');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWebviewMessage(raw);
        if (!message) {
          host.log.warn(`Ignored a malformed message from the results panel: ${preview(raw)}`);
          return;
        }
        if (message.type === 'ready') {
          this.ready = true;
          this.sendShow();
        }
        void Promise.resolve(host.onMessage(message, this)).catch((e) =>
          host.log.error(`Handling '${message.type}' from the results panel failed: ${(e as Error).message}`),
        );
      }),
      panel.onDidChangeViewState(() => {
        // A hidden webview is destroyed (no retainContextWhenHidden); it sends `ready` again when shown.
        if (!panel.visible) this.ready = false;
      }),
    );
  }

  get currentRecord(): RunRecord | undefined {
    return this.record;
  }

  get pinnedRecords(): RunRecord[] {
    return this.pinned;
  }

  get store(): RunStore | undefined {
    return this.recordStore;
  }

  /** Shows a record (and the history list of its runs folder) from scratch. */
  showRecord(record: RunRecord, history?: RecordListItem[], store?: RunStore): void {
    this.record = record;
    if (store) this.recordStore = store;
    if (history) this.history = history;
    this.pinned = this.pinned.filter((p) => p.id !== record.id);
    this.sendShow();
  }

  setHistory(history: RecordListItem[]): void {
    this.history = history;
    this.post({ type: 'history', history });
  }

  setPinned(pinned: RunRecord[]): void {
    this.pinned = pinned.filter((p) => p.id !== this.record?.id);
    this.sendShow();
  }

  /** The shown record changed (live training): redraw at most every 100 ms, always including the last change. */
  update(record: RunRecord): void {
    if (record.id !== this.record?.id) return;
    this.record = record;
    this.updates.request();
  }

  notice(level: 'info' | 'error', message: string): void {
    this.post({ type: 'notice', level, message });
  }

  /** The examples gallery's answer to one request (the webview drops it when the user moved on). */
  reply(message: ExamplesReply): void {
    this.post(message);
  }

  private flush(): void {
    if (this.record) this.post({ type: 'update', record: this.record });
  }

  private sendShow(): void {
    if (this.record) this.post({ type: 'show', record: this.record, history: this.history, pinned: this.pinned });
    else this.post({ type: 'history', history: this.history });
  }

  private post(message: HostToWebview): void {
    if (!this.ready) return; // the webview asks with `ready` and then gets the whole state
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    if (ResultsPanel.current === this) ResultsPanel.current = undefined;
    this.updates.cancel();
    releaseExampleData();
    this.disposables.forEach((d) => d.dispose());
    this.disposables.length = 0;
    this.panel.dispose();
  }
}

function preview(raw: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(raw) ?? String(raw);
  } catch {
    text = String(raw);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
