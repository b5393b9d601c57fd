/**
 * `model-lab compare <file>`: trains the file's comparison (its `compare` optimizers and/or variants, else Keras's
 * classic six optimizers), each `repeats` times with different seeds, in parallel worker processes. Prints a line per
 * finished epoch per run, then a table with the best run marked and whether it is clearly ahead.
 */
import { EXIT, type Command } from './io';
import { comparisonTable, parseArgs, runSession, sessionInputs } from './run-output';

const USAGE = `Usage: model-lab compare <file> [options]

Trains every run of the comparison in <file> in parallel and prints a table of the results.
  --epochs N     epochs per run (default: the file's fit.epochs, else 1)
  --workers N    runs trained at once (default: the number of CPU cores)
  --repeats N    runs per variant with different seeds (default: compare.repeats, else 1)
  --backend B    auto (default), tensorflow, tensorflow-gpu, wasm or cpu
  --seed N       seed of the first repeat (default: fit.seed, else 42)
  --data DIR     folder holding the dataset files (default: $MODEL_LAB_DATA)
  --json OUT     write the run record (every run's history) as JSON
  --html OUT     write a standalone HTML report
Exit status: 0 when at least one run trained, 1 when none did, 2 bad model file or option, 130 interrupted.`;

const OPTIONS = {
  values: ['--epochs', '--workers', '--repeats', '--backend', '--seed', '--json', '--html', '--data'],
};

export const compare: Command = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE + '\n');
    return EXIT.ok;
  }
  const parsed = parseArgs(args, OPTIONS, USAGE);
  const inputs = await sessionInputs('compare', parsed, io, USAGE);
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
