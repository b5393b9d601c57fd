/**
 * How much memory training a model takes, estimated from its summary before anything is allocated, so a model too
 * big for the backend is refused with a sentence at `check` and before the runs start, instead of crashing late
 * with a wasm "memory access out of bounds" and stack traces. The estimate counts float32 weights, their gradients,
 * the optimizer's slots per weight, and each layer's activations and their gradients for one batch.
 */
import type { EffectiveOptimizer } from './optimizers';
import type { ModelSummary } from './types';

/** A 32-bit WebAssembly memory: what the bundled wasm backend (and in practice the JS cpu backend) can address. */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;

/** Per-weight state each optimizer keeps (Keras's update rules). */
export function optimizerSlots(o: EffectiveOptimizer): number {
  switch (o.type) {
    case 'SGD':
      return Number(o.momentum ?? 0) > 0 ? 1 : 0;
    case 'RMSprop':
      return 1 + (Number(o.momentum ?? 0) > 0 ? 1 : 0) + (o.centered ? 1 : 0);
    case 'Adagrad':
      return 1;
    case 'Adam':
    case 'AdamW':
      return o.amsgrad ? 3 : 2;
    default:
      return 2; // Adamax, Nadam, Adadelta and anything newer: two slots
  }
}

/**
 * Bytes to train one batch. A variable (None) dimension has no size before the data gives one: it counts as 1, so
 * for such a model this is a lower bound (`hasVariableShapes` says when).
 */
export function trainingMemoryBytes(summary: ModelSummary, batchSize: number, optimizer: EffectiveOptimizer): number {
  const F32 = 4;
  const weights = summary.totalParams * F32;
  const perWeight = summary.trainableParams * F32 * (1 + optimizerSlots(optimizer));
  let activations = 0;
  for (const layer of summary.layers) {
    activations += layer.outputShape.reduce<number>((n, d) => n * (d ?? 1), 1);
  }
  // Forward values and their gradients, for one batch.
  return weights + perWeight + activations * batchSize * F32 * 2;
}

const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;

/** Whether some layer's output has a None dimension besides the batch (its activations' size is not known). */
export const hasVariableShapes = (summary: ModelSummary): boolean =>
  summary.layers.some((l) => l.outputShape.slice(1).some((d) => d === null));

/** One sentence when training would not fit the WebAssembly backend's memory, else undefined. */
export function wasmMemoryProblem(
  summary: ModelSummary,
  batchSize: number,
  optimizer: EffectiveOptimizer,
): string | undefined {
  const bytes = trainingMemoryBytes(summary, batchSize, optimizer);
  if (bytes <= WASM_MEMORY_BYTES) return undefined;
  const about = hasVariableShapes(summary) ? 'at least' : 'about';
  return `Training this model needs ${about} ${gb(bytes)} (weights, gradients, ${optimizer.type}'s state and one batch of activations), more than the ${gb(WASM_MEMORY_BYTES)} the WebAssembly backend can address; make the model smaller (fewer units or filters) or lower batch_size, or install @tensorflow/tfjs-node for native TensorFlow.`;
}
