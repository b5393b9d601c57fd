/**
 * Training with a loss object's `from_logits=True` (wasm backend):
 *  - a linear-output model with from_logits trains to the same losses and accuracies as the same model with a
 *    softmax output and from_logits=false (same seed: the math is identical, the softmax moved into the loss),
 *    on the stock engine and on the fused one;
 *  - the fused Dense engine accepts from_logits after a linear output and matches the stock engine (1e-4) for the
 *    three crossentropies, and declines it after a softmax output with a reason;
 *  - `accuracy` with one logit unit thresholds the logit itself at 0.5, as Keras 2's binary_accuracy does when
 *    given the model's output; the evaluation's probabilities are the sigmoid of it;
 *  - binary crossentropy on a linear unit *without* from_logits (Deep Learning with Python's `Dense(1)`) trains as
 *    Keras does, on the clipped output (the stock engine; the fused one says why it declines).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import v8 from 'node:v8';
import type * as tfjs from '@tensorflow/tfjs';
import type { ModelDefinition } from '../../src/model/types';
import { effectiveOptimizer } from '../../src/model/optimizers';
import { selectBackend } from '../../src/training/backend';
import type { EngineContext, StepEngine, TF } from '../../src/training/worker/engine';
import { compileOutput, forward } from '../../src/training/worker/forward';
import { createFusedEngine } from '../../src/training/worker/fused/index';
import { planStack } from '../../src/training/worker/fused/eligibility';
import { countCorrect, metricInput, type LossName } from '../../src/training/worker/losses';
import { createStockEngine } from '../../src/training/worker/stock-engine';
import { trainSteps } from '../helpers/engine-steps';
import { trainHere } from '../helpers/train-here';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});
const dir = mkdtempSync(join(tmpdir(), 'ml-logits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const definition = (output: Record<string, unknown>, compile: ModelDefinition['compile']): ModelDefinition => ({
  dataset: { name: 'fashion-mnist-sample', validation_split: 0.2, seed: 42 },
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 32, activation: 'relu' },
    { type: 'Dropout', rate: 0.2 },
    { type: 'Dense', units: 10, ...output },
  ],
  compile: { optimizer: 'adam', metrics: ['accuracy'], ...compile },
  fit: { epochs: 2, batch_size: 64 },
});

for (const engine of ['stock', 'auto'] as const) {
  test(`${engine} engine: Dense(10) + from_logits trains exactly as Dense(10, softmax) without it`, async () => {
    const loss = 'sparse_categorical_crossentropy';
    const logits = await trainHere(definition({}, { loss, from_logits: true }), { baseDir: dir, seed: 9 }, engine);
    const softmax = await trainHere(definition({ activation: 'softmax' }, { loss }), { baseDir: dir, seed: 9 }, engine);
    for (const r of [logits.result, softmax.result]) assert.equal(r.status, 'completed', r.error);
    if (engine === 'auto') assert.match(logits.result.engine ?? '', /fused/, 'the fused engine takes from_logits');
    const close = (a: number[] | undefined, b: number[] | undefined, what: string) => {
      assert.ok(a && b && a.length === b.length && a.length > 0, what);
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-4 * Math.max(1, Math.abs(b[i])), `${what}: ${a} vs ${b}`));
    };
    close(logits.result.history.loss, softmax.result.history.loss, 'loss');
    close(logits.result.history.val_loss, softmax.result.history.val_loss, 'val_loss');
    close(logits.result.history.accuracy, softmax.result.history.accuracy, 'accuracy');
    close(logits.result.history.val_accuracy, softmax.result.history.val_accuracy, 'val_accuracy');
    // The gallery's confidences are probabilities (the softmax of the logits), as with the softmax model.
    const conf = (r: typeof logits) => r.result.evaluation?.examples?.confidence ?? [];
    const [c1, c2] = [conf(logits), conf(softmax)];
    assert.ok(c1.length > 0 && c1.every((c) => c > 0 && c <= 1), `confidences ${c1}`);
    // Rounded to 4 decimals by the run record.
    c1.forEach((c, i) => assert.ok(Math.abs(c - c2[i]) <= 2e-4, `confidences ${c1} vs ${c2}`));
  });
}

/** Flatten([3, 5]) then Dense layers with seeded weights. */
function buildModel(layers: [number, string][], seed: number): tfjs.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [3, 5] }));
  layers.forEach(([units, activation], i) =>
    model.add(
      tf.layers.dense({
        units,
        activation: activation as 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 100 + i }),
      }),
    ),
  );
  return model;
}

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function batch(size: number, seed: number, loss: LossName, units: number): { x: tfjs.Tensor; y: tfjs.Tensor } {
  const x = tf.tensor(values(size * 15, seed), [size, 3, 5]);
  const raw = values(size * units, seed + 1);
  if (loss === 'sparse_categorical_crossentropy')
    return {
      x,
      y: tf.tensor(
        Int32Array.from({ length: size }, (_, i) => Math.floor((raw[i] + 1) * units * 0.5)),
        [size],
        'int32',
      ),
    };
  if (loss === 'binary_crossentropy')
    return {
      x,
      y: tf.tensor(
        raw.map((v) => (v > 0 ? 1 : 0)),
        [size, units],
      ),
    };
  const hot = new Float32Array(size * units);
  for (let i = 0; i < size; i++) hot[i * units + Math.floor((raw[i] + 1) * units * 0.5)] = 1;
  return { x, y: tf.tensor(hot, [size, units]) };
}

