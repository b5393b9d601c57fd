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
