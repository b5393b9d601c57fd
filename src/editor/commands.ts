/**
 * Every Model Lab command, in one place: `registerCommands` is the list, the functions below are the commands.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { analyze, formatSummary } from '../model';
import { compareFileModels, comparisonDefinition } from '../model/file-models';
import type { RunRecord, WebviewToHost } from '../protocol';
import type { ResultsPanel } from '../panel/results-panel';
import { answerExamples, placeOf, renameRecord, repeatComparison } from './panel-requests';
import { readSettings } from './config';
import { storeFor } from './stores';
import { recordToCsv, recordToHistoryCsv, recordToJson } from '../panel/comparison-export';
import { kerasScriptPath, pngBytes, readForDisplay, runPickItem, summaryText, summaryTitle } from './command-logic';
import type { ExtensionContextLike } from './context';
import { resolveTarget } from './targets';
import {
  TEMPLATES,
  checkModelName,
  companionFiles,
  defaultData,
  instantiate,
  modelFileName,
  usesFashionMnist,
  type TemplateData,
} from './templates';
import type { Trainer } from './trainer';
import { installNativeBackend } from './native-backend-command';

export const SUMMARY_SCHEME = 'model-lab-summary';

export function registerCommands(ctx: ExtensionContextLike, trainer: Trainer): vscode.Disposable {
  const summaries = new SummaryDocuments();
  const commands: [string, (...args: unknown[]) => unknown][] = [
    ['modelLab.newModel', (folder) => newModel(folder)],
    [
      'modelLab.train',
      async (uri, index) => {
        const target = await resolveTarget(ctx.documents, uri, index);
        if (target) await trainer.start('train', target);
      },
    ],
    [
      'modelLab.compare',
      async (uri, index) => {
        const target = await resolveTarget(ctx.documents, uri, index);
        if (target) await trainer.start('compare', target);
      },
    ],
    ['modelLab.compareModels', (uri) => compareModels(ctx, trainer, uri)],
    [
      'modelLab.stop',
      () => {
        if (!trainer.busy) void vscode.window.showInformationMessage('Model Lab: nothing is training.');
        trainer.stopAll();
      },
    ],
    ['modelLab.showResults', () => showResults(ctx, trainer)],
    ['modelLab.openRun', () => openRun(ctx, trainer)],
    ['modelLab.trainMore', () => trainMore(ctx, trainer)],
    [
      'modelLab.showSummary',
      async (uri, index) => {
        const target = await resolveTarget(ctx.documents, uri, index);
        if (target)
          await summaries.show(
            target.file,
            target.index,
            target.analysis.summary
              ? formatSummary(target.analysis.summary, {
                  ...target.analysis.summaryPrint,
                  style: readSettings(target.file).settings.summaryStyle,
                })
              : undefined,
            target.analysis.diagnostics
              .filter((d) => d.severity === 'error')
              .map((d) => `${target.where(d.range.start)}: ${d.message}`),
          );
      },
    ],
    [
      'modelLab.exportKeras',
      async (uri, index) => {
        const target = await resolveTarget(ctx.documents, uri, index);
        if (target)
          await exportKeras(
            target.file,
            target.analysis.definition,
            target.analysis.diagnostics.some((d) => d.severity === 'error'),
          );
      },
    ],
    ['modelLab.installNativeBackend', (backend) => installNativeBackend(ctx, backend)],
  ];
  return vscode.Disposable.from(
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, summaries),
    ...commands.map(([id, fn]) => vscode.commands.registerCommand(id, fn)),
  );
}

/**
 * "Compare the models in this file": every trainable model of a Python file or notebook, each with its own compile
 * and fit, as one comparison (file-models.ts decides the runs, labels and what is skipped, as the CLI's --models all).
 */
