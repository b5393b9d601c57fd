/**
 * `compile.from_logits` in a definition: only with the three crossentropies (a positioned error naming the loss),
 * Keras's own warning after a softmax/sigmoid output, a linear single unit accepted by binary crossentropy, the
 * hover on the loss.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, hoverAt, parseModelJson, type Diagnostic } from '../../src/model';

const model = (out: string, compile: string) => `{
  "dataset": "fashion-mnist",
  "layers": [
    { "type": "Flatten", "input_shape": [28, 28] },
    { "type": "Dense", "units": 128, "activation": "relu" },
    ${out}
  ],
  "compile": { ${compile} }
}`;
const LINEAR10 = '{ "type": "Dense", "units": 10 }';
const SOFTMAX10 = '{ "type": "Dense", "units": 10, "activation": "softmax" }';

function diagnose(text: string): Diagnostic[] {
  return analyze(parseModelJson(text)).diagnostics;
}

/** Line and character of the first `needle` in `text`. */
function at(text: string, needle: string): { line: number; character: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, needle);
  const before = text.slice(0, i);
  return { line: before.split('\n').length - 1, character: i - before.lastIndexOf('\n') - 1 };
}

test('the beginner quickstart as a definition: a linear Dense(10) with from_logits has no diagnostics', () => {
  const text = model(
    LINEAR10,
    '"loss": "sparse_categorical_crossentropy", "from_logits": true, "metrics": ["accuracy"]',
  );
  assert.deepEqual(diagnose(text), []);
  assert.equal(analyze(parseModelJson(text)).loss, 'sparse_categorical_crossentropy');
});

test('from_logits with a loss that is not a crossentropy is an error at from_logits naming the loss', () => {
  const text = model(LINEAR10, '"loss": "mse", "from_logits": true');
  const d = diagnose(text).filter((x) => x.code === 'from-logits-loss');
  assert.equal(d.length, 1, JSON.stringify(diagnose(text)));
  assert.equal(d[0].severity, 'error');
  assert.match(d[0].message, /^from_logits only applies to sparse_categorical_crossentropy, .*the loss here is mse/);
  assert.deepEqual(d[0].range.start, at(text, 'true'));
  // false is Keras's default: nothing to say.
  assert.deepEqual(diagnose(model(LINEAR10, '"loss": "mse", "from_logits": false')), []);
});

test('from_logits after a softmax or sigmoid output: a warning worded as Keras words it', () => {
  const text = model(SOFTMAX10, '"loss": "sparse_categorical_crossentropy", "from_logits": true');
  const d = diagnose(text);
  assert.equal(d.length, 1, JSON.stringify(d));
  assert.equal(d[0].code, 'from-logits-activation');
  assert.equal(d[0].severity, 'warning');
  assert.match(
    d[0].message,
    /^`sparse_categorical_crossentropy` received `from_logits=True`, but the `output` argument was produced by a Softmax activation and thus does not represent logits\. Was this intended\?/,
  );
  assert.deepEqual(d[0].range.start, at(text, 'true'));
  const sigmoid = model(
    '{ "type": "Dense", "units": 1, "activation": "sigmoid" }',
    '"loss": "binary_crossentropy", "from_logits": true',
  ).replace('"fashion-mnist"', '{ "csv": "x.csv", "label": "y" }');
  const s = diagnose(sigmoid).filter((x) => x.code === 'from-logits-activation');
  assert.match(s[0]?.message ?? '', /^`binary_crossentropy` received .*produced by a Sigmoid activation/);
});

test('binary crossentropy: a linear single unit is right with from_logits, a warning without it (Keras trains it clipped)', () => {
  const linear1 = (compile: string) =>
    model('{ "type": "Dense", "units": 1 }', compile).replace('"fashion-mnist"', '{ "csv": "x.csv", "label": "y" }');
  const ok = diagnose(linear1('"loss": "binary_crossentropy", "from_logits": true'));
  assert.deepEqual(
    ok.filter((d) => d.severity !== 'information').map((d) => d.code),
    [],
  );
  const without = diagnose(linear1('"loss": "binary_crossentropy"')).filter((d) => d.severity !== 'information');
  assert.deepEqual(
    without.map((d) => [d.code, d.severity]),
    [['loss-activation', 'warning']],
  );
  assert.match(without[0]?.message ?? '', /Keras clips the output .* a linear unit with from_logits=True\.$/);
  // No loss named: from_logits on one unit means binary crossentropy (it goes only with the crossentropies).
  assert.equal(analyze(parseModelJson(linear1('"from_logits": true'))).loss, 'binary_crossentropy');
});

test('a linear output with a crossentropy and no from_logits stays accepted (Keras trains it on clipped values)', () => {
  assert.deepEqual(diagnose(model(LINEAR10, '"loss": "sparse_categorical_crossentropy"')), []);
});

test('from_logits must be a boolean (schema), and the loss hover says the output is logits', () => {
  const bad = model(LINEAR10, '"loss": "sparse_categorical_crossentropy", "from_logits": "yes"');
  assert.ok(diagnose(bad).some((d) => d.severity === 'error' && /from_logits/.test(d.path ?? d.message)));
  const text = model(LINEAR10, '"loss": "sparse_categorical_crossentropy", "from_logits": true');
  const parsed = parseModelJson(text);
  const h = hoverAt(parsed, analyze(parsed), at(text, 'sparse_categorical_crossentropy"'));
  assert.ok(h);
  assert.match(h.markdown, /^\*\*sparse_categorical_crossentropy\*\* \(from logits\)/);
  assert.match(h.markdown, /the loss applies softmax to it itself/);
});
