/**
 * The parts of the commands that decide rather than show: names of generated files, the run picker's lines, the
 * summary document's text, what a stored record looks like when no session trains it. No VS Code here; the commands
 * in `commands.ts` call these and unit tests check them.
 */
import * as path from 'node:path';
import type { RecordListItem, RunRecord } from '../protocol';
import { markInterrupted, type RunStore } from '../panel/run-store';

/** `models/fashion.model.json` → `fashion_keras.py` beside it (a valid Python module name); also from `.py`, `.ipynb`. */
export function kerasScriptPath(source: string): string {
  const base = path.basename(source).replace(/\.model\.json$|\.py$|\.ipynb$/, '');
  return path.join(path.dirname(source), `${base.replace(/[^A-Za-z0-9_]/g, '_')}_keras.py`);
}

/** The title of a model's summary document: `a.model.json summary`, `net.py #2 summary` for the second model. */
export function summaryTitle(sourcePath: string, index: number): string {
  return `${path.posix.basename(sourcePath)}${index ? ` #${index + 1}` : ''} summary`;
}

/** The summary document's text: Keras's summary, or why there is none yet. */
export function summaryText(summary: string | undefined, errors: readonly string[]): string {
  return summary ?? `This model has errors, so it has no summary yet:\n\n${errors.map((e) => `  ${e}`).join('\n')}\n`;
}

/** One line of the "Open Run…" picker. */
export function runPickItem(
  item: RecordListItem,
  formatDate: (iso: string) => string = (iso) => new Date(iso).toLocaleString(),
) {
  return {
    label: `${item.kind === 'compare' ? '$(graph-line)' : '$(play)'} ${item.title ?? item.modelName}`,
    description: formatDate(item.createdAt),
    detail: `${item.runs} run${item.runs === 1 ? '' : 's'}${item.bestValAccuracy !== undefined ? ` · best val_accuracy ${item.bestValAccuracy.toFixed(4)}` : ''}`,
    id: item.id,
  };
}

/** The PNG bytes of a chart the webview sent (`data:image/png;base64,…`, checked by the panel's validator). */
export function pngBytes(dataUrl: string): Buffer {
  return Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64');
}

/**
 * A stored record for display: runs that no session of this window trains are shown as interrupted. Only shown so —
 * never written here: another window may still be training that record, and only its own trainer writes it.
 */
export async function readForDisplay(
  store: RunStore,
  id: string,
  sessions: { isLive(id: string): boolean },
): Promise<RunRecord> {
  const record = await store.read(id);
  return sessions.isLive(id) ? record : markInterrupted(record);
}
