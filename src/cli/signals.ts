/**
 * How the CLI process meets the outside world ending it. SIGINT (Ctrl-C), SIGTERM (`timeout`, `kill`, CI, `docker
 * stop`) and SIGHUP (a closed terminal) all mean "stop": the first stops every run after its current batch and the
 * command still writes --json/--html with what finished; a second one exits at once, but first writes the same files
 * from what is in memory (bounded by a short deadline) and kills the workers. A closed stdout or stderr (`… | head
 * -1`) is not a reason to stop: output to it is dropped and training goes on to write its files.
 */
import { EXIT } from './io';

/** Exit status after a signal, as shells report it: 128 + the signal's number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: EXIT.interrupted, SIGTERM: 143, SIGHUP: 129 };
/** How long the hard exit waits for the files to be written. */
const HARD_EXIT_WRITE_MS = 3000;

export type ExitHook = () => Promise<void> | void;

export interface ProcessInterrupts {
  /** Aborted by the first signal. */
  signal: AbortSignal;
  /** Registers work a hard exit must still do (write outputs, kill workers); returns the unregister function. */
  onHardExit(hook: ExitHook): () => void;
  /** The exit status for a command that returned `code`: an interrupt by SIGTERM or SIGHUP reports that signal. */
  exitCode(code: number): number;
  /** Writers that drop output once their stream is closed (EPIPE) instead of crashing. */
  out(text: string): void;
  err(text: string): void;
}

export function installInterrupts(proc: NodeJS.Process = process): ProcessInterrupts {
  const controller = new AbortController();
  const hooks = new Set<ExitHook>();
  let first: string | undefined;
  let exiting = false;
  const closed = { out: false, err: false };
  const guard = (stream: NodeJS.WriteStream, key: 'out' | 'err') => {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // EPIPE and friends: the reader went away. Anything else on a standard stream is no reason to lose a run either.
      closed[key] = true;
      if (key === 'out' && e.code !== 'EPIPE')
        proc.stderr.write(`model-lab: stdout failed (${e.code ?? e.message}); output dropped.\n`);
    });
  };
  guard(proc.stdout, 'out');
  guard(proc.stderr, 'err');
  const write = (stream: NodeJS.WriteStream, key: 'out' | 'err', text: string) => {
    if (closed[key] || stream.destroyed) return;
    try {
      stream.write(text);
    } catch {
      closed[key] = true;
    }
  };
  const err = (text: string) => write(proc.stderr, 'err', text);

  const hardExit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    const work = Promise.allSettled([...hooks].map(async (h) => h()));
    await Promise.race([work, new Promise((r) => setTimeout(r, HARD_EXIT_WRITE_MS).unref())]);
    proc.exit(code);
  };

  const onSignal = (name: NodeJS.Signals) => {
    if (first !== undefined) {
      err(`\n${name} again: quitting now.\n`);
      void hardExit(SIGNAL_EXIT[first] ?? EXIT.interrupted);
      return;
    }
    first = name;
    const how = name === 'SIGINT' ? 'Ctrl-C' : name;
    err(`\nStopping after the current batch (${how} again, or Ctrl-C, to quit now)…\n`);
    controller.abort();
  };
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) proc.on(name, onSignal);

  return {
    signal: controller.signal,
    onHardExit(hook) {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
    exitCode: (code) => (code === EXIT.interrupted && first ? (SIGNAL_EXIT[first] ?? code) : code),
    out: (text) => write(proc.stdout, 'out', text),
    err,
  };
}
