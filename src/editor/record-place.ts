/**
 * Where a past record's model lived, so what depends on the model file's folder (relative dataset paths) resolves as
 * when it trained. VS Code-free: the caller passes the workspace folders and a file test.
 */
import * as path from 'node:path';
import type { RunRecord } from '../protocol';

export function recordPlace(
  record: Pick<RunRecord, 'modelFile'>,
  folders: readonly string[],
  exists: (file: string) => boolean,
  home: string,
): { baseDir: string; modelPath?: string } {
  const file = record.modelFile;
  if (file && path.isAbsolute(file)) return { baseDir: path.dirname(file), modelPath: file };
  if (file) {
    // Records keep the path relative to the model's workspace folder: the folder that still holds it.
    for (const folder of folders) {
      const full = path.join(folder, file);
      if (exists(full)) return { baseDir: path.dirname(full), modelPath: full };
    }
    if (folders.length) return { baseDir: path.dirname(path.join(folders[0], file)) };
  }
  // An untitled model trained relative to the first workspace folder.
  return { baseDir: folders[0] ?? home };
}
