/** Backend choice: what `auto` settles on here (no tfjs-node), that it says why, and where tfjs-node is looked for. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { backendProblem, resolveNative, selectBackend } from '../../src/training/backend';

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
  'auto without tfjs-node trains on wasm, says why in words for its audience, and reports the backend tfjs really runs',
  { skip },
  async () => {
    const { tf, backend, note } = await selectBackend('auto');
    assert.equal(backend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(
      note,
      'Training on the bundled WebAssembly backend because @tensorflow/tfjs-node is not installed (install it next to Model Lab for native TensorFlow speed).',
    );
    const editor = await selectBackend('auto', 'editor');
    assert.equal(
      editor.note,
      "Training on the bundled WebAssembly backend because @tensorflow/tfjs-node is not installed (run 'Model Lab: Install Native Backend' for native TensorFlow speed).",
    );
  },
);

test('an explicit wasm request says it was asked for, and nothing about tfjs-node', async () => {
  const { backend, note } = await selectBackend('wasm');
  assert.equal(backend, 'wasm');
  assert.equal(note, 'Training on wasm as asked (--backend wasm).');
  assert.equal(
    (await selectBackend('wasm', 'editor')).note,
    'Training on wasm as asked (the modelLab.backend setting "wasm").',
  );
});

test('the quick check before runs: native backends need their package, wasm its files, cpu nothing', { skip }, () => {
  assert.match(backendProblem('tensorflow') ?? '', /needs @tensorflow\/tfjs-node, which is not installed/);
  assert.match(backendProblem('tensorflow-gpu') ?? '', /needs @tensorflow\/tfjs-node-gpu, which is not installed/);
  assert.equal(
    backendProblem('tensorflow', 'editor'),
    "The 'tensorflow' backend needs @tensorflow/tfjs-node, which is not installed: run 'Model Lab: Install Native Backend', or use the modelLab.backend setting \"wasm\".",
  );
  assert.equal(backendProblem('wasm'), undefined);
  assert.equal(backendProblem('cpu'), undefined);
  assert.equal(backendProblem('auto'), undefined);
});

test('tfjs-node is found in the native folder (node_modules below it), and only there', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-native-'));
  try {
    assert.equal(resolveNative('@tensorflow/tfjs-node', { nativeDir: dir }), undefined);
    assert.match(backendProblem('tensorflow', 'cli', { nativeDir: dir }) ?? '', /is not installed/);
    const pkg = join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), 'module.exports = {};');
    const found = resolveNative('@tensorflow/tfjs-node', { nativeDir: dir });
    assert.equal(found?.path, join(pkg, 'index.js'));
    assert.equal(found?.from, "installed in Model Lab's storage");
    assert.equal(backendProblem('tensorflow', 'cli', { nativeDir: dir }), undefined);
    // The GPU build is another package: installing the CPU one does not make it available.
    assert.match(
      backendProblem('tensorflow-gpu', 'cli', { nativeDir: dir }) ?? '',
      /tfjs-node-gpu, which is not installed/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a native package that is there but fails to load falls back to wasm, with the reason in the note',
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-native-'));
    try {
      const pkg = join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', main: 'index.js' }));
      writeFileSync(join(pkg, 'index.js'), "throw new Error('libtensorflow.so.2: cannot open shared object file');");
      const { backend, note } = await selectBackend('auto', 'editor', { nativeDir: dir });
      assert.equal(backend, 'wasm');
      assert.equal(
        note,
        "Training on the bundled WebAssembly backend because @tensorflow/tfjs-node failed to load (libtensorflow.so.2: cannot open shared object file) (run 'Model Lab: Install Native Backend' for native TensorFlow speed).",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
