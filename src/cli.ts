/**
 * `model-lab`: the command-line face over the same core the editor uses.
 * Each command lives in `src/cli/<command>.ts`; this file only dispatches and turns errors into exit codes.
 */
import { EXIT, UserError, type CliIO, type Command } from './cli/io';
import { installInterrupts } from './cli/signals';
import { terminalSafe } from './cli/terminal-text';

const USAGE = `Usage: model-lab <command> [options]

Commands:
  summary <file> [--json]            Keras-style summary of a model file (.model.json or Keras .py)
  check <file>                       Diagnostics as file:line:col: severity: message (exit 2 on errors)
  train <file> [options]             Train the model; a Keras-like line per epoch, then the evaluation
  compare <file> [options]           Train the file's comparison (optimizers / variants) in parallel workers
  export <file> --keras OUT.py       Write a runnable Keras script that reproduces the definition

Run 'model-lab <command> --help' for a command's options.`;

async function load(name: string): Promise<Command | undefined> {
  switch (name) {
    case 'summary':
      return (await import('./cli/summary')).summary;
    case 'check':
      return (await import('./cli/check')).check;
    case 'train':
      return (await import('./cli/train')).train;
    case 'compare':
      return (await import('./cli/compare')).compare;
    case 'export':
      return (await import('./cli/export-command')).exportCommand;
    default:
      return undefined;
  }
}

export async function main(argv: string[], rawIo: CliIO): Promise<number> {
  // Names, labels and messages are user text: nothing the CLI prints may drive the terminal.
  const io: CliIO = { ...rawIo, out: (t) => rawIo.out(terminalSafe(t)), err: (t) => rawIo.err(terminalSafe(t)) };
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE + '\n');
    return name ? EXIT.ok : EXIT.invalid;
  }
  if (name === '--version') {
    io.out('0.1.0\n');
    return EXIT.ok;
  }
  const command = await load(name);
  if (!command) {
    io.err(`model-lab: unknown command '${name}'. Run 'model-lab --help' for the list.\n`);
    return EXIT.invalid;
  }
  try {
    return await command(args, io);
  } catch (e) {
    if (e instanceof UserError) {
      io.err(`model-lab ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    // An unexpected failure is our bug: say so in one line, keep the stack for MODEL_LAB_DEBUG.
    const message = e instanceof Error ? e.message : String(e);
    io.err(`model-lab ${name}: internal error: ${message}\n`);
    if (io.env.MODEL_LAB_DEBUG && e instanceof Error) io.err(`${e.stack}\n`);
    return EXIT.runtime;
  }
}

if (require.main === module) {
  const interrupts = installInterrupts();
  main(process.argv.slice(2), {
    out: interrupts.out,
    err: interrupts.err,
    cwd: process.cwd(),
    env: process.env,
    signal: interrupts.signal,
    onHardExit: interrupts.onHardExit,
  }).then(
    (code) => {
      process.exitCode = interrupts.exitCode(code);
    },
    (e) => {
      interrupts.err(`model-lab: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT.runtime;
    },
  );
}
