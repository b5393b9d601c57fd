/**
 * The editor's worker pools: one shared pool of the configured size; when the size setting changes, new sessions get
 * a new pool and the old one finishes what it runs, then is disposed. No VS Code here.
 */
import { RunPool, type RunPoolOptions } from '../training/host/pool';

export class PoolKeeper {
  private current: RunPool | undefined;
  private readonly retired: RunPool[] = [];

  constructor(private readonly options: Omit<RunPoolOptions, 'size'>) {}

  /** The pool for a new session of `size` parallel runs. */
  get(size: number): RunPool {
    if (this.current && this.current.size === size) return this.current;
    if (this.current) this.retired.push(this.current);
    this.current = new RunPool({ ...this.options, size });
    return this.current;
  }

  /** Disposes replaced pools that no session uses and that have no worker left. */
  retire(inUse: ReadonlySet<RunPool>): void {
    for (const pool of [...this.retired]) {
      if (pool.pids().length === 0 && !inUse.has(pool)) {
        pool.dispose();
        this.retired.splice(this.retired.indexOf(pool), 1);
      }
    }
  }

  /** Pools replaced but not yet disposed (for tests). */
  get retiring(): number {
    return this.retired.length;
  }

  dispose(): void {
    this.current?.dispose();
    this.retired.splice(0).forEach((pool) => pool.dispose());
  }
}
