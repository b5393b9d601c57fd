/**
 * The profiling scripts' CNN set-up (bench/profile-cnn.ts, its `ab` mode, bench/ab-polyphase.ts): one of
 * bench/networks.ts's CNNs compiled with Adam at batch 32 on the wasm backend, synthetic batches from a seeded
 * generator (the same sequence in every process), and fresh models with the context an engine is made from.
 */
import type { ModelDefinition } from '../src/model/types';
import { selectBackend } from '../src/training/backend';
import { describeModel } from '../src/training/model-info';
import { buildModel } from '../src/training/worker/build-model';
import { NETWORKS } from './networks';

export async function cnnSetup(name: string, batch = 32) {
  if (name !== 'cnn' && name !== 'cnn-bn') throw new Error(`network ${name}: cnn or cnn-bn`);
  const { tf } = await selectBackend('wasm');
  const definition: ModelDefinition = {
    name,
    layers: NETWORKS[name],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    fit: { epochs: 1, batch_size: batch },
  };
  const info = describeModel(definition);
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  /** The next synthetic batch: uniform pixels in [0, 1), then labels 0-9. */
  const randomBatch = () => ({
    x: tf.tensor(Float32Array.from({ length: batch * 784 }, random), [batch, 28, 28]),
    y: tf.tensor(
      Int32Array.from({ length: batch }, () => Math.floor(random() * 10)),
      [batch],
      'int32',
    ),
  });
  /** A fresh model (seed 1) and the context `chooseEngine` or `createFusedEngine` takes (cast by the caller). */
  const context = () => {
    const model = buildModel(tf, definition, { names: info.names, inputShape: [28, 28], seed: 1 });
    const ctx = {
      tf,
      model,
      optimizer: info.optimizer,
      loss: 'sparse_categorical_crossentropy',
      accuracy: true,
      seed: 1,
    };
    return { model, ctx };
  };
  return { tf, name, randomBatch, context };
}
