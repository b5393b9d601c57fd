/**
 * Keras activations TensorFlow.js has no class for, registered with the tfjs instance that builds the model, so that
 * `activation: 'leaky_relu'` works on any layer as it does in Keras (`keras.activations.leaky_relu`, slope 0.2, the
 * activation TensorFlow's tutorials name in a layer), and likewise `exponential`, `log_softmax`, `hard_silu`. tfjs
 * looks an activation string up among its registered classes; the class's `apply` is what the layer computes and
 * differentiates.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { LEAKY_RELU_SLOPE, REGISTERED_ACTIVATIONS } from '../../model/activations';
import type { TF } from './engine';

const registered = new WeakSet<object>();

/** Keras's formulas (keras/src/backend/numpy/nn.py) on tfjs ops, which differentiate them. */
const FORMULAS: Readonly<Record<(typeof REGISTERED_ACTIVATIONS)[number], (tf: TF, x: tfjs.Tensor) => tfjs.Tensor>> = {
  leaky_relu: (tf, x) => tf.leakyRelu(x, LEAKY_RELU_SLOPE),
  exponential: (tf, x) => tf.exp(x),
  log_softmax: (tf, x) => tf.logSoftmax(x, -1),
  hard_silu: (tf, x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)),
  hard_swish: (tf, x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)),
};

/** Registers the activations once per tfjs instance (each backend selection may bring its own). */
export function registerKerasActivations(tf: TF): void {
  if (registered.has(tf.serialization)) return;
  registered.add(tf.serialization);
  for (const name of REGISTERED_ACTIVATIONS) {
    const formula = FORMULAS[name];
    class KerasActivation extends tf.serialization.Serializable {
      static className = name;
      override getClassName(): string {
        return name;
      }
      apply(x: tfjs.Tensor): tfjs.Tensor {
        return formula(tf, x);
      }
      getConfig(): tfjs.serialization.ConfigDict {
        return {};
      }
    }
    tf.serialization.registerClass(KerasActivation);
  }
}
