/**
 * The model's forward pass as training and evaluation need it: the prediction, and for a softmax or sigmoid output
 * layer also its pre-activation (the logits Keras's crossentropies use instead of clipped probabilities).
 *
 * The model keeps its real output activation (so saved weights and `predict` mean what the definition says); the
 * logits are computed beside it from the last layer's own weights, then the activation is applied to them once.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { fillDropoutMask, type TF } from './engine';
import type { ModelOutput } from './losses';

export type LogitsActivation = 'softmax' | 'sigmoid';

const heads = new WeakMap<tfjs.LayersModel, LogitsActivation | null>();

/** The activation whose logits Keras caches, when the model's last layer ends with one Model Lab can split off. */
export function logitsActivation(model: tfjs.LayersModel): LogitsActivation | undefined {
  // Asked every step: a layer's config is serialised on each getConfig(), so remember the answer per model.
  let head = heads.get(model);
  if (head === undefined) {
    const last = model.layers[model.layers.length - 1];
    const activation = last && splittable(last) ? last.getConfig().activation : undefined;
    head = activation === 'softmax' || activation === 'sigmoid' ? activation : null;
    heads.set(model, head);
  }
  return head ?? undefined;
}

function splittable(layer: tfjs.layers.Layer): boolean {
  const type = layer.getClassName();
  return type === 'Dense' || type === 'Activation';
}

/**
 * Runs `model` on `x`. In training mode Dropout masks come from `rng` (Keras: keep with probability 1 - rate, scale
 * kept units by 1 / (1 - rate)); BatchNormalization uses batch statistics and updates its moving averages.
 */
export function forward(tf: TF, model: tfjs.LayersModel, x: tfjs.Tensor, training: boolean, rng?: () => number): ModelOutput {
  const head = logitsActivation(model);
  const layers = model.layers;
  const body = head ? layers.slice(0, -1) : layers;
  let h = x;
  for (const layer of body) {
    if (training && rng && layer.getClassName() === 'Dropout') {
      const rate = (layer.getConfig().rate as number) ?? 0;
      if (rate > 0) {
        h = tf.mul(h, dropoutMask(tf, h.shape, rate, rng));
        continue;
      }
    }
    h = layer.apply(h, { training }) as tfjs.Tensor;
  }
  if (!head) return { output: h };
  const last = layers[layers.length - 1];
  const logits = last.getClassName() === 'Dense' ? denseLinear(tf, last, h) : h;
  return { output: head === 'softmax' ? tf.softmax(logits, -1) : tf.sigmoid(logits), logits };
}

/** A Dense layer without its activation: x·kernel + bias over the last axis, from the layer's own variables. */
function denseLinear(tf: TF, layer: tfjs.layers.Layer, x: tfjs.Tensor): tfjs.Tensor {
  // Dense creates its kernel first and its bias (when use_bias) second.
  const [kernel, bias] = layer.weights.map((w) => w.read());
  const units = kernel.shape[1]!;
  const flat = x.rank === 2 ? x : tf.reshape(x, [-1, x.shape[x.rank - 1]!]);
  let z = tf.matMul(flat as tfjs.Tensor2D, kernel as tfjs.Tensor2D) as tfjs.Tensor;
  if (bias) z = tf.add(z, bias);
  return x.rank === 2 ? z : tf.reshape(z, [...x.shape.slice(0, -1), units]);
}

function dropoutMask(tf: TF, shape: number[], rate: number, rng: () => number): tfjs.Tensor {
  const mask = fillDropoutMask(new Float32Array(shape.reduce((a, b) => a * b, 1)), rate, rng);
  return tf.tensor(mask, shape, 'float32');
}
