/**
 * One run from start to finish, in the current process: backend, data, model, engine, `fit`, evaluation, saving.
 * The worker calls this; tests call it in-process. Everything it reports goes through `emit` as WorkerEvents, and it
 * always ends with exactly one `finished` event: user errors as one sentence, bugs as one line (stack on stderr).
 */
import type * as tfjs from '@tensorflow/tfjs';
import {
  loadDataset,
  splitValidation,
  DataError,
  normalizeDatasetSpec,
  DEFAULT_VALIDATION_SPLIT,
} from '../../data/index';
import type { LoadedDataset, Split } from '../../data/types';
import type { DatasetInfo, Evaluation, RunSpec, WorkerEvent } from '../../protocol';
import { BackendError, selectBackend } from '../backend';
import type { BatchShape } from './batches';
import { buildModel } from './build-model';
import { chooseEngine, describeEngine } from './choose-engine';
import { compileOutput } from './forward';
import { evaluateSplit } from './evaluate';
import { fit } from './loop';
import { canonicalLoss, labelKind, resolveAccuracy, type LossName } from './losses';
import { describeModel, ModelError } from '../model-info';
import { NPZ_FILE, saveWeights } from './save-weights';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toKerasScript } from '../../model/python/keras-script';
import { fillVariableDims } from '../../model/variable-dims';

/** The Keras script written beside a run's saved weights. */
export const KERAS_SCRIPT_FILE = 'keras_model.py';
import { loadSavedRun, saveOptimizerState, type SavedRun } from './saved-run';
import { effectiveCallbacks } from '../../model/callbacks';
import { learningRateSchedule, SCHEDULE_KEY } from '../../model/optimizers';
import type { StoppedBy } from '../../protocol';

/** Fixed so every run of a comparison validates on the same examples unless the file sets dataset.seed. */
export const DEFAULT_SPLIT_SEED = 42;

export interface RunControl {
  /** True once a stop was asked for: the loop ends after the current batch. */
  readonly stopped: boolean;
  /** Aborts data loading (a download) when stopped early. */
  readonly signal?: AbortSignal;
  /** Force an engine: `stock` skips the fused engine (also env MODEL_LAB_ENGINE=stock). */
  engine?: 'stock' | 'auto';
}

