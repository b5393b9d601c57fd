import assert from 'node:assert/strict';
import { DataError } from '../../src/data/errors';

/** The DataError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function dataError(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e instanceof Error ? e.stack : e}`);
    return e;
  }
  assert.fail('expected a DataError');
}
