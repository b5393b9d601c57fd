/**
 * keras.io's examples as Keras 3 code (`import keras`, `from keras import layers`): what Model Lab got wrong on valid
 * Keras. Each snippet is trimmed from the Keras 3 copies of keras.io's examples kept in keras-team/keras at commit
 * 2588a15440a10de8d0cc10b50c21ede333a2bd01, under examples/keras_io/ (removed by the next commit, e5dad39059).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/model/analyze';
import { parsePythonModels } from '../../src/model/python/index';

/** Every error and warning Model Lab gives a source, reader's and analysis's, as "severity: message". */
async function problems(source: string): Promise<string[]> {
  const models = await parsePythonModels(source);
  return models.flatMap((m) =>
    [...m.diagnostics, ...analyze(m).diagnostics]
      .filter((d) => d.severity === 'error' || d.severity === 'warning')
      .map((d) => `${d.severity}: ${d.message}`),
  );
}

test("padding='VALID' is 'valid': Keras lower-cases padding and data_format (DeiT's patch projection)", async () => {
  // examples/keras_io/tensorflow/vision/deit.py, ViTClassifier.__init__'s projection, constants inlined.
  const source = `import keras
from keras import layers

PROJECTION_DIM = 192
PATCH_SIZE = 16
NUM_PATCHES = (224 // PATCH_SIZE) ** 2

projection = keras.Sequential(
    [
        layers.Conv2D(
            filters=PROJECTION_DIM,
            kernel_size=(PATCH_SIZE, PATCH_SIZE),
            strides=(PATCH_SIZE, PATCH_SIZE),
            padding="VALID",
            name="conv_projection",
        ),
        layers.Reshape(
            target_shape=(NUM_PATCHES, PROJECTION_DIM),
            name="flatten_projection",
        ),
    ],
    name="projection",
)
projection.build((None, 224, 224, 3))
`;
  assert.deepEqual(await problems(source), []);
  const [m] = await parsePythonModels(source);
  assert.equal(m.definition?.layers[0].padding, 'valid');
  // 16 * 16 * 3 * 192 + 192 weights; 14 * 14 patches of 192.
  assert.equal(analyze(m).summary?.totalParams, 16 * 16 * 3 * 192 + 192);
  const [cl] = await parsePythonModels(`import keras
m = keras.Sequential([keras.Input(shape=(3, 8, 8)), keras.layers.Conv2D(4, 3, data_format="Channels_First")])
`);
  assert.deepEqual(analyze(cl).summary?.layers.at(-1)?.outputShape, [null, 4, 6, 6]);
});

test('a layer list filled by append() is not the empty list it starts as (Perceiver, TabTransformer)', async () => {
  // examples/keras_io/tensorflow/vision/perceiver_image_classification.py, create_ffn.
  const perceiver = `import keras
from keras import layers
import tensorflow as tf


def create_ffn(hidden_units, dropout_rate):
    ffn_layers = []
    for units in hidden_units[:-1]:
        ffn_layers.append(layers.Dense(units, activation=tf.nn.gelu))

    ffn_layers.append(layers.Dense(units=hidden_units[-1]))
    ffn_layers.append(layers.Dropout(dropout_rate))

    ffn = keras.Sequential(ffn_layers)
    return ffn
`;
  assert.deepEqual(await problems(perceiver), []);
  const [m] = await parsePythonModels(perceiver);
  assert.match(
    m.diagnostics.map((d) => d.message).join('\n'),
    /'ffn_layers' is filled by append\(\) as the script runs/,
  );
  // examples/keras_io/structured_data/tabtransformer.py, create_mlp.
  const tab = `import keras
from keras import layers


def create_mlp(hidden_units, dropout_rate, activation, normalization_layer, name=None):
    mlp_layers = []
    for units in hidden_units:
        mlp_layers.append(normalization_layer()),
        mlp_layers.append(layers.Dense(units, activation=activation))
        mlp_layers.append(layers.Dropout(dropout_rate))

    return keras.Sequential(mlp_layers, name=name)
`;
  assert.deepEqual(await problems(tab), []);
  // A list that is only read, never changed, is still its literal value.
  const [plain] = await parsePythonModels(`import keras
stack = [keras.Input(shape=(4,)), keras.layers.Dense(2)]
other = []
other.append(1)
m = keras.Sequential(stack)
`);
  assert.equal(analyze(plain).summary?.totalParams, 10);
});

