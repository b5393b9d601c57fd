import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeDatasetSpec } from '../../src/data/spec';
import { loadDataset } from '../../src/data/load';
import { DataError } from '../../src/data/errors';

describe('normalizeDatasetSpec', () => {
  it('turns a name into an object and defaults to Fashion-MNIST', () => {
    assert.deepEqual(normalizeDatasetSpec('fashion-mnist-sample'), { name: 'fashion-mnist-sample' });
    assert.deepEqual(normalizeDatasetSpec(undefined), { name: 'fashion-mnist' });
  });

  it('copies objects and spells Keras names the Model Lab way', () => {
    const spec = { name: 'fashion_mnist', validation_split: 0.1, seed: 3 };
    const out = normalizeDatasetSpec(spec);
    assert.deepEqual(out, { name: 'fashion-mnist', validation_split: 0.1, seed: 3 });
    assert.notEqual(out, spec);
    assert.equal(spec.name, 'fashion_mnist');
    assert.deepEqual(normalizeDatasetSpec({ csv: 'a.csv', label: 'y' }), { csv: 'a.csv', label: 'y' });
    assert.deepEqual(normalizeDatasetSpec('cifar10'), { name: 'cifar10' });
  });

  it('makes loadDataset refuse an unknown name with the choices', async () => {
    await assert.rejects(
      loadDataset({ spec: { name: 'svhn' }, baseDir: '/tmp', cacheDir: '/tmp' }),
      (e: unknown) =>
        e instanceof DataError &&
        e.code === 'spec' &&
        /^Unknown dataset "svhn"; use "fashion-mnist", "fashion-mnist-sample", "mnist", "cifar10"/.test(e.message),
    );
  });
});
