/**
 * Members of a `.tar.gz` (the CIFAR archives Keras downloads), streamed: the archive is gunzipped chunk by chunk and
 * only the members asked for are kept, one at a time, so memory is one member (31 MB for a CIFAR-10 batch), not the
 * 180 MB archive. Sizes are checked against limits before a byte is kept, and the whole stream is bounded too.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { DataError, formatCount, throwIfAborted } from './errors';

export interface TarGzOptions {
  /** Whether to keep a member, by its path inside the archive. */
  wanted: (path: string) => boolean;
  /** Called with each wanted member in archive order; its bytes are released after it returns. */
  onMember: (path: string, bytes: Buffer) => void;
  /** Refuse a wanted member larger than this. */
  maxMemberBytes: number;
  /** Stop reading an archive that unpacks to more than this. */
  maxTotalBytes: number;
  signal?: AbortSignal;
}

const BLOCK = 512;

export async function readTarGz(file: string, opts: TarGzOptions): Promise<void> {
  const bad = (what: string) => new DataError(`${file} is not a valid .tar.gz archive: ${what}. Delete it and download again.`);
  const stream = createReadStream(file).pipe(createGunzip());
  let pending: Buffer = Buffer.alloc(0);
  let total = 0;
  // The member being read: its path, size, bytes left to consume (data + padding), and its buffer when wanted.
  let current: { path: string; size: number; left: number; buf?: Buffer; filled: number } | undefined;
  let ended = false;
  let zeroBlocks = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      throwIfAborted(opts.signal, `Reading ${file}`);
      total += chunk.length;
      if (total > opts.maxTotalBytes) throw bad(`it unpacks to more than ${formatCount(opts.maxTotalBytes)} bytes`);
      if (ended) continue;
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let p = 0;
      for (;;) {
        if (current) {
          const take = Math.min(current.left, pending.length - p);
          if (take === 0) break;
          if (current.buf) {
            const dataLeft = current.size - current.filled;
            const n = Math.min(take, dataLeft);
            if (n > 0) pending.copy(current.buf, current.filled, p, p + n);
            current.filled += n;
          }
          current.left -= take;
          p += take;
          if (current.left === 0) {
            if (current.buf) opts.onMember(current.path, current.buf);
            current = undefined;
          }
          continue;
        }
        if (pending.length - p < BLOCK) break;
        const header = pending.subarray(p, p + BLOCK);
        p += BLOCK;
        if (header.every((b) => b === 0)) {
          if (++zeroBlocks === 2) {
            ended = true;
            break;
          }
          continue;
        }
        zeroBlocks = 0;
        if (!checksumOk(header)) throw bad('a member header fails its checksum');
        const size = octal(header.subarray(124, 136));
        if (size === undefined) throw bad('a member header has an unreadable size');
        const type = String.fromCharCode(header[156] || 0x30);
        const name = cString(header.subarray(0, 100));
        const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? cString(header.subarray(345, 500)) : '';
        const path = prefix ? `${prefix}/${name}` : name;
        const padded = Math.ceil(size / BLOCK) * BLOCK;
        const keep = (type === '0' || type === '7') && opts.wanted(path);
        if (keep && size > opts.maxMemberBytes) throw bad(`its member ${path} is ${formatCount(size)} bytes, more than expected`);
        current = { path, size, left: padded, buf: keep ? Buffer.alloc(size) : undefined, filled: 0 };
        if (padded === 0) {
          if (current.buf) opts.onMember(path, current.buf);
          current = undefined;
        }
      }
      pending = pending.subarray(p);
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new DataError(`Cannot read ${file} (${code}); check that it exists and is readable.`, 'not-found');
    }
    throw bad(`gunzip failed (${(e as Error).message.replace(/\.$/, '')})`);
  }
  if (current) throw bad(`it ends inside the member ${current.path} (truncated)`);
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return Buffer.from(b.subarray(0, end < 0 ? b.length : end)).toString('utf8');
}

function octal(b: Uint8Array): number | undefined {
  const text = cString(b).trim();
  if (!/^[0-7]{1,12}$/.test(text)) return undefined;
  return parseInt(text, 8);
}

function checksumOk(header: Uint8Array): boolean {
  const stored = octal(header.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return stored === sum;
}
