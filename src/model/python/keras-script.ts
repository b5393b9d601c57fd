/**
 * A definition written out as a runnable Keras script: the same data, split, model, optimizer and training, so a
 * result from Model Lab can be reproduced (and continued) in Python. With a `compare` section the script loops over
 * the same runs Model Lab trains, building a fresh model for each.
 */
import { posix, relative, resolve, sep } from 'node:path';
import { analyzeDefinition } from '../analyze';
import type { Graph } from '../graph';
import { layerNames } from '../infer';
import { expandComparison, compareRepeats } from '../compare';
import { layerDef } from '../layers/registry';
import { LOSS_CLASSES, LOSSES, normalizeLoss, type LossName } from '../losses';
import { effectiveOptimizer } from '../optimizers';
import { pathKey } from '../paths';
import { isNumpyDataset } from '../datasets';
import type { DatasetObject, LayerSpec, ModelDefinition, OptimizerSpec, Range } from '../types';
import { pyCall, pyComment, pyLiteral, pyName } from './python-literal';
import { callbacksArg, scheduleCall, setTrainedWeightsLines } from './keras-trained';
import { SCHEDULE_KEY } from '../optimizers';

export interface KerasScriptOptions {
  /** The model file the definition came from, named in the script's docstring. */
  source?: string;
  /** Folder the definition's relative data paths resolve against (the model file's folder). */
  baseDir?: string;
  /** Folder the script is written to; data paths are written relative to it. */
  outDir?: string;
  /** A run's trained weights (`weights.npz`, relative to outDir or absolute): the script loads them instead of training. */
  trainedWeights?: string;
}

/** Model Lab's defaults where the definition says nothing (src/training: DEFAULT_SEED, DEFAULT_SPLIT_SEED). */
const DEFAULT_SEED = 42;
const DEFAULT_VALIDATION_SPLIT = 0.2;
const FIT_DEFAULTS: Record<string, unknown> = { epochs: 1, batch_size: 32, shuffle: true };
const SAMPLE_TRAIN = 3000;
const SAMPLE_TEST = 1000;

const NO_RANGES = { values: new Map<string, Range>(), keys: new Map<string, Range>() };
const ZERO: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** An expression for a definition value, given its path; a comparison swaps in `variant.get(...)` where runs differ. */
type ValueOf = (path: string, value: unknown, tuples?: boolean) => string;

