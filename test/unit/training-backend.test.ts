/** Backend choice: what `auto` settles on here (no tfjs-node) and that it says why. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendProblem, selectBackend } from '../../src/training/backend';

/** These machines cannot install tfjs-node (its install downloads libtensorflow); where it is, other answers hold. */
const nativeInstalled = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].some((pkg) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
});
const skip = nativeInstalled && 'tfjs-node is installed here';

test(
  'auto without tfjs-node trains on wasm, says why, and reports the backend tfjs really runs',
  { skip },
  async () => {
    const said: string[] = [];
    const { tf, backend } = await selectBackend('auto', (m) => said.push(m));
    assert.equal(backend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(said, [
      'Training on the bundled WebAssembly backend because @tensorflow/tfjs-node is not installed (install it next to Model Lab for native TensorFlow speed).',
    ]);
  },
);

test('an explicit wasm request says nothing about tfjs-node', async () => {
  const said: string[] = [];
  assert.equal((await selectBackend('wasm', (m) => said.push(m))).backend, 'wasm');
  assert.deepEqual(said, []);
});

test('the quick check before runs: native backends need their package, wasm its files, cpu nothing', { skip }, () => {
  assert.match(backendProblem('tensorflow') ?? '', /needs @tensorflow\/tfjs-node, which is not installed/);
  assert.match(backendProblem('tensorflow-gpu') ?? '', /needs @tensorflow\/tfjs-node-gpu, which is not installed/);
  assert.equal(backendProblem('wasm'), undefined);
  assert.equal(backendProblem('cpu'), undefined);
  assert.equal(backendProblem('auto'), undefined);
});
