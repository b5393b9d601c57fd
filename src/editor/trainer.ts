/**
 * Starts and stops training from the editor: checks trust and the model, runs a TrainingSession on the shared
 * RunPool, and keeps the user informed — results panel, progress notification with Cancel, status bar item,
 * Keras-style lines in the output channel — and saves the run record after every epoch, so nothing finished is lost.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSummary } from '../model/types';
import { formatEpochLine } from '../training/host/epoch-line';
import { RunPool } from '../training/host/pool';
import { preflight } from '../training/host/preflight';
import { TrainingSession, planRuns, type SessionOptions } from '../training/host/session';
import type { RunRecord, RunResult, WorkerEvent } from '../protocol';
import { isUnfinished, newRecordId, type RunStore } from '../panel/run-store';
import { storeFor } from './stores';
import { overallFraction, progressMessage } from './progress-math';
import { readSettings } from './config';
import type { ExtensionContextLike } from './context';
import type { ModelTarget } from './targets';

export class Trainer implements vscode.Disposable {
  private pool: RunPool | undefined;
  private readonly preflights = new Set<AbortController>();
  private disposed = false;
  private poolSize = 0;
  private readonly sessions = new Set<TrainingSession>();
  private readonly status: vscode.StatusBarItem;

  constructor(private readonly ctx: ExtensionContextLike) {
    this.status = vscode.window.createStatusBarItem('modelLab.training', vscode.StatusBarAlignment.Left, 10);
    this.status.name = 'Model Lab training';
    this.status.command = 'modelLab.showResults';
  }

  /** Trains (`train`) or compares (`compare`) the model; resolves when the session is over. */
  async start(kind: 'train' | 'compare', target: ModelTarget): Promise<RunRecord | undefined> {
    if (!vscode.workspace.isTrusted) {
      const choice = await vscode.window.showWarningMessage(
        'Model Lab: training is disabled in Restricted Mode, because it runs code and reads data from this workspace. Trust the workspace to train; summaries, hovers and diagnostics keep working.',
        'Manage Workspace Trust',
      );
      if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    const { analysis, document, parsed } = target;
    if (parsed.incomplete) {
      void vscode.window.showErrorMessage(
        `Model Lab cannot train this model: ${parsed.incomplete} (line ${parsed.range.start.line + 1}). Training only the layers it can read would be a different model.`,
      );
      return undefined;
    }
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length || !analysis.definition || !analysis.summary) {
      const first = errors[0];
      const where = first ? ` (line ${first.range.start.line + 1}: ${first.message})` : '';
      void vscode.commands.executeCommand('workbench.actions.view.problems');
      void vscode.window.showErrorMessage(
        `Model Lab: ${path.basename(document.uri.fsPath)} has ${errors.length || 'unresolved'} error${errors.length === 1 ? '' : 's'}${where}; fix ${errors.length === 1 ? 'it' : 'them'} to train.`,
      );
      return undefined;
    }

    const { settings, problems } = readSettings(document.uri);
    problems.forEach((p) => void vscode.window.showWarningMessage(`Model Lab: ${p}`));
    // Untitled models belong to the first workspace folder: their records go there and relative paths resolve there.
    const folder = vscode.workspace.getWorkspaceFolder(document.uri) ?? vscode.workspace.workspaceFolders?.[0];
    const store = storeFor(this.ctx.globalStorageUri, document.uri);
    const summary: ModelSummary = analysis.summary;
    const id = newRecordId(kind, summary.name);
    const baseDir = document.uri.scheme === 'file' && !document.isUntitled
      ? path.dirname(document.uri.fsPath)
      : folder?.uri.fsPath ?? os.homedir();

    const options: SessionOptions = {
      kind,
      id,
      definition: analysis.definition,
      summary,
      modelFile: document.isUntitled ? undefined : folder ? path.relative(folder.uri.fsPath, document.uri.fsPath) : document.uri.fsPath,
      baseDir,
      backend: settings.backend,
      dataDir: settings.dataFolder ?? process.env.MODEL_LAB_DATA,
      cacheDir: path.join(this.ctx.globalStorageUri.fsPath, 'datasets'),
      saveWeightsDir: settings.saveWeights ? path.join(store.folder, `${id}-weights`) : undefined,
      onUpdate: (record, run, event) => this.onEvent(record, run, event, store),
    };
    // Once for the whole session, before any worker starts: a missing backend or dataset is one message, not one
    // per run, and a needed download happens once (with progress) instead of in every worker.
    const preparing = new AbortController();
    this.preflights.add(preparing);
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Model Lab: preparing ${summary.name}`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => preparing.abort());
          let reported = 0;
          return preflight(planRuns(options), {
            signal: preparing.signal,
            onProgress: (message, fraction) => {
              const percent = fraction === undefined ? undefined : Math.round(fraction * 100);
              progress.report({ message, increment: percent === undefined ? undefined : Math.max(0, percent - reported) });
              if (percent !== undefined) reported = Math.max(reported, percent);
            },
          });
        },
      );
    } catch (e) {
      if (preparing.signal.aborted) {
        this.ctx.log.info(`Stopped while preparing ${summary.name}; nothing was trained.`);
        return undefined;
      }
      this.ctx.log.error((e as Error).message);
      void vscode.window.showErrorMessage(`Model Lab: ${(e as Error).message}`);
      return undefined;
    } finally {
      this.preflights.delete(preparing);
    }
    if (this.disposed || preparing.signal.aborted) return undefined;
    const session = new TrainingSession(this.getPool(settings.maxParallelRuns), options);
    this.sessions.add(session);
    this.refreshStatus();

    this.ctx.showResults().showRecord(session.record, (await store.list()).items, store);
    this.ctx.log.info(`${kind === 'train' ? 'Training' : 'Comparing'} ${summary.name}: ${session.record.runs.length} run(s), record ${id}`);

    const epochs = session.record.runs[0]?.epochs ?? 1;
    const title = kind === 'train' ? `Model Lab: training ${summary.name}` : `Model Lab: comparing ${session.record.runs.length} runs of ${summary.name}`;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => session.stop());
        let reported = 0;
        const started = Date.now();
        const timer = setInterval(() => {
          const fraction = overallFraction(session.record.runs);
          const message = progressMessage(session.record.runs, epochs, fraction, Date.now() - started);
          progress.report({ message, increment: Math.max(0, fraction * 100 - reported) });
          reported = Math.max(reported, fraction * 100);
        }, 500);
        try {
          await session.done;
        } finally {
          clearInterval(timer);
        }
      },
    );

    const record = await session.done;
    // The panel the session started with may have been closed and reopened since: always ask for the current one.
    this.ctx.panel()?.update(record);
    try {
      await this.persist(store, record);
      const panel = this.ctx.panel();
      if (panel?.currentRecord?.id === record.id) panel.setHistory((await store.list()).items);
    } catch {
      // persist() already told the user; the results stay in the panel.
    } finally {
      this.writes.delete(record.id);
      // Live until its final save: until then the file on disk may still say "running" (isLive guards readers).
      this.sessions.delete(session);
      this.retirePools();
      this.refreshStatus();
    }
    this.announce(record);
    return record;
  }

  /** Stops every session, and every session still checking its backend and data (a download, say). */
  stopAll(): void {
    for (const preparing of this.preflights) preparing.abort();
    for (const session of this.sessions) session.stop();
  }

  get busy(): boolean {
    return this.sessions.size > 0 || this.preflights.size > 0;
  }

  /** Stops one run, wherever it is. */
  stopRun(runId: string): void {
    for (const session of this.sessions) {
      if (session.record.runs.some((r) => r.runId === runId)) session.stop(runId);
    }
  }

  /** Stops every run of one session (the record a panel shows). */
  stopRecord(recordId: string): void {
    for (const session of this.sessions) if (session.record.id === recordId) session.stop();
  }

  /** Whether a record belongs to a session that is still training (else its runs cannot still be running). */
  isLive(recordId: string): boolean {
    return [...this.sessions].some((s) => s.record.id === recordId);
  }

  private getPool(maxParallelRuns: number): RunPool {
    const size = maxParallelRuns || os.availableParallelism();
    if (this.pool && this.poolSize === size) return this.pool;
    // A new size applies to new sessions; the old pool finishes what it runs and is disposed when idle.
    if (this.pool) this.retired.push(this.pool);
    this.pool = new RunPool({
      size,
      workerPath: path.join(this.ctx.extensionUri.fsPath, 'dist', 'worker.js'),
      // Worker stderr (crash reports, out-of-memory traces) goes to the Model Lab log that crash messages point to.
      onStderr: (text) => this.ctx.log.warn(text.trimEnd()),
    });
    this.poolSize = size;
    this.retirePools();
    return this.pool;
  }

  private readonly retired: RunPool[] = [];

  /** Disposes replaced pools once none of their runs is left. */
  private retirePools(): void {
    for (const pool of [...this.retired]) {
      if (pool.pids().length === 0 && ![...this.sessions].some((s) => s.pool === pool)) {
        pool.dispose();
        this.retired.splice(this.retired.indexOf(pool), 1);
      }
    }
  }

  private writes = new Map<string, Promise<void>>();
  private warnedFolders = new Set<string>();

  /** Saves a record; writes of one record are serialised, failures are reported once per folder. */
  private persist(store: RunStore, record: RunRecord): Promise<void> {
    const previous = this.writes.get(record.id) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        await store.write(record);
      } catch (e) {
        const message = (e as Error).message;
        this.ctx.log.error(message);
        if (!this.warnedFolders.has(store.folder)) {
          this.warnedFolders.add(store.folder);
          void vscode.window.showWarningMessage(`Model Lab: ${message}`);
        }
        throw e;
      }
    });
    this.writes.set(record.id, next.catch(() => undefined));
    return next;
  }

  private onEvent(record: RunRecord, run: RunResult, event: WorkerEvent, store: RunStore): void {
    this.ctx.panel()?.update(record);
    if (event.type === 'started' || event.type === 'finished') this.refreshStatus();
    const tag = record.kind === 'compare' ? `[${run.label}${run.repeat ? ` #${run.repeat + 1}` : ''}] ` : '';
    switch (event.type) {
      case 'started':
        this.ctx.log.info(`${tag}backend ${event.backend}; ${event.dataset.name}: ${event.dataset.train} train / ${event.dataset.validation} validation (${event.dataset.source})`);
        break;
      case 'progress':
        this.ctx.log.info(`${tag}${event.message}`);
        break;
      case 'epoch':
        this.ctx.log.info(tag + formatEpochLine(event.epoch, run.epochs, event.epochMs, event.logs));
        void this.persist(store, record).catch(() => undefined);
        break;
      case 'finished':
        if (event.status === 'failed') this.ctx.log.error(`${tag}failed: ${event.error ?? 'unknown error'}`);
        else this.ctx.log.info(`${tag}${event.status} in ${(event.durationMs / 1000).toFixed(1)} s`);
        break;
    }
  }

  private announce(record: RunRecord): void {
    const failed = record.runs.filter((r) => r.status === 'failed');
    const cancelled = record.runs.filter((r) => r.status === 'cancelled');
    if (record.kind === 'train') {
      const run = record.runs[0];
      if (run.status === 'failed') {
        void vscode.window.showErrorMessage(`Model Lab: training ${record.model.name} failed: ${run.error ?? 'unknown error'}`, 'Show Log').then((c) => c && this.ctx.log.show());
        return;
      }
      const acc = last(run.history.val_accuracy) ?? last(run.history.accuracy);
      const epochsDone = run.history.loss?.length ?? 0;
      void vscode.window.showInformationMessage(
        `Model Lab: ${record.model.name} ${run.status === 'cancelled' ? 'stopped' : 'trained'} after ${epochsDone} epoch${epochsDone === 1 ? '' : 's'}` +
          (acc !== undefined ? ` — ${run.history.val_accuracy ? 'val_accuracy' : 'accuracy'} ${acc.toFixed(4)}` : ''),
      );
      return;
    }
    const parts = [`${record.runs.length - failed.length - cancelled.length} completed`];
    if (cancelled.length) parts.push(`${cancelled.length} stopped`);
    if (failed.length) parts.push(`${failed.length} failed`);
    void vscode.window.showInformationMessage(`Model Lab: comparison of ${record.model.name} finished — ${parts.join(', ')}.`);
  }

  private refreshStatus(): void {
    const active = this.sessions.size;
    void vscode.commands.executeCommand('setContext', 'modelLab.training', active > 0);
    if (!active) {
      this.status.hide();
      return;
    }
    const runs = [...this.sessions].reduce((n, s) => n + s.record.runs.filter(isUnfinished).length, 0);
    this.status.text = `$(sync~spin) Model Lab: ${runs} run${runs === 1 ? '' : 's'}`;
    this.status.tooltip = 'Model Lab is training — click to show results';
    this.status.show();
  }

  dispose(): void {
    this.disposed = true;
    this.stopAll();
    this.pool?.dispose();
    this.retired.forEach((pool) => pool.dispose());
    this.status.dispose();
  }
}

function last(values: number[] | undefined): number | undefined {
  return values && values.length ? values[values.length - 1] : undefined;
}

