/**
 * "This will take a while": after the first steps of a session have been timed, projects how long the whole
 * session will take and says so once when it passes a threshold (two minutes by default), so the user can stop
 * before waiting half an hour for a CNN on the full data set. Pure: fed the session's events and a clock.
 */
import type { RunRecord, RunResult, WorkerEvent } from '../../protocol';

export interface LongJobOptions {
  /** Warn when the projected total passes this many milliseconds. */
  thresholdMs?: number;
  /** Runs trained at once (the pool size). */
  parallel: number;
  /** Steps timed before projecting; fewer would be noise. */
  minSteps?: number;
  now?: () => number;
}

interface Timing {
  epoch: number;
  batch: number;
  at: number;
}

/** Feed it every event; `observe` returns the projected total (ms) the first time it passes the threshold, once. */
export class LongJobWatch {
  private readonly first = new Map<string, Timing>();
  private readonly rate = new Map<string, number>();
  private said = false;
  private readonly started: number;

  constructor(private readonly o: LongJobOptions) {
    this.started = this.now();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  observe(record: RunRecord, event: WorkerEvent): number | undefined {
    if (this.said || event.type !== 'batch') return undefined;
    const at = this.now();
    const first = this.first.get(event.runId);
    if (!first || first.epoch !== event.epoch || event.batch <= first.batch) {
      this.first.set(event.runId, { epoch: event.epoch, batch: event.batch, at });
      return undefined;
    }
    const steps = event.batch - first.batch;
    if (steps < (this.o.minSteps ?? 20) || at <= first.at) return undefined;
    this.rate.set(event.runId, (at - first.at) / steps);
    const total = projectMs(record.runs, this.rate, this.o.parallel);
    if (total === undefined || at - this.started + total < (this.o.thresholdMs ?? 120_000)) return undefined;
    this.said = true;
    return total;
  }
}

/** Milliseconds the session still needs: every run's remaining steps at the measured time per step, spread over the workers. */
export function projectMs(runs: RunResult[], msPerStep: Map<string, number>, parallel: number): number | undefined {
  const rates = [...msPerStep.values()];
  if (!rates.length) return undefined;
  const typical = rates.reduce((a, b) => a + b, 0) / rates.length;
  let work = 0;
  for (const run of runs) {
    if (run.status !== 'queued' && run.status !== 'running') continue;
    const batches = run.progress?.batches;
    if (!batches) {
      // Not started yet: as long as a started run of the same session.
      const known = runs.find((r) => r.progress?.batches);
      if (!known?.progress) continue;
      work += known.progress.batches * Math.max(1, run.epochs) * typical;
      continue;
    }
    const done = Math.max(0, ...Object.values(run.history).map((h) => h.length)) * batches + run.progress!.batch;
    work += Math.max(0, batches * Math.max(1, run.epochs) - done) * (msPerStep.get(run.runId) ?? typical);
  }
  return work / Math.max(1, Math.min(parallel, runs.length));
}

/** "about 14 min", "about 2 h 10 min". */
export function formatEstimate(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 60) return `about ${Math.max(1, min)} min`;
  return `about ${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}
