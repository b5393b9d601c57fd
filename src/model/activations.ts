/**
 * The activations Model Lab accepts: the Keras names that TensorFlow.js layers can also run
 * (node_modules/@tensorflow/tfjs-layers/dist/keras_format/activation_config: `activationOptions`), Keras 3's `silu`
 * (tfjs's `swish`), and `leaky_relu`, which tfjs lacks and the worker registers with it (`keras-activations.ts`).
 */
export interface ActivationInfo {
  /** One line for hovers and completion. */
  doc: string;
  /** The name tfjs-layers registers it under, when it differs from the Keras name. */
  tfjsName?: string;
}

/** Keras's `leaky_relu` activation's slope below zero (Keras 3's `negative_slope`, tf.nn.leaky_relu's `alpha`). */
export const LEAKY_RELU_SLOPE = 0.2;

export const ACTIVATIONS: Readonly<Record<string, ActivationInfo>> = {
  relu: { doc: 'Rectified linear unit: max(0, x). The usual default for hidden layers.' },
  sigmoid: { doc: 'Logistic sigmoid 1 / (1 + e^-x): squashes to (0, 1); the output for binary classification.' },
  softmax: { doc: 'Turns a vector into probabilities that sum to 1; the output for multi-class classification.' },
  tanh: { doc: 'Hyperbolic tangent: squashes to (-1, 1), zero-centred.' },
  linear: { doc: 'Identity (no activation): the output for regression.' },
  elu: { doc: 'Exponential linear unit: x for x > 0, e^x - 1 below; smooth near zero.' },
  selu: { doc: 'Scaled ELU: self-normalising when used with lecun_normal initialisation.' },
  softplus: { doc: 'log(1 + e^x): a smooth version of relu.' },
  softsign: { doc: 'x / (1 + |x|): like tanh with gentler tails.' },
  swish: { doc: 'x · sigmoid(x) (also called SiLU): smooth, non-monotonic.' },
  gelu: { doc: 'Gaussian error linear unit: x · Φ(x), the exact form (Keras approximate=False).' },
  hard_sigmoid: { doc: 'Piecewise-linear approximation of sigmoid: cheap to compute.', tfjsName: 'hardSigmoid' },
  relu6: { doc: 'relu capped at 6: min(max(0, x), 6).' },
  mish: { doc: 'x · tanh(softplus(x)): smooth, non-monotonic.' },
  silu: { doc: 'x · sigmoid(x): Keras 3 name of swish.', tfjsName: 'swish' },
  leaky_relu: {
    doc: `x for x > 0, ${LEAKY_RELU_SLOPE} · x below: relu that keeps a small gradient (the LeakyReLU layer's default slope is 0.3).`,
  },
  exponential: { doc: 'e^x: a positive output, e.g. a rate for a Poisson loss.' },
  log_softmax: { doc: 'The logarithm of softmax over the last axis: x − logsumexp(x).' },
  hard_silu: { doc: "x · relu6(x + 3) / 6: a cheap swish (Keras 3's hard_sigmoid inside; MobileNetV3's hard_swish)." },
  hard_swish: { doc: 'Another Keras 3 name of hard_silu: x · relu6(x + 3) / 6.' },
};

/** The activations tfjs lacks, which the worker registers with it (`keras-activations.ts`): Keras's formulas. */
export const REGISTERED_ACTIVATIONS = ['leaky_relu', 'exponential', 'log_softmax', 'hard_silu', 'hard_swish'] as const;

export const ACTIVATION_NAMES: readonly string[] = Object.keys(ACTIVATIONS);

/** The identifier to pass to tfjs-layers for a Keras activation name. */
export function tfjsActivation(name: string): string {
  return ACTIVATIONS[name]?.tfjsName ?? name;
}
