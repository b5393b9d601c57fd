/**
 * Issue 14: the largest model `check` accepted (hundreds of millions of parameters) crashed late in the worker with
 * a wasm "memory access out of bounds" and stack traces. Its memory is now estimated from the summary: `check`
 * warns at the layers, and training on the wasm or cpu backend is refused before any worker starts, in a sentence.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli';
import { analyze } from '../../src/model/analyze';
import { trainingMemoryBytes } from '../../src/model/memory-estimate';
import { parseModelJson } from '../../src/model/parse-json';
import { assertUserMessage, requireDist, tempDir } from '../fixtures/reliability/harness';

const tmp = tempDir('memory');
before(requireDist);
after(tmp.cleanup);

const model = (units: number) =>
  JSON.stringify({
    dataset: 'fashion-mnist-sample',
    layers: [
      { type: 'Flatten', input_shape: [28, 28] },
      { type: 'Dense', units, activation: 'relu' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy' },
  });

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    cwd: tmp.dir,
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

test("the estimate counts weights, gradients, Adam's two slots and a batch of activations", () => {
  const a = analyze(parseModelJson(model(100)));
  // 78,500 + 1,010 = 79,510 weights × 4 bytes × (1 + 1 + 2); activations 784 + 100 + 10 per example × 32 × 4 × 2.
  assert.equal(trainingMemoryBytes(a.summary!, 32, a.optimizer), 79_510 * 4 * 4 + 894 * 32 * 8);
});

test('a model too big for the wasm memory: check warns at "layers", train refuses before any worker, exit 1', async () => {
  writeFileSync(join(tmp.dir, 'big.model.json'), model(1_000_000));
  const check = await cli(['check', 'big.model.json']);
  assert.equal(check.code, 0);
  assert.match(
    check.out,
    /big\.model\.json:\d+:\d+: warning: Training this model needs about [\d.]+ GB .*more than the 4\.0 GB the WebAssembly backend can address/,
  );
  const started = Date.now();
  const train = await cli(['train', 'big.model.json', '--backend', 'wasm']);
  assert.equal(train.code, 1, train.err);
  assert.ok(Date.now() - started < 10_000);
  const last = train.err.trim().split('\n').pop()!;
  assertUserMessage(last.replace(/^model-lab train: /, ''), [/needs about [\d.]+ GB/], 'the refusal');
  assert.doesNotMatch(train.out, /Epoch/);
});

test('an ordinary model has no memory warning', () => {
  assert.deepEqual(
    analyze(parseModelJson(model(100))).diagnostics.filter((d) => d.code === 'memory'),
    [],
  );
});
