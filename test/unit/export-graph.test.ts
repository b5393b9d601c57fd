/** The Keras script exporter with graph models and wrapped layers, read back by the Python front end. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, formatSummary, parseModelJson } from '../../src/model';
import { parsePythonModels, toKerasScript } from '../../src/model/python';
import type { ModelDefinition } from '../../src/model/types';

const residual: ModelDefinition = {
  name: 'res',
  dataset: { csv: 'data.csv', label: 'y' },
  layers: [
    { type: 'InputLayer', shape: [16], name: 'in' },
    { type: 'Dense', units: 32, activation: 'relu', name: 'a' },
    { type: 'Dense', units: 32, name: 'b' },
    { type: 'Dense', units: 32, name: 'skip', inputs: 'in' },
    { type: 'Add', inputs: ['b', 'skip'] },
    { type: 'Dense', units: 1, activation: 'sigmoid', name: 'model' },
  ],
  compile: { optimizer: 'adam', loss: 'binary_crossentropy' },
};

test('a graph exports as functional code whose layers keep their names, and reads back to the same summary', async () => {
  const script = toKerasScript(residual);
  assert.match(script, /^in_ = keras\.Input\(shape=\(16,\), name="in"\)$/m);
  assert.match(script, /^add = keras\.layers\.Add\(name="add"\)\(\[b, skip\]\)$/m);
  // A layer named like the script's own variables gets another variable name.
  assert.match(script, /^model_ = keras\.layers\.Dense\(1, activation="sigmoid", name="model"\)\(add\)$/m);
  assert.match(script, /^model = keras\.Model\(inputs=in_, outputs=model_, name="res"\)$/m);
  const [back] = await parsePythonModels(script);
  assert.equal(back.incomplete, undefined);
  const original = analyze(parseModelJson(JSON.stringify(residual))).summary!;
  assert.equal(formatSummary(analyze(back).summary!), formatSummary(original));
});

test('wrapped layers export as nested constructor calls; a leading InputLayer is the keras.Input', async () => {
  const def: ModelDefinition = {
    dataset: { csv: 'data.csv', label: 'y' },
    layers: [
      { type: 'InputLayer', shape: [20] },
      { type: 'Embedding', input_dim: 100, output_dim: 8 },
      { type: 'Bidirectional', layer: { type: 'LSTM', units: 4, return_sequences: true }, merge_mode: 'sum' },
      { type: 'TimeDistributed', layer: { type: 'Dense', units: 2 } },
      { type: 'GlobalMaxPooling1D' },
      { type: 'Dense', units: 1, activation: 'sigmoid' },
    ],
  };
  const script = toKerasScript(def);
  assert.match(script, /keras\.Input\(shape=\(20,\)\),\n\s+keras\.layers\.Embedding\(100, 8\),/);
  assert.match(
    script,
    /keras\.layers\.Bidirectional\(keras\.layers\.LSTM\(4, return_sequences=True\), merge_mode="sum"\)/,
  );
  assert.match(script, /keras\.layers\.TimeDistributed\(keras\.layers\.Dense\(2\)\)/);
  const [back] = await parsePythonModels(script);
  assert.equal(analyze(back).summary!.totalParams, analyze(parseModelJson(JSON.stringify(def))).summary!.totalParams);
});
