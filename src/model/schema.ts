/**
 * The JSON Schema of `*.model.json`, generated from the layer and optimizer tables so that VS Code's completion
 * (schemas/model.schema.json, the completion-only form written by scripts/gen-schema.ts, see `editorSchema`) and
 * the core's own validation (Ajv, in validate.ts) can never disagree.
 */
import { BUILTIN_DATASETS, DATASET_NAMES, DATASET_OPTION_RULES, DEFAULT_VALIDATION_SPLIT } from './datasets';
import { MAX_SIZE } from './layers/common';
import { COMMON_ARGS, LAYERS, LAYER_TYPES } from './layers/registry';
import type { JsonSchema } from './layers/layer-def';
import { LOSSES, LOSS_ALIASES, LOSS_NAMES } from './losses';
import { COMMON_ARGUMENTS, OPTIMIZERS, OPTIMIZER_ALIASES, OPTIMIZER_TYPES } from './optimizers';
import { ACCURACY_METRICS, CALLBACKS, CALLBACK_TYPES, type CallbackArgKind } from './callbacks';
import { SCHEDULES, SCHEDULE_TYPES } from './lr-schedules';

/** Far more passes than any run needs; the bound keeps a typo like 1e308 from being accepted as a plan. */
const MAX_EPOCHS = 100_000;

/**
 * Bounds of the numbers a definition holds, shared by the schema and the CLI flags that override them (`--epochs`,
 * `--repeats`, `--seed` …), so a flag never accepts what the file refuses. Seeds are what Keras and NumPy take
 * (`keras.utils.set_random_seed`: 0 to 2**32 - 1), so an exported script runs with the same seed.
 */
export const DEFINITION_BOUNDS = {
  epochs: { minimum: 1, maximum: MAX_EPOCHS },
  batch_size: { minimum: 1, maximum: MAX_SIZE },
  repeats: { minimum: 1, maximum: 100 },
  seed: { minimum: 0, maximum: 2 ** 32 - 1 },
} as const;

export const SCHEMA_ID = 'https://model-lab.local/schemas/model.schema.json';

/** `#/definitions/...` names, shared with validate.ts. */
export const layerDefinition = (type: string): string => `layer.${type}`;
export const optimizerDefinition = (type: string): string => `optimizer.${type}`;
export const scheduleDefinition = (type: string): string => `schedule.${type}`;
export const callbackDefinition = (type: string): string => `callback.${type}`;

/** A number, or a Keras learning-rate schedule object (`keras.optimizers.schedules.*`). */
function learningRate(description: string, dflt?: number): JsonSchema {
  return {
    description: `${description} A number, or a schedule: { "type": "ExponentialDecay", … }.`,
    ...(dflt !== undefined ? { default: dflt } : {}),
    anyOf: [
      { type: 'number', exclusiveMinimum: 0 },
      {
        type: 'object',
        required: ['type'],
        properties: {
          type: {
            type: 'string',
            title: 'schedule',
            enum: [...SCHEDULE_TYPES],
            enumDescriptions: SCHEDULES.map((s) => s.doc),
          },
        },
        allOf: SCHEDULE_TYPES.map((t) => ({
          if: { type: 'object', properties: { type: { const: t } }, required: ['type'] },
          then: { $ref: `#/definitions/${scheduleDefinition(t)}` },
        })),
      },
    ],
  };
}

function scheduleSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const s of SCHEDULES) {
    const properties: Record<string, JsonSchema> = {
      type: { const: s.type, description: s.doc },
      name: { type: 'string', description: 'Ignored (a Keras name scope).' },
    };
    for (const a of s.args) {
      const base: JsonSchema =
        a.kind === 'boolean'
          ? { type: 'boolean' }
          : a.kind === 'numbers'
            ? { type: 'array', items: { type: 'number' }, minItems: a.name === 'values' ? 1 : 0 }
            : a.name === 'decay_steps'
              ? { type: 'number', exclusiveMinimum: 0 }
              : a.default === null
                ? { type: ['number', 'null'] }
                : { type: 'number', minimum: 0 };
      properties[a.name] = { ...base, ...(a.default !== undefined ? { default: a.default } : {}), description: a.doc };
    }
    out[scheduleDefinition(s.type)] = {
      type: 'object',
      description: `${s.type}: ${s.doc}`,
      required: ['type', ...s.args.filter((a) => a.default === undefined).map((a) => a.name)],
      properties,
      additionalProperties: false,
    };
  }
  return out;
}

