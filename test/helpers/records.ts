/** Small, valid RunRecords for tests that need one (values are arbitrary but well-formed). */
import type { RunRecord, RunResult } from '../../src/protocol';

export function makeRun(label: string, valAccuracy: number[], extra: Partial<RunResult> = {}): RunResult {
  return {
    runId: `${label}-run`,
    label,
    optimizer: { type: 'Adam', learning_rate: 0.001 },
    status: 'completed',
    repeat: 0,
    seed: 1,
    history: {
      loss: valAccuracy.map((_, i) => 1 / (i + 1)),
      accuracy: valAccuracy.map((a) => a - 0.01),
      val_loss: valAccuracy.map((_, i) => 1.1 / (i + 1)),
      val_accuracy: valAccuracy,
    },
    epochMs: valAccuracy.map(() => 1000),
    durationMs: valAccuracy.length * 1000,
    backend: 'wasm',
    epochs: valAccuracy.length,
    ...extra,
  };
}

export function makeRecord(id: string, runs: RunResult[], extra: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1,
    id,
    kind: runs.length > 1 ? 'compare' : 'train',
    createdAt: new Date().toISOString(),
    definition: { layers: [{ type: 'Dense', units: 10, input_shape: [4] }] },
    model: {
      name: 'sequential',
      layers: [
        {
          name: 'dense',
          type: 'Dense',
          inputShape: [null, 4],
          outputShape: [null, 10],
          params: 50,
          trainableParams: 50,
          nonTrainableParams: 0,
        },
      ],
      totalParams: 50,
      trainableParams: 50,
      nonTrainableParams: 0,
    },
    backend: 'wasm',
    runs,
    ...extra,
  };
}
