/**
 * The trained model in Python: a run's weights.npz loads with NumPy alone (Debian's python3-numpy, no Model Lab, no
 * TensorFlow), and the MLP's forward pass computed in NumPy from it gives Model Lab's predictions on the validation
 * images within 1e-4. Model Lab's predictions come from the tfjs model the same run saved (model.json +
 * weights.bin), so the test also shows both formats hold the same weights in the same order.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset, normalizeDatasetSpec, splitValidation } from '../../src/data/index';
import { toKerasScript } from '../../src/model/python/keras-script';
import type { ModelDefinition } from '../../src/model/types';
import type { RunSpec, WorkerEvent } from '../../src/protocol';
import { npyBytes } from '../../src/data/npy';
import { runTraining } from '../../src/training/worker/run';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'model-lab-npz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const definition: ModelDefinition = {
  dataset: { name: 'fashion-mnist-sample', validation_split: 0.2, seed: 42 },
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 32, activation: 'relu' },
    { type: 'Dense', units: 16, activation: 'tanh' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs: 2, batch_size: 64 },
};

const FORWARD = `
import sys
import numpy as np
w = np.load(sys.argv[1])
names = sorted(w.files)
x = np.load(sys.argv[2]).reshape(-1, 784).astype(np.float64)
want = np.load(sys.argv[3])
layers = [(w[names[i]], w[names[i + 1]]) for i in range(0, len(names), 2)]
print("arrays", " ".join(f"{n}{w[n].shape}".replace(" ", "") for n in names))
h = x
for i, (kernel, bias) in enumerate(layers):
    h = h @ kernel + bias
    if i == 0:
        h = np.maximum(h, 0)
    elif i == 1:
        h = np.tanh(h)
    else:
        h = np.exp(h - h.max(axis=1, keepdims=True))
        h = h / h.sum(axis=1, keepdims=True)
diff = np.abs(h - want).max()
print("maxdiff", diff)
print("argmax_equal", int((h.argmax(1) == want.argmax(1)).sum()), len(want))
`;

test(
  "weights.npz loads in NumPy and its forward pass equals Model Lab's predictions within 1e-4",
  { skip: !existsSync(PYTHON) && 'no /usr/bin/python3' },
  async () => {
    const out = join(dir, 'weights');
    const spec: RunSpec = {
      runId: 'r',
      label: 'r',
      definition,
      repeat: 0,
      seed: 9,
      backend: 'wasm',
      baseDir: dir,
      cacheDir: join(dir, '.cache'),
      saveWeightsTo: out,
    };
    const events: WorkerEvent[] = [];
    await runTraining(spec, (e) => events.push(e), { stopped: false });
    const finished = events.find((e) => e.type === 'finished');
    assert.equal(finished?.type === 'finished' && finished.status, 'completed');
    assert.ok(existsSync(join(out, 'weights.npz')));

    // Model Lab's predictions: the saved tfjs model on the run's validation images (same split, same scaling).
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const bin = readFileSync(join(out, 'weights.bin'));
    await tf.setBackend('cpu');
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
      }),
    );
    const data = await loadDataset({
      spec: normalizeDatasetSpec(definition.dataset),
      baseDir: dir,
      cacheDir: join(dir, '.cache'),
      loss: 'sparse_categorical_crossentropy',
    });
    const { validation } = splitValidation(data.train, 784, 0.2, 42);
    const pixels = Float32Array.from(validation.x, (v) => v * data.scale);
    const predictions = tf.tidy(
      () => (model.predict(tf.tensor(pixels, [validation.count, 28, 28])) as tf.Tensor).dataSync() as Float32Array,
    );
    writeFileSync(join(dir, 'x_val.npy'), npyBytes([validation.count, 28, 28], pixels));
    writeFileSync(join(dir, 'pred.npy'), npyBytes([validation.count, 10], Float32Array.from(predictions)));
    writeFileSync(join(dir, 'forward.py'), FORWARD);

    const result = execFileSync(
      PYTHON,
      [join(dir, 'forward.py'), join(out, 'weights.npz'), join(dir, 'x_val.npy'), join(dir, 'pred.npy')],
      { encoding: 'utf8', timeout: 60_000 },
    );
    // Keras's get_weights() order: kernel then bias, layer by layer.
    assert.match(
      result,
      /arrays w00_dense_kernel\(784,32\) w01_dense_bias\(32,\) w02_dense_1_kernel\(32,16\) w03_dense_1_bias\(16,\) w04_dense_2_kernel\(16,10\) w05_dense_2_bias\(10,\)/,
    );
    const diff = Number(/maxdiff (\S+)/.exec(result)![1]);
    assert.ok(diff < 1e-4, `NumPy and Model Lab differ by ${diff}`);
    assert.match(result, new RegExp(`argmax_equal ${validation.count} ${validation.count}`));
    model.dispose();
  },
);

test('the Keras script for a trained run builds the model and sets the weights from the .npz instead of training', () => {
  const script = toKerasScript(definition, { trainedWeights: 'weights.npz' });
  assert.match(script, /trained = np\.load\(Path\(__file__\)\.resolve\(\)\.parent \/ "weights\.npz"\)/);
  assert.match(script, /model\.set_weights\(\[trained\[name\] for name in sorted\(trained\.files\)\]\)/);
  assert.match(script, /^# To train further: history = model\.fit\(/m);
  assert.doesNotMatch(script, /^history = /m);
  const hostile = toKerasScript(definition, { trainedWeights: 'we"ird\\\n.npz' });
  assert.match(hostile, /"we\\"ird\\\\\\n\.npz"/);
});