export function toKerasScript(def: ModelDefinition, opts: KerasScriptOptions = {}): string {
  const { compare: _compare, ...base } = def;
  const analysis = analyzeDefinition(base, NO_RANGES, ZERO);
  const loss = def.compile?.loss ?? analysis.loss;
  const data = dataSection(def, opts, LOSSES[normalizeLoss(loss)]?.classification ?? true);
  const fitSeed = def.fit?.seed ?? DEFAULT_SEED;
  const lines: string[] = [];
  // User text (the model's name, the file name) goes into comments only, never into a docstring it could close.
  const title = def.name ? `${def.name}: a` : 'A';
  lines.push(
    pyComment(`# ${title} Keras script exported by Model Lab${opts.source ? ` from ${opts.source}` : ''}.`),
    '#',
    '# Run it with TensorFlow 2 installed: python <this file>',
    ...data.imports,
    '',
    `SEED = ${pyLiteral(fitSeed)}  # weight initialisation and batch shuffling (fit.seed)`,
    `SPLIT_SEED = ${pyLiteral(dataObject(def).seed ?? DEFAULT_SEED)}  # which training examples are held out for validation`,
    `VALIDATION_SPLIT = ${pyLiteral(dataObject(def).validation_split ?? DEFAULT_VALIDATION_SPLIT)}`,
    '',
    ...data.load,
    '',
    "# Model Lab holds out VALIDATION_SPLIT of the training set, picked by a seeded shuffle. Keras's",
    '# validation_split takes the last rows instead, so shuffle once first: the split is then random and',
    "# repeatable, though not the very same rows as Model Lab's.",
    'order = np.random.default_rng(SPLIT_SEED).permutation(len(x_train))',
    'x_train, y_train = x_train[order], y_train[order]',
    '',
  );

  const metrics = def.compile?.metrics ?? (LOSSES[loss]?.classification ? ['accuracy'] : undefined);
  const inputShape = def.layers[0]?.input_shape ?? analysis.inputShape;
  lines.push(...nestedBuilders(def.layers));

  if (!def.compare) {
    const literal: ValueOf = (_p, v, tuples) => pyLiteral(v, tuples);
    lines.push(
      'keras.utils.set_random_seed(SEED)',
      ...(analysis.graph
        ? functional(def, analysis.graph, literal, '', 'model = ')
        : [`model = ${sequential(def, inputShape, literal, '')}`]),
      'model.summary()',
      '',
      pyCall(
        'model.compile',
        [
          `optimizer=${optimizerCall(def.compile?.optimizer)}`,
          `loss=${lossArg(def, loss) ?? pyLiteral(loss)}`,
          ...(metrics ? [`metrics=${pyLiteral(metrics)}`] : []),
        ],
        '',
      ),
      ...(opts.trainedWeights
        ? [
            ...setTrainedWeightsLines(opts.trainedWeights),
            `# To train further: history = ${pyCall('model.fit', fitArgs(def, literal, 'VALIDATION_SPLIT'), '')}`,
          ]
        : [`history = ${pyCall('model.fit', fitArgs(def, literal, 'VALIDATION_SPLIT'), '')}`]),
      ...evaluateLines(data.hasTest, ''),
    );
    return lines.join('\n') + '\n';
  }

  // Comparison: one dict per run, holding the optimizer constructor and the definition paths the run overrides.
  const plans = expandComparison(def);
  const overridden = new Set<string>();
  for (const p of plans) for (const k of Object.keys(p.variant.set)) if (k !== 'compile.optimizer') overridden.add(k);
  const inVariant = (path: string) => overridden.has(path);
  const variantValue: ValueOf = (path, v, tuples) =>
    inVariant(path) ? `variant.get(${pyLiteral(path)}, ${pyLiteral(v, tuples)})` : pyLiteral(v, tuples);
  const unsupported = [...overridden].filter((k) => !supportedOverride(k));

  lines.push('VARIANTS = [');
  for (const p of plans) {
    const entries = [
      `"label": ${pyLiteral(p.label)}`,
      `"optimizer": lambda: ${optimizerCall(p.definition.compile?.optimizer)}`,
    ];
    for (const [k, v] of Object.entries(p.variant.set)) {
      if (k !== 'compile.optimizer' && supportedOverride(k))
        entries.push(`${pyLiteral(k)}: ${pyLiteral(v, isShapeArg(k))}`);
    }
    const flat = `    {${entries.join(', ')}},`;
    lines.push(flat.length <= 100 ? flat : `    {\n${entries.map((e) => `        ${e},`).join('\n')}\n    },`);
  }
  lines.push(']', `REPEATS = ${compareRepeats(def)}`, '');
  if (unsupported.length > 0) {
    lines.push(
      pyComment(`# Not reproduced here (this script keeps the base definition's values): ${unsupported.join(', ')}.`),
      '',
    );
  }
  lines.push(
    '',
    'def build_model(variant):',
    '    """A fresh, untrained model with the variant\'s layer overrides."""',
    ...(analysis.graph
      ? functional(def, analysis.graph, variantValue, '    ', 'return ', overridden)
      : [`    return ${sequential(def, inputShape, variantValue, '    ', overridden)}`]),
    '',
    '',
    'results = {}',
    'for variant in VARIANTS:',
    '    for repeat in range(REPEATS):',
    `        keras.utils.set_random_seed(${inVariant('fit.seed') ? 'variant.get("fit.seed", SEED)' : 'SEED'} + repeat)  # as Model Lab seeds repeats`,
    '        model = build_model(variant)',
    `        ${pyCall(
      'model.compile',
      [
        'optimizer=variant["optimizer"]()',
        `loss=${(!inVariant('compile.loss') && lossArg(def, loss)) || variantValue('compile.loss', loss)}`,
        ...(metrics || inVariant('compile.metrics')
          ? [`metrics=${variantValue('compile.metrics', metrics ?? null)}`]
          : []),
      ],
      '        ',
    )}`,
    `        history = ${pyCall('model.fit', fitArgs(def, variantValue, inVariant('dataset.validation_split') ? 'variant.get("dataset.validation_split", VALIDATION_SPLIT)' : 'VALIDATION_SPLIT'), '        ')}`,
    '        label = variant["label"] if REPEATS == 1 else f"{variant[\'label\']} #{repeat + 1}"',
    '        results[label] = history.history',
    ...evaluateLines(data.hasTest, '        ', 'label'),
    '',
    'for label, logs in results.items():',
    '    print(label, {name: round(values[-1], 4) for name, values in logs.items()})',
  );
  return lines.join('\n') + '\n';
}

