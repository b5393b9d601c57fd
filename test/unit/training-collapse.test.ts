import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../../src/training/backend';
import type { BatchShape } from '../../src/training/worker/batches';
import { outputIsConstant } from '../../src/training/worker/collapse';

const shape: BatchShape = { inputShape: [1], exampleSize: 1, scale: 1, labels: 'float', numClasses: 2 };

test('a confident model on a file sorted by label is not "constant": its sigmoid saturates, its logits do not', async () => {
  const { tf } = await selectBackend('cpu');
  // Dense(1, sigmoid) with weight 100: inputs 1..400 give z from 100 to 40,000, so float32 sigmoid is exactly 1 for
  // every one of the first 256 rows; the last 400 rows (inputs -1..-400) give exactly 0.
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 1,
        activation: 'sigmoid',
        inputShape: [1],
        weights: [tf.tensor2d([[100]]), tf.tensor1d([0])],
      }),
    ],
  });
  const x = Float32Array.from({ length: 800 }, (_, i) => (i < 400 ? i + 1 : -(i - 399)));
  const split = { x, y: Float32Array.from({ length: 800 }, (_, i) => (i < 400 ? 1 : 0)), count: 800 };
  assert.equal(outputIsConstant(tf, model, split, shape), false);
  model.dispose();
});

test('a dead network (every relu unit off) is constant for different inputs', async () => {
  const { tf } = await selectBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 4,
        activation: 'relu',
        inputShape: [1],
        weights: [tf.tensor2d([[-1, -1, -1, -1]]), tf.tensor1d([-1000, -1000, -1000, -1000])],
      }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const split = {
    x: Float32Array.from({ length: 300 }, (_, i) => i),
    y: Float32Array.from({ length: 300 }, () => 0),
    count: 300,
  };
  assert.equal(outputIsConstant(tf, model, split, shape), true);
  // Identical inputs prove nothing.
  const same = { x: new Float32Array(300).fill(3), y: new Float32Array(300), count: 300 };
  assert.equal(outputIsConstant(tf, model, same, shape), false);
  model.dispose();
});
