/**
 * Runs training in worker processes, at most `size` at a time (one per core by default: the wasm backend is
 * single-threaded, so separate processes are how runs share the machine). Each run is its own `fork` of
 * dist/worker.js speaking WorkerRequest / WorkerEvent, so a run that crashes or runs out of memory takes only itself
 * down: its result says so and keeps everything the worker had sent.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import type { RunResult, RunSpec, WorkerEvent } from '../protocol';
import { defaultWorkerPath } from './paths';
import { applyEvent, epochsDone, newRunResult } from './session';
import { isWorkerEvent } from './worker-messages';

export interface RunPoolOptions {
  /** Parallel workers; default: the number of CPU cores. */
  size?: number;
  /** Default: dist/worker.js next to the running bundle, or in the package root when running from src/. */
  workerPath?: string;
  /** Node flags for the workers; default none (a test runner's `--import tsx` is not needed by the bundle). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
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

interface Job {
  spec: RunSpec;
  onEvent: (e: WorkerEvent) => void;
  result: RunResult;
  resolve: (r: RunResult) => void;
  child?: ChildProcess;
  stopRequested: boolean;
  settled: boolean;
  startedAt: number;
}

export class RunPool {
  readonly size: number;
  private readonly workerPath: string;
  private readonly execArgv: string[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly queue: Job[] = [];
  private readonly active = new Set<Job>();
  private disposed = false;

  constructor(opts: RunPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.size ?? cpus().length ?? 1));
    this.workerPath = opts.workerPath ?? defaultWorkerPath();
    this.execArgv = opts.execArgv ?? [];
    this.env = opts.env ?? process.env;
  }

  run(spec: RunSpec, onEvent: (e: WorkerEvent) => void): RunHandle {
    let resolve!: (r: RunResult) => void;
    const result = new Promise<RunResult>((r) => (resolve = r));
    const job: Job = {
      spec,
      onEvent,
      result: newRunResult(spec, spec.definition.fit?.epochs ?? 1),
      resolve,
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
      result,
      stop: () => this.stop(job),
      get pid() {
        return job.child?.pid;
      },
    };
  }

  stopAll(): void {
    for (const job of [...this.queue, ...this.active]) this.stop(job);
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
        execArgv: this.execArgv,
        // Inside VS Code, process.execPath is Electron: this makes it behave as plain Node.
        env: { ...this.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
    } catch (e) {
      this.finishJob(job, 'failed', `The training process could not start: ${e instanceof Error ? e.message : String(e)}.`);
      return;
    }
    job.child = child;
    child.on('message', (message) => {
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
    child.on('exit', (code, signal) => {
      if (!job.settled) {
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        const done = epochsDone(job.result);
        this.finishJob(
          job,
          'failed',
          `The training process exited unexpectedly (${how}) after ${done} of ${job.result.epochs} epoch${job.result.epochs === 1 ? '' : 's'}.`,
        );
      }
      this.active.delete(job);
      this.pump();
    });
    child.send({ type: 'start', run: job.spec });
    if (job.stopRequested) child.send({ type: 'stop' });
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
