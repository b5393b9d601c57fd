/**
 * Finds Fashion-MNIST on this machine, or downloads it into the cache, and reads it.
 * Search order: the spec's `path` (relative to the model file), the user's data folder (and its `fashion-mnist`
 * subfolder), the download cache, then system folders (Debian's dataset-fashion-mnist).
 */
import { join, resolve } from 'node:path';
import { DataError, throwIfAborted } from './errors';
import { downloadFiles, DownloadError } from './download';
import {
  APPROX_GZ_BYTES,
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_CHECKSUMS,
  FASHION_MNIST_CLASSES,
  IDX_FILES,
  IDX_ROLES,
  KERAS_MIRROR,
  type IdxRole,
} from './fashion-mnist-files';
import { findIdxFiles, readIdxDataset, requireFolder } from './idx-folder';
import type { DataRequest, LoadedDataset } from './types';

const OTHER_WAYS =
  'install it with "sudo apt-get install dataset-fashion-mnist", put the four files in a folder and set modelLab.dataFolder or MODEL_LAB_DATA to it';
const HOW_TO_GET = `${OTHER_WAYS}, or connect to the internet so Model Lab can download it`;

/** Where downloads go and are looked for. */
export function fashionMnistCacheDir(cacheDir: string): string {
  return join(cacheDir, 'fashion-mnist');
}

/** The folders searched, in order (duplicates removed). */
export function fashionMnistFolders(req: DataRequest): string[] {
  const dirs: string[] = [];
  if (req.spec.path) dirs.push(resolve(req.baseDir, req.spec.path));
  if (req.dataDir) dirs.push(resolve(req.dataDir), resolve(req.dataDir, 'fashion-mnist'));
  dirs.push(fashionMnistCacheDir(resolve(req.cacheDir)));
  dirs.push(...(req.systemDirs ?? [DEBIAN_FASHION_MNIST_DIR]));
  return [...new Set(dirs)];
}

export interface Located {
  dir: string;
  files: Record<IdxRole, string>;
}

export interface LocateResult {
  found?: Located;
  /** Every folder searched, with how many of the four files it had (for the not-found message). */
  searched: { dir: string; present: number }[];
}

/**
 * The first folder holding all four files. A location the user named is used or refused, never replaced by a copy
 * found elsewhere: the spec's `path` is the only folder searched, and a data folder (--data, MODEL_LAB_DATA,
 * modelLab.dataFolder) is the only one searched after it (itself and its `fashion-mnist` subfolder): missing, a file,
 * or holding only some or none of the files, it is an error.
 */
export async function locateFashionMnist(req: DataRequest): Promise<LocateResult> {
  const searched: LocateResult['searched'] = [];
  if (req.spec.path) {
    const dir = resolve(req.baseDir, req.spec.path);
    await requireFolder(dir, 'dataset.path', "it is relative to the model file's folder");
    const files = await findIdxFiles(dir);
    const present = IDX_ROLES.filter((r) => files[r]).length;
    if (present === IDX_ROLES.length) return { found: { dir, files: files as Record<IdxRole, string> }, searched: [{ dir, present }] };
    throw new DataError(`dataset.path ${dir} holds ${present} of the 4 Fashion-MNIST files (${missingNames(files)} missing); add them, or remove "path" to let Model Lab find or download the data.`, 'not-found');
  }
  if (req.dataDir) {
    // The data folder (--data, MODEL_LAB_DATA, modelLab.dataFolder) is named by the user: the data is there or the
    // run is refused, never trained on a copy from the cache or the system folder instead.
    const root = resolve(req.dataDir);
    await requireFolder(root, 'The data folder', 'set --data, MODEL_LAB_DATA or modelLab.dataFolder to a folder');
    for (const dir of [root, join(root, 'fashion-mnist')]) {
      const files = await findIdxFiles(dir);
      const present = IDX_ROLES.filter((r) => files[r]).length;
      if (present === IDX_ROLES.length) return { found: { dir, files: files as Record<IdxRole, string> }, searched: [{ dir, present }] };
      if (present > 0) {
        throw new DataError(`The data folder ${dir} holds ${present} of the 4 Fashion-MNIST files (${missingNames(files)} missing); add them, or point the data folder elsewhere.`, 'not-found');
      }
    }
    throw new DataError(
      `The data folder ${root} holds none of the 4 Fashion-MNIST files (${missingNames({})}), nor does its fashion-mnist subfolder; add them, point the data folder elsewhere, or unset it to let Model Lab find or download the data.`,
      'not-found',
    );
  }
  for (const dir of fashionMnistFolders(req)) {
    const files = await findIdxFiles(dir);
    const present = IDX_ROLES.filter((r) => files[r]).length;
    searched.push({ dir, present });
    if (present === IDX_ROLES.length) return { found: { dir, files: files as Record<IdxRole, string> }, searched };
  }
  return { searched };
}

export async function loadFashionMnist(req: DataRequest): Promise<LoadedDataset> {
  throwIfAborted(req.signal, 'Loading Fashion-MNIST');
  const { found, searched } = await locateFashionMnist(req);
  if (found) {
    req.onProgress?.(`Reading Fashion-MNIST from ${found.dir}`);
    return read(req, found.files, found.dir);
  }
  if (req.offline) throw new DataError(`Fashion-MNIST is no longer in ${describeSearched(searched)}.`, 'not-found');
  const mirror = req.mirror ?? process.env.MODEL_LAB_MIRROR ?? KERAS_MIRROR;
  const cache = fashionMnistCacheDir(resolve(req.cacheDir));
  // Files a previous, interrupted download already verified stay; fetch only the rest.
  const cached = await findIdxFiles(cache);
  const missing = IDX_ROLES.filter((r) => !cached[r]).map((r) => `${IDX_FILES[r]}.gz`);
  try {
    await downloadFiles({
      baseUrl: mirror,
      files: missing,
      destDir: cache,
      checksums: req.checksums ?? FASHION_MNIST_CHECKSUMS,
      weights: APPROX_GZ_BYTES,
      label: 'Fashion-MNIST',
      otherWay: OTHER_WAYS,
      onProgress: req.onProgress,
      signal: req.signal,
      stallTimeoutMs: req.stallTimeoutMs,
    });
  } catch (e) {
    if (!(e instanceof DownloadError)) throw e;
    throw new DataError(
      `Fashion-MNIST is not in ${describeSearched(searched)}, and downloading it failed (${e.reason} for ${e.url}); ${HOW_TO_GET}.`,
      'not-found',
    );
  }
  const files = await findIdxFiles(cache);
  return read(req, files as Record<IdxRole, string>, mirror);
}

function read(req: DataRequest, files: Record<IdxRole, string>, source: string): Promise<LoadedDataset> {
  const checks = req.checksums ?? FASHION_MNIST_CHECKSUMS;
  return readIdxDataset(files, {
    name: 'fashion-mnist',
    source,
    classNames: FASHION_MNIST_CLASSES,
    trainCount: checks[IDX_FILES.trainImages]?.count,
    testCount: checks[IDX_FILES.testImages]?.count,
    rows: 28,
    cols: 28,
  });
}

function missingNames(files: Partial<Record<IdxRole, string>>): string {
  return IDX_ROLES.filter((r) => !files[r]).map((r) => IDX_FILES[r]).join(', ');
}

function describeSearched(searched: LocateResult['searched']): string {
  const parts = searched.map((s) => (s.present > 0 ? `${s.dir} (only ${s.present} of the 4 files)` : s.dir));
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}
