/** What the panel's Export buttons write: the same comparison text the standalone report downloads. */
import type { RunRecord } from '../protocol';
import { comparisonCsv, comparisonJson, historyCsv } from '../results/comparison-files';
import { comparisonRows } from '../results/comparison-rows';

/** The comparison of a record (and the records pinned beside it) as CSV. */
export function recordToCsv([record, ...pinned]: RunRecord[]): string {
  return comparisonCsv(comparisonRows(record, pinned));
}

/** The same comparison as JSON: the text the standalone report's Export JSON downloads. */
export function recordToJson([record, ...pinned]: RunRecord[]): string {
  return comparisonJson(comparisonRows(record, pinned));
}

/** Every run's history (of the record and the pinned ones) in long format: run, epoch, metric, value + settings. */
export function recordToHistoryCsv(records: RunRecord[]): string {
  return historyCsv(records);
}
