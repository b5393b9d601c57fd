/** What a genuine Fashion-MNIST looks like: file names, class names, sizes and published checksums. */
import type { FileChecksum } from './types';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export const KERAS_MIRROR = 'https://storage.googleapis.com/tensorflow/tf-keras-datasets/';

/** Debian's dataset-fashion-mnist package installs the four .gz files here. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The four files by role; base names without .gz, as upstream and the Keras mirror name them. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
export type IdxRole = keyof typeof IDX_FILES;
export const IDX_ROLES = Object.keys(IDX_FILES) as IdxRole[];

/**
 * Upstream's MD5 of each .gz, and SHA-256 of the uncompressed bytes (what Debian's recompressed copy must match).
 * Sources: zalandoresearch/fashion-mnist README and /work/shared/notes/datasets.md.
 */
export const FASHION_MNIST_CHECKSUMS: Record<string, FileChecksum> = {
  [IDX_FILES.trainImages]: {
    md5Gz: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    count: 60000,
  },
  [IDX_FILES.trainLabels]: {
    md5Gz: '25c81989df183df01b3e8a0aad5dffbe',
    sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    count: 60000,
  },
  [IDX_FILES.testImages]: {
    md5Gz: 'bef4ecab320f06d8554ea6380940ec79',
    sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    count: 10000,
  },
  [IDX_FILES.testLabels]: {
    md5Gz: 'bb300cfdad3c16e7a12a480ee83cd310',
    sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    count: 10000,
  },
};

/** Approximate .gz sizes, only to weight download progress across the four files. */
export const APPROX_GZ_BYTES: Record<string, number> = {
  [IDX_FILES.trainImages]: 26_421_880,
  [IDX_FILES.trainLabels]: 29_515,
  [IDX_FILES.testImages]: 4_422_102,
  [IDX_FILES.testLabels]: 5_148,
};
