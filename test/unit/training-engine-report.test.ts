/**
 * A run says which step engine trained it and, when the stock engine did, why the fused one did not: in the
 * `started` event, and from there in the run's result (the records and `--json`).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import type { RunSpec, WorkerEvent } from '../../src/protocol';
import { applyEvent, newRunResult } from '../../src/training/host/run-fold';
import { runTraining } from '../../src/training/worker/run';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-engine-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const spec = (definition: ModelDefinition): RunSpec => ({
  runId: 'e',
  label: 'e',
  definition,
  repeat: 0,
  seed: 3,
  backend: 'wasm',
  baseDir: dir,
  cacheDir: join(dir, '.cache'),
});

async function started(definition: ModelDefinition): Promise<{ engine?: string; result?: string }> {
  const events: WorkerEvent[] = [];
  await runTraining(spec(definition), (e) => events.push(e), { stopped: false, engine: 'auto' });
  const finished = events.find((e) => e.type === 'finished');
  assert.equal(finished?.type === 'finished' && finished.status, 'completed', JSON.stringify(finished));
  const event = events.find((e): e is Extract<WorkerEvent, { type: 'started' }> => e.type === 'started');
  const result = newRunResult(spec(definition), 1);
  for (const e of events) applyEvent(result, e);
  return { engine: event?.engine, result: result.engine };
}

const model = (middle: ModelDefinition['layers']): ModelDefinition => ({
  dataset: { name: 'fashion-mnist-sample', validation_split: 0.9, seed: 42 },
  layers: [{ type: 'Flatten', input_shape: [28, 28] }, ...middle, { type: 'Dense', units: 10, activation: 'softmax' }],
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs: 1, batch_size: 100 },
});

test('a Dense stack reports the fused engine and its products', async () => {
  const { engine, result } = await started(model([{ type: 'Dense', units: 8, activation: 'relu' }]));
  assert.match(engine ?? '', /^fused \(wasm-(fma|simd) products\)$/);
  assert.equal(result, engine);
});

test('a model the fused engine does not cover reports the stock engine and the reason', async () => {
  const { engine, result } = await started(
    model([
      { type: 'Dense', units: 8 },
      { type: 'GaussianNoise', stddev: 0.1 },
    ]),
  );
  assert.match(engine ?? '', /^stock: layer type GaussianNoise is not fused$/);
  assert.equal(result, engine);
});

test('a Dense stack with BatchNormalization reports the fused CNN engine, which covers it', async () => {
  const { engine, result } = await started(model([{ type: 'Dense', units: 8 }, { type: 'BatchNormalization' }]));
  assert.match(engine ?? '', /^fused \(CNN, wasm-(fma|simd) products, float32 BatchNormalization\)$/);
  assert.equal(result, engine);
});
