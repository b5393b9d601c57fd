/**
 * Exports. In the panel the host writes files (it shows a save dialog and knows the workspace); in the standalone
 * report the page downloads them itself through a Blob.
 */
import { comparisonCsv, comparisonJson } from '../src/results/comparison-files.js';
import type { ComparisonRow } from '../src/results/comparison-rows.js';
import type { Host } from './host.js';

export interface Exporter {
  comparison(format: 'csv' | 'json', rows: ComparisonRow[], baseName: string): void;
  png(chart: string, dataUrl: string, baseName: string): void;
}

function download(href: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function createExporter(host: Host): Exporter {
  if (!host.standalone) {
    return {
      comparison: (format) => host.post({ type: 'export', format }),
      png: (chart, dataUrl) => host.post({ type: 'savePng', chart, dataUrl }),
    };
  }
  return {
    comparison(format, rows, baseName) {
      const text = format === 'csv' ? comparisonCsv(rows) : comparisonJson(rows);
      const type = format === 'csv' ? 'text/csv' : 'application/json';
      const url = URL.createObjectURL(new Blob([text], { type }));
      download(url, `${baseName}-comparison.${format}`);
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
    png(chart, dataUrl, baseName) {
      download(dataUrl, `${baseName}-${chart}.png`);
    },
  };
}