function train(engine: StepEngine, steps: number, loss: LossName, units: number) {
  return trainSteps(tf, engine, steps, (size, s) => batch(size, 500 + s, loss, units));
}

const ADAM = effectiveOptimizer({ type: 'Adam', learning_rate: 0.01 });

test('fused Dense engine with from_logits after a linear output matches the stock engine, for each crossentropy', () => {
  const cases: [LossName, number][] = [
    ['sparse_categorical_crossentropy', 4],
    ['categorical_crossentropy', 4],
    ['binary_crossentropy', 1],
    ['binary_crossentropy', 3],
  ];
  for (const [loss, units] of cases) {
    const layers: [number, string][] = [
      [8, 'tanh'],
      [units, 'linear'],
    ];
    const a = buildModel(layers, 3);
    const b = buildModel(layers, 3);
    const ctx = (model: tfjs.LayersModel): EngineContext => {
      compileOutput(model, loss === 'binary_crossentropy' ? 'sigmoid' : 'softmax');
      return { tf, model, optimizer: ADAM, loss, accuracy: true, fromLogits: true, seed: 4 };
    };
    const fused = createFusedEngine(ctx(a));
    assert.ok(fused, `${loss}: the fused engine applies`);
    const stock = createStockEngine(ctx(b), { seed: 4 });
    const f = train(fused, 20, loss, units);
    const s = train(stock, 20, loss, units);
    f.losses.forEach((v, i) =>
      assert.ok(
        Math.abs(v - s.losses[i]) <= 1e-4 * Math.max(1, Math.abs(s.losses[i])),
        `${loss}/${units} losses ${f.losses} vs ${s.losses}`,
      ),
    );
    assert.deepEqual(f.correct, s.correct, `${loss}/${units} correct counts`);
    fused.sync();
    a.getWeights().forEach((w, i) => {
      const [x, y] = [w.dataSync(), b.getWeights()[i].dataSync()];
      x.forEach((v, k) => assert.ok(Math.abs(v - y[k]) <= 1e-4 * (1 + Math.abs(y[k])), `${loss} weight ${i}[${k}]`));
    });
    fused.dispose();
    stock.dispose();
    a.dispose();
    b.dispose();
  }
});

test('the fused engine declines from_logits after a softmax output, with the reason', () => {
  const model = buildModel(
    [
      [8, 'relu'],
      [4, 'softmax'],
    ],
    1,
  );
  assert.equal(
    planStack(model, 'sparse_categorical_crossentropy', true, true),
    'from_logits after a softmax output is not fused',
  );
  assert.notEqual(typeof planStack(model, 'sparse_categorical_crossentropy', true, false), 'string');
  model.dispose();
});

