/**
 * Broken Fashion-MNIST files (truncated, wrong magic number, wrong count, labels out of range) found through
 * `--data DIR`: the CLI exits 1 with one line naming the file, and a worker run fails with the very same sentence.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ModelDefinition } from '../../src/model/types';
import { RunPool } from '../../src/training/host/pool';
import { brokenCopy, IDX_FAULTS, writeValidFashion } from '../fixtures/reliability/bad-idx';
import {
  assertRefused,
  assertRunFailsWith,
  requireDist,
  runCli,
  runSpec,
  tempDir,
  withTimeout,
  WORKER,
} from '../fixtures/reliability/harness';

const tmp = tempDir('idx');
const valid = join(tmp.dir, 'valid');
const definition: ModelDefinition = {
  name: 'fashion-mlp',
  dataset: 'fashion-mnist',
  layers: [
    { type: 'Flatten', input_shape: [28, 28] },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  fit: { epochs: 1, batch_size: 256 },
};
let pool: RunPool;

before(() => {
  requireDist();
  mkdirSync(valid);
  writeValidFashion(valid);
  writeFileSync(join(tmp.dir, 'fashion.model.json'), JSON.stringify(definition, null, 2));
  pool = new RunPool({ size: 1, workerPath: WORKER });
});
after(() => {
  pool.dispose();
  tmp.cleanup();
});

describe('a broken Fashion-MNIST file', () => {
  IDX_FAULTS.forEach((fault, i) => {
    test(`${fault.name}: CLI exit 1 with one line, and a worker run fails with the same sentence`, async () => {
      const dir = join(tmp.dir, `case-${i}`);
      brokenCopy(valid, dir, fault);
      const brokenFile = join(dir, fault.file);

      const cli = await runCli(['train', 'fashion.model.json', '--data', dir, '--epochs', '1'], tmp.dir);
      const message = assertRefused(cli, [brokenFile, fault.says]);
      await assertRunFailsWith(pool, runSpec(`idx-${i}`, definition, tmp.dir, { dataDir: dir }), message);
    });
  });

  test('the valid folder the faults were made from trains (so the failures above are the faults, not the setup)', async () => {
    const run = await withTimeout(
      pool.run(
        runSpec('idx-valid', { ...definition, dataset: { name: 'fashion-mnist', validation_split: 0.01 } }, tmp.dir, {
          dataDir: valid,
        }),
        () => undefined,
      ).result,
      120_000,
      'the valid run hung',
    );
    assert.equal(run.status, 'completed', run.error);
    assert.equal(run.history.loss.length, 1);
  });
});
