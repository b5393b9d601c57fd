/**
 * Starts and stops training from the editor: the thin VS Code side of a session. The session itself (plan, preflight,
 * pool, saves after every epoch, final save) is the shared `SessionDriver`; what to check and what to say are plain
 * functions (`train-checks.ts`, `train-messages.ts`) with unit tests; pools live in `pool-keeper.ts`. What is left
 * here is showing: notifications with Cancel, the status bar item, the results panel and the log.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord, RunResult } from '../protocol';
import type { ModelDefinition, ModelSummary } from '../model/types';
import { SessionDriver } from '../training/host/session-driver';
import { nativeFolder } from '../training/host/native-install';
import { longJobPrompt } from './long-job-prompt';
import { overallFraction, progressMessage } from './progress-math';
import { readSettings } from './config';
import type { ExtensionContextLike } from './context';
import { PoolKeeper } from './pool-keeper';
import { storeFor } from './stores';
import { poolSize, RESTRICTED_MODE_MESSAGE, sessionPlace, trainingBlocker } from './train-checks';
import { endOfRunMessage, eventLogLine, ProgressIncrements, statusText } from './train-messages';
import type { ModelTarget } from './targets';

export class Trainer implements vscode.Disposable {
  private readonly pools: PoolKeeper;
  private readonly drivers = new Set<SessionDriver>();
  private readonly warnedFolders = new Set<string>();
  /** Sentences logged once per VS Code session (why the backend was chosen), not once per run. */
  private readonly saidOnce = new Set<string>();
  private readonly status: vscode.StatusBarItem;

  constructor(private readonly ctx: ExtensionContextLike) {
    this.pools = new PoolKeeper({
      workerPath: path.join(ctx.extensionUri.fsPath, 'dist', 'worker.js'),
      // Worker stderr (crash reports, out-of-memory traces) goes to the Model Lab log that crash messages point to.
      onStderr: (text) => ctx.log.warn(text.trimEnd()),
      audience: 'editor',
    });
    this.status = vscode.window.createStatusBarItem('modelLab.training', vscode.StatusBarAlignment.Left, 10);
    this.status.name = 'Model Lab training';
    this.status.command = 'modelLab.showResults';
    this.status.tooltip = 'Model Lab is training — click to show results';
  }

  /**
   * Trains (`train`) or compares (`compare`) the model; resolves when the session is over. `definition` replaces the
   * model's own: a comparison of a file's models (file-models.ts) is the target's model with a variant per run.
   */
  async start(
    kind: 'train' | 'compare',
    target: ModelTarget,
    definition?: ModelDefinition,
  ): Promise<RunRecord | undefined> {
    if (!vscode.workspace.isTrusted) {
      const choice = await vscode.window.showWarningMessage(RESTRICTED_MODE_MESSAGE, 'Manage Workspace Trust');
      if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    const { analysis, file, parsed } = target;
    const blocker = trainingBlocker(file.fsPath, parsed, analysis, target.where);
    if (blocker || !analysis.definition || !analysis.summary) {
      if (blocker?.showProblems) void vscode.commands.executeCommand('workbench.actions.view.problems');
      if (blocker) void vscode.window.showErrorMessage(blocker.message);
      return undefined;
    }

    // A notebook's model belongs to the notebook file: its folder, settings and records.
    const { settings, problems } = readSettings(file);
    problems.forEach((p) => void vscode.window.showWarningMessage(`Model Lab: ${p}`));
    // Untitled models belong to the first workspace folder: their records go there and relative paths resolve there.
    const folder = vscode.workspace.getWorkspaceFolder(file) ?? vscode.workspace.workspaceFolders?.[0];
    const store = storeFor(this.ctx.globalStorageUri, file);
    const place = sessionPlace({
      fsPath: file.fsPath,
      onDisk: file.scheme === 'file',
      untitled: target.untitled,
      folder: folder?.uri.fsPath,
      home: os.homedir(),
    });
    return this.drive(kind, {
      definition: definition ?? analysis.definition,
      summary: analysis.summary,
      place,
      settings,
      store,
    });
  }

  /**
   * "Train N more epochs" of a finished run whose weights were saved: the same definition, continued from its
   * weights and optimizer state, into a new record holding the whole history (session.ts: continueRun). The new
   * run's weights are always saved, so it can be continued again.
   */
  continueRun(
    record: RunRecord,
    run: RunResult,
    epochs: number,
    place: { baseDir: string; modelFile?: string },
    modelUri: vscode.Uri | undefined,
  ): Promise<RunRecord | undefined> {
    return this.again('train', record, record.definition, place, modelUri, { continueRun: run, epochs });
  }

  /**
   * "Repeat ×3" of a finished comparison: the same definition with `compare.repeats` set, into a new record, so every
   * row gets a standard error and near-ties are marked from the repeats.
   */
  repeatComparison(
    record: RunRecord,
    repeats: number,
    place: { baseDir: string; modelFile?: string },
    modelUri: vscode.Uri | undefined,
  ): Promise<RunRecord | undefined> {
    const definition = { ...record.definition, compare: { ...record.definition.compare, repeats } };
    return this.again('compare', record, definition, place, modelUri);
  }

  /** A new session of a past record, where it trained (`place`) with the settings and runs folder of `modelUri`. */
  private async again(
    kind: 'train' | 'compare',
    record: RunRecord,
    definition: ModelDefinition,
    place: { baseDir: string; modelFile?: string },
    modelUri: vscode.Uri | undefined,
    continued?: { continueRun: RunResult; epochs: number },
  ): Promise<RunRecord | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(RESTRICTED_MODE_MESSAGE);
      return undefined;
    }
    const { settings, problems } = readSettings(modelUri);
    problems.forEach((p) => void vscode.window.showWarningMessage(`Model Lab: ${p}`));
    return this.drive(kind, {
      definition,
      summary: record.model,
      place,
      // A continued run's weights are always saved, so it can be continued again.
      settings: continued ? { ...settings, saveWeights: true } : settings,
      store: storeFor(this.ctx.globalStorageUri, modelUri),
      ...continued,
    });
  }

  private async drive(
    kind: 'train' | 'compare',
    o: {
      definition: ModelDefinition;
      summary: ModelSummary;
      place: { baseDir: string; modelFile?: string };
      settings: ReturnType<typeof readSettings>['settings'];
      store: ReturnType<typeof storeFor>;
      continueRun?: RunResult;
      epochs?: number;
    },
  ): Promise<RunRecord | undefined> {
    const { summary, place, settings, store } = o;

    // The preflight (backend and data checked once, a download made once) shows in a cancellable notification that
    // closes when training starts; the training notification takes over from there.
    const preparation = new ProgressIncrements();
    let reportPreparing: ((message: string, fraction?: number) => void) | undefined;
    let endPreparing!: () => void;
    const prepared = new Promise<void>((resolve) => (endPreparing = resolve));
    const longJob = longJobPrompt(kind, poolSize(settings.maxParallelRuns, os.availableParallelism()), () =>
      driver.stop(),
    );
    const driver: SessionDriver = new SessionDriver({
      pool: this.pools.get(poolSize(settings.maxParallelRuns, os.availableParallelism())),
      kind,
      definition: o.definition,
      summary,
      ...place,
      ...(o.continueRun ? { continueRun: o.continueRun, epochs: o.epochs } : {}),
      backend: settings.backend,
      audience: 'editor',
      dataDir: settings.dataFolder ?? process.env.MODEL_LAB_DATA,
      cacheDir: path.join(this.ctx.globalStorageUri.fsPath, 'datasets'),
      // Where `Model Lab: Install Native Backend` puts tfjs-node: the workers look there after Model Lab's own.
      nativeDir: nativeFolder(this.ctx.globalStorageUri.fsPath),
      weightsFolder: settings.saveWeights ? store.folder : undefined,
      sink: store,
      reporter: {
        preparing: (message, fraction) => reportPreparing?.(message, fraction),
        started: (record) => {
          endPreparing();
          this.refreshStatus();
          void store.list().then(
            ({ items }) => this.ctx.showResults().showRecord(record, items, store),
            () => this.ctx.showResults().showRecord(record, [], store),
          );
          this.ctx.log.info(
            `${kind === 'train' ? 'Training' : 'Comparing'} ${summary.name}: ${record.runs.length} run(s), record ${record.id}`,
          );
          this.showTrainingProgress(driver, record);
        },
        event: (record, run, event) => {
          this.ctx.panel()?.update(record);
          longJob(record, event);
          if (event.type === 'started' || event.type === 'finished') this.refreshStatus();
          const line = eventLogLine(record, run, event, this.saidOnce);
          if (line?.level === 'error') this.ctx.log.error(line.text);
          else if (line) this.ctx.log.info(line.text);
        },
        saveFailed: (error) => {
          this.ctx.log.error(error.message);
          // Once per folder: a full disk would otherwise warn after every epoch.
          if (!this.warnedFolders.has(store.folder)) {
            this.warnedFolders.add(store.folder);
            void vscode.window.showWarningMessage(`Model Lab: ${error.message}`);
          }
        },
      },
    });
    this.drivers.add(driver);
    void vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Model Lab: preparing ${summary.name}`,
        cancellable: true,
      },
      (progress, token) => {
        token.onCancellationRequested(() => driver.stop());
        reportPreparing = (message, fraction) => progress.report({ message, increment: preparation.next(fraction) });
        return prepared;
      },
    );

    try {
      const outcome = await driver.run();
      if (outcome.state === 'stopped') {
        this.ctx.log.info(`Stopped while preparing ${summary.name}; nothing was trained.`);
        return undefined;
      }
      const { record, saved } = outcome;
      // The panel the session started with may have been closed and reopened since: always ask for the current one.
      this.ctx.panel()?.update(record);
      if (saved) {
        const panel = this.ctx.panel();
        if (panel?.currentRecord?.id === record.id) panel.setHistory((await store.list()).items);
      }
      this.announce(record);
      return record;
    } catch (e) {
      // A problem every run would have (backend, dataset): one message, nothing trained.
      this.ctx.log.error((e as Error).message);
      void vscode.window.showErrorMessage(`Model Lab: ${(e as Error).message}`);
      return undefined;
    } finally {
      endPreparing();
      // Live until its final save: until then the file on disk may still say "running" (isLive guards readers).
      this.drivers.delete(driver);
      this.pools.retire(new Set([...this.drivers].map((d) => d.pool)));
      this.refreshStatus();
    }
  }

  private showTrainingProgress(driver: SessionDriver, record: RunRecord): void {
    const epochs = record.runs[0]?.epochs ?? 1;
    const title =
      record.kind === 'train'
        ? `Model Lab: training ${record.model.name}`
        : `Model Lab: comparing ${record.runs.length} runs of ${record.model.name}`;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => driver.stop());
        const increments = new ProgressIncrements();
        const started = Date.now();
        return new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (!record.active || !this.drivers.has(driver)) {
              clearInterval(timer);
              resolve();
              return;
            }
            const fraction = overallFraction(record.runs);
            progress.report({
              message: progressMessage(record.runs, epochs, fraction, Date.now() - started),
              increment: increments.next(fraction),
            });
          }, 500);
        });
      },
    );
  }

  /** Stops every session, and every session still checking its backend and data (a download, say). */
  stopAll(): void {
    for (const driver of this.drivers) driver.stop();
  }

  get busy(): boolean {
    return this.drivers.size > 0;
  }

  /** Stops one run, wherever it is. */
  stopRun(runId: string): void {
    for (const driver of this.drivers) {
      if (driver.record?.runs.some((r) => r.runId === runId)) driver.stop(runId);
    }
  }

  /** Stops every run of one session (the record a panel shows). */
  stopRecord(recordId: string): void {
    for (const driver of this.drivers) if (driver.id === recordId) driver.stop();
  }

  /** Whether a record belongs to a session that is still training (else its runs cannot still be running). */
  isLive(recordId: string): boolean {
    return [...this.drivers].some((d) => d.id === recordId);
  }

  private announce(record: RunRecord): void {
    const { level, text, offerLog } = endOfRunMessage(record);
    if (level === 'error') {
      void vscode.window
        .showErrorMessage(text, ...(offerLog ? ['Show Log'] : []))
        .then((c) => c && this.ctx.log.show());
    } else {
      void vscode.window.showInformationMessage(text);
    }
  }

  private refreshStatus(): void {
    const training = [...this.drivers].flatMap((d) => (d.record ? [d.record] : []));
    void vscode.commands.executeCommand('setContext', 'modelLab.training', this.drivers.size > 0);
    const text = statusText(training);
    if (text === undefined) {
      this.status.hide();
      return;
    }
    this.status.text = text;
    this.status.show();
  }

  dispose(): void {
    this.stopAll();
    this.pools.dispose();
    this.status.dispose();
  }
}