/** The loss object Keras needs for `from_logits` (`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`). */
function lossArg(def: ModelDefinition, loss: string): string | undefined {
  const cls = LOSS_CLASSES[normalizeLoss(loss) as LossName];
  return def.compile?.from_logits === true && cls ? `keras.losses.${cls}(from_logits=True)` : undefined;
}

function dataObject(def: ModelDefinition): DatasetObject {
  return typeof def.dataset === 'string' ? { name: def.dataset } : (def.dataset ?? {});
}

/** Overrides the loop can apply: layer arguments, loss, metrics, fit settings and the validation split. */
function supportedOverride(path: string): boolean {
  return (
    /^layers\[\d+\]\.\w+$/.test(path) ||
    [
      'compile.loss',
      'compile.metrics',
      'fit.epochs',
      'fit.batch_size',
      'fit.shuffle',
      'fit.seed',
      'dataset.validation_split',
    ].includes(path)
  );
}

/** Layer arguments Keras takes as tuples. */
function isShapeArg(path: string): boolean {
  return /(^|\.)(input_shape|target_shape|kernel_size|strides|pool_size|dilation_rate|noise_shape|size|padding|cropping|dims|shape)$/.test(
    path,
  );
}

function sequential(
  def: ModelDefinition,
  inputShape: (number | null)[] | undefined,
  value: ValueOf,
  indent: string,
  overridden?: ReadonlySet<string>,
): string {
  const inner = indent + '        ';
  const items: string[] = [];
  if (inputShape) items.push(`keras.Input(shape=${pyLiteral(inputShape, true)})`);
  def.layers.forEach((layer, i) => {
    // An InputLayer first is the keras.Input above.
    if (!(i === 0 && layer.type === 'InputLayer')) items.push(layerCall(layer, i, value, inner, overridden));
  });
  const args = [`[\n${items.map((s) => `${inner}${s},`).join('\n')}\n${indent}    ]`];
  if (def.name) args.push(`name=${pyLiteral(def.name)}`);
  return `keras.Sequential(\n${indent}    ${args.join(`,\n${indent}    `)},\n${indent})`;
}

/** Names the script itself uses, which a layer's tensor variable must not take. */
const SCRIPT_NAMES = new Set([
  'keras',
  'np',
  'tf',
  'model',
  'history',
  'variant',
  'results',
  'label',
  'logs',
  'order',
  'build_model',
  'x_train',
  'y_train',
  'x_test',
  'y_test',
]);
const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);

/**
 * A graph definition as Keras functional code: one `name = keras.layers.X(..., name="name")(inputs)` line per layer
 * in topological order (names passed so the summary's "Connected to" matches), then `keras.Model(inputs, outputs)`.
 */
