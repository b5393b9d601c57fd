/** `model-lab summary` and `model-lab check`, run in-process through main() with a fake CliIO. */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli';

const dir = mkdtempSync(join(tmpdir(), 'model-lab-cli-'));
const write = (name: string, text: string | Buffer) => {
  writeFileSync(join(dir, name), text);
  return name;
};

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    cwd: dir,
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

const GOOD = `{
  // the tutorial model
  "dataset": "fashion-mnist",
  "layers": [
    { "type": "Flatten", "input_shape": [28, 28] },
    { "type": "Dense", "units": 100, "activation": "relu" },
    { "type": "Dense", "units": 10, "activation": "softmax" },
  ],
}`;

test('summary prints the Keras text and exits 0', async () => {
  const r = await run('summary', write('good.model.json', GOOD));
  assert.equal(r.code, 0);
  assert.equal(r.err, '');
  const lines = r.out.split('\n');
  assert.equal(lines[0], 'Model: "sequential"');
  assert.equal(lines[6], ' dense (Dense)               (None, 100)               78500');
  assert.ok(lines.includes('Total params: 79,510'));
});

test('summary --json prints the summary object', async () => {
  const r = await run('summary', 'good.model.json', '--json');
  assert.equal(r.code, 0);
  const s = JSON.parse(r.out);
  assert.equal(s.totalParams, 79510);
  assert.deepEqual(s.layers[1], {
    name: 'dense',
    type: 'Dense',
    inputShape: [null, 784],
    outputShape: [null, 100],
    params: 78500,
    trainableParams: 78500,
    nonTrainableParams: 0,
  });
});

const BAD = `{
  "dataset": "fashion-mnist",
  "layers": [
    { "type": "Flatten" },
    { "type": "Dense2", "units": 100 },
    { "type": "Dense", "units": 10, "input_shape": [3] }
  ]
}`;

test('check prints file:line:col: severity: message and exits 2 on errors', async () => {
  const r = await run('check', write('bad.model.json', BAD));
  assert.equal(r.code, 2);
  assert.deepEqual(r.out.trimEnd().split('\n'), [
    "bad.model.json:5:15: error: Unknown layer type 'Dense2'; did you mean 'Dense'?",
    'bad.model.json:6:37: warning: input_shape only counts on the first layer; Keras ignores it on layers[2], so remove it.',
  ]);
});

test('check exits 0 with warnings only, and confirms a clean file', async () => {
  const warn = write(
    'warn.model.json',
    '{ "layers": [ { "type": "Dense", "units": 1, "activation": "softmax", "input_shape": [3] } ], "compile": { "loss": "mse" } }',
  );
  const r = await run('check', warn);
  assert.equal(r.code, 0);
  assert.match(r.out, /^warn\.model\.json:1:60: warning: softmax over a single unit/);
  const clean = await run('check', 'good.model.json');
  assert.equal(clean.code, 0);
  assert.equal(clean.out, 'good.model.json: no problems (79,510 params).\n');
});

test('check of a script without a model says which models it reads, as train does', async () => {
  // jeffheaton/t81_558_deep_learning, t81_558_class_06_3_resnet.ipynb (commit
  // e674d07b85289b0cfb4cc57ff213228fd2ae4dc4), cell 10: an application Model Lab does not build; nothing else.
  const file = write(
    'mobilenet.py',
    "from tensorflow.keras.applications import MobileNet\nmodel = MobileNet(weights='imagenet',include_top=True)\n",
  );
  const r = await run('check', file);
  assert.equal(r.code, 2);
  assert.equal(
    r.out,
    'mobilenet.py: no Keras model Model Lab reads (keras.Sequential, keras.Model, or VGG16, VGG19, ResNet50 and MobileNetV2 of keras.applications).\n',
  );
  const t = await run('train', file);
  assert.match(t.err, /no Keras model Model Lab reads \(keras\.Sequential, keras\.Model, or VGG16/);
});

test('summary of an invalid file prints the same lines (on stderr) and exits 2', async () => {
  const r = await run('summary', 'bad.model.json');
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /^bad\.model\.json:5:15: error: Unknown layer type 'Dense2'/);
});

test('missing file or a folder: one usage line, exit 2', async () => {
  mkdirSync(join(dir, 'folder.model.json'));
  const cases: [string, RegExp][] = [
    ['nope.model.json', /^model-lab check: nope\.model\.json does not exist; check the path\.\n$/],
    ['folder.model.json', /is a folder/],
  ];
  for (const [file, message] of cases) {
    const r = await run('check', file);
    assert.equal(r.code, 2, file);
    assert.match(r.err, message);
    assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
  }
});

