/**
 * Keras callbacks and learning-rate schedules, against values worked out by hand from Keras's source
 * (keras/src/callbacks/early_stopping.py, reduce_lr_on_plateau.py, optimizers/schedules/learning_rate_schedule.py).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveCallbacks, type EffectiveCallback } from '../../src/model/callbacks';
import { effectiveSchedule, learningRateAt, type EffectiveSchedule } from '../../src/model/lr-schedules';
import { effectiveOptimizer, learningRateSchedule, optimizerLabel } from '../../src/model/optimizers';
import { CallbackRunner } from '../../src/training/worker/keras-callbacks';

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);
const sched = (spec: Record<string, unknown>): EffectiveSchedule => {
  const s = effectiveSchedule(spec as { type: string });
  assert.equal(typeof s, 'object', String(s));
  return s as EffectiveSchedule;
};

test('ExponentialDecay: 0.1 · 0.96^(step/100), staircase floors the exponent', () => {
  const s = sched({ type: 'ExponentialDecay', initial_learning_rate: 0.1, decay_steps: 100, decay_rate: 0.96 });
  near(learningRateAt(s, 0), 0.1);
  near(learningRateAt(s, 50), 0.1 * Math.sqrt(0.96)); // 0.0979795897…
  near(learningRateAt(s, 200), 0.09216);
  const st = sched({
    type: 'ExponentialDecay',
    initial_learning_rate: 0.1,
    decay_steps: 100,
    decay_rate: 0.96,
    staircase: true,
  });
  near(learningRateAt(st, 99), 0.1);
  near(learningRateAt(st, 150), 0.096);
  near(learningRateAt(st, 250), 0.09216);
});

test('PiecewiseConstantDecay: a boundary step still takes the earlier value', () => {
  const s = sched({ type: 'PiecewiseConstantDecay', boundaries: [100, 200], values: [1.0, 0.5, 0.1] });
  assert.deepEqual(
    [0, 100, 101, 200, 201, 10_000].map((t) => learningRateAt(s, t)),
    [1.0, 1.0, 0.5, 0.5, 0.1, 0.1],
  );
  assert.match(
    String(effectiveSchedule({ type: 'PiecewiseConstantDecay', boundaries: [1, 2], values: [1, 2] })),
    /one more value than boundaries/,
  );
});

test('CosineDecay: half a cosine to alpha, clamped after decay_steps; linear warmup to warmup_target', () => {
  const s = sched({ type: 'CosineDecay', initial_learning_rate: 0.1, decay_steps: 1000 });
  near(learningRateAt(s, 0), 0.1);
  near(learningRateAt(s, 500), 0.05);
  near(learningRateAt(s, 1000), 0);
  const a = sched({ type: 'CosineDecay', initial_learning_rate: 0.1, decay_steps: 1000, alpha: 0.1 });
  near(learningRateAt(a, 1000), 0.01);
  near(learningRateAt(a, 5000), 0.01);
  near(learningRateAt(a, 500), 0.1 * (0.9 * 0.5 + 0.1)); // 0.055
  const w = sched({
    type: 'CosineDecay',
    initial_learning_rate: 0,
    decay_steps: 1000,
    warmup_target: 0.1,
    warmup_steps: 100,
  });
  near(learningRateAt(w, 50), 0.05);
  near(learningRateAt(w, 100), 0.1);
  near(learningRateAt(w, 600), 0.05);
  near(learningRateAt(w, 5000), 0);
});

test('InverseTimeDecay: 0.1 / (1 + 0.5 · step/10), staircase floors the ratio', () => {
  const s = sched({ type: 'InverseTimeDecay', initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5 });
  near(learningRateAt(s, 20), 0.05);
  near(learningRateAt(s, 15), 0.1 / 1.75);
  const st = sched({
    type: 'InverseTimeDecay',
    initial_learning_rate: 0.1,
    decay_steps: 10,
    decay_rate: 0.5,
    staircase: true,
  });
  near(learningRateAt(st, 15), 0.1 / 1.5);
});

test('a schedule as learning_rate: the effective optimizer shows its step-0 rate and names it', () => {
  const spec = {
    type: 'SGD',
    learning_rate: {
      type: 'ExponentialDecay',
      initial_learning_rate: 0.1,
      decay_steps: 100,
      decay_rate: 0.5,
      staircase: true,
    },
  };
  const eff = effectiveOptimizer(spec);
  assert.equal(eff.learning_rate, 0.1);
  assert.equal(
    eff.learning_rate_schedule,
    'ExponentialDecay(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5, staircase=True)',
  );
  assert.equal(
    optimizerLabel(spec),
    'SGD(lr=ExponentialDecay(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5, staircase=True))',
  );
  const s = learningRateSchedule(spec) as EffectiveSchedule;
  near(learningRateAt(s, 100), 0.05);
  assert.match(
    String(learningRateSchedule({ type: 'SGD', learning_rate: { type: 'StepDecay' } })),
    /Unknown learning-rate schedule 'StepDecay'/,
  );
});

const cbs = (list: unknown[]): EffectiveCallback[] => {
  const c = effectiveCallbacks(list);
  assert.ok(Array.isArray(c), String(c));
  return c;
};

/** Runs val_loss values through the callbacks; returns the 1-based epoch it stopped after, and the runner. */
function drive(list: unknown[], values: number[], monitor = 'val_loss') {
  const runner = new CallbackRunner(cbs(list));
  for (let e = 0; e < values.length; e++) {
    const a = runner.onEpochEnd(e, { [monitor]: values[e] }, 0.1);
    if (a.stop) return { stopped: a.stop.epoch, runner, stop: a.stop };
  }
  return { stopped: undefined, runner };
}

