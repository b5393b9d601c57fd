/**
 * Errors the user can fix (a missing, truncated or malformed data file, a bad CSV cell, a failed download).
 * Callers tell them apart from bugs with `instanceof DataError` and show `message` as one line, without a stack.
 */
export type DataErrorCode =
  /** The data is not in any folder searched and could not be downloaded. */
  | 'not-found'
  /** A file exists but its content is wrong (truncated, bad magic number, bad checksum, bad CSV cell). */
  | 'invalid'
  /** A download failed (HTTP error, network error, stalled). */
  | 'download'
  /** The request's AbortSignal fired. */
  | 'aborted'
  /** The dataset spec itself is wrong (unknown name, CSV without label). */
  | 'spec';

export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    message: string,
    readonly code: DataErrorCode = 'invalid',
  ) {
    super(message);
  }
}

/** 47040016 → "47,040,016": byte and example counts in messages are read by people. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new DataError(`${what} was cancelled.`, 'aborted');
}
