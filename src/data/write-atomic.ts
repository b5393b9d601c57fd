/**
 * How every Model Lab file reaches the disk (run records, trained weights, optimizer state, the CLI's and the
 * panel's outputs): a temporary file beside the final one, flushed with fsync, then renamed over it. Readers see the
 * previous version or the new one, never a part; a crash, a full disk or Ctrl-C leaves no half file, and a power cut
 * after the rename cannot leave an empty one. Lives in `src/data` (the lowest layer that touches files) so the
 * worker, the session driver, the panel and the CLI share it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits for the new file (an existing file's, so a replaced file keeps them). */
  mode?: number;
}

/**
 * Writes `content` to `file` atomically. Folders on the way are created; the temporary file is removed when anything
 * fails. Errors are the file system's (a path through a file says ENOTDIR), for the caller to put in its own words.
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    // mkdir -p says EEXIST when a part of the path is a file: for the user, that part is not a folder.
    throw e.code === 'EEXIST'
      ? Object.assign(new Error(`a part of ${dir} is a file, not a folder`), { code: 'ENOTDIR' })
      : e;
  });
  // Hidden, and ending in .tmp: run folders list and git-ignore `*.tmp` leftovers of a killed process.
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (opts.mode !== undefined) await chmod(tmp, opts.mode & 0o7777);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
