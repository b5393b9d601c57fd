/**
 * `model-lab train <file>`: trains the model in a worker process, printing a Keras-like line per epoch, then the
 * evaluation (accuracy, per-class accuracy, confusion matrix). Ctrl-C stops after the current batch and still writes
 * --json with the finished epochs (exit 130).
 */
import { optimizerDef, OPTIMIZER_ALIASES } from '../model/optimizers';
import type { ModelDefinition } from '../model/types';
import { EXIT, UserError, type Command } from './io';
import { trainTarget } from '../model/file-models';
import { evaluationText, intOption, parseArgs, runSession, sessionInputs, type ChooseModel } from './run-output';
import { resumeInputs } from './resume-run';
import { resolve } from 'node:path';

const USAGE = `Usage: model-lab train <file> [options]

Trains the model in <file> (.model.json, Keras .py or Jupyter .ipynb) and prints a line per epoch, then the evaluation.
  --model NAME|N      which model of a .py or .ipynb: its Keras name (sequential_2) or 1-based position
                      (default: the first compiled model that can train; the others are listed)
  --epochs N          epochs (default: the file's fit.epochs, else 1)
  --batch-size N      batch size (default: the file's fit.batch_size, else 32)
  --optimizer NAME    sgd, rmsprop, adam, adagrad, adamax, nadam, adamw or adadelta with Keras defaults
  --backend B         auto (default), tensorflow, tensorflow-gpu, wasm or cpu
  --seed N            seed of the weights, shuffling and dropout (default: fit.seed, else 42)
  --data DIR          folder holding the dataset files (default: $MODEL_LAB_DATA)
  --json OUT          write the run record (history, evaluation) as JSON
  --html OUT          write a standalone HTML report
  --save-weights DIR  save the trained weights under DIR/<record id>-weights/<run id>: TensorFlow.js files,
                      weights.npz (Keras's get_weights() order), the optimizer state, keras_model.py loading them
  --resume RECORD     train --epochs N more epochs of the run in RECORD (a --json written with --save-weights),
                      from its weights and optimizer state; the new record holds the whole history
Exit status: 0 trained, 1 runtime or data error, 2 bad model file or option, 130 interrupted.`;

const OPTIONS = {
  values: [
    '--model',
    '--epochs',
    '--batch-size',
    '--optimizer',
    '--backend',
    '--seed',
    '--json',
    '--html',
    '--data',
    '--save-weights',
    '--resume',
  ],
};

/** The model `train` uses (file-models.ts: by name or position, else the first compiled one that can train). */
function chooseTrainModel(selector: string | undefined): ChooseModel {
  return (loaded) => {
    const target = trainTarget(loaded.models, selector);
    if ('error' in target) throw new UserError(`${loaded.file}: ${target.error}`, EXIT.invalid);
    return { model: loaded.models[target.index], note: target.note && `${loaded.file}: ${target.note}` };
  };
}

export const train: Command = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE + '\n');
    return EXIT.ok;
  }
  const parsed = parseArgs(args, OPTIONS, USAGE);
  const batchSize = intOption(parsed, '--batch-size');
  const optimizer = parsed.values.get('--optimizer');
  if (optimizer !== undefined && !optimizerDef(optimizer)) {
    throw new UserError(
      `--optimizer must be one of ${OPTIMIZER_ALIASES.join(', ')}, not '${optimizer}'.`,
      EXIT.invalid,
    );
  }
  const override = (def: ModelDefinition): ModelDefinition => ({
    ...def,
    ...(optimizer ? { compile: { ...def.compile, optimizer: optimizerDef(optimizer)!.alias } } : {}),
    ...(batchSize ? { fit: { ...def.fit, batch_size: batchSize } } : {}),
  });
  const resume = parsed.values.has('--resume');
  if (resume && (optimizer || batchSize || parsed.values.has('--seed'))) {
    throw new UserError(
      '--resume continues the run as it was trained; --optimizer, --batch-size and --seed cannot change it.',
      EXIT.invalid,
    );
  }
  if (resume && parsed.values.has('--model')) {
    throw new UserError('--resume continues the run recorded in RECORD; --model cannot change it.', EXIT.invalid);
  }
  const inputs = resume
    ? await resumeInputs(parsed, io, USAGE)
    : await sessionInputs('train', parsed, io, USAGE, override, chooseTrainModel(parsed.values.get('--model')));
  const saveTo = parsed.values.get('--save-weights');
  if (saveTo !== undefined) inputs.saveWeightsDir = resolve(io.cwd, saveTo);
  const { record, interrupted } = await runSession(inputs, io, {
    prefixLabels: false,
    report: ({ runs: [run] }) => {
      if (run.evaluation) io.out('\n' + evaluationText(run.evaluation));
      if (run.testEvaluation) io.out('\n' + evaluationText(run.testEvaluation));
    },
  });
  const run = record.runs[0];
  if (interrupted || run.status === 'cancelled') return EXIT.interrupted;
  if (run.status === 'failed') {
    io.err(`model-lab train: ${run.error ?? 'training failed.'}\n`);
    return EXIT.runtime;
  }
  return EXIT.ok;
};