async function compareModels(ctx: ExtensionContextLike, trainer: Trainer, uri: unknown): Promise<void> {
  const target = await resolveTarget(ctx.documents, uri, 0);
  if (!target) return;
  const { models } = await ctx.documents.view(target.document);
  const { runs, skipped } = compareFileModels(models.map((m) => m.parsed));
  const file = vscode.workspace.asRelativePath(target.file);
  for (const s of skipped)
    ctx.log.info(
      `Compare the models of ${file}: skipped ${s.modelName} (${target.where(s.range.start)}): ${s.reason}.`,
    );
  if (runs.length === 0) {
    void vscode.window.showErrorMessage(
      `Model Lab: no model of ${file} can be trained${skipped[0] ? ` (${skipped[0].modelName}: ${skipped[0].reason})` : ''}.`,
    );
    return;
  }
  if (skipped.length > 0) {
    const names = [...new Set(skipped.map((s) => `${s.modelName}: ${s.reason}`))];
    void vscode.window.showInformationMessage(
      `Model Lab: comparing ${runs.length} runs; skipped ${names.slice(0, 3).join('; ')}${names.length > 3 ? `; and ${names.length - 3} more (see the Model Lab log)` : ''}.`,
    );
  }
  const first = models[runs[0].model];
  const parsed = { ...first.parsed, definition: runs[0].definition };
  await trainer.start(
    'compare',
    { ...target, index: runs[0].model, parsed, analysis: analyze(parsed) },
    comparisonDefinition(runs),
  );
}

/** Handles what the results panel asks for (messages were validated by the panel). */
export async function onPanelMessage(
  ctx: ExtensionContextLike,
  trainer: Trainer,
  message: WebviewToHost,
  panel: ResultsPanel,
): Promise<void> {
  switch (message.type) {
    case 'ready':
      if (!panel.currentRecord) await loadHistory(ctx, panel);
      return;
    case 'stop':
      // The panel's Stop acts on what it shows: one run, or every run of its record — never other sessions.
      if (message.runId) trainer.stopRun(message.runId);
      else if (panel.currentRecord) trainer.stopRecord(panel.currentRecord.id);
      return;
    case 'openRecord': {
      const store = panel.store ?? storeFor(ctx.globalStorageUri);
      try {
        panel.showRecord(await readForDisplay(store, message.id, trainer), undefined, store);
      } catch (e) {
        panel.notice('error', (e as Error).message);
      }
      return;
    }
    case 'deleteRecord': {
      // The shown record and one still training stay: deleting them would pull the page out from under the user.
      if (message.id === panel.currentRecord?.id || trainer.isLive(message.id)) return;
      const store = panel.store ?? storeFor(ctx.globalStorageUri);
      const sure = await vscode.window.showWarningMessage(
        `Delete this run record and its saved weights from ${vscode.workspace.asRelativePath(store.folder)}?`,
        { modal: true },
        'Delete',
      );
      if (sure !== 'Delete') return;
      try {
        await store.delete(message.id);
        panel.setPinned(panel.pinnedRecords.filter((r) => r.id !== message.id));
        panel.setHistory((await store.list()).items);
      } catch (e) {
        panel.notice('error', (e as Error).message);
      }
      return;
    }
    case 'pinRecord': {
      const others = panel.pinnedRecords.filter((r) => r.id !== message.id);
      if (!message.pinned) return panel.setPinned(others);
      try {
        const store = panel.store ?? storeFor(ctx.globalStorageUri);
        panel.setPinned([...others, await readForDisplay(store, message.id, trainer)]);
      } catch (e) {
        panel.notice('error', (e as Error).message);
      }
      return;
    }
    case 'export': {
      const record = panel.currentRecord;
      if (!record) return;
      const records = [record, ...panel.pinnedRecords];
      if (message.format === 'history-csv') {
        await saveAs(`${record.id}-history.csv`, Buffer.from(recordToHistoryCsv(records), 'utf8'), 'CSV');
        return;
      }
      const text = message.format === 'csv' ? recordToCsv(records) : recordToJson(records);
      await saveAs(`${record.id}.${message.format}`, Buffer.from(text, 'utf8'), message.format.toUpperCase());
      return;
    }
    case 'savePng': {
      const name = `${panel.currentRecord?.id ?? 'model-lab'}-${message.chart}.png`;
      await saveAs(name, pngBytes(message.dataUrl), 'PNG image');
      return;
    }
    case 'examples':
      return answerExamples(ctx, panel, message);
    case 'renameRecord':
      return renameRecord(ctx, trainer, panel, message.id, message.title);
    case 'repeatComparison':
      return repeatComparison(panel, trainer, message.id);
  }
}

async function saveAs(fileName: string, data: Buffer, kind: string): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, fileName) : undefined,
    filters: { [kind]: [path.extname(fileName).slice(1)] },
  });
  if (!target) return;
  await vscode.workspace.fs.writeFile(target, data);
  const choice = await vscode.window.showInformationMessage(
    `Model Lab: saved ${vscode.workspace.asRelativePath(target)}.`,
    'Open',
    'Reveal in Explorer',
  );
  if (choice === 'Open') await vscode.commands.executeCommand('vscode.open', target);
  else if (choice === 'Reveal in Explorer') await vscode.commands.executeCommand('revealInExplorer', target);
}

