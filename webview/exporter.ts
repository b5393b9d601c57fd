/**
 * Exports. In the panel the host writes files (it shows a save dialog and knows the workspace); in the standalone
 * report the page downloads them itself through a Blob.
 */
import { comparisonCsv, comparisonJson, historyCsv } from '../src/results/comparison-files.js';
import type { RunRecord } from '../src/protocol';
import type { ComparisonRow } from '../src/results/comparison-rows.js';
import type { Host } from './host.js';

export interface Exporter {
  comparison(format: 'csv' | 'json', rows: ComparisonRow[], baseName: string): void;
  png(chart: string, dataUrl: string, baseName: string): void;
  /** Every run's history in long format (run, epoch, metric, value + settings). */
  history(records: RunRecord[], baseName: string): void;
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
      history: () => host.post({ type: 'export', format: 'history-csv' }),
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
    history(records, baseName) {
      const url = URL.createObjectURL(new Blob([historyCsv(records)], { type: 'text/csv' }));
      download(url, `${baseName}-history.csv`);
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
  };
}
