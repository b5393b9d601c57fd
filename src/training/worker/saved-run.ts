/**
 * What a finished run keeps so that "train N more epochs" continues it exactly: its weights (`weights.npz`, Keras's
 * order, written by `save-weights.ts`) and its optimizer (`optimizer.npz`: every slot of every trainable weight,
 * plus `optimizer.json`: the step count Keras calls `iterations`, the current learning rate, and the epochs done).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { npzBytes, readNpzFile, type NamedArray, type NpzArchive } from '../../data/npz';
import { writeFileAtomic } from '../../data/write-atomic';
import type { OptimizerState } from './engine';
import { NPZ_FILE } from './save-weights';

const STATE_NPZ = 'optimizer.npz';
const STATE_JSON = 'optimizer.json';

export async function saveOptimizerState(dir: string, state: OptimizerState, epochs: number): Promise<void> {
  const arrays = state.slots.flatMap((slots, w) =>
    slots.map((a, k) => ({ name: `w${w}_s${k}`, shape: [a.length], data: a })),
  );
  await writeFileAtomic(join(dir, STATE_NPZ), npzBytes(arrays));
  const meta = {
    iterations: state.iterations,
    learning_rate: state.learningRate,
    epochs,
    weights: state.slots.length,
    slots: state.slots[0]?.length ?? 0,
  };
  await writeFileAtomic(join(dir, STATE_JSON), JSON.stringify(meta));
}

export interface SavedRun {
  weights: NamedArray[];
  optimizer: OptimizerState;
  epochs: number;
}

/** Reads a run's saved weights and optimizer; a sentence says what is missing or wrong. */
export async function loadSavedRun(dir: string): Promise<SavedRun> {
  let meta: { iterations: number; learning_rate: number; epochs: number; weights: number; slots: number };
  let weights: NamedArray[];
  let slotArrays: NamedArray[];
  try {
    weights = float32Arrays(await readNpzFile(join(dir, NPZ_FILE), 'saved weights'));
    meta = JSON.parse(await readFile(join(dir, STATE_JSON), 'utf8'));
    slotArrays = float32Arrays(await readNpzFile(join(dir, STATE_NPZ), 'saved optimizer state'));
  } catch (e) {
    throw new Error(
      `The run's saved weights in ${dir} cannot be read (${e instanceof Error ? e.message : String(e)}); train it again with weights saved to continue it.`,
    );
  }
  const byName = new Map(slotArrays.map((a) => [a.name, a.data]));
  const slots = Array.from({ length: meta.weights }, (_, w) =>
    Array.from({ length: meta.slots }, (_, k) => byName.get(`w${w}_s${k}`) ?? new Float32Array()),
  );
  return {
    weights,
    optimizer: { iterations: meta.iterations, learningRate: meta.learning_rate, slots },
    epochs: meta.epochs,
  };
}

/** Every array of an archive Model Lab wrote, in order; anything but float32 is refused. */
function float32Arrays(archive: NpzArchive): NamedArray[] {
  return archive.names.map((name) => {
    const { shape, values } = archive.array(name);
    if (!(values instanceof Float32Array)) throw new Error(`${archive.file}: the array "${name}" is not float32`);
    return { name, shape, data: values };
  });
}
