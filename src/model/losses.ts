/** Keras losses Model Lab trains with, their aliases, and which output layers each can fit. */

export interface LossInfo {
  doc: string;
  /** Whether accuracy is a meaningful metric. */
  classification: boolean;
  /** How labels are fed to the loss: class ids, one-hot rows, or float targets of shape [n, units]. */
  labels: 'sparse' | 'onehot' | 'float';
}

const TABLE = {
  sparse_categorical_crossentropy: {
    doc: 'Cross-entropy for integer class labels (0 … classes-1) against a softmax over the classes.',
    classification: true,
    labels: 'sparse',
  },
  categorical_crossentropy: {
    doc: 'Cross-entropy for one-hot labels against a softmax over the classes.',
    classification: true,
    labels: 'onehot',
  },
  binary_crossentropy: {
    doc: 'Cross-entropy for 0/1 labels against a single sigmoid unit.',
    classification: true,
    labels: 'float',
  },
  mse: { doc: 'Mean squared error, for regression.', classification: false, labels: 'float' },
  mae: { doc: 'Mean absolute error, for regression.', classification: false, labels: 'float' },
} as const satisfies Record<string, LossInfo>;

/**
 * A loss Model Lab trains with, by its short Keras name: one per entry of the table. The engines key their
 * formulas by it (an exhaustive switch or `Record<LossName, …>`), so a loss added here without them fails `tsc`.
 */
export type LossName = keyof typeof TABLE;

export const LOSSES: Readonly<Record<string, LossInfo>> = TABLE;

/** What the table says about a loss Model Lab trains with. */
export function lossInfo(loss: LossName): LossInfo {
  return TABLE[loss];
}

/** Keras's long names, accepted and normalised to the short ones. */
export const LOSS_ALIASES: Readonly<Record<string, LossName>> = {
  mean_squared_error: 'mse',
  mean_absolute_error: 'mae',
};

export const LOSS_NAMES: readonly string[] = [...Object.keys(LOSSES), ...Object.keys(LOSS_ALIASES)];

/** Losses Keras's `losses.get` knows (Keras 2.13 and 3) that Model Lab does not train with. */
const OTHER_KERAS_LOSSES = new Set([
  'huber',
  'huber_loss',
  'mean_absolute_percentage_error',
  'mape',
  'MAPE',
  'mean_squared_logarithmic_error',
  'msle',
  'MSLE',
  'kl_divergence',
  'kld',
  'KLD',
  'kullback_leibler_divergence',
  'poisson',
  'cosine_similarity',
  'hinge',
  'squared_hinge',
  'categorical_hinge',
  'log_cosh',
  'logcosh',
  'binary_focal_crossentropy',
  'categorical_focal_crossentropy',
  'ctc',
]);

/** Every loss function name Keras's `losses.get` knows, trained here or not (its metrics take them too). */
export const KERAS_LOSS_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(TABLE),
  ...Object.keys(LOSS_ALIASES),
  'MSE',
  'MAE',
  ...OTHER_KERAS_LOSSES,
]);

/**
 * Why a loss name a script compiles with cannot be trained by Model Lab, or undefined when it can: a Keras loss
 * Model Lab does not have, or a name Keras itself refuses.
 */
export function untrainableLoss(name: string): { known: boolean; reason: string } | undefined {
  if (canonicalLoss(name)) return undefined;
  const trained = `Model Lab trains ${Object.keys(TABLE).join(', ')}`;
  return OTHER_KERAS_LOSSES.has(name)
    ? { known: true, reason: `Model Lab does not train with Keras's '${name}' loss (${trained})` }
    : {
        known: false,
        reason: `Keras does not know the loss '${name}' (compile raises "Unknown loss function"); ${trained}`,
      };
}

export function normalizeLoss(name: string): string {
  return LOSS_ALIASES[name] ?? name;
}

/** The short Keras name for a loss or its long alias, any case (`Mean_Squared_Error` → `mse`), or undefined. */
export function canonicalLoss(name: string): LossName | undefined {
  const lower = name.toLowerCase();
  if (Object.hasOwn(TABLE, lower)) return lower as LossName;
  return Object.hasOwn(LOSS_ALIASES, lower) ? LOSS_ALIASES[lower] : undefined;
}

/** The three readings of Keras's `metrics=['accuracy']`. */
export type AccuracyKind = 'sparse_categorical' | 'categorical' | 'binary';

/**
 * Which accuracy Keras means by `accuracy` (compile_utils): a single output unit is binary accuracy (threshold 0.5);
 * otherwise integer labels give sparse categorical accuracy and one-hot labels categorical accuracy. Both engines and
 * evaluation read it from here.
 */
export function resolveAccuracy(loss: LossName, outputUnits: number): AccuracyKind {
  if (outputUnits === 1) return 'binary';
  return TABLE[loss].labels === 'sparse' ? 'sparse_categorical' : 'categorical';
}

