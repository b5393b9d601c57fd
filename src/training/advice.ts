/**
 * Advice names what the user can change in the words of the front end they are using: a flag on the command line,
 * a setting in the editor. Messages made below the front ends (backend checks, crash reports) ask for it here, so
 * a CLI flag never reaches the editor.
 */
import type { BackendName } from '../protocol';

/** Who reads a message: the command line (`model-lab …`) or VS Code. Unknown: the command line's words. */
export type Audience = 'cli' | 'editor';

/** How to pick another backend: `--backend wasm`, or `the modelLab.backend setting "wasm"`. */
export function backendAdvice(backend: BackendName, audience: Audience = 'cli'): string {
  return audience === 'editor' ? `the modelLab.backend setting "${backend}"` : `--backend ${backend}`;
}

/** How to train fewer runs at once. */
export function parallelRunsAdvice(audience: Audience = 'cli'): string {
  return audience === 'editor' ? 'the modelLab.maxParallelRuns setting' : '--workers';
}
