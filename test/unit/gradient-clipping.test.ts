/**
 * Gradient clipping, every Keras optimizer's `clipnorm`, `clipvalue` and `global_clipnorm`: Keras's formulas
 * (`g * c / max(norm(g), c)` per weight, `clip(g, -c, c)`, the joint norm of all gradients), worked by hand; an
 * optimizer step with them; what the analysis says of them in `.model.json` and in Python (Hands-On ML's chapter 11
 * writes `keras.optimizers.SGD(clipvalue=1.0)` and `SGD(clipnorm=1.0)`). The engines' agreement with each other is
 * `fused-equivalence.test.ts`'s and `fused-conv-equivalence.test.ts`'s (CLIPPING_OPTIMIZERS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parseModelJson } from '../../src/model/parse-json';
import { clippingConflict, gradientClipping, trainingOptimizer } from '../../src/model/optimizers';
import { parsePythonModels } from '../../src/model/python/index';
import { clipGradients } from '../../src/training/worker/gradient-clipping';
import { KerasOptimizer } from '../../src/training/worker/stock-optimizers';

const f32 = (...v: number[]) => Float32Array.from(v);
const close = (a: ArrayLike<number>, b: number[], what: string) =>
  b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-6, `${what}[${i}]: ${a[i]} vs ${v}`));

test("clipnorm scales each gradient whose L2 norm exceeds it to that norm (Keras's g * c / max(norm, c))", () => {
  const g = [f32(3, 4), f32(0.3, 0.4), f32(0, 0)];
  clipGradients(g, { norm: 1 });
  close(g[0], [0.6, 0.8], 'norm 5 -> 1');
  close(g[1], [0.3, 0.4], 'norm 0.5 is kept');
  close(g[2], [0, 0], 'a zero gradient stays zero');
});

test('clipvalue clamps every value to [-c, c]; NaN stays NaN', () => {
  const g = [f32(-2, -0.5, 0.5, 2, NaN)];
  clipGradients(g, { value: 1 });
  close(g[0], [-1, -0.5, 0.5, 1], 'clamped');
  assert.ok(Number.isNaN(g[0][4]));
});

test('global_clipnorm scales all gradients by one factor when their joint norm exceeds it', () => {
  // Joint norm sqrt(9 + 16 + 144) = 13.
  const g = [f32(3, 4), f32(12)];
  clipGradients(g, { globalNorm: 6.5 });
  close(g[0], [1.5, 2], 'first');
  close(g[1], [6], 'second');
  const small = [f32(3, 4), f32(12)];
  clipGradients(small, { globalNorm: 13 });
  close(small[0], [3, 4], 'at the norm: kept');
  // tf.clip_by_global_norm: an infinite joint norm makes every gradient NaN.
  const inf = [f32(1, Infinity), f32(2)];
  clipGradients(inf, { globalNorm: 1 });
  assert.ok([...inf[0], ...inf[1]].every(Number.isNaN));
});

test("tf.keras 2's order with two: by value first, then by norm", () => {
  const g = [f32(3, 0.5)];
  // By value to (1, 0.5), norm sqrt(1.25) > 1: scaled to norm 1.
  clipGradients(g, { value: 1, norm: 1 });
  const n = Math.sqrt(1.25);
  close(g[0], [1 / n, 0.5 / n], 'value then norm');
});

test('an SGD step clips the gradient before it updates the weight, and the stock optimizer does so from its spec', () => {
  const opt = new KerasOptimizer({ type: 'SGD', learning_rate: 0.1, clipnorm: 1 });
  const w = [f32(1, 1)];
  opt.step(w, [f32(3, 4)]);
  close(w[0], [1 - 0.06, 1 - 0.08], 'w - lr * clipped g');
  const byValue = new KerasOptimizer({ type: 'SGD', learning_rate: 0.1, clipvalue: 0.5 });
  const v = [f32(1, 1)];
  byValue.step(v, [f32(3, -0.25)]);
  close(v[0], [1 - 0.05, 1 + 0.025], 'w - lr * clamped g');
});

test('gradientClipping takes only positive values; trainingOptimizer rejects a negative one in one line', () => {
  const hyper = (extra: Record<string, number>) => trainingOptimizer({ type: 'Adam', ...extra }).hyper;
  assert.deepEqual(gradientClipping(hyper({ clipnorm: 1 })), { value: undefined, norm: 1, globalNorm: undefined });
  assert.equal(gradientClipping(hyper({ clipnorm: 0 })), undefined, 'Keras 3: 0 clips nothing');
  assert.equal(gradientClipping(hyper({})), undefined);
  assert.throws(
    () => hyper({ global_clipnorm: -1 }),
    /^Error: Optimizer Adam: global_clipnorm must be a number >= 0, got -1\.$/,
  );
});

test('clippingConflict: clipnorm with global_clipnorm is an error, clipvalue with a norm a warning', () => {
  assert.equal(clippingConflict({ clipnorm: 1 }), undefined);
  assert.equal(clippingConflict({ clipnorm: 1, global_clipnorm: 1 })?.error, true);
  const c = clippingConflict({ clipvalue: 1, clipnorm: 1 });
  assert.equal(c?.error, false);
  assert.match(c!.message, /Keras 3 accepts only one of clipnorm, clipvalue and global_clipnorm/);
});

const json = (optimizer: object) =>
  analyze(
    parseModelJson(
      JSON.stringify({
        layers: [{ type: 'Dense', units: 10, activation: 'softmax', input_shape: [784] }],
        compile: { optimizer, loss: 'sparse_categorical_crossentropy' },
      }),
    ),
  ).diagnostics;

test('.model.json: the three clipping arguments are settings of every optimizer, checked for sign and combination', () => {
  for (const arg of ['clipnorm', 'clipvalue', 'global_clipnorm']) {
    assert.deepEqual(
      json({ type: 'RMSprop', [arg]: 1 }).map((d) => d.message),
      [],
      arg,
    );
  }
  const negative = json({ type: 'SGD', clipnorm: -1 });
  assert.equal(negative.length, 1);
  assert.equal(negative[0].message, 'compile.optimizer.clipnorm must be a number with 0 ≤ x, got -1.');
  const both = json({ type: 'SGD', clipnorm: 1, global_clipnorm: 1 });
  assert.deepEqual(
    both.map((d) => [d.severity, d.path, d.message]),
    [
      [
        'error',
        'compile.optimizer.global_clipnorm',
        'clipnorm and global_clipnorm cannot both be set (Keras raises a ValueError).',
      ],
    ],
  );
});

const script = (optimizer: string) => `from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(10, activation="softmax", input_shape=(784,))])
model.compile(optimizer=${optimizer}, loss="sparse_categorical_crossentropy")
`;

test("Python: Hands-On ML's SGD(clipvalue=1.0) / SGD(clipnorm=1.0) are read and trained, None is Keras's default", async () => {
  for (const [call, expected] of [
    ['keras.optimizers.SGD(clipvalue=1.0)', { type: 'SGD', clipvalue: 1 }],
    ['keras.optimizers.SGD(clipnorm=1.0)', { type: 'SGD', clipnorm: 1 }],
    ['keras.optimizers.Adam(global_clipnorm=2, clipnorm=None)', { type: 'Adam', global_clipnorm: 2 }],
  ] as const) {
    const [m] = await parsePythonModels(script(call));
    assert.deepEqual(m.definition?.compile?.optimizer, expected, call);
    assert.deepEqual(
      analyze(m).diagnostics.map((d) => d.message),
      [],
      call,
    );
  }
  const [both] = await parsePythonModels(script('keras.optimizers.SGD(clipvalue=0.5, clipnorm=1.0)'));
  const diagnostics = analyze(both).diagnostics;
  assert.deepEqual(
    diagnostics.map((d) => d.severity),
    ['warning'],
  );
  // Positioned at clipvalue's value in the call.
  const at = diagnostics[0].range!;
  const line = script('keras.optimizers.SGD(clipvalue=0.5, clipnorm=1.0)').split('\n')[at.start.line];
  assert.equal(line.slice(at.start.character, at.end.character), '0.5');
});
