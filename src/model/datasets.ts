/** What the core knows about datasets statically: names, defaults, and the example shape when it is fixed. */
import type { DatasetObject, DatasetSpec } from './types';

export const DATASET_NAMES = ['fashion-mnist', 'fashion-mnist-sample'] as const;

export const DEFAULT_VALIDATION_SPLIT = 0.2;

/** Example shape of the named datasets; CSV shapes depend on the file, so they are unknown here. */
const EXAMPLE_SHAPES: Readonly<Record<string, number[]>> = {
  'fashion-mnist': [28, 28],
  'fashion-mnist-sample': [28, 28],
};

/** A name becomes `{ name }`; `validation_split` gets its default. */
export function normalizeDataset(spec: DatasetSpec): DatasetObject {
  const obj: DatasetObject = typeof spec === 'string' ? { name: spec } : { ...spec };
  if (obj.validation_split === undefined) obj.validation_split = DEFAULT_VALIDATION_SPLIT;
  return obj;
}

/** The example shape of a dataset when it is known without reading files. */
export function datasetExampleShape(spec: DatasetSpec | undefined): number[] | undefined {
  if (spec === undefined) return undefined;
  const obj = typeof spec === 'string' ? { name: spec } : spec;
  if (obj.csv !== undefined) return undefined;
  // A folder of IDX files is read as Fashion-MNIST-shaped images.
  if (obj.path !== undefined && obj.name === undefined) return [28, 28];
  return obj.name !== undefined ? EXAMPLE_SHAPES[obj.name] : undefined;
}
