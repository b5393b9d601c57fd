/** MultiHeadAttention: shapes and Keras's parameter counts against published summaries, in JSON and Python. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, formatSummary, parseModelJson, type Analysis } from '../../src/model';
import { parsePythonModels, toKerasScript } from '../../src/model/python';
import type { ModelDefinition } from '../../src/model/types';

const run = (def: object): Analysis => analyze(parseModelJson(JSON.stringify(def, null, 2)));
const errors = (a: Analysis) => a.diagnostics.filter((d) => d.severity === 'error');

/** Input(shape) → MultiHeadAttention(args)(x, x) → a pooled softmax head: the attention row's count and shape. */
function selfAttention(shape: (number | null)[], args: object) {
  const a = run({
    layers: [
      { type: 'InputLayer', shape, name: 'x' },
      { type: 'MultiHeadAttention', ...args, inputs: ['x', 'x'] },
      { type: 'GlobalAveragePooling1D' },
      { type: 'Dense', units: 2, activation: 'softmax' },
    ],
  });
  return { a, row: a.summary?.layers.find((l) => l.name === 'multi_head_attention') };
}

test('self-attention counts as Keras prints them: 4·d·h·k + 3·h·k + d (published: 7,169; 288; 6,300,161; 11,808,768)', () => {
  // keras.io "Timeseries classification with a Transformer model" (published rendering, Keras 2): input (500, 1),
  // key_dim=256, num_heads=4 → 7169. A notebook adaptation of it (Ethan0Jiang/ml_tutorial_practice,
  // timeseries_transformer_classification.ipynb): (500, 8), key_dim=2, num_heads=4 → 288. Two published summaries
  // whose configuration is not shown: (None, None, 1537) → 6,300,161 and (None, 122, 768) → 11,808,768, which the
  // formula gives for 1,024 and 3,840 head units (num_heads × key_dim); the split is ours.
  for (const [shape, args, want] of [
    [[500, 1], { key_dim: 256, num_heads: 4, dropout: 0.25 }, 7169],
    [[500, 8], { key_dim: 2, num_heads: 4 }, 288],
    [[null, 1537], { num_heads: 4, key_dim: 256 }, 6300161],
    [[122, 768], { num_heads: 12, key_dim: 320 }, 11808768],
  ] as const) {
    const { a, row } = selfAttention([...shape], args);
    assert.deepEqual(errors(a), [], JSON.stringify(args));
    assert.equal(row?.params, want, JSON.stringify(args));
    assert.deepEqual(row?.outputShape, [null, ...shape]);
    assert.deepEqual(row?.connectedTo, ['x[0][0]', 'x[0][0]']);
  }
});

