/**
 * Models inside models and keras.applications, read from Python: the counts are Keras's documented ones and the
 * published notebooks' (Deep Learning with Python 5.3 and 8.5, first edition), frozen models counted as Keras counts
 * them for the compile that follows.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';
import { trainingBlocker } from '../../src/editor/train-checks';
import { analyze, formatSummary } from '../../src/model';
import { hoverAt } from '../../src/model/describe';
import { parsePythonModels, toKerasScript } from '../../src/model/python';
import type { ParsedModel } from '../../src/model/types';
import { find } from './python-helpers';

async function read(text: string) {
  const models = await parsePythonModels(text);
  return models.map((parsed) => ({ parsed, analysis: analyze(parsed) }));
}

const totals = (m: { analysis: ReturnType<typeof analyze> }) => {
  const s = m.analysis.summary!;
  return [s.totalParams, s.trainableParams, s.nonTrainableParams];
};
const errors = (m: { analysis: ReturnType<typeof analyze> }) =>
  m.analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);

/**
 * DLwP 5.3 (cells 4, 16, 18: the corpus fixture's code), then cells 21 and 24's freeze and compile: VGG16's
 * convolutional base, frozen before the compile that trains the model.
 */
const CELL_17 = readFileSync(
  join(
    __dirname,
    '../fixtures/python/corpus/deep-learning-with-python-notebooks--5.3-using-a-pretrained-convnet--cell17.py',
  ),
  'utf8',
);
const DLWP_53 = `${CELL_17.slice(0, CELL_17.indexOf('# Published model.summary():'))}
from keras import optimizers

conv_base.trainable = False

model.compile(loss='binary_crossentropy',
              optimizer=optimizers.RMSprop(lr=2e-5),
              metrics=['acc'])
`;

test('DLwP 5.3: VGG16 inside a Sequential is one row vgg16 (Functional) of 14,714,688; frozen, 2,097,665 train', async () => {
  const [base, model] = await read(DLWP_53);
  assert.equal(base.parsed.definition!.name, 'vgg16');
  assert.deepEqual(errors(base), []);
  assert.deepEqual(errors(model), []);
  // The published summary of cell 31 (frozen): 14,714,688 params, none trainable; its layer names are Keras's.
  assert.deepEqual(totals(base), [14714688, 0, 14714688]);
  assert.deepEqual(
    base.analysis.summary!.layers.slice(0, 4).map((l) => [l.name, l.type, l.params]),
    [
      ['input_1', 'InputLayer', 0],
      ['block1_conv1', 'Conv2D', 1792],
      ['block1_conv2', 'Conv2D', 36928],
      ['block1_pool', 'MaxPooling2D', 0],
    ],
  );
  // Cell 18's rows; frozen at the compile of cell 24, as Keras trains it.
  const s = model.analysis.summary!;
  assert.deepEqual(
    s.layers.map((l) => [l.name, l.type, l.outputShape, l.params]),
    [
      ['vgg16', 'Functional', [null, 4, 4, 512], 14714688],
      ['flatten', 'Flatten', [null, 8192], 0],
      ['dense', 'Dense', [null, 256], 2097408],
      ['dense_1', 'Dense', [null, 1], 257],
    ],
  );
  assert.deepEqual(totals(model), [16812353, 2097665, 14714688]);
  const text = formatSummary(s);
  assert.match(text, /^ vgg16 \(Functional\) {10}\(None, 4, 4, 512\) {9}14714688$/m);
  assert.match(formatSummary(s, { style: 'keras3' }), /vgg16 \(Functional\)/);
});

test('hovering the inner model where it is used shows its shape and parameters; hovering VGG16 its summary', async () => {
  const models = await parsePythonModels(DLWP_53);
  const [base, model] = models;
  const use = find(DLWP_53, 'conv_base)').start;
  const hover = hoverAt(model, analyze(model), { line: use.line, character: use.character + 2 })!;
  assert.match(hover.markdown, /\*\*vgg16 \(Functional\)\*\*/);
  assert.match(hover.markdown, /`\(None, 150, 150, 3\)` → `\(None, 4, 4, 512\)`/);
  assert.match(hover.markdown, /Parameters: 14,714,688/);
  assert.match(hover.markdown, /Non-trainable: 14,714,688/);
  const call = find(DLWP_53, 'VGG16(weights').start;
  const summary = hoverAt(base, analyze(base), { line: call.line, character: call.character + 1 })!;
  assert.match(summary.markdown, /Model: "vgg16"/);
  assert.match(summary.markdown, /block5_pool \(MaxPooling2D\)\s+\(None, 4, 4, 512\)/);
});

