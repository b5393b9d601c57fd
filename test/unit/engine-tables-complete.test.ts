/**
 * Every optimizer, loss and accuracy kind of the core's tables has a rule in both engines, and the type system is
 * what guarantees it: planting a fake entry in a table (through the TypeScript compiler API, on an in-memory copy)
 * makes `tsc` fail in the engines that lack it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { OPTIMIZERS, OPTIMIZER_TYPES, trainingOptimizer } from '../../src/model/optimizers';
import { canonicalLoss, LOSSES, resolveAccuracy, type LossName } from '../../src/model/losses';
import { STOCK_RULES, KerasOptimizer } from '../../src/training/worker/stock-optimizers';
import { createFusedOptimizer, FUSED_RULES } from '../../src/training/worker/fused/fused-optimizers';
import { dropoutRng, fillDropoutMask } from '../../src/training/worker/engine';

const root = path.resolve(__dirname, '../..');

/** Arguments that switch each optimizer's variants on, so every program of both engines is exercised. */
const VARIANTS: Record<string, Record<string, number | boolean>[]> = {
  SGD: [{ momentum: 0.9 }, { momentum: 0.9, nesterov: true }, { weight_decay: 0.3 }],
  RMSprop: [{ centered: true }, { momentum: 0.5 }, { momentum: 0.5, centered: true }],
  Adam: [{ amsgrad: true }, { weight_decay: 0.1 }],
  AdamW: [{ amsgrad: true }, { weight_decay: 0.5 }],
};

test('every optimizer of the table has a stock rule, a fused rule, and both engines agree on it', () => {
  assert.deepEqual(Object.keys(STOCK_RULES).sort(), [...OPTIMIZER_TYPES].sort());
  assert.deepEqual(Object.keys(FUSED_RULES).sort(), [...OPTIMIZER_TYPES].sort());
  for (const def of OPTIMIZERS) {
    for (const args of [{}, { learning_rate: 0.05 }, ...(VARIANTS[def.type] ?? [])]) {
      const spec = { type: def.alias, ...args };
      const stock = new KerasOptimizer(spec);
      const fused = createFusedOptimizer(spec);
      assert.ok(fused, `${def.type} ${JSON.stringify(args)} has a fused optimizer`);
      const rng = dropoutRng(7);
      const w1 = Float32Array.from({ length: 9 }, () => rng() - 0.5);
      const w2 = Float32Array.from(w1);
      for (let t = 0; t < 6; t++) {
        const g = Float32Array.from({ length: 9 }, () => rng() * 2 - 1);
        stock.step([w1], [g]);
        fused.beginStep();
        fused.update(0, w2, g, w2);
      }
      w1.forEach((v, i) =>
        assert.ok(
          Math.abs(v - w2[i]) <= 1e-6 * Math.max(1, Math.abs(v)),
          `${def.type} ${JSON.stringify(args)} weight ${i}: stock ${v}, fused ${w2[i]}`,
        ),
      );
    }
  }
});

test('one argument normaliser: names, lr, types; unknown names throw in the stock engine, the fused one declines', () => {
  assert.deepEqual(trainingOptimizer({ type: 'adam', lr: 0.01 }).hyper, {
    learning_rate: 0.01,
    beta_1: 0.9,
    beta_2: 0.999,
    epsilon: 1e-7,
    amsgrad: false,
  });
  assert.equal(trainingOptimizer({ type: 'SGD', nesterov: 'true' }).hyper.nesterov, true);
  assert.deepEqual(trainingOptimizer({ type: 'SGD', use_ema: true, clipnorm: 1, name: 'opt' }).unknown, ['use_ema']);
  assert.equal(trainingOptimizer({ type: 'SGD', clipnorm: 1 }).hyper.clipnorm, 1);
  assert.throws(
    () => trainingOptimizer({ type: 'SGD', momentum: 'fast' }),
    /Optimizer SGD: momentum must be a number, got "fast"/,
  );
  assert.throws(() => trainingOptimizer({ type: 'SGD', nesterov: 1 }), /nesterov must be true or false/);
  assert.throws(
    () => trainingOptimizer({ type: 'Lion' }),
    /Unknown optimizer 'Lion': use one of SGD, RMSprop, Adam, Adagrad, Adamax, Nadam, AdamW, Adadelta\./,
  );
  assert.throws(() => new KerasOptimizer({ type: 'Lion' }), /Unknown optimizer 'Lion'/);
  assert.equal(createFusedOptimizer({ type: 'Lion' }), undefined);
});

