/**
 * `node --import tsx bench/profile-cnn.ts [cnn|cnn-bn] [steps] [repeats]`: trains one bench CNN on a fixed synthetic
 * batch with the fused CNN engine (Adam) and prints CPU milliseconds per step. Run it under `node --cpu-prof` to see
 * where a step's time goes (`bench/bench.ts` measures the same networks on Fashion-MNIST against the PyTorch peer).
 */
import { setFlagsFromString } from 'node:v8';
import type { ModelDefinition } from '../src/model/types';
import { selectBackend } from '../src/training/backend';
import { describeModel } from '../src/training/model-info';
import { buildModel } from '../src/training/worker/build-model';
import { chooseEngine } from '../src/training/worker/choose-engine';
import { workerV8Flags } from '../src/training/wasm-features';
import { NETWORKS } from './networks';

for (const flag of workerV8Flags()) setFlagsFromString(flag);

async function main(): Promise<void> {
  const name = (process.argv[2] ?? 'cnn') as 'cnn' | 'cnn-bn';
  const steps = Number(process.argv[3] ?? 200);
  const repeats = Number(process.argv[4] ?? 1);
  const layers = NETWORKS[name];
  if (!layers || name === ('lstm' as string)) throw new Error(`network ${name}: cnn or cnn-bn`);
  const batch = 32;
  const { tf } = await selectBackend('wasm');
  const definition: ModelDefinition = {
    name,
    layers,
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    fit: { epochs: 1, batch_size: batch },
  };
  const info = describeModel(definition);
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const x = tf.tensor(Float32Array.from({ length: batch * 784 }, random), [batch, 28, 28]);
  const y = tf.tensor(
    Int32Array.from({ length: batch }, () => Math.floor(random() * 10)),
    [batch],
    'int32',
  );
  for (let r = 0; r < repeats; r++) {
    const model = buildModel(tf, definition, { names: info.names, inputShape: [28, 28], seed: 1 });
    const ctx = {
      tf,
      model,
      optimizer: info.optimizer,
      loss: 'sparse_categorical_crossentropy',
      accuracy: true,
      seed: 1,
    };
    const engine = chooseEngine(ctx as Parameters<typeof chooseEngine>[0], { seed: 1 });
    const cpu = process.cpuUsage();
    let loss = NaN;
    for (let s = 0; s < steps; s++) {
      const out = tf.tidy(() => engine.step(x, y).loss);
      if (s === steps - 1) loss = out.dataSync()[0];
      out.dispose();
    }
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    console.log(
      `${name}: ${engine.name} (${engine.detail ?? ''}) ${(ms / steps).toFixed(2)} ms cpu/step over ${steps} steps, loss ${loss.toFixed(4)}`,
    );
    engine.dispose();
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
