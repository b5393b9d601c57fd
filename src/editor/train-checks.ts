/**
 * What the editor decides before it trains, without VS Code: whether the model may be trained, where its session
 * lives (base folder, model file as the record names it), and how many runs train at once. `trainer.ts` asks these
 * and shows the answers; unit tests ask them directly.
 */
import * as path from 'node:path';
import type { Analysis } from '../model/analyze';
import type { ParsedModel, Position } from '../model/types';

export const RESTRICTED_MODE_MESSAGE =
  'Model Lab: training is disabled in Restricted Mode, because it runs code and reads data from this workspace. Trust the workspace to train; summaries, hovers and diagnostics keep working.';

/**
 * Why the model cannot be trained (a message for the user, and whether to reveal the Problems panel), or undefined.
 * `where` names a position (`line 5`; in a notebook `cell 4, line 2`).
 */
export function trainingBlocker(
  fileName: string,
  parsed: Pick<ParsedModel, 'incomplete' | 'range' | 'untrainable'>,
  analysis: Pick<Analysis, 'diagnostics' | 'definition' | 'summary'>,
  where: (p: Position) => string = (p) => `line ${p.line + 1}`,
): { message: string; showProblems: boolean } | undefined {
  if (parsed.incomplete) {
    return {
      message: `Model Lab cannot train this model: ${parsed.incomplete} (${where(parsed.range.start)}). Training only the layers it can read would be a different model.`,
      showProblems: false,
    };
  }
  if (parsed.untrainable) {
    return {
      message: `Model Lab cannot train this model: ${parsed.untrainable.reason} (${where(parsed.untrainable.range.start)}).`,
      showProblems: false,
    };
  }
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0 && analysis.definition && analysis.summary) return undefined;
  const first = errors[0];
  const at = first ? ` (${where(first.range.start)}: ${first.message})` : '';
  const n = errors.length;
  return {
    message: `Model Lab: ${path.basename(fileName)} has ${n || 'unresolved'} error${n === 1 ? '' : 's'}${at}; fix ${n === 1 ? 'it' : 'them'} to train.`,
    showProblems: true,
  };
}

export interface DocumentPlace {
  /** The document's file path (for untitled documents, whatever VS Code gives). */
  fsPath: string;
  /** A saved file on disk (`file` scheme, not untitled). */
  onDisk: boolean;
  untitled: boolean;
  /** The workspace folder holding it (untitled: the first folder), if any. */
  folder?: string;
  home: string;
}

/**
 * Where a session's relative paths resolve (the model file's folder; for an untitled or virtual document its
 * workspace folder, else the home folder) and the model file as the record names it (relative to its folder).
 */
export function sessionPlace(d: DocumentPlace): { baseDir: string; modelFile?: string } {
  const baseDir = d.onDisk && !d.untitled ? path.dirname(d.fsPath) : (d.folder ?? d.home);
  const modelFile = d.untitled ? undefined : d.folder ? path.relative(d.folder, d.fsPath) : d.fsPath;
  return { baseDir, modelFile };
}

/** Runs trained at once: the `modelLab.maxParallelRuns` setting, `0` meaning one per core. */
export function poolSize(maxParallelRuns: number, cores: number): number {
  return maxParallelRuns > 0 ? maxParallelRuns : Math.max(1, cores);
}