test('an empty, binary or oversized file is one positioned error at 1:1 for check, summary, train and export', async () => {
  const cases: [string, string][] = [
    [write('empty.model.json', ''), 'The file is empty; a model definition needs at least { "layers": [ ... ] }.'],
    [
      write('bin.model.json', Buffer.from([0x7b, 0x00, 0x01, 0x7d])),
      'The file contains NUL bytes, so it is binary, not a text model definition; check that this is the right file.',
    ],
    // 5 MiB + 1 byte shows as 5.0 MB, one decimal.
    [
      write('big.model.json', Buffer.alloc(5 * 1024 * 1024 + 1, 0x20)),
      'The file is 5.0 MB, larger than the 5 MB a model definition may be; check that this is the right file.',
    ],
  ];
  for (const [file, message] of cases) {
    const line = `${file}:1:1: error: ${message}\n`;
    const checked = await run('check', file);
    assert.deepEqual(checked, { code: 2, out: line, err: '' }, file);
    const summarized = await run('summary', file);
    assert.deepEqual(summarized, { code: 2, out: '', err: line }, file);
    // train and export print the same line, then say the file has an error, before any training or writing.
    for (const argv of [
      ['train', file],
      ['export', file, '--keras', 'out.py'],
    ]) {
      const r = await run(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.ok(r.err.startsWith(line), r.err);
      assert.equal(r.out, '');
    }
  }
});

test('a syntax error is positioned, 1-based', async () => {
  const r = await run(
    'check',
    write('syntax.model.json', '{\n  "layers": [\n    { "type": "Dense" "units": 3, "input_shape": [2] }\n  ]\n}'),
  );
  assert.equal(r.code, 2);
  assert.equal(r.out, "syntax.model.json:3:23: error: A ',' is missing between these items.\n");
});

test('a byte-order mark does not shift columns', async () => {
  const r = await run('check', write('bom.model.json', '\uFEFF{ "layers": [ { "type": "Dense2" } ] }'));
  assert.match(r.out, /^bom\.model\.json:1:25: error: Unknown layer type/);
});

test('usage errors exit 2; --help exits 0', async () => {
  assert.equal((await run('check')).code, 2);
  assert.equal((await run('summary', 'a', 'b')).code, 2);
  assert.equal((await run('summary', 'good.model.json', '--yaml')).code, 2);
  const help = await run('check', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage: model-lab check/);
});

test('a Keras .py file goes through the Python front end', async () => {
  const py = write(
    'model.py',
    [
      'from tensorflow import keras',
      'model = keras.Sequential([',
      '    keras.layers.Flatten(input_shape=(28, 28)),',
      "    keras.layers.Dense(100, activation='relu'),",
      "    keras.layers.Dense(10, activation='softmax'),",
      '])',
      '',
    ].join('\n'),
  );
  const r = await run('summary', py, '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).totalParams, 79510);
});

// hg-mldl 7-2's published Keras 3 summary of GOOD's model (cell 18), with the fresh session's layer names.
const KERAS3 = `Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ flatten (Flatten)                    │ (None, 784)                 │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense (Dense)                        │ (None, 100)                 │          78,500 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 10)                  │           1,010 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 79,510 (310.59 KB)
 Trainable params: 79,510 (310.59 KB)
 Non-trainable params: 0 (0.00 B)
`;

test('summary --style keras3 prints Keras 3 boxed table; keras2 (the default) the Keras 2 one', async () => {
  for (const args of [['--style', 'keras3'], ['--style=keras3']]) {
    const r = await run('summary', 'good.model.json', ...args);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.equal(r.out, KERAS3);
  }
  const keras2 = await run('summary', '--style', 'keras2', 'good.model.json');
  assert.equal(keras2.code, 0);
  assert.equal(keras2.out, (await run('summary', 'good.model.json')).out);
  assert.match(keras2.out, /^Total params: 79,510$/m);
});

test('a bad --style is a one-line usage error naming the accepted values (exit 2, as other flag errors)', async () => {
  const r = await run('summary', 'good.model.json', '--style', 'keras4');
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /--style must be one of keras2, keras3, not 'keras4'\./);
  assert.equal(r.err.trim().split('\n').length, 1);
  const missing = await run('summary', 'good.model.json', '--style');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--style needs a value/);
});

test('--json is the same summary object in either style', async () => {
  const plain = await run('summary', 'good.model.json', '--json');
  const keras3 = await run('summary', 'good.model.json', '--json', '--style', 'keras3');
  assert.equal(keras3.code, 0);
  assert.equal(keras3.out, plain.out);
  assert.equal(JSON.parse(keras3.out).totalParams, 79510);
});
