import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, checkSettings } from '../../src/editor/settings';
import { checkModelName, modelFileName } from '../../src/editor/templates';

test('valid settings pass through unchanged', () => {
  const { settings, problems } = checkSettings({
    backend: 'wasm',
    maxParallelRuns: 3,
    dataFolder: '/data/fmnist',
    runsFolder: 'out/runs',
    saveWeights: true,
    inlineHints: false,
    summaryStyle: 'keras3',
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(settings, {
    backend: 'wasm',
    maxParallelRuns: 3,
    dataFolder: '/data/fmnist',
    runsFolder: 'out/runs',
    saveWeights: true,
    inlineHints: false,
    summaryStyle: 'keras3',
  });
});

test('missing settings take the defaults; an empty data folder means none', () => {
  assert.deepEqual(checkSettings({ dataFolder: '' }), { settings: DEFAULT_SETTINGS, problems: [] });
});

test('each bad setting gives one sentence naming it and the value used instead', () => {
  const { settings, problems } = checkSettings({
    backend: 'gpu',
    maxParallelRuns: 2.5,
    dataFolder: 42,
    runsFolder: '   ',
    saveWeights: 'yes',
    inlineHints: null,
    summaryStyle: 'Keras 3',
  });
  assert.deepEqual(settings, DEFAULT_SETTINGS);
  assert.deepEqual(problems, [
    'modelLab.backend must be one of auto, tensorflow, tensorflow-gpu, wasm, cpu; got "gpu", using auto.',
    'modelLab.maxParallelRuns must be a whole number from 0 to 64; got 2.5, using 0 (one per core).',
    'modelLab.dataFolder must be a folder path; got 42, ignoring it.',
    'modelLab.runsFolder must be a folder path; got "   ", using .model-lab/runs.',
    'modelLab.saveWeights must be true or false; got "yes", using false.',
    'modelLab.inlineHints must be true or false; got null, using true.',
    'modelLab.summaryStyle must be one of keras2, keras3; got "Keras 3", using keras2.',
  ]);
  assert.equal(DEFAULT_SETTINGS.summaryStyle, 'keras2');
  assert.match(checkSettings({ maxParallelRuns: -1 }).problems[0], /got -1/);
  assert.match(checkSettings({ maxParallelRuns: 65 }).problems[0], /got 65/);
  assert.match(checkSettings({ backend: 'x'.repeat(100) }).problems[0], /got "x{36}…/);
});

test('model file names are checked and completed', () => {
  assert.equal(checkModelName('my-model'), undefined);
  assert.equal(checkModelName('v2.final_model'), undefined);
  assert.match(checkModelName('')!, /Enter a name/);
  assert.match(checkModelName('../evil')!, /no spaces or slashes/);
  assert.match(checkModelName('has space')!, /no spaces or slashes/);
  assert.match(checkModelName('-dash')!, /starting with a letter or digit/);
  assert.equal(modelFileName('my-model'), 'my-model.model.json');
  assert.equal(modelFileName('my-model.model.json'), 'my-model.model.json');
  assert.equal(modelFileName(' a.json '), 'a.model.json');
});
