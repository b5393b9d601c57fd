/** The run records the extension wrote under `<workspace>/.model-lab/runs/`, and checks on them. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../../src/protocol';
import { waitFor, type Workbench } from './workbench';

export function readRunRecords(folder: string): RunRecord[] {
  const dir = join(folder, '.model-lab', 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunRecord)
    .filter((r) => r && r.version === 1 && Array.isArray(r.runs));
}

/**
 * What "Compare the models in this file" must give for the two-model fixtures (`two_models.py`, `two_models.ipynb`):
 * two completed rows in the panel's comparison table, and a record labelling each run by the Keras name of its model
 * and the activation that differs, trained on the fixture's `train_test_split(test_size=0.2)`: 48,000 images.
 */
export async function expectTwoModelComparison(wb: Workbench, folder: string, timeoutMs: number): Promise<void> {
  const frame = await wb.webviewFrame('[data-testid="comparison"]', 60_000);
  await waitFor(
    'two completed comparison rows',
    async () => {
      const statuses = await frame
        .locator('[data-testid="comparison"] tr[data-run-id]')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')));
      return statuses.length === 2 && statuses.every((s) => s === 'completed') ? statuses : undefined;
    },
    timeoutMs,
  );
  const record = await waitFor('the finished compare record', async () =>
    readRunRecords(folder).find((r) => r.kind === 'compare' && r.runs.every((run) => run.status === 'completed')),
  );
  assert.deepEqual(
    record.runs.map((r) => r.label),
    ['sequential · sigmoid', 'sequential_1 · relu'],
  );
  assert.equal(record.dataset?.train, 48_000);
}