function callbackArg(kind: CallbackArgKind, dflt: string | number | boolean | null): JsonSchema {
  const nullable = dflt === null;
  switch (kind) {
    case 'boolean':
      return { type: 'boolean' };
    case 'string':
      return nullable
        ? { type: ['string', 'null'] }
        : { type: 'string', enum: ['loss', 'val_loss', 'accuracy', 'val_accuracy'] };
    case 'mode':
      return { type: 'string', enum: ['auto', 'min', 'max'] };
    case 'integer':
      return { type: 'integer', minimum: 0 };
    default:
      return nullable ? { type: ['number', 'null'] } : { type: 'number' };
  }
}

function callbackSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const c of CALLBACKS) {
    const properties: Record<string, JsonSchema> = { type: { const: c.type, description: c.doc } };
    for (const a of c.args) {
      properties[a.name] = { ...callbackArg(a.kind, a.default), default: a.default, description: a.doc };
      if (c.type === 'ReduceLROnPlateau' && a.name === 'factor')
        Object.assign(properties[a.name], { exclusiveMinimum: 0, exclusiveMaximum: 1 });
      if (a.name === 'min_lr') Object.assign(properties[a.name], { minimum: 0 });
    }
    out[callbackDefinition(c.type)] = {
      type: 'object',
      description: `${c.type}: ${c.doc}`,
      required: ['type'],
      properties,
      additionalProperties: false,
    };
  }
  return out;
}

function callback(): JsonSchema {
  return {
    description: 'A Keras callback: { "type": "EarlyStopping", "monitor": "val_loss", "patience": 2 }.',
    type: 'object',
    required: ['type'],
    properties: {
      type: {
        type: 'string',
        title: 'callback',
        enum: [...CALLBACK_TYPES],
        enumDescriptions: CALLBACKS.map((c) => c.doc),
        description: 'Keras callback class.',
      },
    },
    allOf: CALLBACK_TYPES.map((t) => ({
      if: { type: 'object', properties: { type: { const: t } }, required: ['type'] },
      then: { $ref: `#/definitions/${callbackDefinition(t)}` },
    })),
  };
}

function layerSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const layer of LAYERS) {
    const properties: Record<string, JsonSchema> = {
      type: { const: layer.type, description: layer.doc },
    };
    for (const [name, arg] of Object.entries({ ...layer.args, ...COMMON_ARGS })) {
      properties[name] =
        arg.default === undefined || arg.default === null ? arg.schema : { ...arg.schema, default: arg.default };
    }
    out[layerDefinition(layer.type)] = {
      type: 'object',
      description: `${layer.type}: ${layer.doc}`,
      required: ['type', ...layer.required],
      properties,
      additionalProperties: false,
    };
  }
  return out;
}

function layerItem(): JsonSchema {
  return {
    type: 'object',
    title: 'layer',
    description: 'One Keras layer: `type` is the Keras class name, the other keys are its constructor arguments.',
    required: ['type'],
    properties: {
      type: {
        type: 'string',
        enum: [...LAYER_TYPES],
        enumDescriptions: LAYERS.map((l) => l.doc),
        description: 'Keras layer class.',
      },
    },
    // One `then` per type keeps errors about the layer's own arguments instead of every type's (as oneOf would).
    allOf: LAYER_TYPES.map((t) => ({
      if: { type: 'object', properties: { type: { const: t } }, required: ['type'] },
      then: { $ref: `#/definitions/${layerDefinition(t)}` },
    })),
  };
}

function optimizerSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const opt of OPTIMIZERS) {
    const properties: Record<string, JsonSchema> = {
      type: { const: opt.type, description: opt.doc },
      label: {
        type: 'string',
        minLength: 1,
        description: 'Name shown in charts and tables instead of the generated one.',
      },
    };
    for (const [name, dflt] of Object.entries(opt.defaults)) {
      const description = opt.params[name];
      if (typeof dflt === 'boolean') properties[name] = { type: 'boolean', default: dflt, description };
      else if (name === 'learning_rate')
        properties[name] = { $ref: '#/definitions/learning_rate', default: dflt, description };
      else if (/^(beta_|rho$|momentum$)/.test(name))
        properties[name] = { type: 'number', minimum: 0, maximum: 1, default: dflt, description };
      else properties[name] = { type: 'number', minimum: 0, default: dflt, description };
    }
    for (const [name, description] of Object.entries(COMMON_ARGUMENTS)) {
      properties[name] ??= { type: 'number', minimum: 0, description };
    }
    if ('learning_rate' in opt.defaults) {
      properties.lr = { $ref: '#/definitions/learning_rate', description: 'Old Keras name of learning_rate.' };
    }
    out[optimizerDefinition(opt.type)] = {
      type: 'object',
      description: `${opt.type}: ${opt.doc}`,
      required: ['type'],
      properties,
      additionalProperties: false,
    };
  }
  return out;
}

function optimizer(): JsonSchema {
  return {
    description: "A Keras optimizer: an alias ('adam') or an object with `type` (Keras class) and its arguments.",
    anyOf: [
      {
        type: 'string',
        title: 'optimizer',
        enum: [...OPTIMIZER_ALIASES, ...OPTIMIZER_TYPES],
        enumDescriptions: [...OPTIMIZERS.map((o) => o.doc), ...OPTIMIZERS.map((o) => o.doc)],
      },
      {
        type: 'object',
        required: ['type'],
        properties: {
          type: {
            type: 'string',
            title: 'optimizer',
            enum: [...OPTIMIZER_TYPES],
            enumDescriptions: OPTIMIZERS.map((o) => o.doc),
            description: 'Keras optimizer class.',
          },
        },
        allOf: OPTIMIZER_TYPES.map((t) => ({
          if: { type: 'object', properties: { type: { const: t } }, required: ['type'] },
          then: { $ref: `#/definitions/${optimizerDefinition(t)}` },
        })),
      },
    ],
  };
}

function dataset(): JsonSchema {
  const names = {
    type: 'string',
    enum: [...DATASET_NAMES],
    enumDescriptions: DATASET_NAMES.map((n) => BUILTIN_DATASETS[n].doc),
  };
  return {
    description: 'The data to train on: a dataset name or an object.',
    anyOf: [
      { ...names, title: 'dataset' },
      {
        type: 'object',
        properties: {
          name: { ...names, title: 'dataset', description: 'A built-in dataset.' },
          validation_split: {
            type: 'number',
            minimum: 0,
            exclusiveMaximum: 1,
            default: DEFAULT_VALIDATION_SPLIT,
            description:
              'Fraction of the training data held out for validation (a seeded shuffle); 0 holds out none, as in Keras.',
          },
          seed: {
            type: 'integer',
            ...DEFINITION_BOUNDS.seed,
            description: 'Seed of the validation split (0 to 2**32 - 1, as Keras takes).',
          },
          path: {
            type: 'string',
            minLength: 1,
            description:
              'Where the dataset is, relative to this file: a folder with the four Fashion-MNIST IDX files (.gz or raw), or for a Keras dataset its file (mnist.npz, cifar-10-python.tar.gz, …) or a folder holding it.',
          },
          evaluate_test: {
            type: 'boolean',
            default: false,
            description: 'Also evaluate on the test set after training.',
          },
          csv: { type: 'string', minLength: 1, description: 'A CSV file with a header row, relative to this file.' },
          label: { type: 'string', minLength: 1, description: 'The CSV column holding the label.' },
          npz: {
            type: 'string',
            minLength: 1,
            description:
              'A NumPy .npz archive (np.savez), relative to this file; x, y, x_test, y_test name its arrays.',
          },
          x: {
            type: 'string',
            minLength: 1,
            description:
              'The inputs: an array in "npz" (default x_train, then x), or without "npz" an .npy file relative to this file. The first axis counts examples.',
          },
          y: {
            type: 'string',
            minLength: 1,
            description:
              'The labels: an array in "npz" (default y_train, then y), or an .npy file. Class ids, one-hot rows, or targets for a regression loss.',
          },
          x_test: {
            type: 'string',
            minLength: 1,
            description: 'Test inputs: an array in "npz" (default x_test when present), or an .npy file.',
          },
          y_test: {
            type: 'string',
            minLength: 1,
            description: 'Test labels: an array in "npz" (default y_test when present), or an .npy file.',
          },
          scale: {
            type: 'number',
            exclusiveMinimum: 0,
            description:
              'Multiply the inputs by this per batch: NumPy arrays, e.g. 0.00392156862745098 (1/255) for uint8 pixels, 1 when absent; image datasets (fashion-mnist, mnist, cifar10, cifar100), 1/255 when absent, 1 for the raw 0–255 values.',
          },
          ...datasetOptionProperties(),
        },
        additionalProperties: false,
      },
    ],
  };
}

