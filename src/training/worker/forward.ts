/**
 * The model's forward pass as training and evaluation need it: the prediction, and for a softmax or sigmoid output
 * layer also its pre-activation (the logits Keras's crossentropies use instead of clipped probabilities). A model
 * compiled with from_logits (`compileOutput`) outputs the logits themselves; the prediction is their softmax/sigmoid.
 *
 * The model keeps its real output activation (so saved weights and `predict` mean what the definition says); the
 * logits are computed beside it from the last layer's own weights, then the activation is applied to them once.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { ModelError } from '../model-info';
import { isAttention } from './attention-layer';
import { fillDropoutMask, type TF } from './engine';
import type { ModelOutput } from './losses';

export type LogitsActivation = 'softmax' | 'sigmoid';

const heads = new WeakMap<tfjs.LayersModel, LogitsActivation | null>();

/**
 * Models compiled with a loss object's `from_logits=True`: their output IS the logits, and the probabilities are
 * this activation of it (softmax, or sigmoid for binary crossentropy: Keras picks it by the loss).
 */
const logitsOutputs = new WeakMap<tfjs.LayersModel, LogitsActivation>();

/**
 * Records how `model` is compiled: with from_logits, `forward` gives its output as the logits and their
 * softmax/sigmoid as the prediction, whatever its last layer is (as Keras's loss takes the output as it is).
 */
export function compileOutput(model: tfjs.LayersModel, fromLogits: LogitsActivation | undefined): void {
  if (fromLogits) logitsOutputs.set(model, fromLogits);
  else logitsOutputs.delete(model);
}

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
export function forward(
  tf: TF,
  model: tfjs.LayersModel,
  x: tfjs.Tensor,
  training: boolean,
  rng?: () => number,
): ModelOutput {
  const fromLogits = logitsOutputs.get(model);
  const head = fromLogits ? undefined : logitsActivation(model);
  const layers = model.layers;
  const body = head ? layers.slice(0, -1) : layers;
  // Keras's masking: an Embedding with mask_zero marks padding (token 0); the mask travels with the tensor to the
  // layers after it (an RNN skips masked steps) until a layer consumes it. Layers are applied one by one here, so
  // the mask is carried by hand.
  const run = (
    layer: tfjs.layers.Layer,
    h: tfjs.Tensor | tfjs.Tensor[],
    mask: tfjs.Tensor | null,
  ): [tfjs.Tensor, tfjs.Tensor | null] => {
    const noise = training && rng && !Array.isArray(h) ? noisy(tf, layer, h, rng) : undefined;
    if (noise) return [noise, mask];
    const out = layer.apply(h, mask ? { training, mask } : { training }) as tfjs.Tensor;
    return [out, Array.isArray(h) ? null : nextMask(layer, h, mask)];
  };
  let h: tfjs.Tensor;
  if (model.getClassName() === 'Sequential') {
    h = x;
    let mask: tfjs.Tensor | null = null;
    for (const layer of body) [h, mask] = run(layer, h, mask);
  } else {
    // A graph: tfjs lists its layers in topological order; each takes the outputs of the layers its node names.
    const outputs = new Map<string, [tfjs.Tensor, tfjs.Tensor | null]>();
    let last: tfjs.Tensor = x;
    for (const layer of body) {
      let result: [tfjs.Tensor, tfjs.Tensor | null];
      if (layer.getClassName() === 'InputLayer') {
        result = [x, null];
      } else {
        const inbound = layer.inboundNodes[0].inboundLayers.map((l) => outputs.get(l.name)!);
        if (isAttention(layer)) {
          // Keras's attention reads its inputs' masks (query_mask, value_mask); Model Lab's does not model them.
          if (inbound.some(([, m]) => m))
            throw new ModelError(
              `Layer ${layer.name}: Model Lab cannot train MultiHeadAttention on a masked sequence (an Embedding with mask_zero before it) yet.`,
            );
          const out = layer.attend(
            inbound.map(([t]) => t),
            training ? rng : undefined,
          );
          outputs.set(layer.name, [out, null]);
          last = out;
          continue;
        }
        result =
          inbound.length === 1
            ? run(layer, inbound[0][0], inbound[0][1])
            : run(
                layer,
                inbound.map((t) => t[0]),
                null,
              );
      }
      outputs.set(layer.name, result);
      last = result[0];
    }
    h = head ? outputs.get(layers[layers.length - 1].inboundNodes[0].inboundLayers[0].name)![0] : last;
  }
  if (fromLogits) {
    return { output: fromLogits === 'softmax' ? tf.softmax(h, -1) : tf.sigmoid(h), logits: h, modelOutput: h };
  }
  if (!head) return { output: h };
  const lastLayer = layers[layers.length - 1];
  const logits = lastLayer.getClassName() === 'Dense' ? denseLinear(tf, lastLayer, h) : h;
  return { output: head === 'softmax' ? tf.softmax(logits, -1) : tf.sigmoid(logits), logits };
}

