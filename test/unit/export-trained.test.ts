/** The exported Keras script carries what trains the model: a learning-rate schedule and the fit's callbacks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toKerasScript } from '../../src/model/python/keras-script';
import type { ModelDefinition } from '../../src/model/types';

const def: ModelDefinition = {
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: {
    optimizer: {
      type: 'SGD',
      momentum: 0.9,
      learning_rate: { type: 'PiecewiseConstantDecay', boundaries: [100], values: [0.1, 0.01] },
    },
    loss: 'sparse_categorical_crossentropy',
  },
  fit: {
    epochs: 50,
    callbacks: [
      { type: 'EarlyStopping', monitor: 'val_loss', patience: 2, restore_best_weights: true },
      { type: 'ModelCheckpoint', save_best_only: true },
    ],
  },
};

test('a schedule is written as keras.optimizers.schedules.X(...) and callbacks as keras.callbacks.X(...)', () => {
  const script = toKerasScript(def);
  assert.match(
    script,
    /optimizer=keras\.optimizers\.SGD\(learning_rate=keras\.optimizers\.schedules\.PiecewiseConstantDecay\(boundaries=\[100\], values=\[0\.1, 0\.01\]\), momentum=0\.9, nesterov=False\)/,
  );
  assert.doesNotMatch(script, /learning_rate_schedule/);
  assert.match(
    script,
    /callbacks=\[keras\.callbacks\.EarlyStopping\(monitor="val_loss", patience=2, restore_best_weights=True\), keras\.callbacks\.ModelCheckpoint\(filepath="best\.keras", save_best_only=True\)\]/,
  );
});
