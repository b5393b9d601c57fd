/** The definition's `dataset` field in one shape. */
import type { DatasetObject, DatasetSpec } from '../model/types';

export const FASHION_MNIST = 'fashion-mnist';
export const FASHION_MNIST_SAMPLE = 'fashion-mnist-sample';
export const DEFAULT_VALIDATION_SPLIT = 0.2;

/** Spellings of the built-in names people bring from Keras (`fashion_mnist`) mapped to Model Lab's. */
const ALIASES: Record<string, string> = {
  'fashion-mnist': FASHION_MNIST,
  fashion_mnist: FASHION_MNIST,
  fashionmnist: FASHION_MNIST,
  'fashion-mnist-sample': FASHION_MNIST_SAMPLE,
  fashion_mnist_sample: FASHION_MNIST_SAMPLE,
};

/**
 * `"fashion-mnist"` → `{ name: "fashion-mnist" }`; objects are copied with a built-in name spelled canonically.
 * No dataset at all means Fashion-MNIST, the dataset of the Keras tutorial Model Lab follows.
 */
export function normalizeDatasetSpec(spec: DatasetSpec | undefined): DatasetObject {
  if (spec === undefined) return { name: FASHION_MNIST };
  const object: DatasetObject = typeof spec === 'string' ? { name: spec } : { ...spec };
  if (object.name !== undefined) object.name = ALIASES[object.name.toLowerCase()] ?? object.name;
  return object;
}
