/**
 * `model-lab export <file> --keras OUT.py`: writes a runnable Keras script reproducing the model file's definition
 * (data, split, model, compile, fit, evaluate, and the comparison loop when the file has one).
 */
import { basename, dirname, resolve } from 'node:path';
import { analyze } from '../model/analyze';
import { toKerasScript } from '../model/python/keras-script';
import { ScriptNameError } from '../model/python/python-literal';
import type { ParsedModel } from '../model/types';
import { outputClash, writeOutputFile } from '../panel/output-file';
import { EXIT, UserError, type Command } from './io';
import { diagnosticLine, hasErrors, loadModelFile, type LoadedModels } from './load-model';

const USAGE = `Usage: model-lab export <file> --keras OUT.py [--model N]

Writes a runnable Keras (TensorFlow 2) script that reproduces <file> (.model.json, Keras .py or Jupyter .ipynb).
  --keras OUT.py   where to write the script
  --model N        which model of a .py or .ipynb file defining several (1 = the first; the default)`;

interface ExportArgs {
  file: string;
  out: string;
  model?: number;
}

function parseArgs(args: string[]): ExportArgs {
  const positional: string[] = [];
  let out: string | undefined;
  let model: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UserError(`${flag} needs a value.\n${USAGE}`, EXIT.invalid);
      return v;
    };
    if (flag === '--keras') out = value();
    else if (flag === '--model') {
      const v = value();
      model = Number(v);
      if (!Number.isInteger(model) || model < 1)
        throw new UserError(`--model takes a model number from 1, not '${v}'.`, EXIT.invalid);
    } else if (flag.startsWith('-')) throw new UserError(`unknown option '${a}'.\n${USAGE}`, EXIT.invalid);
    else positional.push(a);
  }
  if (positional.length !== 1) throw new UserError(`give exactly one model file.\n${USAGE}`, EXIT.invalid);
  if (!out) throw new UserError(`say where to write the script with --keras OUT.py.\n${USAGE}`, EXIT.invalid);
  return { file: positional[0], out, model };
}

function pickModel(loaded: LoadedModels, n: number | undefined): { model: ParsedModel; note?: string } {
  const count = loaded.models.length;
  if (count === 0)
    throw new UserError(`${loaded.file} has no keras.Sequential model that Model Lab can read.`, EXIT.invalid);
  if (n !== undefined && n > count) {
    throw new UserError(
      `${loaded.file} defines ${count} model${count === 1 ? '' : 's'}; give --model 1${count > 1 ? ` to ${count}` : ''}.`,
      EXIT.invalid,
    );
  }
  const model = loaded.models[(n ?? 1) - 1];
  const note =
    n === undefined && count > 1
      ? `${loaded.file} defines ${count} models; exporting the first (use --model N for another).`
      : undefined;
  return { model, note };
}

export const exportCommand: Command = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE + '\n');
    return EXIT.ok;
  }
  const opts = parseArgs(args);
  const loaded = await loadModelFile(opts.file, io);
  const { model, note } = pickModel(loaded, opts.model);
  if (note) io.err(note + '\n');

  const analysis = analyze(model);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) io.err(diagnosticLine(loaded.file, d, loaded.cells) + '\n');
  if (!model.definition || hasErrors(errors)) {
    throw new UserError(`${loaded.file} has errors (above); fix them before exporting.`, EXIT.invalid);
  }
  if (model.incomplete) {
    const at = model.diagnostics.find((d) => d.code === 'python-unreadable');
    const where = at ? ` (${diagnosticLine(loaded.file, at, loaded.cells).split(': ')[0]})` : '';
    throw new UserError(
      `cannot export: ${model.incomplete}${where}; write it out so Model Lab can read the whole model.`,
      EXIT.invalid,
    );
  }

  const outPath = resolve(io.cwd, opts.out);
  const clash = await outputClash(
    [{ what: `--keras ${opts.out}`, path: outPath }],
    [{ what: `the model file ${loaded.file}`, path: loaded.absolutePath }],
  );
  if (clash) throw new UserError(`${clash}.`, EXIT.invalid);
  let script: string;
  try {
    script = toKerasScript(model.definition, {
      source: basename(loaded.absolutePath),
      baseDir: loaded.baseDir,
      outDir: dirname(outPath),
    });
  } catch (e) {
    if (e instanceof ScriptNameError)
      throw new UserError(`cannot export ${loaded.file}: ${e.message}; use a plain name.`, EXIT.invalid);
    throw e;
  }
  try {
    await writeOutputFile(outPath, script);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot write ${opts.out} (${code ?? String(e)}); check that its folder exists and is writable.`,
      EXIT.runtime,
    );
  }
  io.out(`Wrote ${opts.out}: a Keras script for ${model.definition.name ?? 'the model'} from ${loaded.file}.\n`);
  return EXIT.ok;
};
