/** The live line under a running run: "Epoch 2/5 — batch 740/1500 — loss 0.4821". */
import type { RunResult } from '../../src/protocol';
import { formatMetric } from './display-format';

/**
 * The epoch being trained, 1-based. The finished epochs are `history` entries, so the running one is the next —
 * which also holds whether `progress.epoch` counts from 0 (Keras callbacks) or from 1.
 */
export function currentEpoch(run: RunResult): number {
  const done = Math.max(0, ...Object.values(run.history).map((h) => h.length));
  return Math.min(done + 1, Math.max(run.epochs, 1));
}

export function progressLine(run: RunResult): string {
  const epochs = Math.max(run.epochs, 1);
  if (run.status === 'queued') return 'Waiting to start';
  if (run.status !== 'running') return '';
  const epoch = `Epoch ${currentEpoch(run)}/${epochs}`;
  const p = run.progress;
  if (!p) return epoch;
  const batches = Math.max(p.batches, 1);
  const batch = Math.min(Math.max(p.batch, 0), batches);
  return `${epoch} — batch ${batch}/${batches} — loss ${formatMetric(p.loss)}`;
}

/** Fraction of the running epoch done, for the bar; 0 before the first batch. */
export function batchFraction(run: RunResult): number {
  const p = run.progress;
  if (!p || p.batches <= 0) return 0;
  return Math.min(Math.max(p.batch / p.batches, 0), 1);
}
