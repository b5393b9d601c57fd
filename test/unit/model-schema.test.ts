/** The committed JSON schema is what the registry generates, and it serves VS Code completion. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ACTIVATION_NAMES, buildSchema, LAYERS, type JsonSchema } from '../../src/model';
import { editorSchema } from '../../src/model/schema';

const committed = readFileSync(join(__dirname, '..', '..', 'schemas', 'model.schema.json'), 'utf8');

test('schemas/model.schema.json equals editorSchema() (run scripts/gen-schema.ts after changing the registry)', () => {
  assert.equal(committed, JSON.stringify(editorSchema(), null, 2) + '\n');
});

test("the editor's schema completes but neither validates nor describes: one hover text and one diagnostic per problem", () => {
  // `if` conditions only select a branch (they never report), so they keep their `const` and `required`.
  const text = JSON.stringify(editorSchema(), (k, v) => (k === 'if' ? undefined : v));
  for (const key of [
    'description',
    'enumDescriptions',
    'required',
    'minimum',
    'oneOf',
    '"additionalProperties":false',
    '"enum"',
  ]) {
    assert.ok(!text.includes(key.startsWith('"') ? key : `"${key}"`), `${key} left in the editor schema`);
  }
  const schema = editorSchema() as { definitions: Record<string, JsonSchema> };
  // Completion still offers every layer type and each layer's own arguments, with their defaults.
  assert.deepEqual(
    (schema.definitions.layer.properties as Record<string, JsonSchema>).type.examples,
    LAYERS.map((l) => l.type),
  );
  const dense = schema.definitions['layer.Dense'].properties as Record<string, JsonSchema>;
  assert.deepEqual(dense.activation.examples, [...ACTIVATION_NAMES]);
  assert.ok('units' in dense && 'use_bias' in dense);
  // The per-type selection survives: its `if` still names the type.
  assert.match(
    JSON.stringify(schema.definitions.layer.allOf),
    /"if":\{"type":"object","properties":\{"type":\{"const":"Dense"\}\},"required":\["type"\]\}/,
  );
});

test('every layer type is offered with a description, and each has its own argument schema', () => {
  const schema = buildSchema() as { definitions: Record<string, JsonSchema> };
  const typeEnum = (schema.definitions.layer.properties as Record<string, JsonSchema>).type.enum as string[];
  assert.deepEqual(
    typeEnum,
    LAYERS.map((l) => l.type),
  );
  for (const layer of LAYERS) {
    const def = schema.definitions[`layer.${layer.type}`];
    assert.ok(def, layer.type);
    assert.equal(def.additionalProperties, false);
    const props = def.properties as Record<string, JsonSchema>;
    for (const arg of [...layer.positionalArgs.filter((a) => a !== 'noise_shape'), 'name', 'input_shape']) {
      assert.ok(props[arg], `${layer.type}.${arg}`);
    }
    for (const [name, p] of Object.entries(props))
      assert.ok(
        typeof p.description === 'string' && p.description.length > 5,
        `${layer.type}.${name} has no description`,
      );
  }
  const dense = schema.definitions['layer.Dense'].properties as Record<string, JsonSchema>;
  assert.deepEqual(dense.activation.enum, [...ACTIVATION_NAMES]);
});

test('the activations offered: Keras names tfjs-layers runs, and those the worker registers (leaky_relu, exponential…)', () => {
  // Every one of them builds and runs: training-build-model.test.ts.
  assert.ok(!ACTIVATION_NAMES.includes('sparsemax'));
  for (const a of ['leaky_relu', 'exponential', 'log_softmax', 'hard_silu']) assert.ok(ACTIVATION_NAMES.includes(a), a);
  for (const a of [
    'relu',
    'sigmoid',
    'softmax',
    'tanh',
    'linear',
    'elu',
    'selu',
    'softplus',
    'softsign',
    'swish',
    'gelu',
    'hard_sigmoid',
  ]) {
    assert.ok(ACTIVATION_NAMES.includes(a), a);
  }
});

test('the positional argument order follows the Keras constructors', () => {
  const byType = Object.fromEntries(LAYERS.map((l) => [l.type, l.positionalArgs]));
  assert.deepEqual(byType.Dense, [
    'units',
    'activation',
    'use_bias',
    'kernel_initializer',
    'bias_initializer',
    'kernel_regularizer',
    'bias_regularizer',
    'activity_regularizer',
    'kernel_constraint',
    'bias_constraint',
  ]);
  assert.deepEqual(byType.Conv2D, [
    'filters',
    'kernel_size',
    'strides',
    'padding',
    'data_format',
    'dilation_rate',
    'groups',
    'activation',
    'use_bias',
  ]);
  assert.deepEqual(byType.Dropout.slice(0, 1), ['rate']);
  assert.deepEqual(byType.Reshape, ['target_shape']);
  assert.deepEqual(byType.MaxPooling2D, ['pool_size', 'strides', 'padding', 'data_format']);
  assert.deepEqual(byType.Activation, ['activation']);
});
