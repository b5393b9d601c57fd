import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, parseModelJson } from '../../src/model';
import { TEMPLATES, instantiate } from '../../src/editor/templates';

// Parameter counts by hand (Keras formulas):
//  MLP: 784*100+100 = 78,500; 100*10+10 = 1,010 → 79,510.
//  CNN: conv 3*3*1*32+32 = 320; conv 3*3*32*64+64 = 18,496; BN on 64 channels = 256 (128 non-trainable);
//       after two 2x2 pools 7x7x64 = 3,136 → Dense(64) 3,136*64+64 = 200,768; Dense(10) 64*10+10 = 650
//       → 320 + 18,496 + 256 + 200,768 + 650 = 220,490.
//  CSV: Dense(16) on 4 features 4*16+16 = 80; Dense(3) 16*3+3 = 51 → 131.
const EXPECTED: Record<string, { total: number; nonTrainable: number }> = {
  'mlp-relu': { total: 79_510, nonTrainable: 0 },
  'mlp-sigmoid': { total: 79_510, nonTrainable: 0 },
  'small-cnn': { total: 220_490, nonTrainable: 128 },
  'csv-classifier': { total: 131, nonTrainable: 0 },
  // Embedding 50*16 = 800; LSTM 4*(16*(16+16)+16) = 2,112; Dense 16+1 = 17 → 2,929.
  'text-classifier': { total: 2_929, nonTrainable: 0 },
  // stem 3*3*1*16+16 = 160; four 3*3*16*16+16 = 2,320; Dense 16*10+10 = 170 → 160 + 9,280 + 170 = 9,610.
  'small-resnet': { total: 9_610, nonTrainable: 0 },
};

for (const template of TEMPLATES) {
  test(`template '${template.label}' analyzes without errors and has Keras's parameter count`, () => {
    const text = instantiate(template, 'my "quoted" model');
    const analysis = analyze(parseModelJson(text));
    const errors = analysis.diagnostics.filter((d) => d.severity !== 'information');
    assert.deepEqual(
      errors.map((d) => d.message),
      [],
    );
    assert.ok(analysis.summary, 'has a summary');
    assert.equal(analysis.definition?.name, 'my "quoted" model');
    const expected = EXPECTED[template.id];
    assert.ok(expected, `expected numbers for ${template.id}`);
    assert.equal(analysis.summary.totalParams, expected.total);
    assert.equal(analysis.summary.nonTrainableParams, expected.nonTrainable);
  });
}

test('the required templates are offered', () => {
  assert.deepEqual(
    TEMPLATES.map((t) => t.label),
    [
      'Fashion-MNIST MLP (relu)',
      'Fashion-MNIST MLP (sigmoid)',
      'Small CNN',
      'CSV classifier',
      'Text classifier (Embedding + LSTM)',
      'Small ResNet (graph model)',
    ],
  );
});

test('the CSV template brings a deterministic CSV that the data layer reads as 3 balanced classes', async () => {
  const { blobsCsv, companionFiles } = await import('../../src/editor/templates');
  const csv = companionFiles(TEMPLATES.find((t) => t.id === 'csv-classifier')!)['data/blobs.csv'];
  assert.equal(csv, blobsCsv(), 'same bytes every time');
  const { mkdtempSync, writeFileSync, mkdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(tmpdir(), 'model-lab-csv-'));
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'blobs.csv'), csv);
  const { loadDataset } = await import('../../src/data');
  const ds = await loadDataset({ spec: { csv: 'data/blobs.csv', label: 'label' }, baseDir: dir, cacheDir: dir });
  assert.deepEqual(ds.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual(ds.exampleShape, [4]);
  assert.equal(ds.train.count, 300);
  const counts = [0, 0, 0];
  for (const y of ds.train.y) counts[y]++;
  assert.deepEqual(counts, [100, 100, 100]);
  assert.deepEqual(companionFiles(TEMPLATES[0]), {});
});

test('Fashion-MNIST templates start on the sample or the full set; the CNN defaults to the sample', async () => {
  const { defaultData, usesFashionMnist } = await import('../../src/editor/templates');
  const { analyze, parseModelJson } = await import('../../src/model');
  const cnn = TEMPLATES.find((t) => t.id === 'small-cnn')!;
  const csv = TEMPLATES.find((t) => t.id === 'csv-classifier')!;
  assert.equal(defaultData(cnn), 'sample');
  assert.equal(defaultData(TEMPLATES[0]), 'full');
  assert.ok(usesFashionMnist(cnn) && !usesFashionMnist(csv));
  const text = instantiate(cnn, 'c', 'sample');
  assert.match(text, /"name": "fashion-mnist-sample"/);
  assert.deepEqual(
    analyze(parseModelJson(text)).diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.match(instantiate(cnn, 'c'), /"name": "fashion-mnist",/);
});
