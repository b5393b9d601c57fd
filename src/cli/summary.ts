/**
 * `model-lab summary <file> [--style keras2|keras3] [--show-trainable] [--json]`: Keras's model.summary() text, or the summary JSON. An
 * invalid file prints its problems as `check` does and exits 2.
 */
import { formatSummary, SUMMARY_STYLES, type SummaryStyle } from '../model/summary-format';
import { EXIT, UserError, type Command } from './io';
import { analyzeAll, diagnosticLine, fileDiagnostics, hasErrors, loadModelFile } from './load-model';
import { parseArgs } from './run-output';

const USAGE = `Usage: model-lab summary <file> [--style keras2|keras3] [--show-trainable] [--json]

Prints the Keras model.summary() of <file> (.model.json, Keras .py or Jupyter .ipynb).
  --style S   keras2 (default): the table of Keras 2.x / tf.keras; keras3: Keras 3's boxed table, sizes in KB
  --json      the summary as JSON (an array when a .py or .ipynb file defines several models); the same in
              either style
  --show-trainable
              the "Trainable" column (Y/N; Keras 3: "-" for a layer without weights), as Keras's
              model.summary(show_trainable=True); a Python script's own summary(show_trainable=True) turns it on
              for that model`;

const OPTIONS = { values: ['--style'], switches: ['--json', '--show-trainable'] };

export const summary: Command = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE + '\n');
    return EXIT.ok;
  }
  const parsed = parseArgs(args, OPTIONS, USAGE);
  const json = parsed.switches.has('--json');
  const style = parsed.values.get('--style') ?? 'keras2';
  if (!(SUMMARY_STYLES as readonly string[]).includes(style))
    throw new UserError(
      `--style must be one of ${SUMMARY_STYLES.join(', ')}, not '${style.slice(0, 40)}'.`,
      EXIT.invalid,
    );
  const rest = parsed.positional;
  const unknown = rest.find((a) => a.startsWith('-'));
  if (unknown) throw new UserError(`unknown option '${unknown}'.\n${USAGE}`, EXIT.invalid);
  if (rest.length !== 1) throw new UserError(`give exactly one model file.\n${USAGE}`, EXIT.invalid);

  const loaded = await loadModelFile(rest[0], io);
  if (loaded.models.length === 0)
    throw new UserError(`${loaded.file} has no keras.Sequential model that Model Lab can read.`, EXIT.invalid);
  const analyses = analyzeAll(loaded);
  const diagnostics = fileDiagnostics(analyses);
  // Problems go to stderr so that stdout stays the summary alone (and valid JSON with --json).
  for (const d of diagnostics) io.err(diagnosticLine(loaded.file, d, loaded.cells) + '\n');
  // The exit code is check's: 2 exactly when the file has errors. In a Python file one model that cannot be read at
  // all (information diagnostics say why) does not hide the others' summaries.
  if (hasErrors(diagnostics)) return EXIT.invalid;
  const shown = analyses.filter((a) => a.summary !== undefined);
  if (shown.length === 0) return EXIT.invalid;

  if (json) {
    const summaries = shown.map((a) => a.summary);
    const value = loaded.kind === 'python' && analyses.length > 1 ? summaries : summaries[0];
    io.out(JSON.stringify(value, null, 2) + '\n');
  } else {
    const showTrainable = parsed.switches.has('--show-trainable');
    io.out(
      shown
        .map((a) =>
          formatSummary(a.summary!, {
            ...a.summaryPrint,
            style: style as SummaryStyle,
            ...(showTrainable ? { showTrainable } : {}),
          }),
        )
        .join('\n'),
    );
  }
  return EXIT.ok;
};