export async function runTraining(spec: RunSpec, emit: (e: WorkerEvent) => void, control: RunControl): Promise<void> {
  const startedAt = performance.now();
  const runId = spec.runId;
  let weightsPath: string | undefined;
  let ended: { stoppedBy?: StoppedBy; restoredEpoch?: number; checkpointEpoch?: number } = {};
  const finish = (status: 'completed' | 'cancelled' | 'failed', error?: string) =>
    emit({
      type: 'finished',
      runId,
      status,
      ...(error ? { error } : {}),
      durationMs: performance.now() - startedAt,
      ...(weightsPath ? { weightsPath } : {}),
      ...ended,
    });
  let tf: typeof tfjs | undefined;
  let model: tfjs.LayersModel | undefined;
  try {
    const info = describeModel(spec.definition);
    const loss = canonicalLoss(info.loss);
    if (!loss) throw new ModelError(`The loss '${info.loss}' is not one Model Lab can train with.`);
    const callbacks = effectiveCallbacks(spec.definition.fit?.callbacks);
    if (typeof callbacks === 'string') throw new ModelError(callbacks);
    const schedule = learningRateSchedule(spec.definition.compile?.optimizer);
    if (typeof schedule === 'string') throw new ModelError(`compile.optimizer.learning_rate: ${schedule}`);
    // The schedule's name is for people; the update rules take the per-step rate the loop passes them.
    const { [SCHEDULE_KEY]: _named, ...hyper } = info.optimizer;
    emit({ type: 'progress', runId, message: 'Starting TensorFlow.js' });
    const selected = await selectBackend(spec.backend, spec.audience, { nativeDir: spec.nativeDir });
    tf = selected.tf;

    const dataSpec = normalizeDatasetSpec(spec.definition.dataset);
    const data = await loadDataset({
      spec: dataSpec,
      baseDir: spec.baseDir,
      dataDir: spec.dataDir,
      cacheDir: spec.cacheDir,
      loss: info.loss,
      signal: control.signal,
      onProgress: (message, fraction) =>
        emit({ type: 'progress', runId, message, ...(fraction !== undefined ? { fraction } : {}) }),
    });
    const exampleSize = data.exampleShape.reduce((a, b) => a * b, 1);
    // A None dimension of the input (`input_shape=(None, 28)`) takes its size from the examples.
    const filled = info.inputShape ? fillVariableDims(info.inputShape, data.exampleShape, data.name) : undefined;
    if (filled && 'error' in filled) throw new ModelError(filled.error);
    const inputShape = filled?.shape ?? data.exampleShape;
    checkInputShape(inputShape, data, spec.definition.dataset ? 'dataset' : 'the default dataset');
    const fraction = dataSpec.validation_split ?? DEFAULT_VALIDATION_SPLIT;
    const trainCount = data.train.count;
    const { train, validation, validationIndices } =
      fraction > 0
        ? // In place: the parts are views of the set as read, reordered, never a copy of it (47 MB for Fashion-MNIST).
          splitValidation(data.train, exampleSize, fraction, dataSpec.seed ?? DEFAULT_SPLIT_SEED, { inPlace: true })
        : { train: data.train, validation: undefined as Split | undefined, validationIndices: undefined };
    // The set as read is now in split order: nothing may read it by its file's indices.
    data.train = train;

    const fitSpec = spec.definition.fit ?? {};
    const epochs = fitSpec.epochs ?? 1;
    const batchSize = fitSpec.batch_size ?? 32;
    model = buildModel(tf, spec.definition, { names: info.names, inputShape, seed: spec.seed });
    let saved: SavedRun | undefined;
    if (spec.resume) {
      saved = await loadSavedRun(spec.resume.from).catch((e: Error) => {
        throw new ModelError(e.message);
      });
      const shapes = model.getWeights().map((w) => w.shape.join('x'));
      if (saved.weights.length !== shapes.length || saved.weights.some((w, i) => w.shape.join('x') !== shapes[i])) {
        throw new ModelError(
          `The saved weights in ${spec.resume.from} do not fit this model (it changed since that run); train it from the start.`,
        );
      }
      setWeights(
        tf,
        model,
        saved.weights.map((w) => w.data),
      );
    }
    const units = info.outputUnits;
    checkOutputUnits(units, loss, data, info.names[info.outputIndex], info.outputIndex);
    // Accuracy and the confusion matrix need class predictions: a crossentropy loss on class labels.
    const classification = data.task === 'classification' && loss.endsWith('crossentropy');
    const accuracy = info.trackAccuracy ? resolveAccuracy(loss, units) : undefined;
    const shape: BatchShape = {
      inputShape,
      exampleSize,
      // dataset.scale: what the script multiplied the values by (a Keras script that never divides by 255 trains on
      // raw pixels); the NumPy loader took it already.
      scale: dataSpec.scale ?? data.scale,
      labels: labelKind(loss),
      numClasses: Math.max(units, data.classNames.length),
    };
    // With from_logits the model's output is the logits; Keras's loss picks softmax or sigmoid for them by its kind.
    compileOutput(model, info.fromLogits ? (loss === 'binary_crossentropy' ? 'sigmoid' : 'softmax') : undefined);
    const engineContext = {
      tf,
      model,
      optimizer: hyper,
      loss,
      accuracy: accuracy !== undefined,
      fromLogits: info.fromLogits,
      seed: spec.seed,
    };
    const engineChoice = {
      seed: spec.seed,
      force: control.engine === 'stock' || process.env.MODEL_LAB_ENGINE === 'stock' ? ('stock' as const) : undefined,
    };
    const engine = chooseEngine(engineContext, engineChoice);

    if (saved) {
      try {
        engine.loadOptimizerState?.(saved.optimizer);
      } catch (e) {
        throw new ModelError(
          `The saved optimizer state in ${spec.resume!.from} does not fit this model and optimizer (${e instanceof Error ? e.message : e}); train it from the start.`,
        );
      }
    }

    emit({
      type: 'started',
      runId,
      backend: selected.backend,
      backendNote: selected.note,
      engine: describeEngine(engine, engineContext, engineChoice),
      dataset: datasetInfo(data, train.count, validation?.count ?? 0),
      optimizer: info.optimizer,
      epochs,
    });

    const outcome = await fit({
      tf,
      model,
      engine,
      loss,
      accuracy,
      shape,
      train,
      validation,
      epochs,
      batchSize,
      shuffle: fitSpec.shuffle !== false,
      seed: spec.seed,
      onBatch: (p) => emit({ type: 'batch', runId, ...p }),
      onEpoch: (e) => emit({ type: 'epoch', runId, ...e }),
      shouldStop: () => control.stopped,
      learningRate: saved ? saved.optimizer.learningRate : Number(hyper.learning_rate),
      schedule,
      callbacks,
      initialEpoch: spec.resume?.epochsDone,
      initialStep: saved?.optimizer.iterations,
    });
    engine.sync();
    if (outcome.status !== 'failed') {
      // After the engine's own sync: the model ends with the weights EarlyStopping restored.
      if (outcome.restored) setWeights(tf, model, outcome.restored.weights);
      ended = {
        ...(outcome.stoppedBy ? { stoppedBy: outcome.stoppedBy } : {}),
        ...(outcome.restored ? { restoredEpoch: outcome.restored.epoch } : {}),
        ...(outcome.checkpoint ? { checkpointEpoch: outcome.checkpoint.epoch } : {}),
      };
    }
    const unusable = outcome.status === 'completed' && outcome.stoppedBy?.callback === 'TerminateOnNaN';

    // A stopped run's weights are part-way through an epoch: its history, not an evaluation, is what it has.
    if (outcome.status === 'completed' && !unusable) {
      // Regression gets the loss only; classification adds accuracy and the confusion matrix.
      const evalAccuracy = classification ? resolveAccuracy(loss, units) : undefined;
      const classNames = classification ? data.classNames : undefined;
      const evaluate = (split: Split, which: 'validation' | 'test') => {
        // The gallery finds each kept example again in the dataset as read: validation examples in the training set.
        const examplesFrom =
          which === 'validation'
            ? { source: 'train' as const, sourceCount: trainCount, sourceIndex: validationIndices }
            : { source: 'test' as const, sourceCount: split.count };
        const score = evaluateSplit(tf!, model!, split, {
          loss,
          accuracy: evalAccuracy,
          shape,
          classNames,
          examplesFrom,
        });
        const evaluation: Evaluation = { split: which, ...score };
        emit({ type: 'evaluation', runId, evaluation });
      };
      const validated = validation !== undefined && validation.count > 0;
      const test = data.test && data.test.count > 0 ? data.test : undefined;
      if (validated) evaluate(validation, 'validation');
      // With validation_split 0 the test set is the only data the model has not trained on, so it is the evaluation.
      if (test && (dataSpec.evaluate_test || !validated)) evaluate(test, 'test');
      if (!validated && !test) {
        emit({
          type: 'progress',
          runId,
          message: `The run is not evaluated: validation_split is 0 and '${data.name}' has no test set; set dataset.validation_split (e.g. 0.2) to evaluate on held-out data.`,
        });
      }
      if (spec.saveWeightsTo) {
        // ModelCheckpoint(save_best_only): the saved weights are the best epoch's, the evaluation the final model's.
        if (outcome.checkpoint) setWeights(tf, model, outcome.checkpoint.weights);
        await saveWeights(tf, model, spec.saveWeightsTo);
        const state = engine.optimizerState?.();
        if (state) await saveOptimizerState(spec.saveWeightsTo, state, outcome.epochsDone);
        // The trained model in Python: builds the model and loads weights.npz (keras-script.ts).
        const script = toKerasScript(spec.definition, {
          baseDir: spec.baseDir,
          outDir: spec.saveWeightsTo,
          trainedWeights: NPZ_FILE,
        });
        await writeFile(join(spec.saveWeightsTo, KERAS_SCRIPT_FILE), script);
        weightsPath = spec.saveWeightsTo;
      }
    }
    engine.dispose();
    if (outcome.status === 'failed') finish('failed', outcome.error);
    else finish(outcome.status);
  } catch (e) {
    if (control.stopped && e instanceof DataError && e.code === 'aborted') finish('cancelled');
    else if (e instanceof DataError || e instanceof BackendError || e instanceof ModelError)
      finish('failed', e.message);
    else {
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(`model-lab worker: ${e instanceof Error ? e.stack : message}\n`);
      finish('failed', `Training failed unexpectedly: ${message}`);
    }
  } finally {
    model?.dispose();
  }
}

