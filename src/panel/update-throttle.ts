/**
 * At most one call every `intervalMs`, and never losing the last request: the results panel redraws live training
 * through it (a comparison of 13 runs sends hundreds of events a second). No VS Code here, so it has unit tests.
 */
export class UpdateThrottle {
  private pending: ReturnType<typeof setTimeout> | undefined;
  private last = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs now when the interval has passed since the last run, else once when it has (however often asked). */
  request(): void {
    const wait = this.intervalMs - (this.now() - this.last);
    if (wait <= 0) return this.flush();
    this.pending ??= setTimeout(() => this.flush(), wait);
  }

  /** Drops a pending run (the panel is gone). */
  cancel(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
  }

  private flush(): void {
    this.cancel();
    this.last = this.now();
    this.run();
  }
}