test('binary crossentropy on a linear unit without from_logits trains on the clipped output, on the stock engine', async () => {
  const rows = ['a,b,label'];
  for (let i = 0; i < 120; i++) rows.push(`${(i % 7) / 7},${((i * 3) % 5) / 5},${i % 2}`);
  writeFileSync(join(dir, 'two.csv'), rows.join('\n') + '\n');
  const def: ModelDefinition = {
    dataset: { csv: 'two.csv', label: 'label', validation_split: 0.25, seed: 3 },
    layers: [
      { type: 'Dense', units: 4, activation: 'relu', input_shape: [2] },
      { type: 'Dense', units: 1 },
    ],
    compile: { optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] },
    fit: { epochs: 2, batch_size: 16 },
  };
  const { result } = await trainHere(def, { baseDir: dir, seed: 5 });
  assert.equal(result.status, 'completed', result.error);
  assert.match(result.engine ?? '', /^stock: .*binary crossentropy is only fused after a sigmoid output/);
  assert.equal(result.history.loss?.length, 2);
  // Clipped to [1e-7, 1 - 1e-7]: each example's loss is at most -log(1e-7 + 1e-7) ≈ 15.4, never NaN or infinite.
  for (const v of [...(result.history.loss ?? []), ...(result.history.val_loss ?? [])])
    assert.ok(Number.isFinite(v) && v >= 0 && v <= 15.5, String(v));
});

test("accuracy on one logit unit thresholds the logit at 0.5 (Keras 2's binary_accuracy); probabilities are its sigmoid", () => {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'ones', biasInitializer: 'zeros' }));
  compileOutput(model, 'sigmoid');
  const [correct, probability, logit] = tf.tidy(() => {
    // Logits 0.3 (sigmoid 0.574) and 0.7 (sigmoid 0.668), both labelled 1: Keras counts only the second.
    const out = forward(tf, model, tf.tensor2d([[0.3], [0.7]]), false);
    return [countCorrect(tf, 'binary', tf.tensor2d([[1], [1]]), metricInput(out)), out.output, out.logits!];
  });
  assert.equal(correct.dataSync()[0], 1);
  assert.ok(Math.abs(probability.dataSync()[0] - 1 / (1 + Math.exp(-0.3))) < 1e-6);
  assert.ok(Math.abs(logit.dataSync()[1] - 0.7) < 1e-6);
  tf.dispose([correct, probability, logit]);
  model.dispose();
});

test('fused CNN engine with from_logits after a linear output matches the stock engine', () => {
  const loss: LossName = 'sparse_categorical_crossentropy';
  const build = () => {
    const model = tf.sequential();
    model.add(
      tf.layers.conv2d({
        filters: 3,
        kernelSize: 3,
        activation: 'relu',
        inputShape: [6, 6, 1],
        kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }),
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) }));
    compileOutput(model, 'softmax');
    return model;
  };
  const [a, b] = [build(), build()];
  const ctx = (model: tfjs.LayersModel): EngineContext => ({
    tf,
    model,
    optimizer: ADAM,
    loss,
    accuracy: true,
    fromLogits: true,
    seed: 2,
  });
  const fused = createFusedEngine(ctx(a));
  assert.ok(fused, 'the fused CNN engine applies');
  const stock = createStockEngine(ctx(b), { seed: 2 });
  const step = (engine: StepEngine) =>
    Array.from({ length: 12 }, (_, s) => {
      const r = tf.tidy(() => {
        const x = tf.tensor(values(8 * 36, 70 + s), [8, 6, 6, 1]);
        const y = tf.tensor(
          Int32Array.from(values(8, 90 + s), (v) => Math.floor((v + 1) * 2)),
          [8],
          'int32',
        );
        const out = engine.step(x, y);
        return [out.loss, out.correct!];
      });
      const v = [r[0].dataSync()[0], r[1].dataSync()[0]];
      tf.dispose(r);
      return v;
    });
  const [f, s] = [step(fused), step(stock)];
  f.forEach(([l, c], i) => {
    assert.ok(Math.abs(l - s[i][0]) <= 1e-4 * Math.max(1, s[i][0]), `losses ${f} vs ${s}`);
    assert.equal(c, s[i][1], `correct counts ${f} vs ${s}`);
  });
  fused.dispose();
  stock.dispose();
  a.dispose();
  b.dispose();
});