export { readForDisplay };

async function loadHistory(ctx: ExtensionContextLike, panel: ResultsPanel): Promise<void> {
  const store = panel.store ?? storeFor(ctx.globalStorageUri);
  const { items, skipped } = await store.list();
  if (skipped) ctx.log.warn(`Skipped ${skipped} damaged run record(s) in ${store.folder}.`);
  panel.setHistory(items);
}

async function showResults(ctx: ExtensionContextLike, trainer: Trainer): Promise<void> {
  const panel = ctx.showResults();
  if (panel.currentRecord) return;
  // Nothing shown yet: open the newest record, when there is one.
  const store = storeFor(ctx.globalStorageUri);
  const { items } = await store.list();
  if (items.length) panel.showRecord(await readForDisplay(store, items[0].id, trainer), items, store);
}

async function openRun(ctx: ExtensionContextLike, trainer: Trainer): Promise<void> {
  const store = storeFor(ctx.globalStorageUri, vscode.window.activeTextEditor?.document.uri);
  const { items } = await store.list();
  if (!items.length) {
    void vscode.window.showInformationMessage(
      `Model Lab: no runs yet in ${vscode.workspace.asRelativePath(store.folder)}. Train a model first.`,
    );
    return;
  }
  const pick = await vscode.window.showQuickPick(
    items.map((item) => runPickItem(item)),
    { placeHolder: 'Open a past run', matchOnDescription: true },
  );
  if (!pick) return;
  try {
    ctx.showResults().showRecord(await readForDisplay(store, pick.id, trainer), items, store);
  } catch (e) {
    void vscode.window.showErrorMessage(`Model Lab: ${(e as Error).message}`);
  }
}

/**
 * "Train N more epochs": the run the panel shows (or one picked from the records), continued from its saved weights
 * and optimizer state. Runs need `modelLab.saveWeights` (or an earlier continuation) to be continued.
 */
async function trainMore(ctx: ExtensionContextLike, trainer: Trainer): Promise<void> {
  const continuable = (r: RunRecord) =>
    r.kind === 'train' ? r.runs.find((run) => run.status === 'completed' && run.weightsPath) : undefined;
  let record = ctx.panel()?.currentRecord;
  if (!record || !continuable(record)) {
    const store = storeFor(ctx.globalStorageUri, vscode.window.activeTextEditor?.document.uri);
    const items = (await store.list()).items.filter((i) => i.kind === 'train');
    const pick = items.length
      ? await vscode.window.showQuickPick(
          items.map((item) => ({
            label: item.modelName,
            description: new Date(item.createdAt).toLocaleString(),
            id: item.id,
          })),
          { placeHolder: 'Continue which training run?' },
        )
      : undefined;
    if (!pick) {
      if (!items.length) void vscode.window.showInformationMessage('Model Lab: no training runs to continue yet.');
      return;
    }
    record = await readForDisplay(store, pick.id, trainer);
  }
  const run = continuable(record);
  if (!run) {
    void vscode.window.showErrorMessage(
      "Model Lab: this run's weights were not saved, so it cannot be continued; turn on the setting modelLab.saveWeights and train it again.",
    );
    return;
  }
  const answer = await vscode.window.showInputBox({
    prompt: `Train ${record.model.name} for how many more epochs? (it has ${run.epochMs.length})`,
    value: String(record.definition.fit?.epochs ?? 5),
    validateInput: (v) =>
      /^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 100_000
        ? undefined
        : 'A whole number of epochs from 1 to 100,000.',
  });
  if (answer === undefined) return;
  const folder = vscode.window.activeTextEditor
    ? vscode.workspace.getWorkspaceFolder(vscode.window.activeTextEditor.document.uri)?.uri
    : undefined;
  const { place, modelUri } = placeOf(record, folder);
  await trainer.continueRun(record, run, Number(answer.trim()), place, modelUri);
}