/** Sets every weight of the model from copies taken by the loop (same order as `model.getWeights()`). */
function setWeights(tf: typeof tfjs, model: tfjs.LayersModel, weights: Float32Array[]): void {
  const current = model.getWeights();
  const tensors = weights.map((w, i) => tf.tensor(w, current[i].shape, 'float32'));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

function checkInputShape(inputShape: number[], data: LoadedDataset, where: string): void {
  const want = inputShape.reduce((a, b) => a * b, 1);
  const have = data.exampleShape.reduce((a, b) => a * b, 1);
  if (want !== have) {
    throw new ModelError(
      `The model takes inputs of shape (${inputShape.join(', ')}) = ${want} values but ${where} '${data.name}' has examples of shape (${data.exampleShape.join(', ')}) = ${have} values; change the first layer's input_shape to [${data.exampleShape.join(', ')}].`,
    );
  }
}

/**
 * The output layer must fit the labels: a crossentropy needs a unit per class (with fewer, the classes beyond the
 * last unit get no loss — or tfjs fails on the label shape), and mse/mae/binary compare one target per example.
 */
export function checkOutputUnits(
  units: number,
  loss: LossName,
  data: Pick<LoadedDataset, 'name' | 'classNames'>,
  layerName: string,
  index: number,
): void {
  const layer = `the output layer ${layerName} (layers[${index}])`;
  const classes = data.classNames.length;
  if ((loss === 'sparse_categorical_crossentropy' || loss === 'categorical_crossentropy') && classes > units) {
    throw new ModelError(
      `The dataset '${data.name}' has ${classes} classes but ${layer} has ${units} unit${units === 1 ? '' : 's'}; set its units to ${classes} so ${loss} has an output for every class.`,
    );
  }
  // Binary crossentropy takes targets 0 and 1; class ids 0…k-1 would drive its (unbounded, from logits) loss to −∞.
  if (loss === 'binary_crossentropy' && classes > 2) {
    throw new ModelError(
      `The dataset '${data.name}' has ${classes} classes but binary_crossentropy needs 2; use sparse_categorical_crossentropy with ${classes} softmax units in ${layer}.`,
    );
  }
  if (labelKind(loss) === 'float' && units !== 1) {
    const instead =
      classes > 1
        ? `, or use sparse_categorical_crossentropy with ${classes} units for the ${classes} classes of '${data.name}'`
        : '';
    throw new ModelError(
      `The loss ${loss} compares one target per example with the output, but ${layer} has ${units} units; set its units to 1${instead}.`,
    );
  }
}

function datasetInfo(data: LoadedDataset, train: number, validation: number): DatasetInfo {
  return {
    name: data.name,
    source: data.source,
    train,
    validation,
    test: data.test?.count ?? 0,
    classNames: data.classNames,
    exampleShape: data.exampleShape,
    task: data.task,
  };
}
