/**
 * Everything the editor says about a training session, as data: log lines per worker event, the message when it
 * ends, the status bar text, and notification increments. No VS Code here: `trainer.ts` shows them.
 */
import type { RunRecord, RunResult, WorkerEvent } from '../protocol';
import { epochsDone, isUnfinished, runName } from '../run-state';
import { formatEpochLine } from '../training/host/epoch-line';
import { callbackNotes } from '../run-state';

export interface LogLine {
  level: 'info' | 'error';
  text: string;
}

/**
 * The log line for one worker event (a comparison prefixes the run's name), or undefined for none. `said` holds the
 * sentences already logged this VS Code session: why the backend was chosen ("tfjs-node is not installed") is the
 * same for every run, so it is logged once per session, not once per run (each run's record keeps it).
 */
export function eventLogLine(
  record: RunRecord,
  run: RunResult,
  event: WorkerEvent,
  said: Set<string> = new Set(),
): LogLine | undefined {
  const tag = record.kind === 'compare' ? `[${runName(run, record.runs)}] ` : '';
  switch (event.type) {
    case 'started': {
      const d = event.dataset;
      const note = event.backendNote && !said.has(event.backendNote) ? event.backendNote : undefined;
      if (note) said.add(note);
      return {
        level: 'info',
        text: [
          ...(note ? [note] : []),
          `${tag}backend ${event.backend}; ${d.name}: ${d.train} train / ${d.validation} validation (${d.source})`,
        ].join('\n'),
      };
    }
    case 'progress':
      return { level: 'info', text: `${tag}${event.message}` };
    case 'epoch':
      return { level: 'info', text: tag + formatEpochLine(event.epoch, run.epochs, event.epochMs, event.logs) };
    case 'finished':
      return event.status === 'failed'
        ? { level: 'error', text: `${tag}failed: ${event.error ?? 'unknown error'}` }
        : {
            level: 'info',
            text: [
              `${tag}${event.status} in ${(event.durationMs / 1000).toFixed(1)} s`,
              ...callbackNotes(event).map((n) => tag + n),
            ].join('\n'),
          };
    default:
      return undefined;
  }
}

export interface EndMessage {
  level: 'info' | 'error';
  text: string;
  /** Offer to open the log (a failure's details are there). */
  offerLog: boolean;
}

/** What the editor says when a session ends. */
export function endOfRunMessage(record: RunRecord): EndMessage {
  if (record.kind === 'train') {
    const run = record.runs[0];
    if (run.status === 'failed') {
      return {
        level: 'error',
        text: `Model Lab: training ${record.model.name} failed: ${run.error ?? 'unknown error'}`,
        offerLog: true,
      };
    }
    const val = last(run.history.val_accuracy);
    const acc = val ?? last(run.history.accuracy);
    const done = epochsDone(run);
    return {
      level: 'info',
      text:
        `Model Lab: ${record.model.name} ${run.status === 'cancelled' ? 'stopped' : 'trained'} after ${done} epoch${done === 1 ? '' : 's'}` +
        (acc !== undefined ? ` — ${val !== undefined ? 'val_accuracy' : 'accuracy'} ${acc.toFixed(4)}` : ''),
      offerLog: false,
    };
  }
  const failed = record.runs.filter((r) => r.status === 'failed').length;
  const cancelled = record.runs.filter((r) => r.status === 'cancelled').length;
  const parts = [`${record.runs.length - failed - cancelled} completed`];
  if (cancelled) parts.push(`${cancelled} stopped`);
  if (failed) parts.push(`${failed} failed`);
  return {
    level: 'info',
    text: `Model Lab: comparison of ${record.model.name} finished — ${parts.join(', ')}.`,
    offerLog: false,
  };
}

/** The status bar text while sessions train, or undefined to hide it. */
export function statusText(records: readonly RunRecord[]): string | undefined {
  if (records.length === 0) return undefined;
  const runs = records.reduce((n, r) => n + r.runs.filter(isUnfinished).length, 0);
  return `$(sync~spin) Model Lab: ${runs} run${runs === 1 ? '' : 's'}`;
}

/**
 * VS Code progress takes increments; the session gives fractions. This turns each fraction (0…1, or undefined for a
 * message alone) into the increment since the last report, never negative.
 */
export class ProgressIncrements {
  private reported = 0;

  next(fraction: number | undefined): number | undefined {
    if (fraction === undefined) return undefined;
    const percent = Math.min(100, Math.max(0, fraction * 100));
    const increment = Math.max(0, percent - this.reported);
    this.reported = Math.max(this.reported, percent);
    return increment;
  }
}

function last(values: number[] | undefined): number | undefined {
  return values && values.length ? values[values.length - 1] : undefined;
}
