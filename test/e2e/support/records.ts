/** Reads the run records the extension wrote under `<workspace>/.model-lab/runs/`. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../../src/protocol';

export function readRunRecords(folder: string): RunRecord[] {
  const dir = join(folder, '.model-lab', 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunRecord)
    .filter((r) => r && r.version === 1 && Array.isArray(r.runs));
}
