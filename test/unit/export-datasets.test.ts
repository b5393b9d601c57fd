/** The Keras script exporter loads the new datasets as a Keras user would, and the script is valid Python. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { toKerasScript } from '../../src/model/python/keras-script';

/** Python's own parser accepts the script (python3 -c compile). */
function compiles(script: string): void {
  execFileSync('/usr/bin/python3', ['-c', 'import sys; compile(sys.stdin.read(), "model.py", "exec")'], {
    input: script,
    timeout: 20_000,
  });
}

const head = [{ type: 'Dense', units: 1, activation: 'sigmoid' }];

test('imdb: load_data with the definition arguments, then pad_sequences to maxlen', () => {
  const script = toKerasScript({
    dataset: { name: 'imdb', num_words: 10000, maxlen: 200, padding: 'post', filter_maxlen: 500, start_char: null },
    layers: head,
    compile: { loss: 'binary_crossentropy' },
  });
  assert.match(script, /keras\.datasets\.imdb\.load_data\(num_words=10000, maxlen=500, start_char=None\)/);
  assert.match(script, /x_train = keras\.utils\.pad_sequences\(x_train, maxlen=200, padding="post"\)/);
  assert.match(script, /x_test = keras\.utils\.pad_sequences\(x_test, maxlen=200, padding="post"\)/);
  assert.doesNotMatch(script, /255/);
  compiles(script);
});

test('reuters without maxlen pads to the longest sequence, as Model Lab does', () => {
  const script = toKerasScript({
    dataset: { name: 'reuters', test_split: 0.1 },
    layers: [{ type: 'Dense', units: 46, input_shape: [10] }],
  });
  assert.match(script, /keras\.datasets\.reuters\.load_data\(test_split=0\.1\)/);
  assert.match(script, /MAXLEN = max\(len\(s\) for s in \[\*x_train, \*x_test\]\)/);
  compiles(script);
});

test('cifar100 passes label_mode; cifar10 scales pixels', () => {
  const c100 = toKerasScript({
    dataset: { name: 'cifar100', label_mode: 'coarse' },
    layers: [{ type: 'Flatten' }, { type: 'Dense', units: 20 }],
  });
  assert.match(c100, /keras\.datasets\.cifar100\.load_data\(label_mode="coarse"\)/);
  const c10 = toKerasScript({ dataset: 'cifar10', layers: [{ type: 'Flatten' }, { type: 'Dense', units: 10 }] });
  assert.match(c10, /keras\.datasets\.cifar10\.load_data\(\)/);
  assert.match(c10, /x_train, x_test = x_train \/ 255\.0, x_test \/ 255\.0/);
  compiles(c10);
});

test('NumPy arrays load with np.load, names escaped as Python strings', () => {
  const npz = toKerasScript(
    {
      dataset: { npz: 'data/a "b".npz', x: 'x"1', y: 'labels', x_test: 'tx', y_test: 'ty', scale: 0.5 },
      layers: [{ type: 'Dense', units: 2, input_shape: [4] }],
    },
    { baseDir: '/w', outDir: '/w' },
  );
  assert.match(npz, /data = np\.load\(Path\(__file__\)\.resolve\(\)\.parent \/ "data\/a \\"b\\"\.npz"\)/);
  assert.match(npz, /x_train, y_train = data\["x\\"1"\] \* 0\.5, data\["labels"\]/);
  assert.match(npz, /model\.evaluate\(x_test, y_test/);
  compiles(npz);
  const npy = toKerasScript(
    { dataset: { x: 'x.npy', y: 'y.npy' }, layers: [{ type: 'Dense', units: 2, input_shape: [4] }] },
    { baseDir: '/w', outDir: '/w' },
  );
  assert.match(
    npy,
    /x_train, y_train = np\.load\(Path\(__file__\)\.resolve\(\)\.parent \/ "x\.npy"\), np\.load\(Path\(__file__\)\.resolve\(\)\.parent \/ "y\.npy"\)/,
  );
  assert.doesNotMatch(npy, /evaluate\(x_test/);
  compiles(npy);
});