test('a helper function given a tensor is followed call by call (Reptile conv_bn, speaker recognition residual_block)', async () => {
  // examples/keras_io/tensorflow/vision/reptile.py (classes = 5 there).
  const reptile = `import keras
from keras import layers

classes = 5


def conv_bn(x):
    x = layers.Conv2D(filters=64, kernel_size=3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


inputs = layers.Input(shape=(28, 28, 1))
x = conv_bn(inputs)
x = conv_bn(x)
x = conv_bn(x)
x = conv_bn(x)
x = layers.Flatten()(x)
outputs = layers.Dense(classes, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
`;
  const [r] = await parsePythonModels(reptile);
  assert.equal(r.incomplete, undefined, r.incomplete);
  assert.deepEqual(await problems(reptile), []);
  // Conv 640 + 3 × 36,928, four BatchNormalization 256, Dense 2·2·64 × 5 + 5.
  assert.equal(analyze(r).summary?.totalParams, 640 + 3 * 36928 + 4 * 256 + 1285);
  assert.equal(r.definition?.layers.filter((l) => l.type === 'Conv2D').length, 4);

  // examples/keras_io/tensorflow/audio/speaker_recognition_using_cnn.py: a loop over a parameter, a default, an Add,
  // MaxPool1D (Keras's other name for MaxPooling1D). keras.io's rendering (keras-team/keras-io
  // examples/audio/md/speaker_recognition_using_cnn.md @a6f1ebf) prints 3,088,597 parameters for 5 speakers.
  const speaker = (classes: string) => `import keras
import os

SAMPLING_RATE = 16000
class_names = os.listdir("audio")


def residual_block(x, filters, conv_num=3, activation="relu"):
    # Shortcut
    s = keras.layers.Conv1D(filters, 1, padding="same")(x)
    for i in range(conv_num - 1):
        x = keras.layers.Conv1D(filters, 3, padding="same")(x)
        x = keras.layers.Activation(activation)(x)
    x = keras.layers.Conv1D(filters, 3, padding="same")(x)
    x = keras.layers.Add()([x, s])
    x = keras.layers.Activation(activation)(x)
    return keras.layers.MaxPool1D(pool_size=2, strides=2)(x)


def build_model(input_shape, num_classes):
    inputs = keras.layers.Input(shape=input_shape, name="input")

    x = residual_block(inputs, 16, 2)
    x = residual_block(x, 32, 2)
    x = residual_block(x, 64, 3)
    x = residual_block(x, 128, 3)
    x = residual_block(x, 128, 3)

    x = keras.layers.AveragePooling1D(pool_size=3, strides=3)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dense(128, activation="relu")(x)

    outputs = keras.layers.Dense(
        num_classes, activation="softmax", name="output"
    )(x)

    return keras.models.Model(inputs=inputs, outputs=outputs)


model = build_model((SAMPLING_RATE // 2, 1), ${classes})
`;
  const [s] = await parsePythonModels(speaker('5'));
  assert.equal(s.incomplete, undefined, s.incomplete);
  const summary = analyze(s).summary!;
  assert.equal(summary.totalParams, 3088597);
  // Keras names the shortcut conv1d (made first) and lists it after the block's convolutions, as published.
  assert.deepEqual(
    summary.layers.slice(1, 6).map((l) => l.name),
    ['conv1d_1', 'activation', 'conv1d_2', 'conv1d', 'add'],
  );
  // With the published len(class_names), the classes are unknown: information, not "units must be a positive integer".
  assert.deepEqual(await problems(speaker('len(class_names)')), []);
  const [unknown] = await parsePythonModels(speaker('len(class_names)'));
  assert.match(
    unknown.incomplete ?? '',
    /'num_classes' is given 'len\(class_names\)', only computed when the script runs/,
  );
});

test('a layer object bound outside a helper and applied in each of its calls is still one shared layer', async () => {
  const [m] = await parsePythonModels(`import keras
from keras import layers

shared = layers.Dense(8)


def block(x, units=8):
    x = shared(x)
    return layers.Dense(units)(x)


inputs = keras.Input(shape=(8,))
x = block(inputs)
x = block(x, units=4)
model = keras.Model(inputs, x)
`);
  assert.match(m.incomplete ?? '', /applied twice \(shared weights\)/);
});

