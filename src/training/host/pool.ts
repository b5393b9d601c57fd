/**
 * Runs training in worker processes, at most `size` at a time (one per core by default: the wasm backend is
 * single-threaded, so separate processes are how runs share the machine). Each run is its own `fork` of
 * dist/worker.js speaking WorkerRequest / WorkerEvent, so a run that crashes or runs out of memory takes only itself
 * down: its result says so and keeps everything the worker had sent.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { RunResult, RunSpec, WorkerEvent } from '../../protocol';
import { parallelRunsAdvice, type Audience } from '../advice';
import { defaultWorkerPath } from '../paths';
import { workerV8Flags } from '../wasm-features';
import { applyEvent, epochsDone, newRunResult } from './run-fold';
import { isWorkerEvent } from '../worker-messages';
import { WorkerWatch, watchTimesFromEnv, type WatchTimes } from './worker-watch';

export interface RunPoolOptions {
  /** Parallel workers; default: the cores this process may use (os.availableParallelism). */
  size?: number;
  /** Default: dist/worker.js next to the running bundle, or in the package root when running from src/. */
  workerPath?: string;
  /** Node flags for the workers; default none (a test runner's `--import tsx` is not needed by the bundle). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Where the workers' stderr goes as it arrives (the editor's log, say); default the parent's stderr. */
  onStderr?: (text: string) => void;
  /** Who reads crash messages: they name `--workers` on the command line, the setting in the editor. */
  audience?: Audience;
  /** Stop grace period and silence watchdog (default: worker-watch.ts, or MODEL_LAB_STOP_GRACE_MS / MODEL_LAB_WATCHDOG_MS). */
  watch?: WatchTimes;
}

export interface RunHandle {
  runId: string;
  /** Resolves when the run ends, whatever the way; never rejects. */
  result: Promise<RunResult>;
  /** Ends the run after its current batch (a queued run is cancelled before it starts). */
  stop(): void;
  /** The worker's process id while it runs (for diagnostics and tests). */
  readonly pid?: number;
}

/** How much of a worker's stderr is kept: the last words before a crash, and room for a phrase split across chunks. */
const STDERR_TAIL_BYTES = 4096;

/** What V8 prints when a process runs out of heap ("FATAL ERROR: … Allocation failed - JavaScript heap out of memory"). */
const OUT_OF_MEMORY = /heap out of memory|JavaScript heap|Allocation failed/i;

interface Job {
  spec: RunSpec;
  onEvent: (e: WorkerEvent) => void;
  result: RunResult;
  resolve: (r: RunResult) => void;
  child?: ChildProcess;
  stderr: StderrWatch;
  stopRequested: boolean;
  settled: boolean;
  watch?: WorkerWatch;
  startedAt: number;
}

