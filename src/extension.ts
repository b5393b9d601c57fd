/**
 * Model Lab's entry point. Reads like a script: build the context, register the editor features, the results
 * panel (and its serializer, so it comes back after a reload), and the commands. Heavy parts (TensorFlow.js,
 * tree-sitter) never load here: training runs in worker processes and Python parsing loads on first use.
 */
import * as vscode from 'vscode';
import { onPanelMessage, registerCommands } from './editor/commands';
import { registerCodeLens } from './editor/codelens';
import type { ExtensionContextLike } from './editor/context';
import { registerDiagnostics } from './editor/diagnostics';
import { ModelDocuments } from './editor/documents';
import { registerHover } from './editor/hover';
import { registerInlayHints } from './editor/inlay-hints';
import { Trainer } from './editor/trainer';
import { readSettings } from './editor/config';
import { RESULTS_VIEW_TYPE, ResultsPanel, type ResultsPanelHost } from './panel/results-panel';
import { RunStore, parseRecord } from './panel/run-store';
import * as path from 'node:path';

const SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/*.model.json' },
  { scheme: 'untitled', pattern: '**/*.model.json' },
  { language: 'python' },
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
    registerCodeLens(documents, SELECTOR),
    registerInlayHints(documents, SELECTOR),
    registerCommands(ctx, trainer),
    vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state: unknown) {
        const revived = ResultsPanel.revive(panel, panelHost);
        const record = await restoreRecord(state);
        if (record) revived.showRecord(interrupted(record));
      },
    }),
    { dispose: () => ResultsPanel.instance?.dispose() },
  );
  for (const problem of readSettings().problems) log.warn(problem);
}

/** The record a restored panel showed: re-read from the runs folder, else the copy the webview kept. */
async function restoreRecord(state: unknown) {
  const kept = state && typeof state === 'object' ? (state as { record?: unknown }).record : undefined;
  const copy = kept ? parseRecord(JSON.stringify(kept)) : undefined;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (copy && folder) {
    const store = new RunStore(path.resolve(folder.uri.fsPath, readSettings(folder.uri).settings.runsFolder));
    try {
      return await store.read(copy.id);
    } catch {
      // Not saved (read-only folder, never finished an epoch): the webview's own copy is all there is.
    }
  }
  return copy;
}

/** Runs that were going when the window reloaded died with the old extension host. */
function interrupted<T extends { runs: { status: string; error?: string }[]; active?: boolean }>(record: T): T {
  for (const run of record.runs) {
    if (run.status === 'running' || run.status === 'queued') {
      run.status = 'cancelled';
      run.error = 'Interrupted by a window reload; finished epochs are kept.';
    }
  }
  record.active = false;
  return record;
}

export function deactivate(): void {
  // Disposables registered in activate() stop running workers and close the panel.
}
