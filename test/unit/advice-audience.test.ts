/** Messages made below the front ends name a CLI flag on the command line and a setting in the editor, never both. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendAdvice, parallelRunsAdvice } from '../../src/training/advice';
import { backendProblem } from '../../src/training/backend';
import { crashMessage } from '../../src/training/host/pool';
import { planRuns } from '../../src/training/host/session';

test('backend advice: a flag for the CLI, the setting for the editor', () => {
  assert.equal(backendAdvice('wasm', 'cli'), '--backend wasm');
  assert.equal(backendAdvice('wasm', 'editor'), 'the modelLab.backend setting "wasm"');
  const editor = backendProblem('tensorflow-gpu', 'editor')!;
  assert.match(editor, /or use the modelLab\.backend setting "wasm"\.$/);
  assert.doesNotMatch(editor, /--/);
  assert.match(backendProblem('tensorflow-gpu', 'cli')!, /or use --backend wasm\.$/);
});

test('crash advice: --workers on the command line, the setting in the editor', () => {
  const editor = crashMessage(null, 'SIGKILL', true, 1, 3, parallelRunsAdvice('editor'));
  assert.match(editor, /train fewer runs at once \(the modelLab\.maxParallelRuns setting\)\.$/);
  assert.doesNotMatch(editor, /--/);
  assert.match(crashMessage(null, 'SIGKILL', true, 1, 3, parallelRunsAdvice('cli')), /\(--workers\)\.$/);
});

test('the audience travels with every planned run to the worker', () => {
  const specs = planRuns({
    kind: 'compare',
    id: 'x',
    definition: { layers: [{ type: 'Dense', units: 2, input_shape: [3] }], compare: { optimizers: ['sgd', 'adam'] } },
    summary: { name: 'm', layers: [], totalParams: 8, trainableParams: 8, nonTrainableParams: 0 },
    baseDir: '/tmp',
    backend: 'wasm',
    cacheDir: '/tmp',
    audience: 'editor',
  });
  assert.deepEqual(
    specs.map((s) => s.audience),
    ['editor', 'editor'],
  );
});
