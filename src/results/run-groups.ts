/**
 * Runs grouped the way the comparison shows them: repeats of one variant (same `variant.label`, or the same label
 * when there is no variant) form one group; the current record comes first, then each pinned record.
 */
import type { RunRecord, RunResult, RunStatus } from '../protocol';

export interface RunGroup {
  /** Unique across the current and pinned records. */
  key: string;
  /** The variant's label (an optimizer's, e.g. `Adam`): what the CSV and the CLI call it. */
  label: string;
  /**
   * What the panel shows, unique across the current and pinned records: the label for the current record;
   * `model · label` for a pinned record's group (with its date, then a number, when that still repeats a name).
   */
  name: string;
  recordId: string;
  recordCreatedAt: string;
  /** True for groups of a pinned (past) record. */
  pinned: boolean;
  /** Position in the groups' order: the colour and marker of its curves and its table swatch. */
  index: number;
  runs: RunResult[];
}

/** The parts of a record grouping reads. */
export type RecordLike = Pick<RunRecord, 'id' | 'createdAt' | 'runs'> &
  Partial<Pick<RunRecord, 'definition' | 'model'>>;

export function groupRuns(record: RecordLike, pinned: RecordLike[] = []): RunGroup[] {
  const groups: RunGroup[] = [];
  const names = new Set<string>();
  for (const [i, rec] of [record, ...pinned].entries()) {
    const byLabel = new Map<string, RunGroup>();
    for (const run of rec.runs) {
      const label = run.variant?.label ?? run.label;
      let group = byLabel.get(label);
      if (!group) {
        const name = uniqueName(names, i > 0 ? `${modelName(rec)} · ${label}` : label, rec.createdAt);
        group = {
          key: `${rec.id}:${label}`,
          label,
          name,
          recordId: rec.id,
          recordCreatedAt: rec.createdAt,
          pinned: i > 0,
          index: groups.length,
          runs: [],
        };
        byLabel.set(label, group);
        groups.push(group);
      }
      group.runs.push(run);
    }
  }
  return groups;
}

function modelName(rec: RecordLike): string {
  return rec.definition?.name ?? rec.model?.name ?? 'model';
}

/** `name`, else `name (2026-11-28 19:05)`, else `name (2)`, `name (3)` …; remembered in `taken`. */
function uniqueName(taken: Set<string>, name: string, createdAt: string): string {
  const stamp = createdAt.slice(0, 16).replace('T', ' ');
  const candidates = [name, `${name} (${stamp})`];
  let chosen = candidates.find((c) => !taken.has(c));
  for (let n = 2; !chosen; n++) if (!taken.has(`${name} (${n})`)) chosen = `${name} (${n})`;
  taken.add(chosen);
  return chosen;
}

/**
 * One status for a group: work in progress first (running, then queued), then completed when any repeat finished,
 * then cancelled, then failed — a variant with one failed repeat still has results to show.
 */
export function groupStatus(runs: RunResult[]): RunStatus {
  const order: RunStatus[] = ['running', 'queued', 'completed', 'cancelled', 'failed'];
  for (const status of order) if (runs.some((r) => r.status === status)) return status;
  return 'queued';
}

/** What users call each status: a cancelled run is one they stopped. */
const WORD: Record<RunStatus, string> = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  cancelled: 'stopped',
  failed: 'failed',
};

/** "Completed" for a single run; "2 completed, 1 failed" for a group of repeats. */
export function groupStatusText(runs: RunResult[]): string {
  if (runs.length === 1) {
    const word = WORD[runs[0].status] ?? runs[0].status;
    return word.charAt(0).toUpperCase() + word.slice(1);
  }
  const counts = new Map<RunStatus, number>();
  for (const r of runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${WORD[status] ?? status}`).join(', ');
}

/**
 * The runs whose numbers a group reports: the completed ones when there are any (a failed or stopped repeat would
 * drag the mean toward an unfinished model), otherwise every run that has data (live training).
 */
export function reportingRuns(runs: RunResult[]): RunResult[] {
  const completed = runs.filter((r) => r.status === 'completed');
  return completed.length > 0 ? completed : runs.filter((r) => r.status !== 'failed');
}
