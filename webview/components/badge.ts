/**
 * Status tags and count badges, drawn like VS Code's. Not the toolkit's `vscode-tag` / `vscode-badge`: their
 * template carries an inline `style` attribute, which the panel's strict CSP (no 'unsafe-inline') reports as a
 * violation every time one is created.
 */
import type { RunStatus } from '../../src/protocol';
import { h } from '../dom.js';

const STATUS_TEXT: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  cancelled: 'Stopped',
  failed: 'Failed',
};

export function statusText(status: RunStatus): string {
  return STATUS_TEXT[status] ?? status;
}

/** A coloured dot (the status's theme colour, see styles) and the status words. */
export function statusBadge(status: RunStatus, text = statusText(status)): HTMLElement {
  return h(
    'span',
    { class: `ml-tag ml-status ml-status-${status}` },
    h('span', { class: 'ml-dot', 'aria-hidden': 'true' }),
    text,
  );
}

/** A small outlined label, e.g. "pinned". */
export function tag(text: string, title?: string): HTMLElement {
  return h('span', { class: 'ml-tag', title }, text);
}

export function countBadge(count: number, label: string): HTMLElement {
  return h('span', { class: 'ml-badge', 'aria-label': label, title: label }, String(count));
}
