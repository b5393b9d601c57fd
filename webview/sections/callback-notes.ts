/**
 * What Keras callbacks did to a run (stopped early, restored the best epoch's weights), shown under its status
 * line. The sentences come from the core (`callbackNotes`), the same the CLI and the output channel print.
 */
import { callbackNotes } from '../../src/run-state';
import type { RunResult } from '../../src/protocol';

/** ` — Epoch 7: early stopping: …` appended to a finished run's summary, or '' when no callback acted. */
export function callbackSummary(run: RunResult): string {
  const notes = callbackNotes(run);
  return notes.length ? ` — ${notes.join(' ')}` : '';
}
