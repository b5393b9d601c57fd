/**
 * Tabs (`vscode-panels`). Only the active tab's content is rendered (into its view), so test hooks and element ids
 * inside a tab exist once.
 */
import { clear, h } from '../dom.js';

export interface Tab {
  id: string;
  label: string;
}

export function tabs(items: Tab[], active: string, render: (id: string, into: HTMLElement) => void): HTMLElement {
  const views = new Map<string, HTMLElement>();
  const panels = h('vscode-panels', { activeid: `tab-${active}`, class: 'ml-tabs' });
  for (const item of items) panels.appendChild(h('vscode-panel-tab', { id: `tab-${item.id}` }, item.label));
  for (const item of items) {
    const view = h('vscode-panel-view', { id: `view-${item.id}` });
    views.set(item.id, view);
    panels.appendChild(view);
  }
  let shown = '';
  const show = (id: string) => {
    if (id === shown || !views.has(id)) return;
    shown = id;
    for (const v of views.values()) clear(v);
    render(id, views.get(id) as HTMLElement);
  };
  panels.addEventListener('change', () => {
    // The property is current when `change` fires; the attribute is reflected a frame later.
    const activeId = (panels as HTMLElement & { activeid?: string }).activeid ?? panels.getAttribute('activeid') ?? '';
    const id = activeId.replace(/^tab-/, '');
    show(id);
  });
  show(active);
  return panels;
}
