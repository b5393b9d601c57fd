/**
 * Keras activations TensorFlow.js has no class for, registered with the tfjs instance that builds the model, so that
 * `activation: 'leaky_relu'` works on any layer as it does in Keras (`keras.activations.leaky_relu`, slope 0.2, the
 * activation TensorFlow's tutorials name in a layer). tfjs looks an activation string up among its registered
 * classes; the class's `apply` is what the layer computes and differentiates.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { LEAKY_RELU_SLOPE } from '../../model/activations';
import type { TF } from './engine';

const registered = new WeakSet<object>();

/** Registers the activations once per tfjs instance (each backend selection may bring its own). */
export function registerKerasActivations(tf: TF): void {
  if (registered.has(tf.serialization)) return;
  registered.add(tf.serialization);
  class LeakyRelu extends tf.serialization.Serializable {
    static className = 'leaky_relu';
    override getClassName(): string {
      return LeakyRelu.className;
    }
    apply(x: tfjs.Tensor): tfjs.Tensor {
      return tf.leakyRelu(x, LEAKY_RELU_SLOPE);
    }
    getConfig(): tfjs.serialization.ConfigDict {
      return {};
    }
  }
  tf.serialization.registerClass(LeakyRelu);
}
