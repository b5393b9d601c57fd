/**
 * `model-lab train --resume <record.json> --epochs N`: continues the record's run for N more epochs from the weights
 * and optimizer state it saved (`--save-weights DIR` when it was trained), and writes one record with the whole
 * history. What cannot be continued (no such file, not a record, weights not saved) is one sentence, exit 2.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isRecord } from '../protocol-validate';
import type { RunRecord } from '../protocol';
import { EXIT, UserError, type CliIO } from './io';
import { backendOption, cacheDir, dataDir, intOption, type ParsedArgs, type SessionInputs } from './run-output';

export async function resumeInputs(parsed: ParsedArgs, io: CliIO, usage: string): Promise<SessionInputs> {
  const given = parsed.values.get('--resume')!;
  if (parsed.positional.length > 0)
    throw new UserError(`--resume continues a recorded run; give no model file.\n${usage}`, EXIT.invalid);
  const path = resolve(io.cwd, given);
  let record: RunRecord;
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (!isRecord(value)) throw new Error('it is not a Model Lab run record');
    record = value;
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e);
    throw new UserError(`${given} cannot be continued: ${why}.`, EXIT.invalid);
  }
  const run = record.runs.find((r) => r.status === 'completed' && r.weightsPath);
  if (record.kind !== 'train' || !run) {
    throw new UserError(
      `${given} has no finished training run with saved weights to continue; train with --save-weights DIR --json OUT, then continue from OUT.`,
      EXIT.invalid,
    );
  }
  const file = record.modelFile ?? given;
  return {
    kind: 'train',
    file,
    absolutePath: resolve(io.cwd, file),
    baseDir: dirname(resolve(io.cwd, file)),
    definition: record.definition,
    summary: record.model,
    backend: backendOption(parsed),
    dataDir: dataDir(parsed, io),
    cacheDir: cacheDir(io),
    epochs: intOption(parsed, '--epochs'),
    parsed,
    continueRun: run,
  };
}