test("a layer given to a helper as its activation is applied as a layer, each call's its own (WGAN-GP's conv_block)", async () => {
  // examples/keras_io/tensorflow/generative/wgan_gp.py, conv_block and get_discriminator_model, two of four blocks.
  // keras.io's Keras 3 rendering (keras-team/keras-io templates' wgan_gp.md) names the layers as below.
  const [d] = await parsePythonModels(`import keras
from keras import layers

IMG_SHAPE = (28, 28, 1)


def conv_block(
    x,
    filters,
    activation,
    kernel_size=(3, 3),
    strides=(1, 1),
    padding="same",
    use_bias=True,
    use_bn=False,
    use_dropout=False,
    drop_value=0.5,
):
    x = layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=use_bias,
    )(x)
    if use_bn:
        x = layers.BatchNormalization()(x)
    x = activation(x)
    if use_dropout:
        x = layers.Dropout(drop_value)(x)
    return x


def get_discriminator_model():
    img_input = layers.Input(shape=IMG_SHAPE)
    x = layers.ZeroPadding2D((2, 2))(img_input)
    x = conv_block(
        x,
        64,
        kernel_size=(5, 5),
        strides=(2, 2),
        use_bn=False,
        use_bias=True,
        activation=layers.LeakyReLU(0.2),
        use_dropout=False,
        drop_value=0.3,
    )
    x = conv_block(
        x,
        128,
        kernel_size=(5, 5),
        strides=(2, 2),
        use_bn=False,
        activation=layers.LeakyReLU(0.2),
        use_bias=True,
        use_dropout=True,
        drop_value=0.3,
    )
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(1)(x)

    d_model = keras.models.Model(img_input, x, name="discriminator")
    return d_model


d_model = get_discriminator_model()
`);
  assert.equal(d.incomplete, undefined, d.incomplete);
  const summary = analyze(d).summary!;
  assert.deepEqual(
    summary.layers.map((l) => `${l.name} ${l.params}`),
    [
      'input_1 0', // Keras 3 names it input_layer (the keras3 summary style)
      'zero_padding2d 0',
      'conv2d 1664',
      'leaky_re_lu 0',
      'conv2d_1 204928',
      'leaky_re_lu_1 0',
      'dropout 0',
      'flatten 0',
      'dropout_1 0',
      'dense 8193',
    ],
  );
  assert.equal(d.definition?.layers[3].alpha, 0.2);
});

test('a layer class or function the file defines is named as such, not as "not a Keras layer class"', async () => {
  // examples/keras_io/tensorflow/keras_recipes/tensorflow_numpy_models.py (TNPDense, trimmed) and
  // examples/keras_io/structured_data/tabtransformer.py (create_mlp(...)(features), trimmed).
  const models = await parsePythonModels(`import keras
from keras import layers


class TNPDense(keras.layers.Layer):
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units


def create_mlp(hidden_units, name=None):
    return keras.Sequential([layers.Dense(u) for u in hidden_units], name=name)


model = keras.Sequential([keras.Input(shape=(4,)), TNPDense(128, activation="relu"), TNPDense(10)])
inputs = keras.Input(shape=(16,))
features = create_mlp(hidden_units=[8, 4])(inputs)
other = keras.Model(inputs, features)
`);
  const reasons = models.map((m) => m.incomplete ?? '').join('\n');
  assert.match(reasons, /'TNPDense' is a layer class this file defines; Model Lab reads Keras's own layers/);
  assert.match(reasons, /'create_mlp\(…\)' calls a function of this file; what it returns is only known/);
});

test('an activation layer made for activation= takes its name from the session: a later LeakyReLU layer is leaky_re_lu_1', async () => {
  const [m] = await parsePythonModels(`import keras
from keras import layers
model = keras.Sequential([
    layers.Dense(64, activation=layers.LeakyReLU(0.2), input_shape=(8,)),
    layers.LeakyReLU(0.2),
    layers.Dense(32, activation=layers.ReLU()),
    layers.ReLU(),
    layers.Dense(1, activation=layers.LeakyReLU(0.2, name="named")),
    layers.LeakyReLU(0.2),
])
`);
  assert.equal(m.incomplete, undefined, m.incomplete);
  // Keras names each object when it is made: the activation layers take leaky_re_lu and re_lu; a named one, no number.
  assert.deepEqual(
    analyze(m).summary!.layers.map((l) => l.name),
    ['dense', 'leaky_re_lu_1', 'dense_1', 're_lu_1', 'dense_2', 'leaky_re_lu_2'],
  );
});