/** The mask after `layer`: an Embedding's own (mask_zero), else the input's carried on, or none once consumed. */
function nextMask(layer: tfjs.layers.Layer, input: tfjs.Tensor, mask: tfjs.Tensor | null): tfjs.Tensor | null {
  if (!mask && layer.getClassName() !== 'Embedding') return null;
  try {
    const next = layer.computeMask(input, mask ?? undefined);
    return Array.isArray(next) ? null : (next ?? null);
  } catch {
    // A layer that does not support masking drops it (Keras would refuse the model; the core lets it through).
    return null;
  }
}

/**
 * The training-time randomness of Dropout (and its spatial forms, whose noise shape shares one draw over steps or
 * pixels), GaussianNoise, GaussianDropout and AlphaDropout, drawn from the run's seeded generator so a run seed replays exactly.
 * Undefined for any other layer.
 */
function noisy(tf: TF, layer: tfjs.layers.Layer, h: tfjs.Tensor, rng: () => number): tfjs.Tensor | undefined {
  const kind = layer.getClassName();
  if (kind === 'Dropout' || kind === 'SpatialDropout1D') {
    const config = layer.getConfig();
    const rate = (config.rate as number) ?? 0;
    if (rate <= 0) return h;
    const noise =
      kind === 'SpatialDropout1D' ? [null, 1, null] : (config.noiseShape as (number | null)[] | null | undefined);
    const shape = noise ? noise.map((d, i) => d ?? h.shape[i]!) : h.shape;
    return tf.mul(h, dropoutMask(tf, shape, rate, rng));
  }
  if (kind === 'GaussianNoise') {
    const stddev = Number(layer.getConfig().stddev);
    return tf.add(h, tf.mul(normal(tf, h.shape, rng), stddev));
  }
  if (kind === 'AlphaDropout') {
    const rate = Number(layer.getConfig().rate);
    if (!(rate > 0 && rate < 1)) return h;
    return alphaDropout(tf, h, rate, rng);
  }
  if (kind === 'GaussianDropout') {
    const rate = Number(layer.getConfig().rate);
    if (rate <= 0) return h;
    return tf.mul(h, tf.add(tf.mul(normal(tf, h.shape, rng), Math.sqrt(rate / (1 - rate))), 1));
  }
  return undefined;
}

/** SELU's negative saturation value, −α·λ (Keras's α and λ to double precision): where AlphaDropout puts what it drops. */
export const ALPHA_DROPOUT_SATURATION = -1.6732632423543772 * 1.0507009873554805;

/**
 * Keras's AlphaDropout while training: each value is kept with probability 1 − rate, else set to −α·λ; then `a·x + b`
 * with `a = ((1 − rate)(1 + rate·(α·λ)²))^−½`, `b = −a·(−α·λ)·rate`, which keeps zero mean and unit variance.
 */
export function alphaDropout(tf: TF, h: tfjs.Tensor, rate: number, rng: () => number): tfjs.Tensor {
  const p = ALPHA_DROPOUT_SATURATION;
  const kept = new Float32Array(h.size);
  for (let i = 0; i < kept.length; i++) kept[i] = rng() >= rate ? 1 : 0;
  const a = ((1 - rate) * (1 + rate * p * p)) ** -0.5;
  const b = -a * p * rate;
  const keep = tf.tensor(kept, h.shape, 'float32');
  const x = tf.add(tf.mul(h, keep), tf.mul(tf.sub(1, keep), p));
  return tf.add(tf.mul(x, a), b);
}

/** Standard normal values by Box–Muller from the seeded generator. */
function normal(tf: TF, shape: number[], rng: () => number): tfjs.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng()));
    const t = 2 * Math.PI * rng();
    out[i] = r * Math.cos(t);
    if (i + 1 < size) out[i + 1] = r * Math.sin(t);
  }
  return tf.tensor(out, shape, 'float32');
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