test('losses and accuracy kinds come from the core table', () => {
  for (const name of Object.keys(LOSSES) as LossName[]) assert.equal(canonicalLoss(name.toUpperCase()), name);
  assert.equal(canonicalLoss('Mean_Absolute_Error'), 'mae');
  assert.equal(canonicalLoss('hinge'), undefined);
  assert.equal(resolveAccuracy('categorical_crossentropy', 3), 'categorical');
  assert.equal(resolveAccuracy('sparse_categorical_crossentropy', 3), 'sparse_categorical');
  assert.equal(resolveAccuracy('sparse_categorical_crossentropy', 1), 'binary');
});

test('the Dropout mask stream is one function of the run seed, for both engines', () => {
  const a = fillDropoutMask(new Float32Array(64), 0.25, dropoutRng(42));
  const b = fillDropoutMask(new Float32Array(64), 0.25, dropoutRng(42));
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
  assert.notDeepEqual(fillDropoutMask(new Float32Array(64), 0.25, dropoutRng(43)), a);
});

/** Type-checks the engine files against an in-memory copy of the core where `plant` has edited one table. */
function typeErrors(file: string, plant: (text: string) => string): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const target = path.join(root, file);
  const original = readFileSync(target, 'utf8');
  const planted = plant(original);
  assert.notEqual(planted, original, 'the plant changed the table');
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, onError, create) =>
    path.resolve(name) === target
      ? ts.createSourceFile(name, planted, language)
      : getSourceFile(name, language, onError, create);
  host.readFile = ((read) => (name: string) => (path.resolve(name) === target ? planted : read(name)))(
    host.readFile.bind(host),
  );
  const roots = [
    'src/training/worker/stock-optimizers.ts',
    'src/training/worker/fused/fused-optimizers.ts',
    'src/training/worker/losses.ts',
    'src/training/worker/fused/eligibility.ts',
  ];
  const program = ts.createProgram(
    roots.map((r) => path.join(root, r)),
    options,
    host,
  );
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file)
    .map((d) => `${path.relative(root, d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

test(
  'adding a fake optimizer or loss to the core table without engine rules fails the type check',
  { timeout: 120_000 },
  () => {
    const optimizerErrors = typeErrors('src/model/optimizers.ts', (text) =>
      text.replace(
        /(\] as const satisfies)/,
        "  { type: 'Lion', alias: 'lion', doc: 'fake', defaults: { learning_rate: 0.0001 }, params: { learning_rate: LR } },\n$1",
      ),
    );
    assert.ok(
      optimizerErrors.some((e) => e.startsWith('src/training/worker/stock-optimizers.ts') && /Lion/.test(e)),
      optimizerErrors.join('\n'),
    );
    assert.ok(
      optimizerErrors.some((e) => e.startsWith('src/training/worker/fused/fused-optimizers.ts') && /Lion/.test(e)),
      optimizerErrors.join('\n'),
    );

    const lossErrors = typeErrors('src/model/losses.ts', (text) =>
      text.replace(
        /(\n\} as const satisfies Record<string, LossInfo>)/,
        "\n  hinge: { doc: 'fake', classification: true, labels: 'float' },$1",
      ),
    );
    assert.ok(
      lossErrors.some((e) => e.startsWith('src/training/worker/losses.ts') && /hinge/.test(e)),
      lossErrors.join('\n'),
    );
    assert.ok(
      lossErrors.some((e) => e.startsWith('src/training/worker/fused/eligibility.ts') && /hinge/.test(e)),
      lossErrors.join('\n'),
    );
  },
);