function functional(
  def: ModelDefinition,
  graph: Graph,
  value: ValueOf,
  indent: string,
  assign: string,
  overridden?: ReadonlySet<string>,
): string[] {
  const names = layerNames(def.layers);
  const vars = new Map<number, string>();
  const used = new Set<string>();
  const variable = (i: number): string => {
    let v = names[i].replace(/\W/g, '_').replace(/^(\d)/, '_$1');
    if (SCRIPT_NAMES.has(v) || PY_KEYWORDS.has(v)) v = `${v}_`;
    while (used.has(v)) v = `${v}_`;
    used.add(v);
    return v;
  };
  const lines: string[] = [];
  for (const i of graph.topological) {
    const layer = def.layers[i];
    const v = variable(i);
    vars.set(i, v);
    if (layer.type === 'InputLayer') {
      const shape = layer.shape ?? layer.input_shape;
      const args = [
        `shape=${pyLiteral(shape, true)}`,
        `name=${pyLiteral(names[i])}`,
        ...(layer.dtype !== undefined ? [`dtype=${pyLiteral(layer.dtype)}`] : []),
      ];
      lines.push(`${indent}${v} = ${pyCall('keras.Input', args, indent)}`);
      continue;
    }
    const inputs = graph.inbound[i].map((j) => vars.get(j)!);
    const call = layerCall({ ...layer, name: names[i] }, i, value, indent, overridden);
    // Attention is called on its query, value and key one by one; a merge on a list. Call arguments come after.
    const d = layerDef(layer.type);
    const given = [
      ...(d?.callInputs ? inputs : [inputs.length === 1 ? inputs[0] : `[${inputs.join(', ')}]`]),
      ...(d?.callArgs ?? [])
        .filter((a) => layer[a] !== undefined)
        .map((a) => `${pyName(a, 'the layer argument')}=${value(pathKey(['layers', i, a]), layer[a], false)}`),
    ];
    lines.push(`${indent}${v} = ${call}(${given.join(', ')})`);
  }
  const list = (ix: number[]) => (ix.length === 1 ? vars.get(ix[0])! : `[${ix.map((i) => vars.get(i)).join(', ')}]`);
  const args = [
    `inputs=${list(graph.inputs)}`,
    `outputs=${list(graph.outputs)}`,
    ...(def.name ? [`name=${pyLiteral(def.name)}`] : []),
  ];
  lines.push(`${indent}${assign}${pyCall('keras.Model', args, indent)}`);
  return lines;
}

/** The builder function each Functional model used as a layer gets (`build_vgg16`), by its layer spec. */
const builders = new WeakMap<LayerSpec, string>();

/**
 * A Functional model used as a layer is written as a function building it (`def build_vgg16(): … return
 * keras.Model(…)`), before the model that uses it, inner ones first; a Sequential one is written inline.
 */
function nestedBuilders(layers: readonly LayerSpec[], used = new Set<string>(), depth = 0): string[] {
  const lines: string[] = [];
  if (depth > 20) return lines;
  for (const layer of layers) {
    if (layer?.type !== 'Functional' && layer?.type !== 'Sequential') continue;
    const inner = (layer as { layers?: LayerSpec[] }).layers ?? [];
    lines.push(...nestedBuilders(inner, used, depth + 1));
    if (layer.type !== 'Functional') continue;
    const def: ModelDefinition = {
      layers: inner,
      ...(layer.outputs !== undefined ? { outputs: layer.outputs as string | string[] } : {}),
      ...(typeof layer.name === 'string' ? { name: layer.name } : {}),
    };
    const graph = analyzeDefinition(def, NO_RANGES, ZERO).graph;
    if (!graph) continue;
    let fn = `build_${String(layer.name ?? 'model').replace(/\W/g, '_')}`;
    while (used.has(fn) || SCRIPT_NAMES.has(fn)) fn = `${fn}_`;
    used.add(fn);
    builders.set(layer, fn);
    const literal: ValueOf = (_p, v, tuples) => pyLiteral(v, tuples);
    lines.push(`def ${fn}():`, ...functional(def, graph, literal, '    ', 'return '), '', '');
  }
  return lines;
}

