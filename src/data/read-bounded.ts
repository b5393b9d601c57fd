/**
 * The one way Model Lab reads a whole file it was pointed at (a model file, an IDX or npz file, a CSV): only a
 * regular file, and never more than a limit. `stat().size` is 0 for a FIFO, /dev/zero or /dev/urandom, so a size
 * check alone lets them hang a command or grow memory without bound; here the opened file itself is checked (no
 * race with a rename), a FIFO is opened without waiting for a writer, and at most `limit + 1` bytes are ever read.
 */
import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

export type ReadRefusal = 'missing' | 'folder' | 'special' | 'too-large' | 'unreadable';

/** Why a file was not read; `message` is one sentence naming the file (the caller adds what to do). */
export class BoundedReadError extends Error {
  override readonly name = 'BoundedReadError';
  constructor(
    message: string,
    readonly reason: ReadRefusal,
    readonly code?: string,
    /** The file's size when it was refused as too large and its size is known. */
    readonly size?: number,
  ) {
    super(message);
  }
}

/** "a FIFO (named pipe)", "a character device": what a non-regular file is, for messages. */
export function describeFileKind(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  if (s.isFile()) return 'a file';
  return 'not a regular file';
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 / 1024 / 1024).toFixed(1)} GB`;
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

function refusal(file: string, s: Stats): BoundedReadError | undefined {
  if (s.isFile()) return undefined;
  if (s.isDirectory()) return new BoundedReadError(`${file} is a folder, not a file`, 'folder');
  return new BoundedReadError(`${file} is ${describeFileKind(s)}, not a regular file`, 'special');
}

function tooLarge(file: string, size: number | undefined, limit: number): BoundedReadError {
  const what = size === undefined ? `larger than ${formatBytes(limit)}` : `${formatBytes(size)}, larger than the ${formatBytes(limit)} allowed`;
  return new BoundedReadError(`${file} is ${what}`, 'too-large', undefined, size);
}

function ioError(file: string, e: unknown): BoundedReadError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new BoundedReadError(`${file} does not exist`, 'missing', code);
  if (code === 'EISDIR') return new BoundedReadError(`${file} is a folder, not a file`, 'folder', code);
  return new BoundedReadError(`cannot read ${file} (${code ?? (e instanceof Error ? e.message : String(e))})`, 'unreadable', code);
}

/**
 * Checks that `file` is a regular file of at most `limit` bytes without reading it (for callers that stream it):
 * throws BoundedReadError otherwise, and returns its size.
 */
export async function checkRegularFile(file: string, limit: number): Promise<number> {
  let s: Stats;
  try {
    s = await stat(file);
  } catch (e) {
    throw ioError(file, e);
  }
  const refused = refusal(file, s);
  if (refused) throw refused;
  if (s.size > limit) throw tooLarge(file, s.size, limit);
  return s.size;
}

/** The bytes of `file`, a regular file of at most `limit` bytes; anything else throws BoundedReadError. */
export async function readFileBounded(file: string, limit: number): Promise<Buffer> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the file is refused right after by its fstat.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw ioError(file, e);
  }
  try {
    const s = await handle.stat();
    const refused = refusal(file, s);
    if (refused) throw refused;
    if (s.size > limit) throw tooLarge(file, s.size, limit);
    // The size may have grown since the stat (a file being written): read at most one byte past the limit.
    const buffer = Buffer.allocUnsafe(Math.min(limit + 1, s.size + 1));
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) break;
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > limit) throw tooLarge(file, undefined, limit);
    return buffer.subarray(0, filled);
  } catch (e) {
    if (e instanceof BoundedReadError) throw e;
    throw ioError(file, e);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
