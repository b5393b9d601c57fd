/**
 * Where run records live — one rule for every part of the extension: the runs folder (setting
 * `modelLab.runsFolder`) of the workspace folder a model belongs to; for untitled models the first workspace
 * folder; with no folder open, the extension's global storage.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunStore, RunStoreError } from '../panel/run-store';
import type { RunRecord } from '../protocol';
import { readSettings } from './config';

export function storeFor(globalStorageUri: vscode.Uri, uri?: vscode.Uri): RunStore {
  const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
  if (!folder) return new RunStore(path.join(globalStorageUri.fsPath, 'runs'));
  return new RunStore(path.resolve(folder.uri.fsPath, readSettings(folder.uri).settings.runsFolder));
}

/** Every store a record of this window may be in: each workspace folder's, then global storage. */
export function allStores(globalStorageUri: vscode.Uri): RunStore[] {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const stores = folders.map((f) => storeFor(globalStorageUri, f.uri));
  stores.push(new RunStore(path.join(globalStorageUri.fsPath, 'runs')));
  return stores.filter((s, i) => stores.findIndex((o) => o.folder === s.folder) === i);
}

/** Finds a record by id in any of the window's stores. */
export async function findRecord(
  globalStorageUri: vscode.Uri,
  id: string,
): Promise<{ record: RunRecord; store: RunStore } | undefined> {
  for (const store of allStores(globalStorageUri)) {
    try {
      return { record: await store.read(id), store };
    } catch (e) {
      if (!(e instanceof RunStoreError)) throw e;
    }
  }
  return undefined;
}