test("Keras's defaults are filled in; wrong arguments are refused in one sentence", () => {
  assert.deepEqual(cbs([{ type: 'EarlyStopping' }])[0], {
    type: 'EarlyStopping',
    monitor: 'val_loss',
    min_delta: 0,
    patience: 0,
    verbose: 0,
    mode: 'auto',
    baseline: null,
    restore_best_weights: false,
    start_from_epoch: 0,
  });
  assert.deepEqual(cbs([{ type: 'ReduceLROnPlateau' }])[0], {
    type: 'ReduceLROnPlateau',
    monitor: 'val_loss',
    factor: 0.1,
    patience: 10,
    verbose: 0,
    mode: 'auto',
    min_delta: 1e-4,
    cooldown: 0,
    min_lr: 0,
  });
  assert.match(
    String(effectiveCallbacks([{ type: 'ReduceLROnPlateau', factor: 1 }])),
    /factor must be between 0 and 1/,
  );
  assert.match(String(effectiveCallbacks([{ type: 'EarlyStoping' }])), /unknown callback "EarlyStoping"/);
  assert.match(String(effectiveCallbacks([{ type: 'EarlyStopping', patients: 2 }])), /has no argument 'patients'/);
});

test('EarlyStopping patience 1 stops one epoch after the best and restores it', () => {
  const { stopped, runner, stop } = drive(
    [{ type: 'EarlyStopping', patience: 1, restore_best_weights: true }],
    [1.0, 0.8, 0.9, 0.7],
  );
  assert.equal(stopped, 3);
  assert.match(stop!.message, /Epoch 3: early stopping: val_loss did not improve on 0\.8000 for 1 epoch/);
  assert.deepEqual(runner.onTrainEnd().epoch, 2);
});

test('EarlyStopping patience 0: an improving epoch never stops, the first worse one does (never epoch 1)', () => {
  assert.equal(drive([{ type: 'EarlyStopping' }], [1.0, 0.9, 0.8, 0.85]).stopped, 4);
  assert.equal(drive([{ type: 'EarlyStopping' }], [1.0]).stopped, undefined);
});

test('EarlyStopping min_delta counts as improvement only beyond it; its sign follows the mode', () => {
  assert.equal(drive([{ type: 'EarlyStopping', patience: 1, min_delta: 0.1 }], [1.0, 0.95, 0.5]).stopped, 2);
  assert.equal(drive([{ type: 'EarlyStopping', patience: 1, min_delta: -0.1 }], [1.0, 0.85, 0.5]).stopped, undefined);
  // accuracy is maximised in mode auto
  assert.equal(
    drive(
      [{ type: 'EarlyStopping', monitor: 'val_accuracy', patience: 1, min_delta: 0.01 }],
      [0.5, 0.505, 0.9],
      'val_accuracy',
    ).stopped,
    2,
  );
  assert.equal(
    drive([{ type: 'EarlyStopping', monitor: 'val_accuracy', patience: 1 }], [0.5, 0.6, 0.7], 'val_accuracy').stopped,
    undefined,
  );
});

test('EarlyStopping baseline: improvements that miss the baseline keep the wait counting', () => {
  assert.equal(drive([{ type: 'EarlyStopping', patience: 2, baseline: 0.5 }], [1.0, 0.9, 0.95]).stopped, 3);
  assert.equal(drive([{ type: 'EarlyStopping', patience: 2, baseline: 0.5 }], [0.4, 0.45, 0.45]).stopped, 3);
  assert.equal(drive([{ type: 'EarlyStopping', patience: 2 }], [1.0, 0.9, 0.95]).stopped, undefined);
});

