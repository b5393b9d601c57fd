/**
 * `keras.applications`: the published architectures as Model Lab graph definitions, built from Keras's documented
 * structure (layer types, sizes and Keras's own layer names: `block1_conv1` … `fc1`, `predictions`), with the
 * constructor's arguments (`include_top`, `input_shape`, `pooling`, `classes`, `classifier_activation`, `name`)
 * checked as Keras checks them. Pretrained weights (`weights='imagenet'`) change no shape or count; Model Lab reads
 * them but never loads them (they are Keras .h5 files it cannot download or read), which the trainer says.
 */
import { layerDef } from './layers/registry';
import type { LayerSpec, ModelDefinition } from './types';

export interface ApplicationArgs {
  include_top?: unknown;
  weights?: unknown;
  input_shape?: unknown;
  pooling?: unknown;
  classes?: unknown;
  classifier_activation?: unknown;
  name?: unknown;
  /** MobileNetV2's width multiplier. */
  alpha?: unknown;
}

/** What an application's constructor gives: the model, or Keras's refusal (with the argument to blame). */
export type ApplicationResult =
  { definition: ModelDefinition; pretrained: boolean } | { error: string; arg?: string; unknownSize?: true };

interface Application {
  /** The model's default name (`name=`), from the input shape for some. */
  name: string | ((shape: number[], args: ApplicationArgs) => string);
  /** The input side Keras defaults to with the top (from a given shape for some), and the smallest it accepts. */
  defaultSize: number | ((given: unknown) => number);
  minSize: number;
  /** The constructor's arguments in Keras's positional order. */
  signature: readonly string[];
  /** Keras's refusal of this application's own arguments (MobileNetV2's alpha), if any. */
  check?(args: ApplicationArgs, weights: string | null): ShapeProblem | undefined;
  /** The layers from the input to the last feature map (`g.last`), given the validated arguments. */
  features(g: GraphBuilder, args: ApplicationArgs, shape: number[]): void;
  /** The classifier on top (include_top=True). */
  top(g: GraphBuilder, classes: number, activation: string): void;
  /** The names of the pooling layers `pooling='avg'` / `'max'` add (Keras's default names when absent). */
  poolNames?: { avg: string; max: string };
}

/** `unknownSize`: Keras accepts it (an input of any size), but Model Lab has no shapes to compute. */
type ShapeProblem = { error: string; arg?: string; unknownSize?: true };

/** VGG16's and VGG19's arguments, in Keras's order. */
const VGG_SIGNATURE = [
  'include_top',
  'weights',
  'input_tensor',
  'input_shape',
  'pooling',
  'classes',
  'classifier_activation',
  'name',
];

/** Builds a chain (or graph) of layers, each naming the layer(s) it takes as `inputs`. */
export class GraphBuilder {
  readonly layers: LayerSpec[] = [];
  /** The name of the last layer added. */
  last = '';
  private unnamed = new Map<string, number>();

  input(shape: number[]): string {
    this.layers.push({ type: 'InputLayer', shape });
    // The model's InputLayer takes the session's default name (input_1 in the file's first model); this name is
    // what the model alone calls it, which the Python reader renames with the session's counter.
    this.last = 'input_1';
    return this.last;
  }

  /** Adds `spec` taking `from` (the last layer when omitted); returns its name. */
  add(spec: LayerSpec, from: string | string[] = this.last): string {
    let name = spec.name;
    if (name === undefined) {
      // A layer Keras leaves unnamed (the pooling after the features): its default name, as layerNames gives it.
      const base = layerDef(spec.type)?.defaultName ?? spec.type.toLowerCase();
      const n = this.unnamed.get(base) ?? 0;
      this.unnamed.set(base, n + 1);
      name = n === 0 ? base : `${base}_${n}`;
    }
    this.layers.push({ ...spec, inputs: from });
    this.last = name;
    return name;
  }
}

const conv = (name: string, filters: number, extra: Record<string, unknown> = {}): LayerSpec => ({
  type: 'Conv2D',
  name,
  filters,
  kernel_size: [3, 3],
  activation: 'relu',
  padding: 'same',
  ...extra,
});

