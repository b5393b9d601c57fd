/**
 * Writing a file the user named (`--json`, `--html`, `--keras`, Export as Keras Script) without destroying what is
 * there. A symlink is written through: the new content replaces the file it points at, atomically (a temporary file
 * beside the real file, then a rename), and the link stays a link. A device or FIFO (`/dev/stdout`, `/dev/null`, a
 * named pipe) is written directly, never replaced by a regular file. An output that is one of the inputs (the model
 * file, its CSV) or another output of the same command is refused before anything is written or trained.
 */
import { constants } from 'node:fs';
import { lstat, open, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../data/write-atomic';

/** The path a write to `file` really lands on: symlinks (and symlinked folders) followed, even a dangling link. */
export async function realTarget(file: string): Promise<string> {
  let path = resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    const info = await lstat(path).catch(() => undefined);
    if (!info) break;
    if (!info.isSymbolicLink()) return realpath(path);
    path = resolve(dirname(path), await readlink(path));
  }
  // Missing (or a dangling link's target): its folder may still be a link.
  const dir = await realpath(dirname(path)).catch(() => dirname(path));
  return resolve(dir, basename(path));
}

/** Whether the file is something other than a regular file or folder: a device, FIFO or socket. */
async function isSpecial(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return !!info && !info.isFile() && !info.isDirectory();
}

/**
 * Writes `content` to `file` as described above. Folders on the way are created. A write to a special file is
 * done in place; a regular file is replaced atomically and keeps its permissions.
 */
export async function writeOutputFile(file: string, content: string | Uint8Array): Promise<void> {
  const target = await realTarget(file);
  if (await isSpecial(target)) {
    // Opened without blocking first: a FIFO nobody reads fails with ENXIO at once instead of hanging the command.
    // That handle stays open while a blocking one writes, so a reader never sees the writer go away half-way.
    let probe;
    try {
      probe = await open(target, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
      throw Object.assign(new Error(`nothing is reading the pipe ${target}`), { code: 'ENXIO' });
    }
    try {
      const handle = await open(target, constants.O_WRONLY);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
    } finally {
      await probe.close();
    }
    return;
  }
  const mode = (await stat(target).catch(() => undefined))?.mode;
  await writeFileAtomic(target, content, { mode });
}

export interface NamedPath {
  /** How the user named it: `--json out.json`, `the model file`. */
  what: string;
  path: string;
}

/** A file's identity for "is this the same file": device and inode when it exists, else its real path. */
async function identity(path: string): Promise<string | undefined> {
  const target = await realTarget(path);
  const info = await stat(target).catch(() => undefined);
  if (info && !info.isFile() && !info.isDirectory()) return undefined; // /dev/null twice is fine
  return info ? `${info.dev}:${info.ino}` : target;
}

/**
 * Why these outputs cannot be written (one sentence), or undefined: an output that is an input, or the same file as
 * another output (through a symlink or a hard link too). Devices and FIFOs may be named more than once.
 */
export async function outputClash(
  outputs: readonly NamedPath[],
  inputs: readonly NamedPath[],
): Promise<string | undefined> {
  const seen = new Map<string, NamedPath>();
  for (const input of inputs) {
    const id = await identity(input.path);
    if (id) seen.set(id, input);
  }
  const inputIds = new Set(seen.keys());
  for (const out of outputs) {
    const id = await identity(out.path);
    if (!id) continue;
    const other = seen.get(id);
    if (other) {
      return inputIds.has(id)
        ? `${out.what} is ${other.what} itself; writing it would destroy the input, so choose another file name`
        : `${out.what} and ${other.what} are the same file; give each output its own file name`;
    }
    seen.set(id, out);
  }
  return undefined;
}
