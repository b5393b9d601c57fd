/**
 * Model Lab's entry point. Reads like a script: build the context, register the editor features, the results
 * panel (and its serializer, so it comes back after a reload), and the commands. Heavy parts (TensorFlow.js,
 * tree-sitter) never load here: training runs in worker processes and Python parsing loads on first use.
 */
import * as vscode from 'vscode';
import { onPanelMessage, registerCommands } from './editor/commands';
import { registerCodeActions } from './editor/code-actions';
import { registerCodeLens } from './editor/codelens';
import type { ExtensionContextLike } from './editor/context';
import { registerDiagnostics } from './editor/diagnostics';
import { ModelDocuments } from './editor/documents';
import { registerHover } from './editor/hover';
import { registerInlayHints } from './editor/inlay-hints';
import { Trainer } from './editor/trainer';
import { readSettings } from './editor/config';
import { RESULTS_VIEW_TYPE, ResultsPanel, type ResultsPanelHost } from './panel/results-panel';
import { isUnfinished, markInterrupted, parseRecord, type RunStore } from './panel/run-store';
import type { RunRecord } from './protocol';
import { findRecord } from './editor/stores';

const SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/*.model.json' },
  { scheme: 'untitled', pattern: '**/*.model.json' },
  { scheme: 'vscode-remote', pattern: '**/*.model.json' },
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  { scheme: 'vscode-remote', language: 'python' },
  // Code cells of notebooks (an .ipynb in VS Code's notebook editor): read as one program with the other cells.
  { scheme: 'vscode-notebook-cell', language: 'python' },
];

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Model Lab', { log: true });
  const documents = new ModelDocuments();
  // eslint-disable-next-line prefer-const
  let trainer: Trainer;
  const panelHost: ResultsPanelHost = {
    extensionUri: context.extensionUri,
    log,
    onMessage: (message, panel) => onPanelMessage(ctx, trainer, message, panel),
  };
  const ctx: ExtensionContextLike = {
    extensionUri: context.extensionUri,
    globalStorageUri: context.globalStorageUri,
    log,
    documents,
    showResults: () => ResultsPanel.show(panelHost),
    panel: () => ResultsPanel.instance,
  };
  trainer = new Trainer(ctx);

  context.subscriptions.push(
    log,
    documents,
    trainer,
    registerDiagnostics(documents),
    registerHover(documents, SELECTOR),
    registerCodeActions(documents, SELECTOR),
    registerCodeLens(documents, SELECTOR),
    registerInlayHints(documents, SELECTOR),
    registerCommands(ctx, trainer),
    vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state: unknown) {
        const revived = ResultsPanel.revive(panel, panelHost);
        const restored = await restoreRecord(context.globalStorageUri, state);
        if (!restored) return;
        const { record, store } = restored;
        // After a reload no session of the old window is alive: its running runs were interrupted. Say so on disk
        // too, so the record never claims a run that nothing trains.
        const stale = !trainer.isLive(record.id) && record.runs.some(isUnfinished);
        if (stale) markInterrupted(record);
        revived.showRecord(record, store ? (await store.list()).items : undefined, store);
        if (store && stale) await store.write(record).catch(() => undefined);
      },
    }),
    { dispose: () => ResultsPanel.instance?.dispose() },
  );
  for (const problem of readSettings().problems) log.warn(problem);
}

/**
 * The record a restored panel showed: re-read from its runs folder (it may have more epochs than the webview saw),
 * else the copy the webview kept in its state (`{ view: { record } }`).
 */
async function restoreRecord(
  globalStorageUri: vscode.Uri,
  state: unknown,
): Promise<{ record: RunRecord; store?: RunStore } | undefined> {
  const view = state && typeof state === 'object' ? (state as { view?: { record?: unknown } }).view : undefined;
  const copy = view?.record ? parseRecord(JSON.stringify(view.record)) : undefined;
  if (!copy) return undefined;
  return (await findRecord(globalStorageUri, copy.id)) ?? { record: copy };
}

export function deactivate(): void {
  // Disposables registered in activate() stop running workers and close the panel.
}
