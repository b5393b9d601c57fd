/** Shapes, parameter counts and summary text, with every expected number worked out by hand from Keras's formulas. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, formatSummary, parseModelJson, type Analysis } from '../../src/model';

function run(def: object): Analysis {
  return analyze(parseModelJson(JSON.stringify(def)));
}

function errors(a: Analysis) {
  return a.diagnostics.filter((d) => d.severity === 'error');
}

test('Dense(100) + Dense(10) on 784 inputs: 784*100+100 + 100*10+10 = 78,500 + 1,010 = 79,510', () => {
  const a = run({
    layers: [
      { type: 'Dense', units: 100, activation: 'sigmoid', input_shape: [784] },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  });
  assert.deepEqual(errors(a), []);
  assert.deepEqual(
    a.layers.map((l) => l.params),
    [78500, 1010],
  );
  assert.equal(a.summary?.totalParams, 79510);
  assert.equal(a.summary?.trainableParams, 79510);
  assert.equal(a.summary?.nonTrainableParams, 0);
  assert.deepEqual(
    a.layers.map((l) => l.outputShape),
    [
      [null, 100],
      [null, 10],
    ],
  );
  assert.equal(a.layers[0].arithmetic, '784 × 100 weights + 100 biases = 78,500');
});

test('Dense(12, input 16) + Dense(10) + Dense(1): 16*12+12 + 12*10+10 + 10*1+1 = 204 + 130 + 11 = 345', () => {
  const a = run({
    layers: [
      { type: 'Dense', units: 12, activation: 'relu', input_shape: [16] },
      { type: 'Dense', units: 10, activation: 'relu' },
      { type: 'Dense', units: 1, activation: 'sigmoid' },
    ],
    compile: { optimizer: 'adam', loss: 'binary_crossentropy' },
  });
  assert.deepEqual(errors(a), []);
  assert.deepEqual(
    a.layers.map((l) => l.params),
    [204, 130, 11],
  );
  assert.equal(a.summary?.totalParams, 345);
  assert.equal(a.loss, 'binary_crossentropy');
});

test('the Flatten + relu tutorial model is 79,510 and prints exactly as Keras', () => {
  const a = run({
    dataset: 'fashion-mnist',
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units: 100, activation: 'relu' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  });
  assert.deepEqual(errors(a), []);
  const expected = [
    'Model: "sequential"',
    '_________________________________________________________________',
    ' Layer (type)                Output Shape              Param #',
    '=================================================================',
    ' flatten (Flatten)           (None, 784)               0',
    '',
    ' dense (Dense)               (None, 100)               78500',
    '',
    ' dense_1 (Dense)             (None, 10)                1010',
    '',
    '=================================================================',
    'Total params: 79,510',
    'Trainable params: 79,510',
    'Non-trainable params: 0',
    '_________________________________________________________________',
    '',
  ].join('\n');
  assert.equal(formatSummary(a.summary!), expected);
});

test('the input shape comes from the dataset when the first layer has none', () => {
  const a = run({
    dataset: { name: 'fashion-mnist-sample' },
    layers: [{ type: 'Flatten' }, { type: 'Dense', units: 10 }],
  });
  assert.deepEqual(a.inputShape, [28, 28]);
  assert.equal(a.summary?.totalParams, 784 * 10 + 10);
});

test('a CNN with Conv2D, pooling, Dropout and BatchNormalization', () => {
  const a = run({
    dataset: 'fashion-mnist',
    layers: [
      { type: 'Reshape', target_shape: [28, 28, 1], input_shape: [28, 28] },
      { type: 'Conv2D', filters: 32, kernel_size: 3, padding: 'same', activation: 'relu' },
      { type: 'BatchNormalization' },
      { type: 'MaxPooling2D', pool_size: 2 },
      { type: 'Conv2D', filters: 64, kernel_size: [3, 3], activation: 'relu' },
      { type: 'AveragePooling2D' },
      { type: 'Dropout', rate: 0.25 },
      { type: 'Flatten' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  });
  assert.deepEqual(errors(a), []);
  // Conv2D same: 28x28x32, 3*3*1*32+32 = 320. BN: 4*32 = 128, 64 of them moving statistics.
  // Pool 2: 14x14x32. Conv2D valid: 12x12x64, 3*3*32*64+64 = 18,496. AvgPool 2: 6x6x64. Flatten: 2,304.
  // Dense: 2,304*10+10 = 23,050. Total 320+128+18,496+23,050 = 41,994; non-trainable 64.
  assert.deepEqual(
    a.layers.map((l) => l.outputShape),
    [
      [null, 28, 28, 1],
      [null, 28, 28, 32],
      [null, 28, 28, 32],
      [null, 14, 14, 32],
      [null, 12, 12, 64],
      [null, 6, 6, 64],
      [null, 6, 6, 64],
      [null, 2304],
      [null, 10],
    ],
  );
  assert.deepEqual(
    a.layers.map((l) => l.params),
    [0, 320, 128, 0, 18496, 0, 0, 0, 23050],
  );
  assert.equal(a.layers[2].trainable, 64);
  assert.equal(a.layers[2].nonTrainable, 64);
  assert.equal(a.summary?.totalParams, 41994);
  assert.equal(a.summary?.trainableParams, 41930);
  assert.equal(a.summary?.nonTrainableParams, 64);
  assert.deepEqual(
    a.layers.map((l) => l.name),
    [
      'reshape',
      'conv2d',
      'batch_normalization',
      'max_pooling2d',
      'conv2d_1',
      'average_pooling2d',
      'dropout',
      'flatten',
      'dense',
    ],
  );
  assert.match(formatSummary(a.summary!), /Non-trainable params: 64\n/);
  assert.match(
    formatSummary(a.summary!),
    /\n batch_normalization \(BatchN {2}\(None, 28, 28, 32\) {7}128\n ormalization\)\n/,
  );
});

test('Conv2D(64, 3, same) on 14x14x32 has 18,496 parameters; strides 2 with same padding gives ceil(14/2) = 7', () => {
  const a = run({
    layers: [{ type: 'Conv2D', filters: 64, kernel_size: 3, strides: 2, padding: 'same', input_shape: [14, 14, 32] }],
  });
  assert.equal(a.layers[0].params, 18496);
  assert.deepEqual(a.layers[0].outputShape, [null, 7, 7, 64]);
});

test('valid padding with stride: floor((28-5)/2)+1 = 12; pooling strides default to pool_size, [3,2] windows', () => {
  const a = run({
    layers: [
      { type: 'Conv2D', filters: 4, kernel_size: 5, strides: 2, input_shape: [28, 28, 3] },
      { type: 'MaxPooling2D', pool_size: [3, 2] },
      { type: 'GlobalAveragePooling2D' },
    ],
  });
  // 5*5*3*4+4 = 304. Pool [3,2] on 12x12: floor((12-3)/3)+1 = 4, floor((12-2)/2)+1 = 6.
  assert.deepEqual(
    a.layers.map((l) => l.outputShape),
    [
      [null, 12, 12, 4],
      [null, 4, 6, 4],
      [null, 4],
    ],
  );
  assert.equal(a.layers[0].params, 304);
});

test('Dense without bias, Dense on a 3-D input, Reshape with -1, Activation layer', () => {
  const a = run({
    layers: [
      { type: 'Dense', units: 8, use_bias: false, input_shape: [28, 28] },
      { type: 'Reshape', target_shape: [-1] },
      { type: 'Activation', activation: 'tanh' },
    ],
  });
  // Dense acts on the last axis: (None, 28, 8) with 28*8 = 224 weights; Reshape [-1] → 28*8 = 224 values.
  assert.deepEqual(
    a.layers.map((l) => l.outputShape),
    [
      [null, 28, 8],
      [null, 224],
      [null, 224],
    ],
  );
  assert.equal(a.layers[0].params, 224);
  assert.equal(a.layers[0].arithmetic, '28 × 8 weights = 224');
});

test('names: user names win and do not use up the default counter; frozen layers count as non-trainable', () => {
  const a = run({
    name: 'mine',
    layers: [
      { type: 'Dense', units: 4, input_shape: [2], name: 'hidden', trainable: false },
      { type: 'Dense', units: 3 },
      { type: 'Dense', units: 2 },
    ],
  });
  assert.deepEqual(
    a.layers.map((l) => l.name),
    ['hidden', 'dense', 'dense_1'],
  );
  assert.equal(a.summary?.name, 'mine');
  // 2*4+4 = 12 frozen; 4*3+3 = 15 and 3*2+2 = 8 trainable.
  assert.equal(a.summary?.nonTrainableParams, 12);
  assert.equal(a.summary?.trainableParams, 23);
});

test('long layer names wrap like Keras print_row', () => {
  const a = run({
    layers: [{ type: 'Dense', units: 1, input_shape: [1], name: 'a_really_long_layer_name_for_wrapping' }],
  });
  const text = formatSummary(a.summary!);
  // Column 1 holds 27 characters ("a_really_long_layer_name_fo"), the rest continues on the next line.
  assert.match(text, /\n a_really_long_layer_name_fo {2}\(None, 1\) {16}2\n r_wrapping \(Dense\)\n/);
});