/** VGG16 and VGG19: five blocks of 3x3 convolutions (2, 2, 3/4, 3/4, 3/4 of them), each block ending in a 2x2 pool. */
function vgg(perBlock: readonly number[], name: string): Application {
  return {
    name,
    defaultSize: 224,
    minSize: 32,
    signature: VGG_SIGNATURE,
    features(g) {
      const filters = [64, 128, 256, 512, 512];
      perBlock.forEach((count, b) => {
        for (let k = 1; k <= count; k++) g.add(conv(`block${b + 1}_conv${k}`, filters[b]));
        g.add({ type: 'MaxPooling2D', name: `block${b + 1}_pool`, pool_size: [2, 2], strides: [2, 2] });
      });
    },
    top(g, classes, activation) {
      g.add({ type: 'Flatten', name: 'flatten' });
      g.add({ type: 'Dense', name: 'fc1', units: 4096, activation: 'relu' });
      g.add({ type: 'Dense', name: 'fc2', units: 4096, activation: 'relu' });
      g.add({ type: 'Dense', name: 'predictions', units: classes, activation });
    },
  };
}

const BN = (name: string, extra: Record<string, unknown>): LayerSpec => ({
  type: 'BatchNormalization',
  name,
  ...extra,
});

/**
 * ResNet50 (keras.applications.resnet): a 7x7 stem, then 3, 4, 6 and 3 bottleneck blocks (1x1, 3x3, 1x1
 * convolutions, each with BatchNormalization; a 1x1 projection shortcut in each stack's first block) added to
 * their shortcut. Layers are created in Keras's order (the shortcut first).
 */
const ResNet50: Application = {
  name: 'resnet50',
  defaultSize: 224,
  minSize: 32,
  signature: VGG_SIGNATURE.slice(0, -1),
  features(g) {
    const bn = (name: string) => BN(name, { epsilon: 1.001e-5 });
    const relu = (name: string): LayerSpec => ({ type: 'Activation', name, activation: 'relu' });
    g.add({
      type: 'ZeroPadding2D',
      name: 'conv1_pad',
      padding: [
        [3, 3],
        [3, 3],
      ],
    });
    g.add({ type: 'Conv2D', name: 'conv1_conv', filters: 64, kernel_size: 7, strides: 2 });
    g.add(bn('conv1_bn'));
    g.add(relu('conv1_relu'));
    g.add({
      type: 'ZeroPadding2D',
      name: 'pool1_pad',
      padding: [
        [1, 1],
        [1, 1],
      ],
    });
    g.add({ type: 'MaxPooling2D', name: 'pool1_pool', pool_size: 3, strides: 2 });
    const stacks: [number, number, number][] = [
      [64, 3, 1],
      [128, 4, 2],
      [256, 6, 2],
      [512, 3, 2],
    ];
    stacks.forEach(([filters, blocks, stride1], s) => {
      for (let b = 1; b <= blocks; b++) {
        const name = `conv${s + 2}_block${b}`;
        const strides = b === 1 ? stride1 : 1;
        const input = g.last;
        let shortcut = input;
        if (b === 1) {
          g.add({ type: 'Conv2D', name: `${name}_0_conv`, filters: 4 * filters, kernel_size: 1, strides }, input);
          shortcut = g.add(bn(`${name}_0_bn`));
        }
        g.add({ type: 'Conv2D', name: `${name}_1_conv`, filters, kernel_size: 1, strides }, input);
        g.add(bn(`${name}_1_bn`));
        g.add(relu(`${name}_1_relu`));
        g.add({ type: 'Conv2D', name: `${name}_2_conv`, filters, kernel_size: 3, padding: 'same' });
        g.add(bn(`${name}_2_bn`));
        g.add(relu(`${name}_2_relu`));
        g.add({ type: 'Conv2D', name: `${name}_3_conv`, filters: 4 * filters, kernel_size: 1 });
        const main = g.add(bn(`${name}_3_bn`));
        g.add({ type: 'Add', name: `${name}_add` }, [shortcut, main]);
        g.add(relu(`${name}_out`));
      }
    });
  },
  top(g, classes, activation) {
    g.add({ type: 'GlobalAveragePooling2D', name: 'avg_pool' });
    g.add({ type: 'Dense', name: 'predictions', units: classes, activation });
  },
  poolNames: { avg: 'avg_pool', max: 'max_pool' },
};

