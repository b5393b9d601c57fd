/**
 * The JSON Schema of `*.model.json`, generated from the layer and optimizer tables so that VS Code's completion and
 * hover (schemas/model.schema.json, written by scripts/gen-schema.ts) and the core's own validation (Ajv, in
 * validate.ts) can never disagree.
 */
import { DATASET_NAMES, DEFAULT_VALIDATION_SPLIT } from './datasets';
import { MAX_SIZE } from './layers/common';
import { COMMON_ARGS, LAYERS, LAYER_TYPES } from './layers/registry';
import type { JsonSchema } from './layers/layer-def';
import { LOSSES, LOSS_ALIASES, LOSS_NAMES } from './losses';
import { OPTIMIZERS, OPTIMIZER_ALIASES, OPTIMIZER_TYPES } from './optimizers';

/** Far more passes than any run needs; the bound keeps a typo like 1e308 from being accepted as a plan. */
const MAX_EPOCHS = 100_000;

export const SCHEMA_ID = 'https://model-lab.local/schemas/model.schema.json';

/** `#/definitions/...` names, shared with validate.ts. */
export const layerDefinition = (type: string): string => `layer.${type}`;
export const optimizerDefinition = (type: string): string => `optimizer.${type}`;

function layerSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const layer of LAYERS) {
    const properties: Record<string, JsonSchema> = {
      type: { const: layer.type, description: layer.doc },
    };
    for (const [name, arg] of Object.entries({ ...layer.args, ...COMMON_ARGS })) {
      properties[name] = arg.default === undefined || arg.default === null ? arg.schema : { ...arg.schema, default: arg.default };
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
      label: { type: 'string', minLength: 1, description: 'Name shown in charts and tables instead of the generated one.' },
    };
    for (const [name, dflt] of Object.entries(opt.defaults)) {
      const description = opt.params[name];
      if (typeof dflt === 'boolean') properties[name] = { type: 'boolean', default: dflt, description };
      else if (name === 'learning_rate') properties[name] = { type: 'number', exclusiveMinimum: 0, default: dflt, description };
      else if (/^(beta_|rho$|momentum$)/.test(name)) properties[name] = { type: 'number', minimum: 0, maximum: 1, default: dflt, description };
      else properties[name] = { type: 'number', minimum: 0, default: dflt, description };
    }
    if ('learning_rate' in opt.defaults) {
      properties.lr = { type: 'number', exclusiveMinimum: 0, description: 'Old Keras name of learning_rate.' };
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
    enumDescriptions: ['Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28×28, 10 classes.', 'A 3,000 / 1,000 image class-balanced subset of Fashion-MNIST shipped with Model Lab, for quick runs.'],
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
            description: 'Fraction of the training data held out for validation (a seeded shuffle); 0 holds out none, as in Keras.',
          },
          seed: { type: 'integer', description: 'Seed of the validation split.' },
          path: { type: 'string', minLength: 1, description: 'Folder with the four Fashion-MNIST IDX files (.gz or raw), relative to this file.' },
          evaluate_test: { type: 'boolean', default: false, description: 'Also evaluate on the test set after training.' },
          csv: { type: 'string', minLength: 1, description: 'A CSV file with a header row, relative to this file.' },
          label: { type: 'string', minLength: 1, description: 'The CSV column holding the label.' },
        },
        additionalProperties: false,
      },
    ],
  };
}

export function buildSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'Model Lab model definition',
    description: 'A Keras model (Sequential, or functional when layers name their inputs): its layers and, optionally, the data, compile and fit settings and a comparison.',
    type: 'object',
    required: ['layers'],
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', description: 'Model name shown in summaries (Keras: `name=`); "sequential" when omitted.' },
      dataset: { $ref: '#/definitions/dataset' },
      layers: {
        type: 'array',
        description:
          'The layers, in order (keras.Sequential). The first needs `input_shape` unless the dataset fixes it. A layer with "inputs" makes a graph (functional) model: it starts from an InputLayer, and each layer takes the layers it names (the one before it otherwise).',
        items: { $ref: '#/definitions/layer' },
      },
      outputs: {
        description: 'Graph (functional) models: the name of the output layer (or a list of names); the last layer when omitted.',
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
            enumDescriptions: [...Object.values(LOSSES).map((l) => l.doc), ...Object.values(LOSS_ALIASES).map((s) => `Same as ${s}.`)],
            description: 'Keras loss; chosen from the output layer when omitted.',
          },
          metrics: {
            type: 'array',
            items: { type: 'string', enum: ['accuracy'], description: 'Fraction of correct predictions.' },
            description: 'Metrics to report each epoch.',
          },
        },
        additionalProperties: false,
      },
      fit: {
        type: 'object',
        description: 'Arguments of model.fit().',
        properties: {
          epochs: { type: 'integer', minimum: 1, maximum: MAX_EPOCHS, default: 1, description: 'Passes over the training data.' },
          batch_size: { type: 'integer', minimum: 1, maximum: MAX_SIZE, default: 32, description: 'Examples per optimizer step.' },
          shuffle: { type: 'boolean', default: true, description: 'Shuffle the training data before each epoch.' },
          seed: { type: 'integer', description: 'Seed for weight initialisation and shuffling.' },
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
          repeats: { type: 'integer', minimum: 1, maximum: 100, default: 1, description: 'Runs per variant with different seeds.' },
        },
        additionalProperties: false,
      },
    },
    additionalProperties: false,
    definitions: {
      dataset: dataset(),
      layer: layerItem(),
      optimizer: optimizer(),
      ...layerSchemas(),
      ...optimizerSchemas(),
    },
  };
}
