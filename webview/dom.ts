/**
 * Tiny DOM helpers. Everything the UI shows from a record goes through `textContent` or attributes, never
 * `innerHTML`, so no label or error message can inject markup. Inline `style` attributes are refused: the CSP
 * blocks them (styles are set through CSSOM properties instead, which it allows).
 */
type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, ...children);
  return el;
}

export function setAttrs(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'style') throw new Error('inline style attributes are blocked by the CSP; use el.style instead');
    if (value === undefined || value === null || value === false) el.removeAttribute(name);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/**
 * Re-renders `container` while keeping keyboard focus: the focused element's `data-focus-key` is looked up again
 * after rendering, so a live update (up to 10 a second) never throws the user's focus back to the page.
 */
export function keepFocus(container: Element, render: () => void): void {
  const active = document.activeElement;
  const key =
    active && container.contains(active) ? active.closest('[data-focus-key]')?.getAttribute('data-focus-key') : null;
  render();
  if (!key) return;
  for (const el of container.querySelectorAll<HTMLElement>('[data-focus-key]')) {
    if (el.getAttribute('data-focus-key') === key) {
      el.focus();
      break;
    }
  }
}

/** A section that redraws only when what it shows changed. */
export class Memo {
  private last: string | undefined;
  changed(key: string): boolean {
    if (key === this.last) return false;
    this.last = key;
    return true;
  }
}