/** Keras's _make_divisible: `v` rounded to a multiple of `divisor`, never more than 10% below it. */
function makeDivisible(v: number, divisor = 8): number {
  let out = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

const MOBILENET_SIZES = [96, 128, 160, 192, 224];
const MOBILENET_ALPHAS = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4];
/** MobileNetV2's inverted residual blocks: (filters, stride, expansion) for block 0 (expanded_conv) … block_16. */
const MOBILENET_BLOCKS: readonly [number, number, number][] = [
  [16, 1, 1],
  [24, 2, 6],
  [24, 1, 6],
  [32, 2, 6],
  [32, 1, 6],
  [32, 1, 6],
  [64, 2, 6],
  [64, 1, 6],
  [64, 1, 6],
  [64, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [160, 2, 6],
  [160, 1, 6],
  [160, 1, 6],
  [320, 1, 6],
];

const alphaOf = (args: ApplicationArgs) => (typeof args.alpha === 'number' ? args.alpha : 1.0);

/**
 * MobileNetV2 (keras.applications.mobilenet_v2): a strided 3x3 convolution, 17 inverted residual blocks (1x1
 * expansion, 3x3 depthwise, 1x1 projection, each with BatchNormalization, ReLU6 after the first two; added to the
 * block's input when the shape is kept), a 1x1 convolution to 1280 channels; widths scaled by `alpha`.
 */
const MobileNetV2: Application = {
  name: (shape, args) => `mobilenetv2_${alphaOf(args).toFixed(2)}_${shape[0]}`,
  defaultSize: (given) =>
    Array.isArray(given) && given[0] === given[1] && MOBILENET_SIZES.includes(given[0] as number)
      ? (given[0] as number)
      : 224,
  minSize: 32,
  signature: [
    'input_shape',
    'alpha',
    'include_top',
    'weights',
    'input_tensor',
    'pooling',
    'classes',
    'classifier_activation',
    'name',
  ],
  check(args, weights) {
    const alpha = args.alpha ?? 1.0;
    if (typeof alpha !== 'number' || !(alpha > 0)) return { error: 'alpha must be a positive number', arg: 'alpha' };
    if (weights === 'imagenet' && !MOBILENET_ALPHAS.includes(alpha))
      return {
        error: `with weights='imagenet', alpha must be one of 0.35, 0.50, 0.75, 1.0, 1.3 or 1.4 (got ${alpha})`,
        arg: 'alpha',
      };
    return undefined;
  },
  features(g, args, shape) {
    const alpha = alphaOf(args);
    const bn = (name: string) => BN(name, { epsilon: 1e-3, momentum: 0.999 });
    const relu6 = (name: string): LayerSpec => ({ type: 'ReLU', name, max_value: 6 });
    const conv1x1 = (name: string, filters: number): LayerSpec => ({
      type: 'Conv2D',
      name,
      filters,
      kernel_size: 1,
      padding: 'same',
      use_bias: false,
    });
    let [rows, cols] = shape;
    let channels = makeDivisible(32 * alpha);
    g.add({
      type: 'Conv2D',
      name: 'Conv1',
      filters: channels,
      kernel_size: 3,
      strides: 2,
      padding: 'same',
      use_bias: false,
    });
    rows = Math.ceil(rows / 2);
    cols = Math.ceil(cols / 2);
    g.add(bn('bn_Conv1'));
    g.add(relu6('Conv1_relu'));
    MOBILENET_BLOCKS.forEach(([filters, stride, expansion], id) => {
      const input = g.last;
      const pointwise = makeDivisible(Math.trunc(filters * alpha));
      const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`;
      if (id > 0) {
        g.add(conv1x1(`${prefix}expand`, expansion * channels));
        g.add(bn(`${prefix}expand_BN`));
        g.add(relu6(`${prefix}expand_relu`));
      }
      if (stride === 2) {
        // imagenet_utils.correct_pad for a 3x3 window: (0, 1) on an even side, (1, 1) on an odd one.
        const pad = (side: number) => [side % 2, 1];
        g.add({ type: 'ZeroPadding2D', name: `${prefix}pad`, padding: [pad(rows), pad(cols)] });
        rows = Math.ceil(rows / 2);
        cols = Math.ceil(cols / 2);
      }
      g.add({
        type: 'DepthwiseConv2D',
        name: `${prefix}depthwise`,
        kernel_size: 3,
        strides: stride,
        use_bias: false,
        padding: stride === 1 ? 'same' : 'valid',
      });
      g.add(bn(`${prefix}depthwise_BN`));
      g.add(relu6(`${prefix}depthwise_relu`));
      g.add(conv1x1(`${prefix}project`, pointwise));
      const projected = g.add(bn(`${prefix}project_BN`));
      if (channels === pointwise && stride === 1) g.add({ type: 'Add', name: `${prefix}add` }, [input, projected]);
      channels = pointwise;
    });
    g.add({ ...conv1x1('Conv_1', alpha > 1.0 ? makeDivisible(1280 * alpha) : 1280), padding: 'valid' });
    g.add(bn('Conv_1_bn'));
    g.add(relu6('out_relu'));
  },
  top(g, classes, activation) {
    g.add({ type: 'GlobalAveragePooling2D' });
    g.add({ type: 'Dense', name: 'predictions', units: classes, activation });
  },
};

export const APPLICATIONS: Readonly<Record<string, Application>> = {
  VGG16: vgg([2, 2, 3, 3, 3], 'vgg16'),
  VGG19: vgg([2, 2, 4, 4, 4], 'vgg19'),
  ResNet50,
  MobileNetV2,
};

/** The applications Model Lab builds, for messages: `VGG16, VGG19, ResNet50 and MobileNetV2`. */
export const BUILT_APPLICATIONS = Object.keys(APPLICATIONS)
  .join(', ')
  .replace(/, (\w+)$/, ' and $1');

/** The modules Keras exports each application from as well (`keras.applications.vgg16.VGG16`). */
const APPLICATION_MODULES: Readonly<Record<string, readonly string[]>> = {
  VGG16: ['vgg16'],
  VGG19: ['vgg19'],
  ResNet50: ['resnet50', 'resnet'],
  MobileNetV2: ['mobilenet_v2'],
};

/** The application a canonical Python name stands for (`keras.applications.VGG16`, `…vgg16.VGG16`), if any. */
export function applicationOf(name: string): string | undefined {
  const m = /^keras\.applications\.(?:(\w+)\.)?(\w+)$/.exec(name);
  if (!m || !Object.prototype.hasOwnProperty.call(APPLICATIONS, m[2])) return undefined;
  return m[1] === undefined || APPLICATION_MODULES[m[2]].includes(m[1]) ? m[2] : undefined;
}

const show = (v: unknown): string =>
  v === null ? 'None' : typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `(${v.map(show).join(', ')})` : String(v);

/**
 * The application `type` built with `args` (Keras's defaults for the ones not given), or the error Keras raises for
 * them. `input_tensor` is not read (the caller refuses it).
 */
export function buildApplication(type: string, args: ApplicationArgs): ApplicationResult {
  const app = APPLICATIONS[type];
  if (!app) return { error: `Model Lab does not build keras.applications.${type} yet` };
  const includeTop = args.include_top ?? true;
  const weights = args.weights === undefined ? 'imagenet' : args.weights;
  const classes = args.classes ?? 1000;
  const activation = args.classifier_activation === undefined ? 'softmax' : args.classifier_activation;
  const pooling = args.pooling ?? null;
  if (typeof includeTop !== 'boolean') return { error: 'include_top must be True or False', arg: 'include_top' };
  if (weights !== null && typeof weights !== 'string')
    return { error: "weights must be None, 'imagenet' or the path of a weights file", arg: 'weights' };
  if (!Number.isInteger(classes) || (classes as number) < 1)
    return { error: `classes must be a positive integer, got ${show(classes)}`, arg: 'classes' };
  if (weights === 'imagenet' && includeTop && classes !== 1000)
    return {
      error: `with weights='imagenet' and include_top=True, classes must be 1000 (got ${show(classes)}); use weights=None to train ${show(classes)} classes from scratch`,
      arg: 'classes',
    };
  if (activation !== null && typeof activation !== 'string')
    return { error: 'classifier_activation must be the name of an activation or None', arg: 'classifier_activation' };
  if (weights === 'imagenet' && includeTop && activation !== null && activation !== 'softmax')
    return {
      error: `with pretrained weights, classifier_activation can only be None or 'softmax' (got ${show(activation)})`,
      arg: 'classifier_activation',
    };
  if (pooling !== null && pooling !== 'avg' && pooling !== 'max')
    return { error: `pooling must be None, 'avg' or 'max', got ${show(pooling)}`, arg: 'pooling' };
  const own = app.check?.(args, weights);
  if (own) return own;
  const shape = inputShape(type, app, args.input_shape, includeTop, weights);
  if ('error' in shape) return shape;
  const name = args.name ?? (typeof app.name === 'string' ? app.name : app.name(shape.shape, args));
  if (typeof name !== 'string' || name === '') return { error: 'name must be a string', arg: 'name' };

  const g = new GraphBuilder();
  g.input(shape.shape);
  app.features(g, args, shape.shape);
  if (includeTop) app.top(g, classes as number, activation === null ? 'linear' : (activation as string));
  else if (pooling === 'avg' || pooling === 'max') {
    const name = app.poolNames?.[pooling];
    g.add({ type: pooling === 'avg' ? 'GlobalAveragePooling2D' : 'GlobalMaxPooling2D', ...(name ? { name } : {}) });
  }
  return { definition: { name, layers: g.layers, outputs: g.last }, pretrained: weights !== null };
}

/** The names of the arguments `type`'s constructor takes, in Keras's positional order. */
export function applicationArgs(type: string): readonly string[] {
  return APPLICATIONS[type]?.signature ?? [];
}

/**
 * Keras's obtain_input_shape: with the top and ImageNet weights only the default size; otherwise a given shape of
 * three dimensions (3 channels with ImageNet weights, each side at least the minimum). Without a shape Keras takes
 * (None, None, 3) unless the top needs the default: a size Model Lab cannot compute shapes for.
 */
function inputShape(
  type: string,
  app: Application,
  given: unknown,
  includeTop: boolean,
  weights: string | null,
): { shape: number[] } | ShapeProblem {
  const d = typeof app.defaultSize === 'number' ? app.defaultSize : app.defaultSize(given);
  const fixed = [d, d, 3];
  if (given === undefined || given === null) {
    if (includeTop) return { shape: fixed };
    return {
      error: `without the top and an input_shape, ${type} takes images of any size, so its shapes are only known when it runs; give e.g. input_shape=(${d}, ${d}, 3) to see them`,
      arg: 'input_shape',
      unknownSize: true,
    };
  }
  if (!Array.isArray(given) || given.length !== 3)
    return {
      error: `input_shape must be a tuple of 3 integers (height, width, channels), got ${show(given)}`,
      arg: 'input_shape',
    };
  if (given.some((x) => x === null))
    return {
      error: 'an input_shape with None sides has no fixed size for Model Lab to compute shapes with',
      arg: 'input_shape',
      unknownSize: true,
    };
  if (!given.every((x) => Number.isInteger(x) && x > 0))
    return { error: `input_shape must hold positive integers, got ${show(given)}`, arg: 'input_shape' };
  const shape = given as number[];
  if (weights === 'imagenet' && includeTop && shape.some((x, i) => x !== fixed[i]))
    return {
      error: `with include_top=True and weights='imagenet', input_shape must be (${d}, ${d}, 3), got ${show(shape)}`,
      arg: 'input_shape',
    };
  if (weights === 'imagenet' && shape[2] !== 3)
    return { error: `the ImageNet weights take 3 input channels, got ${shape[2]}`, arg: 'input_shape' };
  if (shape[0] < app.minSize || shape[1] < app.minSize)
    return {
      error: `input height and width must be at least ${app.minSize}, got ${show(shape)}`,
      arg: 'input_shape',
    };
  return { shape: [...shape] };
}
