/**
 * Issue 14: a layer name TensorFlow rejects ("output layer", non-ASCII, a '/') passed `check` and then crashed every
 * run with a stack trace. It is now an error at the name's position in `check`, in JSON and Python files alike.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parseModelJson } from '../../src/model/parse-json';
import { parsePythonModels } from '../../src/model/python/index';
import { assertUserMessage } from '../fixtures/reliability/harness';

const BAD = ['output layer', 'café', 'a/b', '_private', '-dash', 'tab\tname', '层', 'x\u202ey'];
const GOOD = ['dense', 'dense_1', 'Out.put-2', '0start'];

function nameErrors(text: string) {
  return analyze(parseModelJson(text)).diagnostics.filter((d) => d.severity === 'error');
}

test('names TensorFlow refuses are errors at the name; names it accepts are not', () => {
  for (const name of BAD) {
    const text = `{"layers": [\n  {"type": "Dense", "units": 2, "input_shape": [3], "name": ${JSON.stringify(name)}}\n]}`;
    const errors = nameErrors(text);
    assert.equal(errors.length, 1, `${JSON.stringify(name)}: ${JSON.stringify(errors)}`);
    assert.equal(errors[0].range.start.line, 1);
    assert.equal(errors[0].range.start.character, text.split('\n')[1].indexOf('"name"') + 8);
    assertUserMessage(errors[0].message, ['layers[0].name'], JSON.stringify(name));
  }
  for (const name of GOOD) {
    assert.deepEqual(
      nameErrors(`{"layers": [{"type": "Dense", "units": 2, "input_shape": [3], "name": ${JSON.stringify(name)}}]}`),
      [],
      name,
    );
  }
});

test('the same rule in a Keras .py file, positioned at the string', async () => {
  const text =
    'from tensorflow import keras\nmodel = keras.Sequential([\n    keras.Input(shape=(4,)),\n    keras.layers.Dense(3, name="output layer"),\n])\n';
  const [model] = await parsePythonModels(text);
  const errors = analyze(model).diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0].range.start.line, 3);
  assert.match(errors[0].message, /'output layer' is not a name TensorFlow accepts/);
});
