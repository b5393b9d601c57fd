/**
 * What a finished run keeps so that "train N more epochs" continues it exactly: its weights (`weights.npz`, Keras's
 * order, written by `save-weights.ts`) and its optimizer (`optimizer.npz`: every slot of every trainable weight,
 * plus `optimizer.json`: the step count Keras calls `iterations`, the current learning rate, and the epochs done).
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { npzBytes, readNpz, type NamedArray } from '../npz-format';
import type { OptimizerState } from './engine';
import { NPZ_FILE } from './save-weights';

const STATE_NPZ = 'optimizer.npz';
const STATE_JSON = 'optimizer.json';

export async function saveOptimizerState(dir: string, state: OptimizerState, epochs: number): Promise<void> {
  const arrays = state.slots.flatMap((slots, w) =>
    slots.map((a, k) => ({ name: `w${w}_s${k}`, shape: [a.length], data: a })),
  );
  await atomic(join(dir, STATE_NPZ), npzBytes(arrays));
  const meta = {
    iterations: state.iterations,
    learning_rate: state.learningRate,
    epochs,
    weights: state.slots.length,
    slots: state.slots[0]?.length ?? 0,
  };
  await atomic(join(dir, STATE_JSON), JSON.stringify(meta));
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
    weights = readNpz(await readFile(join(dir, NPZ_FILE)));
    meta = JSON.parse(await readFile(join(dir, STATE_JSON), 'utf8'));
    slotArrays = readNpz(await readFile(join(dir, STATE_NPZ)));
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

async function atomic(file: string, content: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