test('pretrained ImageNet weights: read and counted, a positioned line says they are not loaded; weights=None trains', async () => {
  const [base] = await read(DLWP_53);
  const at = find(DLWP_53, "'imagenet'");
  assert.deepEqual(base.parsed.untrainable?.range, at);
  assert.match(base.parsed.untrainable!.reason, /does not load VGG16's pretrained ImageNet weights.*weights=None/);
  const info = base.analysis.diagnostics.find((d) => d.code === 'pretrained-weights')!;
  assert.deepEqual([info.severity, info.range], ['information', at]);
  // The model using it cannot train as the script does either.
  const [, model] = await parsePythonModels(DLWP_53);
  assert.match(model.untrainable?.reason ?? '', /pretrained ImageNet weights/);
  const scratch = await parsePythonModels(
    `import keras\nm = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))\n`,
  );
  assert.equal(scratch[0].untrainable, undefined);
});

test('a model Model Lab does not train (pretrained weights) gets no warning about the memory training would need', async () => {
  // jeffheaton/t81_558_deep_learning, assignments/assignment_yourname_class9.ipynb (commit
  // e674d07b85289b0cfb4cc57ff213228fd2ae4dc4), cell 11: the ImageNet models are only inspected, never trained.
  const text = `import tensorflow as tf
def process_network(name,net):
    pass
process_network("VGG16", tf.keras.applications.VGG16())
process_network("VGG19", tf.keras.applications.VGG19())
`;
  const models = await read(text);
  assert.equal(models.length, 2);
  for (const m of models) {
    assert.ok(m.parsed.untrainable);
    assert.deepEqual(
      m.analysis.diagnostics.filter((d) => d.severity !== 'information').map((d) => d.message),
      [],
    );
  }
  // The same VGG16 from scratch does train here, and is told it would not fit the WebAssembly backend.
  const [scratch] = await read('import tensorflow as tf\nm = tf.keras.applications.VGG16(weights=None)\n');
  assert.deepEqual(
    scratch.analysis.diagnostics.map((d) => d.code),
    ['memory'],
  );
});

test("keras.applications VGG16 / VGG19: Keras's documented totals, names and arguments, every spelling", async () => {
  const cases: [string, number, string][] = [
    ['import keras\nm = keras.applications.VGG16()', 138357544, 'predictions'],
    ['import tensorflow as tf\nm = tf.keras.applications.VGG19()', 143667240, 'predictions'],
    [
      'from tensorflow.keras.applications import VGG19\nm = VGG19(include_top=False, input_shape=(224, 224, 3))',
      20024384,
      'block5_pool',
    ],
    [
      'import keras\nm = keras.applications.vgg16.VGG16(False, None, None, (64, 64, 3), "avg")',
      14714688,
      'global_average_pooling2d',
    ],
    ['from keras.applications.vgg19 import VGG19\nm = VGG19(weights=None, classes=10)', 139611210, 'predictions'],
  ];
  for (const [code, total, last] of cases) {
    const [m] = await read(code);
    assert.deepEqual(errors(m), [], code);
    const s = m.analysis.summary!;
    assert.equal(s.totalParams, total, code);
    assert.equal(s.layers[s.layers.length - 1].name, last, code);
  }
  const [top] = await read('import keras\nm = keras.applications.VGG16()');
  assert.deepEqual(
    top.analysis.summary!.layers.slice(-4).map((l) => [l.name, l.outputShape, l.params]),
    [
      ['flatten', [null, 25088], 0],
      ['fc1', [null, 4096], 102764544],
      ['fc2', [null, 4096], 16781312],
      ['predictions', [null, 1000], 4097000],
    ],
  );
  const [max] = await read(
    'import keras\nm = keras.applications.VGG16(include_top=False, input_shape=(32, 32, 3), pooling="max")',
  );
  assert.deepEqual(max.analysis.summary!.layers.at(-1)!.outputShape, [null, 512]);
});

test('keras.applications arguments Keras refuses are positioned errors, and the model is not shown', async () => {
  const cases: [string, string, RegExp][] = [
    ['m = VGG16(classes=10)', '10', /classes must be 1000.*weights=None/],
    ['m = VGG16(input_shape=(150, 150, 3))', '(150, 150, 3)', /must be \(224, 224, 3\)/],
    ['m = VGG16(include_top=False, input_shape=(16, 16, 3))', '(16, 16, 3)', /at least 32/],
    ['m = VGG16(include_top=False, input_shape=(64, 64, 3), pooling="mean")', '"mean"', /pooling must be/],
    ['m = VGG16(weights=3)', '3', /weights must be/],
  ];
  for (const [line, at, message] of cases) {
    const code = `from keras.applications import VGG16\n${line}\n`;
    const [m] = await parsePythonModels(code);
    assert.equal(m.definition, undefined, line);
    const e = m.diagnostics.find((d) => d.severity === 'error')!;
    assert.match(e.message, message, line);
    assert.deepEqual(e.range, find(code, at), line);
  }
  // Keras takes any image size without the top: Model Lab says it cannot show shapes, not that it is wrong.
  const code = 'from keras.applications import VGG16\nm = VGG16(include_top=False)\n';
  const [any] = await parsePythonModels(code);
  assert.deepEqual(
    any.diagnostics.map((d) => [d.severity, d.range]),
    [['information', find(code, 'VGG16(include_top=False)')]],
  );
  assert.match(any.diagnostics[0].message, /any size.*input_shape=\(224, 224, 3\)/);
  assert.match(any.incomplete ?? '', /any size/);
  const [tensor] = await parsePythonModels(
    'import keras\nx = keras.Input((32, 32, 3))\nm = keras.applications.VGG16(input_tensor=x, include_top=False)\n',
  );
  assert.match(tensor.incomplete ?? '', /input_tensor/);
});

/** DLwP 8.5 (cells 5, 7, 9: the corpus fixture's code): two functional models, the discriminator frozen before the GAN's compile. */
const GAN_FIXTURE = readFileSync(
  join(__dirname, '../fixtures/python/corpus/deep-learning-with-python-notebooks--8.5-introduction-to-gans--cell9.py'),
  'utf8',
);
const GAN = GAN_FIXTURE.slice(0, GAN_FIXTURE.indexOf('# Published generator.summary():'));

test('DLwP 8.5 GAN: generator 6,264,579 and discriminator 790,913 as published; the GAN trains only the generator', async () => {
  const [generator, discriminator, gan] = await read(GAN);
  assert.deepEqual(totals(generator), [6264579, 6264579, 0]);
  // Compiled before it was frozen: Keras trains all of it.
  assert.deepEqual(totals(discriminator), [790913, 790913, 0]);
  // Keras 2's RMSprop(lr=…, clipvalue=1.0, decay=1e-8): the decay is Keras 2's lr / (1 + decay · iterations), trained
  // as InverseTimeDecay; the clipping is trained, without a diagnostic.
  assert.deepEqual(errors(discriminator), []);
  assert.deepEqual(errors(gan), []);
  assert.deepEqual(gan.parsed.definition?.compile?.optimizer, {
    type: 'RMSprop',
    clipvalue: 1,
    learning_rate: { type: 'InverseTimeDecay', initial_learning_rate: 0.0004, decay_steps: 1, decay_rate: 1e-8 },
  });
  assert.deepEqual(
    discriminator.parsed.diagnostics.filter((d) => d.severity !== 'information'),
    [],
  );
  assert.deepEqual(
    gan.analysis.summary!.layers.map((l) => [l.name, l.type, l.outputShape, l.params]),
    [
      ['input_3', 'InputLayer', [null, 32], 0],
      ['model', 'Functional', [null, 32, 32, 3], 6264579],
      ['model_1', 'Functional', [null, 1], 790913],
    ],
  );
  assert.deepEqual(totals(gan), [7055492, 6264579, 790913]);
});

test('Sequential models in a Sequential (an autoencoder), inline or by name; the inner keeps its own summary', async () => {
  const code = `import keras
from keras import layers
encoder = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(32, activation="relu")], name="encoder")
decoder = keras.Sequential([layers.Dense(784, activation="sigmoid", input_shape=(32,)), layers.Reshape((28, 28))])
autoencoder = keras.Sequential([encoder, decoder])
wide = keras.Sequential([keras.Sequential([layers.Dense(8, input_shape=(4,))]), layers.Dense(2)])
`;
  // The inline inner model is made before the model it is in, as Python runs it.
  const [enc, dec, auto, , wide] = await read(code);
  assert.deepEqual(totals(enc), [25120, 25120, 0]);
  assert.deepEqual(totals(dec), [25872, 25872, 0]);
  assert.deepEqual(
    auto.analysis.summary!.layers.map((l) => [l.name, l.type, l.outputShape, l.params]),
    [
      ['encoder', 'Sequential', [null, 32], 25120],
      ['sequential', 'Sequential', [null, 28, 28], 25872],
    ],
  );
  assert.equal(auto.parsed.definition!.name, 'sequential_1');
  assert.deepEqual(
    wide.analysis.summary!.layers.map((l) => [l.name, l.params]),
    [
      ['sequential_2', 40],
      ['dense_3', 18],
    ],
  );
});

test('frozen layers of an inner model: base.layers[i].trainable and a loop over base.layers[:k]', async () => {
  const code = `import keras
base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
for layer in base.layers[:4]:
    layer.trainable = False
base.layers[-2].trainable = False
model = keras.Sequential([base, keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
for layer in base.layers:
    if layer.name.startswith("block5"):
        layer.trainable = True
`;
  const [base, model] = await read(code);
  // block1_conv1 (1,792), block1_conv2 (36,928) and block5_conv3 (2,359,808) frozen.
  const frozen = 1792 + 36928 + 2359808;
  assert.deepEqual(totals(model), [14714688 + 5130, 14714688 + 5130 - frozen, frozen]);
  // The model's own summary: its state at the end of the script, with the loop it cannot follow said where it is.
  assert.deepEqual(totals(base), [14714688, 14714688 - frozen, frozen]);
  const info = base.analysis.diagnostics.find((d) => d.code === 'python-trainable')!;
  assert.deepEqual(info.range.start, find(code, 'for layer in base.layers:\n').start);
});

test('a model used as a layer in the functional API, and a .model.json with a model inside a model', async () => {
  const [, model] = await read(`import keras
base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
base.trainable = False
inputs = keras.Input(shape=(32, 32, 3))
x = base(inputs, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
outputs = keras.layers.Dense(10)(x)
model = keras.Model(inputs, outputs)
`);
  assert.deepEqual(
    model.analysis.summary!.layers.map((l) => [l.name, l.type, l.params]),
    [
      ['input_2', 'InputLayer', 0],
      ['vgg16', 'Functional', 14714688],
      ['global_average_pooling2d', 'GlobalAveragePooling2D', 0],
      ['dense', 'Dense', 5130],
    ],
  );
  assert.deepEqual(totals(model), [14719818, 5130, 14714688]);
  const json: ParsedModel = (await import('../../src/model/parse-json')).parseModelJson(
    JSON.stringify({
      layers: [
        {
          type: 'Sequential',
          name: 'encoder',
          trainable: false,
          layers: [
            { type: 'Flatten', input_shape: [28, 28] },
            { type: 'Dense', units: 32 },
          ],
        },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    }),
  );
  const a = analyze(json);
  assert.deepEqual(
    a.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.deepEqual([a.summary!.totalParams, a.summary!.trainableParams], [25120 + 330, 330]);
  const bad = analyze(
    (await import('../../src/model/parse-json')).parseModelJson(
      JSON.stringify({
        layers: [
          { type: 'Dense', units: 5, input_shape: [3] },
          { type: 'Sequential', layers: [{ type: 'Dense', units: 2, input_shape: [4] }] },
        ],
      }),
    ),
  );
  assert.match(
    bad.diagnostics.find((d) => d.severity === 'error')!.message,
    /inner model \(Sequential\) cannot be used here: it takes inputs of shape \(None, 4\) but gets \(None, 5\)/,
  );
});

test('training refuses pretrained weights at their position, in the editor and in `train`', async () => {
  const models = await parsePythonModels(DLWP_53);
  const at = find(DLWP_53, "'imagenet'").start;
  for (const m of models) {
    const blocked = trainingBlocker('/w/m.py', m, analyze(m))!;
    assert.equal(blocked.showProblems, false);
    assert.match(
      blocked.message,
      new RegExp(`^Model Lab cannot train this model: .*pretrained ImageNet weights.* \\(line ${at.line + 1}\\)\\.$`),
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'ml-kapps-'));
  try {
    const file = join(dir, 'conv_base.py');
    writeFileSync(file, DLWP_53);
    let err = '';
    const code = await main(['train', file], {
      out: () => undefined,
      err: (t) => (err += t),
      cwd: dir,
      env: {},
      signal: new AbortController().signal,
    });
    assert.equal(code, 2, err);
    assert.match(
      err,
      new RegExp(
        `conv_base\\.py:${at.line + 1}:${at.character + 1}: cannot train this model: Model Lab does not load VGG16's pretrained ImageNet weights`,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ResNet50 and MobileNetV2: Keras's documented counts (25,636,712 and 3,538,984 with the top), names and widths", async () => {
  const cases: [string, string, number, number, number, string][] = [
    ['keras.applications.ResNet50()', 'resnet50', 25636712, 25583592, 177, 'predictions'],
    [
      'keras.applications.resnet50.ResNet50(include_top=False, input_shape=(224, 224, 3))',
      'resnet50',
      23587712,
      23534592,
      175,
      'conv5_block3_out',
    ],
    [
      'keras.applications.resnet.ResNet50(False, None, None, (64, 64, 3), "max")',
      'resnet50',
      23587712,
      23534592,
      176,
      'max_pool',
    ],
    ['keras.applications.MobileNetV2()', 'mobilenetv2_1.00_224', 3538984, 3504872, 156, 'predictions'],
    [
      'keras.applications.mobilenet_v2.MobileNetV2((224, 224, 3), 1.0, False)',
      'mobilenetv2_1.00_224',
      2257984,
      2223872,
      154,
      'out_relu',
    ],
    ['keras.applications.MobileNetV2(alpha=1.4)', 'mobilenetv2_1.40_224', 6156712, 6108776, 156, 'predictions'],
  ];
  for (const [call, name, total, trainable, layers, last] of cases) {
    const [m] = await read(`import keras\nm = ${call}\n`);
    assert.deepEqual(errors(m), [], call);
    const s = m.analysis.summary!;
    assert.deepEqual(
      [m.parsed.definition!.name, s.totalParams, s.trainableParams, s.layers.length, s.layers.at(-1)!.name],
      [name, total, trainable, layers, last],
      call,
    );
  }
  const [resnet] = await read('import keras\nm = keras.applications.ResNet50()\n');
  const row = (n: string) => resnet.analysis.summary!.layers.find((l) => l.name === n)!;
  assert.deepEqual(row('conv2_block1_add').connectedTo, ['conv2_block1_0_bn[0][0]', 'conv2_block1_3_bn[0][0]']);
  assert.deepEqual(row('conv5_block3_out').outputShape, [null, 7, 7, 2048]);
  const [mobile] = await read(
    'import keras\nm = keras.applications.MobileNetV2(weights=None, input_shape=(150, 150, 3), include_top=False)\n',
  );
  const at = (n: string) => mobile.analysis.summary!.layers.find((l) => l.name === n)!;
  assert.deepEqual(at('block_1_pad').outputShape, [null, 77, 77, 96]);
  assert.deepEqual(at('block_2_add').outputShape, [null, 38, 38, 24]);
  assert.deepEqual(at('out_relu').outputShape, [null, 5, 5, 1280]);
  const [refused] = await parsePythonModels('import keras\nm = keras.applications.MobileNetV2(alpha=0.6)\n');
  assert.match(refused.diagnostics.find((d) => d.severity === 'error')!.message, /alpha must be one of 0\.35/);
});

/** TensorFlow's "Transfer learning with a pretrained ConvNet" tutorial, trimmed to the model (no augmentation). */
test('the TensorFlow transfer-learning tutorial: MobileNetV2 frozen under a new head, 2,259,265 params, 1,281 train', async () => {
  const [base, model] = await read(`import tensorflow as tf
IMG_SIZE = (160, 160)
IMG_SHAPE = IMG_SIZE + (3,)
base_model = tf.keras.applications.MobileNetV2(input_shape=IMG_SHAPE, include_top=False, weights='imagenet')
base_model.trainable = False
global_average_layer = tf.keras.layers.GlobalAveragePooling2D()
prediction_layer = tf.keras.layers.Dense(1)
inputs = tf.keras.Input(shape=(160, 160, 3))
x = base_model(inputs, training=False)
x = global_average_layer(x)
x = tf.keras.layers.Dropout(0.2)(x)
outputs = prediction_layer(x)
model = tf.keras.Model(inputs, outputs)
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.0001),
              loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
              metrics=['accuracy'])
`);
  assert.equal(base.parsed.definition!.name, 'mobilenetv2_1.00_160');
  assert.deepEqual(totals(model), [2259265, 1281, 2257984]);
  assert.deepEqual(
    model.analysis.summary!.layers.map((l) => [l.type, l.outputShape]),
    [
      ['InputLayer', [null, 160, 160, 3]],
      ['Functional', [null, 5, 5, 1280]],
      ['GlobalAveragePooling2D', [null, 1280]],
      ['Dropout', [null, 1280]],
      ['Dense', [null, 1]],
    ],
  );
});

test('export writes models used as layers as Python: a builder function for a functional one, inline Sequential', async () => {
  const models = await parsePythonModels(`import keras
base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
base.trainable = False
enc = keras.Sequential([keras.layers.Dense(8, input_shape=(4,))], name="enc")
model = keras.Sequential([base, keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
m2 = keras.Sequential([enc, keras.layers.Dense(10, activation="softmax")])
`);
  const frozen = toKerasScript({ ...models[2].definition!, dataset: 'cifar10' });
  assert.match(frozen, /^def build_vgg16\(\):\n {4}input_1 = keras\.Input\(shape=\(32, 32, 3\), name="input_1"\)$/m);
  assert.match(frozen, /^ {4}return keras\.Model\(inputs=input_1, outputs=block5_pool, name="vgg16"\)$/m);
  assert.match(frozen, /build_vgg16\(\)/);
  const dir = mkdtempSync(join(tmpdir(), 'ml-kapps-export-'));
  try {
    writeFileSync(join(dir, 'a.py'), frozen);
    const inline = toKerasScript({ ...models[3].definition!, dataset: 'mnist' });
    writeFileSync(join(dir, 'b.py'), inline);
    execFileSync('/usr/bin/python3', [
      '-c',
      'import ast,sys\nfor f in sys.argv[1:]: ast.parse(open(f).read())',
      join(dir, 'a.py'),
      join(dir, 'b.py'),
    ]);
    // The inline Sequential reads back as the same model.
    const back = analyze((await parsePythonModels(inline)).at(-1)!).summary!;
    const before = analyze(models[3]).summary!;
    assert.deepEqual(
      back.layers.map((l) => [l.name, l.type, l.outputShape, l.params]),
      before.layers.map((l) => [l.name, l.type, l.outputShape, l.params]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an application compiled with what Model Lab cannot train is marked incomplete, as a Sequential model is', async () => {
  const [m] = await parsePythonModels(`from tensorflow import keras
base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
base.compile(optimizer='adam', loss='huber')
`);
  assert.ok(m.definition);
  assert.match(m.incomplete ?? '', /the loss 'huber' is not one Model Lab trains/);
});

test('a keras.applications model Model Lab does not build is named as one, not as an unknown layer class', async () => {
  // jeffheaton/t81_558_deep_learning, t81_558_class_09_2_keras_xfer_cv.ipynb (commit
  // e674d07b85289b0cfb4cc57ff213228fd2ae4dc4), cell 17, trimmed (keras.io's transfer learning guide's code).
  const text = `from tensorflow import keras
base_model = keras.applications.Xception(
    weights="imagenet",  # Load weights pre-trained on ImageNet.
    input_shape=(150, 150, 3),
    include_top=False,
)  # Do not include the ImageNet classifier at the top.
base_model.trainable = False
inputs = keras.Input(shape=(150, 150, 3))
x = base_model(inputs, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
`;
  const [model] = await read(text);
  const info = model.analysis.diagnostics.find((d) => /Xception/.test(d.message));
  assert.equal(info?.severity, 'information');
  assert.match(
    info?.message ?? '',
    /'keras\.applications\.Xception' is a Keras application Model Lab does not build \(it builds VGG16, VGG19, ResNet50 and MobileNetV2\)/,
  );
  assert.deepEqual(errors(model), []);
});
