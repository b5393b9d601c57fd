/**
 * Run records on disk: one JSON file per training or comparison session under the runs folder
 * (default `<workspace>/.model-lab/runs/`). Pure Node (no vscode), shared by the extension and tests.
 *
 * Writes are atomic — write a temporary file in the same folder, flush it, then rename over the final name — so a
 * crash or a full disk never leaves a half-written record: readers see the previous version or none.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { RecordListItem, RunRecord } from '../protocol';
import { isRecord } from '../protocol-validate';
import { isUnfinished } from '../run-state';
import { recordModelNames } from '../results/record-models';
import { writeFileAtomic } from '../data/write-atomic';
import { isRecordId, newRecordId } from '../training/host/record-file';

export { isRecordId, newRecordId };

export class RunStoreError extends Error {}

/** The history line of a record: the best final validation accuracy over its completed runs. */
export function listItem(record: RunRecord): RecordListItem {
  let best: number | undefined;
  for (const run of record.runs) {
    if (run.status !== 'completed') continue;
    const acc = run.history.val_accuracy;
    if (acc && acc.length) best = Math.max(best ?? -Infinity, acc[acc.length - 1]);
  }
  const count = (test: (r: RunRecord['runs'][number]) => boolean) => record.runs.filter(test).length || undefined;
  const interrupted = (r: RunRecord['runs'][number]) => r.status === 'cancelled' && /^Interrupted/.test(r.error ?? '');
  return {
    id: record.id,
    ...(record.title ? { title: record.title } : {}),
    kind: record.kind,
    createdAt: record.createdAt,
    modelName: recordModelNames(record),
    runs: record.runs.length,
    bestValAccuracy: best,
    failed: count((r) => r.status === 'failed'),
    stopped: count((r) => r.status === 'cancelled' && !interrupted(r)),
    interrupted: count(interrupted),
  };
}

/** Written once into the runs folder: records are small and worth committing, trained weights are not. */
export const RUNS_GITIGNORE =
  '# Written by Model Lab: trained weights are large binary files; run records (*.json) stay trackable.\n*-weights/\n*.tmp\n';

export class RunStore {
  constructor(readonly folder: string) {}

  private file(id: string): string {
    if (!isRecordId(id)) throw new RunStoreError(`'${id}' is not a run record id.`);
    return path.join(this.folder, `${id}.json`);
  }

  /** Writes (or replaces) a record atomically; returns its path. Errors are one sentence naming the folder. */
  async write(record: RunRecord): Promise<string> {
    const target = this.file(record.id);
    try {
      await fs.mkdir(this.folder, { recursive: true });
      // Never overwrites a .gitignore the user edited ('wx' fails when it exists).
      await fs.writeFile(path.join(this.folder, '.gitignore'), RUNS_GITIGNORE, { flag: 'wx' }).catch(() => undefined);
      await writeFileAtomic(target, JSON.stringify(record, null, 1));
      return target;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'the folder is not writable'
          : code === 'ENOSPC' || code === 'EDQUOT'
            ? 'the disk is full'
            : code === 'ENOTDIR' || code === 'EEXIST'
              ? 'a file is in the way of that folder'
              : `the file system refused (${code ?? (e as Error).message})`;
      throw new RunStoreError(
        `Could not save the run record in ${this.folder}: ${why}. The results stay in the panel; change modelLab.runsFolder or free the folder to keep future records.`,
      );
    }
  }

  /** Deletes a record and the weights saved beside it (`<id>-weights/`); a record already gone is not an error. */
  async delete(id: string): Promise<void> {
    const file = this.file(id);
    try {
      await fs.rm(file, { force: true });
      await fs.rm(path.join(this.folder, `${id}-weights`), { recursive: true, force: true });
    } catch (e) {
      throw new RunStoreError(
        `Could not delete the run record ${id} from ${this.folder}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
      );
    }
  }

  /**
   * Names a record (`title`; an empty one gives the record its default name back): read, changed, written atomically,
   * so a crash leaves the old name or the new one. Returns the renamed record.
   */
  async rename(id: string, title: string): Promise<RunRecord> {
    const record = await this.read(id);
    const name = title.trim();
    if (name) record.title = name;
    else delete record.title;
    await this.write(record);
    return record;
  }

  /** Reads one record; a missing or damaged file is a RunStoreError. */
  async read(id: string): Promise<RunRecord> {
    const file = this.file(id);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      throw new RunStoreError(`The run record ${id} no longer exists in ${this.folder}.`);
    }
    const record = parseRecord(text);
    if (!record) throw new RunStoreError(`The run record ${file} is damaged (not a Model Lab record); delete it.`);
    return record;
  }

  /**
   * Every readable record, newest first. Temporary files from interrupted writes and damaged files are skipped
   * (and counted, so the caller can say so).
   */
  async list(): Promise<{ items: RecordListItem[]; skipped: number }> {
    let names: string[];
    try {
      names = await fs.readdir(this.folder);
    } catch {
      return { items: [], skipped: 0 };
    }
    const items: RecordListItem[] = [];
    let skipped = 0;
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      if (!isRecordId(id)) continue;
      try {
        const record = parseRecord(await fs.readFile(path.join(this.folder, name), 'utf8'));
        if (record) items.push(listItem(record));
        else skipped++;
      } catch {
        skipped++;
      }
    }
    items.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    return { items, skipped };
  }
}

export { isUnfinished };

/**
 * A record read back while no session trains it: runs it saved as running or queued died with the process that
 * trained them (a window reload, a crash). Marks them cancelled, keeping their finished epochs. Returns the record.
 */
export function markInterrupted(record: RunRecord): RunRecord {
  for (const run of record.runs) {
    if (isUnfinished(run)) {
      run.status = 'cancelled';
      run.error = 'Interrupted before it finished (VS Code closed or reloaded); finished epochs are kept.';
      delete run.progress;
    }
  }
  record.active = false;
  return record;
}

/** A record, or undefined when the text is not one (shape-checked, not trusted blindly). */
export function parseRecord(text: string): RunRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isRecord(value) && isRecordId(value.id) ? value : undefined;
}
