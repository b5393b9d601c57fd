/**
 * The results panel's requests that act on a past record: the examples gallery's data, renaming a record, and
 * "Repeat ×3" of a comparison. Messages arrive checked by `parseWebviewMessage`; every answer is a reply to the
 * panel or a notice, never a stack trace.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadExampleData } from '../panel/example-data';
import type { ResultsPanel } from '../panel/results-panel';
import type { ExamplesRequest, RunRecord } from '../protocol';
import { readSettings } from './config';
import type { ExtensionContextLike } from './context';
import { recordPlace } from './record-place';
import { storeFor } from './stores';
import type { Trainer } from './trainer';

/** Repeats per variant the panel's "Repeat ×3" asks for: enough for a standard error on each row. */
export const REPEAT_RUNS = 3;

/**
 * Where a past record's model is in this window (`recordPlace` over the workspace folders, `preferred` looked in
 * first): the place a new session of it trains from, and the URI whose settings and runs folder apply (the model
 * file, else the folder it was looked for in).
 */
export function placeOf(
  record: RunRecord,
  preferred?: vscode.Uri,
): { place: { baseDir: string; modelFile?: string }; modelUri?: vscode.Uri } {
  const folders = [preferred, ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri)].filter(
    (f): f is vscode.Uri => f !== undefined,
  );
  const found = recordPlace(
    record,
    folders.map((f) => f.fsPath),
    existsSync,
    os.homedir(),
  );
  return {
    place: { baseDir: found.baseDir, modelFile: record.modelFile },
    modelUri: found.modelPath ? vscode.Uri.file(found.modelPath) : folders[0],
  };
}

/** Loads the asked examples of the shown record from the local dataset and answers the panel. */
export async function answerExamples(
  ctx: ExtensionContextLike,
  panel: ResultsPanel,
  request: ExamplesRequest,
): Promise<void> {
  const record = panel.currentRecord;
  if (!record || record.id !== request.recordId) return; // the panel moved on; a late request has no reader
  const {
    place: { baseDir },
    modelUri,
  } = placeOf(record);
  const { settings } = readSettings(modelUri);
  const reply = await loadExampleData(
    request,
    record,
    {
      baseDir,
      dataDir: settings.dataFolder ?? process.env.MODEL_LAB_DATA,
      cacheDir: path.join(ctx.globalStorageUri.fsPath, 'datasets'),
    },
    (line) => ctx.log.error(line),
  );
  panel.reply(reply);
}

/** Renames a record in its runs folder (atomically) and refreshes the history and the shown record. */
export async function renameRecord(
  ctx: ExtensionContextLike,
  trainer: Trainer,
  panel: ResultsPanel,
  id: string,
  title: string,
): Promise<void> {
  if (trainer.isLive(id)) {
    panel.notice('info', 'This record is still training; rename it once it has finished.');
    return;
  }
  const store = panel.store ?? storeFor(ctx.globalStorageUri);
  try {
    const renamed = await store.rename(id, title);
    if (panel.currentRecord?.id === id) panel.showRecord(renamed);
    else if (panel.pinnedRecords.some((r) => r.id === id))
      panel.setPinned(panel.pinnedRecords.map((r) => (r.id === id ? renamed : r)));
    panel.setHistory((await store.list()).items);
  } catch (e) {
    panel.notice('error', (e as Error).message);
  }
}

/** "Repeat ×3": trains the shown comparison again with REPEAT_RUNS repeats per variant, into a new record. */
export async function repeatComparison(panel: ResultsPanel, trainer: Trainer, id: string): Promise<void> {
  const record = panel.currentRecord;
  if (!record || record.id !== id || record.kind !== 'compare') return;
  if (trainer.isLive(id)) {
    panel.notice('info', 'This comparison is still training; repeat it once it has finished.');
    return;
  }
  const { place, modelUri } = placeOf(record);
  await trainer.repeatComparison(record, REPEAT_RUNS, place, modelUri);
}
