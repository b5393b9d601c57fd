/**
 * Optimizers as older and newer Keras code writes them: Keras 2's `decay=` (Deep Learning with Python, first edition:
 * `RMSprop(lr=0.0008, clipvalue=1.0, decay=1e-8)`) is its learning rate / (1 + decay · iterations), which Model Lab
 * trains as Keras's InverseTimeDecay with decay_steps=1; the Keras optimizers Model Lab has no rule for (Ftrl, Lion, …)
 * are information and not trained, never "Unknown optimizer".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { effectiveSchedule, learningRateAt, type ScheduleSpec } from '../../src/model/lr-schedules';
import { parsePythonModels } from '../../src/model/python/index';

const script = (optimizer: string) => `from tensorflow import keras
model = keras.Sequential([keras.layers.Dense(10, activation="softmax", input_shape=(784,))])
model.compile(optimizer=${optimizer}, loss="sparse_categorical_crossentropy")
`;

test("Keras 2's decay= is InverseTimeDecay(lr, decay_steps=1, decay_rate=decay): Keras 2's lr / (1 + decay · iterations)", async () => {
  const [m] = await parsePythonModels(script('keras.optimizers.RMSprop(lr=0.0008, clipvalue=1.0, decay=1e-8)'));
  const optimizer = m.definition?.compile?.optimizer as { type: string; learning_rate: ScheduleSpec };
  assert.deepEqual(optimizer, {
    type: 'RMSprop',
    clipvalue: 1,
    learning_rate: { type: 'InverseTimeDecay', initial_learning_rate: 0.0008, decay_steps: 1, decay_rate: 1e-8 },
  });
  const a = analyze(m);
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.equal(m.incomplete, undefined);
  // Keras 2.x optimizer_v1.RMSprop: lr = self.lr * (1. / (1. + self.decay * iterations)), iterations 0 at the first update.
  const schedule = effectiveSchedule(optimizer.learning_rate);
  assert.ok(typeof schedule !== 'string');
  for (const iterations of [0, 1, 1000, 10 ** 8])
    assert.equal(learningRateAt(schedule, iterations), 0.0008 * (1 / (1 + 1e-8 * iterations)));

  // The optimizer's default learning rate when none is given; decay=0 (Keras 2's default) changes nothing.
  const [sgd] = await parsePythonModels(script('keras.optimizers.SGD(decay=1e-6, momentum=0.9)'));
  assert.deepEqual(sgd.definition?.compile?.optimizer, {
    type: 'SGD',
    momentum: 0.9,
    learning_rate: { type: 'InverseTimeDecay', initial_learning_rate: 0.01, decay_steps: 1, decay_rate: 1e-6 },
  });
  const [none] = await parsePythonModels(script('keras.optimizers.Adam(lr=0.01, decay=0)'));
  assert.deepEqual(none.definition?.compile?.optimizer, { type: 'Adam', learning_rate: 0.01 });
  // With a schedule already, the decay is said not to be trained.
  const [both] = await parsePythonModels(
    script(
      'keras.optimizers.SGD(learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.9), decay=1e-4)',
    ),
  );
  assert.ok(
    both.diagnostics.some((d) => d.severity === 'warning' && /decay with a learning-rate schedule/.test(d.message)),
  );
});

test('Keras optimizers Model Lab has no rule for are information and not trained, by name or by class', async () => {
  for (const optimizer of ['"ftrl"', 'keras.optimizers.Lion(learning_rate=1e-4)', '"Adafactor"']) {
    const [m] = await parsePythonModels(script(optimizer));
    const a = analyze(m);
    assert.deepEqual(
      a.diagnostics.filter((d) => d.severity === 'error'),
      [],
      optimizer,
    );
    const said = a.diagnostics.find((d) => /does not train with Keras's \w+ optimizer/.test(d.message));
    assert.equal(said?.severity, 'information', optimizer);
    assert.equal(said?.range.start.line, 2, optimizer);
    assert.match(m.incomplete ?? '', /is not one Model Lab trains/, optimizer);
  }
  // A misspelt name is still an error with a suggestion.
  const [typo] = await parsePythonModels(script('"adamm"'));
  assert.ok(
    analyze(typo).diagnostics.some((d) => d.severity === 'error' && /Unknown optimizer 'adamm'/.test(d.message)),
  );
});
