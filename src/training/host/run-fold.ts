/**
 * The one place that folds worker events into a RunResult, shared by the CLI, the results panel and the run store,
 * so every front end shows the same state for the same events. Epoch numbers in events are 1-based.
 */
import type { RunResult, RunSpec, StepPoint, WorkerEvent } from '../../protocol';
import { effectiveOptimizer } from '../../model/optimizers';
import { epochsDone } from '../../run-state';

export function newRunResult(spec: RunSpec, epochs: number): RunResult {
  return {
    runId: spec.runId,
    label: spec.label,
    optimizer: effectiveOptimizer(spec.definition.compile?.optimizer),
    status: 'queued',
    ...(spec.variant ? { variant: spec.variant } : {}),
    repeat: spec.repeat,
    seed: spec.seed,
    history: {},
    epochMs: [],
    durationMs: 0,
    backend: spec.backend,
    epochs,
  };
}

/** Applies one event to `result` in place. Events of other runs are ignored. */
export function applyEvent(result: RunResult, event: WorkerEvent): void {
  if (event.runId !== result.runId) return;
  switch (event.type) {
    case 'started':
      result.status = 'running';
      result.backend = event.backend;
      if (event.backendNote) result.backendNote = event.backendNote;
      if (event.engine) result.engine = event.engine;
      result.optimizer = event.optimizer;
      result.epochs = event.epochs;
      break;
    case 'progress':
      if (result.status === 'queued') result.status = 'running';
      break;
    case 'batch':
      addStep(result, event);
      result.progress = {
        epoch: event.epoch,
        batch: event.batch,
        batches: event.batches,
        loss: event.loss,
        ...(event.accuracy !== undefined ? { accuracy: event.accuracy } : {}),
      };
      break;
    case 'epoch': {
      // Epoch n fills index n - 1; a repeated event (a resent message) overwrites rather than appends.
      const index = event.epoch - 1;
      for (const [name, value] of Object.entries(event.logs)) {
        const series = (result.history[name] ??= []);
        series[index] = value;
      }
      result.epochMs[index] = event.epochMs;
      break;
    }
    case 'evaluation':
      if (event.evaluation.split === 'test') result.testEvaluation = event.evaluation;
      else result.evaluation = event.evaluation;
      break;
    case 'finished':
      result.status = event.status;
      result.durationMs = event.durationMs;
      if (event.error) result.error = event.error;
      if (event.weightsPath) result.weightsPath = event.weightsPath;
      if (event.stoppedBy) result.stoppedBy = event.stoppedBy;
      if (event.restoredEpoch !== undefined) result.restoredEpoch = event.restoredEpoch;
      if (event.checkpointEpoch !== undefined) result.checkpointEpoch = event.checkpointEpoch;
      delete result.progress;
      break;
  }
}

export { epochsDone } from '../../run-state';

/**
 * A continued run ("train N more epochs") reports epochs from `epochsDone(prior) + 1` on: this puts the earlier
 * epochs (history and times) in front, so the run has one continuous history. Safe to apply more than once.
 */
export function continueHistory(result: RunResult, prior: RunResult): void {
  const done = epochsDone(prior);
  for (const [name, values] of Object.entries(prior.history)) {
    const series = (result.history[name] ??= []);
    for (let i = 0; i < done; i++) if (series[i] === undefined && values[i] !== undefined) series[i] = values[i];
  }
  for (let i = 0; i < done; i++) if (result.epochMs[i] === undefined) result.epochMs[i] = prior.epochMs[i];
  result.continuedFrom = { runId: prior.runId, epochs: done };
}

/** Enough step points for a smooth live curve; a long run keeps every other one when it would pass this. */
export const STEP_POINTS_MAX = 1000;

/**
 * One step point from a `batch` event. The worker reports the running mean of the epoch so far (as Keras's progress
 * bar does); the mean over just the steps since the previous report is what a per-step curve should show:
 * (mean₂·b₂ − mean₁·b₁) / (b₂ − b₁).
 */
function addStep(result: RunResult, e: Extract<WorkerEvent, { type: 'batch' }>): void {
  if (!(e.batches > 0) || !Number.isFinite(e.loss)) return;
  const prev =
    result.progress && result.progress.epoch === e.epoch && result.progress.batch < e.batch
      ? result.progress
      : undefined;
  const window = (now: number, before: number | undefined) =>
    prev && before !== undefined ? (now * e.batch - before * prev.batch) / (e.batch - prev.batch) : now;
  const point: StepPoint = { x: e.epoch - 1 + e.batch / e.batches, loss: window(e.loss, prev?.loss) };
  if (e.accuracy !== undefined && Number.isFinite(e.accuracy)) point.accuracy = window(e.accuracy, prev?.accuracy);
  const steps = (result.steps ??= []);
  steps.push(point);
  if (steps.length > STEP_POINTS_MAX) result.steps = steps.filter((_, i) => i % 2 === 1 || i === steps.length - 1);
}
