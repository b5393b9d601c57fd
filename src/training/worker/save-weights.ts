/**
 * Saves a trained model in the tfjs layers format (model.json + weights.bin). `model.save('file://…')` exists only
 * with tfjs-node, so with the bundled tfjs the artifacts are written through a custom save handler. Beside them,
 * `weights.npz`: every weight in Keras's `get_weights()` order, for `model.set_weights` in Python.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { join } from 'node:path';
import type { TF } from './engine';
import { npzBytes } from '../../data/npz';
import { writeFileAtomic } from '../../data/write-atomic';

/** File name of the NumPy weights beside model.json. */
export const NPZ_FILE = 'weights.npz';

export async function saveWeights(tf: TF, model: tfjs.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightsManifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }];
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest,
      };
      const data = artifacts.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      await writeFileAtomic(join(dir, 'weights.bin'), Buffer.concat(buffers.map((b) => Buffer.from(b))));
      await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  await writeFileAtomic(join(dir, NPZ_FILE), npzOf(model));
}

/** The model's weights as an .npz, in Keras's order (tfjs, like Keras, lists trainable then non-trainable). */
export function npzOf(model: tfjs.LayersModel): Buffer {
  const variables = model.weights;
  const values = model.getWeights();
  const names = weightArrayNames(variables.map((v) => v.originalName ?? v.name));
  return npzBytes(
    values.map((t, i) => ({ name: names[i], shape: t.shape, data: Float32Array.from(t.dataSync() as Float32Array) })),
  );
}

/**
 * Archive names for a model's weights in Keras's `get_weights()` order: `w00_dense_kernel`, `w01_dense_bias`, …
 * (the index keeps `sorted(np.load(f).files)` in that order too).
 */
export function weightArrayNames(variableNames: readonly string[]): string[] {
  const width = Math.max(2, String(variableNames.length - 1).length);
  return variableNames.map(
    (n, i) => `w${String(i).padStart(width, '0')}_${n.replace(/\W+/g, '_').replace(/^_|_$/g, '')}`,
  );
}
