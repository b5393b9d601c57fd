/** The definition's `dataset` field in one shape. */
import { DATASET_NAMES } from '../model/datasets';
import type { DatasetObject, DatasetSpec } from '../model/types';

const BUILTIN = new Set<string>(DATASET_NAMES);

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
  'cifar-10': 'cifar10',
  cifar_10: 'cifar10',
  'cifar-100': 'cifar100',
  cifar_100: 'cifar100',
};

/**
 * `"fashion-mnist"` → `{ name: "fashion-mnist" }`; objects are copied with a built-in name spelled canonically.
 * No dataset at all means Fashion-MNIST, the dataset of the Keras tutorial Model Lab follows.
 */
export function normalizeDatasetSpec(spec: DatasetSpec | undefined): DatasetObject {
  if (spec === undefined) return { name: FASHION_MNIST };
  const object: DatasetObject = typeof spec === 'string' ? { name: spec } : { ...spec };
  if (object.name !== undefined) object.name = ALIASES[object.name.toLowerCase()] ?? (BUILTIN.has(object.name.toLowerCase()) ? object.name.toLowerCase() : object.name);
  return object;
}
