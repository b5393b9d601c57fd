/**
 * One run trained in this process (the worker's runTraining) on the wasm backend, as the integration tests train:
 * its events in order, and the RunResult the host folds from them (run-fold.ts).
 */
import { join } from 'node:path';
import type { ModelDefinition } from '../../src/model/types';
import type { RunResult, RunSpec, WorkerEvent } from '../../src/protocol';
import { applyEvent, newRunResult } from '../../src/training/host/run-fold';
import { runTraining } from '../../src/training/worker/run';

export async function trainHere(
  definition: ModelDefinition,
  spec: Partial<RunSpec> & Pick<RunSpec, 'baseDir' | 'seed'>,
  engine: 'auto' | 'stock' = 'auto',
): Promise<{ events: WorkerEvent[]; result: RunResult }> {
  const full: RunSpec = {
    runId: 'r',
    label: 'r',
    definition,
    repeat: 0,
    backend: 'wasm',
    cacheDir: join(spec.baseDir, '.cache'),
    ...spec,
  };
  const events: WorkerEvent[] = [];
  const result = newRunResult(full, definition.fit?.epochs ?? 1);
  await runTraining(
    full,
    (e) => {
      events.push(e);
      applyEvent(result, e);
    },
    { stopped: false, engine },
  );
  return { events, result };
}

/** The events of one type, typed as that type. */
export const eventsOf = <T extends WorkerEvent['type']>(events: WorkerEvent[], type: T) =>
  events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);
