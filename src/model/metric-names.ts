/**
 * Keras's metrics as `compile(metrics=[…])` names them, and what Model Lab does with each: accuracy (the generic
 * name, or the specific accuracy that Keras's `accuracy` means for the loss) is logged; other Keras metrics are
 * known and not logged; any other name is one Keras itself refuses at compile.
 */
import { ACCURACY_METRICS } from './callbacks';
import { canonicalLoss, KERAS_LOSS_NAMES, LOSSES, resolveAccuracy, type AccuracyKind } from './losses';

/** Keras's specific accuracies, by string name and by `keras.metrics` class. */
const SPECIFIC_ACCURACIES: Readonly<Record<string, { cls: string; kind: AccuracyKind }>> = {
  sparse_categorical_accuracy: { cls: 'SparseCategoricalAccuracy', kind: 'sparse_categorical' },
  categorical_accuracy: { cls: 'CategoricalAccuracy', kind: 'categorical' },
  binary_accuracy: { cls: 'BinaryAccuracy', kind: 'binary' },
};

/** String names `keras.metrics.get` resolves (Keras 2.13 and 3), other than the accuracies: Keras's loss functions too. */
const OTHER_METRIC_NAMES: ReadonlySet<string> = new Set([
  'top_k_categorical_accuracy',
  'sparse_top_k_categorical_accuracy',
  'crossentropy',
  'ce',
  ...KERAS_LOSS_NAMES,
]);

/** `keras.metrics` classes other than the accuracies (`Accuracy` is exact equality, not Keras's `accuracy`). */
const OTHER_METRIC_CLASSES = new Set([
  'Accuracy',
  'AUC',
  'Precision',
  'Recall',
  'PrecisionAtRecall',
  'RecallAtPrecision',
  'SensitivityAtSpecificity',
  'SpecificityAtSensitivity',
  'TruePositives',
  'TrueNegatives',
  'FalsePositives',
  'FalseNegatives',
  'TopKCategoricalAccuracy',
  'SparseTopKCategoricalAccuracy',
  'MeanSquaredError',
  'MeanAbsoluteError',
  'MeanAbsolutePercentageError',
  'MeanSquaredLogarithmicError',
  'RootMeanSquaredError',
  'BinaryCrossentropy',
  'CategoricalCrossentropy',
  'SparseCategoricalCrossentropy',
  'KLDivergence',
  'Poisson',
  'CosineSimilarity',
  'LogCoshError',
  'Hinge',
  'SquaredHinge',
  'CategoricalHinge',
  'MeanIoU',
  'IoU',
  'OneHotIoU',
  'OneHotMeanIoU',
  'BinaryIoU',
  'F1Score',
  'FBetaScore',
  'R2Score',
  'Mean',
  'Sum',
  'MeanMetricWrapper',
  'MeanTensor',
]);

/** What one entry of `compile(metrics=…)` is to Model Lab. */
export type MetricReading =
  { kind: 'accuracy' } | { kind: 'unlogged'; reason: string } | { kind: 'unknown'; reason: string };

/**
 * A metric given by name (`'accuracy'`, `'sparse_categorical_accuracy'`, `'mae'`) or by its `keras.metrics` class
 * (`cls` set, `name` its class name), for a model compiled with `loss` (a Keras loss name, when known). A specific
 * accuracy is Model Lab's accuracy when it is the one Keras's `accuracy` means for that loss (Keras logs it under its
 * own name; Model Lab logs it as `accuracy`).
 */
export function readMetric(name: string, loss: string | undefined, cls = false): MetricReading {
  if (!cls && ACCURACY_METRICS.includes(name)) return { kind: 'accuracy' };
  // Keras's `metrics.get` also takes a class's name as a string (`metrics=["RootMeanSquaredError"]`).
  if (!cls && (OTHER_METRIC_CLASSES.has(name) || Object.values(SPECIFIC_ACCURACIES).some((s) => s.cls === name)))
    return readMetricAs(name, loss, true, `'${name}'`);
  return readMetricAs(name, loss, cls, cls ? `keras.metrics.${name}` : `'${name}'`);
}

function readMetricAs(name: string, loss: string | undefined, cls: boolean, label: string): MetricReading {
  const specific = Object.entries(SPECIFIC_ACCURACIES).find(([n, s]) => (cls ? s.cls === name : n === name));
  if (specific) {
    const lossName = loss === undefined ? undefined : canonicalLoss(loss);
    if (!lossName || !LOSSES[lossName].classification)
      return {
        kind: 'unlogged',
        reason: `${label} is logged only with a classification loss Model Lab knows (it logs loss and accuracy)`,
      };
    const meant = resolveAccuracy(lossName, lossName === 'binary_crossentropy' ? 1 : 2);
    if (meant === specific[1].kind) return { kind: 'accuracy' };
    return {
      kind: 'unlogged',
      reason: `${label} is not the accuracy ${lossName} labels take (that is ${meant}_accuracy), so Model Lab does not log it`,
    };
  }
  if (cls ? OTHER_METRIC_CLASSES.has(name) : OTHER_METRIC_NAMES.has(name))
    return { kind: 'unlogged', reason: `Model Lab logs loss and accuracy only; ${label} is not logged when it trains` };
  return {
    kind: 'unknown',
    reason: cls
      ? `${label} is not a Keras metric class Model Lab knows; it is not logged when Model Lab trains`
      : `Keras does not know the metric ${label} (compile raises "Unknown metric function"); Model Lab logs loss and accuracy`,
  };
}

/**
 * A callback's `monitor` as Model Lab's logs name it: Keras logs accuracy under the name it was asked by (`acc`,
 * `sparse_categorical_accuracy`, …, with `val_` for validation), Model Lab always as `accuracy`.
 */
export function monitorAsLogged(monitor: string): string {
  const m = /^(val_)?(\w+)$/.exec(monitor);
  if (!m || m[2] === 'accuracy') return monitor;
  const isAccuracy = ACCURACY_METRICS.includes(m[2]) || Object.hasOwn(SPECIFIC_ACCURACIES, m[2]);
  return isAccuracy ? `${m[1] ?? ''}accuracy` : monitor;
}

/** The reverse for an exported script: the name Keras logs Model Lab's `accuracy` under, given the metrics written. */
export function monitorAsKerasLogs(monitor: string, metrics: readonly string[] | undefined): string {
  const asked = (metrics ?? []).includes('acc') && !(metrics ?? []).includes('accuracy');
  return asked ? monitor.replace(/^(val_)?accuracy$/, '$1acc') : monitor;
}

/** Whether `name` (without `val_`) is a metric Keras logs that Model Lab does not: a callback watching it does nothing. */
export function isUnloggedKerasMetric(name: string): boolean {
  return readMetric(name, undefined).kind === 'unlogged' && !Object.hasOwn(SPECIFIC_ACCURACIES, name);
}
