/**
 * `node --import tsx bench/profile-dense.ts [wide|canonical|sgd] [steps] [repeats] [epochs]`: trains the first `steps`
 * batches of one bench workload through the real loop and engine choice, `epochs` epochs per engine (a new model and
 * engine per repeat), and prints CPU milliseconds per step and each epoch's wall and CPU time. Run it under
 * `node --cpu-prof` to see where a step's time goes (the bench itself interleaves the PyTorch peer), or under
 * `perf record` with `node --perf-basic-prof` (each epoch's end is printed on `performance.now()`'s clock).
 *
 * `node --import tsx bench/profile-dense.ts ab [pairs] [workload]`: an in-process A/B of a workload's engine (default
 * canonical) with its default options (or the environment variable A_OPTIONS, JSON) against `B_OPTIONS` (the
 * environment variable B_OPTIONS, JSON, else the constant below; `B_OPTIONS='{}'` is the A/A control). Four engines made in the order A, B, B, A (the engine made first ran
 * 2-3 µs a step faster than an identical one made after it, so one engine per side favoured A), the same shuffled
 * batches, `pairs` rounds of 50-step blocks of all four in alternating order, CPU time: the median per-step time of
 * each side (the mean of its two engines) and of the rounds' differences. Checks first that each A and B pair gives the
 * same losses, bit for bit, over 300 steps (or within the environment variable LOSS_TOLERANCE, relative, for a B
 * that changes the floats; the largest relative difference is printed either way).
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { gather, loadDataset, splitValidation } from '../src/data/index';
import type { ModelDefinition } from '../src/model/types';
import { selectBackend } from '../src/training/backend';
import { buildModel } from '../src/training/worker/build-model';
import { chooseEngine } from '../src/training/worker/choose-engine';
import { createFusedEngine } from '../src/training/worker/fused/index';
import type { DenseStackOptions } from '../src/training/worker/fused/dense-stack';
import { fit } from '../src/training/worker/loop';
import { describeModel } from '../src/training/model-info';
import { workerV8Flags } from '../src/training/wasm-features';

for (const flag of workerV8Flags()) setFlagsFromString(flag);

const WORKLOADS: Record<string, { hidden: number[]; batch: number; optimizer: string }> = {
  wide: { hidden: [512, 512], batch: 128, optimizer: 'adam' },
  canonical: { hidden: [100], batch: 32, optimizer: 'adam' },
  sgd: { hidden: [100], batch: 32, optimizer: 'sgd' },
  // The canonical model with other optimizers (for `ab` of their update programs).
  rmsprop: { hidden: [100], batch: 32, optimizer: 'rmsprop' },
  nadam: { hidden: [100], batch: 32, optimizer: 'nadam' },
};

/** The B side of `ab`: the first weight gradient lists its inputs' examples itself (no lists from the forward). */
const B_OPTIONS: DenseStackOptions = process.env.B_OPTIONS ? JSON.parse(process.env.B_OPTIONS) : { listing: false };
/** The A side of `ab`: the defaults unless A_OPTIONS says otherwise. */
const A_OPTIONS: DenseStackOptions = process.env.A_OPTIONS ? JSON.parse(process.env.A_OPTIONS) : {};

/** A workload's model file, its data set and model info, and the training split (the bench's). */
async function setUp(w: (typeof WORKLOADS)[string], epochs: number) {
  const definition: ModelDefinition = {
    name: 'fashion-mlp',
    dataset: { name: 'fashion-mnist', validation_split: 0.2, seed: 42 },
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      ...w.hidden.map((units) => ({ type: 'Dense', units, activation: 'relu' })),
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    compile: { optimizer: w.optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    fit: { epochs, batch_size: w.batch },
  };
  const data = await loadDataset({
    spec: { name: 'fashion-mnist' },
    baseDir: join(__dirname, '..'),
    cacheDir: join(tmpdir(), 'model-lab-bench'),
  });
  const { train } = splitValidation(data.train, 784, 0.2, 42);
  return { definition, info: describeModel(definition), data, train };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'ab') return ab(Number(process.argv[3] ?? 100), process.argv[4] ?? 'canonical');
  const name = process.argv[2] ?? 'wide';
  const steps = Number(process.argv[3] ?? 200);
  const repeats = Number(process.argv[4] ?? 1);
  const epochs = Number(process.argv[5] ?? 1);
  const w = WORKLOADS[name];
  if (!w) throw new Error(`workload ${name}: one of ${Object.keys(WORKLOADS).join(', ')}`);
  const { tf } = await selectBackend('wasm');
  const { definition, info, data, train: all } = await setUp(w, epochs);
  const train = gather(
    all,
    784,
    Uint32Array.from({ length: Math.min(all.count, steps * w.batch) }, (_, i) => i),
  );
  for (let r = 0; r < repeats; r++) {
    const model = buildModel(tf, definition, { names: info.names, inputShape: [28, 28], seed: 1 });
    const engine = chooseEngine(
      { tf, model, optimizer: info.optimizer, loss: 'sparse_categorical_crossentropy', accuracy: true, seed: 1 },
      { seed: 1 },
    );
    const cpu = process.cpuUsage();
    const wall = performance.now();
    let loss = NaN;
    let cpuBefore = cpu;
    await fit({
      tf,
      model,
      engine,
      loss: 'sparse_categorical_crossentropy',
      accuracy: 'sparse_categorical',
      shape: { inputShape: [28, 28], exampleSize: 784, scale: data.scale, labels: 'sparse', numClasses: 10 },
      train,
      epochs,
      batchSize: w.batch,
      shuffle: true,
      seed: 1,
      onEpoch: (e) => {
        loss = e.logs.loss;
        const used = process.cpuUsage(cpuBefore);
        cpuBefore = process.cpuUsage();
        if (epochs > 1)
          console.log(
            `  epoch ${e.epoch}: ${e.epochMs.toFixed(1)} ms wall, ${((used.user + used.system) / 1000).toFixed(1)} ms cpu, ends at ${performance.now().toFixed(0)} ms`,
          );
      },
    });
    const used = process.cpuUsage(cpu);
    const wallMs = performance.now() - wall;
    const ms = (used.user + used.system) / 1000;
    console.log(
      `${name}: ${engine.name} (${engine.detail ?? ''}) ${(ms / (steps * epochs)).toFixed(3)} ms cpu/step (${(wallMs / (steps * epochs)).toFixed(3)} wall) over ${steps * epochs} steps, loss ${loss.toFixed(4)}`,
    );
    engine.dispose();
    model.dispose();
  }
}

