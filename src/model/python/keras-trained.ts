/**
 * The parts of an exported Keras script that come from training with Model Lab: a learning-rate schedule as the
 * optimizer's `learning_rate`, the fit's `callbacks=[...]`, and loading the weights a run trained (`weights.npz`,
 * Keras's `get_weights()` order) into the built model. `keras-script.ts` calls these; every value goes through
 * `pyLiteral`, the one escaping rule for Python source.
 */
import { monitorAsKerasLogs } from '../metric-names';
import { callbackDef, effectiveCallbacks } from '../callbacks';
import { learningRateSchedule } from '../optimizers';
import { scheduleDef, type EffectiveSchedule } from '../lr-schedules';
import type { ModelDefinition, OptimizerSpec } from '../types';
import { pyLiteral } from './python-literal';

/** `keras.optimizers.schedules.ExponentialDecay(initial_learning_rate=0.1, …)`, or undefined without a schedule. */
export function scheduleCall(spec: OptimizerSpec | undefined): string | undefined {
  const s = learningRateSchedule(spec);
  if (s === undefined || typeof s === 'string') return undefined;
  const def = scheduleDef(s.type)!;
  const args = def.args.map((a) => `${a.name}=${pyLiteral((s as EffectiveSchedule)[a.name])}`);
  return `keras.optimizers.schedules.${def.type}(${args.join(', ')})`;
}

/** `callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=2)]` with the given arguments, or undefined. */
export function callbacksArg(def: ModelDefinition): string | undefined {
  const list = def.fit?.callbacks;
  if (!Array.isArray(list) || list.length === 0 || typeof effectiveCallbacks(list) === 'string') return undefined;
  const calls = list.map((cb) => {
    const known = callbackDef(cb.type)!;
    const value = (name: string) =>
      name === 'monitor' && typeof cb.monitor === 'string'
        ? monitorAsKerasLogs(cb.monitor, def.compile?.metrics)
        : cb[name];
    const args = known.args.filter((a) => cb[a.name] !== undefined).map((a) => `${a.name}=${pyLiteral(value(a.name))}`);
    // Keras's ModelCheckpoint needs a file; Model Lab keeps the weights with the run instead.
    if (known.type === 'ModelCheckpoint' && cb.filepath === undefined)
      args.unshift(`filepath=${pyLiteral('best.keras')}`);
    return `keras.callbacks.${known.type}(${args.join(', ')})`;
  });
  return `callbacks=[${calls.join(', ')}]`;
}

/**
 * Lines that put a run's trained weights into `model`: the `.npz` Model Lab saved beside the run (a path relative
 * to the script, or absolute), in Keras's order.
 */
export function setTrainedWeightsLines(npzPath: string): string[] {
  const where = npzPath.startsWith('/')
    ? pyLiteral(npzPath)
    : `Path(__file__).resolve().parent / ${pyLiteral(npzPath)}`;
  return [
    ...(npzPath.startsWith('/') ? [] : ['from pathlib import Path', '']),
    "# The weights Model Lab trained: every layer's weights in Keras's get_weights() order (w00_…, w01_…).",
    `trained = np.load(${where})`,
    'model.set_weights([trained[name] for name in sorted(trained.files)])',
  ];
}
