/** A themed button (`vscode-button`): keyboard-operable (Enter/Space) like a native button. */
import { h } from '../dom.js';

export interface ButtonOptions {
  label: string;
  onClick: () => void;
  appearance?: 'primary' | 'secondary';
  testId?: string;
  title?: string;
  /** Accessible name when the visible label is not enough ("Stop adam #2"). */
  ariaLabel?: string;
  /** Makes it a toggle button (announced as pressed / not pressed). */
  pressed?: boolean;
  focusKey?: string;
}

export function button(opts: ButtonOptions): HTMLElement {
  const el = h(
    'vscode-button',
    {
      appearance: opts.appearance ?? 'secondary',
      'data-testid': opts.testId,
      title: opts.title,
      'aria-label': opts.ariaLabel,
      'aria-pressed': opts.pressed === undefined ? undefined : String(opts.pressed),
      'data-focus-key': opts.focusKey,
    },
    opts.label,
  );
  el.addEventListener('click', () => opts.onClick());
  return el;
}
