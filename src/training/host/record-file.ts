/**
 * A run record's identity and how any Model Lab file reaches the disk: the record id rule, and the one atomic write
 * (temporary file in the same folder, flushed with fsync, renamed over the final name) used by the editor's run store,
 * the session driver and the CLI's --json/--html, so a crash, a full disk or Ctrl-C never leaves half a file.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** A new record id: sortable by time, readable, unique: `20261128-190512-compare-fashion-mlp-3f9a`. */
export function newRecordId(kind: 'train' | 'compare', modelName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug =
    modelName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'model';
  return `${stamp}-${kind}-${slug}-${randomBytes(2).toString('hex')}`;
}

export function isRecordId(id: string): boolean {
  return RECORD_ID.test(id);
}

/**
 * Writes `content` to `file` atomically: readers see the previous version or the new one, never a part. The data is
 * flushed (fsync) before the rename, so a power cut after the rename cannot leave an empty file under the final name.
 * The folder is created when missing; the temporary file is removed when anything fails. Errors are the file
 * system's, for the caller to put in its own words.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
