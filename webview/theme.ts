/**
 * Colours for the charts, read from VS Code's theme variables at render time (canvas drawing cannot use CSS
 * variables). The body class (vscode-light / vscode-dark / vscode-high-contrast) changes with the theme; the
 * standalone report follows the system's colour scheme instead.
 */
export interface Palette {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  font: string;
  series: string[];
  highContrast: boolean;
}

/**
 * Run colours: twelve hues that stay apart from each other in light, dark and high-contrast themes (VS Code's
 * eight chart colours include near-twins such as orange and yellow). They are CSS custom properties set per theme
 * class in styles.ts (`--ml-series-N`), so the table's swatches and the canvas read the same colour.
 */
export const SERIES_COUNT = 12;

/** A marker per group on top of its colour (Chart.js point styles) and the same shape as text for the table's swatch. */
export const MARKERS: readonly {
  point: 'circle' | 'rect' | 'triangle' | 'rectRot' | 'star' | 'crossRot' | 'cross' | 'rectRounded';
  glyph: string;
}[] = [
  { point: 'circle', glyph: '●' },
  { point: 'rect', glyph: '■' },
  { point: 'triangle', glyph: '▲' },
  { point: 'rectRot', glyph: '◆' },
  { point: 'star', glyph: '✶' },
  { point: 'crossRot', glyph: '✕' },
  { point: 'cross', glyph: '+' },
];

export function markerOf(group: number): (typeof MARKERS)[number] {
  return MARKERS[group % MARKERS.length];
}

export function readPalette(): Palette {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    foreground: v('--vscode-foreground', style.color || '#616161'),
    muted: v('--vscode-descriptionForeground', '#9d9d9d'),
    grid: v('--vscode-charts-lines', 'rgba(128, 128, 128, 0.35)'),
    background: v('--vscode-editor-background', style.backgroundColor || 'transparent'),
    font: v('--vscode-font-family', style.fontFamily || 'system-ui, sans-serif'),
    series: Array.from({ length: SERIES_COUNT }, (_, i) => v(`--ml-series-${i}`, '#3794ff')),
    highContrast:
      document.body.classList.contains('vscode-high-contrast') ||
      document.body.classList.contains('vscode-high-contrast-light'),
  };
}

let scratch: CanvasRenderingContext2D | null | undefined;

/** Any CSS colour with a new alpha, for the ± std bands (the canvas normalises the colour for us). */
export function withAlpha(color: string, alpha: number): string {
  scratch ??= document.createElement('canvas').getContext('2d');
  if (!scratch) return color;
  scratch.fillStyle = '#000000';
  scratch.fillStyle = color;
  const normal = String(scratch.fillStyle);
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(normal);
  if (hex) return `rgba(${parseInt(hex[1], 16)}, ${parseInt(hex[2], 16)}, ${parseInt(hex[3], 16)}, ${alpha})`;
  const rgba = /^rgba?\(([^,]+),([^,]+),([^,)]+)/.exec(normal);
  return rgba ? `rgba(${rgba[1].trim()}, ${rgba[2].trim()}, ${rgba[3].trim()}, ${alpha})` : color;
}

/** Calls `onChange` whenever the theme may have changed. */
export function watchTheme(onChange: () => void): void {
  new MutationObserver(onChange).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', onChange);
}