/** For an exhaustive `switch` over a table's names: `tsc` fails when a case is missing, and it throws at run time. */
export function unreachable(value: never, what: string): never {
  throw new Error(`Unknown ${what} '${String(value)}'.`);
}

/**
 * The loss when the definition names none (Keras has no default; Model Lab picks the usual match for the output):
 * one output unit → binary_crossentropy with a sigmoid, mse otherwise (regression); several units →
 * sparse_categorical_crossentropy, since the datasets give integer labels. With from_logits one unit is
 * binary_crossentropy (from_logits goes only with the crossentropies).
 */
export function defaultLoss(
  outputUnits: number | undefined,
  activation: string | undefined,
  fromLogits = false,
): string {
  if (outputUnits === 1) return activation === 'sigmoid' || fromLogits ? 'binary_crossentropy' : 'mse';
  return 'sparse_categorical_crossentropy';
}

/** The losses that take `from_logits`, each with its Keras loss class (`keras.losses.X(from_logits=True)`). */
export const LOSS_CLASSES: Readonly<Partial<Record<LossName, string>>> = {
  sparse_categorical_crossentropy: 'SparseCategoricalCrossentropy',
  categorical_crossentropy: 'CategoricalCrossentropy',
  binary_crossentropy: 'BinaryCrossentropy',
};

export const FROM_LOGITS_LOSSES = Object.keys(LOSS_CLASSES) as readonly LossName[];

/** Why `from_logits` cannot go with `loss` (only the crossentropies take it), or undefined when it can. */
export function fromLogitsProblem(loss: string): string | undefined {
  if ((FROM_LOGITS_LOSSES as readonly string[]).includes(loss)) return undefined;
  return `from_logits only applies to ${FROM_LOGITS_LOSSES.join(', ')}; the loss here is ${loss}: remove from_logits or use one of those.`;
}

/**
 * Keras's warning when a crossentropy told the output is logits gets a softmax/sigmoid output (Keras 2.13's
 * backend `_get_logits`): the loss then applies softmax/sigmoid a second time. Undefined for any other output.
 */
export function fromLogitsWarning(loss: string, activation: string | undefined): string | undefined {
  if (activation !== 'softmax' && activation !== 'sigmoid') return undefined;
  const producer = activation === 'softmax' ? 'Softmax' : 'Sigmoid';
  return `\`${loss}\` received \`from_logits=True\`, but the \`output\` argument was produced by a ${producer} activation and thus does not represent logits. Was this intended? (Keras's own warning; remove the output layer's activation, or from_logits.)`;
}

/**
 * Why `loss` cannot train an output of `units` values, or undefined when it can (the output's activation is
 * `lossActivationWarning`'s: Keras trains any activation).
 */
export function lossMismatch(loss: string, units: number): string | undefined {
  switch (loss) {
    case 'sparse_categorical_crossentropy':
    case 'categorical_crossentropy':
      if (units === 1) {
        return `${loss} needs one output unit per class but the last layer has 1 unit; use 'binary_crossentropy' with a sigmoid unit for two classes, or give the last layer one unit per class.`;
      }
      return undefined;
    case 'binary_crossentropy':
      if (units !== 1) {
        return `binary_crossentropy expects a single sigmoid output unit but the last layer has ${units}; use 'sparse_categorical_crossentropy' for ${units} classes.`;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Why a script's binary crossentropy over several output units is not trained here: valid Keras (multi-label
 * classification, the loss averaged over the units), while Model Lab trains one label per example.
 */
export function multiLabelReason(loss: string, units: number): string | undefined {
  if (loss !== 'binary_crossentropy' || units <= 1) return undefined;
  return `binary_crossentropy over ${units} output units is multi-label classification (each unit its own yes/no label, as Keras computes it), which Model Lab does not train`;
}

/**
 * The warning for binary crossentropy after an output that is not a probability (Keras 2's `Dense(1)` with
 * `loss='binary_crossentropy'`, as Deep Learning with Python writes it): Keras does not refuse it, it clips the
 * output to [1e-7, 1 - 1e-7] and trains on that (no gradient outside it), and so does Model Lab. Undefined when
 * the output is a sigmoid, or logits the loss is told about.
 */
export function lossActivationWarning(
  loss: string,
  activation: string | undefined,
  fromLogits = false,
): string | undefined {
  if (loss !== 'binary_crossentropy' || fromLogits || activation === undefined || activation === 'sigmoid')
    return undefined;
  return `binary_crossentropy expects a probability from a sigmoid output but the last layer's activation is '${activation}': Keras clips the output to [1e-7, 1 - 1e-7] and trains on that, with no gradient outside it; use activation 'sigmoid', or a linear unit with from_logits=True.`;
}