/** The Keras loader and pad_sequences options, from their rules in datasets.ts. */
function datasetOptionProperties(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [key, r] of Object.entries(DATASET_OPTION_RULES)) {
    const p: JsonSchema =
      r.kind === 'choice'
        ? { enum: [...r.choices!] }
        : {
            type: r.nullable ? [r.kind, 'null'] : r.kind,
            ...(r.minimum !== undefined ? { minimum: r.minimum } : {}),
            ...(r.exclusiveMaximum !== undefined ? { exclusiveMaximum: r.exclusiveMaximum } : {}),
          };
    out[key] = { ...p, ...(r.default !== undefined ? { default: r.default } : {}), description: r.description };
  }
  return out;
}

export function buildSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'Model Lab model definition',
    description:
      'A Keras model (Sequential, or functional when layers name their inputs): its layers and, optionally, the data, compile and fit settings and a comparison.',
    type: 'object',
    required: ['layers'],
    properties: {
      $schema: { type: 'string' },
      name: {
        type: 'string',
        description: 'Model name shown in summaries (Keras: `name=`); "sequential" when omitted.',
      },
      dataset: { $ref: '#/definitions/dataset' },
      layers: {
        type: 'array',
        description:
          'The layers, in order (keras.Sequential). The first needs `input_shape` unless the dataset fixes it. A layer with "inputs" makes a graph (functional) model: it starts from an InputLayer, and each layer takes the layers it names (the one before it otherwise).',
        items: { $ref: '#/definitions/layer' },
      },
      outputs: {
        description:
          'Graph (functional) models: the name of the output layer (or a list of names); the last layer when omitted.',
        oneOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
        ],
      },
      compile: {
        type: 'object',
        description: 'Arguments of model.compile().',
        properties: {
          optimizer: { $ref: '#/definitions/optimizer' },
          loss: {
            type: 'string',
            title: 'loss',
            enum: [...LOSS_NAMES],
            enumDescriptions: [
              ...Object.values(LOSSES).map((l) => l.doc),
              ...Object.values(LOSS_ALIASES).map((s) => `Same as ${s}.`),
            ],
            description: 'Keras loss; chosen from the output layer when omitted.',
          },
          from_logits: {
            type: 'boolean',
            default: false,
            description:
              "The crossentropy loss object's from_logits: the last layer outputs logits (no softmax/sigmoid) and the loss applies softmax (sigmoid for one unit) itself, as keras.losses.SparseCategoricalCrossentropy(from_logits=True) does. Only with the three crossentropies.",
          },
          metrics: {
            type: 'array',
            items: {
              type: 'string',
              enum: [...ACCURACY_METRICS],
              enumDescriptions: ['Fraction of correct predictions.', "Same as accuracy (Keras 2's older name)."],
            },
            description: 'Metrics to report each epoch.',
          },
        },
        additionalProperties: false,
      },
      fit: {
        type: 'object',
        description: 'Arguments of model.fit().',
        properties: {
          epochs: {
            type: 'integer',
            ...DEFINITION_BOUNDS.epochs,
            default: 1,
            description: 'Passes over the training data.',
          },
          batch_size: {
            type: 'integer',
            ...DEFINITION_BOUNDS.batch_size,
            default: 32,
            description: 'Examples per optimizer step.',
          },
          shuffle: { type: 'boolean', default: true, description: 'Shuffle the training data before each epoch.' },
          seed: {
            type: 'integer',
            ...DEFINITION_BOUNDS.seed,
            description: 'Seed for weight initialisation and shuffling (0 to 2**32 - 1, as Keras takes).',
          },
          callbacks: {
            type: 'array',
            items: { $ref: '#/definitions/callback' },
            description:
              'Keras callbacks: EarlyStopping, ReduceLROnPlateau, ModelCheckpoint (keeps the best weights), TerminateOnNaN.',
          },
        },
        additionalProperties: false,
      },
      compare: {
        type: 'object',
        description: 'Train several versions of this model side by side.',
        properties: {
          optimizers: {
            type: 'array',
            minItems: 1,
            items: { $ref: '#/definitions/optimizer' },
            description: 'One run per optimizer.',
          },
          variants: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['label', 'set'],
              properties: {
                label: { type: 'string', minLength: 1, description: 'Name of this variant in charts and tables.' },
                set: {
                  type: 'object',
                  additionalProperties: true,
                  description: 'Overrides by path, e.g. { "layers[1].activation": "sigmoid", "fit.batch_size": 64 }.',
                },
              },
              additionalProperties: false,
            },
            description: 'One run per variant, each changing parts of the definition.',
          },
          repeats: {
            type: 'integer',
            ...DEFINITION_BOUNDS.repeats,
            default: 1,
            description: 'Runs per variant with different seeds.',
          },
        },
        additionalProperties: false,
      },
    },
    additionalProperties: false,
    definitions: {
      dataset: dataset(),
      layer: layerItem(),
      optimizer: optimizer(),
      callback: callback(),
      learning_rate: learningRate('Step size of each update.'),
      ...layerSchemas(),
      ...optimizerSchemas(),
      ...scheduleSchemas(),
      ...callbackSchemas(),
    },
  };
}

