/**
 * The one parent-side driver of a training session, for the extension's trainer and the CLI alike:
 *
 *   record id → plan (once) → preflight → runs on the pool → stop → save after every epoch → final save
 *
 * Front ends differ only in how they show it, through a small `SessionReporter`, and where the record goes, through
 * a `RecordSink` (the editor's RunStore; the CLI writes its --json at the end). Saves of one record are serialised,
 * each one atomic and flushed to disk (`data/write-atomic.ts` is the one fsync policy).
 */
import type { RunRecord, RunResult, RunSpec, WorkerEvent } from '../../protocol';
import { newRecordId } from './record-file';
import type { RunPool } from './pool';
import { preflight } from './preflight';
import { planRuns, TrainingSession, type SessionOptions } from './session';

/** What a front end is told while a session runs. Every method is optional; none may throw (errors are logged). */
export interface SessionReporter {
  /** Preflight progress: data-loading steps, and a download's fraction (0…1). */
  preparing?(message: string, fraction?: number): void;
  /** Training begins: every run of the record is queued. */
  started?(record: RunRecord): void;
  /** A worker event, after it was folded into `run` (once, by the pool). */
  event?(record: RunRecord, run: RunResult, event: WorkerEvent): void;
  /** A save of the record failed; the record stays in memory and later saves are still tried. */
  saveFailed?(error: Error, record: RunRecord): void;
}

/** Where a record is kept while it trains and after (an atomic, flushed write each time). */
export interface RecordSink {
  write(record: RunRecord): Promise<unknown>;
}

export interface DriverOptions extends Omit<SessionOptions, 'id' | 'onUpdate' | 'saveWeightsDir'> {
  pool: RunPool;
  reporter?: SessionReporter;
  /** Saved after every finished epoch and at the end. Without it the caller saves the returned record. */
  sink?: RecordSink;
  /** When set, runs save their weights under `<weightsFolder>/<record id>-weights/<run id>/`. */
  weightsFolder?: string;
  /** Aborting it stops the session: before training nothing starts, during training every run stops. */
  signal?: AbortSignal;
  /** The record id; default a new sortable id (`newRecordId`). */
  id?: string;
}

export type DriveOutcome =
  /** Training ran (completed, stopped or failed runs alike); the final save was attempted. */
  | { state: 'trained'; record: RunRecord; saved: boolean }
  /** Stopped before any run started (during the preflight). */
  | { state: 'stopped' };

export class SessionDriver {
  readonly id: string;
  /** The runs, planned once: the preflight and the session train exactly these. */
  readonly specs: RunSpec[];
  private session: TrainingSession | undefined;
  private readonly preparing = new AbortController();
  private stopped = false;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DriverOptions) {
    this.id = options.id ?? newRecordId(options.kind, options.summary.name);
    const { weightsFolder } = options;
    this.specs = planRuns({
      ...options,
      id: this.id,
      saveWeightsDir: weightsFolder ? `${weightsFolder}/${this.id}-weights` : undefined,
    });
  }

  /** The live record once training has begun. */
  get record(): RunRecord | undefined {
    return this.session?.record;
  }

  /** The pool the runs train on. */
  get pool(): RunPool {
    return this.options.pool;
  }

  /**
   * Runs the whole session. Rejects only when the preflight finds a problem every run would have (BackendError,
   * DataError): nothing was trained then.
   */
  async run(): Promise<DriveOutcome> {
    const { signal, reporter = {} } = this.options;
    const onAbort = () => this.stop();
    if (signal?.aborted) this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      try {
        await preflight(this.specs, {
          signal: this.preparing.signal,
          onProgress: (m, f) => call(() => reporter.preparing?.(m, f)),
        });
      } catch (e) {
        if (this.stopped) return { state: 'stopped' };
        throw e;
      }
      if (this.stopped) return { state: 'stopped' };
      const onUpdate = (record: RunRecord, run: RunResult, event: WorkerEvent) => {
        call(() => reporter.event?.(record, run, event));
        if (event.type === 'epoch') void this.save(record).catch(() => undefined);
      };
      const session = new TrainingSession(this.options.pool, { ...this.options, id: this.id, onUpdate }, this.specs);
      this.session = session;
      call(() => reporter.started?.(session.record));
      const record = await session.done;
      const saved = await this.save(record).then(
        () => true,
        () => false,
      );
      return { state: 'trained', record, saved };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stops one run, or the whole session (a preflight in progress is abandoned, and nothing then starts). */
  stop(runId?: string): void {
    if (runId !== undefined) {
      this.session?.stop(runId);
      return;
    }
    this.stopped = true;
    this.preparing.abort();
    this.session?.stop();
  }

  /** Saves through the sink, one write at a time per record; a failure goes to the reporter and rejects. */
  private save(record: RunRecord): Promise<void> {
    const { sink, reporter } = this.options;
    if (!sink) return Promise.resolve();
    const next = this.writes.then(() =>
      sink.write(record).then(
        () => undefined,
        (e: unknown) => {
          const error = e instanceof Error ? e : new Error(String(e));
          call(() => reporter?.saveFailed?.(error, record));
          throw error;
        },
      ),
    );
    this.writes = next.catch(() => undefined);
    return next;
  }
}

/** A reporter's bug must not take the session down with it. */
function call(f: () => void): void {
  try {
    f();
  } catch (e) {
    process.stderr.write(`model-lab: a session reporter failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  }
}
