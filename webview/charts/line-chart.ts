/**
 * A line chart over epochs (Chart.js, only the pieces used are registered so the rest is tree-shaken). The
 * container carries the test hook `data-points` = the longest series drawn.
 */
import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type Plugin,
} from 'chart.js';
import { button } from '../components/button.js';
import { h } from '../dom.js';
import { formatMetric } from '../logic/display-format.js';
import type { ChartData } from '../logic/curves.js';
import { withAlpha, type Palette } from '../theme.js';

let registered = false;
export function registerCharts(): void {
  if (registered) return;
  Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Filler);
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

type LineDataset = ChartDataset<'line', (number | null)[]> & { modelLabBand?: boolean };

export class LineChart {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly title: HTMLElement;
  private readonly empty: HTMLElement;
  private chart: Chart<'line', (number | null)[], number> | undefined;
  private data: ChartData | undefined;

  constructor(
    private readonly name: string,
    private readonly onPng: (name: string, dataUrl: string) => void,
  ) {
    this.canvas = h('canvas', { role: 'img' });
    this.title = h('h3', {}, '');
    this.empty = h('div', { class: 'ml-chart-empty' }, 'No epochs yet');
    const png = button({
      label: 'PNG',
      title: 'Save this chart as a PNG image',
      ariaLabel: `Save the ${name} chart as PNG`,
      onClick: () => {
        if (this.chart) this.onPng(this.name, this.chart.toBase64Image('image/png'));
      },
    });
    this.element = h(
      'figure',
      { class: 'ml-chart', 'data-testid': `chart-${name}`, 'data-points': 0 },
      h('div', { class: 'ml-chart-head' }, this.title, png),
      h('div', { class: 'ml-chart-canvas' }, this.canvas, this.empty),
    );
  }

  update(data: ChartData, palette: Palette): void {
    this.data = data;
    this.title.textContent = data.title;
    this.element.setAttribute('data-points', String(data.points));
    this.empty.hidden = data.points > 0;
    this.canvas.setAttribute('aria-label', describe(data));
    const labels = Array.from({ length: data.epochs }, (_, i) => i + 1);
    const datasets = this.datasets(data, palette);
    if (!this.chart) {
      this.chart = new Chart<'line', (number | null)[], number>(this.canvas, { type: 'line', data: { labels, datasets }, options: this.options(palette), plugins: [background] });
      return;
    }
    this.chart.data.labels = labels;
    const current = this.chart.data.datasets as LineDataset[];
    // Same series as before: update in place, so series the user hid in the legend stay hidden.
    if (current.length === datasets.length && current.every((d, i) => d.label === datasets[i].label)) {
      current.forEach((d, i) => Object.assign(d, datasets[i]));
    } else {
      this.chart.data.datasets = datasets;
    }
    this.chart.options = this.options(palette);
    this.chart.update('none');
  }

  /** The theme changed: recolour with the last data. */
  repaint(palette: Palette): void {
    if (this.data) this.update(this.data, palette);
  }

  private datasets(data: ChartData, palette: Palette): LineDataset[] {
    const out: LineDataset[] = [];
    const many = data.epochs > 40;
    for (const s of data.series) {
      const color = palette.series[s.group % palette.series.length];
      if (s.std && !s.dashed) {
        const lower = s.values.map((v, i) => (v === null || s.std?.[i] == null ? null : v - (s.std[i] as number)));
        const upper = s.values.map((v, i) => (v === null || s.std?.[i] == null ? null : v + (s.std[i] as number)));
        const band = { borderWidth: 0, pointRadius: 0, pointHitRadius: 0, modelLabBand: true, borderColor: 'transparent' };
        out.push({ ...band, label: `${s.label} − std`, data: lower, fill: false });
        out.push({ ...band, label: `${s.label} + std`, data: upper, fill: '-1', backgroundColor: withAlpha(color, 0.18) });
      }
      out.push({
        label: s.std ? `${s.label} (mean)` : s.label,
        data: s.values,
        borderColor: color,
        backgroundColor: color,
        borderWidth: palette.highContrast ? 3 : 2,
        borderDash: s.dashed ? [6, 4] : [],
        pointRadius: many ? 0 : 2.5,
        pointHoverRadius: 4,
        tension: 0,
        fill: false,
      });
    }
    return out;
  }

  private options(palette: Palette) {
    const font = { family: palette.font };
    // Band datasets (the ± std edges) are drawing aids: no legend entry, no tooltip line.
    const isBand = (d: unknown) => Boolean((d as LineDataset | undefined)?.modelLabBand);
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false as const,
      interaction: { mode: 'index' as const, intersect: false },
      color: palette.foreground,
      font,
      scales: {
        x: {
          title: { display: true, text: 'epoch', color: palette.muted, font },
          ticks: { color: palette.muted, font, autoSkip: true, maxRotation: 0 },
          grid: { color: palette.grid },
          border: { color: palette.grid },
        },
        y: {
          ticks: { color: palette.muted, font },
          grid: { color: palette.grid },
          border: { color: palette.grid },
        },
      },
      plugins: {
        modelLabBackground: { color: palette.background },
        legend: {
          position: 'bottom' as const,
          labels: {
            color: palette.foreground,
            font,
            boxHeight: 2,
            boxWidth: 18,
            filter: (item: { datasetIndex?: number }, data: { datasets: unknown[] }) =>
              item.datasetIndex === undefined || !isBand(data.datasets[item.datasetIndex]),
          },
        },
        tooltip: {
          filter: (item: { dataset: unknown }) => !isBand(item.dataset),
          callbacks: {
            title: (items: { label: string }[]) => (items[0] ? `Epoch ${items[0].label}` : ''),
            label: (item: { dataset: { label?: string }; parsed: { y: number | null } }) =>
              `${item.dataset.label ?? ''}: ${formatMetric(item.parsed.y)}`,
          },
        },
      },
    };
  }
}

/** A screen-reader description of the chart: its series and their latest values. */
function describe(data: ChartData): string {
  if (data.points === 0) return `${data.title}: no epochs yet.`;
  const latest = data.series.map((s) => {
    let i = s.values.length - 1;
    while (i >= 0 && s.values[i] === null) i--;
    return i >= 0 ? `${s.label} ${formatMetric(s.values[i])} at epoch ${i + 1}` : `${s.label} no data`;
  });
  return `${data.title} per epoch. Latest: ${latest.join('; ')}.`;
}