async function ab(pairs: number, name: string): Promise<void> {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`workload ${name}: one of ${Object.keys(WORKLOADS).join(', ')}`);
  const [batch, block] = [w.batch, 50];
  const { tf } = await selectBackend('wasm');
  const { definition, info, data, train } = await setUp(w, 1);
  const shape = {
    inputShape: [28, 28],
    exampleSize: 784,
    scale: data.scale,
    labels: 'sparse' as const,
    numClasses: 10,
  };
  // A, B, B, A: sides 0 and 1, each the mean of an engine made early and one made late.
  const sides = [0, 1, 1, 0];
  const engines = sides
    .map((side) => (side ? B_OPTIONS : A_OPTIONS))
    .map((options) => {
      const model = buildModel(tf, definition, { names: info.names, inputShape: [28, 28], seed: 1 });
      const ctx = { tf, model, optimizer: info.optimizer, loss: 'sparse_categorical_crossentropy' as const };
      return createFusedEngine({ ...ctx, accuracy: true, seed: 1 }, options)!;
    });
  const order = Uint32Array.from({ length: train.count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const steps = Math.floor(train.count / batch);
  const step = (e: (typeof engines)[0], s: number) =>
    e.stepBatch!({ split: train, order, start: (s % steps) * batch, end: (s % steps) * batch + batch, shape })!.loss;
  // LOSS_TOLERANCE (relative): losses within it count as equal, for a B that changes the floats (say so).
  const tolerance = Number(process.env.LOSS_TOLERANCE ?? 0);
  let [differ, most] = [0, 0];
  const compare = (x: number, y: number) => {
    const relative = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y));
    if (x !== y) most = Math.max(most, relative);
    if (x !== y && !(relative <= tolerance)) differ++;
  };
  for (let s = 0; s < 300; s++) {
    compare(step(engines[0], s), step(engines[1], s));
    compare(step(engines[3], s), step(engines[2], s));
  }
  const run = (e: (typeof engines)[0], from: number) => {
    const t = process.cpuUsage();
    for (let s = 0; s < block; s++) step(e, from + s);
    const u = process.cpuUsage(t);
    return (u.user + u.system) / block;
  };
  const [a, b]: number[][] = [[], []];
  for (let p = 0, at = 300; p < pairs; p++, at += block) {
    // Alternate the order of the blocks in a round (the cache state a block leaves then favours neither side).
    const times = [0, 0];
    for (const e of p % 2 ? [3, 2, 1, 0] : [0, 1, 2, 3]) times[sides[e]] += run(engines[e], at) / 2;
    a.push(times[0]);
    b.push(times[1]);
  }
  const med = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1].toFixed(1);
  const d = a.map((v, i) => v - b[i]);
  console.log(
    `${name}, us CPU a step, ${pairs} rounds of ${block} steps (losses differing in 2 x 300 steps: ${differ}` +
      `${tolerance ? ` by more than ${tolerance} relative` : ''}, at most ${most.toPrecision(2)}): ` +
      `A ${JSON.stringify(A_OPTIONS)} ${med(a)}, B ${JSON.stringify(B_OPTIONS)} ${med(b)}, A - B paired median ${med(d)}, ` +
      `A lower in ${d.filter((x) => x < 0).length}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
