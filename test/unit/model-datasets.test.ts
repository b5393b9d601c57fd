/**
 * What the core knows of the datasets without reading them: example shapes for shape inference, class counts for
 * the output-layer check, the schema's options and their diagnostics, and the Keras `load_data` / `pad_sequences`
 * calls turned into dataset definitions (for the Python reader).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, parseModelJson, type Diagnostic } from '../../src/model';
import {
  datasetClassCount,
  datasetExampleShape,
  datasetFromKerasLoadData,
  datasetInputKind,
  withPadSequences,
} from '../../src/model/datasets';

function diagnose(def: unknown): Diagnostic[] {
  return analyze(parseModelJson(JSON.stringify(def, null, 2))).diagnostics;
}

const dense = (units: number) => [{ type: 'Flatten' }, { type: 'Dense', units, activation: 'softmax' }];

describe('dataset shapes and classes', () => {
  it('knows each built-in dataset example shape; sequences take maxlen; files are unknown', () => {
    assert.deepEqual(datasetExampleShape('mnist'), [28, 28]);
    assert.deepEqual(datasetExampleShape('cifar10'), [32, 32, 3]);
    assert.deepEqual(datasetExampleShape({ name: 'cifar100', label_mode: 'coarse' }), [32, 32, 3]);
    assert.deepEqual(datasetExampleShape({ name: 'imdb', num_words: 10000, maxlen: 200 }), [200]);
    assert.equal(datasetExampleShape('imdb'), undefined);
    assert.equal(datasetExampleShape({ npz: 'data/x.npz' }), undefined);
    assert.equal(datasetExampleShape({ x: 'x.npy', y: 'y.npy' }), undefined);
  });

  it('counts classes per dataset and option', () => {
    assert.equal(datasetClassCount('mnist'), 10);
    assert.equal(datasetClassCount('cifar100'), 100);
    assert.equal(datasetClassCount({ name: 'cifar100', label_mode: 'coarse' }), 20);
    assert.equal(datasetClassCount('imdb'), 2);
    assert.equal(datasetClassCount('reuters'), 46);
    assert.equal(datasetClassCount({ npz: 'x.npz' }), undefined);
  });

  it('says whether inputs are word indices (for Embedding) or real values', () => {
    assert.equal(datasetInputKind({ name: 'imdb', maxlen: 10 }), 'int');
    assert.equal(datasetInputKind('reuters'), 'int');
    assert.equal(datasetInputKind('cifar10'), 'float');
    assert.equal(datasetInputKind(undefined), 'float');
    assert.equal(datasetInputKind({ csv: 'a.csv', label: 'y' }), 'float');
    assert.equal(datasetInputKind({ npz: 'a.npz' }), undefined);
  });

  it('infers the summary from the dataset shape: CIFAR-10 into Flatten is 3,072 values', () => {
    const r = analyze(parseModelJson(JSON.stringify({ dataset: 'cifar10', layers: dense(10) })));
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.equal(r.summary?.totalParams, 3072 * 10 + 10);
  });

  it('flags too few output units for the dataset classes (reuters has 46)', () => {
    const d = diagnose({
      dataset: { name: 'reuters', maxlen: 50 },
      layers: dense(10),
      compile: { loss: 'sparse_categorical_crossentropy' },
    });
    assert.ok(
      d.some(
        (x) =>
          x.code === 'classes-mismatch' &&
          x.message === 'reuters has 46 classes but the last layer has 10 units; give it 46, one per class.',
      ),
      JSON.stringify(d),
    );
  });

  it('asks for maxlen when a sequence dataset has no input shape', () => {
    const d = diagnose({ dataset: { name: 'imdb', num_words: 10000 }, layers: [{ type: 'Dense', units: 1 }] });
    const m = d.find((x) => x.code === 'no-input-shape');
    assert.equal(
      m?.message,
      `The first layer needs "input_shape", or the dataset "maxlen": imdb's sequences are padded to that length (e.g. { "name": "imdb", "num_words": 10000, "maxlen": 200 }).`,
    );
  });

  it('asks for an input shape for NumPy arrays', () => {
    const d = diagnose({ dataset: { npz: 'data/x.npz' }, layers: [{ type: 'Dense', units: 1 }] });
    assert.match(
      d.find((x) => x.code === 'no-input-shape')?.message ?? '',
      /a NumPy dataset's shape is only known once the file is read/,
    );
  });
});

describe('dataset options in the schema and diagnostics', () => {
  it('accepts the Keras loader options and the NumPy form', () => {
    const ok = (dataset: unknown) =>
      diagnose({ dataset, layers: [{ type: 'Dense', units: 2, input_shape: [4] }] }).filter(
        (d) => d.code !== 'classes-mismatch',
      );
    assert.deepEqual(
      ok({
        name: 'imdb',
        num_words: 10000,
        maxlen: 200,
        padding: 'post',
        truncating: 'pre',
        value: 0,
        skip_top: 5,
        start_char: null,
        oov_char: 2,
        index_from: 3,
        shuffle_seed: 113,
        filter_maxlen: 500,
      }),
      [],
    );
    assert.deepEqual(ok({ name: 'reuters', test_split: 0.1, maxlen: 4 }), []);
    assert.deepEqual(
      ok({ name: 'cifar100', label_mode: 'coarse' }).filter((d) => d.code !== 'input-shape'),
      [],
    );
    assert.deepEqual(ok({ npz: 'data/a.npz', x: 'features', y: 'labels', x_test: 'tx', y_test: 'ty', scale: 0.5 }), []);
    assert.deepEqual(ok({ x: 'x.npy', y: 'y.npy' }), []);
  });

  it('rejects a bad value with the schema sentence at the value', () => {
    const d = diagnose({ dataset: { name: 'imdb', maxlen: 0 }, layers: [{ type: 'Dense', units: 2 }] });
    assert.ok(
      d.some((x) => x.message.startsWith('dataset.maxlen must be')),
      JSON.stringify(d.map((x) => x.message)),
    );
    const p = diagnose({
      dataset: { name: 'imdb', padding: 'both', maxlen: 3 },
      layers: [{ type: 'Dense', units: 2 }],
    });
    assert.ok(
      p.some((x) => /dataset\.padding/.test(x.message)),
      JSON.stringify(p.map((x) => x.message)),
    );
  });

  it('warns about an option the dataset does not take', () => {
    const d = diagnose({ dataset: { name: 'mnist', num_words: 100 }, layers: dense(10) });
    const w = d.find((x) => x.code === 'dataset');
    assert.equal(w?.message, '"num_words" only applies to imdb and reuters; mnist ignores it.');
    assert.equal(w?.severity, 'warning');
    const x = diagnose({ dataset: { name: 'imdb', maxlen: 10, scale: 2 }, layers: dense(2) }).find(
      (y) => y.code === 'dataset',
    );
    assert.match(x?.message ?? '', /"scale" only applies to NumPy arrays and images/);
    // Pixels take a scale: 1 is the raw 0–255 values of a script that never divides by 255.
    assert.equal(
      diagnose({ dataset: { name: 'mnist', scale: 1 }, layers: dense(10) }).find((y) => y.code === 'dataset'),
      undefined,
    );
  });
});

describe("Keras's load_data and pad_sequences as a dataset", () => {
  it('maps keywords and positional arguments by Keras name; maxlen and seed are the filter and shuffle', () => {
    assert.deepEqual(datasetFromKerasLoadData('imdb', [], { num_words: 10000 }), {
      spec: { name: 'imdb', num_words: 10000 },
    });
    assert.deepEqual(datasetFromKerasLoadData('imdb', ['imdb.npz', 5000], { maxlen: 400, seed: 1, start_char: null }), {
      spec: { name: 'imdb', num_words: 5000, filter_maxlen: 400, shuffle_seed: 1, start_char: null },
    });
    assert.deepEqual(datasetFromKerasLoadData('reuters', [], { num_words: null, test_split: 0.3 }), {
      spec: { name: 'reuters', test_split: 0.3 },
    });
    assert.deepEqual(datasetFromKerasLoadData('cifar100', ['coarse'], {}), {
      spec: { name: 'cifar100', label_mode: 'coarse' },
    });
    assert.deepEqual(datasetFromKerasLoadData('mnist', [], {}), { spec: { name: 'mnist' } });
    assert.deepEqual(datasetFromKerasLoadData('fashion_mnist', [], {}), { spec: { name: 'fashion-mnist' } });
  });

  it('says what is wrong with a call it cannot map', () => {
    assert.deepEqual(datasetFromKerasLoadData('boston_housing', [], {}), {
      error:
        'keras.datasets.boston_housing is not a dataset Model Lab can load; it reads mnist, fashion_mnist, cifar10, cifar100, imdb, reuters.',
    });
    assert.deepEqual(datasetFromKerasLoadData('imdb', [], { num_word: 5 }), {
      error: 'keras.datasets.imdb.load_data has no argument num_word.',
    });
    assert.deepEqual(datasetFromKerasLoadData('imdb', [], { num_words: 'many' }), {
      error: 'keras.datasets.imdb.load_data(num_words=…): must be a whole number of at least 1, got "many".',
    });
    assert.deepEqual(datasetFromKerasLoadData('cifar100', [], { label_mode: 'medium' }), {
      error: 'keras.datasets.cifar100.load_data(label_mode=…): must be "fine" or "coarse", got "medium".',
    });
    assert.deepEqual(datasetFromKerasLoadData('cifar10', [1], {}), {
      error: 'keras.datasets.cifar10.load_data takes at most 0 positional arguments, got 1.',
    });
  });

  it('adds pad_sequences(maxlen, padding, truncating, value) to a sequence dataset only', () => {
    const imdb = { name: 'imdb', num_words: 10000 };
    assert.deepEqual(withPadSequences(imdb, [], { maxlen: 200 }), {
      spec: { name: 'imdb', num_words: 10000, maxlen: 200 },
    });
    assert.deepEqual(withPadSequences(imdb, [80, 'int32', 'post', 'post', 0], {}), {
      spec: { name: 'imdb', num_words: 10000, maxlen: 80, padding: 'post', truncating: 'post', value: 0 },
    });
    assert.deepEqual(withPadSequences({ name: 'mnist' }, [], { maxlen: 3 }), {
      error: 'pad_sequences applies to word-index sequences (imdb, reuters), not to mnist.',
    });
    assert.deepEqual(withPadSequences(imdb, [], { dtype: 'float32' }), {
      error: 'pad_sequences(dtype="float32"): Model Lab keeps word indices as int32.',
    });
  });
});
