/**
 * Keeps a worker process from hanging its host: a stop that is not honoured within a grace period becomes a kill
 * (a worker stopped with SIGSTOP, or stuck in a long computation, never reads its `stop`), and a worker silent for
 * longer than the watchdog limit (no event and no heartbeat) is killed as wedged. The pool asks `why` when the
 * process closes, to report a cancelled run or a failure with the right sentence; what the worker had sent is kept.
 */
import type { ChildProcess } from 'node:child_process';
export { HEARTBEAT_MS } from '../worker-messages';

/** How long a worker has to end after `stop` before it is killed. */
export const STOP_GRACE_MS = 10_000;
/** Silence after which a worker counts as wedged; generous, since a single batch of a big model is one long call. */
export const WATCHDOG_MS = 120_000;

export interface WatchTimes {
  graceMs?: number;
  watchdogMs?: number;
}

/** Times from MODEL_LAB_STOP_GRACE_MS / MODEL_LAB_WATCHDOG_MS when set (tests, slow machines), else the defaults. */
export function watchTimesFromEnv(env: NodeJS.ProcessEnv): WatchTimes {
  const read = (name: string) => {
    const n = Number(env[name]);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  };
  return { graceMs: read('MODEL_LAB_STOP_GRACE_MS'), watchdogMs: read('MODEL_LAB_WATCHDOG_MS') };
}

export type KillReason = 'stop-timeout' | 'silent';

export class WorkerWatch {
  /** Why the watch killed the worker, if it did. */
  killed?: KillReason;
  private lastSeen = Date.now();
  private readonly timer: NodeJS.Timeout;
  private graceTimer?: NodeJS.Timeout;
  readonly graceMs: number;
  readonly watchdogMs: number;

  constructor(
    private readonly child: ChildProcess,
    times: WatchTimes = {},
  ) {
    this.graceMs = times.graceMs ?? STOP_GRACE_MS;
    this.watchdogMs = times.watchdogMs ?? WATCHDOG_MS;
    this.timer = setInterval(
      () => {
        if (Date.now() - this.lastSeen > this.watchdogMs) this.kill('silent');
      },
      Math.min(1000, this.watchdogMs / 4),
    );
    this.timer.unref();
  }

  /** Any message from the worker (an event or a heartbeat). */
  alive(): void {
    this.lastSeen = Date.now();
  }

  /** A stop was sent: the worker has `graceMs` to end. */
  stopSent(): void {
    if (this.graceTimer) return;
    this.graceTimer = setTimeout(() => this.kill('stop-timeout'), this.graceMs);
    this.graceTimer.unref();
  }

  /** The process is gone: no more timers. */
  close(): void {
    clearInterval(this.timer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
  }

  private kill(reason: KillReason): void {
    if (this.killed || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.killed = reason;
    this.close();
    // SIGKILL also ends a process stopped with SIGSTOP, which ignores every other signal until continued.
    this.child.kill('SIGKILL');
  }

  /** The sentence for a run the watch killed. */
  message(done: number, epochs: number): string {
    const progress = `after ${done} of ${epochs} epoch${epochs === 1 ? '' : 's'}`;
    const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
    return this.killed === 'stop-timeout'
      ? `The training process did not stop within ${seconds(this.graceMs)} of being asked, so it was killed ${progress}; the finished epochs are kept.`
      : `The training process stopped responding for ${seconds(this.watchdogMs)} (suspended or stuck), so it was killed ${progress}; the finished epochs are kept — run it again, and if it keeps happening see the Model Lab log.`;
  }
}
