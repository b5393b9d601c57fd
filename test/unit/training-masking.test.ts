/**
 * mask_zero as Keras applies it: padding (token 0) before a sequence is skipped by the LSTM after the Embedding, so
 * a padded sequence gives the same output as the unpadded one with the same weights (keras.utils.pad_sequences pads
 * at the front by default). Without mask_zero the padding steps change the state, which shows the test can fail.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { analyzeDefinition } from '../../src/model/analyze';
import { ZERO_RANGE } from '../../src/model/text-lines';
import type { ModelDefinition } from '../../src/model/types';
import { selectBackend } from '../../src/training/backend';
import { buildModel } from '../../src/training/worker/build-model';
import type { TF } from '../../src/training/worker/engine';
import { forward } from '../../src/training/worker/forward';

let tf: TF;
before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

function model(length: number, maskZero: boolean, graph: boolean) {
  const layers = [
    { type: 'Embedding', input_dim: 10, output_dim: 3, mask_zero: maskZero },
    { type: 'LSTM', units: 4 },
    { type: 'Dense', units: 2, activation: 'softmax' },
  ];
  const def: ModelDefinition = graph
    ? { outputs: 'dense', layers: [{ type: 'InputLayer', shape: [length] }, ...layers] }
    : { layers: [{ ...layers[0], input_shape: [length] }, ...layers.slice(1)] };
  const a = analyzeDefinition(def, { values: new Map(), keys: new Map() }, ZERO_RANGE);
  assert.ok(a.summary, a.diagnostics.map((d) => d.message).join('; '));
  return buildModel(tf, def, { names: a.layers.map((l) => l.name), inputShape: a.inputShape as number[], seed: 5 });
}

function outputs(maskZero: boolean, graph: boolean): [number[], number[]] {
  const padded = model(5, maskZero, graph);
  const plain = model(2, maskZero, graph);
  plain.setWeights(padded.getWeights());
  const a = tf.tidy(() => Array.from(forward(tf, padded, tf.tensor2d([[0, 0, 0, 3, 5]]), false).output.dataSync()));
  const b = tf.tidy(() => Array.from(forward(tf, plain, tf.tensor2d([[3, 5]]), false).output.dataSync()));
  padded.dispose();
  plain.dispose();
  return [a, b];
}

for (const graph of [false, true]) {
  test(`mask_zero: a front-padded sequence gives the unpadded output (${graph ? 'graph' : 'layer list'})`, () => {
    const [a, b] = outputs(true, graph);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6, `${a} vs ${b}`));
  });
}

test('without mask_zero the padding steps change the output', () => {
  const [a, b] = outputs(false, false);
  assert.ok(
    a.some((v, i) => Math.abs(v - b[i]) > 1e-6),
    `${a} vs ${b}`,
  );
});