test('EarlyStopping start_from_epoch ignores the first epochs; restore without improvement keeps the first watched epoch', () => {
  assert.equal(drive([{ type: 'EarlyStopping', start_from_epoch: 2 }], [1, 2, 3, 4]).stopped, 4);
  const { runner } = drive(
    [{ type: 'EarlyStopping', patience: 5, restore_best_weights: true, start_from_epoch: 1 }],
    [1, 2, 3],
  );
  assert.equal(runner.onTrainEnd().epoch, 2);
});

test('ReduceLROnPlateau lowers lr after patience epochs, respects cooldown and min_lr', () => {
  const run = (list: unknown[], values: number[], lr0: number) => {
    const r = new CallbackRunner(cbs(list));
    let lr = lr0;
    const seen: number[] = [];
    values.forEach((v, e) => {
      const a = r.onEpochEnd(e, { val_loss: v }, lr);
      if (a.lr !== undefined) lr = a.lr;
      seen.push(lr);
    });
    return seen;
  };
  assert.deepEqual(
    run([{ type: 'ReduceLROnPlateau', patience: 1, factor: 0.5 }], [1, 1, 1, 0.5, 0.5], 0.1),
    [0.1, 0.05, 0.025, 0.025, 0.0125],
  );
  // cooldown 2: the epoch after a reduction is not counted
  assert.deepEqual(
    run([{ type: 'ReduceLROnPlateau', patience: 1, factor: 0.5, cooldown: 2 }], [1, 1, 1, 1, 1], 0.1),
    [0.1, 0.05, 0.05, 0.025, 0.025],
  );
  // min_delta 1e-4 by default: 0.99995 is no improvement on 1
  assert.deepEqual(run([{ type: 'ReduceLROnPlateau', patience: 1, factor: 0.5 }], [1, 0.99995], 0.1), [0.1, 0.05]);
  assert.deepEqual(
    run([{ type: 'ReduceLROnPlateau', patience: 1, min_lr: 0.05 }], [1, 1, 1, 1], 0.1),
    [0.1, 0.05, 0.05, 0.05],
  );
});

test('ModelCheckpoint(save_best_only) keeps the best epoch; TerminateOnNaN is recognised', () => {
  const r = new CallbackRunner(
    cbs([{ type: 'ModelCheckpoint', save_best_only: true, monitor: 'val_accuracy' }, { type: 'TerminateOnNaN' }]),
  );
  assert.deepEqual(r.onEpochEnd(0, { val_accuracy: 0.5 }, 0.1).keep, ['checkpoint']);
  assert.deepEqual(r.onEpochEnd(1, { val_accuracy: 0.7 }, 0.1).keep, ['checkpoint']);
  assert.deepEqual(r.onEpochEnd(2, { val_accuracy: 0.6 }, 0.1).keep, []);
  assert.equal(r.checkpointEpoch(), 2);
  assert.equal(r.terminateOnNaN, true);
});

test('analysis: schedule and callback problems are positioned errors or warnings, each said once', async () => {
  const { parseModelJson } = await import('../../src/model/parse-json');
  const { analyze } = await import('../../src/model/analyze');
  const text = JSON.stringify({
    dataset: 'fashion-mnist-sample',
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    compile: {
      optimizer: {
        type: 'SGD',
        learning_rate: { type: 'PiecewiseConstantDecay', boundaries: [10, 20], values: [1, 2] },
      },
      loss: 'sparse_categorical_crossentropy',
    },
    fit: { callbacks: [{ type: 'ReduceLROnPlateau' }, { type: 'EarlyStopping', monitor: 'val_accuracy' }] },
  });
  const d = analyze(parseModelJson(text)).diagnostics.map((x) => [x.severity, x.code, x.path]);
  assert.deepEqual(d, [
    ['error', 'schedule', 'compile.optimizer.learning_rate'],
    ['error', 'callback-schedule', 'fit.callbacks[0]'],
    ['warning', 'callback-monitor', 'fit.callbacks[1].monitor'],
  ]);
});

test('ModelCheckpoint watches its monitor only with save_best_only (it saves every epoch otherwise, in Keras too)', async () => {
  const { analyze } = await import('../../src/model/analyze');
  const { parseModelJson } = await import('../../src/model/parse-json');
  const codes = (checkpoint: Record<string, unknown>) =>
    analyze(
      parseModelJson(
        JSON.stringify({
          dataset: { name: 'fashion-mnist-sample', validation_split: 0 },
          layers: [
            { type: 'Flatten', input_shape: [28, 28] },
            { type: 'Dense', units: 10, activation: 'softmax' },
          ],
          fit: { callbacks: [{ type: 'ModelCheckpoint', ...checkpoint }] },
        }),
      ),
    ).diagnostics.map((x) => x.code);
  assert.deepEqual(codes({}), []);
  assert.deepEqual(codes({ monitor: 'val_accuracy' }), []);
  assert.deepEqual(codes({ save_best_only: true }), ['callback-monitor']);
});
