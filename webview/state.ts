/** What the panel shows, and what it keeps in `vscode.setState` so a re-shown panel restores instantly. */
import type { RecordListItem, RunRecord } from '../src/protocol';
import type { Exporter } from './exporter.js';
import type { Host } from './host.js';

export interface ViewState {
  record?: RunRecord;
  history: RecordListItem[];
  pinned: RunRecord[];
}

export interface Context {
  host: Host;
  exporter: Exporter;
}

/** File names for exports: the record id is already a safe, readable slug. */
export function baseName(state: ViewState): string {
  return state.record ? `model-lab-${state.record.id}` : 'model-lab';
}
