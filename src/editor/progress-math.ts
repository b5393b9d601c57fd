/** Progress arithmetic for the training notification. Pure: unit-tested without VS Code. */
import type { RunResult } from '../protocol';
import { epochsDone, isUnfinished } from '../run-state';

/** Fraction of all epochs (and batches within them) done across the session's runs. */
export function overallFraction(runs: RunResult[]): number {
  let done = 0;
  let total = 0;
  for (const run of runs) {
    total += run.epochs;
    if (!isUnfinished(run)) {
      done += run.epochs;
      continue;
    }
    const epochs = epochsDone(run);
    const partial = run.progress ? run.progress.batch / Math.max(1, run.progress.batches) : 0;
    done += Math.min(run.epochs, epochs + partial);
  }
  return total ? done / total : 0;
}

/** `Epoch 2/5 · 40% · about 1 min left` for the notification. */
export function progressMessage(runs: RunResult[], epochs: number, fraction: number, elapsedMs: number): string {
  const running = runs.find((r) => r.status === 'running');
  const epoch = running ? Math.min(epochs, epochsDone(running) + 1) : undefined;
  const parts: string[] = [];
  if (runs.length === 1 && epoch !== undefined) parts.push(`Epoch ${epoch}/${epochs}`);
  else if (runs.length > 1) {
    const finished = runs.filter((r) => !isUnfinished(r)).length;
    parts.push(`${finished}/${runs.length} runs done`);
  }
  parts.push(`${Math.floor(fraction * 100)}%`);
  if (fraction > 0.02 && fraction < 1) {
    const leftS = (elapsedMs / fraction - elapsedMs) / 1000;
    parts.push(
      leftS < 60 ? `about ${Math.max(1, Math.round(leftS))} s left` : `about ${Math.round(leftS / 60)} min left`,
    );
  }
  return parts.join(' · ');
}
