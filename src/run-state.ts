/**
 * The questions every front end asks about a run, answered once: is it still going, how many epochs has it finished,
 * what is it called. Pure (types only), so the extension, the CLI, the run store and the webview can share it.
 */
import type { RunResult, RunStatus } from './protocol';

/** A run that has not ended yet: only a live session may hold such a run. */
export function isUnfinished(run: { status: RunStatus | string }): boolean {
  return run.status === 'running' || run.status === 'queued';
}

/** Epochs finished so far (one `epoch` event each; a resent event does not count twice). */
export function epochsDone(run: Pick<RunResult, 'epochMs'>): number {
  return run.epochMs.length;
}

/**
 * A run's name wherever runs share a screen (panel, report, CLI lines, the editor's log): `Adam #2` when its variant
 * has repeats among `runs`; a lone run keeps its label.
 */
export function runName(run: { label: string; repeat: number }, runs: readonly { label: string }[]): string {
  const repeated = runs.filter((r) => r.label === run.label).length > 1;
  return repeated ? `${run.label} #${run.repeat + 1}` : run.label;
}

/**
 * What callbacks did to a finished run, one sentence each, worded as Keras prints it: the CLI, the output channel
 * and the panel show the same lines.
 */
export function callbackNotes(run: {
  stoppedBy?: { message: string };
  restoredEpoch?: number;
  checkpointEpoch?: number;
}): string[] {
  const notes: string[] = [];
  if (run.stoppedBy) notes.push(run.stoppedBy.message);
  if (run.restoredEpoch !== undefined)
    notes.push(`Restoring model weights from the end of the best epoch: ${run.restoredEpoch}.`);
  if (run.checkpointEpoch !== undefined)
    notes.push(`ModelCheckpoint kept the weights of the best epoch: ${run.checkpointEpoch}.`);
  return notes;
}
