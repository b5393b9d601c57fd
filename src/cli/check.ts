/** `model-lab check <file>`: every problem as `file:line:col: severity: message`; exit 2 when any is an error. */
import { NO_MODEL } from '../model/file-models';
import { thousands } from '../model/number-format';
import { EXIT, UserError, type Command } from './io';
import { analyzeAll, diagnosticLine, fileDiagnostics, hasErrors, loadModelFile } from './load-model';

const USAGE = `Usage: model-lab check <file>

Prints each problem in <file> (.model.json, Keras .py or Jupyter .ipynb) as file:line:col: severity: message.
Exit status: 0 without errors (warnings allowed), 2 with errors.`;

export const check: Command = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE + '\n');
    return EXIT.ok;
  }
  const unknown = args.find((a) => a.startsWith('-'));
  if (unknown) throw new UserError(`unknown option '${unknown}'.\n${USAGE}`, EXIT.invalid);
  if (args.length !== 1) throw new UserError(`give exactly one model file.\n${USAGE}`, EXIT.invalid);

  const loaded = await loadModelFile(args[0], io);
  const analyses = analyzeAll(loaded);
  const diagnostics = fileDiagnostics(analyses);
  for (const d of diagnostics) io.out(diagnosticLine(loaded.file, d, loaded.cells) + '\n');
  if (loaded.models.length === 0) {
    io.out(`${loaded.file}: ${NO_MODEL}.\n`);
    return EXIT.invalid;
  }
  if (hasErrors(diagnostics)) return EXIT.invalid;
  if (diagnostics.length === 0) {
    const params = analyses.map((a) => (a.summary ? `${thousands(a.summary.totalParams)} params` : '')).filter(Boolean);
    io.out(`${loaded.file}: no problems${params.length ? ` (${params.join(', ')})` : ''}.\n`);
  }
  return EXIT.ok;
};