export class RunPool {
  readonly size: number;
  private readonly workerPath: string;
  private readonly execArgv: string[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly onStderr: (text: string) => void;
  private readonly audience?: Audience;
  private readonly watchTimes: WatchTimes;
  private readonly queue: Job[] = [];
  private readonly active = new Set<Job>();
  private disposed = false;

  constructor(opts: RunPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.size ?? availableParallelism()));
    this.workerPath = opts.workerPath ?? defaultWorkerPath();
    this.execArgv = opts.execArgv ?? [];
    this.env = opts.env ?? process.env;
    this.onStderr = opts.onStderr ?? ((text) => process.stderr.write(text));
    this.audience = opts.audience;
    this.watchTimes = opts.watch ?? watchTimesFromEnv(this.env);
  }

  /**
   * Queues a run. Every event is folded into `result` (a new one by default) before `onEvent` sees it, so a caller
   * that passes its record's run reads the same state the pool settles on, with no second fold.
   */
  run(
    spec: RunSpec,
    onEvent: (e: WorkerEvent) => void,
    result: RunResult = newRunResult(spec, spec.definition.fit?.epochs ?? 1),
  ): RunHandle {
    let resolve!: (r: RunResult) => void;
    const settled = new Promise<RunResult>((r) => (resolve = r));
    const job: Job = {
      spec,
      onEvent,
      result,
      resolve,
      stderr: new StderrWatch(),
      stopRequested: false,
      settled: false,
      startedAt: Date.now(),
    };
    if (this.disposed) {
      this.settle(job, 'cancelled', 'The run was cancelled before it started.');
    } else {
      this.queue.push(job);
      this.pump();
    }
    return {
      runId: spec.runId,
      result: settled,
      stop: () => this.stop(job),
      get pid() {
        return job.child?.pid;
      },
    };
  }

  /** Process ids of the workers running now (for diagnostics and tests). */
  pids(): number[] {
    return [...this.active].flatMap((job) =>
      job.child?.pid !== undefined && job.child.exitCode === null && job.child.signalCode === null
        ? [job.child.pid]
        : [],
    );
  }

  /** Ends everything now: queued runs are cancelled, running workers killed. */
  dispose(): void {
    this.disposed = true;
    for (const job of this.queue.splice(0)) this.settle(job, 'cancelled', 'The run was cancelled before it started.');
    for (const job of this.active) {
      job.stopRequested = true;
      job.child?.kill('SIGKILL');
    }
  }

  private stop(job: Job): void {
    if (job.settled) return;
    job.stopRequested = true;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(job, 'cancelled', undefined);
      return;
    }
    if (job.child?.connected) job.child.send({ type: 'stop' });
    job.watch?.stopSent();
  }

  private pump(): void {
    while (!this.disposed && this.active.size < this.size && this.queue.length) {
      const job = this.queue.shift()!;
      this.active.add(job);
      this.start(job);
    }
  }

  private start(job: Job): void {
    job.startedAt = Date.now();
    let child: ChildProcess;
    try {
      child = fork(this.workerPath, [], {
        // Relaxed-SIMD FMA for the fused engine's products, where this V8 keeps it behind a flag.
        execArgv: [...workerV8Flags(), ...this.execArgv],
        // Inside VS Code, process.execPath is Electron: this makes it behave as plain Node. TF_CPP_MIN_LOG_LEVEL=2
        // keeps native TensorFlow (tfjs-node) to warnings and errors instead of its start-up info lines.
        env: { TF_CPP_MIN_LOG_LEVEL: '2', ...this.env, ELECTRON_RUN_AS_NODE: '1' },
        // stderr is piped (and passed on) so that a crash can be explained by what the worker said before dying.
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      });
    } catch (e) {
      this.finishJob(
        job,
        'failed',
        `The training process could not start: ${e instanceof Error ? e.message : String(e)}.`,
      );
      return;
    }
    job.child = child;
    const watch = (job.watch = new WorkerWatch(child, this.watchTimes));
    // Decoded by the stream, so a character split between two chunks stays whole.
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      job.stderr.add(text);
      try {
        this.onStderr(text);
      } catch {
        // Losing a log line must not lose the run.
      }
    });
    child.on('message', (message) => {
      watch.alive();
      if (!isWorkerEvent(message) || message.runId !== job.spec.runId || job.settled) return;
      this.deliver(job, message);
      if (message.type === 'finished') {
        this.finishJob(job, message.status, message.error, message.durationMs);
        // The worker exits by itself once its last message is out; this covers one that lingers.
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }
    });
    child.on('error', (e) => {
      if (!job.settled) this.finishJob(job, 'failed', `The training process failed: ${e.message}.`);
    });
    // 'close' rather than 'exit': it comes once stderr is drained, so the tail holds the worker's last words.
    child.on('close', (code, signal) => {
      watch.close();
      if (!job.settled && watch.killed) {
        this.finishJob(
          job,
          watch.killed === 'stop-timeout' ? 'cancelled' : 'failed',
          watch.message(epochsDone(job.result), job.result.epochs),
        );
      } else if (!job.settled) {
        // Killed by dispose() (VS Code closing or reloading, the CLI exiting): a stop, not a crash.
        if (this.disposed && job.stopRequested)
          this.finishJob(job, 'cancelled', 'Stopped because Model Lab shut down; finished epochs are kept.');
        // Ctrl-C reaches the whole process group: a worker ended by an interrupt (SIGINT, the exit 130 of a second
        // Ctrl-C, or SIGTERM after its stop was asked for) was stopped by the user. Any other death — SIGKILL from the
        // kernel's OOM killer included — is a crash even after a stop request.
        else if (
          !job.stderr.outOfMemory &&
          (signal === 'SIGINT' || code === 130 || (job.stopRequested && signal === 'SIGTERM'))
        ) {
          this.finishJob(job, 'cancelled');
        } else
          this.finishJob(
            job,
            'failed',
            crashMessage(
              code,
              signal,
              job.stderr.outOfMemory,
              epochsDone(job.result),
              job.result.epochs,
              this.audience && parallelRunsAdvice(this.audience),
            ),
          );
      }
      this.active.delete(job);
      this.pump();
    });
    child.send({ type: 'start', run: job.spec });
    if (job.stopRequested) {
      child.send({ type: 'stop' });
      watch.stopSent();
    }
  }

  private deliver(job: Job, event: WorkerEvent): void {
    applyEvent(job.result, event);
    try {
      job.onEvent(event);
    } catch (e) {
      // A listener's bug must not take the run down with it.
      process.stderr.write(`model-lab: a run listener failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    }
  }

  /** Ends a job that had started: tells the listener (unless the worker already did) and resolves. */
  private finishJob(job: Job, status: 'completed' | 'cancelled' | 'failed', error?: string, durationMs?: number): void {
    if (job.settled) return;
    if (job.result.status !== status || (error && job.result.error !== error)) {
      this.deliver(job, {
        type: 'finished',
        runId: job.spec.runId,
        status,
        ...(error ? { error } : {}),
        durationMs: durationMs ?? Date.now() - job.startedAt,
      });
    }
    job.settled = true;
    job.resolve(job.result);
  }

  private settle(job: Job, status: 'cancelled', error: string | undefined): void {
    this.finishJob(job, status, error, 0);
  }
}

/**
 * Watches a worker's stderr for V8's out-of-memory report. The report is followed by a native stack trace that can
 * be longer than the kept tail, so each chunk is checked as it arrives (joined to the tail, for a split phrase).
 */
export class StderrWatch {
  /** The last STDERR_TAIL_BYTES characters written. */
  tail = '';
  outOfMemory = false;

  add(text: string): void {
    const joined = this.tail + text;
    if (OUT_OF_MEMORY.test(joined)) this.outOfMemory = true;
    this.tail = joined.slice(-STDERR_TAIL_BYTES);
  }
}

/** One sentence for a worker that died without finishing: what happened, what was kept, what to do. */
export function crashMessage(
  code: number | null,
  signal: NodeJS.Signals | null,
  outOfMemory: boolean,
  done: number,
  epochs: number,
  parallelHint = 'modelLab.maxParallelRuns / --workers',
): string {
  const progress = `after ${done} of ${epochs} epoch${epochs === 1 ? '' : 's'}`;
  if (outOfMemory) {
    return `The training process ran out of memory ${progress}; lower batch_size or the model size, or train fewer runs at once (${parallelHint}).`;
  }
  const how = signal ? `signal ${signal}` : `exit code ${code}`;
  const kept = done > 0 ? 'the finished epochs are kept — ' : '';
  return `The training process exited unexpectedly (${how}) ${progress}; ${kept}run it again, and if it keeps happening see the Model Lab log.`;
}
