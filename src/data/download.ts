/**
 * Fetches dataset files into a cache folder: each one is streamed to a temporary name, verified against a known
 * checksum, then renamed into place, so the cache never holds a partial or unverified file (and two workers
 * downloading at once just overwrite each other with identical bytes).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { DataError, throwIfAborted } from './errors';
import type { FileChecksum } from './types';

const gunzipAsync = promisify(zlib.gunzip);

export interface DownloadOptions {
  /** Base URL; file names are resolved against it. */
  baseUrl: string;
  /** File names as on the server; checksums are looked up by that name, then by the name without .gz. */
  files: string[];
  destDir: string;
  checksums: Record<string, FileChecksum>;
  /** Relative size of each file, to spread the progress fraction; unknown files weigh 1. */
  weights?: Record<string, number>;
  /** What is being downloaded, for messages: "Fashion-MNIST". */
  label: string;
  /** Another way to get the data, ending the checksum-mismatch message: "install it with …". */
  otherWay: string;
  onProgress?: (message: string, fraction?: number) => void;
  signal?: AbortSignal;
  stallTimeoutMs?: number;
}

/** A failed transfer; `reason` is short ("HTTP 404 Not Found", "ECONNREFUSED") so callers can fold it into their message. */
export class DownloadError extends DataError {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`Could not download ${url} (${reason}).`, 'download');
  }
}

const DEFAULT_STALL_MS = 30_000;
const PROGRESS_INTERVAL_MS = 100;

/** Downloads every file into `destDir`; returns their paths. Files already verified stay even if a later one fails. */
export async function downloadFiles(opts: DownloadOptions): Promise<string[]> {
  try {
    await mkdir(opts.destDir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new DataError(`Cannot create the download folder ${opts.destDir} (${code}); check its permissions or choose another cache folder.`, 'not-found');
  }
  const base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
  const weightOf = (name: string) => opts.weights?.[stripGz(name)] ?? 1;
  const totalWeight = opts.files.reduce((sum, f) => sum + weightOf(f), 0);
  let doneWeight = 0;
  let lastReport = 0;
  const out: string[] = [];
  for (const name of opts.files) {
    throwIfAborted(opts.signal, `The ${opts.label} download`);
    const url = new URL(name, base).href;
    const dest = join(opts.destDir, name);
    const temp = `${dest}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
    const report = (received: number, total: number | undefined, force: boolean) => {
      const now = Date.now();
      if (!opts.onProgress || (!force && now - lastReport < PROGRESS_INTERVAL_MS)) return;
      lastReport = now;
      const fileFraction = total ? Math.min(1, received / total) : 0;
      const fraction = (doneWeight + weightOf(name) * fileFraction) / totalWeight;
      const size = total ? `${humanSize(received)} of ${humanSize(total)}` : humanSize(received);
      opts.onProgress(`Downloading ${opts.label}: ${name} (${size})`, fraction);
    };
    try {
      const { md5, sha256, bytes } = await fetchToFile(url, temp, opts, report);
      await verify(temp, url, { md5, sha256 }, opts.checksums[name] ?? opts.checksums[stripGz(name)], opts.otherWay);
      await rename(temp, dest);
      report(bytes, bytes, true);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
    doneWeight += weightOf(name);
    out.push(dest);
  }
  return out;
}

/** Streams `url` into `file`, returning the MD5 and SHA-256 and the number of the bytes received. */
async function fetchToFile(
  url: string,
  file: string,
  opts: DownloadOptions,
  report: (received: number, total: number | undefined, force: boolean) => void,
): Promise<{ md5: string; sha256: string; bytes: number }> {
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS;
  const stall = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const armStallTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), stallMs);
  };
  const signal = opts.signal ? AbortSignal.any([opts.signal, stall.signal]) : stall.signal;
  const failed = (e: unknown): DataError => {
    if (opts.signal?.aborted) return new DataError(`The ${opts.label} download was cancelled.`, 'aborted');
    if (stall.signal.aborted) {
      return new DownloadError(url, `stalled: no data for ${stallMs >= 1000 ? `${Math.round(stallMs / 1000)} s` : `${stallMs} ms`}`);
    }
    if (e instanceof DataError) return e;
    return new DownloadError(url, networkReason(e));
  };

  armStallTimer();
  let handle;
  try {
    handle = await open(file, 'w');
  } catch (e) {
    clearTimeout(timer);
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new DataError(`Cannot write ${file} (${code}); check the cache folder's permissions and free space.`, 'not-found');
  }
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal, redirect: 'follow' });
    } catch (e) {
      throw failed(e);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new DownloadError(url, `HTTP ${response.status} ${response.statusText}`.trim());
    }
    const lengthHeader = Number(response.headers.get('content-length'));
    const total = lengthHeader > 0 ? lengthHeader : undefined;
    const hash = createHash('md5');
    const hash256 = createHash('sha256');
    let received = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        armStallTimer();
        hash.update(value);
        hash256.update(value);
        await handle.write(value);
        received += value.length;
        report(received, total, false);
      }
    } catch (e) {
      throw failed(e);
    }
    if (total !== undefined && received !== total) {
      throw new DownloadError(url, `the connection closed after ${humanSize(received)} of ${humanSize(total)}`);
    }
    return { md5: hash.digest('hex'), sha256: hash256.digest('hex'), bytes: received };
  } finally {
    clearTimeout(timer);
    await handle.close();
  }
}

/**
 * Accepts the file when its SHA-256 as downloaded (Keras's `file_hash`), its .gz MD5 (upstream Fashion-MNIST) or its
 * uncompressed SHA-256 (any recompression) matches. A file with no known checksum is never accepted.
 */
async function verify(
  file: string,
  url: string,
  got: { md5: string; sha256: string },
  expected: FileChecksum | undefined,
  otherWay: string,
): Promise<void> {
  if (expected?.sha256File && expected.sha256File.toLowerCase() === got.sha256) return;
  if (expected?.md5Gz && expected.md5Gz.toLowerCase() === got.md5) return;
  if (expected?.sha256) {
    try {
      const unpacked = await gunzipAsync(await readFile(file));
      if (createHash('sha256').update(unpacked).digest('hex') === expected.sha256.toLowerCase()) return;
    } catch {
      // Not valid gzip: falls through to the checksum error, which is the accurate description.
    }
  }
  throw new DataError(
    `The file downloaded from ${url} does not match its published checksum, so it was not kept; try again later, or ${otherWay}.`,
    'invalid',
  );
}

/** fetch's errors hide the reason in `cause`; turn the common codes into words, keeping the code to search for. */
const NETWORK_REASONS: Record<string, string> = {
  ENOTFOUND: 'host not found (ENOTFOUND)',
  EAI_AGAIN: 'host name lookup failed (EAI_AGAIN)',
  ECONNREFUSED: 'connection refused (ECONNREFUSED)',
  ECONNRESET: 'connection reset (ECONNRESET)',
  ETIMEDOUT: 'connection timed out (ETIMEDOUT)',
  ENETUNREACH: 'network unreachable (ENETUNREACH)',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'the connection closed early',
};

function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return NETWORK_REASONS[cause.code] ?? cause.code;
  return cause?.message ?? (e instanceof Error ? e.message : String(e));
}

function stripGz(name: string): string {
  return name.replace(/\.gz$/, '');
}

function humanSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;
}