/** `keras.layers.Dense(100, activation="relu")`: required arguments positionally, as the Keras docs write them. */
function layerCall(
  layer: LayerSpec,
  index: number,
  value: ValueOf,
  indent: string,
  overridden?: ReadonlySet<string>,
): string {
  if (layer.type === 'Sequential' || layer.type === 'Functional') return nestedCall(layer, indent);
  const spec = layerDef(layer.type);
  const at = (arg: string) => pathKey(['layers', index, arg]);
  const args: string[] = [];
  // `inputs` is the graph's wiring, not a constructor argument.
  const done = new Set(['type', 'inputs', ...(spec?.callArgs ?? []), ...(index === 0 ? ['input_shape'] : [])]);
  // A wrapped layer (Bidirectional(LSTM(64))) is a constructor call of its own.
  const nested: ValueOf = (path, v, tuples) =>
    spec?.wraps && path === at(spec.wraps) && v && typeof v === 'object'
      ? layerCall(v as LayerSpec, -1, (_p, w, t) => pyLiteral(w, t), indent)
      : value(path, v, tuples);
  for (const arg of spec?.positionalArgs ?? []) {
    if (!spec?.required.includes(arg) || layer[arg] === undefined) break;
    args.push(nested(at(arg), layer[arg], isShapeArg(arg)));
    done.add(arg);
  }
  for (const [arg, v] of Object.entries(layer)) {
    if (done.has(arg)) continue;
    args.push(`${pyName(arg, 'the layer argument')}=${nested(at(arg), v, isShapeArg(arg))}`);
    done.add(arg);
  }
  // A comparison may set an argument the base layer leaves at Keras's default: pass it only for those runs.
  if (overridden) {
    const prefix = `layers[${index}].`;
    for (const path of overridden) {
      const arg = path.slice(prefix.length);
      if (!path.startsWith(prefix) || done.has(arg)) continue;
      args.push(`**({${pyLiteral(arg)}: variant[${pyLiteral(path)}]} if ${pyLiteral(path)} in variant else {})`);
    }
  }
  return pyCall(`keras.layers.${pyName(layer.type, 'the layer type')}`, args, indent);
}

/** A model used as a layer: `keras.Sequential([...], name=…)` inline, or its builder's call (`build_vgg16()`). */
function nestedCall(layer: LayerSpec, indent: string): string {
  const frozen = layer.trainable === false;
  const literal: ValueOf = (_p, v, tuples) => pyLiteral(v, tuples);
  let call: string;
  const fn = builders.get(layer);
  if (fn) call = `${fn}()`;
  else {
    const inner = ((layer as { layers?: LayerSpec[] }).layers ?? []).map((l) =>
      layerCall(l, -1, literal, indent + '    '),
    );
    const args = [
      `[${inner.join(', ')}]`,
      ...(typeof layer.name === 'string' ? [`name=${pyLiteral(layer.name)}`] : []),
    ];
    call = pyCall('keras.Sequential', args, indent);
  }
  // `trainable` is set on the model object, as scripts freeze a base model.
  return frozen ? `(lambda m: (setattr(m, "trainable", False), m)[1])(${call})` : call;
}

function optimizerCall(spec: OptimizerSpec | undefined): string {
  const eff = effectiveOptimizer(spec);
  const schedule = scheduleCall(spec);
  const args = Object.entries(eff)
    .filter(([k]) => k !== 'type' && k !== SCHEDULE_KEY)
    .map(([k, v]) =>
      k === 'learning_rate' && schedule
        ? `learning_rate=${schedule}`
        : `${pyName(k, 'the optimizer argument')}=${typeof v === 'number' && Number.isInteger(v) && k !== 'amsgrad' ? `${v}.0` : pyLiteral(v)}`,
    );
  return `keras.optimizers.${pyName(eff.type, 'the optimizer')}(${args.join(', ')})`;
}

function fitArgs(def: ModelDefinition, value: ValueOf, validation: string): string[] {
  const fit = def.fit ?? {};
  const args = ['x_train', 'y_train'];
  for (const key of ['epochs', 'batch_size', 'shuffle']) {
    const given = (fit as Record<string, unknown>)[key];
    const expr = value(`fit.${key}`, given ?? FIT_DEFAULTS[key]);
    // Leave Keras's defaults out unless set, but always show how long it trains.
    if (given === undefined && expr === pyLiteral(FIT_DEFAULTS[key]) && key !== 'epochs') continue;
    args.push(`${key}=${expr}`);
  }
  args.push(`validation_split=${validation}`);
  const callbacks = callbacksArg(def);
  if (callbacks) args.push(callbacks);
  return args;
}

function evaluateLines(hasTest: boolean, indent: string, label?: string): string[] {
  if (!hasTest) return [];
  return [
    `${indent}scores = model.evaluate(x_test, y_test, verbose=0, return_dict=True)`,
    `${indent}print(${label ? `${label}, ` : ''}"test:", {name: round(value, 4) for name, value in scores.items()})`,
  ];
}

