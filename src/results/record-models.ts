/**
 * The models a record's runs train: the record's own (`record.model`), then each other one a run carries (a
 * comparison of a file's models, a variant that sets layers), each with the labels of the variants that train it.
 */
import type { RunRecord } from '../protocol';

type ModelSummary = RunRecord['model'];

export interface RecordModel {
  model: ModelSummary;
  /** The variant labels (repeats once) of the runs that train it, in run order. */
  labels: string[];
}

export function recordModels(record: Pick<RunRecord, 'model' | 'runs'>): RecordModel[] {
  const models: RecordModel[] = [{ model: record.model, labels: [] }];
  const byJson = new Map<string, RecordModel>([[JSON.stringify(record.model), models[0]]]);
  for (const run of record.runs) {
    const own = run.model ?? record.model;
    const key = JSON.stringify(own);
    let entry = byJson.get(key);
    if (!entry) {
      entry = { model: own, labels: [] };
      byJson.set(key, entry);
      models.push(entry);
    }
    const label = run.variant?.label ?? run.label;
    if (!entry.labels.includes(label)) entry.labels.push(label);
  }
  // A record whose every run carries another model (none trains record.model) does not show record.model.
  return models.length > 1 && models[0].labels.length === 0 ? models.slice(1) : models;
}

/**
 * The names of the models a record trains, for its line in the run history: `net`, or `a, b, c` for a comparison
 * of a file's models (`a, b and 3 more` past three). The record's name shows a comparison's every model.
 */
export function recordModelNames(record: Pick<RunRecord, 'model' | 'runs'>): string {
  const names = [...new Set(recordModels(record).map((m) => m.model.name))];
  if (names.length <= 3) return names.join(', ');
  return `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
}
