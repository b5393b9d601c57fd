/**
 * `model-lab compare <file>`: trains the file's comparison (its `compare` optimizers and/or variants, else Keras's
 * classic six optimizers), each `repeats` times with different seeds, in parallel worker processes. Prints a line per
 * finished epoch per run, then a table with the best run marked and whether it is clearly ahead.
 */
import { compareFileModels, comparisonDefinition, selectModels } from '../model/file-models';
import { EXIT, UserError, type CliIO, type Command } from './io';
import { firstModel, positionText } from './load-model';
import { comparisonTable, parseArgs, runSession, sessionInputs, type ChooseModel } from './run-output';

const USAGE = `Usage: model-lab compare <file> [options]

Trains every run of the comparison in <file> in parallel and prints a table of the results.
  --models M     compare the models of a .py or .ipynb instead: 'all', or Keras names / 1-based positions
                 separated by commas (sequential_1,sequential_3); each trains with its own compile and fit
                 from the code, every compile and unused optimizer of a model a run of its own; models that
                 are never compiled or cannot train are listed as skipped with the reason
  --epochs N     epochs per run, for every run (default: the file's fit.epochs, else 1)
  --workers N    runs trained at once (default: the number of CPU cores)
  --repeats N    runs per variant with different seeds (default: compare.repeats, else 1)
  --backend B    auto (default), tensorflow, tensorflow-gpu, wasm or cpu
  --seed N       seed of the first repeat (default: fit.seed, else 42)
  --data DIR     folder holding the dataset files (default: $MODEL_LAB_DATA)
  --json OUT     write the run record (every run's history) as JSON
  --html OUT     write a standalone HTML report
Exit status: 0 when at least one run trained, 1 when none did, 2 bad model file or option, 130 interrupted.`;

const OPTIONS = {
  values: ['--models', '--epochs', '--workers', '--repeats', '--backend', '--seed', '--json', '--html', '--data'],
};

/**
 * `--models`: the chosen models' runs as one comparison (file-models.ts), the skipped ones listed with the reason.
 * The session trains the first run's model with one variant per run.
 */
function chooseModels(selector: string, io: CliIO): ChooseModel {
  return (loaded) => {
    const chosen = selectModels(loaded.models, selector);
    if ('error' in chosen) throw new UserError(`${loaded.file}: ${chosen.error}`, EXIT.invalid);
    const { runs, skipped } = compareFileModels(loaded.models, chosen);
    for (const s of skipped)
      io.err(`Skipped ${s.modelName} (${positionText(loaded.file, s.range.start, loaded.cells)}): ${s.reason}.\n`);
    if (runs.length === 0)
      throw new UserError(
        `${loaded.file}: none of the chosen models can be trained (above); compile one and try again.`,
        EXIT.invalid,
      );
    const first = loaded.models[runs[0].model];
    const lines = runs.map((r) => `  ${r.label}  (${positionText(loaded.file, r.range.start, loaded.cells)})`);
    return {
      model: { ...first, definition: runs[0].definition },
      note: `Comparing ${runs.length} run${runs.length === 1 ? '' : 's'} of ${new Set(runs.map((r) => r.model)).size} model(s):\n${lines.join('\n')}`,
      definition: comparisonDefinition(runs),
    };
  };
}

/** Without --models: the first model's own comparison, as before, saying how to compare the file's models instead. */
const firstWithHint: ChooseModel = (loaded) => {
  const { model, note } = firstModel(loaded);
  return { model, note: note && `${note} --models all compares the file's models instead.` };
};

export const compare: Command = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE + '\n');
    return EXIT.ok;
  }
  const parsed = parseArgs(args, OPTIONS, USAGE);
  const selector = parsed.values.get('--models');
  const inputs = await sessionInputs(
    'compare',
    parsed,
    io,
    USAGE,
    undefined,
    selector ? chooseModels(selector, io) : firstWithHint,
  );
  const { record, interrupted } = await runSession(inputs, io, {
    prefixLabels: true,
    report: (done) => io.out('\n' + comparisonTable(done)),
  });
  if (interrupted) return EXIT.interrupted;
  if (!record.runs.some((r) => r.status === 'completed')) {
    const failed = record.runs.find((r) => r.error);
    io.err(`model-lab compare: no run finished${failed ? `: ${failed.error}` : '.'}\n`);
    return EXIT.runtime;
  }
  return EXIT.ok;
};
