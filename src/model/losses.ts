/** Keras losses Model Lab trains with, their aliases, and which output layers each can fit. */

export interface LossInfo {
  doc: string;
  /** Whether accuracy is a meaningful metric. */
  classification: boolean;
}

export const LOSSES: Readonly<Record<string, LossInfo>> = {
  sparse_categorical_crossentropy: { doc: 'Cross-entropy for integer class labels (0 … classes-1) against a softmax over the classes.', classification: true },
  categorical_crossentropy: { doc: 'Cross-entropy for one-hot labels against a softmax over the classes.', classification: true },
  binary_crossentropy: { doc: 'Cross-entropy for 0/1 labels against a single sigmoid unit.', classification: true },
  mse: { doc: 'Mean squared error, for regression.', classification: false },
  mae: { doc: 'Mean absolute error, for regression.', classification: false },
};

/** Keras's long names, accepted and normalised to the short ones. */
export const LOSS_ALIASES: Readonly<Record<string, string>> = {
  mean_squared_error: 'mse',
  mean_absolute_error: 'mae',
};

export const LOSS_NAMES: readonly string[] = [...Object.keys(LOSSES), ...Object.keys(LOSS_ALIASES)];

export function normalizeLoss(name: string): string {
  return LOSS_ALIASES[name] ?? name;
}

/**
 * The loss when the definition names none (Keras has no default; Model Lab picks the usual match for the output):
 * one output unit → binary_crossentropy with a sigmoid, mse otherwise (regression); several units →
 * sparse_categorical_crossentropy, since the datasets give integer labels.
 */
export function defaultLoss(outputUnits: number | undefined, activation: string | undefined): string {
  if (outputUnits === 1) return activation === 'sigmoid' ? 'binary_crossentropy' : 'mse';
  return 'sparse_categorical_crossentropy';
}

/** Why `loss` cannot train an output of `units` values, or undefined when it can. */
export function lossMismatch(loss: string, units: number, activation: string | undefined): string | undefined {
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
      if (activation !== undefined && activation !== 'sigmoid') {
        return `binary_crossentropy expects a probability from a sigmoid output but the last layer's activation is '${activation}'; use activation 'sigmoid'.`;
      }
      return undefined;
    default:
      return undefined;
  }
}