interface DataSection {
  imports: string[];
  load: string[];
  hasTest: boolean;
}

function dataSection(def: ModelDefinition, opts: KerasScriptOptions, classification: boolean): DataSection {
  const ds = dataObject(def);
  const where = (p: string) => {
    const abs = resolve(opts.baseDir ?? '.', p);
    const rel = relative(resolve(opts.outDir ?? opts.baseDir ?? '.'), abs)
      .split(sep)
      .join(posix.sep);
    return rel.startsWith('/') ? pyLiteral(rel) : `Path(__file__).resolve().parent / ${pyLiteral(rel || '.')}`;
  };
  if (ds.csv !== undefined) {
    return {
      imports: [
        'from pathlib import Path',
        '',
        'import numpy as np',
        'import pandas as pd',
        'from tensorflow import keras',
      ],
      load: [
        `data = pd.read_csv(${where(ds.csv)})`,
        `labels = data.pop(${pyLiteral(ds.label ?? 'label')})`,
        ...(classification
          ? [
              '# Like Model Lab: the distinct labels (names, or numbers such as 3, 7, 9) become classes 0, 1, 2, ... in',
              '# sorted order, as sparse_categorical_crossentropy needs.',
              'class_names, y_train = np.unique(labels.to_numpy(), return_inverse=True)',
            ]
          : ['y_train = labels.to_numpy(dtype="float32")  # regression targets, used as they are']),
        'x_train = data.to_numpy(dtype="float32")',
        '# A CSV file has no separate test set: the validation split is the held-out data.',
      ],
      hasTest: false,
    };
  }
  if (ds.path !== undefined && ds.name === undefined) {
    return {
      imports: [
        'import gzip',
        'import struct',
        'from pathlib import Path',
        '',
        'import numpy as np',
        'from tensorflow import keras',
      ],
      load: [
        `DATA_DIR = ${where(ds.path)}`,
        '',
        '',
        'def load_idx(name):',
        '    """One IDX file of DATA_DIR (gzip-compressed or not) as a numpy array."""',
        '    path = DATA_DIR / name',
        '    if not path.exists():',
        '        path = DATA_DIR / (name + ".gz")',
        '    opener = gzip.open if path.suffix == ".gz" else open',
        '    with opener(path, "rb") as f:',
        '        raw = f.read()',
        '    ndim = raw[3]',
        '    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])',
        '    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)',
        '',
        '',
        'x_train, y_train = load_idx("train-images-idx3-ubyte"), load_idx("train-labels-idx1-ubyte")',
        'x_test, y_test = load_idx("t10k-images-idx3-ubyte"), load_idx("t10k-labels-idx1-ubyte")',
        'x_train, x_test = x_train / 255.0, x_test / 255.0',
      ],
      hasTest: true,
    };
  }
  if (isNumpyDataset(ds)) return numpySection(ds, where);
  const name = ds.name ?? 'fashion-mnist'; // Model Lab's default dataset
  const sample = name === 'fashion-mnist-sample';
  const module = sample ? 'fashion_mnist' : name.replace(/-/g, '_');
  if (name === 'imdb' || name === 'reuters') return sequenceSection(ds, module);
  const loadArgs = name === 'cifar100' && ds.label_mode ? `label_mode=${pyLiteral(ds.label_mode)}` : '';
  return {
    imports: ['import numpy as np', 'from tensorflow import keras'],
    load: [
      `(x_train, y_train), (x_test, y_test) = keras.datasets.${pyName(module, 'the dataset')}.load_data(${loadArgs})`,
      ...(sample
        ? [
            `# Model Lab's bundled sample has ${SAMPLE_TRAIN} training and ${SAMPLE_TEST} test images; take as many from the full set.`,
            `x_train, y_train = x_train[:${SAMPLE_TRAIN}], y_train[:${SAMPLE_TRAIN}]`,
            `x_test, y_test = x_test[:${SAMPLE_TEST}], y_test[:${SAMPLE_TEST}]`,
          ]
        : []),
      ...pixelScaling(ds),
    ],
    hasTest: true,
  };
}

