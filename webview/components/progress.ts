/** Progress indicators: a spinner (`vscode-progress-ring`) and a determinate bar (the toolkit has none). */
import { h } from '../dom.js';

export function progressRing(label: string): HTMLElement {
  return h('vscode-progress-ring', { class: 'ml-ring', 'aria-label': label });
}

export interface ProgressBar {
  element: HTMLElement;
  set(fraction: number, text: string): void;
}

export function progressBar(label: string): ProgressBar {
  const fill = h('div', { class: 'ml-bar-fill' });
  const element = h(
    'div',
    {
      class: 'ml-bar',
      role: 'progressbar',
      'aria-label': label,
      'aria-valuemin': 0,
      'aria-valuemax': 100,
    },
    fill,
  );
  return {
    element,
    set(fraction, text) {
      const pct = Math.round(Math.min(Math.max(fraction, 0), 1) * 1000) / 10;
      fill.style.width = `${pct}%`;
      element.setAttribute('aria-valuenow', String(pct));
      element.setAttribute('aria-valuetext', text);
    },
  };
}
