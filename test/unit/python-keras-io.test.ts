/**
 * keras.io's examples (repository keras-team/keras-io) as published: what Model Lab got wrong or could not read that
 * the script makes knowable, each from its real snippet trimmed to the model code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';

test('a name assigned in both branches of an if statement whose condition is known reads the branch taken', async () => {
  // keras-team/keras-io examples/vision/image_classification_from_scratch.py (commit 0e918412690b44285f82f699ce19d919fb14cee2),
  // make_model trimmed to its entry block and head: `units` and `activation` come from `if num_classes == 2:`.
  const source = (call: string) => `from tensorflow import keras
from tensorflow.keras import layers

image_size = (180, 180)


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        activation = "sigmoid"
        units = 1
    else:
        activation = "softmax"
        units = num_classes

    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(units, activation=activation)(x)
    return keras.Model(inputs, outputs)


${call}
`;
  const [binary] = await parsePythonModels(source('model = make_model(input_shape=image_size + (3,), num_classes=2)'));
  assert.equal(binary.incomplete, undefined, binary.incomplete);
  const last = binary.definition!.layers.at(-1)!;
  assert.equal(last.units, 1);
  assert.equal(last.activation, 'sigmoid');
  // Conv2D 3*3*3*32 + 32 = 896; Dense 32 + 1 = 33.
  assert.equal(analyze(binary).summary?.totalParams, 896 + 33);

  const [ten] = await parsePythonModels(source('model = make_model(input_shape=image_size + (3,), num_classes=10)'));
  assert.equal(ten.incomplete, undefined, ten.incomplete);
  assert.equal(ten.definition!.layers.at(-1)!.units, 10);
  assert.equal(ten.definition!.layers.at(-1)!.activation, 'softmax');
  assert.equal(analyze(ten).summary?.totalParams, 896 + 330);
});

test('an if statement at module level: the branch taken gives the value, an elif without else may take none', async () => {
  const [model] = await parsePythonModels(`from tensorflow import keras
NUM_CLASSES = 3
units = 64
if NUM_CLASSES == 2:
    units = 1
elif NUM_CLASSES > 2:
    units = NUM_CLASSES
if NUM_CLASSES > 10:
    units = 100
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(units)])
`);
  assert.equal(model.incomplete, undefined, model.incomplete);
  assert.equal(model.definition!.layers.at(-1)!.units, 3);
});

test('a name assigned under a condition the script only knows when it runs stays unreadable, positioned', async () => {
  const [model] = await parsePythonModels(`import sys
from tensorflow import keras
units = 64
if len(sys.argv) > 1:
    units = 1
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(units)])
`);
  assert.match(model.incomplete ?? '', /'units' is last assigned inside an if statement/);
});

test('a functional model whose tensors are reassigned in a for loop over literal values is read loop pass by loop pass', async () => {
  // keras-team/keras-io examples/vision/image_classification_from_scratch.py (commit 0e918412690b44285f82f699ce19d919fb14cee2):
  // the small Xception's residual blocks, trimmed to two sizes and one separable convolution each. Model Lab used
  // to pass over the loop without a word and show a model without its residual blocks.
  const source = (sizes: string) => `from tensorflow import keras
from tensorflow.keras import layers

inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(32, 3, strides=2, padding="same")(inputs)
previous_block_activation = x  # Set aside residual

for size in ${sizes}:
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(size, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)

    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

    # Project residual
    residual = layers.Conv2D(size, 1, strides=2, padding="same")(
        previous_block_activation
    )
    x = layers.add([x, residual])  # Add back residual
    previous_block_activation = x  # Set aside next residual

x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
`;
  const [model] = await parsePythonModels(source('[128, 256]'));
  assert.equal(model.incomplete, undefined, model.incomplete);
  const summary = analyze(model).summary!;
  // Conv2D 896; size 128 on 32 channels: separable 3*3*32 + 32*128 + 128 = 4,512, BatchNormalization 512,
  // residual 32*128 + 128 = 4,224; size 256 on 128: 1,152 + 32,768 + 256 = 34,176, 1,024, 128*256 + 256 = 33,024;
  // Dense 257.
  assert.equal(summary.totalParams, 896 + 4512 + 512 + 4224 + 34176 + 1024 + 33024 + 257);
  assert.equal(summary.nonTrainableParams, 2 * 128 + 2 * 256);
  assert.equal(summary.layers.filter((l) => l.type === 'Add').length, 2);

  // A loop over values only known when the script runs: the tensors it reassigns are unreadable, not skipped.
  const [unknown] = await parsePythonModels(source('sizes_from_args'));
  assert.match(unknown.incomplete ?? '', /'x' is assigned inside a for loop/);
});

test('a functional model reassigning a tensor under an if statement reads the branch taken, else stops there', async () => {
  const source = (flag: string) => `from tensorflow import keras
from tensorflow.keras import layers
USE_BN = ${flag}
inputs = keras.Input(shape=(8,))
x = layers.Dense(16)(inputs)
if USE_BN:
    x = layers.BatchNormalization()(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
`;
  const [withBn] = await parsePythonModels(source('True'));
  assert.equal(withBn.incomplete, undefined, withBn.incomplete);
  assert.equal(analyze(withBn).summary!.totalParams, 144 + 64 + 17);
  const [without] = await parsePythonModels(source('False'));
  assert.equal(analyze(without).summary!.totalParams, 144 + 17);
  const [unknown] = await parsePythonModels(source('len(sys.argv) > 1'));
  assert.match(unknown.incomplete ?? '', /'x' is assigned inside an if statement/);
});

test('len(), int() and float() of values known before the script runs are read', async () => {
  // keras-team/keras-io examples/nlp/addition_rnn.py (commit 0e2325b31f291531990c55fec009feee850b6ca9): the input's
  // width is len(chars) of a string literal.
  const [model] = await parsePythonModels(`from tensorflow import keras
from tensorflow.keras import layers

DIGITS = 3
MAXLEN = DIGITS + 1 + DIGITS
chars = "0123456789+ "
num_layers = 1  # Try to add more LSTM layers!

model = keras.Sequential()
model.add(layers.LSTM(128, input_shape=(MAXLEN, len(chars))))
model.add(layers.RepeatVector(DIGITS + 1))
for _ in range(num_layers):
    model.add(layers.LSTM(128, return_sequences=True))
model.add(layers.Dense(len(chars), activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
`);
  assert.equal(model.incomplete, undefined, model.incomplete);
  const summary = analyze(model).summary!;
  // LSTM 4*(128*(12+128)+128) = 72,192; LSTM 4*(128*256+128) = 131,584; Dense on each of 4 steps 128*12+12 = 1,548.
  assert.equal(summary.totalParams, 72192 + 131584 + 1548);
  assert.deepEqual(summary.layers.at(-1)!.outputShape, [null, 4, 12]);

  // keras-team/keras-io examples/timeseries/timeseries_weather_forecasting.py: sequence_length = int(past / step).
  const [lstm] = await parsePythonModels(`from tensorflow import keras
past = 720
step = 6
sequence_length = int(past / step)
features = ["p", "T", "VPmax", "VPdef", "sh", "rho", "wv"]
inputs = keras.layers.Input(shape=(sequence_length, len(features)))
lstm_out = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)
model = keras.Model(inputs=inputs, outputs=outputs)
`);
  assert.equal(lstm.incomplete, undefined, lstm.incomplete);
  assert.deepEqual(analyze(lstm).summary!.layers[0].outputShape, [null, 120, 7]);

  // A len() of something only the running script knows keeps its reason; a script's own len is not Python's.
  const [text] = await parsePythonModels(`from tensorflow import keras
chars = sorted(list(set(open("nietzsche.txt").read())))
model = keras.Sequential([keras.Input(shape=(40, len(chars))), keras.layers.LSTM(128)])
`);
  assert.match(text.incomplete ?? '', /'len\(…\)' is only computed when the script runs/);
  const [own] = await parsePythonModels(`from tensorflow import keras
def len(x):
    return 3
model = keras.Sequential([keras.Input(shape=(40, len("ab"))), keras.layers.LSTM(128)])
`);
  assert.match(own.incomplete ?? '', /'len\(…\)' is only computed when the script runs/);
});

test("a layer given another layer's tensor as a keyword (initial_state=) is said unreadable, not read without it", async () => {
  // ageron/handson-ml2 16_nlp_with_rnns_and_attention.ipynb (commit 1e2115277b50f6c584cd668fa30e3af309a5b136), the
  // date-format encoder-decoder: the decoder's LSTM starts from the encoder's states. Read without initial_state,
  // the encoder's input seemed to lead nowhere, a false warning.
  const [model] = await parsePythonModels(`from tensorflow import keras
INPUT_CHARS = "0123456789-"
OUTPUT_CHARS = "0123456789, ADFJMNOSabceghilmnoprstuvy"
encoder_input = keras.layers.Input(shape=[None], dtype="int32")
encoder_embedding = keras.layers.Embedding(
    input_dim=len(INPUT_CHARS) + 1,
    output_dim=32)(encoder_input)
_, encoder_state_h, encoder_state_c = keras.layers.LSTM(
    128, return_state=True)(encoder_embedding)
encoder_state = [encoder_state_h, encoder_state_c]

decoder_input = keras.layers.Input(shape=[None], dtype="int32")
decoder_embedding = keras.layers.Embedding(
    input_dim=len(OUTPUT_CHARS) + 2,
    output_dim=32)(decoder_input)
decoder_lstm_output = keras.layers.LSTM(128, return_sequences=True)(
    decoder_embedding, initial_state=encoder_state)
decoder_output = keras.layers.Dense(len(OUTPUT_CHARS) + 1,
                                    activation="softmax")(decoder_lstm_output)

model = keras.models.Model(inputs=[encoder_input, decoder_input],
                           outputs=[decoder_output])
`);
  assert.match(model.incomplete ?? '', /unpacking a layer’s outputs|initial_state/);
  assert.deepEqual(
    analyze(model).diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
  const [direct] = await parsePythonModels(`from tensorflow import keras
a = keras.Input(shape=(5, 8))
b = keras.Input(shape=(16,))
h = keras.layers.Dense(16)(b)
y = keras.layers.LSTM(16)(a, initial_state=[h, h])
model = keras.Model([a, b], y)
`);
  assert.match(direct.incomplete ?? '', /'initial_state' takes the tensor 'h', which Model Lab does not model yet/);
});
