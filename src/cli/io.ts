/** What a CLI command may touch, so tests can run commands in-process and read what they printed. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C (SIGINT): long commands stop after the current batch and exit 130. */
  signal: AbortSignal;
  /** Work a second signal (the hard exit) must still do before the process ends: write what is in memory. */
  onHardExit?: (hook: () => Promise<void> | void) => () => void;
}

/** Exit codes: 0 fine, 1 runtime or data error, 2 bad model file or bad usage, 130 interrupted (143 by SIGTERM, 129 by SIGHUP). */
export const EXIT = { ok: 0, runtime: 1, invalid: 2, interrupted: 130 } as const;

export type Command = (args: string[], io: CliIO) => Promise<number>;

/** An error the user caused and can fix: printed as one line, never with a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.runtime,
  ) {
    super(message);
  }
}
