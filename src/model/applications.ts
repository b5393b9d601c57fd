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
export type ApplicationResult = { definition: ModelDefinition; pretrained: boolean } | { error: string; arg?: string };

interface Application {
  /** The model's default name (`name=`). */
  name: string;
  /** The input side Keras defaults to with the top, and the smallest it accepts. */
  defaultSize: number;
  minSize: number;
  /** Arguments this constructor takes besides the common ones. */
  extraArgs?: readonly string[];
  /** The layers from the input to the last feature map (`g.last`), given the validated arguments. */
  features(g: GraphBuilder, args: ApplicationArgs): ShapeProblem | undefined;
  /** The classifier on top (include_top=True). */
  top(g: GraphBuilder, classes: number, activation: string): void;
}

type ShapeProblem = { error: string; arg?: string };

/** Arguments every application takes (Keras's signatures). */
const COMMON = [
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
    features(g) {
      const filters = [64, 128, 256, 512, 512];
      perBlock.forEach((count, b) => {
        for (let k = 1; k <= count; k++) g.add(conv(`block${b + 1}_conv${k}`, filters[b]));
        g.add({ type: 'MaxPooling2D', name: `block${b + 1}_pool`, pool_size: [2, 2], strides: [2, 2] });
      });
      return undefined;
    },
    top(g, classes, activation) {
      g.add({ type: 'Flatten', name: 'flatten' });
      g.add({ type: 'Dense', name: 'fc1', units: 4096, activation: 'relu' });
      g.add({ type: 'Dense', name: 'fc2', units: 4096, activation: 'relu' });
      g.add({ type: 'Dense', name: 'predictions', units: classes, activation });
    },
  };
}

export const APPLICATIONS: Readonly<Record<string, Application>> = {
  VGG16: vgg([2, 2, 3, 3, 3], 'vgg16'),
  VGG19: vgg([2, 2, 4, 4, 4], 'vgg19'),
};

/** The modules Keras exports each application from as well (`keras.applications.vgg16.VGG16`). */
export const APPLICATION_MODULES: Readonly<Record<string, string>> = {
  VGG16: 'vgg16',
  VGG19: 'vgg19',
};

/** The application a canonical Python name stands for (`keras.applications.VGG16`, `…vgg16.VGG16`), if any. */
export function applicationOf(name: string): string | undefined {
  const m = /^keras\.applications\.(?:(\w+)\.)?(\w+)$/.exec(name);
  if (!m || !Object.prototype.hasOwnProperty.call(APPLICATIONS, m[2])) return undefined;
  return m[1] === undefined || APPLICATION_MODULES[m[2]] === m[1] ? m[2] : undefined;
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
  const name = args.name ?? app.name;
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
  if (typeof name !== 'string' || name === '') return { error: 'name must be a string', arg: 'name' };
  const shape = inputShape(app, args.input_shape, includeTop, weights);
  if ('error' in shape) return shape;

  const g = new GraphBuilder();
  g.input(shape.shape);
  const problem = app.features(g, args);
  if (problem) return problem;
  if (includeTop) app.top(g, classes as number, activation === null ? 'linear' : (activation as string));
  else if (pooling === 'avg') g.add({ type: 'GlobalAveragePooling2D' });
  else if (pooling === 'max') g.add({ type: 'GlobalMaxPooling2D' });
  return { definition: { name, layers: g.layers, outputs: g.last }, pretrained: weights !== null };
}

/** The names of the arguments `type`'s constructor takes. */
export function applicationArgs(type: string): readonly string[] {
  return [...COMMON, ...(APPLICATIONS[type]?.extraArgs ?? [])];
}

/**
 * Keras's obtain_input_shape: with the top and ImageNet weights only the default size; otherwise a given shape of
 * three dimensions (3 channels with ImageNet weights, each side at least the minimum). Without a shape Keras takes
 * (None, None, 3) unless the top needs the default: a size Model Lab cannot compute shapes for.
 */
function inputShape(
  app: Application,
  given: unknown,
  includeTop: boolean,
  weights: string | null,
): { shape: number[] } | ShapeProblem {
  const d = app.defaultSize;
  const fixed = [d, d, 3];
  if (given === undefined || given === null) {
    if (includeTop) return { shape: fixed };
    return {
      error: `without the top, ${app.name}'s input size is only known from input_shape; give e.g. input_shape=(${d}, ${d}, 3)`,
      arg: 'input_shape',
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