test('cross-attention with a key, value_dim, output_shape and no biases: each projection from its own input', () => {
  const a = run({
    layers: [
      { type: 'InputLayer', shape: [10, 16], name: 'q' },
      { type: 'InputLayer', shape: [7, 32], name: 'v' },
      { type: 'InputLayer', shape: [7, 8], name: 'k' },
      {
        type: 'MultiHeadAttention',
        num_heads: 2,
        key_dim: 4,
        value_dim: 5,
        output_shape: 6,
        inputs: ['q', 'v', 'k'],
        name: 'mha',
      },
      { type: 'Flatten' },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
  });
  assert.deepEqual(errors(a), []);
  const row = a.summary!.layers.find((l) => l.name === 'mha')!;
  // query 16·2·4 + 8, key 8·2·4 + 8, value 32·2·5 + 10, output 2·5·6 + 6 = 136 + 72 + 330 + 66
  assert.equal(row.params, 604);
  assert.deepEqual(row.outputShape, [null, 10, 6]);
  const layer = a.layers.find((l) => l.name === 'mha')!;
  assert.match(layer.arithmetic ?? '', /query 16 × 2 × 4 \+ 2 × 4 = 136; key 8 × 2 × 4 \+ 2 × 4 = 72/);
  const noBias = run({
    layers: [
      { type: 'InputLayer', shape: [10, 16], name: 'q' },
      { type: 'MultiHeadAttention', num_heads: 2, key_dim: 4, use_bias: false, inputs: ['q', 'q'] },
      { type: 'Flatten' },
      { type: 'Dense', units: 3, activation: 'softmax' },
    ],
  });
  // 3 · 16·2·4 + 2·4·16 = 384 + 128
  assert.equal(noBias.summary!.layers[1].params, 512);
});

test('attention refuses a key whose positions do not match the value, one input, and a flat input, at the inputs', () => {
  const bad = (shapes: number[][], inputs: string[]) =>
    errors(
      run({
        layers: [
          ...shapes.map((shape, i) => ({ type: 'InputLayer', shape, name: `i${i}` })),
          { type: 'MultiHeadAttention', num_heads: 2, key_dim: 4, inputs },
          { type: 'Flatten' },
          { type: 'Dense', units: 3, activation: 'softmax' },
        ],
      }),
    ).map((d) => d.message);
  assert.match(
    bad(
      [
        [10, 16],
        [7, 32],
        [6, 8],
      ],
      ['i0', 'i1', 'i2'],
    ).join(),
    /key and value must have the same shape/,
  );
  assert.match(bad([[10, 16]], ['i0']).join(), /merges exactly|at least 2 inputs/);
  assert.match(bad([[16]], ['i0', 'i0']).join(), /as \(steps, features\) or longer/);
});

test('attention trains over (steps, features); over attention_axes or to a tuple output_shape it is shown, not trained', () => {
  const parsed = (extra: object) =>
    parseModelJson(
      JSON.stringify({
        layers: [
          { type: 'InputLayer', shape: [500, 1], name: 'x' },
          { type: 'MultiHeadAttention', key_dim: 256, num_heads: 4, inputs: ['x', 'x'], ...extra },
          { type: 'GlobalAveragePooling1D' },
          { type: 'Dense', units: 2, activation: 'softmax' },
        ],
      }),
    );
  assert.equal(parsed({}).untrainable, undefined);
  assert.match(
    parsed({ attention_axes: [1] }).untrainable?.reason ?? '',
    /does not train MultiHeadAttention: .*attention_axes/,
  );
  assert.match(parsed({ output_shape: [2, 3] }).untrainable?.reason ?? '', /output_shape of one dimension/);
});

test('Python: the keras.io timeseries transformer reads whole: its published 93,130 params, x + inputs rows TFOpLambda', async () => {
  // Source: the summary keras.io publishes for "Timeseries classification with a Transformer model" (keras-team/
  // keras-io @dad05faa, examples/timeseries/md/timeseries_classification_transformer.md: Keras 2, layer_normalization
  // before each multi_head_attention, "Total params: 93,130"), which the example's original (2021, pre-norm) code
  // printed; the page's code block was later changed to post-norm and channels_last pooling without a new run. The
  // code here is that original revision as public copies keep it; the data loading replaced by its shape (500, 1) and
  // 2 classes (`filters=inputs.shape[-1]` is the followed tensor's last dimension, 1).
  const source = `
from tensorflow import keras
from tensorflow.keras import layers

n_classes = 2
input_shape = (500, 1)

def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    # Normalization and Attention
    x = layers.LayerNormalization(epsilon=1e-6)(inputs)
    x = layers.MultiHeadAttention(
        key_dim=head_size, num_heads=num_heads, dropout=dropout
    )(x, x)
    x = layers.Dropout(dropout)(x)
    res = x + inputs

    # Feed Forward Part
    x = layers.LayerNormalization(epsilon=1e-6)(res)
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    return x + res

def build_model(
    input_shape,
    head_size,
    num_heads,
    ff_dim,
    num_transformer_blocks,
    mlp_units,
    dropout=0,
    mlp_dropout=0,
):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)

    x = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)

model = build_model(
    input_shape,
    head_size=256,
    num_heads=4,
    ff_dim=4,
    num_transformer_blocks=4,
    mlp_units=[128],
    mlp_dropout=0.4,
    dropout=0.25,
)
model.summary()
`;
  const [parsed] = await parsePythonModels(source);
  assert.equal(parsed.incomplete, undefined, JSON.stringify(parsed.incomplete));
  const a = analyze(parsed);
  assert.deepEqual(errors(a), []);
  const s = a.summary!;
  assert.equal(s.totalParams, 93130);
  // The published rows of the first block, names, params and "Connected to" alike.
  assert.deepEqual(
    s.layers.slice(0, 11).map((l) => [l.name, l.params, l.connectedTo]),
    [
      ['input_1', 0, []],
      ['layer_normalization', 2, ['input_1[0][0]']],
      ['multi_head_attention', 7169, ['layer_normalization[0][0]', 'layer_normalization[0][0]']],
      ['dropout', 0, ['multi_head_attention[0][0]']],
      ['tf.__operators__.add', 0, ['dropout[0][0]', 'input_1[0][0]']],
      ['layer_normalization_1', 2, ['tf.__operators__.add[0][0]']],
      ['conv1d', 8, ['layer_normalization_1[0][0]']],
      ['dropout_1', 0, ['conv1d[0][0]']],
      ['conv1d_1', 5, ['dropout_1[0][0]']],
      ['tf.__operators__.add_1', 0, ['conv1d_1[0][0]', 'tf.__operators__.add[0][0]']],
      ['layer_normalization_2', 2, ['tf.__operators__.add_1[0][0]']],
    ],
  );
  assert.deepEqual(
    s.layers.slice(-5).map((l) => [l.name, l.outputShape, l.params]),
    [
      ['tf.__operators__.add_7', [null, 500, 1], 0],
      ['global_average_pooling1d', [null, 500], 0],
      ['dense', [null, 128], 64128],
      ['dropout_8', [null, 128], 0],
      ['dense_1', [null, 2], 258],
    ],
  );
  const text = formatSummary(s, a.summaryPrint);
  assert.ok(text.includes(' multi_head_attention (MultiHea  (None, 500, 1)      7169'));
  assert.ok(
    text.includes("\n tf.__operators__.add (TFOpLamb  (None, 500, 1)      0           ['dropout[0][0]',\n da)  "),
  );
  // Keras 3 names an operator as the layer it is, counted with the Add layers: add, add_1, …
  const k3 = formatSummary(s, { ...a.summaryPrint, style: 'keras3' });
  assert.match(k3, /│ add_7 \(Add\) +│ \(None, 500, 1\)/);
  assert.doesNotMatch(k3, /TFOpLambda|tf\.__operators__/);
});

test('Python: x - y and x * y are Subtract and Multiply (tf.math.*), counted apart from the layers in Keras 2, with them in Keras 3', async () => {
  const source = `
import keras
from keras import layers
a = keras.Input(shape=(8,))
b = keras.Input(shape=(8,))
d = a - b
p = a * b
s = layers.Add()([d, p])
t = d + s
model = keras.Model([a, b], layers.Dense(1)(t))
`;
  const [parsed] = await parsePythonModels(source);
  assert.equal(parsed.incomplete, undefined);
  const a = analyze(parsed);
  assert.deepEqual(
    a.summary!.layers.slice(2, 6).map((l) => [l.name, l.type]),
    [
      ['tf.math.subtract', 'Subtract'],
      ['tf.math.multiply', 'Multiply'],
      ['add', 'Add'],
      ['tf.__operators__.add', 'Add'],
    ],
  );
  assert.match(formatSummary(a.summary!, a.summaryPrint), / tf\.math\.subtract \(TFOpLambda\) /);
  const k3 = formatSummary(a.summary!, { ...a.summaryPrint, style: 'keras3' });
  // Keras 3: subtract, multiply, then the Add layer add and the operator add_1.
  assert.match(k3, /│ add \(Add\) .*│ subtract\[0\]\[0\], /);
  assert.match(k3, /│ add_1 \(Add\) /);
  // A tensor's shape is its followed shape; a number on one side of an operator is not modelled.
  const [scaled] = await parsePythonModels(source.replace('t = d + s', 't = d * 0.5'));
  assert.match(
    JSON.stringify([scaled.incomplete, scaled.diagnostics]),
    /'d \* 0\.5' computes a tensor with code Model Lab cannot read/,
  );
});

test('Python: keyword query/value/key and a key given positionally are the layer\u2019s inputs in Keras\u2019s order', async () => {
  const source = `
import keras
from keras import layers
q = keras.Input(shape=(10, 16))
v = keras.Input(shape=(7, 32))
k = keras.Input(shape=(7, 8))
a = layers.MultiHeadAttention(2, 4)(query=q, value=v, key=k)
b = layers.MultiHeadAttention(num_heads=2, key_dim=4)(q, v, k)
c = layers.MultiHeadAttention(num_heads=2, key_dim=4)(q, value=v)
out = layers.Dense(1)(layers.Flatten()(layers.Concatenate()([a, b, c])))
model = keras.Model([q, v, k], out)
`;
  const [parsed] = await parsePythonModels(source);
  assert.equal(parsed.incomplete, undefined, JSON.stringify(parsed.incomplete));
  const a = analyze(parsed);
  assert.deepEqual(errors(a), []);
  assert.deepEqual(
    a.summary!.layers.filter((l) => l.type === 'MultiHeadAttention').map((l) => [l.params, l.connectedTo?.length]),
    // 16·8+8 + 8·8+8 + 32·8+8 + 8·16+16 = 136 + 72 + 264 + 144; without a key the value (32) feeds the key too
    [
      [616, 3],
      [616, 3],
      [136 + 264 + 264 + 144, 2],
    ],
  );
});

test('Python: use_causal_mask given at the call is kept with the layer', async () => {
  const source = `
import keras
from keras import layers
x = keras.Input(shape=(10, 16))
y = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=True)
model = keras.Model(x, layers.Dense(1)(layers.Flatten()(y)))
`;
  const [parsed] = await parsePythonModels(source);
  assert.equal(parsed.incomplete, undefined);
  assert.equal(parsed.definition!.layers.find((l) => l.type === 'MultiHeadAttention')?.use_causal_mask, true);
});

test('Python: an attention mask or return_attention_scores stops the model at the call with a reason', async () => {
  for (const [call, reason] of [
    ['(x, x, attention_mask=m)', /'attention_mask' takes the tensor 'm'/],
    ['(x, x, return_attention_scores=True)', /return_attention_scores/],
  ] as const) {
    const source = `
import keras
from keras import layers
x = keras.Input(shape=(10, 16))
m = keras.Input(shape=(10, 10))
y = layers.MultiHeadAttention(num_heads=2, key_dim=4)${call}
model = keras.Model([x, m], layers.Dense(1)(layers.Flatten()(y)))
`;
    const [parsed] = await parsePythonModels(source);
    assert.match(JSON.stringify(parsed.incomplete ?? parsed.diagnostics), reason, call);
  }
});

test('export writes attention called on query, value and key with use_causal_mask at the call, and reads back the same', async () => {
  const def: ModelDefinition = {
    layers: [
      { type: 'InputLayer', shape: [10, 16], name: 'x' },
      { type: 'Dense', units: 8, name: 'kv' },
      {
        type: 'MultiHeadAttention',
        num_heads: 2,
        key_dim: 4,
        use_causal_mask: true,
        inputs: ['x', 'kv', 'x'],
        name: 'mha',
      },
      { type: 'GlobalAveragePooling1D', name: 'pool' },
      { type: 'Dense', units: 10, activation: 'softmax', name: 'out' },
    ],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy' },
  };
  const script = toKerasScript(def);
  assert.match(
    script,
    /^mha = keras\.layers\.MultiHeadAttention\(2, 4, name="mha"\)\(x, kv, x, use_causal_mask=True\)$/m,
  );
  const [back] = await parsePythonModels(script);
  assert.equal(back.incomplete, undefined);
  const a = analyze(back);
  assert.deepEqual(errors(a), []);
  const again = back.definition!.layers.find((l) => l.type === 'MultiHeadAttention')!;
  assert.equal(again.use_causal_mask, true);
  assert.deepEqual(again.inputs, ['x', 'kv', 'x']);
  assert.equal(a.summary!.totalParams, run(def).summary!.totalParams);
});

test('the attention row’s hover says which positions attend to which, and the four projections’ arithmetic', () => {
  const { a } = selfAttention([500, 1], { key_dim: 256, num_heads: 4 });
  const layer = a.layers.find((l) => l.name === 'multi_head_attention')!;
  assert.equal(
    layer.mergeExplain,
    "Each of the query's 500 positions attends over the value's 500 in 4 heads of 256; the output keeps the query's positions, with 1 features each: (None, 500, 1).",
  );
  assert.equal(
    layer.arithmetic,
    'query 1 × 4 × 256 + 4 × 256 = 2,048; key 1 × 4 × 256 + 4 × 256 = 2,048; value 1 × 4 × 256 + 4 × 256 = 2,048; output 4 × 256 × 1 + 1 = 1,025: 7,169',
  );
});

test('Python: a followed tensor’s .shape is its Keras shape, batch first (x.shape[-1], x.shape[1:]); others stay unknown', async () => {
  const source = `
import keras
from keras import layers
inputs = keras.Input(shape=(20, 6))
x = layers.Conv1D(8, 3)(inputs)
y = layers.Dense(x.shape[-1] * 2)(x)
z = layers.Reshape(x.shape[1:])(layers.Dense(x.shape[-1])(y))
model = keras.Model(inputs, layers.Dense(inputs.shape[1])(layers.Flatten()(z)))
`;
  const [parsed] = await parsePythonModels(source);
  assert.equal(parsed.incomplete, undefined, JSON.stringify(parsed.incomplete));
  const a = analyze(parsed);
  assert.deepEqual(errors(a), []);
  assert.deepEqual(
    a.summary!.layers.map((l) => l.outputShape),
    [
      [null, 20, 6],
      [null, 18, 8],
      [null, 18, 16],
      [null, 18, 8],
      [null, 18, 8],
      [null, 144],
      [null, 20],
    ],
  );
  const [unknown] = await parsePythonModels(source.replace('x.shape[-1] * 2', 'w.shape[-1] * 2'));
  assert.match(
    JSON.stringify([unknown.incomplete, unknown.diagnostics]),
    /'w\.shape' is only known when the script runs/,
  );
});