async function newModel(folderArg: unknown): Promise<void> {
  const template = await vscode.window.showQuickPick(
    TEMPLATES.map((t) => ({ label: t.label, detail: t.detail, template: t })),
    { placeHolder: 'Choose a template for the new model', matchOnDetail: true },
  );
  if (!template) return;
  let data: TemplateData = 'full';
  if (usesFashionMnist(template.template)) {
    const choices: (vscode.QuickPickItem & { data: TemplateData })[] = [
      {
        label: 'Bundled sample',
        detail: '3,000 Fashion-MNIST images shipped with Model Lab: an epoch takes seconds',
        data: 'sample',
      },
      {
        label: 'Full Fashion-MNIST',
        detail: '60,000 training images, downloaded (about 30 MB) and cached once',
        data: 'full',
      },
    ];
    const first = defaultData(template.template);
    const picked = await vscode.window.showQuickPick(
      choices.sort((a, b) => (a.data === first ? -1 : b.data === first ? 1 : 0)),
      { placeHolder: 'Which data should this model train on? (change "dataset" in the file any time)' },
    );
    if (!picked) return;
    data = picked.data;
  }
  let folder: vscode.Uri | undefined = folderArg instanceof vscode.Uri ? folderArg : undefined;
  if (!folder) {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 1) folder = folders[0].uri;
    else if (folders.length > 1)
      folder = (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Where should the model file go?' }))?.uri;
    else {
      folder = (
        await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          openLabel: 'Create model here',
        })
      )?.[0];
    }
  }
  if (!folder) return;
  const target = folder;
  const free = async (n: string) =>
    vscode.workspace.fs.stat(vscode.Uri.joinPath(target, modelFileName(n))).then(
      () => false,
      () => true,
    );
  let suggested = template.template.defaultName;
  for (let i = 2; i < 100 && !(await free(suggested)); i++) suggested = `${template.template.defaultName}-${i}`;
  const name = await vscode.window.showInputBox({
    prompt: 'Name of the model file (".model.json" is added)',
    value: suggested,
    validateInput: async (value) => {
      const problem = checkModelName(value);
      if (problem) return problem;
      try {
        await vscode.workspace.fs.stat(vscode.Uri.joinPath(target, modelFileName(value)));
        return `${modelFileName(value)} already exists here; choose another name.`;
      } catch {
        return undefined;
      }
    },
  });
  if (!name) return;
  const uri = vscode.Uri.joinPath(target, modelFileName(name));
  await vscode.workspace.fs.writeFile(
    uri,
    Buffer.from(instantiate(template.template, name.trim().replace(/\.model\.json$/, ''), data), 'utf8'),
  );
  for (const [relative, text] of Object.entries(companionFiles(template.template))) {
    const companion = vscode.Uri.joinPath(target, relative);
    try {
      await vscode.workspace.fs.stat(companion);
    } catch {
      await vscode.workspace.fs.writeFile(companion, Buffer.from(text, 'utf8'));
    }
  }
  await vscode.window.showTextDocument(uri);
}

async function exportKeras(
  source: vscode.Uri,
  definition: import('../model/types').ModelDefinition | undefined,
  hasErrors: boolean,
): Promise<void> {
  if (!definition || hasErrors) {
    void vscode.window.showErrorMessage('Model Lab: fix the errors in this model before exporting it (see Problems).');
    return;
  }
  const { toKerasScript } = await import('../model/python/keras-script');
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(kerasScriptPath(source.fsPath)),
    filters: { Python: ['py'] },
  });
  if (!target) return;
  const { outputClash, writeOutputFile } = await import('../panel/output-file');
  const clash = await outputClash(
    [{ what: path.basename(target.fsPath), path: target.fsPath }],
    [{ what: 'the model file', path: source.fsPath }],
  );
  if (clash) {
    void vscode.window.showErrorMessage(`Model Lab: ${clash}.`);
    return;
  }
  const script = toKerasScript(definition, {
    source: path.basename(source.fsPath),
    baseDir: path.dirname(source.fsPath),
    outDir: path.dirname(target.fsPath),
  });
  await writeOutputFile(target.fsPath, script);
  await vscode.window.showTextDocument(target);
}

/** Read-only documents that show a model's Keras summary (`model-lab-summary:` URIs). */
class SummaryDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  async show(source: vscode.Uri, index: number, summary: string | undefined, errors: string[]): Promise<void> {
    const uri = vscode.Uri.from({
      scheme: SUMMARY_SCHEME,
      path: `/${summaryTitle(source.path, index)}`,
      query: source.toString(),
    });
    const text = summaryText(summary, errors);
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
    await vscode.window.showTextDocument(uri, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}
