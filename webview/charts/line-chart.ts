/**
 * A line chart over epochs (Chart.js, only the pieces used are registered so the rest is tree-shaken), with its own
 * HTML legend: one entry per run group (its colour, marker and name), which hides or shows that group's curves. The
 * legend sits beside the plot when the chart is wide and under it when narrow (a container query in styles.ts).
 * The container carries the test hook `data-points` = the longest series drawn.
 */
import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Title,
  Tooltip,
  type ChartDataset,
  type Plugin,
} from 'chart.js';
import { button } from '../components/button.js';
import { clear, h } from '../dom.js';
import { formatMetric } from '../logic/display-format.js';
import type { ChartData } from '../logic/curves.js';
import { markerOf, withAlpha, type Palette } from '../theme.js';

let registered = false;
export function registerCharts(): void {
  if (registered) return;
  Chart.register(
    LineController,
    LineElement,
    PointElement,
    LinearScale,
    LogarithmicScale,
    CategoryScale,
    Legend,
    Title,
    Tooltip,
    Filler,
  );
  registered = true;
}

/** Paints the theme background under the chart so exported PNGs are not transparent. */
const background: Plugin<'line'> = {
  id: 'modelLabBackground',
  beforeDraw(chart, _args, options: { color?: string }) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = options.color ?? 'transparent';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** A dotted vertical line at the best epoch (`options.epoch`, 1-based), labelled "best". */
const bestEpoch: Plugin<'line'> = {
  id: 'modelLabBestEpoch',
  afterDatasetsDraw(chart, _args, options: { epoch?: number; color?: string }) {
    if (!options.epoch) return;
    const x = chart.scales.x?.getPixelForValue(options.epoch);
    const { top, bottom } = chart.chartArea;
    if (x === undefined || !Number.isFinite(x)) return;
    const { ctx } = chart;
    ctx.save();
    ctx.strokeStyle = options.color ?? '#888';
    ctx.fillStyle = options.color ?? '#888';
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    ctx.font = '11px sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText('best', x, top + 10);
    ctx.restore();
  },
};

type Point = { x: number; y: number | null };
type LineDataset = ChartDataset<'line', Point[]> & {
  modelLabBand?: boolean;
  modelLabGroup?: number;
  modelLabStep?: boolean;
};

export interface ChartView {
  /** Draw the y axis on a log scale (loss spanning orders of magnitude). */
  logY?: boolean;
  /** The epoch (1-based) of the best result, marked with a vertical line. */
  bestEpoch?: number;
}

export class LineChart {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly title: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly legend: HTMLUListElement;
  private chart: Chart<'line', Point[]> | undefined;
  private data: ChartData | undefined;
  private palette: Palette | undefined;
  private view: ChartView = {};
  /** Groups the user hid from the legend; kept across updates. */
  private readonly hidden = new Set<number>();
  /** The x range the user zoomed to (drag across the plot; shift-drag pans), until Reset. */
  private zoom: { min: number; max: number } | undefined;
  private readonly reset: HTMLElement;
  private readonly zoomBox = h('div', { class: 'ml-zoom-box', hidden: true });

  constructor(
    private readonly name: string,
    private readonly onPng: (name: string, dataUrl: string) => void,
  ) {
    this.canvas = h('canvas', { role: 'img' });
    this.title = h('h3', {}, '');
    this.empty = h('div', { class: 'ml-chart-empty' }, 'No epochs yet');
    this.legend = h('ul', {
      class: 'ml-legend',
      'data-testid': `legend-${name}`,
      'aria-label': `Runs in the ${name} chart`,
    });
    const png = button({
      label: 'PNG',
      title: 'Save this chart as a PNG image (2×, with its title, axes and legend)',
      ariaLabel: `Save the ${name} chart as PNG`,
      testId: `png-${name}`,
      onClick: () => {
        const url = this.exportPng();
        if (url) this.onPng(this.name, url);
      },
    });
    this.reset = button({
      label: 'Reset zoom',
      title: 'Show every epoch again',
      testId: `reset-zoom-${name}`,
      onClick: () => this.setZoom(undefined),
    });
    this.reset.hidden = true;
    this.element = h(
      'figure',
      { class: 'ml-chart', 'data-testid': `chart-${name}`, 'data-points': 0 },
      h('div', { class: 'ml-chart-head' }, this.title, h('div', { class: 'ml-actions' }, this.reset, png)),
      h(
        'div',
        { class: 'ml-chart-body' },
        h(
          'div',
          { class: 'ml-chart-canvas', title: 'Drag to zoom into epochs; shift-drag to pan' },
          this.canvas,
          this.zoomBox,
          this.empty,
        ),
        this.legend,
      ),
    );
    this.listenForZoom();
  }

  private setZoom(zoom: { min: number; max: number } | undefined): void {
    this.zoom = zoom;
    this.reset.hidden = !zoom;
    this.element.toggleAttribute('data-zoomed', !!zoom);
    if (this.data && this.palette) this.update(this.data, this.palette);
  }

  /** Drag across the plot to zoom into those epochs; shift-drag moves a zoomed view sideways. */
  private listenForZoom(): void {
    let start: { px: number; value: number; min: number; max: number; pan: boolean } | undefined;
    const valueAt = (clientX: number) => {
      const scale = this.chart?.scales.x;
      if (!scale) return undefined;
      const px = clientX - this.canvas.getBoundingClientRect().left;
      return { px, value: scale.getValueForPixel(px) as number, min: scale.min, max: scale.max };
    };
    this.canvas.addEventListener('mousedown', (e) => {
      const at = valueAt(e.clientX);
      if (!at || e.button !== 0) return;
      start = { ...at, pan: e.shiftKey && !!this.zoom };
    });
    window.addEventListener('mousemove', (e) => {
      if (!start) return;
      const at = valueAt(e.clientX);
      if (!at) return;
      if (start.pan) {
        const shift = start.value - at.value;
        this.zoom = { min: start.min + shift, max: start.max + shift };
        if (this.data && this.palette) this.update(this.data, this.palette);
        return;
      }
      this.zoomBox.hidden = false;
      this.zoomBox.style.left = `${Math.min(start.px, at.px)}px`;
      this.zoomBox.style.width = `${Math.abs(at.px - start.px)}px`;
    });
    window.addEventListener('mouseup', (e) => {
      if (!start) return;
      const from = start;
      start = undefined;
      this.zoomBox.hidden = true;
      const at = valueAt(e.clientX);
      if (from.pan || !at || Math.abs(at.px - from.px) < 6) return;
      this.setZoom({ min: Math.min(from.value, at.value), max: Math.max(from.value, at.value) });
    });
  }

  update(data: ChartData, palette: Palette, view: ChartView = this.view): void {
    this.data = data;
    this.palette = palette;
    this.view = view;
    this.title.textContent = data.title;
    this.element.setAttribute('data-points', String(data.points));
    this.element.setAttribute('data-step-points', String(data.steps.reduce((n, st) => n + st.points.length, 0)));
    this.empty.hidden = data.points > 0 || data.steps.length > 0;
    this.canvas.setAttribute('aria-label', describe(data));
    this.renderLegend(data, palette);
    const datasets = this.datasets(data, palette);
    if (!this.chart) {
      this.chart = new Chart<'line', Point[]>(this.canvas, {
        type: 'line',
        data: { datasets },
        options: this.options(data, palette, false),
        plugins: [background, bestEpoch],
      });
      return;
    }
    this.chart.data.datasets = datasets;
    this.chart.options = this.options(data, palette, false);
    this.chart.update('none');
  }

  /** The theme changed: recolour with the last data. */
  repaint(palette: Palette): void {
    if (this.data) this.update(this.data, palette);
  }

  private renderLegend(data: ChartData, palette: Palette): void {
    clear(this.legend);
    this.legend.hidden = data.legend.length === 0;
    for (const entry of data.legend) {
      const color = palette.series[entry.group % palette.series.length];
      const shown = !this.hidden.has(entry.group);
      const swatch = h('span', { class: 'ml-swatch', 'aria-hidden': 'true' }, markerOf(entry.group).glyph);
      swatch.style.setProperty('--swatch', color);
      const toggle = h(
        'button',
        {
          type: 'button',
          class: 'ml-legend-item',
          'aria-pressed': String(shown),
          title: shown ? `Hide ${entry.label}` : `Show ${entry.label}`,
          'data-focus-key': `legend-${this.name}-${entry.group}`,
        },
        swatch,
        h('span', { class: 'ml-legend-label' }, entry.label),
      );
      toggle.addEventListener('click', () => {
        if (this.hidden.has(entry.group)) this.hidden.delete(entry.group);
        else this.hidden.add(entry.group);
        if (this.data && this.palette) this.update(this.data, this.palette);
      });
      this.legend.append(h('li', { 'data-group': entry.group }, toggle));
    }
  }

  private datasets(data: ChartData, palette: Palette): LineDataset[] {
    const out: LineDataset[] = [];
    const many = data.epochs > 40;
    for (const s of data.series) {
      const color = palette.series[s.group % palette.series.length];
      const hidden = this.hidden.has(s.group);
      if (s.std && !s.dashed) {
        const lower = s.values.map((v, i) => ({
          x: i + 1,
          y: v === null || s.std?.[i] == null ? null : v - (s.std[i] as number),
        }));
        const upper = s.values.map((v, i) => ({
          x: i + 1,
          y: v === null || s.std?.[i] == null ? null : v + (s.std[i] as number),
        }));
        const band = {
          borderWidth: 0,
          pointRadius: 0,
          pointHitRadius: 0,
          modelLabBand: true,
          borderColor: 'transparent',
          hidden,
        };
        out.push({ ...band, label: `${s.label} − std`, data: lower, fill: false });
        out.push({
          ...band,
          label: `${s.label} + std`,
          data: upper,
          fill: '-1',
          backgroundColor: withAlpha(color, 0.18),
        });
      }
      const kind = s.kind === 'train' ? 'training' : 'validation';
      // Markers on every point of a short curve; on a long one every few points so they stay shapes, not a blur.
      const every = many ? Math.ceil(data.epochs / 12) : 1;
      out.push({
        label: `${s.label} — ${kind}${s.std ? ' (mean)' : ''}`,
        data: s.values.map((y, i) => ({ x: i + 1, y })),
        modelLabGroup: s.group,
        hidden,
        borderColor: color,
        backgroundColor: s.dashed ? 'transparent' : color,
        borderWidth: palette.highContrast ? 3 : 2,
        borderDash: s.dashed ? [6, 4] : [],
        pointStyle: markerOf(s.group).point,
        pointBorderColor: color,
        pointRadius: s.values.map((_, i) => (i % every === every - 1 || i === 0 ? 3.5 : 0)),
        pointHoverRadius: 5,
        tension: 0,
        fill: false,
      });
    }
    for (const s of data.steps) {
      const color = palette.series[s.group % palette.series.length];
      out.push({
        label: `${s.label} — per step`,
        data: s.points,
        modelLabGroup: s.group,
        modelLabStep: true,
        hidden: this.hidden.has(s.group),
        borderColor: withAlpha(color, 0.6),
        backgroundColor: 'transparent',
        borderWidth: 1,
        pointRadius: 0,
        pointHitRadius: 0,
        tension: 0,
        fill: false,
      });
    }
    return out;
  }

  private options(data: ChartData, palette: Palette, forExport: boolean) {
    const font = { family: palette.font };
    // Band datasets (the ± std edges) are drawing aids: no tooltip line, no legend entry.
    const isBand = (d: unknown) => Boolean((d as LineDataset | undefined)?.modelLabBand);
    const log = Boolean(this.view.logY);
    return {
      responsive: !forExport,
      maintainAspectRatio: false,
      animation: false as const,
      devicePixelRatio: forExport ? 2 : undefined,
      interaction: { mode: 'index' as const, intersect: false },
      color: palette.foreground,
      font,
      scales: {
        x: {
          type: 'linear' as const,
          min: this.zoom?.min ?? (data.steps.length ? 0 : 1),
          max: this.zoom?.max ?? data.epochs,
          title: {
            display: true,
            text: data.steps.length ? 'epoch (steps in between)' : 'epoch',
            color: palette.muted,
            font,
          },
          ticks: { color: palette.muted, font, autoSkip: true, maxRotation: 0, precision: 0 },
          grid: { color: palette.grid },
          border: { color: palette.grid },
        },
        y: {
          type: log ? ('logarithmic' as const) : ('linear' as const),
          title: { display: true, text: log ? `${data.yTitle} (log scale)` : data.yTitle, color: palette.muted, font },
          ticks: { color: palette.muted, font },
          grid: { color: palette.grid },
          border: { color: palette.grid },
        },
      },
      plugins: {
        modelLabBackground: { color: palette.background },
        modelLabBestEpoch: { epoch: this.view.bestEpoch, color: palette.muted },
        title: {
          display: forExport,
          text: data.title,
          color: palette.foreground,
          font: { ...font, size: 15, weight: 'bold' as const },
        },
        legend: {
          // The page has its own legend (one entry per run); an exported image carries one drawn by Chart.js.
          display: forExport,
          position: 'right' as const,
          labels: {
            color: palette.foreground,
            font,
            usePointStyle: true,
            filter: (item: { datasetIndex?: number }, chartData: { datasets: unknown[] }) => {
              if (item.datasetIndex === undefined) return true;
              const d = chartData.datasets[item.datasetIndex] as LineDataset;
              if (isBand(d) || d.hidden) return false;
              // One entry per group: its first drawn curve.
              const first = chartData.datasets.findIndex(
                (x) => (x as LineDataset).modelLabGroup === d.modelLabGroup && !(x as LineDataset).hidden,
              );
              return first === item.datasetIndex;
            },
          },
        },
        tooltip: {
          filter: (item: { dataset: unknown }) => !isBand(item.dataset) && !(item.dataset as LineDataset).modelLabStep,
          callbacks: {
            title: (items: { parsed: { x: number | null } }[]) => {
              const x = items[0]?.parsed.x;
              return x == null ? '' : Number.isInteger(x) ? `Epoch ${x}` : `Epoch ${x.toFixed(2)}`;
            },
            label: (item: { dataset: { label?: string }; parsed: { y: number | null } }) =>
              `${item.dataset.label ?? ''}: ${formatMetric(item.parsed.y)}`,
          },
        },
      },
    };
  }

  /** The chart drawn again off screen at 2× with its title, axis titles and a legend, as a PNG data URL. */
  private exportPng(): string | undefined {
    if (!this.data || !this.palette) return undefined;
    const canvas = document.createElement('canvas');
    canvas.width = 1000;
    canvas.height = 560;
    const holder = h('div', { class: 'ml-export-canvas' }, canvas);
    document.body.append(holder);
    const datasets = this.datasets(this.data, this.palette).map((d) => ({
      ...d,
      label: d.modelLabBand ? d.label : String(d.label).replace(/ — (training|validation|per step)( \(mean\))?$/, ''),
    }));
    const chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets },
      options: this.options(this.data, this.palette, true),
      plugins: [background, bestEpoch],
    });
    try {
      return chart.toBase64Image('image/png');
    } finally {
      chart.destroy();
      holder.remove();
    }
  }
}

/** A screen-reader description of the chart: its series and their latest values. */
function describe(data: ChartData): string {
  if (data.points === 0) return `${data.title}: no epochs yet.`;
  const latest = data.series.map((s) => {
    let i = s.values.length - 1;
    while (i >= 0 && s.values[i] === null) i--;
    const name = `${s.label} ${s.kind === 'train' ? 'training' : 'validation'}`;
    return i >= 0 ? `${name} ${formatMetric(s.values[i])} at epoch ${i + 1}` : `${name} no data`;
  });
  return `${data.title} per epoch (solid: validation, dashed: training). Latest: ${latest.join('; ')}.`;
}
