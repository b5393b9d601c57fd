/**
 * Keras's MultiHeadAttention on TensorFlow.js, which has none: a tfjs layer with Keras's eight weights in Keras's
 * order (query, key, value and attention_output kernels of shapes (d, heads, key_dim), …, (heads, value_dim, out),
 * each followed by its bias) and Keras's computation for (batch, steps, features) inputs:
 *   Q = (query·Wq + bq) / √key_dim, K = key·Wk + bk, V = value·Wv + bv, per head;
 *   scores = softmax(Q·Kᵀ over the key steps), with −1e9 added where a causal mask hides a step (Keras's masked
 *   softmax); while training, dropout on the scores (drawn from the run's seeded generator, `forward.ts`);
 *   output = (scores·V, heads joined)·Wo + bo.
 * Written with matMul, reshape and transpose, whose gradients tfjs has. Attention over other axes
 * (`attention_axes`, images) and a tuple `output_shape` are refused by the core (`notTrained`).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { ModelError } from '../model-info';
import type { TF } from './engine';

type Initializer = ReturnType<TF['initializers']['glorotUniform']>;
type Regularizer = ReturnType<TF['regularizers']['l1l2']>;
type Constraint = ReturnType<TF['constraints']['nonNeg']>;

/** The class name forward.ts knows the layer by. */
export const ATTENTION_CLASS = 'ModelLabMultiHeadAttention';

export interface AttentionConfig {
  numHeads: number;
  keyDim: number;
  valueDim: number;
  dropout: number;
  useBias: boolean;
  /** The output's last dimension; the query's when undefined. */
  outputDim?: number;
  useCausalMask: boolean;
  /** tfjs initializers, regularizers and constraints of `kernel` and `bias` (build-model's weightConfig). */
  weights: Record<string, unknown>;
  /** The four kernels' initializers (query, key, value, output), seeded apart so they do not start equal. */
  kernelInitializers: Initializer[];
}

/** The layer's call while training: attention with dropout masks drawn from `rng` (`forward.ts`). */
export interface AttentionLayer extends tfjs.layers.Layer {
  attend(inputs: tfjs.Tensor[], rng?: () => number): tfjs.Tensor;
}

export function attentionLayer(
  tf: TF,
  base: { name: string; trainable: boolean },
  config: AttentionConfig,
): AttentionLayer {
  class MultiHeadAttention extends tf.layers.Layer implements AttentionLayer {
    static className = ATTENTION_CLASS;
    private w: tfjs.LayerVariable[] = [];

    constructor() {
      super(base);
    }

    private roles(shapes: tfjs.Shape | tfjs.Shape[]): [tfjs.Shape, tfjs.Shape, tfjs.Shape] {
      const list = (Array.isArray(shapes[0]) ? shapes : [shapes]) as tfjs.Shape[];
      if (list.length < 2 || list.some((s) => s.length !== 3))
        throw new ModelError(
          `Layer ${this.name}: Model Lab trains MultiHeadAttention on (steps, features) sequences only: a query and a value (and optionally a key) of rank 3 with the batch.`,
        );
      return [list[0], list[1], list[2] ?? list[1]];
    }

    override build(shapes: tfjs.Shape | tfjs.Shape[]): void {
      const [q, v, k] = this.roles(shapes);
      const { numHeads: h, keyDim, valueDim } = config;
      const out = config.outputDim ?? (q[2] as number);
      const init = (w: string) => config.weights[`${w}Initializer`] as Initializer;
      const reg = (w: string) => config.weights[`${w}Regularizer`] as Regularizer | undefined;
      const con = (w: string) => config.weights[`${w}Constraint`] as Constraint | undefined;
      const add = (name: string, shape: number[], w: 'kernel' | 'bias', first: Initializer) =>
        this.w.push(this.addWeight(name, shape, 'float32', first, reg(w), true, con(w)));
      const roles = [
        ['query', [q[2] as number, h, keyDim], [h, keyDim]],
        ['key', [k[2] as number, h, keyDim], [h, keyDim]],
        ['value', [v[2] as number, h, valueDim], [h, valueDim]],
        ['attention_output', [h, valueDim, out], [out]],
      ] as const;
      roles.forEach(([role, kernel, bias], r) => {
        add(`${role}/kernel`, [...kernel], 'kernel', config.kernelInitializers[r]);
        if (config.useBias) add(`${role}/bias`, [...bias], 'bias', init('bias'));
      });
      this.built = true;
    }

    override computeOutputShape(shapes: tfjs.Shape | tfjs.Shape[]): tfjs.Shape {
      const [q] = this.roles(shapes);
      return [q[0], q[1], config.outputDim ?? q[2]];
    }

    override call(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor {
      return this.attend(Array.isArray(inputs) ? inputs : [inputs]);
    }

    attend(inputs: tfjs.Tensor[], rng?: () => number): tfjs.Tensor {
      return tf.tidy(() => {
        const [query, value, key = value] = inputs as tfjs.Tensor3D[];
        const { numHeads: h, keyDim, valueDim, useBias } = config;
        const weights = this.w.map((w) => w.read());
        const next = () => weights.shift()!;
        /** x (batch, steps, d) through kernel (d, h, units) [+ bias (h, units)] → (batch, h, steps, units). */
        const project = (x: tfjs.Tensor3D, units: number) => {
          const [, steps, d] = x.shape;
          const kernel = next();
          let y: tfjs.Tensor = tf.matMul(tf.reshape(x, [-1, d]) as tfjs.Tensor2D, tf.reshape(kernel, [d, h * units]));
          if (useBias) y = tf.add(y, tf.reshape(next(), [h * units]));
          return tf.transpose(tf.reshape(y, [-1, steps, h, units]), [0, 2, 1, 3]) as tfjs.Tensor4D;
        };
        const q = tf.mul(project(query, keyDim), 1 / Math.sqrt(keyDim)) as tfjs.Tensor4D;
        const k = project(key, keyDim);
        const v = project(value, valueDim);
        let scores: tfjs.Tensor = tf.matMul(q, k, false, true);
        if (config.useCausalMask) {
          const [t, s] = [query.shape[1], key.shape[1]];
          const hidden = new Float32Array(t * s);
          for (let i = 0; i < t; i++) for (let j = i + 1; j < s; j++) hidden[i * s + j] = -1e9;
          scores = tf.add(scores, tf.tensor2d(hidden, [t, s]));
        }
        let probs = tf.softmax(scores, -1);
        if (rng && config.dropout > 0) {
          const keep = new Float32Array(probs.size);
          const scale = 1 / (1 - config.dropout);
          for (let i = 0; i < keep.length; i++) keep[i] = rng() >= config.dropout ? scale : 0;
          probs = tf.mul(probs, tf.tensor(keep, probs.shape, 'float32'));
        }
        const heads = tf.matMul(probs as tfjs.Tensor4D, v); // (batch, h, steps, valueDim)
        const steps = query.shape[1];
        const joined = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [-1, h * valueDim]) as tfjs.Tensor2D;
        const kernel = next();
        const out = kernel.shape[2]!;
        let y: tfjs.Tensor = tf.matMul(joined, tf.reshape(kernel, [h * valueDim, out]));
        if (useBias) y = tf.add(y, next());
        return tf.reshape(y, [-1, steps, out]);
      });
    }
  }
  return new MultiHeadAttention();
}

export const isAttention = (layer: tfjs.layers.Layer): layer is AttentionLayer =>
  layer.getClassName() === ATTENTION_CLASS;