/** Keywords that make VS Code's JSON language service report a problem: Model Lab's diagnostics already do. */
const VALIDATION_KEYWORDS = new Set([
  'type',
  'required',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'multipleOf',
  'const',
  'not',
  'errorMessage',
  'minProperties',
  'maxProperties',
]);
/** Texts the JSON language service would show on hover next to Model Lab's own hover. */
const TEXT_KEYWORDS = new Set([
  'description',
  'markdownDescription',
  'enumDescriptions',
  'markdownEnumDescriptions',
  'title',
]);

/**
 * The schema VS Code's JSON language service gets (schemas/model.schema.json): the same tree for completion, but
 * no validation and no texts, because Model Lab validates with the full schema (Ajv) and hovers from the layer
 * table itself — otherwise every hover said its sentence twice and every mistake had two diagnostics. Allowed
 * values become `examples` (still offered by completion, never an error), `oneOf` becomes `anyOf`, objects accept
 * any key, and `if` conditions are kept as they are (they select the per-layer arguments and report nothing).
 */
export function editorSchema(schema: JsonSchema = buildSchema()): JsonSchema {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (TEXT_KEYWORDS.has(key) || VALIDATION_KEYWORDS.has(key)) continue;
      if (key === 'if') out.if = value;
      else if (key === 'enum') out.examples = value;
      else if (key === 'oneOf') out.anyOf = strip(value);
      else if (key === 'additionalProperties' && value === false) continue;
      else if (key === 'properties' || key === 'definitions' || key === 'patternProperties') {
        out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, strip(v)]));
      } else out[key] = strip(value);
    }
    return out;
  };
  return strip(schema) as JsonSchema;
}