/** The pixels multiplied as the definition says: 1/255 by default, `scale` when given (1: the raw 0–255 values). */
function pixelScaling(ds: DatasetObject): string[] {
  if (ds.scale === undefined || Math.abs(ds.scale * 255 - 1) < 1e-12)
    return ['x_train, x_test = x_train / 255.0, x_test / 255.0  # pixels 0-255 to 0-1, as Model Lab scales them'];
  if (ds.scale === 1)
    return ['# The pixels stay 0-255 (dataset.scale 1), as the script this came from trained on them.'];
  return [`x_train, x_test = x_train * ${pyLiteral(ds.scale)}, x_test * ${pyLiteral(ds.scale)}  # dataset.scale`];
}

/** imdb / reuters: load_data with the definition's arguments, then pad_sequences as Model Lab pads. */
function sequenceSection(ds: DatasetObject, module: string): DataSection {
  const keras: [string, unknown][] = [
    ['num_words', ds.num_words],
    ['skip_top', ds.skip_top],
    ['maxlen', ds.filter_maxlen],
    ['test_split', ds.test_split],
    ['seed', ds.shuffle_seed],
    ['start_char', ds.start_char],
    ['oov_char', ds.oov_char],
    ['index_from', ds.index_from],
  ];
  const args = keras.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v === null ? 'None' : pyLiteral(v)}`);
  const pad = [
    `maxlen=${ds.maxlen !== undefined ? pyLiteral(ds.maxlen) : 'MAXLEN'}`,
    ...(['padding', 'truncating', 'value'] as const)
      .filter((k) => ds[k] !== undefined)
      .map((k) => `${k}=${pyLiteral(ds[k])}`),
  ].join(', ');
  return {
    imports: ['import numpy as np', 'from tensorflow import keras'],
    load: [
      `(x_train, y_train), (x_test, y_test) = keras.datasets.${module}.load_data(${args.join(', ')})`,
      ...(ds.maxlen === undefined
        ? [
            '# Without a maxlen Model Lab pads both sets to the longest sequence of either.',
            'MAXLEN = max(len(s) for s in [*x_train, *x_test])',
          ]
        : []),
      `x_train = keras.utils.pad_sequences(x_train, ${pad})`,
      `x_test = keras.utils.pad_sequences(x_test, ${pad})`,
    ],
    hasTest: true,
  };
}

/** The user's NumPy arrays: an .npz archive or .npy files, scaled as the definition says. */
function numpySection(ds: DatasetObject, where: (p: string) => string): DataSection {
  const load: string[] = [];
  const scale = ds.scale !== undefined && ds.scale !== 1 ? ` * ${pyLiteral(ds.scale)}` : '';
  let hasTest: boolean;
  if (ds.npz !== undefined) {
    load.push(`data = np.load(${where(ds.npz)})`);
    const pick = (given: string | undefined, defaults: string[]) =>
      given !== undefined ? pyLiteral(given) : `next(k for k in ${pyLiteral(defaults)} if k in data)`;
    load.push(
      `x_train, y_train = data[${pick(ds.x, ['x_train', 'x'])}]${scale}, data[${pick(ds.y, ['y_train', 'y'])}]`,
    );
    // Model Lab also reads x_test / y_test when the archive has them; the script evaluates on them when named.
    hasTest = ds.x_test !== undefined && ds.y_test !== undefined;
    if (hasTest) load.push(`x_test, y_test = data[${pyLiteral(ds.x_test)}]${scale}, data[${pyLiteral(ds.y_test)}]`);
  } else {
    load.push(`x_train, y_train = np.load(${where(ds.x ?? 'x.npy')})${scale}, np.load(${where(ds.y ?? 'y.npy')})`);
    hasTest = ds.x_test !== undefined && ds.y_test !== undefined;
    if (hasTest) load.push(`x_test, y_test = np.load(${where(ds.x_test!)})${scale}, np.load(${where(ds.y_test!)})`);
  }
  return {
    imports: ['from pathlib import Path', '', 'import numpy as np', 'from tensorflow import keras'],
    load,
    hasTest,
  };
}
