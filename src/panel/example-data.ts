/**
 * The examples gallery's data: the pixels (or CSV values) of the examples a run's evaluation kept, read from the
 * dataset on this machine when the panel asks. Pure Node (no vscode): the extension calls it for a checked
 * `examples` request; the reply goes to the webview only, nothing is sent anywhere else, and nothing is downloaded
 * (a dataset no longer on disk is a reason, not a download).
 *
 * Bounded: at most EXAMPLES_PER_REQUEST examples per request, images up to MAX_IMAGE_BYTES each, rows cut to
 * MAX_ROW_VALUES values; the last dataset read is kept for DATASET_KEEP_MS so paging through a cell does not read it
 * again, then released.
 */
import { loadDataset, normalizeDatasetSpec, DataError } from '../data/index';
import type { LoadedDataset } from '../data/types';
import { setPath } from '../model/paths';
import type { ModelDefinition } from '../model/types';
import type { ExamplesReply, ExamplesRequest, RunRecord } from '../protocol';
import { checkPositions, galleryExamples } from '../results/gallery';

/** 256 × 256 RGB: larger images are not what a gallery thumbnail is for. */
export const MAX_IMAGE_BYTES = 256 * 256 * 3;
export const MAX_ROW_VALUES = 64;
const DATASET_KEEP_MS = 3 * 60_000;

export interface ExamplePlace {
  /** The model file's folder: relative dataset paths resolve against it, as when the run trained. */
  baseDir: string;
  dataDir?: string;
  cacheDir: string;
}

let kept: { key: string; data: Promise<LoadedDataset>; timer: NodeJS.Timeout } | undefined;

/** Reads a dataset once for a while (one at a time): the gallery's pages and cells come from the same one. */
function readDataset(definition: ModelDefinition, place: ExamplePlace): Promise<LoadedDataset> {
  const spec = normalizeDatasetSpec(definition.dataset);
  const key = JSON.stringify([spec, place.baseDir, place.dataDir, place.cacheDir, definition.compile?.loss]);
  if (kept?.key !== key) {
    if (kept) clearTimeout(kept.timer);
    const data = loadDataset({
      spec,
      baseDir: place.baseDir,
      dataDir: place.dataDir,
      cacheDir: place.cacheDir,
      loss: typeof definition.compile?.loss === 'string' ? definition.compile.loss : undefined,
      offline: true,
    });
    kept = { key, data, timer: setTimeout(releaseExampleData, DATASET_KEEP_MS) };
    kept.timer.unref();
    // A failed read is not kept: the user may put the data back and click again.
    data.catch(() => {
      if (kept?.data === data) releaseExampleData();
    });
  } else {
    kept.timer.refresh();
  }
  return kept.data;
}

/** Drops the dataset kept for the gallery (the panel closed, or tests). */
export function releaseExampleData(): void {
  if (kept) clearTimeout(kept.timer);
  kept = undefined;
}

/** The definition a run trained: the record's, with the run's comparison overrides applied. */
export function runDefinition(record: RunRecord, runId: string): ModelDefinition | undefined {
  const run = record.runs.find((r) => r.runId === runId);
  if (!run) return undefined;
  const { compare: _compare, ...base } = record.definition;
  let definition = base as ModelDefinition;
  for (const [path, value] of Object.entries(run.variant?.set ?? {})) definition = setPath(definition, path, value);
  return definition;
}

/**
 * Answers a gallery request for a record the panel shows. Every failure is a reply of kind `unavailable` with one
 * sentence; `log` gets what the user should not see (an unexpected error's stack).
 */
export async function loadExampleData(
  request: ExamplesRequest,
  record: RunRecord,
  place: ExamplePlace,
  log: (line: string) => void = () => undefined,
): Promise<ExamplesReply> {
  const head = {
    type: 'examples' as const,
    requestId: request.requestId,
    recordId: request.recordId,
    runId: request.runId,
    split: request.split,
  };
  const unavailable = (reason: string): ExamplesReply => ({ ...head, kind: 'unavailable', reason });
  const run = record.runs.find((r) => r.runId === request.runId);
  const definition = runDefinition(record, request.runId);
  if (!run || !definition) return unavailable('This run is not in the record shown.');
  const found = galleryExamples(run, request.split);
  if ('reason' in found) return unavailable(found.reason);
  const ex = found.examples;
  const indices = checkPositions(ex, request.positions);
  if (typeof indices === 'string') return unavailable(indices);

  let data: LoadedDataset;
  try {
    data = await readDataset(definition, place);
  } catch (e) {
    if (e instanceof DataError) return unavailable(`The dataset cannot be read on this machine: ${e.message}`);
    log(`Reading the dataset for the examples gallery failed: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
    return unavailable(`The dataset could not be read (${e instanceof Error ? e.message : String(e)}).`);
  }
  const set = ex.source === 'train' ? data.train : data.test;
  const setName = ex.source === 'train' ? 'training' : 'test';
  if (!set || set.count !== ex.sourceCount) {
    return unavailable(
      `The dataset changed since this run: its ${setName} set had ${ex.sourceCount} examples and now has ${set?.count ?? 0}.`,
    );
  }
  // The labels recorded with each example must still be the dataset's: otherwise the rows moved.
  for (let k = 0; k < indices.length; k++) {
    const p = request.positions[k];
    if (set.y[indices[k]] !== ex.actual[p]) {
      return unavailable(
        `The dataset changed since this run: example ${indices[k]} of the ${setName} set no longer has the class it had.`,
      );
    }
  }
  const size = data.exampleShape.reduce((a, b) => a * b, 1);
  const slice = (index: number) => set.x.subarray(index * size, (index + 1) * size);
  const image = imageShape(data);
  if (image) {
    if (size > MAX_IMAGE_BYTES) return unavailable(`Images of ${image.join(' × ')} are too large for the gallery.`);
    return {
      ...head,
      kind: 'image',
      shape: image,
      items: indices.map((index, k) => ({
        position: request.positions[k],
        pixels: Buffer.from((slice(index) as Uint8Array).slice()).toString('base64'),
      })),
    };
  }
  const columns = (data.featureNames ?? Array.from({ length: size }, (_, i) => `x${i}`)).slice(0, MAX_ROW_VALUES);
  return {
    ...head,
    kind: 'row',
    columns,
    items: indices.map((index, k) => ({
      position: request.positions[k],
      values: Array.from(slice(index).subarray(0, MAX_ROW_VALUES), (v) => Math.round(v * 1e6) / 1e6),
    })),
  };
}

/** [height, width, channels] when the examples are 8-bit images (grey or RGB); undefined for rows and sequences. */
function imageShape(data: LoadedDataset): [number, number, number] | undefined {
  if (!(data.train.x instanceof Uint8Array) || data.scale === 1) return undefined;
  const [h, w, c = 1] = data.exampleShape;
  if (data.exampleShape.length < 2 || data.exampleShape.length > 3 || !(c === 1 || c === 3)) return undefined;
  return [h, w, c];
}
