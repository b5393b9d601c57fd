import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/cli/io';
import { writeOutputs, type ParsedArgs } from '../../src/cli/run-output';
import { makeRecord, makeRun } from '../helpers/records';

test('a --json that cannot be written does not cost the --html report; the error names the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-lab-out-'));
  writeFileSync(join(dir, 'a-file'), 'in the way');
  const parsed: ParsedArgs = {
    positional: [],
    values: new Map([
      ['--json', 'a-file/record.json'], // its folder is a file
      ['--html', 'report.html'],
    ]),
    switches: new Set(),
  };
  const said: string[] = [];
  const io = {
    out: () => undefined,
    err: (t: string) => said.push(t),
    cwd: dir,
    env: {},
    signal: new AbortController().signal,
  };
  const record = makeRecord('rec-1', [makeRun('adam', [0.8])]);
  await assert.rejects(
    writeOutputs(record, parsed, io, (r) => `<html>${r.id}</html>`),
    (e: Error) =>
      e instanceof UserError &&
      /^--json a-file\/record\.json could not be written \(.*\); the results printed above are kept there\.$/.test(
        e.message,
      ),
  );
  assert.equal(readFileSync(join(dir, 'report.html'), 'utf8'), '<html>rec-1</html>');
  assert.deepEqual(said, ['Wrote report.html\n']);
  assert.ok(!existsSync(join(dir, 'a-file', 'record.json')));
});
